//! A PostgreSQL lexer: enough of `scan.l` to tell identifiers, quoted identifiers, string
//! constants (`''`, `E''`, `B''`, `X''`, `U&''`), dollar quotes, comments and psql meta-commands
//! apart, so that names are found and rewritten only where they are names.
//!
//! Tokens are byte ranges into the source: concatenating every token's text gives the source
//! back exactly, which is what lets the rewriter change one name and leave every other byte.

use std::borrow::Cow;
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Whitespace,
    Comment,
    /// An unquoted identifier or keyword.
    Word,
    /// `"..."`, or `U&"..."`.
    QuotedIdent,
    /// `'...'` with any prefix (`E`, `B`, `X`, `N`, `U&`).
    String,
    /// `$tag$...$tag$`.
    DollarString,
    Number,
    /// `$1`.
    Param,
    /// `( ) [ ] , ; . :` one at a time.
    Punct,
    Operator,
    /// A psql backslash command, to the end of its line.
    Meta,
    /// A string, quoted identifier or comment that the input ends inside.
    Unterminated,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.span.clone()]
    }

    /// Whether this is the unquoted keyword or word `word` (case-insensitive).
    pub fn is_word(&self, src: &str, word: &str) -> bool {
        self.kind == Kind::Word && self.text(src).eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, src: &str, c: char) -> bool {
        self.kind == Kind::Punct && self.text(src).starts_with(c)
    }

    /// The name an identifier token stands for: unquoted words fold to lower case (ASCII only,
    /// as PostgreSQL does for multibyte encodings), quoted ones lose their quotes.
    pub fn ident_value<'a>(&self, src: &'a str) -> Option<Cow<'a, str>> {
        let text = self.text(src);
        match self.kind {
            Kind::Word if text.bytes().any(|b| b.is_ascii_uppercase()) => {
                Some(Cow::Owned(text.to_ascii_lowercase()))
            }
            Kind::Word => Some(Cow::Borrowed(text)),
            Kind::QuotedIdent if text.starts_with('"') => {
                let inner = &text[1..text.len() - 1];
                Some(if inner.contains("\"\"") {
                    Cow::Owned(inner.replace("\"\"", "\""))
                } else {
                    Cow::Borrowed(inner)
                })
            }
            _ => None,
        }
    }

    /// The value of a plain or `E` string constant.
    pub fn string_value(&self, src: &str) -> Option<String> {
        if self.kind != Kind::String {
            return None;
        }
        let text = self.text(src);
        let (escapes, body) = match text.as_bytes().first()? {
            b'\'' => (false, text),
            b'e' | b'E' => (true, &text[1..]),
            _ => return None,
        };
        let inner = &body[1..body.len() - 1];
        let mut value = String::with_capacity(inner.len());
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\'' if chars.peek() == Some(&'\'') => {
                    chars.next();
                    value.push('\'');
                }
                '\\' if escapes => match chars.next()? {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    'r' => value.push('\r'),
                    'b' => value.push('\u{8}'),
                    'f' => value.push('\u{c}'),
                    other => value.push(other),
                },
                other => value.push(other),
            }
        }
        Some(value)
    }
}

/// Every token of `src`, whitespace and comments included, in order.
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while at < src.len() {
        let (kind, end) = next_token(src, at);
        tokens.push(Token {
            kind,
            span: at..end,
        });
        at = end;
    }
    tokens
}

