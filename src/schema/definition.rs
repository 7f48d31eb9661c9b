//! What pg_dump's statements state about a table, as production's catalog prints it
//! (`pg_get_indexdef`, `pg_get_constraintdef`, `pg_get_triggerdef`, policies' expressions,
//! table grants), and the query of a view: what the drift check compares.

use crate::sql::QualifiedName;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::{group_end, statements};
use crate::sql::quote::ident;

/// One thing a table has, by kind (`index`, `constraint`, `trigger`, `policy`, `grant`), the
/// table, its name, and its definition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Definition {
    pub kind: String,
    pub table: String,
    pub name: String,
    pub text: String,
}

impl Definition {
    pub fn new(
        kind: impl Into<String>,
        table: impl Into<String>,
        name: impl Into<String>,
        text: impl Into<String>,
    ) -> Definition {
        Definition {
            kind: kind.into(),
            table: table.into(),
            name: name.into(),
            text: text.into(),
        }
    }
}

/// The table privileges `GRANT ALL` stands for, on a server of this major version.
fn all_privileges(major: u32) -> Vec<&'static str> {
    let mut all = vec![
        "DELETE",
        "INSERT",
        "REFERENCES",
        "SELECT",
        "TRIGGER",
        "TRUNCATE",
        "UPDATE",
    ];
    if major >= 17 {
        all.push("MAINTAIN");
    }
    all.sort_unstable();
    all
}

/// What one pg_dump statement states about a table: an index, a constraint, a trigger, a
/// policy, grants (one for each privilege and grantee other than the owner); none for a
/// statement of another kind, or a grant on columns.
pub fn definitions(statement: &str, owner: &str, server_major: u32) -> Option<Vec<Definition>> {
    let stmts = statements(statement);
    let stmt = stmts.first()?;
    let body = statement.trim_end().trim_end_matches(';').trim_end();
    let mut c = Cursor::new(statement, stmt);
    // CREATE [UNIQUE] INDEX name ON [ONLY] table ...
    if c.word("CREATE") {
        c.word("UNIQUE");
        if c.word("INDEX") {
            let name = c.ident()?;
            c.word("ON").then_some(())?;
            c.word("ONLY");
            let table = c.qualified_name()?;
            return Some(vec![Definition::new(
                "index",
                table.quoted(),
                name,
                body.to_owned(),
            )]);
        }
        c.word("CONSTRAINT");
        if c.word("TRIGGER") {
            let name = c.ident()?;
            c.skip_to_word("ON").then_some(())?;
            let table = c.qualified_name()?;
            return Some(vec![Definition::new(
                "trigger",
                table.quoted(),
                name,
                body.to_owned(),
            )]);
        }
        if c.word("POLICY") {
            let name = c.ident()?;
            c.word("ON").then_some(())?;
            let table = c.qualified_name()?;
            // As the preflight prints production's: USING (...) WITH CHECK (...).
            let expressions = [
                policy_part(statement, "USING").map(|e| format!("USING ({e})")),
                policy_part(statement, "CHECK").map(|e| format!("WITH CHECK ({e})")),
            ];
            let definition: Vec<String> = expressions.into_iter().flatten().collect();
            return Some(vec![Definition::new(
                "policy",
                table.quoted(),
                name,
                definition.join(" "),
            )]);
        }
        return None;
    }
    // ALTER TABLE [ONLY] table ADD CONSTRAINT name <definition>
    if c.words(&["ALTER", "TABLE"]) {
        c.word("ONLY");
        let table = c.qualified_name()?;
        c.words(&["ADD", "CONSTRAINT"]).then_some(())?;
        let name = c.ident()?;
        return Some(vec![Definition::new(
            "constraint",
            table.quoted(),
            name,
            c.rest().to_owned(),
        )]);
    }
    // GRANT privileges ON TABLE table TO grantees [WITH GRANT OPTION]
    if c.word("GRANT") {
        let privileges = statement
            .split_once(" ON TABLE ")?
            .0
            .trim_start()
            .strip_prefix("GRANT ")?;
        if privileges.contains('(') {
            return None; // column privileges
        }
        c.skip_to_word("TABLE").then_some(())?;
        let table = c.qualified_name()?;
        c.word("TO").then_some(())?;
        let grantable = body.ends_with("WITH GRANT OPTION");
        let mut rows = Vec::new();
        loop {
            let grantee = if c.word("PUBLIC") {
                "PUBLIC".to_owned()
            } else {
                ident(&c.ident()?)
            };
            if grantee != ident(owner) {
                let privileges: Vec<String> = if privileges.trim() == "ALL" {
                    all_privileges(server_major)
                        .into_iter()
                        .map(str::to_owned)
                        .collect()
                } else {
                    privileges.split(',').map(|p| p.trim().to_owned()).collect()
                };
                for privilege in privileges {
                    let (mark, option) = if grantable {
                        ("*", " WITH GRANT OPTION")
                    } else {
                        ("", "")
                    };
                    let statement = format!(
                        "GRANT {privilege} ON TABLE {} TO {grantee}{option}",
                        table.quoted()
                    );
                    rows.push(Definition::new(
                        "grant",
                        table.quoted(),
                        format!("{grantee} {privilege}{mark}"),
                        statement,
                    ));
                }
            }
            if !c.punct(',') {
                break;
            }
        }
        return Some(rows);
    }
    None
}

