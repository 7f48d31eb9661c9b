//! Tying a plan to its archive: each plan table to its listing entries, partitions expanded to
//! leaves, sequences found in the schema SQL, tables put in dependency order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use miette::SourceSpan;

use super::attachments;
use super::error::Problem;
use super::listing::{Index, attach_child, fk_tables};
use super::resolved::{
    DataEntry, Partition, Resolved, ResolvedTable, SchemaPair, SequenceKind, SequenceUse, Unit,
    UnitAttachments,
};
use super::{Mode, Plan, PlanTable, RecoveredTable, Recovery};
use crate::graph::{self, Edge, Reason};
use crate::schema::{ForeignKeyColumns, SchemaSql};
use crate::sql::QualifiedName;
use crate::sql::name::MAX_IDENT_BYTES;
use crate::toc::{Desc, Entry, Toc};

/// Ties `plan` to `toc` (and `schema`, when the plan names one), or says everything that does
/// not fit.
pub fn resolve(
    plan: &Plan,
    toc: &Toc,
    schema: Option<&SchemaSql>,
) -> Result<Resolved, Vec<Problem>> {
    let Some(schema) = schema else {
        return Err(vec![Problem::new(
            plan.source.listing.span,
            "the plan has no schema SQL (source.schema)",
            "add schema: next to this",
        )
        .help("restage takes every definition it writes from pg_restore --schema-only -v -f FILE DUMP: name that file in source: schema:")]);
    };
    let index = Index::new(toc, schema);
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    for table in &plan.tables {
        match resolve_table(plan, table, &index, schema) {
            Ok(resolved) => tables.push(resolved),
            Err(problem) => problems.push(problem),
        }
    }
    problems.extend(overlapping_partitions(&tables));
    problems.extend(check_after(plan));
    let schemas = staging_schemas(plan, &tables, &index, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    // A recover table is staged and loaded but never swapped: none of what the swap carries
    // over (attachments, dependents, the cutover's order) applies to it.
    let (recovered, mut tables): (Vec<_>, Vec<_>) =
        tables.into_iter().partition(|t| t.recovery.is_some());
    if let (Some(recover), Some(swap)) = (recovered.first(), tables.first()) {
        return Err(vec![
            Problem::new(
                recover.span,
                format!(
                    "{} is recovered and {} is swapped: one plan does one or the other (mixing them is not built yet)",
                    recover.name, swap.name
                ),
                "mode: recover",
            )
            .help("put the recover tables in a plan of their own, run after the swap's cutover"),
        ]);
    }
    let recovered = recovery_order(plan, recovered, &index)?;
    let classified = attachments::classify(&tables, &index, schema)?;
    for ((table, units), foreign_keys) in tables
        .iter_mut()
        .zip(classified.attachments)
        .zip(classified.foreign_keys)
    {
        for (unit, attachments) in table.units.iter_mut().zip(units) {
            unit.attachments = attachments;
        }
        table.foreign_keys = foreign_keys;
    }
    let dependents = classified.dependents;
    let referenced_partitions = referenced_partitions(&tables, &index);

    let names: Vec<QualifiedName> = tables.iter().map(|t| t.name.clone()).collect();
    let edges = dependency_edges(plan, &tables, &index);
    let order = graph::order(&names, &edges)
        .map_err(|cycle| vec![cycle_problem(&names, &tables, &cycle)])?;
    let position: HashMap<usize, usize> = order
        .iter()
        .enumerate()
        .map(|(new, &old)| (old, new))
        .collect();
    let edges = edges
        .into_iter()
        .map(|e| Edge {
            before: position[&e.before],
            after: position[&e.after],
            reason: e.reason,
        })
        .collect();
    let mut slots: Vec<Option<ResolvedTable>> = tables.into_iter().map(Some).collect();
    let tables = order.iter().filter_map(|&i| slots[i].take()).collect();
    Ok(Resolved {
        tables,
        recovered,
        edges,
        schemas,
        dependents,
        referenced_partitions,
    })
}

/// The recover tables parents first: a child's rows go in once the parents they need are back.
fn recovery_order(
    plan: &Plan,
    recovered: Vec<ResolvedTable>,
    index: &Index,
) -> Result<Vec<ResolvedTable>, Vec<Problem>> {
    let names: Vec<QualifiedName> = recovered.iter().map(|t| t.name.clone()).collect();
    let edges = dependency_edges(plan, &recovered, index);
    let order = graph::order(&names, &edges)
        .map_err(|cycle| vec![cycle_problem(&names, &recovered, &cycle)])?;
    let mut slots: Vec<Option<ResolvedTable>> = recovered.into_iter().map(Some).collect();
    Ok(order.iter().filter_map(|&i| slots[i].take()).collect())
}

/// For each foreign key the staging copies are built with that references a partitioned
/// table, that table's partitions: adding or validating the key locks each of them too.
fn referenced_partitions(tables: &[ResolvedTable], index: &Index) -> BTreeMap<u32, Vec<u32>> {
    let keys = tables.iter().flat_map(|table| {
        table
            .foreign_keys
            .iter()
            .chain(table.units.iter().flat_map(|unit| {
                unit.attachments.foreign_keys.iter().chain(
                    unit.partition
                        .iter()
                        .flat_map(|partition| &partition.ancestor_foreign_keys),
                )
            }))
    });
    let mut found = BTreeMap::new();
    for &key in keys {
        let Some((_, referenced)) = index.by_id.get(&key).and_then(|fk| fk_tables(index, fk))
        else {
            continue;
        };
        let partitions = index.partitions(referenced);
        if !partitions.is_empty() {
            found.insert(key, partitions);
        }
    }
    found
}

fn resolve_table(
    plan: &Plan,
    table: &PlanTable,
    index: &Index,
    schema: &SchemaSql,
) -> Result<ResolvedTable, Problem> {
    let listing = &plan.source.listing.value;
    let entry = match index.tables_named(&table.name).as_slice() {
        [one] => *one,
        [] if let Some(other) = index.other_relation_named(&table.name) => {
            let (what, help) = match other.desc {
                Desc::ForeignTable => (
                    "a foreign table: its rows live on a foreign server, and the dump holds none",
                    "leave it out of the plan; its data is restored where the foreign server keeps it",
                ),
                Desc::MaterializedView => (
                    "a materialized view, not a table: its rows are computed from the tables it reads",
                    "name the tables it reads; the cutover re-creates it over them, and 55-after-cutover.sql refreshes it",
                ),
                _ => (
                    "a view, not a table: it holds no rows of its own",
                    "name the tables it reads; the cutover re-creates the views over them",
                ),
            };
            return Err(Problem::new(
                table.span,
                format!(
                    "{} is {what} ({} on listing line {})",
                    table.name, other.desc, other.line
                ),
                "not a table",
            )
            .help(help));
        }
        [] => {
            let problem = Problem::new(
                table.span,
                format!("{} is not a table in {listing}", table.name),
                "no TABLE entry",
            );
            return Err(match closest_table(index, &table.name) {
                Some(near) => problem.help(format!("did you mean {near}?")),
                None => problem.help(format!(
                    "the plan names tables as they appear in restage toc {listing}"
                )),
            });
        }
        several => {
            let lines: Vec<String> = several.iter().map(|e| e.line.to_string()).collect();
            return Err(Problem::new(
                table.span,
                format!("{} matches {} TABLE entries in {listing} (lines {})", table.name, several.len(), lines.join(", ")),
                "ambiguous",
            )
            .help("the listing alone cannot tell these entries apart; remove the one that is not this table from the listing"));
        }
    };
    let recovery = match &table.mode {
        Mode::Swap => None,
        Mode::Recover(recovery) => Some(recovery_of(table, recovery, index, entry, schema)?),
    };
    let leaves = leaf_partitions(index, entry);
    let partitioned = !leaves.is_empty();
    let mut units = Vec::new();
    let unit_entries: Vec<&Entry> = if partitioned { leaves } else { vec![entry] };
    for unit_entry in unit_entries {
        let name = index
            .qualified(unit_entry)
            .unwrap_or_else(|| table.name.clone());
        let partition = match attachment_entry(index, unit_entry) {
            Some(attach) => {
                let block = schema
                    .block(attach.id)
                    .and_then(super::super::schema::Block::attachment)
                    .ok_or_else(|| {
                        Problem::new(
                            table.span,
                            format!(
                                "the schema SQL has no ATTACH PARTITION for {name} (TOC entry {})",
                                attach.id
                            ),
                            "bound not found",
                        )
                    })?;
                let inherited_constraints = index
                    .tables_named(&block.parent)
                    .first()
                    .and_then(|parent| schema.block(parent.id))
                    .and_then(super::super::schema::Block::create_table)
                    .map(|create| {
                        create
                            .constraints
                            .into_iter()
                            .map(|(name, _)| name)
                            .collect()
                    })
                    .unwrap_or_default();
                let (ancestors, ancestor_foreign_keys) = ancestors(index, schema, &block.parent);
                Some(Partition {
                    parent: block.parent,
                    bound: block.bound,
                    inherited_constraints,
                    ancestors,
                    ancestor_foreign_keys,
                })
            }
            None => None,
        };
        let sequences = sequences_of(index, unit_entry, &name, schema);
        units.push(Unit {
            name,
            table_id: unit_entry.id,
            data: data_entry(index, unit_entry),
            partition,
            sequences,
            attachments: UnitAttachments::default(),
        });
    }
    let kept_sequences = if partitioned {
        sequences_of(index, entry, &table.name, schema)
    } else {
        Vec::new()
    };
    Ok(ResolvedTable {
        name: table.name.clone(),
        span: table.span,
        table_id: entry.id,
        min_rows: table.min_rows,
        accept_orphans: table.accept_orphans,
        check_partitioned_references: table.check_partitioned_references,
        units,
        kept_sequences,
        partitioned,
        foreign_keys: Vec::new(),
        recovery,
    })
}

/// A recover table's key and columns, from its `CREATE TABLE` and primary key in the schema
/// SQL: the key the plan names must be columns of the table; without one, the table must have
/// a primary key.
fn recovery_of(
    table: &PlanTable,
    recovery: &Recovery,
    index: &Index,
    entry: &Entry,
    schema: &SchemaSql,
) -> Result<RecoveredTable, Problem> {
    let columns: Vec<String> = schema
        .block(entry.id)
        .and_then(crate::schema::Block::create_table)
        .map(|create| {
            create
                .columns
                .into_iter()
                .map(|(name, _)| name)
                .filter(|name| !create.generated.contains(name))
                .collect()
        })
        .unwrap_or_default();
    if columns.is_empty() {
        return Err(Problem::new(
            table.span,
            format!(
                "the schema SQL has no columns for {} (TOC entry {})",
                table.name, entry.id
            ),
            "no columns",
        )
        .help("mode: recover inserts the dump's rows column by column: the schema SQL must hold the table's CREATE TABLE with its columns"));
    }
    let key = if recovery.key.is_empty() {
        index
            .dependents(entry.id, Desc::Constraint)
            .find_map(|constraint| schema.block(constraint.id)?.primary_key_columns())
            .ok_or_else(|| {
                Problem::new(
                    recovery.span,
                    format!("{} has no primary key in the schema SQL", table.name),
                    "no key to recover by",
                )
                .help("name the columns that identify a row with key: [...]; production must have a unique key on them")
            })?
    } else {
        for column in &recovery.key {
            if !columns.contains(&column.value) {
                return Err(Problem::new(
                    column.span,
                    format!("{} has no column {}", table.name, column.value),
                    "not a column",
                )
                .help(format!("its columns: {}", columns.join(", "))));
            }
        }
        recovery.key.iter().map(|c| c.value.clone()).collect()
    };
    // pg_dump writes a partitioned table's keys on it, and keys its partitions have of their
    // own on those: a row goes in through the partitioned table and must satisfy all of them.
    let mut tables: HashSet<u32> = leaf_partitions(index, entry).iter().map(|e| e.id).collect();
    tables.insert(entry.id);
    let mut parents: Vec<ForeignKeyColumns> = Vec::new();
    for fk in index
        .toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::FkConstraint)
    {
        if fk_tables(index, fk).is_some_and(|(referencing, _)| tables.contains(&referencing))
            && let Some(key) = schema
                .block(fk.id)
                .and_then(crate::schema::Block::foreign_key)
            && !parents.iter().any(|p| {
                p.columns == key.columns
                    && p.referenced == key.referenced
                    && p.referenced_columns == key.referenced_columns
            })
        {
            parents.push(key);
        }
    }
    // Production's triggers fire on every row recovery inserts: REVIEW.md names them.
    let triggers = index
        .toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::Trigger)
        .filter(|e| index.deps(e, Desc::Table).any(|t| tables.contains(&t.id)))
        .filter_map(|e| {
            e.names()
                .map(|n| format!("{}.{}", n.schema.unwrap_or_default(), n.name))
        })
        .collect();
    Ok(RecoveredTable {
        key,
        columns,
        parents,
        triggers,
        filter: recovery.filter.as_ref().map(|f| f.value.clone()),
        on_conflict: recovery.on_conflict,
    })
}

