//! Everything attached to a restored table, as SQL: taken from the schema SQL block of each
//! listing entry, retargeted at staging where it is built there, kept as is where the cutover
//! runs it against production.

use std::collections::HashMap;

use serde::Serialize;

use crate::plan::attachments::Dependents;
use crate::plan::{Resolved, ResolvedTable, SchemaPair, SequenceKind, Unit};
use crate::schema::{Block, SchemaSql};
use crate::sql::QualifiedName;
use crate::sql::quote::ident;
use crate::sql::rewrite::{NameMap, retarget};
use crate::toc::Toc;

/// What 30-build.sql builds on one staging table, and what the cutover and rollback do around
/// its swap.
#[derive(Debug, Default, Serialize)]
pub struct UnitFidelity {
    /// `SET LOGGED` or `SET UNLOGGED` when staging and production differ.
    pub persistence: Option<&'static str>,
    /// The table's own settings: owner, replica identity, column settings, storage options,
    /// table constraints written inside `CREATE TABLE`.
    pub table: Vec<String>,
    /// Identity columns, exactly as production has them (sequence name and options).
    pub identity: Vec<String>,
    /// Primary key, unique, check and exclusion constraints, indexes.
    pub keys: Vec<String>,
    /// A CHECK matching the partition bound, so that ATTACH PARTITION need not scan.
    pub bound_check: Option<BoundCheck>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Triggers, rules, policies, row level security.
    pub behaviour: Vec<String>,
    pub statistics: Vec<String>,
    pub comments_and_grants: Vec<String>,
    /// Extended statistics: moved along at cutover, back at rollback.
    pub statistics_moves: Vec<StatisticsMove>,
    /// Foreign keys of other tables that point here: re-pointed at cutover and rollback.
    pub inbound: Vec<Inbound>,
    /// Publications that include the table.
    pub publications: Vec<Publication>,
    /// Tables outside the plan that inherit from this one.
    pub children: Vec<String>,
    /// The parents this table inherits from (a swapped inheritance child).
    pub parents: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct BoundCheck {
    pub add: String,
    pub drop: String,
}

#[derive(Debug, Serialize)]
pub struct ForeignKey {
    /// `ALTER TABLE ... ADD CONSTRAINT ... NOT VALID;`
    pub add: String,
    pub validate: String,
}

#[derive(Debug, Serialize)]
pub struct StatisticsMove {
    /// The name in production.
    pub production: String,
    /// The name while in staging (before cutover, after rollback).
    pub staging: String,
    /// The name in the retired schema.
    pub retired: String,
    pub production_schema: String,
    pub staging_schema: String,
    pub retired_schema: String,
}

#[derive(Debug, Serialize)]
pub struct Inbound {
    pub drop: String,
    /// Added back `NOT VALID`, so the lock is short; validated after the cutover.
    pub add: String,
    pub validate: String,
}

#[derive(Debug, Serialize)]
pub struct Publication {
    pub drop: String,
    pub add: String,
}

/// What the cutover re-creates once for all tables.
#[derive(Debug, Default, Serialize)]
pub struct Global {
    /// `CREATE OR REPLACE VIEW`, production names.
    pub views: Vec<String>,
    pub matviews: Vec<MatviewSql>,
    pub functions: Vec<FunctionSql>,
    /// Foreign keys of partitioned tables that stay: dropped, and added again while the
    /// partitioned table has no partitions (so adding them scans nothing).
    pub parent_foreign_keys: Vec<ParentForeignKey>,
}

#[derive(Debug, Serialize)]
pub struct MatviewSql {
    pub drop: String,
    /// The matview `WITH NO DATA`, its owner, indexes, comments and grants.
    pub create: Vec<String>,
    /// When production's is populated: run by 55-after-cutover.sql and after a rollback.
    pub refresh: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FunctionSql {
    pub drop: String,
    pub create: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct ParentForeignKey {
    pub drop: String,
    pub add: String,
}

/// The SQL of every attachment of every unit, in unit order, and of the shared dependents.
pub fn fidelity(
    resolved: &Resolved,
    toc: &Toc,
    schema: &SchemaSql,
    unlogged_staging: bool,
) -> (Vec<UnitFidelity>, Global) {
    let names: HashMap<u32, QualifiedName> = toc
        .entries
        .iter()
        .filter_map(|e| {
            let n = e.names()?;
            Some((e.id, QualifiedName::new(n.schema?, n.name)))
        })
        .collect();
    let block = |id: u32| schema.block(id);
    let statements = |id: u32| block(id).map(Block::statement_texts).unwrap_or_default();

    // Everything built on staging is written with staging names: the tables, their extended
    // statistics and identity sequences.
    let mut to_staging = NameMap::new();
    for table in &resolved.tables {
        for unit in &table.units {
            let pair = &resolved.schemas[&unit.name.schema];
            let twin =
                |name: &QualifiedName| QualifiedName::new(pair.staging.clone(), name.name.clone());
            to_staging.insert(unit.name.clone(), twin(&unit.name));
            for id in &unit.attachments.statistics {
                if let Some(name) = names.get(id) {
                    to_staging.insert(name.clone(), twin(name));
                }
            }
            for sequence in unit
                .sequences
                .iter()
                .filter(|s| s.kind == SequenceKind::Identity)
            {
                to_staging.insert(sequence.sequence.clone(), twin(&sequence.sequence));
            }
        }
    }

    let mut units = Vec::new();
    for table in &resolved.tables {
        let parent = table.partitioned.then(|| parent_parts(table, schema));
        for unit in &table.units {
            let pair = &resolved.schemas[&unit.name.schema];
            let staging = QualifiedName::new(pair.staging.clone(), unit.name.name.clone());
            let mut map = to_staging.clone();
            if parent.is_some() {
                // The parent's constraints and foreign keys are built on each partition.
                map.insert(table.name.clone(), staging.clone());
            }
            let build = |sql: &str| retarget(sql, &map);
            let mut fidelity = UnitFidelity::default();
            let create = block(unit.table_id)
                .and_then(|b| b.create_table())
                .unwrap_or_default();
            fidelity.persistence = match (unlogged_staging, create.unlogged) {
                (true, false) => Some("SET LOGGED"),
                (false, true) => Some("SET UNLOGGED"),
                _ => None,
            };
            if let Some(options) = &create.options {
                fidelity
                    .table
                    .push(format!("ALTER TABLE {} SET ({options});", staging.quoted()));
            }
            let mut constraints = create.constraints.clone();
            if let Some(parent) = &parent {
                constraints.extend(parent.constraints.iter().cloned());
            }
            for (name, definition) in &constraints {
                fidelity.table.push(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {};",
                    staging.quoted(),
                    ident(name),
                    build(definition)
                ));
            }
            for statement in statements(unit.table_id)
                .iter()
                .filter(|s| !starts_with_words(s, &["CREATE"]))
            {
                fidelity.table.push(build(statement));
            }
            for sequence in unit
                .sequences
                .iter()
                .filter(|s| s.kind == SequenceKind::Identity)
            {
                fidelity.identity.push(format!(
                    "ALTER TABLE {} ALTER COLUMN {} DROP IDENTITY;",
                    staging.quoted(),
                    ident(&sequence.column)
                ));
                let definition = unit_sequence_block(toc, schema, &sequence.sequence);
                fidelity
                    .identity
                    .extend(definition.iter().map(|s| build(s)));
            }
            let a = &unit.attachments;
            fidelity.keys = a
                .keys
                .iter()
                .flat_map(|id| statements(*id))
                .map(|s| build(&s))
                .collect();
            fidelity.bound_check = parent.as_ref().filter(|_| unit.partition.is_some()).and_then(|parent| {
                let condition = bound_condition(parent, &table.units, unit)?;
                Some(BoundCheck {
                    add: format!("ALTER TABLE {} ADD CONSTRAINT restage_partition_bound CHECK ({condition});", staging.quoted()),
                    drop: format!("ALTER TABLE {} DROP CONSTRAINT restage_partition_bound;", unit.name.quoted()),
                })
            });
            let mut foreign_keys: Vec<u32> = a.foreign_keys.clone();
            if let Some(parent) = &parent {
                foreign_keys.extend(parent.foreign_keys.iter().copied());
            }
            for id in foreign_keys {
                for statement in statements(id) {
                    let Some((_, name)) = block(id).and_then(Block::added_constraint) else {
                        continue;
                    };
                    fidelity.foreign_keys.push(ForeignKey {
                        add: not_valid(&build(&statement)),
                        validate: format!(
                            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                            staging.quoted(),
                            ident(&name)
                        ),
                    });
                }
            }
            fidelity.behaviour = a
                .behaviour
                .iter()
                .flat_map(|id| statements(*id))
                .map(|s| build(&s))
                .collect();
            fidelity.statistics = a
                .statistics
                .iter()
                .flat_map(|id| statements(*id))
                .map(|s| build(&s))
                .collect();
            let identity_extras = unit
                .sequences
                .iter()
                .filter(|s| s.kind == SequenceKind::Identity)
                .flat_map(|s| sequence_comments_and_grants(toc, &s.sequence));
            fidelity.comments_and_grants = a
                .comments_and_grants
                .iter()
                .copied()
                .chain(identity_extras)
                .flat_map(&statements)
                .map(|s| build(&s))
                .collect();
            fidelity.statistics_moves = a
                .statistics
                .iter()
                .filter_map(|id| names.get(id))
                .map(|name| statistics_move(name, pair))
                .collect();
            fidelity.inbound = a
                .inbound_foreign_keys
                .iter()
                .filter_map(|id| {
                    let (table, name) = block(*id)?.added_constraint()?;
                    let add = statements(*id).into_iter().next()?;
                    Some(Inbound {
                        drop: format!(
                            "ALTER TABLE {} DROP CONSTRAINT {};",
                            table.quoted(),
                            ident(&name)
                        ),
                        add: not_valid(&add),
                        validate: format!(
                            "ALTER TABLE {} VALIDATE CONSTRAINT {};",
                            table.quoted(),
                            ident(&name)
                        ),
                    })
                })
                .collect();
            fidelity.publications = a
                .publications
                .iter()
                .filter_map(|id| {
                    let publication = block(*id)?.publication()?;
                    Some(Publication {
                        drop: format!(
                            "ALTER PUBLICATION {} DROP TABLE {};",
                            ident(&publication),
                            unit.name.quoted()
                        ),
                        add: statements(*id).into_iter().next()?,
                    })
                })
                .collect();
            fidelity.children = a
                .children
                .iter()
                .filter_map(|id| names.get(id))
                .map(QualifiedName::quoted)
                .collect();
            fidelity.parents = create.inherits.iter().map(QualifiedName::quoted).collect();
            units.push(fidelity);
        }
    }
    (units, global(&resolved.dependents, &names, schema))
}

/// What a partitioned table passes to its partitions: its table constraints, foreign keys and
/// partition key.
struct ParentParts {
    constraints: Vec<(String, String)>,
    foreign_keys: Vec<u32>,
    key: Option<String>,
    strategy: Option<String>,
}

fn parent_parts(table: &ResolvedTable, schema: &SchemaSql) -> ParentParts {
    let create = schema
        .block(table.table_id)
        .and_then(|b| b.create_table())
        .unwrap_or_default();
    let (strategy, key) = match create
        .partition_by
        .as_deref()
        .and_then(|p| p.split_once(' '))
    {
        Some((strategy, key)) => (Some(strategy.to_ascii_uppercase()), single_column(key)),
        None => (None, None),
    };
    ParentParts {
        constraints: create.constraints,
        foreign_keys: table.foreign_keys.clone(),
        key,
        strategy,
    }
}

/// `(taken_on)` → `taken_on`: a key of one plain column, else none.
fn single_column(key: &str) -> Option<String> {
    let inner = key.trim().strip_prefix('(')?.strip_suffix(')')?.trim();
    let tokens = crate::sql::lexer::tokenize(inner);
    match tokens.as_slice() {
        [one] => one.ident_value(inner).map(|name| ident(&name)),
        _ => None,
    }
}

/// The CHECK condition that says a row is inside `bound`; `DEFAULT` is "in none of the
/// siblings". None when restage cannot write it (a key of several columns, hash
/// partitioning): ATTACH then checks the rows itself.
fn bound_condition(parent: &ParentParts, siblings: &[Unit], unit: &Unit) -> Option<String> {
    let key = parent.key.as_deref()?;
    let accepts = |bound: &str| -> Option<String> {
        let bound = bound.trim();
        if let Some(range) = bound.strip_prefix("FOR VALUES FROM ") {
            if parent.strategy.as_deref() != Some("RANGE") {
                return None;
            }
            let (from, to) = range.split_once(" TO ")?;
            let value = |v: &str| -> Option<Option<String>> {
                let inner = v.trim().strip_prefix('(')?.strip_suffix(')')?.trim();
                Some(match inner {
                    "MINVALUE" | "MAXVALUE" => None,
                    _ => Some(inner.to_owned()),
                })
            };
            let mut parts = vec![format!("{key} IS NOT NULL")];
            if let Some(low) = value(from)? {
                parts.push(format!("{key} >= {low}"));
            }
            if let Some(high) = value(to)? {
                parts.push(format!("{key} < {high}"));
            }
            return Some(format!("({})", parts.join(" AND ")));
        }
        if let Some(list) = bound.strip_prefix("FOR VALUES IN ") {
            if parent.strategy.as_deref() != Some("LIST") {
                return None;
            }
            let inner = list.trim().strip_prefix('(')?.strip_suffix(')')?;
            let values: Vec<&str> = inner.split(", ").map(str::trim).collect();
            let non_null: Vec<&str> = values
                .iter()
                .copied()
                .filter(|v| !v.eq_ignore_ascii_case("NULL"))
                .collect();
            let with_null = non_null.len() < values.len();
            let listed = (!non_null.is_empty())
                .then(|| format!("{key} IS NOT NULL AND {key} IN ({})", non_null.join(", ")));
            return Some(match (listed, with_null) {
                (Some(listed), true) => format!("({key} IS NULL OR ({listed}))"),
                (Some(listed), false) => format!("({listed})"),
                (None, true) => format!("({key} IS NULL)"),
                (None, false) => return None,
            });
        }
        None
    };
    let own = unit.partition.as_ref()?;
    if own.bound.trim() != "DEFAULT" {
        return accepts(&own.bound);
    }
    let others: Option<Vec<String>> = siblings
        .iter()
        .filter(|s| s.table_id != unit.table_id)
        .filter_map(|s| s.partition.as_ref())
        .map(|p| accepts(&p.bound))
        .collect();
    let others = others?;
    if others.is_empty() {
        return None;
    }
    Some(format!("NOT ({})", others.join(" OR ")))
}

/// The identity definition of a sequence (`ALTER TABLE t ALTER COLUMN c ADD GENERATED ...`).
fn unit_sequence_block(toc: &Toc, schema: &SchemaSql, sequence: &QualifiedName) -> Vec<String> {
    toc.entries
        .iter()
        .filter(|e| {
            e.desc == "SEQUENCE"
                && e.schema() == Some(sequence.schema.as_str())
                && e.name() == Some(sequence.name.as_str())
        })
        .filter_map(|e| schema.block(e.id))
        .flat_map(|b| b.statement_texts())
        .filter(|s| starts_with_words(s, &["ALTER", "TABLE"]))
        .collect()
}

/// Comments and grants on a sequence.
fn sequence_comments_and_grants(toc: &Toc, sequence: &QualifiedName) -> Vec<u32> {
    let Some(id) = toc
        .entries
        .iter()
        .find(|e| {
            e.desc == "SEQUENCE"
                && e.schema() == Some(sequence.schema.as_str())
                && e.name() == Some(sequence.name.as_str())
        })
        .map(|e| e.id)
    else {
        return Vec::new();
    };
    toc.entries
        .iter()
        .filter(|e| matches!(e.desc.as_ref(), "COMMENT" | "ACL") && e.deps.contains(&id))
        .map(|e| e.id)
        .collect()
}

fn statistics_move(name: &QualifiedName, pair: &SchemaPair) -> StatisticsMove {
    let in_schema = |schema: &str| QualifiedName::new(schema, name.name.clone()).quoted();
    StatisticsMove {
        production: name.quoted(),
        staging: in_schema(&pair.staging),
        retired: in_schema(&pair.retired),
        production_schema: ident(&name.schema),
        staging_schema: ident(&pair.staging),
        retired_schema: ident(&pair.retired),
    }
}

fn global(
    dependents: &Dependents,
    names: &HashMap<u32, QualifiedName>,
    schema: &SchemaSql,
) -> Global {
    let statements = |id: u32| {
        schema
            .block(id)
            .map(Block::statement_texts)
            .unwrap_or_default()
    };
    let views = dependents
        .views
        .iter()
        .flat_map(|id| statements(*id))
        .filter(|s| starts_with_words(s, &["CREATE", "VIEW"]))
        .map(|s| s.replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1))
        .collect();
    let matviews = dependents
        .matviews
        .iter()
        .filter_map(|m| {
            let name = names.get(&m.id)?;
            let create = std::iter::once(m.id)
                .chain(m.indexes.iter().copied())
                .chain(m.comments_and_grants.iter().copied())
                .flat_map(statements)
                .collect();
            Some(MatviewSql {
                drop: format!("DROP MATERIALIZED VIEW {};", name.quoted()),
                create,
                refresh: m
                    .data
                    .map(|_| format!("REFRESH MATERIALIZED VIEW {};", name.quoted())),
            })
        })
        .collect();
    let functions = dependents
        .functions
        .iter()
        .filter_map(|f| {
            let (kind, signature) = schema.block(f.id)?.routine_signature()?;
            let create = std::iter::once(f.id)
                .chain(f.comments_and_grants.iter().copied())
                .flat_map(statements)
                .collect();
            Some(FunctionSql {
                drop: format!("DROP {kind} {signature};"),
                create,
            })
        })
        .collect();
    let parent_foreign_keys = dependents
        .parent_foreign_keys
        .iter()
        .filter_map(|id| {
            let (table, name) = schema.block(*id)?.added_constraint()?;
            Some(ParentForeignKey {
                drop: format!(
                    "ALTER TABLE {} DROP CONSTRAINT {};",
                    table.quoted(),
                    ident(&name)
                ),
                add: statements(*id).into_iter().next()?,
            })
        })
        .collect();
    Global {
        views,
        matviews,
        functions,
        parent_foreign_keys,
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ...;` with `NOT VALID` before its `;`.
fn not_valid(statement: &str) -> String {
    let body = statement.trim_end().trim_end_matches(';').trim_end();
    if body.ends_with("NOT VALID") {
        format!("{body};")
    } else {
        format!("{body} NOT VALID;")
    }
}

fn starts_with_words(statement: &str, words: &[&str]) -> bool {
    let mut rest = statement.trim_start();
    for word in words {
        match rest.get(..word.len()) {
            Some(head)
                if head.eq_ignore_ascii_case(word)
                    && rest[word.len()..].starts_with(char::is_whitespace) =>
            {
                rest = rest[word.len()..].trim_start();
            }
            _ => return false,
        }
    }
    true
}