/// The column of `ALTER TABLE [ONLY] t ADD CONSTRAINT name NOT NULL column NOT VALID;`: a NOT
/// NULL that PostgreSQL 18 does not check over the rows the table had (pg_dump states it on its
/// own, after the table). None for any other statement.
pub fn not_valid_not_null(statement: &str) -> Option<String> {
    let stmts = statements(statement);
    let stmt = stmts.first()?;
    let mut c = Cursor::new(statement, stmt);
    c.words(&["ALTER", "TABLE"]).then_some(())?;
    c.word("ONLY");
    c.qualified_name()?;
    c.words(&["ADD", "CONSTRAINT"]).then_some(())?;
    c.ident()?;
    c.words(&["NOT", "NULL"]).then_some(())?;
    let column = c.ident()?;
    c.words(&["NOT", "VALID"]).then_some(column)
}

/// The expression of a policy's `USING (...)` or `WITH CHECK (...)`, without its parentheses.
fn policy_part(statement: &str, word: &str) -> Option<String> {
    let stmts = statements(statement);
    let stmt = stmts.first()?;
    let tokens: Vec<_> = stmt.words().collect();
    let start = tokens.iter().position(|t| t.is_word(statement, word))? + 1;
    if !tokens.get(start)?.is_punct(statement, '(') {
        return None;
    }
    let end = group_end(statement, &tokens, start)?;
    let (first, last) = (
        tokens[start + 1..end].first()?,
        tokens[start + 1..end].last()?,
    );
    Some(statement[first.span.start..last.span.end].to_owned())
}