/// The listing's table names closest to `name`, for "did you mean".
fn closest_table(index: &Index, name: &QualifiedName) -> Option<QualifiedName> {
    let wanted = name.to_string();
    index
        .toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::Table)
        .filter_map(|e| index.qualified(e))
        .map(|q| (edit_distance(&wanted, &q.to_string()), q))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, q)| q)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The `TABLE DATA` entry of a table: the one that depends on its TABLE entry.
fn data_entry(index: &Index, table: &Entry) -> Option<DataEntry> {
    index
        .dependents(table.id, Desc::TableData)
        .next()
        .map(|e| DataEntry {
            id: e.id,
            disabled: e.disabled,
            line: e.raw.clone(),
        })
}

/// The `TABLE ATTACH` entry that attaches `table` to its parent.
/// The partitioned tables above a partition whose parent is `parent`, nearest first, and
/// their own foreign keys.
fn ancestors(
    index: &Index,
    schema: &SchemaSql,
    parent: &QualifiedName,
) -> (Vec<QualifiedName>, Vec<u32>) {
    let mut names = Vec::new();
    let mut foreign_keys = Vec::new();
    let mut at = index.tables_named(parent).first().copied();
    while let Some(entry) = at {
        if let Some(name) = index.qualified(entry) {
            if names.contains(&name) {
                break;
            }
            names.push(name);
        }
        foreign_keys.extend(
            index
                .dependents(entry.id, Desc::FkConstraint)
                .filter(|fk| fk_tables(index, fk).is_some_and(|(owner, _)| owner == entry.id))
                .map(|fk| fk.id),
        );
        at = attachment_entry(index, entry)
            .and_then(|attach| schema.block(attach.id))
            .and_then(super::super::schema::Block::attachment)
            .and_then(|a| index.tables_named(&a.parent).first().copied());
    }
    (names, foreign_keys)
}

