//! What production must still look like for the swap to carry everything: the definitions the
//! schema SQL gives for each restored table, and for the objects the cutover re-creates from
//! it. 00-preflight.sql compares them with production's catalog (`pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_triggerdef`, ...), which is where pg_dump took them from,
//! and stops on any difference: an index added since the dump must not silently disappear.

use serde::Serialize;

use crate::plan::Resolved;
use crate::schema::{Block, SchemaSql};
use crate::sql::QualifiedName;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::{group_end, statements};
use crate::sql::quote::{ident, literal};

/// One definition production must have, as SQL literals.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Expected {
    pub kind: String,
    pub table: String,
    pub name: String,
    pub definition: String,
}

/// Everything the preflight checks, and the relations it looks at.
#[derive(Debug, Default, Serialize)]
pub struct Drift {
    pub expected: Vec<Expected>,
    /// Tables whose columns, indexes, constraints, triggers, policies and grants are compared.
    pub tables: Vec<String>,
    /// Partitioned tables whose foreign keys are compared.
    pub parents: Vec<String>,
    /// Views and materialized views whose queries are compared.
    pub views: Vec<String>,
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

pub fn drift(resolved: &Resolved, schema: &SchemaSql, server_major: u32) -> Drift {
    let mut rows: Vec<(String, String, String, String)> = Vec::new();
    let mut tables = Vec::new();
    let mut parents = Vec::new();
    let mut views = Vec::new();
    let statement_texts = |id: u32| {
        schema
            .block(id)
            .map(Block::statement_texts)
            .unwrap_or_default()
    };

    for table in &resolved.tables {
        if table.partitioned {
            // The partitioned table stays; only its foreign keys are added again at cutover.
            parents.push(table.name.quoted());
            let owner = schema
                .block(table.table_id)
                .and_then(|b| b.owner.clone())
                .unwrap_or_default();
            for statement in table
                .foreign_keys
                .iter()
                .flat_map(|id| statement_texts(*id))
            {
                rows.extend(definition_row(&statement, &owner, server_major).unwrap_or_default());
            }
        }
        for unit in &table.units {
            let quoted = unit.name.quoted();
            tables.push(quoted.clone());
            let Some(block) = schema.block(unit.table_id) else {
                continue;
            };
            let create = block.create_table().unwrap_or_default();
            for (column, ty) in &create.columns {
                rows.push(("column".into(), quoted.clone(), column.clone(), ty.clone()));
            }
            for (constraint, definition) in &create.constraints {
                rows.push((
                    "constraint".into(),
                    quoted.clone(),
                    constraint.clone(),
                    definition.clone(),
                ));
            }
            let owner = block.owner.clone().unwrap_or_default();
            let a = &unit.attachments;
            // Inbound foreign keys are stated on the tables they belong to.
            let ids = a
                .keys
                .iter()
                .chain(&a.foreign_keys)
                .chain(&a.behaviour)
                .chain(&a.comments_and_grants)
                .chain(&a.inbound_foreign_keys);
            for statement in ids.flat_map(|id| statement_texts(*id)) {
                rows.extend(definition_row(&statement, &owner, server_major).unwrap_or_default());
            }
        }
    }
    let view_ids = resolved
        .dependents
        .views
        .iter()
        .copied()
        .chain(resolved.dependents.matviews.iter().map(|m| m.id));
    for id in view_ids {
        let Some(block) = schema.block(id) else {
            continue;
        };
        let Some((name, query)) = block.statement_texts().iter().find_map(|s| view_query(s)) else {
            continue;
        };
        views.push(name.quoted());
        rows.push(("view".into(), name.quoted(), name.quoted(), query));
    }
    rows.sort();
    rows.dedup();
    tables.sort();
    tables.dedup();
    let expected = rows
        .into_iter()
        .map(|(kind, table, name, definition)| Expected {
            kind: literal(&kind),
            table: literal(&table),
            name: literal(&name),
            definition: literal(&definition),
        })
        .collect();
    let literals = |names: Vec<String>| names.iter().map(|n| literal(n)).collect();
    Drift {
        expected,
        tables: literals(tables),
        parents: literals(parents),
        views: literals(views),
    }
}

/// The rows one pg_dump statement states: an index, a constraint, a trigger, a policy, grants.
fn definition_row(
    statement: &str,
    owner: &str,
    server_major: u32,
) -> Option<Vec<(String, String, String, String)>> {
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
            return Some(vec![(
                "index".into(),
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
            return Some(vec![(
                "trigger".into(),
                table.quoted(),
                name,
                body.to_owned(),
            )]);
        }
        if c.word("POLICY") {
            let name = c.ident()?;
            c.word("ON").then_some(())?;
            let table = c.qualified_name()?;
            let expressions = [
                policy_part(statement, "USING"),
                policy_part(statement, "CHECK"),
            ];
            let definition: Vec<String> = expressions.into_iter().flatten().collect();
            return Some(vec![(
                "policy".into(),
                table.quoted(),
                name,
                definition.join(" | "),
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
        return Some(vec![(
            "constraint".into(),
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
                    rows.push((
                        "grant".into(),
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
fn view_query(statement: &str) -> Option<(QualifiedName, String)> {
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

    type Row = (String, String, String, String);

    fn row(kind: &str, table: &str, name: &str, definition: &str) -> Row {
        (kind.into(), table.into(), name.into(), definition.into())
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
                    "true | (amount < (1000)::numeric)",
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
                definition_row(statement, "postgres", 15),
                Some(expected),
                "{statement}"
            );
        }
    }

    #[test]
    fn grants_to_the_owner_and_column_grants_are_not_compared() {
        assert_eq!(
            definition_row("GRANT ALL ON TABLE public.t TO postgres;", "postgres", 15),
            Some(vec![])
        );
        assert_eq!(
            definition_row(
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
            definition_row("GRANT ALL ON TABLE public.t TO app;", "postgres", 17).expect("rows");
        assert_eq!(rows.len(), 8, "MAINTAIN exists from PostgreSQL 17");
        assert_eq!(
            definition_row("GRANT ALL ON TABLE public.t TO app;", "postgres", 16).map(|r| r.len()),
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
