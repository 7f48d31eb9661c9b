//! The locks each step takes on production, as REVIEW.md claims them: data, which the
//! end-to-end tests compare with `pg_locks` on a real server.

use std::collections::BTreeSet;

use serde::Serialize;

use super::locks::LockMode;
use super::model::Model;
use crate::analysis::Analysis;
use crate::artifacts;
use crate::compile::VERSIONS;

/// A lock a step takes on production relations, stronger than ACCESS SHARE (which every step
/// takes on what it reads, and which blocks only ACCESS EXCLUSIVE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockClaim {
    pub mode: LockMode,
    /// Quoted, qualified names, sorted.
    pub relations: Vec<String>,
    /// How long it is held.
    pub held: String,
    /// Taken only when the run finds it needed (a materialized view is refreshed only when
    /// production's was populated at the cutover): REVIEW.md's claim is then the most it takes.
    pub conditional: bool,
}

/// One artifact a person runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub file: &'static str,
    /// The SQL script these locks are taken by: the one the shell driver runs for
    /// `50-cutover.sh`; none for `20-load.sh`, whose sessions write only staging tables.
    pub script: Option<&'static str>,
    pub what: String,
    /// What it does to production, in a few words.
    pub production: String,
    pub locks: Vec<LockClaim>,
    pub rerun: String,
}