fn attachment_entry<'t>(index: &Index<'t>, table: &Entry) -> Option<&'t Entry> {
    index
        .dependents(table.id, Desc::TableAttach)
        .find(|attach| attach_child(index, attach) == Some(table.id))
}

/// The leaf partitions under `table` (none when it is not partitioned), in listing order.
fn leaf_partitions<'t>(index: &Index<'t>, table: &Entry) -> Vec<&'t Entry> {
    let children: Vec<&Entry> = index
        .dependents(table.id, Desc::TableAttach)
        .filter_map(|attach| {
            let child = attach_child(index, attach)?;
            (child != table.id)
                .then(|| index.by_id.get(&child).copied())
                .flatten()
        })
        .collect();
    children
        .into_iter()
        .flat_map(|child| {
            let below = leaf_partitions(index, child);
            if below.is_empty() { vec![child] } else { below }
        })
        .collect()
}

/// The sequences whose values `table`'s columns take. Err names what needs the schema SQL.
fn sequences_of(
    index: &Index,
    table: &Entry,
    name: &QualifiedName,
    schema: &SchemaSql,
) -> Vec<SequenceUse> {
    let sequence_entries: Vec<&Entry> = index.dependents(table.id, Desc::Sequence).collect();
    let defaults: Vec<&Entry> = index
        .dependents(table.id, Desc::Default)
        .filter(|d| index.deps(d, Desc::Sequence).next().is_some())
        .collect();
    let mut uses = Vec::new();
    for seq in &sequence_entries {
        let Some(block) = schema.block(seq.id) else {
            continue;
        };
        if let Some(identity) = block.identity().filter(|i| &i.table == name) {
            uses.push(SequenceUse {
                column: identity.column,
                sequence: identity.sequence,
                kind: SequenceKind::Identity,
                increment: identity.increment,
                entry: Some(seq.id),
            });
            continue;
        }
        let owned = index
            .dependents(seq.id, Desc::SequenceOwnedBy)
            .find_map(|o| schema.block(o.id)?.ownership());
        if let Some(owned) = owned.filter(|o| &o.table == name) {
            uses.push(SequenceUse {
                column: owned.column,
                sequence: owned.sequence,
                kind: SequenceKind::Owned,
                increment: block.sequence_increment().unwrap_or(1),
                entry: Some(seq.id),
            });
        }
    }
    for default in defaults {
        let Some(block) = schema.block(default.id) else {
            continue;
        };
        let Some((column, sequence)) = block.nextval_default() else {
            continue;
        };
        if uses.iter().any(|u| u.sequence == sequence) {
            continue;
        }
        let increment = index
            .deps(default, Desc::Sequence)
            .find_map(|s| schema.block(s.id)?.sequence_increment())
            .unwrap_or(1);
        uses.push(SequenceUse {
            column,
            sequence,
            kind: SequenceKind::Default,
            increment,
            entry: None,
        });
    }
    // Defaults written inside CREATE TABLE, when the sequence existed before the table.
    for (column, sequence) in schema
        .block(table.id)
        .map(super::super::schema::Block::inline_nextval_defaults)
        .unwrap_or_default()
    {
        if uses.iter().any(|u| u.sequence == sequence) {
            continue;
        }
        let increment = sequence_increment(index, schema, &sequence);
        uses.push(SequenceUse {
            column,
            sequence,
            kind: SequenceKind::Default,
            increment,
            entry: None,
        });
    }
    uses.sort_by(|a, b| a.column.cmp(&b.column));
    uses
}

