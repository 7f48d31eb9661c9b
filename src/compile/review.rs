//! REVIEW.md: what an approver needs to say yes or no without reading every line of SQL. The
//! tables and their order, each step with what it does to production and the locks it takes,
//! the cutover window, what a rollback cannot undo, the lint findings, and the sha256 of every
//! artifact, which is what the approver signs off.
//!
//! The lock claims are data ([`steps`]): the end-to-end tests run each script against a real
//! server and compare them with `pg_locks`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::model::Model;
use crate::analysis::Analysis;
use crate::diagram;
use crate::graph::{Edge, Reason};
use crate::lint::Finding;
use crate::markdown::{cell, code, fence};
use crate::sql::lexer;

pub const FILE: &str = "REVIEW.md";

/// PostgreSQL's table lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// As `LOCK TABLE ... IN <mode> MODE` names it.
    pub fn sql(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// From `pg_locks.mode` (`AccessExclusiveLock`).
    pub fn from_pg_locks(mode: &str) -> Option<LockMode> {
        let name = mode.strip_suffix("Lock")?;
        LockMode::ALL
            .into_iter()
            .find(|m| m.sql().replace(' ', "").eq_ignore_ascii_case(name))
    }

    /// What waits while it is held, in the words of the PostgreSQL manual's conflict table.
    pub fn blocks(self) -> &'static str {
        match self {
            LockMode::AccessShare => {
                "only ACCESS EXCLUSIVE (ALTER TABLE, DROP, TRUNCATE, VACUUM FULL); reads and writes go on"
            }
            LockMode::RowShare => "EXCLUSIVE and ACCESS EXCLUSIVE; reads and writes go on",
            LockMode::RowExclusive => {
                "SHARE and stronger (CREATE INDEX without CONCURRENTLY, most DDL); reads and writes go on"
            }
            LockMode::ShareUpdateExclusive => {
                "VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and DDL; reads and writes go on"
            }
            LockMode::Share => "writes and DDL; reads go on",
            LockMode::ShareRowExclusive => "INSERT, UPDATE, DELETE, MERGE and DDL; reads go on",
            LockMode::Exclusive => "everything but plain reads",
            LockMode::AccessExclusive => "everything, SELECT included",
        }
    }
}

