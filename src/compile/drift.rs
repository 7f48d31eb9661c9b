//! What production must still look like for the swap to carry everything: the definitions the
//! schema SQL gives for each restored table, and for the objects the cutover re-creates from
//! it. 00-preflight.sql compares them with production's catalog (`pg_get_indexdef`,
//! `pg_get_constraintdef`, `pg_get_triggerdef`, ...), which is where pg_dump took them from,
//! and stops on any difference: an index added since the dump must not silently disappear.

use serde::Serialize;

use crate::plan::Resolved;
use crate::schema::definition::{Definition, definitions, view_query};
use crate::schema::{Block, SchemaSql};
use crate::sql::QualifiedName;
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

pub(super) fn drift(resolved: &Resolved, schema: &SchemaSql, server_major: u32) -> Drift {
    let mut rows: Vec<Definition> = Vec::new();
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
                rows.extend(definitions(&statement, &owner, server_major).unwrap_or_default());
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
                rows.push(Definition::new("column", quoted.clone(), column, ty));
            }
            if let Some(of_type) = &create.of_type {
                rows.push(Definition::new(
                    "row type",
                    quoted.clone(),
                    "",
                    format!("OF {}", of_type.quoted()),
                ));
            }
            if !create.inherits.is_empty() {
                let parents: Vec<String> =
                    create.inherits.iter().map(QualifiedName::quoted).collect();
                rows.push(Definition::new(
                    "parents",
                    quoted.clone(),
                    "",
                    parents.join(", "),
                ));
            }
            for publication in unit
                .attachments
                .publications
                .iter()
                .filter_map(|id| schema.block(*id).and_then(Block::publication))
            {
                rows.push(Definition::new(
                    "publication",
                    quoted.clone(),
                    ident(&publication),
                    "member",
                ));
            }
            let inherited = unit
                .partition
                .as_ref()
                .map(|p| &p.inherited_constraints[..])
                .unwrap_or_default();
            for (constraint, definition) in create
                .constraints
                .iter()
                .filter(|(name, _)| !inherited.contains(name))
            {
                rows.push(Definition::new(
                    "constraint",
                    quoted.clone(),
                    constraint,
                    definition,
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
                rows.extend(definitions(&statement, &owner, server_major).unwrap_or_default());
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
        rows.push(Definition::new("view", name.quoted(), name.quoted(), query));
    }
    rows.sort();
    rows.dedup();
    tables.sort();
    tables.dedup();
    let expected = rows
        .into_iter()
        .map(|d| Expected {
            kind: literal(&d.kind),
            table: literal(&d.table),
            name: literal(&d.name),
            definition: literal(&d.text),
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