/// The `INCREMENT BY` of the sequence named `name`, from its `CREATE SEQUENCE` block.
fn sequence_increment(index: &Index, schema: &SchemaSql, name: &QualifiedName) -> i64 {
    index
        .toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::Sequence && index.qualified(e).as_ref() == Some(name))
        .find_map(|e| schema.block(e.id)?.sequence_increment())
        .unwrap_or(1)
}

/// A plan table that is a partition (or a partition of a partition) of another plan table:
/// both would restore its leaf partitions.
fn overlapping_partitions(tables: &[ResolvedTable]) -> Vec<Problem> {
    let leaf_sets: Vec<BTreeSet<&QualifiedName>> = tables.iter().map(leaves).collect();
    // Which partitioned plan tables restore a leaf, in plan order: an ancestor of a table must
    // restore its first leaf, so only those are tried (a plan of 10,000 tables has 10,000
    // pairs to look at, not 100,000,000).
    let partitioned: Vec<usize> = (0..tables.len())
        .filter(|&i| tables[i].partitioned)
        .collect();
    let mut restoring: HashMap<&QualifiedName, Vec<usize>> = HashMap::new();
    for &i in &partitioned {
        for leaf in &leaf_sets[i] {
            restoring.entry(leaf).or_default().push(i);
        }
    }
    let mut problems = Vec::new();
    for (at, other) in tables.iter().enumerate() {
        let inside = &leaf_sets[at];
        let candidates = match inside.first() {
            Some(leaf) => restoring.get(leaf).map_or(&[][..], Vec::as_slice),
            None => &partitioned[..],
        };
        // The same leaves: a partition, or a partitioned table with one partition (reported
        // once, on the later of the two).
        let ancestor = candidates.iter().find_map(|&i| {
            let (t, all) = (&tables[i], &leaf_sets[i]);
            (t.name != other.name
                && inside.is_subset(all)
                && (all.len() > inside.len() || !other.partitioned || i < at))
                .then_some(t)
        });
        if let Some(table) = ancestor {
            problems.push(
                Problem::new(
                    other.span,
                    format!(
                        "{} is a partition of {}, which the plan restores too",
                        other.name, table.name
                    ),
                    "restored twice",
                )
                .also(table.span, "restores all its partitions"),
            );
        }
    }
    problems
}

