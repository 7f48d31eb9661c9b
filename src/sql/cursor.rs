//! Reading a statement token by token: the small matcher the schema reader and remap use to
//! recognise the few statement shapes pg_dump writes.

use super::QualifiedName;
use super::lexer::{Kind, Statement, Token};

/// The significant tokens of one statement, and a position in them.
pub struct Cursor<'a> {
    src: &'a str,
    tokens: Vec<&'a Token>,
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub fn new(src: &'a str, statement: &'a Statement) -> Self {
        Cursor {
            src,
            tokens: statement.words().collect(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<&'a Token> {
        self.tokens.get(self.pos).copied()
    }

    /// Consumes `word` (an unquoted keyword, any case) if it comes next.
    pub fn word(&mut self, word: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is_word(self.src, word));
        self.pos += usize::from(found);
        found
    }

    /// Consumes `words` if they all come next, in order; consumes nothing otherwise.
    pub fn words(&mut self, words: &[&str]) -> bool {
        let start = self.pos;
        if words.iter().all(|w| self.word(w)) {
            return true;
        }
        self.pos = start;
        false
    }

    pub fn punct(&mut self, c: char) -> bool {
        let found = self.peek().is_some_and(|t| t.is_punct(self.src, c));
        self.pos += usize::from(found);
        found
    }

    /// One identifier, quoted or not, as the catalog stores it.
    pub fn ident(&mut self) -> Option<String> {
        let value = self.peek()?.ident_value(self.src)?.into_owned();
        self.pos += 1;
        Some(value)
    }

    /// `schema.name`.
    pub fn qualified_name(&mut self) -> Option<QualifiedName> {
        let start = self.pos;
        let name = (|| {
            let schema = self.ident()?;
            self.punct('.').then_some(())?;
            Some(QualifiedName::new(schema, self.ident()?))
        })();
        if name.is_none() {
            self.pos = start;
        }
        name
    }

    /// The value of a string constant.
    pub fn string(&mut self) -> Option<String> {
        let value = self.peek()?.string_value(self.src)?;
        self.pos += 1;
        Some(value)
    }

    /// A whole number, with its sign.
    pub fn integer(&mut self) -> Option<i64> {
        let start = self.pos;
        let negative = self
            .peek()
            .is_some_and(|t| t.kind == Kind::Operator && t.text(self.src) == "-");
        self.pos += usize::from(negative);
        let value = self
            .peek()
            .filter(|t| t.kind == Kind::Number)
            .and_then(|t| t.text(self.src).parse::<i64>().ok());
        if let Some(v) = value {
            self.pos += 1;
            Some(if negative { -v } else { v })
        } else {
            self.pos = start;
            None
        }
    }

    /// Moves past the next `word` at any depth; false (and no move) if it never comes.
    pub fn skip_to_word(&mut self, word: &str) -> bool {
        match self.tokens[self.pos..]
            .iter()
            .position(|t| t.is_word(self.src, word))
        {
            Some(offset) => {
                self.pos += offset + 1;
                true
            }
            None => false,
        }
    }

    /// The source text from the next token to the end of the statement, without its `;`.
    pub fn rest(&self) -> &'a str {
        let mut tokens = self.tokens[self.pos..].to_vec();
        if tokens.last().is_some_and(|t| t.is_punct(self.src, ';')) {
            tokens.pop();
        }
        match (tokens.first(), tokens.last()) {
            (Some(first), Some(last)) => &self.src[first.span.start..last.span.end],
            _ => "",
        }
    }

    pub fn at_end(&self) -> bool {
        self.tokens[self.pos..]
            .iter()
            .all(|t| t.is_punct(self.src, ';'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::lexer::statements;

    #[test]
    fn matches_a_statement_shape() {
        let src = r#"ALTER TABLE ONLY app.measurement ATTACH PARTITION "Weird"."m 2025" FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');"#;
        let stmts = statements(src);
        let mut c = Cursor::new(src, &stmts[0]);
        assert!(c.words(&["ALTER", "TABLE"]));
        assert!(c.word("only"));
        assert_eq!(
            c.qualified_name(),
            Some(QualifiedName::new("app", "measurement"))
        );
        assert!(!c.words(&["DETACH", "PARTITION"]));
        assert!(c.words(&["ATTACH", "PARTITION"]));
        assert_eq!(
            c.qualified_name(),
            Some(QualifiedName::new("Weird", "m 2025"))
        );
        assert_eq!(c.rest(), "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
    }

    #[test]
    fn integers_keep_their_sign() {
        let src = "INCREMENT BY -5 START 3";
        let stmts = statements(src);
        let mut c = Cursor::new(src, &stmts[0]);
        assert!(c.skip_to_word("by"));
        assert_eq!(c.integer(), Some(-5));
        assert!(c.word("start"));
        assert_eq!(c.integer(), Some(3));
        assert!(c.at_end());
    }
}