fn next_token(src: &str, at: usize) -> (Kind, usize) {
    let bytes = src.as_bytes();
    let rest = &src[at..];
    let c = bytes[at];
    let end_of = |len: usize| at + len;
    match c {
        b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' => {
            let len = rest
                .bytes()
                .take_while(|b| b" \t\n\r\x0c".contains(b))
                .count();
            (Kind::Whitespace, end_of(len))
        }
        b'-' if rest.starts_with("--") => {
            let len = rest.find('\n').map_or(rest.len(), |n| n + 1);
            (Kind::Comment, end_of(len))
        }
        b'/' if rest.starts_with("/*") => block_comment(src, at),
        // psql reads a backslash outside quotes as a meta-command running to the end of the line.
        b'\\' => {
            let len = rest.find('\n').unwrap_or(rest.len());
            (Kind::Meta, end_of(len))
        }
        b'\'' => quoted(src, at, b'\'', false),
        b'"' => quoted(src, at, b'"', false),
        b'e' | b'E' if rest[1..].starts_with('\'') => quoted(src, at + 1, b'\'', true),
        b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if rest[1..].starts_with('\'') => {
            quoted(src, at + 1, b'\'', false)
        }
        b'u' | b'U' if rest[1..].starts_with("&'") => quoted(src, at + 2, b'\'', false),
        b'u' | b'U' if rest[1..].starts_with("&\"") => quoted(src, at + 2, b'"', false),
        b'$' => dollar(src, at),
        b'0'..=b'9' => (Kind::Number, end_of(number_len(rest))),
        b'.' if rest[1..].starts_with(|c: char| c.is_ascii_digit()) => {
            (Kind::Number, end_of(number_len(rest)))
        }
        b'(' | b')' | b'[' | b']' | b',' | b';' | b'.' | b':' => (Kind::Punct, end_of(1)),
        _ if is_ident_start(c) => {
            let len = rest.bytes().take_while(|&b| is_ident_continue(b)).count();
            (Kind::Word, end_of(len))
        }
        _ if is_operator_char(c) => {
            let mut len = 0;
            while at + len < src.len() && is_operator_char(bytes[at + len]) {
                let here = &rest[len..];
                if len > 0 && (here.starts_with("--") || here.starts_with("/*")) {
                    break;
                }
                len += 1;
            }
            (Kind::Operator, end_of(len.max(1)))
        }
        _ => {
            // Any other character (a stray byte of a multibyte sequence cannot happen: `src` is
            // a str, and non-ASCII starts an identifier) stands alone.
            let len = rest.chars().next().map_or(1, char::len_utf8);
            (Kind::Operator, end_of(len))
        }
    }
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_ident_continue(b: u8) -> bool {
    is_ident_start(b) || b.is_ascii_digit() || b == b'$'
}

fn is_operator_char(b: u8) -> bool {
    b"+-*/<>=~!@#%^&|`?".contains(&b)
}

fn number_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    let mut len = bytes
        .iter()
        .take_while(|b| b.is_ascii_digit() || **b == b'_')
        .count();
    if bytes.get(len) == Some(&b'.') && bytes.get(len + 1) != Some(&b'.') {
        len += 1;
        len += bytes[len..]
            .iter()
            .take_while(|b| b.is_ascii_digit() || **b == b'_')
            .count();
    }
    if matches!(bytes.get(len), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(bytes.get(len + 1), Some(b'+' | b'-')));
        if bytes.get(len + 1 + sign).is_some_and(u8::is_ascii_digit) {
            len += 1 + sign;
            len += bytes[len..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
        }
    }
    len
}

/// A string or quoted identifier whose opening `quote` is at `open`; `backslashes` for `E''`.
fn quoted(src: &str, open: usize, quote: u8, backslashes: bool) -> (Kind, usize) {
    let bytes = src.as_bytes();
    let kind = if quote == b'"' {
        Kind::QuotedIdent
    } else {
        Kind::String
    };
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslashes => i += 2,
            b if b == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return (kind, i + 1);
                }
            }
            _ => i += 1,
        }
    }
    (Kind::Unterminated, src.len())
}

fn block_comment(src: &str, at: usize) -> (Kind, usize) {
    let bytes = src.as_bytes();
    let mut depth = 0usize;
    let mut i = at;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return (Kind::Comment, i);
                }
            }
            _ => i += 1,
        }
    }
    (Kind::Unterminated, src.len())
}

/// `$tag$ ... $tag$`, or a parameter `$1`, or a lone `$`.
fn dollar(src: &str, at: usize) -> (Kind, usize) {
    let rest = &src[at + 1..];
    if rest.starts_with(|c: char| c.is_ascii_digit()) {
        let len = rest.bytes().take_while(u8::is_ascii_digit).count();
        return (Kind::Param, at + 1 + len);
    }
    let tag_len = rest
        .bytes()
        .enumerate()
        .take_while(|&(i, b)| {
            if i == 0 {
                is_ident_start(b)
            } else {
                is_ident_continue(b) && b != b'$'
            }
        })
        .count();
    if rest.as_bytes().get(tag_len) != Some(&b'$') {
        return (Kind::Operator, at + 1);
    }
    let delimiter = &src[at..at + tag_len + 2];
    let body_start = at + delimiter.len();
    match src[body_start..].find(delimiter) {
        Some(close) => (Kind::DollarString, body_start + close + delimiter.len()),
        None => (Kind::Unterminated, src.len()),
    }
}

