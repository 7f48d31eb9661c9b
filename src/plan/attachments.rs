//! Everything that hangs off a restored table, found in the listing: what is rebuilt on the
//! staging table, what the cutover must re-point or re-create, and what restage cannot carry
//! across the swap (compile stops and says so).
//!
//! Dependent objects point at a table's OID, not its name, so after a swap they still point at
//! the replaced table. Each kind of dependent has its own way across; anything else refuses.

use std::collections::BTreeSet;

use super::error::Problem;
use super::listing::{Index, fk_tables};
use super::resolve::ResolvedTable;
use crate::schema::SchemaSql;
use crate::sql::QualifiedName;
use crate::toc::Entry;

/// What hangs off one staged table, as listing entry ids in listing order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitAttachments {
    /// PRIMARY KEY, UNIQUE, CHECK and EXCLUDE constraints and indexes: built on staging first.
    pub keys: Vec<u32>,
    /// The table's own foreign keys: built on staging after every key exists.
    pub foreign_keys: Vec<u32>,
    /// Triggers, rules, policies, row level security: built on staging after the load.
    pub behaviour: Vec<u32>,
    /// Extended statistics: built in the staging schema, moved with the table at cutover.
    pub statistics: Vec<u32>,
    /// Comments and grants on the table, its columns and the objects above.
    pub comments_and_grants: Vec<u32>,
    /// Foreign keys of tables outside the swap that reference this table: re-pointed at cutover.
    pub inbound_foreign_keys: Vec<u32>,
    /// Publication memberships: moved at cutover.
    pub publications: Vec<u32>,
    /// Tables outside the plan that inherit from this one: moved to the new parent at cutover.
    pub children: Vec<u32>,
    /// Column defaults stated apart from `CREATE TABLE` (inherited columns of a child table).
    pub defaults: Vec<u32>,
}

impl UnitAttachments {
    /// The referencing table and the constraint name of each inbound foreign key, as its
    /// `ALTER TABLE ... ADD CONSTRAINT` in the schema SQL states them: the one reading that the
    /// cutover's locks, REVIEW.md and lint all use.
    pub fn inbound_foreign_key_tables<'a>(
        &'a self,
        schema: &'a SchemaSql,
    ) -> impl Iterator<Item = (QualifiedName, String)> + 'a {
        self.inbound_foreign_keys
            .iter()
            .filter_map(|id| schema.block(*id)?.added_constraint())
    }
}

/// Objects that depend on restored tables and are re-created at cutover, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependents {
    /// Views: `CREATE OR REPLACE VIEW` after the swap.
    pub views: Vec<u32>,
    /// Materialized views: dropped before the swap, created `WITH NO DATA` after it, refreshed
    /// by 55-after-cutover.sql.
    pub matviews: Vec<Matview>,
    /// Functions that use a restored table's row type or read it in a `BEGIN ATOMIC` body:
    /// dropped and created again.
    pub functions: Vec<Function>,
    /// Foreign keys of partitioned plan tables (which stay in place) that reference restored
    /// tables: dropped while the parent has no partitions, added again.
    pub parent_foreign_keys: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matview {
    pub id: u32,
    /// Its `MATERIALIZED VIEW DATA` entry: present when production's is populated.
    pub data: Option<u32>,
    pub indexes: Vec<u32>,
    pub comments_and_grants: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub id: u32,
    pub comments_and_grants: Vec<u32>,
}