/// What each step does and which locks it takes on production, in run order.
pub(super) fn steps(analysis: &Analysis, model: &Model) -> Vec<Step> {
    if !model.recovered.is_empty() {
        return recover_steps(analysis, model);
    }
    let facts = Facts::new(analysis, model);
    let timeout = &analysis.plan.cutover.lock_timeout.to_postgres();
    let units = model.units.len();
    let tables = model.tables.len();
    let mut steps = Vec::new();

    steps.push(Step {
        file: artifacts::PREFLIGHT,
        script: Some(artifacts::PREFLIGHT),
        what: format!(
            "Checks before anything is created, in a transaction it rolls back: PostgreSQL {} to {}, the right to create schemas, every plan table present as the listing says and owned by a role this session can act as, the staging and retired schemas new, and production's definitions of the restored tables (and of what the cutover re-creates) unchanged since the dump, compared as the server reads both (through scratch objects in the session's temporary schema), not as text.",
            VERSIONS.oldest, VERSIONS.newest
        ),
        production: "reads the catalog only".into(),
        locks: Vec::new(),
        rerun: "yes, any time".into(),
    });
    steps.push(Step {
        file: artifacts::STAGE,
        script: Some(artifacts::STAGE),
        what: format!(
            "Creates the staging and retired schemas, the run record, and {} empty {}staging table(s) like production's{}.",
            units,
            if model.unlogged { "UNLOGGED " } else { "" },
            if model.unlogged { "" } else { ", with their keys and indexes: the load maintains them row by row, so their WAL flows at the load's pace instead of in one burst from the build" }
        ),
        production: "no writes; copies the definitions of the plan tables".into(),
        locks: Vec::new(),
        rerun: "yes: does nothing once this plan's staging exists".into(),
    });
    let rate = analysis
        .plan
        .load
        .max_rate
        .map(|r| {
            format!(
                ", at most {r} bytes in any one second, shared by the tables loading at the time"
            )
        })
        .unwrap_or_default();
    steps.push(Step {
        file: artifacts::LOAD,
        script: None,
        what: format!(
            "Loads each staging table from the dump: `pg_restore --data-only | restage remap | psql`, one transaction per table, {} at a time{rate}. `restage remap` stops the stream at anything but a COPY into a staging table.",
            model.load.jobs
        ),
        production: if model.unlogged {
            "no: writes only the staging tables, which are UNLOGGED (no WAL)".into()
        } else {
            "no: writes only the staging tables".into()
        },
        locks: Vec::new(),
        rerun: "yes: goes on with the first table not loaded; no table is loaded twice".into(),
    });
    let mut build_locks = Vec::new();
    if !facts.outbound.is_empty() {
        build_locks.push(LockClaim {
            mode: LockMode::ShareRowExclusive,
            relations: facts.outbound.iter().cloned().collect(),
            held: format!("while a foreign key to it is added NOT VALID: one short transaction per key, taking its lock within the acquisition bound (lock_timeout {timeout}, at most three quarters of deadlock_timeout) or stopping, having changed nothing; then ROW SHARE while the key is validated"),
            conditional: false,
        });
    }
    steps.push(Step {
        file: artifacts::BUILD,
        script: Some(artifacts::BUILD),
        what: format!(
            "{}Builds on the staging tables what production's have, from the schema SQL: {}constraints, triggers, rules, policies, grants, comments, statistics; then their foreign keys, added NOT VALID and validated, so a restored row without its referenced row stops here; then VACUUM (ANALYZE), so the tables go live all-visible and with statistics; then where each sequence will go at cutover, so the cutover reads nothing under its locks. The build is recorded only when all of it is done.",
            if model.unlogged { "SET LOGGED writes each staging table to WAL in one go (standbys replay it). " } else { "" },
            if model.unlogged { "keys, indexes and " } else { "" }
        ),
        production: if facts.outbound.is_empty() {
            "no".into()
        } else {
            format!("no writes; adds foreign keys that reference {} production table(s)", facts.outbound.len())
        },
        locks: build_locks,
        rerun: "yes: goes on where it stopped".into(),
    });
    steps.push(Step {
        file: artifacts::VERIFY,
        script: Some(artifacts::VERIFY),
        what: format!("Read-only assertions on the staging tables: each holds the rows the load recorded, each of the {tables} plan table(s) at least its `min_rows`, no row of another table points at a row a restored table lacks (unless the plan accepts it: `accept_orphans`), and each restored copy has what the swap replaces (owner, comment, storage options, replica identity, access method, column settings, trigger firing states, rules, ...) as production has it."),
        production: "no".into(),
        locks: Vec::new(),
        rerun: "yes, any time before the cutover".into(),
    });
    steps.push(Step {
        file: artifacts::CUTOVER_DRIVER,
        script: Some(artifacts::CUTOVER),
        what: "Swaps the staging tables into production in one short transaction (see *The cutover window*). Once it holds its locks, and before it changes anything, it compares production with the dump again, as the preflight does, and with the restored copies, as 40-verify.sql does, and refuses on any difference (a change since would be undone by the swap).".into(),
        production: "yes: the swap".into(),
        locks: facts.swap_locks("from when it has taken all its locks (within lock_timeout, or it tries again) until COMMIT"),
        rerun: format!(
            "yes: an attempt that does not get its locks in time changes nothing and is retried (up to {} times); once done, a rerun does nothing",
            model.cutover.retries
        ),
    });
    let after_cutover_locks = facts.after_cutover_locks();
    steps.push(Step {
        file: artifacts::AFTER_CUTOVER,
        script: Some(artifacts::AFTER_CUTOVER),
        what: "Validates the foreign keys the cutover re-pointed, and refreshes the materialized views it re-created, without exclusive locks on the swapped tables; each on its own, so that one that fails keeps none of the others from being done, and a report at the end that fails when anything is left.".into(),
        production: if after_cutover_locks.is_empty() {
            "no: nothing to validate or refresh for this plan".into()
        } else {
            "yes: reads the referencing tables, refreshes materialized views".into()
        },
        locks: after_cutover_locks,
        rerun: "yes".into(),
    });
    steps.push(Step {
        file: artifacts::ROLLBACK_DRIVER,
        script: Some(artifacts::ROLLBACK),
        what: "Only after a cutover, instead of 55: swaps the replaced tables back in one transaction like the cutover's (comparing production with the dump again under its locks first: a change made to the restored tables since the cutover would be lost), then validates and refreshes as 55 does. With no cutover recorded it says there is nothing to undo, and changes nothing.".into(),
        production: "yes: the swap back".into(),
        locks: facts.swap_locks("from when it has taken all its locks (within lock_timeout, or it tries again) until COMMIT; then as 55-after-cutover.sql"),
        rerun: "yes: an attempt that does not get its locks in time changes nothing and is retried; once done, a rerun does nothing".into(),
    });
    let mut cleanup_locks = Vec::new();
    if !facts.outbound.is_empty() {
        cleanup_locks.push(LockClaim {
            mode: LockMode::AccessExclusive,
            relations: facts.outbound.iter().cloned().collect(),
            held: format!("dropping the retired tables (or, with no cutover recorded, the staging tables) drops their foreign keys to these tables: from when the cleanup has taken all its locks (within the acquisition bound, lock_timeout {timeout} at most, or it tries again) until it commits"),
            conditional: false,
        });
    }
    steps.push(Step {
        file: artifacts::CLEANUP_DRIVER,
        script: Some(artifacts::CLEANUP),
        what: format!(
            "Drops the retired tables and restage's schemas, once approved on the command line (`-v approve={}`), and only once 55 (or the rollback) has finished: a re-pointed foreign key still NOT VALID, or a re-created materialized view still empty, stops it. After it, nothing can be rolled back. With no cutover recorded (the restore abandoned, or every cutover attempt failed) it drops the staging tables instead, and production never changed.",
            model.digest_short
        ),
        production: "drops the retired tables, which production no longer uses".into(),
        locks: cleanup_locks,
        rerun: "yes: does nothing once clean".into(),
    });
    steps.push(Step {
        file: artifacts::STATUS,
        script: Some(artifacts::STATUS),
        what: "At any step, also while another runs: shows the run record (the steps done and when, each table's load with its rows and size, the cutover), what a rollback would do now, and the next command.".into(),
        production: "no: reads the run record, the catalog and the statistics system".into(),
        locks: Vec::new(),
        rerun: "yes, any time".into(),
    });
    steps
}