/// A lock a step takes on production relations, stronger than ACCESS SHARE (which every step
/// takes on what it reads, and which blocks only ACCESS EXCLUSIVE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockClaim {
    pub mode: LockMode,
    /// Quoted, qualified names, sorted.
    pub relations: Vec<String>,
    /// How long it is held.
    pub held: String,
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
pub fn steps(analysis: &Analysis, model: &Model) -> Vec<Step> {
    let facts = Facts::new(analysis, model);
    let timeout = &analysis.plan.cutover.lock_timeout.to_postgres();
    let units = model.units.len();
    let tables = model.tables.len();
    let mut steps = Vec::new();

    steps.push(Step {
        file: "00-preflight.sql",
        script: Some("00-preflight.sql"),
        what: "Read-only checks before anything is created: PostgreSQL 14 to 18, the right to create schemas, every plan table present as the listing says and owned by a role this session can act as, the staging and retired schemas new, and production's definitions of the restored tables (and of what the cutover re-creates) unchanged since the dump.".into(),
        production: "reads the catalog only".into(),
        locks: Vec::new(),
        rerun: "yes, any time".into(),
    });
    steps.push(Step {
        file: "10-stage.sql",
        script: Some("10-stage.sql"),
        what: format!(
            "Creates the staging and retired schemas, the run record, and {} empty {}staging table(s) like production's.",
            units,
            if model.unlogged { "UNLOGGED " } else { "" }
        ),
        production: "no writes; copies the definitions of the plan tables".into(),
        locks: Vec::new(),
        rerun: "yes: does nothing once this plan's staging exists".into(),
    });
    let rate = analysis
        .plan
        .load
        .max_rate
        .map(|r| format!(", at most {r} bytes/s in all"))
        .unwrap_or_default();
    steps.push(Step {
        file: "20-load.sh",
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
        });
    }
    steps.push(Step {
        file: "30-build.sql",
        script: Some("30-build.sql"),
        what: format!(
            "{}Builds on the staging tables what production's have, from the schema SQL: keys, indexes and constraints, triggers, rules, policies, grants, comments, statistics; then their foreign keys, added NOT VALID and validated, so a restored row without its referenced row stops here; then VACUUM (ANALYZE), so the tables go live all-visible and with statistics; then where each sequence will go at cutover, so the cutover reads nothing under its locks. The build is recorded only when all of it is done.",
            if model.unlogged { "SET LOGGED writes each staging table to WAL in one go (standbys replay it). " } else { "" }
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
        file: "40-verify.sql",
        script: Some("40-verify.sql"),
        what: format!("Read-only assertions on the staging tables: each holds the rows the load recorded, and each of the {tables} plan table(s) at least its `min_rows`."),
        production: "no".into(),
        locks: Vec::new(),
        rerun: "yes, any time before the cutover".into(),
    });
    steps.push(Step {
        file: "50-cutover.sh",
        script: Some("50-cutover.sql"),
        what: "Swaps the staging tables into production in one short transaction (see *The cutover window*).".into(),
        production: "yes: the swap".into(),
        locks: facts.swap_locks("from when it has taken all its locks (within lock_timeout, or it tries again) until COMMIT"),
        rerun: format!(
            "yes: an attempt that does not get its locks in time changes nothing and is retried (up to {} times); once done, a rerun does nothing",
            model.cutover.retries
        ),
    });
    let after_cutover_locks = facts.after_cutover_locks();
    steps.push(Step {
        file: "55-after-cutover.sql",
        script: Some("55-after-cutover.sql"),
        what: "Validates the foreign keys the cutover re-pointed, and refreshes the materialized views it re-created, without exclusive locks on the swapped tables.".into(),
        production: if after_cutover_locks.is_empty() {
            "no: nothing to validate or refresh for this plan".into()
        } else {
            "yes: reads the referencing tables, refreshes materialized views".into()
        },
        locks: after_cutover_locks,
        rerun: "yes".into(),
    });
    steps.push(Step {
        file: "60-rollback.sh",
        script: Some("60-rollback.sql"),
        what: "Only after a cutover, instead of 55: swaps the replaced tables back in one transaction like the cutover's, then validates and refreshes as 55 does.".into(),
        production: "yes: the swap back".into(),
        locks: facts.swap_locks("from when it has taken all its locks (within lock_timeout, or it tries again) until COMMIT; then as 55-after-cutover.sql"),
        rerun: "yes: an attempt that does not get its locks in time changes nothing and is retried; once done, a rerun does nothing".into(),
    });
    let mut cleanup_locks = Vec::new();
    if !facts.outbound.is_empty() {
        cleanup_locks.push(LockClaim {
            mode: LockMode::AccessExclusive,
            relations: facts.outbound.iter().cloned().collect(),
            held: format!("dropping the retired tables drops their foreign keys to these tables: from when the cleanup has taken all its locks (within the acquisition bound, lock_timeout {timeout} at most, or it tries again) until it commits"),
        });
    }
    steps.push(Step {
        file: "70-cleanup.sh",
        script: Some("70-cleanup.sql"),
        what: format!(
            "Drops the retired tables and restage's schemas, once approved on the command line (`-v approve={}`). After it, nothing can be rolled back.",
            model.digest_short
        ),
        production: "drops the retired tables, which production no longer uses".into(),
        locks: cleanup_locks,
        rerun: "yes: does nothing once clean".into(),
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
    /// Materialized views refreshed after the swap.
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
            .filter_map(|fk| fk.references_outside.clone())
            .collect();
        let mut referencing = BTreeSet::new();
        let mut referenced = BTreeSet::new();
        for unit in analysis.resolved.tables.iter().flat_map(|t| &t.units) {
            for (table, _) in unit.attachments.inbound_foreign_key_tables(schema) {
                referencing.insert(table.quoted());
                referenced.insert(unit.name.quoted());
            }
        }
        let refreshed = dependents
            .matviews
            .iter()
            .filter(|m| m.data.is_some())
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
        }];
        if !self.parents.is_empty() {
            locks.push(LockClaim {
                mode: LockMode::ShareUpdateExclusive,
                relations: self.parents.iter().cloned().collect(),
                held: "until COMMIT: restored children join and leave them".into(),
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
                held: "while each materialized view is refreshed (it is empty, and errors on reads, until then)".into(),
            });
        }
        if !self.referencing.is_empty() {
            locks.push(LockClaim {
                mode: LockMode::ShareUpdateExclusive,
                relations: self.referencing.iter().cloned().collect(),
                held:
                    "while each re-pointed foreign key is validated, reading every row of its table"
                        .into(),
            });
            locks.push(LockClaim {
                mode: LockMode::RowShare,
                relations: self.referenced.iter().cloned().collect(),
                held: "while the foreign keys that reference them are validated".into(),
            });
        }
        locks
    }
}

