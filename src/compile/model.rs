//! What every artifact is made from: the plan's names, quoted once, in dependency order.

use std::collections::BTreeSet;

use serde::Serialize;

use super::drift::{self, Drift};
use super::drivers::{Driven, DriverFacts, DriverModel};
use super::fidelity::{self, Global, UnitFidelity};
use super::inheritance::{self, InheritanceOrder, Reorder};
use super::locks::LockMode;
use super::locks::{Acquisition, AcquisitionBuilder};
use super::recover::{RecoverModel, RecoverSettingsModel, recover_models};
use super::unit::{OwnedModel, PartitionModel, UnitModel};
use crate::analysis::Analysis;
use crate::plan::{Resolved, ResolvedTable, SchemaPair, SequenceKind, SequenceUse, Unit};
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, literal, shell_word};

/// A setting every session of every script pins, as pg_dump's own output pins them: none of
/// what the scripts do may depend on the role's or the database's defaults. (Each transaction
/// that locks production then sets its own limits.)
#[derive(Debug, Serialize)]
pub struct Setting {
    pub name: &'static str,
    /// As SQL.
    pub value: &'static str,
}

const SESSION: &[Setting] = &[
    // The scripts are UTF-8, and so are the names in them.
    Setting {
        name: "client_encoding",
        value: "'UTF8'",
    },
    // The definitions copied from pg_dump's output are written for it.
    Setting {
        name: "standard_conforming_strings",
        value: "on",
    },
    // Every name is schema-qualified: no function or operator outside pg_catalog can be
    // reached, and catalog names print fully qualified.
    Setting {
        name: "search_path",
        value: "''",
    },
    // The bodies of functions re-created from the dump name what their search_path finds.
    Setting {
        name: "check_function_bodies",
        value: "false",
    },
    Setting {
        name: "default_transaction_isolation",
        value: "'read committed'",
    },
    Setting {
        name: "statement_timeout",
        value: "0",
    },
    Setting {
        name: "lock_timeout",
        value: "0",
    },
    Setting {
        name: "idle_in_transaction_session_timeout",
        value: "0",
    },
    // The scripts' queries read the catalog; where its tables are bloated (DDL rolled back
    // by a failed attempt) their cost estimates pass jit_above_cost, and compiling them took
    // seconds inside the cutover's window (GitLab's schema, PostgreSQL 15).
    Setting {
        name: "jit",
        value: "off",
    },
];

/// The PostgreSQL versions restage writes SQL for, and from which version on a setting it pins
/// exists: the preflight refuses other servers, and the scripts set `transaction_timeout` only
/// where there is one.
#[derive(Debug, Serialize)]
pub struct Versions {
    /// The oldest and newest supported major versions.
    pub oldest: u32,
    pub newest: u32,
    /// `server_version_num` of the first release with `transaction_timeout`.
    pub transaction_timeout: u32,
}

pub const VERSIONS: Versions = Versions {
    oldest: 14,
    newest: 18,
    transaction_timeout: 170_000,
};

/// How long a session may sit idle inside a transaction that holds locks on production before
/// the server ends it (`idle_in_transaction_session_timeout`), in milliseconds: psql sends a
/// script's statements one after another, so only a stopped client is ever idle that long.
pub(super) const IDLE_MS: u64 = 1000;