/// What the lock claims are computed from.
struct Facts {
    /// Relations the swap holds ACCESS EXCLUSIVE: plan tables, partitioned parents, children
    /// and referencing tables re-pointed, views and materialized views re-created, the
    /// sequences it moves.
    exclusive: BTreeSet<String>,
    /// Parents outside the plan that a restored child joins and leaves.
    parents: BTreeSet<String>,
    /// Production tables outside the plan that restored tables reference.
    outbound: BTreeSet<String>,
    /// Tables outside the plan whose foreign keys reference restored tables, and those.
    referencing: BTreeSet<String>,
    referenced: BTreeSet<String>,
    /// Materialized views re-created by the swap: refreshed after it when production's was
    /// populated at the swap, which only the run can tell.
    refreshed: BTreeSet<String>,
}

impl Facts {
    fn new(analysis: &Analysis, model: &Model) -> Self {
        let schema = &analysis.schema;
        let dependents = &analysis.resolved.dependents;
        let name = |id: u32| schema.name_of(id).map(|n| n.quoted());
        let claimed = |mode: LockMode| -> BTreeSet<String> {
            model
                .cutover_locks
                .claims
                .iter()
                .filter(|(_, m)| *m == mode)
                .map(|(name, _)| name.clone())
                .collect()
        };
        let exclusive = claimed(LockMode::AccessExclusive);
        let parents = claimed(LockMode::ShareUpdateExclusive);
        let outbound = model
            .units
            .iter()
            .flat_map(|u| &u.attached.foreign_keys)
            .flat_map(|fk| {
                fk.references_outside
                    .iter()
                    .chain(&fk.references_partitions)
            })
            .cloned()
            .collect();
        let mut referencing = BTreeSet::new();
        let mut referenced = BTreeSet::new();
        // Only what 55 and the rollback validate: the keys production had checked, and that
        // the cutover did not add back valid.
        for unit in &model.units {
            for fk in unit
                .attached
                .inbound
                .iter()
                .filter(|fk| fk.validated && !fk.checked_at_cutover)
            {
                // The referencing table, and a partitioned one's partitions.
                referencing.extend(
                    fk.validate_locks
                        .claims
                        .iter()
                        .filter(|(_, mode)| *mode == LockMode::ShareUpdateExclusive)
                        .map(|(name, _)| name.clone()),
                );
                referenced.insert(unit.production.clone());
            }
        }
        let refreshed = dependents
            .matviews
            .iter()
            .filter_map(|m| name(m.id))
            .collect();
        Facts {
            exclusive,
            parents,
            outbound,
            referencing,
            referenced,
            refreshed,
        }
    }