/// REVIEW.md's content, every cell ready to print.
#[derive(Serialize)]
pub struct Review {
    version: &'static str,
    plan: String,
    plan_file: String,
    digest: String,
    dump: String,
    inputs: Vec<Input>,
    listing: ListingFacts,
    tables: Vec<TableRow>,
    graph: String,
    graph_fence: String,
    findings: Vec<FindingRow>,
    steps: Vec<StepRow>,
    modes: Vec<ModeRow>,
    window: Window,
    rollback: Rollback,
    artifacts: Vec<Artifact>,
}

#[derive(Serialize)]
struct Input {
    what: &'static str,
    file: String,
    sha256: String,
}

#[derive(Serialize)]
struct ListingFacts {
    entries: usize,
    dumped_from: String,
    dumped_by: String,
}

#[derive(Serialize)]
struct TableRow {
    number: usize,
    name: String,
    entries: String,
    partitions: String,
    min_rows: u64,
    after: String,
}

#[derive(Serialize)]
struct FindingRow {
    code: String,
    /// Allowed by the plan: the plan's author has acknowledged it.
    allowed: bool,
    table: String,
    message: String,
    help: String,
}

#[derive(Serialize)]
struct StepRow {
    file: String,
    what: String,
    production: String,
    /// The strongest lock, for the overview table.
    strongest: String,
    locks: Vec<LockRow>,
    rerun: String,
}

#[derive(Serialize)]
struct LockRow {
    mode: &'static str,
    relations: String,
    held: String,
}

#[derive(Serialize)]
struct ModeRow {
    mode: &'static str,
    blocks: &'static str,
}

#[derive(Serialize)]
struct Window {
    lock_timeout: String,
    idle_timeout: String,
    statement_timeout: String,
    retries: u32,
    backoff: String,
    exclusive: Vec<String>,
    others: Vec<LockRow>,
    statements: String,
    statement_count: usize,
    statements_fence: String,
    /// The columns whose sequences the cutover moves past the restored rows.
    sequences: Vec<String>,
}

#[derive(Serialize)]
struct Rollback {
    tables: Vec<String>,
    matviews: Vec<String>,
    sequences: Vec<String>,
}

#[derive(Serialize)]
struct Artifact {
    file: String,
    sha256: String,
}

