//! Everything that hangs off a restored table, found in the listing: what is rebuilt on the
//! staging table, what the cutover must re-point or re-create, and what restage cannot carry
//! across the swap (compile stops and says so).
//!
//! Dependent objects point at a table's OID, not its name, so after a swap they still point at
//! the replaced table. Each kind of dependent has its own way across; anything else refuses.

use std::collections::{BTreeMap, BTreeSet};

use super::error::Problem;
use super::listing::{Index, fk_tables};
use super::resolved::{Dependents, Function, Matview, ResolvedTable, UnitAttachments};
use crate::schema::SchemaSql;
use crate::toc::{Desc, Entry};

/// What hangs off the plan's tables, found in the listing.
pub(super) struct Classified {
    /// For each table, for each of its units: what hangs off that unit.
    pub attachments: Vec<Vec<UnitAttachments>>,
    /// For each table: a partitioned table's own foreign keys (none for other tables).
    pub foreign_keys: Vec<Vec<u32>>,
    pub dependents: Dependents,
}

/// What the listing entries that depend on the plan's tables are, or why they cannot be carried.
pub(super) fn classify(
    tables: &[ResolvedTable],
    index: &Index,
    schema: &SchemaSql,
) -> Result<Classified, Vec<Problem>> {
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
    // Each re-created object, with the plan table it was found through (named in a refusal).
    let mut matviews: BTreeMap<u32, usize> = BTreeMap::new();
    let mut functions: BTreeMap<u32, usize> = BTreeMap::new();
    let mut parent_foreign_keys = BTreeSet::new();
    let mut attachments = Vec::new();
    let mut foreign_keys = Vec::new();

    for (table_index, table) in tables.iter().enumerate() {
        let mut own_foreign_keys = Vec::new();
        let mut unit_attachments = Vec::new();
        let span = table.span;
        let refuse_with = |entry: &Entry, why: &str, help: &str| {
            Problem::new(
                span,
                format!(
                    "{} cannot be carried across the swap of {}: {why}",
                    describe(entry),
                    table.name
                ),
                "depended on",
            )
            .help(help)
        };
        let refuse = |entry: &Entry, why: &str| {
            refuse_with(
                entry,
                why,
                "leave this table out of the plan, or drop that object before the restore and create it again after",
            )
        };
        let refuse_partitioned_reference = |entry: &Entry| {
            let help = if table.accept_orphans {
                "with accept_orphans: true on this table it cannot be added back valid (orphans would make the cutover fail); restore without accept_orphans, or leave this table out of the plan"
            } else {
                "set check_partitioned_references: true on this table in the plan to have the cutover add it back valid, checking every row of that table while it holds its locks (see REVIEW.md's cutover window), or leave this table out of the plan"
            };
            refuse_with(
                entry,
                "it belongs to a partitioned table, and before PostgreSQL 18 a foreign key cannot be added to one NOT VALID",
                help,
            )
        };
        if table.partitioned {
            for entry in index.all_dependents(table.table_id) {
                // The parent stays in place: what depends on it keeps working, except its own
                // foreign keys to swapped tables, and foreign keys into it, which stop its
                // partitions from being detached.
                if entry.desc != Desc::FkConstraint {
                    continue;
                }
                match fk_tables(index, entry) {
                    Some((owner, referenced)) if owner == table.table_id && referenced != owner => {
                        own_foreign_keys.push(entry.id);
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
        for unit in &table.units {
            let mut found = UnitAttachments::default();
            let mut own: BTreeSet<u32> = BTreeSet::from([unit.table_id]);
            for entry in index.all_dependents(unit.table_id) {
                match &entry.desc {
                    // Restored, staged or swapped as part of the table itself.
                    Desc::TableData
                    | Desc::Sequence
                    | Desc::SequenceOwnedBy
                    | Desc::Default
                    | Desc::TableAttach
                    | Desc::IndexAttach
                    | Desc::StatisticsData => {}
                    Desc::Constraint | Desc::CheckConstraint | Desc::Index => {
                        found.keys.push(entry.id);
                        own.insert(entry.id);
                    }
                    Desc::Trigger | Desc::Rule | Desc::Policy | Desc::RowSecurity => {
                        found.behaviour.push(entry.id);
                        own.insert(entry.id);
                    }
                    Desc::Statistics => {
                        found.statistics.push(entry.id);
                        own.insert(entry.id);
                    }
                    Desc::FkConstraint => match fk_tables(index, entry) {
                        Some((owner, _)) if owner == unit.table_id => {
                            found.foreign_keys.push(entry.id);
                            own.insert(entry.id);
                        }
                        Some((owner, _)) if unit_ids.contains(&owner) => {}
                        Some((owner, _)) if parent_ids.contains(&owner) => {}
                        Some((owner, _))
                            if index.toc.header.dumped_from_major() < 18
                                && schema
                                    .block(owner)
                                    .and_then(super::super::schema::Block::create_table)
                                    .is_some_and(|t| t.partition_by.is_some()) =>
                        {
                            if table.check_partitioned_references && !table.accept_orphans {
                                found.inbound_foreign_keys.push(entry.id);
                                found.checked_at_cutover.push(entry.id);
                                found
                                    .inbound_partitions
                                    .insert(entry.id, index.partitions(owner));
                            } else {
                                problems.push(refuse_partitioned_reference(entry));
                            }
                        }
                        Some((owner, _)) => {
                            found.inbound_foreign_keys.push(entry.id);
                            let partitions = index.partitions(owner);
                            if !partitions.is_empty() {
                                found.inbound_partitions.insert(entry.id, partitions);
                            }
                        }
                        None => problems.push(refuse(
                            entry,
                            "restage cannot tell which tables it connects",
                        )),
                    },
                    // Commented out in the listing: left out of the restore, as pg_restore -L
                    // leaves it (the way to take a table out of a publication for the swap).
                    Desc::PublicationTable if entry.disabled => {}
                    Desc::PublicationTable => found.publications.push(entry.id),
                    Desc::Comment | Desc::Acl => {}
                    Desc::SecurityLabel => {
                        problems.push(refuse(entry, "restage does not carry security labels"));
                    }
                    Desc::View => {
                        views.insert(entry.id);
                    }
                    Desc::MaterializedView => {
                        matviews.entry(entry.id).or_insert(table_index);
                    }
                    Desc::Function | Desc::Procedure => {
                        functions.entry(entry.id).or_insert(table_index);
                    }
                    Desc::Table
                        if schema
                            .block(entry.id)
                            .is_some_and(super::super::schema::Block::inherits) =>
                    {
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
                    match &entry.desc {
                        Desc::Comment | Desc::Acl => found.comments_and_grants.push(entry.id),
                        // One on the table itself was refused above.
                        Desc::SecurityLabel if *id != unit.table_id => {
                            problems.push(refuse(entry, "restage does not carry security labels"));
                        }
                        _ => {}
                    }
                }
            }
            found
                .comments_and_grants
                .sort_by_key(|id| index.by_id.get(id).map(|e| e.line));
            found.comments_and_grants.dedup();
            unit_attachments.push(found);
        }
        attachments.push(unit_attachments);
        foreign_keys.push(own_foreign_keys);
    }

    let mut dependents = Dependents {
        views: in_listing_order(index, views),
        parent_foreign_keys: in_listing_order(index, parent_foreign_keys),
        ..Dependents::default()
    };
    // A materialized view over one the cutover re-creates is dropped and re-created with it:
    // dropped before it, created after it (pg_dump lists them in that order), refreshed after.
    let mut pending: Vec<(u32, usize)> = matviews.iter().map(|(id, t)| (*id, *t)).collect();
    while let Some((id, table_index)) = pending.pop() {
        for entry in index.all_dependents(id) {
            if entry.desc == Desc::MaterializedView && !matviews.contains_key(&entry.id) {
                matviews.insert(entry.id, table_index);
                pending.push((entry.id, table_index));
            }
        }
    }
    for id in in_listing_order(index, matviews.keys().copied().collect()) {
        let table = &tables[matviews[&id]];
        let mut matview = Matview {
            id,
            data: None,
            indexes: Vec::new(),
            comments_and_grants: Vec::new(),
        };
        for entry in index.all_dependents(id) {
            match &entry.desc {
                Desc::MaterializedViewData => matview.data = Some(entry.id),
                Desc::Index => {
                    matview.indexes.push(entry.id);
                    matview.comments_and_grants.extend(
                        index
                            .all_dependents(entry.id)
                            .filter(|e| e.desc == Desc::Comment)
                            .map(|e| e.id),
                    );
                }
                Desc::Comment | Desc::Acl => matview.comments_and_grants.push(entry.id),
                Desc::StatisticsData | Desc::MaterializedView => {}
                _ => problems.push(refused_dependent(
                    index,
                    table,
                    id,
                    entry,
                    "it would be dropped with the materialized view, which the cutover re-creates",
                )),
            }
        }
        dependents.matviews.push(matview);
    }
    for id in in_listing_order(index, functions.keys().copied().collect()) {
        let table = &tables[functions[&id]];
        let mut function = Function {
            id,
            comments_and_grants: Vec::new(),
        };
        for entry in index.all_dependents(id) {
            match &entry.desc {
                Desc::Comment | Desc::Acl => function.comments_and_grants.push(entry.id),
                _ => problems.push(refused_dependent(
                    index,
                    table,
                    id,
                    entry,
                    "it would be dropped with the function, which the cutover re-creates",
                )),
            }
        }
        dependents.functions.push(function);
    }
    if problems.is_empty() {
        Ok(Classified {
            attachments,
            foreign_keys,
            dependents,
        })
    } else {
        Err(problems)
    }
}

fn in_listing_order(index: &Index, ids: BTreeSet<u32>) -> Vec<u32> {
    let mut ids: Vec<u32> = ids.into_iter().collect();
    ids.sort_by_key(|id| index.by_id.get(id).map(|e| e.line));
    ids
}

/// A refusal of `entry`, which depends on `object`, which the cutover re-creates because it
/// depends on `table` (or on another such object that does).
fn refused_dependent(
    index: &Index,
    table: &ResolvedTable,
    object: u32,
    entry: &Entry,
    why: &str,
) -> Problem {
    let object = index
        .by_id
        .get(&object)
        .map_or_else(|| format!("entry {object}"), |e| describe(e));
    Problem::new(
        table.span,
        format!(
            "{} depends on {object}, which depends on restored table {}: {why}",
            describe(entry),
            table.name
        ),
        "depended on",
    )
        .help("leave the tables it reads out of the plan, or drop those objects before the restore and create them again after")
}

/// `VIEW public.reading_recent (listing line 94)`, `COMMENT on TABLE reading (listing line 77)`.
pub(super) fn describe(entry: &Entry) -> String {
    if matches!(entry.desc, Desc::Comment | Desc::Acl | Desc::SecurityLabel)
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