    fn swap_locks(&self, held: &str) -> Vec<LockClaim> {
        let mut locks = vec![LockClaim {
            mode: LockMode::AccessExclusive,
            relations: self.exclusive.iter().cloned().collect(),
            held: held.to_owned(),
            conditional: false,
        }];
        if !self.parents.is_empty() {
            locks.push(LockClaim {
                mode: LockMode::ShareUpdateExclusive,
                relations: self.parents.iter().cloned().collect(),
                held: "until COMMIT: tables that inherit from them join and leave them, or take them once more to keep their parents in order".into(),
                conditional: false,
            });
        }
        locks
    }

    fn after_cutover_locks(&self) -> Vec<LockClaim> {
        let mut locks = Vec::new();
        if !self.refreshed.is_empty() {
            locks.push(LockClaim {
                mode: LockMode::AccessExclusive,
                relations: self.refreshed.iter().cloned().collect(),
                held: "while each materialized view that was populated in production at the cutover is refreshed (it is empty, and errors on reads, until then)".into(),
            conditional: true,
        });
        }
        if !self.referencing.is_empty() {
            locks.push(LockClaim {
                mode: LockMode::ShareUpdateExclusive,
                relations: self.referencing.iter().cloned().collect(),
                held:
                    "while each re-pointed foreign key is validated, reading every row of its table"
                        .into(),
                conditional: false,
            });
            locks.push(LockClaim {
                mode: LockMode::RowShare,
                relations: self.referenced.iter().cloned().collect(),
                held: "while the foreign keys that reference them are validated".into(),
                conditional: false,
            });
        }
        locks
    }
}