fn leaves(table: &ResolvedTable) -> BTreeSet<&QualifiedName> {
    table.units.iter().map(|u| &u.name).collect()
}

fn check_after(plan: &Plan) -> Vec<Problem> {
    let names: BTreeSet<&QualifiedName> = plan.tables.iter().map(|t| &t.name).collect();
    plan.tables
        .iter()
        .flat_map(|t| &t.after)
        .filter(|a| !names.contains(&a.value))
        .map(|a| {
            Problem::new(
                a.span,
                format!("after: {} is not a table of this plan", a.value),
                "not in the plan",
            )
            .help("after: orders tables of this plan; add the table to tables: or remove it here")
        })
        .collect()
}

/// The staging and retired twin of each production schema, checked against the listing.
/// The staging and retired twin of every schema a staged table lives in: the plan's tables',
/// and their partitions', which may live in other schemas than their parents.
fn staging_schemas(
    plan: &Plan,
    tables: &[ResolvedTable],
    index: &Index,
    problems: &mut Vec<Problem>,
) -> BTreeMap<String, SchemaPair> {
    let production: BTreeSet<&str> = index
        .toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::Table)
        .flat_map(|e| e.candidates().filter_map(|c| c.schema))
        .collect();
    let staging = &plan.staging.schema;
    let retired = &plan.staging.retired;
    for base in [staging, retired] {
        if production.contains(base.value.as_str()) {
            problems.push(
                Problem::new(base.span, format!("schema {} holds production tables in the listing", base.value), "production schema")
                    .help("staging and retired schemas must be new, empty schemas that restage creates and drops"),
            );
        }
    }
    let mut schemas = BTreeMap::new();
    let staged: BTreeSet<&String> = plan
        .tables
        .iter()
        .map(|t| &t.name.schema)
        .chain(tables.iter().flat_map(|t| &t.units).map(|u| &u.name.schema))
        .collect();
    for schema in staged {
        let twin = |base: &str| format!("{base}__{schema}");
        let pair = SchemaPair {
            staging: twin(&staging.value),
            retired: twin(&retired.value),
        };
        for (name, base) in [(&pair.staging, staging), (&pair.retired, retired)] {
            if name.len() > MAX_IDENT_BYTES {
                problems.push(
                    Problem::new(base.span, format!("{name}, the twin of schema {schema}, is longer than {MAX_IDENT_BYTES} bytes"), "name too long")
                        .help("choose a shorter staging or retired schema name"),
                );
            } else if production.contains(name.as_str()) {
                problems.push(Problem::new(
                    base.span,
                    format!("schema {name} holds production tables in the listing"),
                    "production schema",
                ));
            }
        }
        schemas.insert(schema.clone(), pair);
    }
    problems.dedup();
    schemas
}

