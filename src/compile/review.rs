//! REVIEW.md: what an approver needs to say yes or no without reading every line of SQL. The
//! tables and their order, each step with what it does to production and the locks it takes,
//! the cutover window, what a rollback cannot undo, the lint findings, and the sha256 of every
//! artifact, which is what the approver signs off.
//!
//! The lock claims are data ([`steps`]): the end-to-end tests run each script against a real
//! server and compare them with `pg_locks`.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::claims::{LockClaim, Step, steps};
use super::locks::LockMode;
use super::model::Model;
use crate::analysis::Analysis;
use crate::artifacts;
use crate::diagram;
use crate::graph::{Edge, Reason};
use crate::lint::Finding;
use crate::markdown::{cell, code, fence};
use crate::sql::lexer;

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
    /// The tables whose plan entry says `accept_orphans: true`, as code spans.
    accepts_orphans: Vec<String>,
    graph: String,
    graph_fence: String,
    findings: Vec<FindingRow>,
    steps: Vec<StepRow>,
    modes: Vec<ModeRow>,
    window: Window,
    rollback: Rollback,
    replicas: Replicas,
    /// For a plan that recovers rows: what it puts back, and how.
    recovery: Option<RecoveryReview>,
    artifacts: Vec<Artifact>,
}

/// What a recovery plan puts back into production, in the order it does.
#[derive(Serialize)]
struct RecoveryReview {
    tables: Vec<RecoverRow>,
    batch_rows: u32,
    max_rows_per_second: Option<u64>,
    pause: Option<String>,
    lock_timeout: String,
    retries: u32,
}

#[derive(Serialize)]
struct RecoverRow {
    number: usize,
    name: String,
    key: String,
    /// The plan's `where:`, verbatim, fenced.
    filter: Option<String>,
    filter_fence: String,
    /// Partitions whose rows are loaded, each on its own, and inserted through the table.
    partitions: String,
    parents: String,
    triggers: String,
    /// What happens to a candidate whose key production has.
    on_conflict: &'static str,
}

/// What physical standbys see of the load and the build.
#[derive(Serialize)]
struct Replicas {
    /// Staging is UNLOGGED (the build's SET LOGGED and index builds go to WAL in bursts).
    unlogged_staging: bool,
    /// `load.max_rate`, as the plan states it, when set.
    max_rate: Option<String>,
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
    /// Foreign keys the cutover adds back valid, reading every row of their tables.
    checked: Vec<String>,
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
        templates: &[(String, String)],
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
        for (name, text) in templates {
            inputs.push(Input {
                what: "Template in place of the built-in one",
                file: code(name),
                sha256: crate::digest::sha256_hex(text.as_bytes()),
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

        let recovery = (!resolved.recovered.is_empty()).then(|| RecoveryReview {
            tables: resolved
                .recovered
                .iter()
                .enumerate()
                .filter_map(|(i, table)| {
                    let recovery = table.recovery.as_ref()?;
                    let codes = |items: Vec<String>| {
                        cell(&items.iter().map(|i| code(i)).collect::<Vec<_>>().join(", "))
                    };
                    Some(RecoverRow {
                        number: i + 1,
                        name: cell(&code(&table.name.quoted())),
                        key: cell(&code(&recovery.key.join(", "))),
                        filter_fence: recovery.filter.as_deref().map(fence).unwrap_or_default(),
                        filter: recovery.filter.clone(),
                        partitions: if table.partitioned {
                            codes(table.units.iter().map(|u| u.name.quoted()).collect())
                        } else {
                            String::new()
                        },
                        parents: cell(
                            &recovery
                                .parents
                                .iter()
                                .map(|p| {
                                    format!(
                                        "{} ({}) → {}",
                                        code(&p.columns.join(", ")),
                                        code(&p.name),
                                        code(&p.referenced.quoted())
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join("<br>"),
                        ),
                        triggers: codes(recovery.triggers.clone()),
                        on_conflict: match recovery.on_conflict {
                            crate::plan::OnConflict::Skip => "production's row is kept",
                            crate::plan::OnConflict::Overwrite => {
                                "overwritten with the dump's, when they differ (production's saved first)"
                            }
                        },
                    })
                })
                .collect(),
            batch_rows: model.recover.batch_rows,
            max_rows_per_second: model.recover.max_rows_per_second,
            pause: model.recover.pause.clone(),
            lock_timeout: plan.cutover.lock_timeout.to_postgres(),
            retries: plan.cutover.retries,
        });
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
        let cutover = steps.iter().find(|s| s.file == artifacts::CUTOVER_DRIVER);
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
        let statements =
            window_statements(files.get(artifacts::CUTOVER).map_or("", String::as_str));
        let sequences = model
            .setvals
            .cutover
            .iter()
            .map(|s| code(&s.label))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let checked = model
            .units
            .iter()
            .flat_map(|u| &u.attached.inbound)
            .filter(|fk| fk.checked_at_cutover)
            .map(|fk| format!("{} of {}", code(&fk.name), code(&fk.table)))
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
            checked,
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
        let replicas = Replicas {
            unlogged_staging: plan.staging.unlogged,
            max_rate: plan
                .load
                .max_rate
                .map(|rate| code(&format!("{rate} bytes/s"))),
        };
        Review {
            replicas,
            recovery,
            version: env!("CARGO_PKG_VERSION"),
            plan: code(&plan.name),
            plan_file: plan.file_name.clone(),
            digest: model.digest.clone(),
            dump: code(&plan.source.dump),
            inputs,
            listing,
            tables,
            accepts_orphans: resolved
                .tables
                .iter()
                .filter(|t| t.accept_orphans)
                .map(|t| code(&t.name.quoted()))
                .collect(),
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

/// The waits 50-cutover.sh makes between attempts, as REVIEW.md states them.
fn backoff(retries: u32) -> String {
    let waits: Vec<String> = super::drivers::backoff(retries)
        .iter()
        .map(|s| format!("{s}s"))
        .collect();
    match waits.len() {
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