/// What the listing entries that depend on the plan's tables are, or why they cannot be carried.
pub(super) fn classify(
    tables: &mut [ResolvedTable],
    index: &Index,
    schema: &SchemaSql,
) -> Result<Dependents, Vec<Problem>> {
    let unit_ids: BTreeSet<u32> = tables
        .iter()
        .flat_map(|t| t.units.iter().map(|u| u.table_id))
        .collect();
    let parent_ids: BTreeSet<u32> = tables
        .iter()
        .filter(|t| t.partitioned)
        .map(|t| t.table_id)
        .collect();
    let mut problems = Vec::new();
    let mut views = BTreeSet::new();
    let mut matviews = BTreeSet::new();
    let mut functions = BTreeSet::new();
    let mut parent_foreign_keys = BTreeSet::new();

    for table in tables.iter_mut() {
        let span = table.span;
        let refuse = |entry: &Entry, why: &str| {
            Problem::new(
                span,
                format!(
                    "{} cannot be carried across the swap of {}: {why}",
                    describe(entry),
                    table.name
                ),
                "depended on",
            )
            .help("leave this table out of the plan, or drop that object before the restore and create it again after")
        };
        if table.partitioned {
            for entry in index.all_dependents(table.table_id) {
                // The parent stays in place: what depends on it keeps working, except its own
                // foreign keys to swapped tables, and foreign keys into it, which stop its
                // partitions from being detached.
                if entry.desc != "FK CONSTRAINT" {
                    continue;
                }
                match fk_tables(index, entry) {
                    Some((owner, referenced)) if owner == table.table_id && referenced != owner => {
                        table.foreign_keys.push(entry.id);
                        if unit_ids.contains(&referenced) {
                            parent_foreign_keys.insert(entry.id);
                        }
                    }
                    Some((owner, referenced)) if referenced == table.table_id && owner != referenced => problems.push(refuse(
                        entry,
                        "a partition cannot be detached while a foreign key references the partitioned table",
                    )),
                    _ => {}
                }
            }
        }
        for unit in &mut table.units {
            let mut found = UnitAttachments::default();
            let mut own: BTreeSet<u32> = BTreeSet::from([unit.table_id]);
            for entry in index.all_dependents(unit.table_id) {
                match entry.desc.as_ref() {
                    // Restored, staged or swapped as part of the table itself.
                    "TABLE DATA" | "SEQUENCE" | "SEQUENCE OWNED BY" | "DEFAULT"
                    | "TABLE ATTACH" | "INDEX ATTACH" | "STATISTICS DATA" => {}
                    "CONSTRAINT" | "CHECK CONSTRAINT" | "INDEX" => {
                        found.keys.push(entry.id);
                        own.insert(entry.id);
                    }
                    "TRIGGER" | "RULE" | "POLICY" | "ROW SECURITY" => {
                        found.behaviour.push(entry.id);
                        own.insert(entry.id);
                    }
                    "STATISTICS" => {
                        found.statistics.push(entry.id);
                        own.insert(entry.id);
                    }
                    "FK CONSTRAINT" => match fk_tables(index, entry) {
                        Some((owner, _)) if owner == unit.table_id => {
                            found.foreign_keys.push(entry.id);
                            own.insert(entry.id);
                        }
                        Some((owner, _)) if unit_ids.contains(&owner) => {}
                        Some((owner, _)) if parent_ids.contains(&owner) => {}
                        Some(_) => found.inbound_foreign_keys.push(entry.id),
                        None => problems.push(refuse(
                            entry,
                            "restage cannot tell which tables it connects",
                        )),
                    },
                    "PUBLICATION TABLE" => found.publications.push(entry.id),
                    "COMMENT" | "ACL" => {}
                    "SECURITY LABEL" => {
                        problems.push(refuse(entry, "restage does not carry security labels"))
                    }
                    "VIEW" => {
                        views.insert(entry.id);
                    }
                    "MATERIALIZED VIEW" => {
                        matviews.insert(entry.id);
                    }
                    "FUNCTION" | "PROCEDURE" => {
                        functions.insert(entry.id);
                    }
                    "TABLE" if schema.block(entry.id).is_some_and(|b| b.inherits()) => {
                        if !unit_ids.contains(&entry.id) {
                            found.children.push(entry.id);
                        }
                    }
                    _ => problems.push(refuse(entry, "restage does not know how to move it")),
                }
            }
            // Comments and grants on the table, its columns, and what was found above.
            for id in &own {
                for entry in index.all_dependents(*id) {
                    match entry.desc.as_ref() {
                        "COMMENT" | "ACL" => found.comments_and_grants.push(entry.id),
                        // One on the table itself was refused above.
                        "SECURITY LABEL" if *id != unit.table_id => {
                            problems.push(refuse(entry, "restage does not carry security labels"))
                        }
                        _ => {}
                    }
                }
            }
            found
                .comments_and_grants
                .sort_by_key(|id| index.by_id.get(id).map(|e| e.line));
            found.comments_and_grants.dedup();
            unit.attachments = found;
        }
    }

    let mut dependents = Dependents {
        views: in_listing_order(index, views),
        parent_foreign_keys: in_listing_order(index, parent_foreign_keys),
        ..Dependents::default()
    };
    for id in in_listing_order(index, matviews) {
        let mut matview = Matview {
            id,
            data: None,
            indexes: Vec::new(),
            comments_and_grants: Vec::new(),
        };
        for entry in index.all_dependents(id) {
            match entry.desc.as_ref() {
                "MATERIALIZED VIEW DATA" => matview.data = Some(entry.id),
                "INDEX" => {
                    matview.indexes.push(entry.id);
                    matview.comments_and_grants.extend(
                        index
                            .all_dependents(entry.id)
                            .filter(|e| e.desc == "COMMENT")
                            .map(|e| e.id),
                    );
                }
                "COMMENT" | "ACL" => matview.comments_and_grants.push(entry.id),
                "STATISTICS DATA" => {}
                _ => problems.push(refused_dependent(
                    index,
                    tables,
                    id,
                    entry,
                    "it would be dropped with the materialized view, which the cutover re-creates",
                )),
            }
        }
        dependents.matviews.push(matview);
    }
    for id in in_listing_order(index, functions) {
        let mut function = Function {
            id,
            comments_and_grants: Vec::new(),
        };
        for entry in index.all_dependents(id) {
            match entry.desc.as_ref() {
                "COMMENT" | "ACL" => function.comments_and_grants.push(entry.id),
                _ => problems.push(refused_dependent(
                    index,
                    tables,
                    id,
                    entry,
                    "it would be dropped with the function, which the cutover re-creates",
                )),
            }
        }
        dependents.functions.push(function);
    }
    if problems.is_empty() {
        Ok(dependents)
    } else {
        Err(problems)
    }
}