/// FK edges between plan tables (referenced first) and `after:` edges.
fn dependency_edges(plan: &Plan, tables: &[ResolvedTable], index: &Index) -> Vec<Edge> {
    let mut owner_of: HashMap<u32, usize> = HashMap::new();
    for (i, table) in tables.iter().enumerate() {
        owner_of.insert(table.table_id, i);
        for unit in &table.units {
            owner_of.insert(unit.table_id, i);
        }
    }
    let mut edges = Vec::new();
    // A child's staging copy is created as a child of its parent's staging copy.
    let by_name: HashMap<QualifiedName, usize> = tables
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.units.iter().map(move |u| (u.name.clone(), i)))
        .collect();
    for (after, table) in tables.iter().enumerate() {
        for unit in &table.units {
            for parent in index.inherits_of(unit.table_id) {
                if let Some(&before) = by_name.get(&parent).filter(|&&b| b != after) {
                    edges.push(Edge {
                        before,
                        after,
                        reason: Reason::Inherits {
                            table: unit.name.clone(),
                        },
                    });
                }
            }
        }
    }
    for fk in index
        .toc
        .entries
        .iter()
        .filter(|e| e.desc == Desc::FkConstraint)
    {
        let Some((referencing, referenced)) = fk_tables(index, fk) else {
            continue;
        };
        let (Some(&after), Some(&before)) = (owner_of.get(&referencing), owner_of.get(&referenced))
        else {
            continue;
        };
        if before != after {
            // The schema SQL names both exactly; the listing's tag is `<table> <constraint>`.
            let (table, constraint) = index.added_constraint(fk).unwrap_or_else(|| {
                let tag = fk.name().unwrap_or_default();
                (tables[after].name.clone(), tag.to_owned())
            });
            edges.push(Edge {
                before,
                after,
                reason: Reason::ForeignKey {
                    table,
                    constraint,
                    line: fk.line,
                },
            });
        }
    }
    let position: HashMap<&QualifiedName, usize> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (&t.name, i))
        .collect();
    for table in &plan.tables {
        for earlier in &table.after {
            if let (Some(&before), Some(&after)) =
                (position.get(&earlier.value), position.get(&table.name))
            {
                edges.push(Edge {
                    before,
                    after,
                    reason: Reason::After { span: earlier.span },
                });
            }
        }
    }
    edges
}