/// The index of the `)` that closes the first `(` at or after `tokens[from]`; `None` when there
/// is no `(` or it is never closed. Every reader of a parenthesized group goes through this, so
/// none of them counts its own depth, and a stray `)` in damaged input cannot take it below zero.
pub fn group_end(src: &str, tokens: &[&Token], from: usize) -> Option<usize> {
    let open = from
        + tokens
            .get(from..)?
            .iter()
            .position(|t| t.is_punct(src, '('))?;
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(open) {
        if token.is_punct(src, '(') {
            depth += 1;
        } else if token.is_punct(src, ')') {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
    }
    None
}

/// One statement: the tokens from its first significant token through its `;` (or the end).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub tokens: Vec<Token>,
}

impl Statement {
    /// The statement's significant tokens: no whitespace or comments.
    pub fn words(&self) -> impl Iterator<Item = &Token> {
        self.tokens
            .iter()
            .filter(|t| !matches!(t.kind, Kind::Whitespace | Kind::Comment))
    }

    /// The source text of the statement, from its first to its last significant token.
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        let mut words = self.words();
        match (words.next(), self.words().last()) {
            (Some(first), Some(last)) => &src[first.span.start..last.span.end],
            _ => "",
        }
    }
}

/// Splits `src` into statements at top-level semicolons, as psql does: a `BEGIN` … `END` body of
/// `CREATE FUNCTION` or `CREATE PROCEDURE` (SQL-standard bodies, `BEGIN ATOMIC`) keeps its own
/// semicolons. psql meta-commands are statements of their own.
pub fn statements(src: &str) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut leading_words: Vec<String> = Vec::new();
    let mut begin_depth = 0usize;
    let mut paren_depth = 0usize;
    for token in tokenize(src) {
        let significant = !matches!(token.kind, Kind::Whitespace | Kind::Comment);
        if token.kind == Kind::Meta && leading_words.is_empty() {
            out.push(Statement {
                tokens: vec![token],
            });
            continue;
        }
        if !significant && leading_words.is_empty() && current.iter().all(|t| !is_significant(t)) {
            current.clear();
            continue;
        }
        if token.kind == Kind::Word {
            let word = token.text(src).to_ascii_lowercase();
            let in_routine = routine_header(&leading_words);
            if in_routine && (word == "begin" || word == "case") {
                begin_depth += 1;
            } else if word == "end" && begin_depth > 0 {
                begin_depth -= 1;
            }
            if leading_words.len() < 4 {
                leading_words.push(word);
            }
        } else if significant && leading_words.len() < 4 {
            leading_words.push(String::new());
        }
        if token.is_punct(src, '(') {
            paren_depth += 1;
        } else if token.is_punct(src, ')') {
            paren_depth = paren_depth.saturating_sub(1);
        }
        let ends = token.is_punct(src, ';') && begin_depth == 0 && paren_depth == 0;
        current.push(token);
        if ends {
            out.push(Statement {
                tokens: std::mem::take(&mut current),
            });
            leading_words.clear();
        }
    }
    if current.iter().any(is_significant) {
        out.push(Statement { tokens: current });
    }
    out
}

fn is_significant(t: &Token) -> bool {
    !matches!(t.kind, Kind::Whitespace | Kind::Comment)
}