/// The steps of a plan that recovers rows: staged, loaded and built like a swap's, then the
/// rows put back in batches; nothing of production is locked more than an INSERT or a DELETE
/// locks it.
fn recover_steps(analysis: &Analysis, model: &Model) -> Vec<Step> {
    let tables = model.recovered.len();
    let targets: BTreeSet<String> = model.recovered.iter().map(|r| r.target.clone()).collect();
    // A row inserted into a partitioned table goes to a partition, which the insert locks too.
    let written: BTreeSet<String> = model
        .recovered
        .iter()
        .flat_map(|r| [r.target.clone(), r.production.clone()])
        .collect();
    let parents: BTreeSet<String> = model
        .recovered
        .iter()
        .flat_map(|r| r.parents.iter().map(|p| p.table.clone()))
        .collect();
    let lock_timeout = &analysis.plan.cutover.lock_timeout.to_postgres();
    let batch = model.recover.batch_rows;
    let throttle = match model.recover.max_rows_per_second {
        Some(rate) => format!(
            "at most {rate} rows a second (a pause of {} s after each full batch)",
            model.recover.pause.as_deref().unwrap_or("0")
        ),
        None => "no throttle".to_owned(),
    };
    let mut recover_locks = vec![LockClaim {
        mode: LockMode::RowExclusive,
        relations: written.iter().cloned().collect(),
        held: format!(
            "for one batch of at most {batch} rows, one short transaction each, taken within lock_timeout {lock_timeout} (or the batch is tried again, having changed nothing)"
        ),
        conditional: false,
    }];
    if !parents.is_empty() {
        recover_locks.push(LockClaim {
            mode: LockMode::RowShare,
            relations: parents.iter().cloned().collect(),
            held: "for one batch: the foreign keys' checks lock the parent rows of the inserted rows (FOR KEY SHARE), which blocks only their deletion and key updates".into(),
            conditional: false,
        });
    }
    vec![
        Step {
            file: artifacts::PREFLIGHT,
            script: Some(artifacts::PREFLIGHT),
            what: format!("Checks before anything is created, in a transaction it rolls back: PostgreSQL {} to {}, the right to create schemas, every plan table present as the listing says, this role allowed to read and insert into it, a unique index of production's on exactly each table's key (recovery's ON CONFLICT needs it), the parents readable, and the staging and retired schemas new.", VERSIONS.oldest, VERSIONS.newest),
            production: "reads the catalog only".into(),
            locks: Vec::new(),
            rerun: "yes, any time".into(),
        },
        Step {
            file: artifacts::STAGE,
            script: Some(artifacts::STAGE),
            what: format!("Creates the staging and retired schemas, the run record, {tables} empty {}staging table(s) with production's columns (no keys, no triggers), and for each a table in the run record of what recovery decides for each of its rows.", if model.unlogged { "UNLOGGED " } else { "" }),
            production: "no writes; copies the columns of the plan tables".into(),
            locks: Vec::new(),
            rerun: "yes: does nothing once this plan's staging exists".into(),
        },
        Step {
            file: artifacts::LOAD,
            script: None,
            what: format!("Loads each staging table from the dump: `pg_restore --data-only | restage remap | psql`, one transaction per table, {} at a time. `restage remap` stops the stream at anything but a COPY into a staging table.", model.load.jobs),
            production: "no: writes only the staging tables".into(),
            locks: Vec::new(),
            rerun: "yes: goes on with the first table not loaded; no table is loaded twice".into(),
        },
        Step {
            file: artifacts::BUILD,
            script: Some(artifacts::BUILD),
            what: "Creates on each staging table only what recovery needs: a unique index on the key, which recovery walks in order; then VACUUM (ANALYZE).".into(),
            production: "no".into(),
            locks: Vec::new(),
            rerun: "yes: goes on where it stopped".into(),
        },
        Step {
            file: artifacts::RECOVER_PREVIEW,
            script: Some(artifacts::RECOVER_PREVIEW),
            what: "Read-only: for each table, how many of the dump's rows recovery would insert now, how many production already has (kept as production has them), how many need a parent that is neither in production nor recovered first; and the first keys of each.".into(),
            production: "no".into(),
            locks: Vec::new(),
            rerun: "yes, any time".into(),
        },
        Step {
            file: artifacts::RECOVER,
            script: None,
            what: format!("Puts the dump's rows production lacks back, table by table, parents first, in key order: {batch} candidate rows per transaction, {throttle}. A batch inserts the rows whose key production does not have and whose parents it has (`INSERT ... ON CONFLICT DO NOTHING`: a row production has or gets meanwhile is kept as it is), and records what became of every candidate in the run record in the same transaction. Production's triggers fire as for any insert. A lock not granted in time, a deadlock, a serialization failure or a parent deleted meanwhile ends the batch having changed nothing, and it is tried again with backoff (up to {} times). At the end it reports every candidate: inserted, already there, or orphaned.", model.cutover.retries),
            production: format!(
                "yes: inserts rows into {}{}",
                targets.iter().cloned().collect::<Vec<_>>().join(", "),
                if model.recovered.iter().any(|r| r.overwrite) { "; overwrites rows that differ from the dump's where the plan says on_conflict: overwrite" } else { "" }
            ),
            locks: recover_locks,
            rerun: "yes: goes on after the last batch that committed; a kill or a crash at any point loses nothing and inserts nothing twice; once done, a rerun inserts nothing".into(),
        },
        Step {
            file: artifacts::UNDO_RECOVER,
            script: Some(artifacts::UNDO_RECOVER),
            what: "Takes out the rows recovery inserted, children before parents, one transaction per table: only those still exactly as recovery wrote them and referenced by no row (any foreign key in the catalog, whatever its ON DELETE). The rest it leaves and counts: deleted since, changed since, referenced.".into(),
            production: "yes: deletes the recovered rows".into(),
            locks: vec![LockClaim {
                mode: LockMode::RowExclusive,
                relations: written.iter().cloned().collect(),
                held: format!("for one table's delete, taken within lock_timeout {lock_timeout}; the foreign keys that reference them lock the referencing tables ROW SHARE as they check"),
                conditional: false,
            }],
            rerun: "yes: takes out what is left to take out".into(),
        },
        Step {
            file: artifacts::CLEANUP_DRIVER,
            script: Some(artifacts::CLEANUP),
            what: format!("Drops the staging tables, the record of the recovery and restage's schemas, once approved on the command line (`-v approve={}`). After it, the recovery cannot be undone; the recovered rows stay.", model.digest_short),
            production: "no".into(),
            locks: Vec::new(),
            rerun: "yes: does nothing once clean".into(),
        },
        Step {
            file: artifacts::STATUS,
            script: Some(artifacts::STATUS),
            what: "At any step, also while another runs: shows the run record (the steps done and when), what recovery has decided for each table, and the next command.".into(),
            production: "no: reads the run record and the staging tables".into(),
            locks: Vec::new(),
            rerun: "yes, any time".into(),
        },
    ]
}