fn in_listing_order(index: &Index, ids: BTreeSet<u32>) -> Vec<u32> {
    let mut ids: Vec<u32> = ids.into_iter().collect();
    ids.sort_by_key(|id| index.by_id.get(id).map(|e| e.line));
    ids
}

fn refused_dependent(
    index: &Index,
    tables: &[ResolvedTable],
    object: u32,
    entry: &Entry,
    why: &str,
) -> Problem {
    let span = tables.first().map_or_else(|| (0, 0).into(), |t| t.span);
    let object = index
        .by_id
        .get(&object)
        .map_or_else(|| format!("entry {object}"), |e| describe(e));
    Problem::new(span, format!("{} depends on {object}, which depends on a restored table: {why}", describe(entry)), "depended on")
        .help("leave the tables it reads out of the plan, or drop those objects before the restore and create them again after")
}

/// `VIEW public.reading_recent (listing line 94)`, `COMMENT on TABLE reading (listing line 77)`.
pub fn describe(entry: &Entry) -> String {
    if matches!(entry.desc.as_ref(), "COMMENT" | "ACL" | "SECURITY LABEL")
        && let Some(names) = entry.names()
    {
        return format!(
            "{} on {} (listing line {})",
            entry.desc, names.name, entry.line
        );
    }
    let name = match entry.names() {
        Some(n) => match n.schema {
            Some(schema) => format!("{schema}.{}", n.name),
            None => n.name.to_owned(),
        },
        None => format!("entry {}", entry.id),
    };
    format!("{} {name} (listing line {})", entry.desc, entry.line)
}
