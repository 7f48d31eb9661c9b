//! Everything attached to a restored table, as SQL: taken from the schema SQL block of each
//! listing entry, retargeted at staging where it is built there, kept as is where the cutover
//! runs it against production.

use std::collections::HashMap;

use serde::Serialize;

use super::locks::LockMode;
use super::locks::{Acquisition, AcquisitionBuilder};
use crate::plan::{Dependents, Resolved, ResolvedTable, SchemaPair, SequenceKind};
use crate::schema::{Block, SchemaSql};
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, literal};
use crate::sql::rewrite::{NameMap, Overlay, retarget};
use crate::toc::{Desc, Entry, Toc};

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
    /// When the table inherits from others: how its staging copy is made and swapped.
    pub inheritance: Option<Inheritance>,
}

/// A restored table that inherits from others. Its staging copy is created as pg_dump created
/// it, `CREATE TABLE ... (own columns) INHERITS (...)`, so that its inherited columns and
/// constraints stay inherited (not local) through the swap. A parent outside the plan is stood
/// in for by a shadow: an empty table like it, which the new child leaves at cutover after
/// joining the real parent, and which the replaced child joins before leaving it, so that
/// neither ever stops inheriting.
#[derive(Debug, Serialize)]
pub struct Inheritance {
    /// `CREATE [UNLOGGED] TABLE <staging> (...) INHERITS (...)`, from the schema SQL.
    pub create: String,
    pub shadows: Vec<Shadow>,
    /// Defaults of inherited columns, stated apart in the dump.
    pub defaults: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Shadow {
    /// The parent in production.
    pub parent: String,
    /// The stand-in the staging copy inherits from until cutover.
    pub staging: String,
    /// The stand-in the replaced child inherits from after cutover.
    pub retired: String,
}

/// A CHECK on a staged partition that states exactly its partition constraint, so that ATTACH
/// PARTITION proves the bound instead of reading every row. Its expression is the one
/// PostgreSQL itself derives for production's partition (`pg_get_partition_constraintdef`),
/// which the prover recognises whatever the strategy (range, list, hash, default).
///
/// The replaced partition gets the same proof, `NOT VALID`, at cutover before it is detached
/// (its partition constraint is gone after that), validated after the cutover commits: a
/// rollback then attaches it back without reading it either.
#[derive(Debug, Serialize)]
pub struct BoundCheck {
    /// The staging table, quoted, as a literal for `format()`.
    pub staging: String,
    /// The production partition, as a literal for `regclass` and for `format()`.
    pub production: String,
    /// `ALTER TABLE <production name> DROP CONSTRAINT restage_partition_bound;`, once attached.
    pub drop: String,
    /// `ALTER TABLE <retired name> VALIDATE CONSTRAINT restage_partition_bound;`
    pub validate_retired: String,
}

#[derive(Debug, Serialize)]
pub struct ForeignKey {
    /// The constraint's name, as a literal for the catalog.
    pub name_literal: String,
    /// `ALTER TABLE ... ADD CONSTRAINT ... NOT VALID;`
    pub add: String,
    pub validate: String,
    /// The production table it references, when that table is not restored: adding the key
    /// locks it against writes, and dropping the retired copy locks it entirely.
    pub references_outside: Option<String>,
    /// What adding it locks in production (SHARE ROW EXCLUSIVE on that table), and what
    /// validating it locks (ROW SHARE).
    pub add_locks: Acquisition,
    pub validate_locks: Acquisition,
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
    /// What validating it locks: SHARE UPDATE EXCLUSIVE on the referencing table, ROW SHARE on
    /// the referenced one.
    pub validate_locks: Acquisition,
}

#[derive(Debug, Serialize)]
pub struct Publication {
    pub drop: String,
    pub add: String,
}

/// What the cutover re-creates once for all tables.
#[derive(Debug, Default, Serialize)]
pub struct Global {
    pub views: Vec<ViewSql>,
    pub matviews: Vec<MatviewSql>,
    pub functions: Vec<FunctionSql>,
    /// Foreign keys of partitioned tables that stay: dropped, and added again while the
    /// partitioned table has no partitions (so adding them scans nothing).
    pub parent_foreign_keys: Vec<ParentForeignKey>,
}

#[derive(Debug, Serialize)]
pub struct ViewSql {
    /// Quoted.
    pub name: String,
    /// `CREATE OR REPLACE VIEW`, production names.
    pub create: String,
}

#[derive(Debug, Serialize)]
pub struct MatviewSql {
    /// Quoted.
    pub name: String,
    /// The schema it is created in again, unquoted.
    pub schema: String,
    pub drop: String,
    /// The matview `WITH NO DATA`, its owner, indexes, comments and grants.
    pub create: Vec<String>,
    /// When production's is populated: run by 55-after-cutover.sql and after a rollback.
    pub refresh: Option<String>,
    /// What the refresh locks: the materialized view, ACCESS EXCLUSIVE.
    pub refresh_locks: Acquisition,
}

#[derive(Debug, Serialize)]
pub struct FunctionSql {
    /// The schema it is created in again, unquoted.
    pub schema: String,
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
    let entries: HashMap<u32, &Entry> = toc.entries.iter().map(|e| (e.id, e)).collect();
    let names = Names {
        schema,
        entries: &entries,
    };
    let block = |id: u32| schema.block(id);
    let statements = |id: u32| block(id).map(Block::statement_texts).unwrap_or_default();