/// `CREATE [OR REPLACE] FUNCTION|PROCEDURE`: the statements whose bodies may hold `;`.
fn routine_header(words: &[String]) -> bool {
    let w = |i: usize| words.get(i).map(String::as_str);
    w(0) == Some("create")
        && (matches!(w(1), Some("function" | "procedure"))
            || (w(1) == Some("or")
                && w(2) == Some("replace")
                && matches!(w(3), Some("function" | "procedure"))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn group_end_finds_the_matching_parenthesis() {
        let end = |src: &str, from: usize| {
            let tokens = tokenize(src);
            let words: Vec<&Token> = tokens
                .iter()
                .filter(|t| t.kind != Kind::Whitespace)
                .collect();
            group_end(src, &words, from).map(|i| words[i].span.start)
        };
        assert_eq!(end("t (a (b), ')' c) d", 0), Some(15));
        assert_eq!(
            end("f) (x)", 0),
            Some(5),
            "a `)` before the group is not its end"
        );
        assert_eq!(end("(a (b)", 0), None, "never closed");
        assert_eq!(end("a b", 0), None);
        assert_eq!(end("(a)", 5), None, "past the end");
    }

    fn kinds(src: &str) -> Vec<(Kind, &str)> {
        tokenize(src)
            .into_iter()
            .filter(|t| t.kind != Kind::Whitespace)
            .map(|t| (t.kind, &src[t.span]))
            .collect()
    }

    #[test]
    fn tokens_cover_the_source_exactly() {
        let src = "COPY \"Weird Schema\".\"Order Items\" (\"Order ID\") FROM stdin; -- c\n/* a /* nested */ b */ E'x\\'y' $f$ ; $f$ 1.5e3 $1 ::int";
        let joined: String = tokenize(src).iter().map(|t| t.text(src)).collect();
        assert_eq!(joined, src);
    }

    #[test]
    fn names_strings_and_comments() {
        assert_eq!(
            kinds(r#"COPY public."Order Items" (id) FROM stdin;"#),
            [
                (Kind::Word, "COPY"),
                (Kind::Word, "public"),
                (Kind::Punct, "."),
                (Kind::QuotedIdent, r#""Order Items""#),
                (Kind::Punct, "("),
                (Kind::Word, "id"),
                (Kind::Punct, ")"),
                (Kind::Word, "FROM"),
                (Kind::Word, "stdin"),
                (Kind::Punct, ";"),
            ]
        );
        assert_eq!(
            kinds("'it''s' -- public.reading\nx"),
            [
                (Kind::String, "'it''s'"),
                (Kind::Comment, "-- public.reading\n"),
                (Kind::Word, "x")
            ]
        );
        assert_eq!(
            kinds(r"E'a\'b' 'c\'"),
            [(Kind::String, r"E'a\'b'"), (Kind::String, r"'c\'")]
        );
        assert_eq!(
            kinds("$$ public.reading; $$"),
            [(Kind::DollarString, "$$ public.reading; $$")]
        );
        assert_eq!(
            kinds("$body$ $$ $body$ $1"),
            [
                (Kind::DollarString, "$body$ $$ $body$"),
                (Kind::Param, "$1")
            ]
        );
        assert_eq!(
            kinds("\\restrict abc\nSET x = 1;"),
            [
                (Kind::Meta, "\\restrict abc"),
                (Kind::Word, "SET"),
                (Kind::Word, "x"),
                (Kind::Operator, "="),
                (Kind::Number, "1"),
                (Kind::Punct, ";")
            ]
        );
        assert_eq!(kinds("'open"), [(Kind::Unterminated, "'open")]);
    }

    #[test]
    fn identifier_values() {
        let src = r#"Public."We""ird" ünï"#;
        let values: Vec<String> = tokenize(src)
            .iter()
            .filter_map(|t| t.ident_value(src))
            .map(Cow::into_owned)
            .collect();
        assert_eq!(values, ["public", r#"We"ird"#, "ünï"]);
    }

    #[test]
    fn string_values() {
        let src = r"'it''s' E'tab\there\\' '2025-01-01'";
        let values: Vec<String> = tokenize(src)
            .iter()
            .filter_map(|t| t.string_value(src))
            .collect();
        assert_eq!(values, ["it's", "tab\there\\", "2025-01-01"]);
    }

    #[test]
    fn statements_split_at_top_level_semicolons() {
        let src = "SET a = 1;\n\nCREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;\n\\restrict k\nCREATE TABLE t (a text DEFAULT ';');\n-- trailing comment\n";
        let texts: Vec<&str> = statements(src).iter().map(|s| s.text(src)).collect();
        assert_eq!(
            texts,
            [
                "SET a = 1;",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;",
                "\\restrict k",
                "CREATE TABLE t (a text DEFAULT ';');",
            ]
        );
    }
}