/// Shared by every artifact.
#[derive(Debug, Serialize)]
pub struct Model {
    pub version: &'static str,
    /// `[a-z0-9-]` only, safe anywhere.
    pub plan: String,
    /// The listing file as the plan names it, and its sha256.
    pub listing: String,
    pub listing_sha256: String,
    pub digest: String,
    pub digest_short: String,
    /// The dollar-quote delimiter for DO blocks, one that no name of this plan contains.
    pub tag: String,
    pub run: RunRecord,
    pub unlogged: bool,
    /// `CREATE [UNLOGGED] TABLE`
    pub create_table: &'static str,
    pub cutover: CutoverSettings,
    pub dump: String,
    /// The staging and retired twin of each production schema, plus the base staging schema.
    pub staging_schemas: Vec<String>,
    /// The staging twins alone.
    pub staging_twins: Vec<String>,
    pub retired_schemas: Vec<String>,
    pub tables: Vec<TableModel>,
    pub units: Vec<UnitModel>,
    /// The tables of `mode: recover`, staged and loaded after the units, never swapped.
    pub recovered: Vec<RecoverModel>,
    pub recover: RecoverSettingsModel,
    /// The settings every script's session pins first.
    pub session: &'static [Setting],
    pub versions: &'static Versions,
    pub cutover_driver: DriverModel,
    pub rollback_driver: DriverModel,
    pub cleanup_driver: DriverModel,
    /// The sequences the cutover and the rollback move.
    pub setvals: Setvals,
    /// What the cutover, the rollback and the cleanup lock, in the order they lock it.
    pub cutover_locks: Acquisition,
    pub rollback_locks: Acquisition,
    pub cleanup_locks: Acquisition,
    /// What the cleanup locks when no cutover is recorded: it then drops the staging tables.
    pub abandon_locks: Acquisition,
    /// The one session advisory lock every step of this plan holds while it runs.
    pub guard: Guard,
    /// The production partitions the cutover gives a proof of their bound before it detaches
    /// them, so that a rollback attaches them back without reading them.
    pub retired_proofs: Vec<String>,
    /// Every production table the preflight checks, with the kind it must be.
    pub relations: Vec<RelationCheck>,
    /// What the later steps need the role running them to be allowed, for the preflight.
    pub privileges: Privileges,
    /// The staging and retired schemas 10-stage.sql creates, as literals for `to_regnamespace`.
    pub new_schemas: Vec<String>,
    /// What 20-load.sh needs, quoted for the shell.
    pub load: LoadModel,
    /// Views, materialized views, functions and partitioned tables' foreign keys that the
    /// cutover and rollback re-create.
    pub dependents: Global,
    /// Tables whose parents the cutover and the rollback put back in the dump's order.
    pub inheritance_order: InheritanceOrder,
    /// What production must still have, for the preflight to compare.
    pub drift: Drift,
}