/// `CREATE [MATERIALIZED] VIEW name AS <query> [WITH ... CHECK OPTION | WITH NO DATA];`: the
/// name and the query, as `pg_get_viewdef` prints it (without its `;`).
pub fn view_query(statement: &str) -> Option<(QualifiedName, String)> {
    let stmts = statements(statement);
    let stmt = stmts.first()?;
    let mut c = Cursor::new(statement, stmt);
    c.word("CREATE").then_some(())?;
    c.word("MATERIALIZED");
    c.word("VIEW").then_some(())?;
    let name = c.qualified_name()?;
    let (_, after) = statement.split_once(" AS\n")?;
    let query = after.trim_end().trim_end_matches(';');
    let query = [
        "\n  WITH NO DATA",
        "\n  WITH CASCADED CHECK OPTION",
        "\n  WITH LOCAL CHECK OPTION",
    ]
    .iter()
    .find_map(|suffix| query.strip_suffix(suffix))
    .unwrap_or(query);
    Some((name, query.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_valid_not_null_names_its_column() {
        assert_eq!(
            not_valid_not_null(
                "ALTER TABLE public.child\n    ADD CONSTRAINT child_v_present NOT NULL v NOT VALID;"
            ),
            Some("v".to_owned())
        );
        assert_eq!(
            not_valid_not_null(
                "ALTER TABLE ONLY public.t ADD CONSTRAINT \"n n\" NOT NULL \"Odd Col\" NOT VALID;"
            ),
            Some("Odd Col".to_owned())
        );
        assert_eq!(
            not_valid_not_null("ALTER TABLE public.t ADD CONSTRAINT c CHECK (v > 0) NOT VALID;"),
            None
        );
        assert_eq!(
            not_valid_not_null("ALTER TABLE public.t ADD CONSTRAINT n NOT NULL v;"),
            None
        );
    }

    type Row = Definition;

    fn row(kind: &str, table: &str, name: &str, definition: &str) -> Row {
        Definition::new(kind, table, name, definition)
    }

    #[test]
    fn reads_what_pg_dump_states() {
        let cases: [(&str, Vec<Row>); 6] = [
            (
                "CREATE INDEX reading_taken_brin ON public.reading USING brin (taken_at);",
                vec![row(
                    "index",
                    "public.reading",
                    "reading_taken_brin",
                    "CREATE INDEX reading_taken_brin ON public.reading USING brin (taken_at)",
                )],
            ),
            (
                "ALTER TABLE ONLY public.reading\n    ADD CONSTRAINT reading_pkey PRIMARY KEY (id);",
                vec![row(
                    "constraint",
                    "public.reading",
                    "reading_pkey",
                    "PRIMARY KEY (id)",
                )],
            ),
            (
                "CREATE TRIGGER reading_touch BEFORE INSERT ON public.reading FOR EACH ROW EXECUTE FUNCTION public.touch();",
                vec![row(
                    "trigger",
                    "public.reading",
                    "reading_touch",
                    "CREATE TRIGGER reading_touch BEFORE INSERT ON public.reading FOR EACH ROW EXECUTE FUNCTION public.touch()",
                )],
            ),
            (
                "CREATE POLICY audit ON public.ledger AS RESTRICTIVE USING (true) WITH CHECK ((amount < (1000)::numeric));",
                vec![row(
                    "policy",
                    "public.ledger",
                    "audit",
                    "USING (true) WITH CHECK ((amount < (1000)::numeric))",
                )],
            ),
            (
                "GRANT SELECT,INSERT ON TABLE public.reading TO app_writer;",
                vec![
                    row(
                        "grant",
                        "public.reading",
                        "app_writer SELECT",
                        "GRANT SELECT ON TABLE public.reading TO app_writer",
                    ),
                    row(
                        "grant",
                        "public.reading",
                        "app_writer INSERT",
                        "GRANT INSERT ON TABLE public.reading TO app_writer",
                    ),
                ],
            ),
            (
                "GRANT SELECT ON TABLE public.reading TO \"Report Bot\" WITH GRANT OPTION;",
                vec![row(
                    "grant",
                    "public.reading",
                    "\"Report Bot\" SELECT*",
                    "GRANT SELECT ON TABLE public.reading TO \"Report Bot\" WITH GRANT OPTION",
                )],
            ),
        ];
        for (statement, expected) in cases {
            assert_eq!(
                definitions(statement, "postgres", 15),
                Some(expected),
                "{statement}"
            );
        }
    }

    #[test]
    fn grants_to_the_owner_and_column_grants_are_not_compared() {
        assert_eq!(
            definitions("GRANT ALL ON TABLE public.t TO postgres;", "postgres", 15),
            Some(vec![])
        );
        assert_eq!(
            definitions(
                "GRANT UPDATE(amount) ON TABLE public.t TO clerk;",
                "postgres",
                15
            ),
            None
        );
    }

    #[test]
    fn grant_all_stands_for_the_servers_privileges() {
        let rows =
            definitions("GRANT ALL ON TABLE public.t TO app;", "postgres", 17).expect("rows");
        assert_eq!(rows.len(), 8, "MAINTAIN exists from PostgreSQL 17");
        assert_eq!(
            definitions("GRANT ALL ON TABLE public.t TO app;", "postgres", 16).map(|r| r.len()),
            Some(7)
        );
    }

    #[test]
    fn view_queries_without_their_options() {
        let view = "CREATE VIEW public.reading_big AS\n SELECT reading.id\n   FROM public.reading\n  WHERE (reading.value > (100)::double precision)\n  WITH CASCADED CHECK OPTION;";
        assert_eq!(
            view_query(view),
            Some((
                QualifiedName::new("public", "reading_big"),
                " SELECT reading.id\n   FROM public.reading\n  WHERE (reading.value > (100)::double precision)".to_owned()
            ))
        );
        let matview = "CREATE MATERIALIZED VIEW public.m AS\n SELECT 1 AS one\n  WITH NO DATA;";
        assert_eq!(
            view_query(matview).map(|(_, q)| q),
            Some(" SELECT 1 AS one".to_owned())
        );
    }
}
