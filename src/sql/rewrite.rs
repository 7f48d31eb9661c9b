//! Retargeting SQL at staging: every qualified name found in a map is replaced by its target,
//! and nothing else changes. Names are found with the lexer, so a name inside a string, a
//! comment or a dollar-quoted body, or one that only starts like a mapped name, stays as it is.

use std::collections::HashMap;

use super::QualifiedName;
use super::lexer::{Kind, Token, tokenize};

/// Qualified name → the name to write instead.
pub type NameMap = HashMap<QualifiedName, QualifiedName>;

/// Where names go: a map, or a map with a few names of one definition's own on top.
pub trait Targets {
    fn target(&self, name: &QualifiedName) -> Option<&QualifiedName>;
}

impl Targets for NameMap {
    fn target(&self, name: &QualifiedName) -> Option<&QualifiedName> {
        self.get(name)
    }
}

/// `top` first, then `base`: what one table adds to the names every table shares, without
/// copying those (which would make compiling quadratic in the number of tables).
pub struct Overlay<'a> {
    pub base: &'a NameMap,
    pub top: NameMap,
}

impl Targets for Overlay<'_> {
    fn target(&self, name: &QualifiedName) -> Option<&QualifiedName> {
        self.top.get(name).or_else(|| self.base.get(name))
    }
}

/// `sql` with every `schema.name` of `map` replaced by its target (a following `.column`
/// stays: `public.reading.value` → `staging.reading.value`).
pub fn retarget(sql: &str, map: &impl Targets) -> String {
    let tokens = tokenize(sql);
    let mut out = String::with_capacity(sql.len() + 32);
    let mut copied = 0;
    let mut i = 0;
    while i < tokens.len() {
        if let Some((name, end)) = qualified_at(sql, &tokens, i)
            && let Some(target) = map.target(&name)
            && !follows_a_dot(sql, &tokens, i)
        {
            out.push_str(&sql[copied..tokens[i].span.start]);
            out.push_str(&target.quoted());
            copied = tokens[end].span.end;
            i = end + 1;
            continue;
        }
        i += 1;
    }
    out.push_str(&sql[copied..]);
    out
}

/// `ident . ident` starting at token `i` (no space around the dot, as pg_dump writes names):
/// the name and the index of its last token.
fn qualified_at(sql: &str, tokens: &[Token], i: usize) -> Option<(QualifiedName, usize)> {
    let schema = tokens.get(i)?;
    let dot = tokens.get(i + 1)?;
    let name = tokens.get(i + 2)?;
    if !matches!(schema.kind, Kind::Word | Kind::QuotedIdent) || !dot.is_punct(sql, '.') {
        return None;
    }
    let qualified = QualifiedName::new(schema.ident_value(sql)?, name.ident_value(sql)?);
    Some((qualified, i + 2))
}

/// Whether token `i` is the middle of a longer dotted name (`db.schema.table`): then the pair
/// at `i` is not a schema and a table.
fn follows_a_dot(sql: &str, tokens: &[Token], i: usize) -> bool {
    i > 0 && tokens[i - 1].is_punct(sql, '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> NameMap {
        pairs
            .iter()
            .map(|(s, t)| {
                (
                    QualifiedName::parse(s).expect("s"),
                    QualifiedName::parse(t).expect("t"),
                )
            })
            .collect()
    }

    #[test]
    fn replaces_exactly_the_mapped_names() {
        let m = map(&[
            ("public.reading", "restore_staging__public.reading"),
            ("app.sensor", "restore_staging__app.sensor"),
        ]);
        let cases = [
            (
                "ALTER TABLE ONLY public.reading ADD CONSTRAINT reading_pkey PRIMARY KEY (id);",
                "ALTER TABLE ONLY restore_staging__public.reading ADD CONSTRAINT reading_pkey PRIMARY KEY (id);",
            ),
            (
                "ALTER TABLE ONLY public.reading ADD CONSTRAINT f FOREIGN KEY (sensor_id) REFERENCES app.sensor(id);",
                "ALTER TABLE ONLY restore_staging__public.reading ADD CONSTRAINT f FOREIGN KEY (sensor_id) REFERENCES restore_staging__app.sensor(id);",
            ),
            (
                "COMMENT ON COLUMN public.reading.value IS 'raw value';",
                "COMMENT ON COLUMN restore_staging__public.reading.value IS 'raw value';",
            ),
            (
                "CREATE INDEX i ON public.reading_archive USING btree (x);",
                "CREATE INDEX i ON public.reading_archive USING btree (x);",
            ),
            (
                "COMMENT ON TABLE public.reading IS 'see public.reading';",
                "COMMENT ON TABLE restore_staging__public.reading IS 'see public.reading';",
            ),
            (
                "CREATE FUNCTION f() AS $$ SELECT * FROM public.reading $$; -- public.reading",
                "CREATE FUNCTION f() AS $$ SELECT * FROM public.reading $$; -- public.reading",
            ),
            (
                "SELECT reading.id FROM public.reading",
                "SELECT reading.id FROM restore_staging__public.reading",
            ),
            (
                "GRANT SELECT ON TABLE PUBLIC.READING TO x;",
                "GRANT SELECT ON TABLE restore_staging__public.reading TO x;",
            ),
            (
                "SELECT x FROM db.public.reading",
                "SELECT x FROM db.public.reading",
            ),
        ];
        for (sql, expected) in cases {
            assert_eq!(retarget(sql, &m), expected, "{sql}");
        }
    }

    #[test]
    fn quoted_names_in_any_spelling() {
        let m = map(&[(
            r#""Weird Schema"."Order Items""#,
            r#""restore_staging__Weird Schema"."Order Items""#,
        )]);
        assert_eq!(
            retarget(
                r#"ALTER TABLE ONLY "Weird Schema"."Order Items" ADD CONSTRAINT "Order Items_pkey" PRIMARY KEY ("Order ID");"#,
                &m
            ),
            r#"ALTER TABLE ONLY "restore_staging__Weird Schema"."Order Items" ADD CONSTRAINT "Order Items_pkey" PRIMARY KEY ("Order ID");"#
        );
        assert_eq!(
            retarget(r#"x "Weird Schema"."order items" y"#, &m),
            r#"x "Weird Schema"."order items" y"#
        );
    }
}