impl Review {
    /// The review of `files`, the artifacts compiled from `analysis` (without the review and
    /// the manifest), whose sha256 are `hashes`.
    pub fn new(
        analysis: &Analysis,
        model: &Model,
        findings: &[Finding],
        files: &BTreeMap<String, String>,
        hashes: &BTreeMap<String, String>,
    ) -> Self {
        let plan = &analysis.plan;
        let resolved = &analysis.resolved;
        let mut inputs = vec![
            Input {
                what: "Plan",
                file: code(&plan.file_name),
                sha256: analysis.sha256.plan.clone(),
            },
            Input {
                what: "Listing",
                file: code(&plan.source.listing.value),
                sha256: analysis.sha256.listing.clone(),
            },
        ];
        if let Some(schema) = &plan.source.schema {
            inputs.push(Input {
                what: "Schema SQL",
                file: code(&schema.value),
                sha256: analysis.sha256.schema.clone(),
            });
        }
        let header = &analysis.toc.header;
        let unknown = || "not stated".to_owned();
        let listing = ListingFacts {
            entries: analysis.toc.entries.len(),
            dumped_from: header.dumped_from.clone().unwrap_or_else(unknown),
            dumped_by: header.dumped_by.clone().unwrap_or_else(unknown),
        };

        let mut comes_after: BTreeMap<usize, Vec<&Edge>> = BTreeMap::new();
        for edge in resolved.edges.iter().filter(|e| e.before != e.after) {
            comes_after.entry(edge.after).or_default().push(edge);
        }
        let tables = resolved
            .tables
            .iter()
            .enumerate()
            .map(|(i, table)| {
                let data = |unit: &crate::plan::Unit| match &unit.data {
                    Some(d) if d.disabled => format!("TABLE DATA {} (disabled)", d.id),
                    Some(d) => format!("TABLE DATA {}", d.id),
                    None => "no TABLE DATA".to_owned(),
                };
                let (entries, partitions) = if table.partitioned {
                    let partitions: Vec<String> = table
                        .units
                        .iter()
                        .map(|u| {
                            let bound = u
                                .partition
                                .as_ref()
                                .map(|p| code(&p.bound))
                                .unwrap_or_default();
                            format!(
                                "{} {bound}: TABLE {}, {}",
                                code(&u.name.quoted()),
                                u.table_id,
                                data(u)
                            )
                        })
                        .collect();
                    (format!("TABLE {}", table.table_id), partitions.join("<br>"))
                } else {
                    let unit = &table.units[0];
                    (
                        format!("TABLE {}, {}", table.table_id, data(unit)),
                        String::new(),
                    )
                };
                let after: Vec<String> = comes_after
                    .get(&i)
                    .into_iter()
                    .flatten()
                    .map(|e| {
                        let why = match &e.reason {
                            Reason::ForeignKey { constraint, .. } => {
                                format!("FK {}", code(constraint))
                            }
                            Reason::After { .. } => "`after:`".to_owned(),
                            Reason::Inherits { .. } => "inherits".to_owned(),
                        };
                        format!("{} ({why})", e.before + 1)
                    })
                    .collect();
                TableRow {
                    number: i + 1,
                    name: cell(&code(&table.name.quoted())),
                    entries: cell(&entries),
                    partitions: cell(&partitions),
                    min_rows: table.min_rows.unwrap_or(1),
                    after: cell(&after.join(", ")),
                }
            })
            .collect();

        let graph = diagram::mermaid(resolved);
        let steps = steps(analysis, model);
        let mut used: BTreeSet<LockMode> = steps
            .iter()
            .flat_map(|s| &s.locks)
            .map(|l| l.mode)
            .collect();
        used.insert(LockMode::AccessShare);
        let modes = used
            .into_iter()
            .rev()
            .map(|mode| ModeRow {
                mode: mode.sql(),
                blocks: mode.blocks(),
            })
            .collect();
        let cutover = steps.iter().find(|s| s.file == "50-cutover.sh");
        let exclusive = cutover
            .into_iter()
            .flat_map(|s| &s.locks)
            .filter(|l| l.mode == LockMode::AccessExclusive)
            .flat_map(|l| l.relations.iter().map(|r| code(r)))
            .collect();
        let others = cutover
            .into_iter()
            .flat_map(|s| &s.locks)
            .filter(|l| l.mode != LockMode::AccessExclusive)
            .map(lock_row)
            .collect();
        let statements = window_statements(files.get("50-cutover.sql").map_or("", String::as_str));
        let sequences = model
            .setvals
            .cutover
            .iter()
            .map(|s| code(&s.label))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let joined = statements.join("\n");
        let window = Window {
            lock_timeout: plan.cutover.lock_timeout.to_postgres(),
            idle_timeout: format!("{} ms", model.cutover.idle_ms),
            statement_timeout: plan.cutover.statement_timeout.to_postgres(),
            retries: plan.cutover.retries,
            backoff: backoff(plan.cutover.retries),
            exclusive,
            others,
            statement_count: statements.len(),
            statements_fence: fence(&joined),
            statements: joined,
            sequences,
        };
        let rollback = Rollback {
            tables: model.units.iter().map(|u| code(&u.production)).collect(),
            matviews: analysis
                .resolved
                .dependents
                .matviews
                .iter()
                .filter_map(|m| analysis.schema.name_of(m.id))
                .map(|n| code(&n.quoted()))
                .collect(),
            sequences: model
                .setvals
                .rollback
                .iter()
                .map(|s| code(&s.label))
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
        };
        Review {
            version: env!("CARGO_PKG_VERSION"),
            plan: code(&plan.name),
            plan_file: plan.file_name.clone(),
            digest: model.digest.clone(),
            dump: code(&plan.source.dump),
            inputs,
            listing,
            tables,
            graph_fence: fence(&graph),
            graph,
            findings: findings
                .iter()
                .map(|f| FindingRow {
                    code: format!("{} {}", f.code, f.name),
                    allowed: f.allowed,
                    table: f
                        .table
                        .as_deref()
                        .map(|t| cell(&code(t)))
                        .unwrap_or_default(),
                    message: cell(&f.message),
                    help: cell(f.help),
                })
                .collect(),
            steps: steps.iter().map(step_row).collect(),
            modes,
            window,
            rollback,
            artifacts: hashes
                .iter()
                .map(|(file, sha256)| Artifact {
                    file: code(file),
                    sha256: sha256.clone(),
                })
                .collect(),
        }
    }
}