    // Everything built on staging is written with staging names: the tables, their extended
    // statistics, identity sequences and indexes (`COMMENT ON INDEX public.x` must reach the
    // staging copy, never production's).
    let mut to_staging = NameMap::new();
    for table in &resolved.tables {
        for unit in &table.units {
            let pair = &resolved.schemas[&unit.name.schema];
            let twin =
                |name: &QualifiedName| QualifiedName::new(pair.staging.clone(), name.name.clone());
            let in_schema = |name: String| QualifiedName::new(unit.name.schema.clone(), name);
            let mut moved: Vec<QualifiedName> = vec![unit.name.clone()];
            moved.extend(
                unit.attachments
                    .statistics
                    .iter()
                    .filter_map(|id| names.get(id)),
            );
            moved.extend(
                unit.sequences
                    .iter()
                    .filter(|s| s.kind == SequenceKind::Identity)
                    .map(|s| s.sequence.clone()),
            );
            moved.extend(
                unit.attachments
                    .keys
                    .iter()
                    .filter_map(|id| match block(*id) {
                        Some(b) if b.desc == Desc::Index => names.get(id),
                        Some(b) => b.added_constraint().map(|(_, name)| in_schema(name)),
                        None => None,
                    }),
            );
            for name in moved {
                to_staging.insert(name.clone(), twin(&name));
            }
        }
    }