fn cycle_problem(
    names: &[QualifiedName],
    tables: &[ResolvedTable],
    cycle: &graph::Cycle,
) -> Problem {
    let path: Vec<String> = cycle
        .edges
        .iter()
        .map(|e| names[e.before].to_string())
        .chain(cycle.edges.first().map(|e| names[e.before].to_string()))
        .collect();
    let reasons: Vec<String> = cycle
        .edges
        .iter()
        .map(|e| match &e.reason {
            Reason::ForeignKey {
                table,
                constraint,
                line,
            } => {
                format!(
                    "{} → {}: FK {constraint} on {table} (listing line {line})",
                    names[e.before], names[e.after]
                )
            }
            Reason::After { .. } => format!(
                "{} → {}: after: in the plan",
                names[e.before], names[e.after]
            ),
            Reason::Inherits { table } => format!(
                "{} → {}: {table} inherits from it",
                names[e.before], names[e.after]
            ),
        })
        .collect();
    let at = cycle
        .edges
        .first()
        .map_or_else(|| SourceSpan::new(0.into(), 0), |e| tables[e.after].span);
    let mut problem = Problem::new(
        at,
        format!(
            "the plan's tables depend on each other in a cycle: {}",
            path.join(" → ")
        ),
        "on the cycle",
    )
    .help(format!(
        "{}; remove an after: or restore these tables in separate plans",
        reasons.join("; ")
    ));
    for edge in &cycle.edges {
        if let Reason::After { span } = edge.reason {
            problem = problem.also(span, "closes the cycle");
        }
    }
    problem
}