fn step_row(step: &Step) -> StepRow {
    let strongest = step.locks.iter().map(|l| l.mode).max().map_or(
        "none stronger than ACCESS SHARE".to_owned(),
        |m| {
            let count: BTreeSet<&String> = step
                .locks
                .iter()
                .filter(|l| l.mode == m)
                .flat_map(|l| &l.relations)
                .collect();
            format!("**{}** on {} relation(s)", m.sql(), count.len())
        },
    );
    StepRow {
        file: code(step.file),
        what: step.what.clone(),
        production: step.production.clone(),
        strongest,
        locks: step.locks.iter().map(lock_row).collect(),
        rerun: step.rerun.clone(),
    }
}

fn lock_row(lock: &LockClaim) -> LockRow {
    LockRow {
        mode: lock.mode.sql(),
        relations: lock
            .relations
            .iter()
            .map(|r| code(r))
            .collect::<Vec<_>>()
            .join(", "),
        held: lock.held.clone(),
    }
}

/// The waits 50-cutover.sh makes between attempts: 1, 2, 4, 8, then 16 seconds.
fn backoff(retries: u32) -> String {
    let waits: Vec<String> = (1..=retries.min(6))
        .map(|attempt| if attempt < 5 { 1 << (attempt - 1) } else { 16 })
        .map(|s: u32| format!("{s}s"))
        .collect();
    match retries {
        0 => "no retries".to_owned(),
        1..=5 => waits.join(", "),
        _ => format!("{}, … (16s from then on)", waits[..5].join(", ")),
    }
}

/// The SQL statements 50-cutover.sql runs from its `LOCK TABLE` to its `COMMIT`, as written
/// there: what runs while production is locked.
fn window_statements(script: &str) -> Vec<String> {
    let sql: String = script
        .lines()
        .filter(|l| !l.starts_with('\\'))
        .flat_map(|l| [l, "\n"])
        .collect();
    let texts: Vec<&str> = lexer::statements(&sql)
        .iter()
        .map(|s| s.text(&sql))
        .filter(|t| !t.is_empty())
        .collect();
    texts
        .iter()
        .skip_while(|t| !t.starts_with("LOCK TABLE"))
        .take_while(|t| **t != "COMMIT;")
        .map(|t| (*t).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_modes_read_from_pg_locks() {
        assert_eq!(
            LockMode::from_pg_locks("AccessExclusiveLock"),
            Some(LockMode::AccessExclusive)
        );
        assert_eq!(
            LockMode::from_pg_locks("ShareRowExclusiveLock"),
            Some(LockMode::ShareRowExclusive)
        );
        assert_eq!(LockMode::from_pg_locks("ShareLock"), Some(LockMode::Share));
        assert_eq!(LockMode::from_pg_locks("SIReadLock"), None);
        assert!(LockMode::RowShare < LockMode::ShareUpdateExclusive);
    }

    #[test]
    fn backoff_is_what_the_driver_waits() {
        assert_eq!(backoff(0), "no retries");
        assert_eq!(backoff(3), "1s, 2s, 4s");
        assert_eq!(backoff(10), "1s, 2s, 4s, 8s, 16s, … (16s from then on)");
    }

    #[test]
    fn the_window_runs_from_lock_to_commit() {
        let script = "BEGIN;\nSET LOCAL x = 1;\n\\if :done\nLOCK TABLE a IN ACCESS EXCLUSIVE MODE;\n-- why\nALTER TABLE a\n    SET SCHEMA b;\n\\endif\nCOMMIT;\n";
        assert_eq!(
            window_statements(script),
            [
                "LOCK TABLE a IN ACCESS EXCLUSIVE MODE;",
                "ALTER TABLE a\n    SET SCHEMA b;"
            ]
        );
    }
}