    let mut units = Vec::new();
    let mut shadow_count = 0;
    for table in &resolved.tables {
        let parent = table.partitioned.then(|| parent_parts(table, schema));
        for unit in &table.units {
            let pair = &resolved.schemas[&unit.name.schema];
            let staging = QualifiedName::new(pair.staging.clone(), unit.name.name.clone());
            let mut map = Overlay {
                base: &to_staging,
                top: NameMap::new(),
            };
            if parent.is_some() {
                // The parent's constraints and foreign keys are built on each partition.
                map.top.insert(table.name.clone(), staging.clone());
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
            let inherits = !create.inherits.is_empty();
            if let Some(options) = create.options.as_ref().filter(|_| !inherits) {
                fidelity
                    .table
                    .push(format!("ALTER TABLE {} SET ({options});", staging.quoted()));
            }
            // A child's own constraints are part of the `CREATE TABLE` it is staged with.
            let mut constraints = if inherits {
                Vec::new()
            } else {
                create.constraints.clone()
            };
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
                // Its SEQUENCE block is `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS IDENTITY (...)`.
                let definition = sequence.entry.map(statements).unwrap_or_default();
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
            let retired = QualifiedName::new(pair.retired.clone(), unit.name.name.clone());
            fidelity.bound_check = unit.partition.as_ref().map(|_| BoundCheck {
                staging: literal(&staging.quoted()),
                production: literal(&unit.name.quoted()),
                drop: format!(
                    "ALTER TABLE {} DROP CONSTRAINT restage_partition_bound;",
                    unit.name.quoted()
                ),
                validate_retired: format!(
                    "ALTER TABLE {} VALIDATE CONSTRAINT restage_partition_bound;",
                    retired.quoted()
                ),
            });
            let mut foreign_keys: Vec<u32> = a.foreign_keys.clone();
            if let Some(parent) = &parent {
                foreign_keys.extend(parent.foreign_keys.iter().copied());
            }
            for id in foreign_keys {
                for statement in statements(id) {
                    let Some((owner, name)) = block(id).and_then(Block::added_constraint) else {
                        continue;
                    };
                    let references_outside = entries
                        .get(&id)
                        .and_then(|fk| referenced_table(fk, &owner, &entries, &names))
                        .filter(|referenced| !to_staging.contains_key(referenced))
                        .map(|referenced| referenced.quoted());
                    let production_locks = |mode| {
                        let mut locks = AcquisitionBuilder::default();
                        if let Some(referenced) = &references_outside {
                            locks.lock(referenced, mode, true);
                        }
                        locks.build()
                    };
                    fidelity.foreign_keys.push(ForeignKey {
                        name_literal: literal(&name),
                        add_locks: production_locks(LockMode::ShareRowExclusive),
                        validate_locks: production_locks(LockMode::RowShare),
                        references_outside,
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
            // Comments and grants on identity sequences, which are re-created in staging.
            let identity_extras = unit
                .sequences
                .iter()
                .filter(|s| s.kind == SequenceKind::Identity)
                .filter_map(|s| s.entry)
                .flat_map(|id| {
                    toc.dependents_of(id)
                        .filter(|e| matches!(e.desc, Desc::Comment | Desc::Acl))
                        .map(|e| e.id)
                });
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
                .map(|name| statistics_move(&name, pair))
                .collect();
            fidelity.inbound = a
                .inbound_foreign_keys
                .iter()
                .filter_map(|id| {
                    let (table, name) = block(*id)?.added_constraint()?;
                    let add = statements(*id).into_iter().next()?;
                    let mut validate_locks = AcquisitionBuilder::default();
                    validate_locks.lock(&table.quoted(), LockMode::ShareUpdateExclusive, true);
                    validate_locks.lock(&unit.name.quoted(), LockMode::RowShare, true);
                    Some(Inbound {
                        validate_locks: validate_locks.build(),
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
                .map(|name| name.quoted())
                .collect();
            if !create.inherits.is_empty() {
                let mut shadow_map = Overlay {
                    base: &to_staging,
                    top: NameMap::new(),
                };
                let mut shadows = Vec::new();
                for parent in create
                    .inherits
                    .iter()
                    .filter(|p| !to_staging.contains_key(*p))
                {
                    shadow_count += 1;
                    let shadow = |schema: &str| {
                        QualifiedName::new(schema, format!("restage_shadow_{shadow_count}"))
                    };
                    shadow_map.top.insert(parent.clone(), shadow(&pair.staging));
                    shadows.push(Shadow {
                        parent: parent.quoted(),
                        staging: shadow(&pair.staging).quoted(),
                        retired: shadow(&pair.retired).quoted(),
                    });
                }
                let create = statements(unit.table_id)
                    .into_iter()
                    .find(|s| starts_with_words(s, &["CREATE"]))
                    .map(|s| with_persistence(&retarget(&s, &shadow_map), unlogged_staging))
                    .unwrap_or_default();
                let defaults = a
                    .defaults
                    .iter()
                    .flat_map(|id| statements(*id))
                    .map(|s| build(&s))
                    .collect();
                fidelity.inheritance = Some(Inheritance {
                    create,
                    shadows,
                    defaults,
                });
            }
            units.push(fidelity);
        }
    }
    (units, global(&resolved.dependents, &names, schema))
}

/// The table an FK entry references: of the tables it depends on, the one that does not own it
/// (the owner itself when it references its own table).
fn referenced_table(
    fk: &Entry,
    owner: &QualifiedName,
    entries: &HashMap<u32, &Entry>,
    names: &Names,
) -> Option<QualifiedName> {
    let tables: Vec<QualifiedName> = fk
        .deps
        .iter()
        .filter(|d| entries.get(d).is_some_and(|e| e.desc == Desc::Table))
        .filter_map(|d| names.get(d))
        .collect();
    tables
        .iter()
        .find(|t| *t != owner)
        .or_else(|| tables.first())
        .cloned()
}

/// Exact names of entries: the schema SQL's `-- Name:` lines first, the listing where there is
/// no block. Looked up for the entries a plan touches only, not for the whole listing.
struct Names<'a> {
    schema: &'a SchemaSql,
    entries: &'a HashMap<u32, &'a Entry>,
}

impl Names<'_> {
    fn get(&self, id: &u32) -> Option<QualifiedName> {
        self.schema.name_of(*id).or_else(|| {
            let n = self.entries.get(id)?.names()?;
            Some(QualifiedName::new(n.schema?, n.name))
        })
    }
}

/// What a partitioned table passes to its partitions: its table constraints and foreign keys.
struct ParentParts {
    constraints: Vec<(String, String)>,
    foreign_keys: Vec<u32>,
}

fn parent_parts(table: &ResolvedTable, schema: &SchemaSql) -> ParentParts {
    let create = schema
        .block(table.table_id)
        .and_then(|b| b.create_table())
        .unwrap_or_default();
    ParentParts {
        constraints: create.constraints,
        foreign_keys: table.foreign_keys.clone(),
    }
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

fn global(dependents: &Dependents, names: &Names, schema: &SchemaSql) -> Global {
    let statements = |id: u32| {
        schema
            .block(id)
            .map(Block::statement_texts)
            .unwrap_or_default()
    };
    let views = dependents
        .views
        .iter()
        .filter_map(|id| {
            let name = names.get(id)?.quoted();
            let create = statements(*id)
                .into_iter()
                .find(|s| starts_with_words(s, &["CREATE", "VIEW"]))?
                .replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1);
            Some(ViewSql { name, create })
        })
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
            let mut refresh_locks = AcquisitionBuilder::default();
            refresh_locks.own(&name.quoted());
            Some(MatviewSql {
                name: name.quoted(),
                schema: name.schema.clone(),
                refresh_locks: refresh_locks.build(),
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
                schema: names.get(&f.id)?.schema,
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

/// `CREATE TABLE` as `CREATE UNLOGGED TABLE` for unlogged staging, and the other way round.
fn with_persistence(create: &str, unlogged: bool) -> String {
    let rest = create
        .strip_prefix("CREATE UNLOGGED TABLE ")
        .or_else(|| create.strip_prefix("CREATE TABLE "))
        .unwrap_or(create);
    if unlogged {
        format!("CREATE UNLOGGED TABLE {rest}")
    } else {
        format!("CREATE TABLE {rest}")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_keys_are_added_not_valid() {
        assert_eq!(
            not_valid(
                "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES public.b(id);"
            ),
            "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES public.b(id) NOT VALID;"
        );
        assert_eq!(
            not_valid("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT VALID;"),
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT VALID;"
        );
    }

    #[test]
    fn persistence_follows_staging() {
        assert_eq!(
            with_persistence("CREATE TABLE s.t (a int) INHERITS (s.p);", true),
            "CREATE UNLOGGED TABLE s.t (a int) INHERITS (s.p);"
        );
        assert_eq!(
            with_persistence("CREATE UNLOGGED TABLE s.t (a int);", false),
            "CREATE TABLE s.t (a int);"
        );
    }

    #[test]
    fn statement_openings() {
        assert!(starts_with_words(
            "CREATE VIEW public.v AS SELECT 1;",
            &["CREATE", "VIEW"]
        ));
        assert!(starts_with_words("create\n  view v", &["CREATE", "VIEW"]));
        assert!(!starts_with_words("CREATE VIEWS", &["CREATE", "VIEW"]));
        assert!(!starts_with_words(
            "CREATE MATERIALIZED VIEW m",
            &["CREATE", "VIEW"]
        ));
    }
}
