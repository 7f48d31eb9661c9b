//! The shell drivers of the steps that lock production (`50-cutover.sh`, `60-rollback.sh`,
//! `70-cleanup.sh`): what each retries, and what it tells the operator about the state
//! production is in, read from the run record, after any outcome.

use serde::Serialize;

use crate::sql::quote::{literal, shell_word};

/// One driver, every value ready for the shell.
#[derive(Debug, Serialize)]
pub struct DriverModel {
    /// `50-cutover.sh`
    pub name: &'static str,
    /// `50-cutover.sql`
    pub script: &'static str,
    /// `cutover`, as its messages name the step.
    pub step: &'static str,
    /// What to type after `./<name>`, for the usage line.
    pub usage: String,
    pub retries: u32,
    /// `SET ...` for the sessions the driver opens itself, as one shell word.
    pub session: String,
    /// Whether the run record exists: `t` or `f`.
    pub staged_query: String,
    /// `other`, `staged`, `cut-over` or `rolled-back`.
    pub state_query: String,
    /// The state this step brings production to: reaching it is success.
    pub done: &'static str,
    /// What the driver says in each state, as shell words.
    pub states: Vec<StateMessage>,
    /// One line per autovacuum that works to prevent wraparound on a relation the step locks.
    pub wraparound_query: String,
}

#[derive(Debug, Serialize)]
pub struct StateMessage {
    pub state: &'static str,
    pub says: String,
}

/// What the drivers are built from.
pub struct DriverFacts<'a> {
    /// The run record's tables: the one that holds the digest, and the progress record.
    pub run: &'a str,
    pub progress: &'a str,
    pub digest: &'a str,
    pub digest_short: &'a str,
    pub retries: u32,
    /// `session_line` of the plan, by step.
    pub session: &'a dyn Fn(&str) -> String,
}

#[derive(Clone, Copy)]
pub enum Driven {
    Cutover,
    Rollback,
    Cleanup,
}

impl DriverModel {
    /// The driver of `driven`, which locks `relations` (literals).
    pub fn new(driven: Driven, facts: &DriverFacts, relations: &[String]) -> DriverModel {
        let cleanup = format!("./70-cleanup.sh -v approve={}", facts.digest_short);
        let (name, script, step, usage, done) = match driven {
            Driven::Cutover => (
                "50-cutover.sh",
                "50-cutover.sql",
                "cutover",
                String::new(),
                "cut-over",
            ),
            Driven::Rollback => (
                "60-rollback.sh",
                "60-rollback.sql",
                "rollback",
                String::new(),
                "rolled-back",
            ),
            Driven::Cleanup => (
                "70-cleanup.sh",
                "70-cleanup.sql",
                "cleanup",
                format!(" -v approve={}", facts.digest_short),
                "unstaged",
            ),
        };
        let says = |state: &'static str, text: String| StateMessage {
            state,
            says: shell_word(&format!("restage {step}: {text}")),
        };
        let other = says(
            "other",
            "the staging schema was made by another plan, or another version of this one: production is as that plan left it; use that plan's artifacts".into(),
        );
        let states = match driven {
            Driven::Cutover => vec![
                says("unstaged", "there is no staging from this plan: production has its own tables. Next: 00-preflight.sql, then 10-stage.sql".into()),
                other,
                says("staged", "the cutover is not recorded: production is unchanged, on its own tables. Next: once the cause above is dealt with, ./50-cutover.sh again".into()),
                says("cut-over", "the cutover is recorded: production is on the restored tables, the replaced ones are in the retired schemas. Next: psql -X -f 55-after-cutover.sql (or ./60-rollback.sh to undo the cutover)".into()),
                says("rolled-back", format!("the cutover was rolled back: production is on its own tables again, the restored tables are in the retired schemas. Next: {cleanup}; to restore again, start over from 00-preflight.sql")),
            ],
            Driven::Rollback => vec![
                says("unstaged", "there is no staging from this plan: production has its own tables, there is nothing to roll back".into()),
                other,
                says("staged", "no cutover is recorded: production is on its own tables, there is nothing to roll back. Next: ./50-cutover.sh, or drop the staging and retired schemas to abandon the restore".into()),
                says("cut-over", "the rollback is not recorded: production is still on the restored tables. Next: once the cause above is dealt with, ./60-rollback.sh again".into()),
                says("rolled-back", format!("the rollback is recorded: production is on its own tables again; the restored tables, with anything written to them since the cutover, are in the retired schemas. Next: {cleanup}")),
            ],
            Driven::Cleanup => vec![
                says("unstaged", "nothing of this plan is left: the retired tables and restage's schemas are gone".into()),
                other,
                says("staged", "nothing was dropped: no cutover is recorded, production is on its own tables. Next: ./50-cutover.sh; to abandon the restore instead, drop the staging and retired schemas".into()),
                says("cut-over", format!("nothing was dropped: production is on the restored tables, the replaced ones are still in the retired schemas, and a rollback is still possible. Next: once the cause above is dealt with, {cleanup}")),
                says("rolled-back", format!("nothing was dropped: production is on its own tables, the restored copies are still in the retired schemas. Next: once the cause above is dealt with, {cleanup}")),
            ],
        };
        let progress_literal = literal(facts.progress);
        let state_query = format!(
            "SELECT CASE \
             WHEN NOT EXISTS (SELECT FROM {run_table} WHERE digest = {digest}) THEN 'other' \
             WHEN EXISTS (SELECT FROM {progress} WHERE step = 'rollback') THEN 'rolled-back' \
             WHEN EXISTS (SELECT FROM {progress} WHERE step = 'cutover') THEN 'cut-over' \
             ELSE 'staged' END",
            run_table = facts.run,
            digest = literal(facts.digest),
            progress = facts.progress,
        );
        let wraparound_query = format!(
            "SELECT pg_catalog.format('%s (pid %s, %s, %s%% of its heap scanned)', p.relid::pg_catalog.regclass, a.pid, p.phase, \
             CASE WHEN p.heap_blks_total > 0 THEN 100 * p.heap_blks_scanned / p.heap_blks_total ELSE 0 END) \
             FROM pg_catalog.pg_stat_progress_vacuum p JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid \
             WHERE a.query LIKE 'autovacuum:%(to prevent wraparound)' \
             AND p.relid IN (SELECT pg_catalog.to_regclass(t) FROM pg_catalog.unnest(ARRAY[{}]::pg_catalog.text[]) AS t)",
            relations.join(", ")
        );
        DriverModel {
            name,
            script,
            step,
            usage,
            retries: facts.retries,
            session: shell_word(&(facts.session)(name)),
            staged_query: shell_word(&format!(
                "SELECT pg_catalog.to_regclass({progress_literal}) IS NOT NULL"
            )),
            state_query: shell_word(&state_query),
            done,
            states,
            wraparound_query: shell_word(&wraparound_query),
        }
    }
}