/// Every privilege the steps after the preflight need, as literals, so that the preflight
/// names what is missing instead of a step failing half way.
#[derive(Debug, Serialize)]
pub struct Privileges {
    /// Schemas the cutover and rollback create in: moving a table into a schema, and creating
    /// a materialized view or function again, need CREATE there.
    pub create_in: Vec<String>,
    /// The roles the build makes owners of the staging tables (as the dump says): the role
    /// running it must be able to act as each, and 10-stage.sql lets each create in the
    /// staging schemas.
    pub owners: Vec<String>,
    /// The same roles, quoted, for GRANT.
    pub owner_names: Vec<String>,
    /// Relations the cutover and rollback alter or lock by `OWNER TO`: the role must be able to
    /// act as their owner.
    pub owned: Vec<String>,
    /// Production tables the restored tables' foreign keys reference: the build needs
    /// REFERENCES on them.
    pub references: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct RelationCheck {
    pub literal: String,
    pub relkind: char,
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct LoadModel {
    pub jobs: u32,
    /// ` --max-rate N` for each remap, or nothing.
    pub rate_option: String,
}

/// A unit as its table lists it.
#[derive(Debug, Serialize)]
pub struct UnitRef {
    pub item: String,
    pub staging: String,
}

#[derive(Debug, Serialize)]
pub struct RunRecord {
    /// The base staging schema, which holds restage's own tables.
    pub schema: String,
    pub run: String,
    pub progress: String,
    pub cutover_stats: String,
    /// Where each sequence must be moved at cutover and at rollback, worked out before the
    /// locks are taken.
    pub targets: String,
    /// Each production table's size when it was staged: the load's estimate of its COPY.
    pub estimates: String,
}

#[derive(Debug, Serialize)]
pub struct CutoverSettings {
    pub lock_timeout: String,
    /// The plan's bound on one attempt's whole lock acquisition, in milliseconds; at run time
    /// also at most three quarters of the server's deadlock_timeout.
    pub lock_ms: u64,
    pub statement_timeout: String,
    pub statement_ms: u64,
    /// How long a session may sit idle in a transaction that holds production's locks before
    /// the server ends it, in milliseconds: a client that stops cannot keep them.
    pub idle_ms: u64,
    pub retries: u32,
}

/// One step of a plan at a time: every step takes a session advisory lock keyed by the plan
/// digest (another plan, or another version of this one, has another key) before it does
/// anything, waits a little for it, then says who holds it.
#[derive(Debug, Serialize)]
pub struct Guard {
    /// The lock's `bigint` key: the digest's first 60 bits.
    pub key: i64,
    /// How pg_locks shows the key: its high and low 32 bits.
    pub classid: i64,
    pub objid: i64,
}

impl Guard {
    fn of(digest: &str) -> Guard {
        let key = i64::from_str_radix(&digest[..15], 16).unwrap_or_default();
        Guard {
            key,
            classid: key >> 32,
            objid: key & 0xffff_ffff,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TableModel {
    /// For comments: the quoted name, with line breaks shown as spaces.
    pub label: String,
    pub name: String,
    pub min_rows: u64,
    pub partitioned: bool,
    /// The staged tables that make up this table (itself, or its leaf partitions).
    pub units: Vec<UnitRef>,
}

/// Every sequence move of the cutover and of the rollback, in order.
#[derive(Debug, Default, Serialize)]
pub struct Setvals {
    pub cutover: Vec<SetvalModel>,
    pub rollback: Vec<SetvalModel>,
}

/// A sequence moved past the rows a swap puts in place and never before where it was:
/// `setval(<sequence>, <pick>(<target>, last_value of <floor>))`. The target, the largest value
/// of the column (the smallest for a descending sequence) over `tables`, is worked out before
/// the locks are taken, from tables that no longer change: the staging tables after the build,
/// the replaced tables after the cutover.
#[derive(Debug, Serialize)]
pub struct SetvalModel {
    /// The table and column, for REVIEW.md.
    pub label: String,
    /// Its key in the run record's targets, as a literal.
    pub key: String,
    /// The sequence, quoted.
    pub sequence: String,
    pub pick: &'static str,
    /// The sequence whose `last_value` it must not fall behind.
    pub floor: String,
    pub extreme: &'static str,
    pub column: String,
    pub tables: Vec<String>,
}

impl Model {
    pub fn new(analysis: &Analysis, digest: &str) -> Self {
        // The drift check and the dependents' fidelity read only the inputs: worked out beside
        // the units' models, on the other cores (each takes a tenth of a large plan's compile).
        std::thread::scope(|scope| {
            let drift = scope.spawn(|| {
                drift::drift(
                    &analysis.resolved,
                    &analysis.schema,
                    analysis.toc.header.dumped_from_major(),
                )
            });
            let fidelity = scope.spawn(|| {
                fidelity::fidelity(
                    &analysis.resolved,
                    &analysis.toc,
                    &analysis.schema,
                    analysis.plan.staging.unlogged,
                )
            });
            Self::build(analysis, digest, || joined(drift), || joined(fidelity))
        })
    }

    fn build(
        analysis: &Analysis,
        digest: &str,
        drift: impl FnOnce() -> Drift,
        fidelity: impl FnOnce() -> (Vec<UnitFidelity>, Global),
    ) -> Self {
        let Analysis { plan, resolved, .. } = analysis;
        let base = &plan.staging.schema.value;
        let qualified_in_base = |table: &str| QualifiedName::new(base.clone(), table).quoted();
        let run = RunRecord {
            schema: ident(base),
            run: qualified_in_base("run"),
            progress: qualified_in_base("progress"),
            cutover_stats: qualified_in_base("cutover_stats"),
            targets: qualified_in_base("sequence_targets"),
            estimates: qualified_in_base("load_estimate"),
        };
        let mut staging_schemas = vec![ident(base)];
        staging_schemas.extend(resolved.schemas.values().map(|pair| ident(&pair.staging)));
        let retired_schemas = resolved
            .schemas
            .values()
            .map(|pair| ident(&pair.retired))
            .collect();

        let mut units = Vec::new();
        let mut tables = Vec::new();
        let mut relations = Vec::new();
        let mut setvals = Setvals::default();
        let mut kept = Setvals::default();
        for table in &resolved.tables {
            if table.partitioned {
                relations.push(RelationCheck {
                    literal: literal(&table.name.quoted()),
                    relkind: 'p',
                    kind: "a partitioned table",
                });
            }
            let mut unit_refs = Vec::new();
            for unit in &table.units {
                let (model, cutover, rollback) = unit_model(resolved, unit, units.len() + 1);
                setvals.cutover.extend(cutover);
                setvals.rollback.extend(rollback);
                relations.push(RelationCheck {
                    literal: literal(&model.production),
                    relkind: 'r',
                    kind: "an ordinary table",
                });
                unit_refs.push(UnitRef {
                    item: model.item.clone(),
                    staging: model.staging.clone(),
                });
                units.push(model);
            }
            let (model, cutover, rollback) = table_model(resolved, table, unit_refs);
            kept.cutover.extend(cutover);
            kept.rollback.extend(rollback);
            tables.push(model);
        }
        let recovered = recover_models(resolved, qualified_in_base, units.len() + 1);
        for table in &resolved.recovered {
            relations.push(if table.partitioned {
                RelationCheck {
                    literal: literal(&table.name.quoted()),
                    relkind: 'p',
                    kind: "a partitioned table",
                }
            } else {
                RelationCheck {
                    literal: literal(&table.name.quoted()),
                    relkind: 'r',
                    kind: "an ordinary table",
                }
            });
        }
        // The units' own sequences first, then those partitioned tables keep.
        setvals.cutover.extend(kept.cutover);
        setvals.rollback.extend(kept.rollback);
        let (attached, dependents) = fidelity();
        for (unit, attached) in units.iter_mut().zip(attached) {
            unit.attached = attached;
        }
        let inheritance_order = inheritance::order(&units, &run.schema);
        let cutover_locks = swap_locks(
            analysis,
            &units,
            &dependents,
            &inheritance_order.cutover,
            Swap::Cutover,
        );
        let rollback_locks = swap_locks(
            analysis,
            &units,
            &dependents,
            &inheritance_order.rollback,
            Swap::Rollback,
        );
        let abandon_locks = cleanup_locks(&units, Leftover::Staging);
        let cleanup_locks = cleanup_locks(&units, Leftover::Retired);
        let privileges = privileges(analysis, &units, &dependents, &cutover_locks);
        let retired_proofs = units
            .iter()
            .filter(|u| u.partition.is_some())
            .map(|u| u.production.clone())
            .collect();
        let new_schemas = resolved
            .schemas
            .values()
            .flat_map(|pair| [&pair.staging, &pair.retired])
            .map(|schema| literal(&ident(schema)))
            .collect();
        let tag = dollar_tag(&[
            plan.text.as_bytes(),
            &analysis.listing,
            &analysis.schema_text,
        ]);
        let jobs = plan.load.jobs;
        let load = LoadModel {
            jobs,
            // load.max_rate is for the whole load: the jobs share one schedule (20-load.sh's
            // $work/rate), so the tables loading at each moment share the rate between them.
            rate_option: plan
                .load
                .max_rate
                .map(|rate| format!(" --max-rate {rate} --share-rate-with \"$work/rate\""))
                .unwrap_or_default(),
        };
        let facts = DriverFacts {
            digest_short: &digest[..12],
            retries: plan.cutover.retries,
            recovers: !resolved.recovered.is_empty(),
        };
        let cutover_driver = DriverModel::new(Driven::Cutover, &facts, &cutover_locks.relations);
        let rollback_driver = DriverModel::new(Driven::Rollback, &facts, &rollback_locks.relations);
        let cleanup_driver = DriverModel::new(Driven::Cleanup, &facts, &cleanup_locks.relations);
        Model {
            version: env!("CARGO_PKG_VERSION"),
            plan: plan.name.clone(),
            listing: plan.source.listing.value.replace(['\n', '\r'], " "),
            listing_sha256: analysis.sha256.listing.clone(),
            digest: digest.to_owned(),
            digest_short: digest[..12].to_owned(),
            tag: tag.clone(),
            run,
            unlogged: plan.staging.unlogged,
            create_table: if plan.staging.unlogged {
                "CREATE UNLOGGED TABLE"
            } else {
                "CREATE TABLE"
            },
            cutover: CutoverSettings {
                lock_timeout: literal(&plan.cutover.lock_timeout.to_postgres()),
                lock_ms: plan.cutover.lock_timeout.millis,
                statement_timeout: literal(&plan.cutover.statement_timeout.to_postgres()),
                statement_ms: plan.cutover.statement_timeout.millis,
                idle_ms: IDLE_MS,
                retries: plan.cutover.retries,
            },
            dump: shell_word(&plan.source.dump),
            staging_twins: staging_schemas[1..].to_vec(),
            staging_schemas,
            retired_schemas,
            tables,
            units,
            recovered,
            recover: RecoverSettingsModel::new(&plan.recover, plan.cutover.retries),
            session: SESSION,
            versions: &VERSIONS,
            cutover_driver,
            rollback_driver,
            cleanup_driver,
            setvals,
            cutover_locks,
            rollback_locks,
            cleanup_locks,
            abandon_locks,
            guard: Guard::of(digest),
            retired_proofs,
            relations,
            privileges,
            new_schemas,
            load,
            dependents,
            inheritance_order,
            drift: drift(),
        }
    }
}

/// What a scoped thread returned; its panic goes on in the thread that waits for it.
fn joined<T>(thread: std::thread::ScopedJoinHandle<'_, T>) -> T {
    thread
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// `$restage$`, or `$restage_N$` when an input holds `$restage$`: a DO block's body must not
/// contain its own delimiter, and every name and definition in a DO block comes from the
/// inputs.
fn dollar_tag(inputs: &[&[u8]]) -> String {
    let mut tag = "$restage$".to_owned();
    let mut n = 0;
    while inputs
        .iter()
        .any(|input| memchr::memmem::find(input, tag.as_bytes()).is_some())
    {
        n += 1;
        tag = format!("$restage_{n}$");
    }
    tag
}

fn label(name: &QualifiedName) -> String {
    name.quoted().replace(['\n', '\r'], " ")
}

/// A table's model, and the moves of the sequences a partitioned table keeps, at cutover and
/// at rollback.
fn table_model(
    resolved: &Resolved,
    table: &ResolvedTable,
    units: Vec<UnitRef>,
) -> (TableModel, Vec<SetvalModel>, Vec<SetvalModel>) {
    // A partitioned table's own sequence draws for all its partitions: its target is over all
    // of them.
    let twins = |twin: fn(&SchemaPair) -> &String| -> Vec<String> {
        table
            .units
            .iter()
            .map(|u| {
                let pair = &resolved.schemas[&u.name.schema];
                QualifiedName::new(twin(pair).clone(), u.name.name.clone()).quoted()
            })
            .collect()
    };
    let kept = |step: &str, tables: Vec<String>| -> Vec<SetvalModel> {
        table
            .kept_sequences
            .iter()
            .map(|s| setval(step, s, &table.name, s.sequence.quoted(), tables.clone()))
            .collect()
    };
    let model = TableModel {
        label: label(&table.name),
        name: table.name.quoted(),
        min_rows: table.min_rows.unwrap_or(1),
        partitioned: table.partitioned,
        units,
    };
    (
        model,
        kept("cutover", twins(|p| &p.staging)),
        kept("rollback", twins(|p| &p.retired)),
    )
}

/// A unit's model, and the moves of its sequences at cutover and at rollback.
fn unit_model(
    resolved: &Resolved,
    unit: &Unit,
    number: usize,
) -> (UnitModel, Vec<SetvalModel>, Vec<SetvalModel>) {
    let schema = &unit.name.schema;
    let pair = &resolved.schemas[schema];
    let staging = QualifiedName::new(pair.staging.clone(), unit.name.name.clone());
    let retired = QualifiedName::new(pair.retired.clone(), unit.name.name.clone());
    let production = &unit.name;
    let mut owned_sequences = Vec::new();
    let mut cutover_setvals = Vec::new();
    let mut rollback_setvals = Vec::new();
    for sequence in &unit.sequences {
        // The floor is where the sequence the new table draws from would otherwise go on from.
        // An identity sequence belongs to its table: after either swap, the replaced table's
        // own sits in the retired schema under the same name. Any other sequence stays where
        // it is, and is its own floor.
        let floor = match sequence.kind {
            SequenceKind::Identity => {
                QualifiedName::new(pair.retired.clone(), sequence.sequence.name.clone()).quoted()
            }
            SequenceKind::Owned | SequenceKind::Default => sequence.sequence.quoted(),
        };
        if sequence.kind == SequenceKind::Owned {
            owned_sequences.push(OwnedModel {
                sequence: sequence.sequence.quoted(),
                column: ident(&sequence.column),
            });
        }
        cutover_setvals.push(setval(
            "cutover",
            sequence,
            production,
            floor.clone(),
            vec![staging.quoted()],
        ));
        rollback_setvals.push(setval(
            "rollback",
            sequence,
            production,
            floor,
            vec![retired.quoted()],
        ));
    }
    let list_file = format!("load/{number:04}-{}.list", file_safe(production));
    let model = UnitModel {
        number: format!("{number:04}"),
        label: label(production),
        item: literal(&production.quoted()),
        production: production.quoted(),
        production_schema: ident(schema),
        staging: staging.quoted(),
        staging_schema: ident(&pair.staging),
        retired: retired.quoted(),
        retired_schema: ident(&pair.retired),
        // A partition takes its identity from its parent: a staged copy with an identity of its
        // own could not be attached.
        like: if unit.partition.is_some() {
            "INCLUDING DEFAULTS INCLUDING GENERATED"
        } else {
            "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY"
        },
        list_file,
        data_line: unit
            .data
            .as_ref()
            .filter(|d| !d.disabled)
            .map(|d| d.line.clone()),
        partition: unit.partition.as_ref().map(|p| PartitionModel {
            parent: p.parent.quoted(),
            default: p.bound.trim() == "DEFAULT",
            bound: p.bound.clone(),
        }),
        owned_sequences,
        attached: UnitFidelity::default(),
    };
    (model, cutover_setvals, rollback_setvals)
}

/// How `sequence` (drawn from by `table`'s column) is moved at `step`: past the values of that
/// column in `tables`, never behind `floor`.
fn setval(
    step: &str,
    sequence: &SequenceUse,
    table: &QualifiedName,
    floor: String,
    tables: Vec<String>,
) -> SetvalModel {
    let label = format!("{}.{}", label(table), ident(&sequence.column));
    SetvalModel {
        key: literal(&format!("{step} {label}")),
        label,
        sequence: sequence.sequence.quoted(),
        pick: pick(sequence),
        floor,
        extreme: extreme(sequence),
        column: ident(&sequence.column),
        tables,
    }
}

fn privileges(
    analysis: &Analysis,
    units: &[UnitModel],
    dependents: &Global,
    cutover_locks: &Acquisition,
) -> Privileges {
    let Analysis {
        resolved, schema, ..
    } = analysis;
    let mut create_in: BTreeSet<String> = resolved.schemas.keys().cloned().collect();
    create_in.extend(dependents.matviews.iter().map(|m| m.schema.clone()));
    create_in.extend(dependents.functions.iter().map(|f| f.schema.clone()));
    let owners: BTreeSet<String> = resolved
        .tables
        .iter()
        .flat_map(|t| &t.units)
        .filter_map(|u| schema.block(u.table_id)?.table_owner())
        .collect();
    let references: BTreeSet<String> = units
        .iter()
        .flat_map(|u| &u.attached.foreign_keys)
        .filter_map(|fk| fk.references_outside.clone())
        .collect();
    Privileges {
        create_in: create_in.iter().map(|s| literal(s)).collect(),
        owners: owners.iter().map(|r| literal(r)).collect(),
        owner_names: owners.iter().map(|r| ident(r)).collect(),
        owned: cutover_locks
            .claims
            .iter()
            .map(|(name, _)| literal(name))
            .collect(),
        references: references.iter().map(|t| literal(t)).collect(),
    }
}

/// Which way a swap goes: the cutover puts the staging tables in, the rollback the replaced
/// ones back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Swap {
    Cutover,
    Rollback,
}

/// What the cutover or the rollback locks, in the acquisition's order (see
/// [`AcquisitionBuilder`]).
fn swap_locks(
    analysis: &Analysis,
    units: &[UnitModel],
    dependents: &Global,
    reorders: &[Reorder],
    swap: Swap,
) -> Acquisition {
    let Analysis {
        resolved, schema, ..
    } = analysis;
    let exclusive = LockMode::AccessExclusive;
    let mut locks = AcquisitionBuilder::default();
    // Views and materialized views, which their readers lock before the tables they read.
    for name in dependents.views.iter().map(|v| &v.name) {
        locks.own(name);
    }
    for matview in &dependents.matviews {
        locks.own(&matview.name);
    }
    // Tables outside the plan that change with the swap, and that reference plan tables or
    // inherit from them: their foreign keys are re-pointed, they change parent.
    for unit in resolved.tables.iter().flat_map(|t| &t.units) {
        for (table, _) in unit.attachments.inbound_foreign_key_tables(schema) {
            locks.lock(&table.quoted(), exclusive, true);
        }
        for partition in unit
            .attachments
            .inbound_partitions
            .values()
            .flatten()
            .filter_map(|id| schema.name_of(*id))
        {
            locks.lock(&partition.quoted(), exclusive, true);
        }
    }
    for child in units.iter().flat_map(|u| &u.attached.children) {
        locks.lock(&child.name, exclusive, true);
    }
    // Tables outside the plan that the keys a partition's ATTACH takes over reference.
    for fk in units
        .iter()
        .flat_map(|u| &u.attached.foreign_keys)
        .filter(|fk| fk.taken_over_at_attach)
    {
        for referenced in fk
            .references_outside
            .iter()
            .chain(&fk.references_partitions)
        {
            locks.lock(referenced, exclusive, true);
        }
    }
    // Parents outside the plan that a table takes once more, to keep its parents in order.
    let shadows = units
        .iter()
        .filter_map(|u| u.attached.inheritance.as_ref())
        .flat_map(|i| &i.shadows)
        .flat_map(|s| [&s.staging, &s.retired]);
    let own: Vec<&String> = units
        .iter()
        .flat_map(|u| [&u.production, &u.staging, &u.retired])
        .chain(shadows)
        .collect();
    for parent in reorders.iter().flat_map(|r| &r.parents) {
        if !own.contains(&parent) {
            locks.lock(parent, LockMode::ShareUpdateExclusive, true);
        }
    }
    // Parents outside the plan that a restored child joins and leaves.
    for shadow in units
        .iter()
        .filter_map(|u| u.attached.inheritance.as_ref())
        .flat_map(|i| &i.shadows)
    {
        locks.lock(&shadow.parent, LockMode::ShareUpdateExclusive, true);
    }
    // The plan's tables, referencing before referenced (the load order reversed), each
    // partitioned table before its partitions.
    let mut at = 0;
    let mut spans = Vec::new();
    for table in &resolved.tables {
        spans.push((table, at..at + table.units.len()));
        at += table.units.len();
    }
    for (table, span) in spans.iter().rev() {
        if table.partitioned {
            locks.lock(&table.name.quoted(), exclusive, true);
        }
        for unit in &units[span.clone()] {
            if let Some(partition) = &unit.partition {
                locks.lock(&partition.parent, exclusive, true);
            }
            locks.lock(&unit.production, exclusive, true);
        }
    }
    // The sequences the swap moves, re-owns or sets.
    for unit in resolved.tables.iter().flat_map(|t| &t.units) {
        for sequence in &unit.sequences {
            locks.own(&sequence.sequence.quoted());
        }
    }
    for sequence in resolved.tables.iter().flat_map(|t| &t.kept_sequences) {
        locks.own(&sequence.sequence.quoted());
    }
    // restage's own copies: nobody else uses them, so locking them never waits.
    for unit in units {
        let copy = match swap {
            Swap::Cutover => &unit.staging,
            Swap::Rollback => &unit.retired,
        };
        locks.lock(copy, exclusive, false);
    }
    locks.build()
}

/// What the cleanup locks: the production tables the retired tables' foreign keys reference
/// (dropping a key drops its triggers there), then the retired tables and the stand-ins for
/// parents.
/// The copies of the plan's tables the cleanup drops: the retired ones after a cutover, the
/// staging ones when none is recorded (the restore abandoned, or every cutover attempt failed).
#[derive(Clone, Copy)]
enum Leftover {
    Retired,
    Staging,
}

/// Dropping a copy drops its foreign keys, and with them their triggers on the production
/// tables they reference: ACCESS EXCLUSIVE on those, whichever copy it is.
fn cleanup_locks(units: &[UnitModel], leftover: Leftover) -> Acquisition {
    let exclusive = LockMode::AccessExclusive;
    let mut locks = AcquisitionBuilder::default();
    for fk in units.iter().flat_map(|u| &u.attached.foreign_keys) {
        for referenced in fk
            .references_outside
            .iter()
            .chain(&fk.references_partitions)
        {
            locks.lock(referenced, exclusive, true);
        }
    }
    for unit in units {
        let copy = match leftover {
            Leftover::Retired => &unit.retired,
            Leftover::Staging => &unit.staging,
        };
        locks.lock(copy, exclusive, false);
        for shadow in unit.attached.inheritance.iter().flat_map(|i| &i.shadows) {
            locks.lock(&shadow.staging, exclusive, false);
            locks.lock(&shadow.retired, exclusive, false);
        }
    }
    locks.build()
}

fn pick(sequence: &SequenceUse) -> &'static str {
    if sequence.increment < 0 {
        "LEAST"
    } else {
        "GREATEST"
    }
}

fn extreme(sequence: &SequenceUse) -> &'static str {
    if sequence.increment < 0 { "min" } else { "max" }
}

/// A file name part from a table name: letters, digits, `_`, `-` and `.` kept, all else `_`.
pub(super) fn file_safe(name: &QualifiedName) -> String {
    format!("{}.{}", name.schema, name.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(
            file_safe(&QualifiedName::new("public", "reading")),
            "public.reading"
        );
        assert_eq!(
            file_safe(&QualifiedName::new("Weird Schema", "we\"ird/table")),
            "Weird_Schema.we_ird_table"
        );
        assert_eq!(file_safe(&QualifiedName::new("ünï", "t")), "_n_.t");
    }
}
