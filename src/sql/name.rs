//! Schema-qualified names: parsed with PostgreSQL's rules, written through `quote::ident`.

use std::fmt;

use super::lexer::{Kind, tokenize};
use super::quote::ident;

/// PostgreSQL truncates longer identifiers (`NAMEDATALEN - 1` bytes).
pub const MAX_IDENT_BYTES: usize = 63;

/// `schema.name`, both parts exactly as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    pub schema: String,
    pub name: String,
}

/// Why a text is not a qualified name, and where (a byte range of the text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameError {
    pub message: String,
    pub at: std::ops::Range<usize>,
}

impl QualifiedName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// Reads `schema.name` in PostgreSQL syntax: unquoted parts fold to lower case, quoted ones
    /// (`"Weird Schema"`) keep their case, spaces and doubled quotes.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let tokens = tokenize(text);
        let fail = |message: String, at: std::ops::Range<usize>| Err(NameError { message, at });
        let mut parts = Vec::new();
        let mut expect_part = true;
        for token in &tokens {
            let part = token.ident_value(text);
            match (expect_part, token.kind, part) {
                (true, Kind::Word | Kind::QuotedIdent, Some(part)) => {
                    if part.is_empty() {
                        return fail("a quoted name cannot be empty".into(), token.span.clone());
                    }
                    if part.len() > MAX_IDENT_BYTES {
                        return fail(
                            format!(
                                "this name is {} bytes long; PostgreSQL truncates names to {MAX_IDENT_BYTES} bytes",
                                part.len()
                            ),
                            token.span.clone(),
                        );
                    }
                    parts.push(part.into_owned());
                    expect_part = false;
                }
                (false, Kind::Punct, _) if token.is_punct(text, '.') => expect_part = true,
                (_, Kind::Unterminated, _) => {
                    return fail(
                        "this quoted name is never closed".into(),
                        token.span.clone(),
                    );
                }
                (_, Kind::Whitespace, _) => {
                    return fail(
                        "unexpected space: quote a name that holds spaces, as in \"Weird Schema\".\"Order Items\"".into(),
                        token.span.clone(),
                    );
                }
                (true, _, _) => {
                    return fail(
                        format!("expected a name, found `{}`", token.text(text)),
                        token.span.clone(),
                    );
                }
                (false, _, _) => {
                    return fail(
                        format!("expected `.` between names, found `{}`", token.text(text)),
                        token.span.clone(),
                    );
                }
            }
        }
        if expect_part {
            return fail(
                "expected a name after the last `.`".into(),
                text.len()..text.len(),
            );
        }
        match <[String; 2]>::try_from(parts) {
            Ok([schema, name]) => Ok(QualifiedName { schema, name }),
            Err(parts) if parts.len() == 1 => fail(
                format!(
                    "qualify the table with its schema, as in public.{}",
                    ident(&parts[0])
                ),
                0..text.len(),
            ),
            Err(_) => fail(
                "expected schema.table; names with more parts are not supported".into(),
                0..text.len(),
            ),
        }
    }

    /// `schema.name`, each part quoted as PostgreSQL needs.
    pub fn quoted(&self) -> String {
        format!("{}.{}", ident(&self.schema), ident(&self.name))
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.quoted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> (String, String) {
        let q = QualifiedName::parse(text).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        (q.schema, q.name)
    }

    fn err(text: &str) -> (String, std::ops::Range<usize>) {
        let e = QualifiedName::parse(text).expect_err(text);
        (e.message, e.at)
    }

    #[test]
    fn unquoted_parts_fold_to_lower_case() {
        assert_eq!(ok("public.reading"), ("public".into(), "reading".into()));
        assert_eq!(ok("App.Sensor"), ("app".into(), "sensor".into()));
        assert_eq!(ok("public.select"), ("public".into(), "select".into()));
        assert_eq!(ok("s$1.t_2"), ("s$1".into(), "t_2".into()));
    }

    #[test]
    fn quoted_parts_keep_everything() {
        assert_eq!(
            ok(r#""Weird Schema"."Order Items""#),
            ("Weird Schema".into(), "Order Items".into())
        );
        assert_eq!(
            ok(r#""Weird Schema"."we""ird table""#),
            ("Weird Schema".into(), r#"we"ird table"#.into())
        );
        assert_eq!(
            ok(r#"public."Mixed Case""#),
            ("public".into(), "Mixed Case".into())
        );
        assert_eq!(
            ok(r#"public." padded ""#),
            ("public".into(), " padded ".into())
        );
    }

    #[test]
    fn round_trips_through_quoting() {
        for (schema, name) in [
            ("public", "reading"),
            ("Weird Schema", "we\"ird table"),
            ("public", "select"),
            ("ünï", "x.y"),
        ] {
            let q = QualifiedName::new(schema, name);
            assert_eq!(QualifiedName::parse(&q.quoted()), Ok(q));
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(
            err("reading"),
            (
                "qualify the table with its schema, as in public.reading".into(),
                0..7
            )
        );
        assert_eq!(err("public reading").1, 6..7);
        assert_eq!(err("public.").1, 7..7);
        assert_eq!(err(r#"public."open"#).0, "this quoted name is never closed");
        assert_eq!(err(r#"public."""#).0, "a quoted name cannot be empty");
        assert_eq!(
            err("db.public.reading").0,
            "expected schema.table; names with more parts are not supported"
        );
        assert_eq!(err("public.1x").1, 6..8);
        let long = format!("public.{}", "x".repeat(64));
        assert!(err(&long).0.contains("64 bytes long"));
    }
}
