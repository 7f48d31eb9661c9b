//! The shell drivers of the steps that lock production (`50-cutover.sh`, `60-rollback.sh`,
//! `70-cleanup.sh`): what each retries, how long it waits between attempts, and what it tells
//! the operator about the state production is in, read from the run record, after any outcome.
//! The queries it sends are in the templates.

use serde::Serialize;

use crate::artifacts;

/// One driver.
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
    /// The wait before each retry, in seconds.
    pub delays: Vec<u64>,
    /// The states this step ends in: reaching one is success (a rollback with no cutover to
    /// undo has nothing to do).
    pub done: &'static [&'static str],
    /// What the driver says in each state.
    pub states: Vec<StateMessage>,
    /// What the step locks, as literals: the driver waits while autovacuum works on any of
    /// them to prevent wraparound.
    pub relations: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct StateMessage {
    pub state: &'static str,
    pub says: String,
}

/// What the drivers are built from.
pub struct DriverFacts<'a> {
    pub digest_short: &'a str,
    pub retries: u32,
    /// Whether the plan recovers rows (nothing is swapped, and cleanup ends the undo).
    pub recovers: bool,
}

/// The waits between the attempts of a driver that tries `retries` more times: 1, 2, 4, 8, then
/// 16 seconds.
pub(super) fn backoff(retries: u32) -> Vec<u64> {
    (0..retries).map(|retry| 1 << retry.min(4)).collect()
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
        let (name, script, step, usage, done): (_, _, _, _, &'static [&'static str]) = match driven
        {
            Driven::Cutover => (
                artifacts::CUTOVER_DRIVER,
                artifacts::CUTOVER,
                "cutover",
                String::new(),
                &["cut-over"],
            ),
            Driven::Rollback => (
                artifacts::ROLLBACK_DRIVER,
                artifacts::ROLLBACK,
                "rollback",
                String::new(),
                &["rolled-back", "staged"],
            ),
            Driven::Cleanup => (
                artifacts::CLEANUP_DRIVER,
                artifacts::CLEANUP,
                "cleanup",
                format!(" -v approve={}", facts.digest_short),
                &["unstaged"],
            ),
        };
        let says = |state: &'static str, text: String| StateMessage {
            state,
            says: format!("restage {step}: {text}"),
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
                says("staged", format!("no cutover is recorded: production is on its own tables, there is nothing to roll back. Next: ./50-cutover.sh, or {cleanup} to abandon the restore (it drops the staging tables and restage's schemas)")),
                says("cut-over", "the rollback is not recorded: production is still on the restored tables. Next: once the cause above is dealt with, ./60-rollback.sh again".into()),
                says("rolled-back", format!("the rollback is recorded: production is on its own tables again; the restored tables, with anything written to them since the cutover, are in the retired schemas. Next: {cleanup}")),
            ],
            Driven::Cleanup if facts.recovers => vec![
                says("unstaged", "nothing of this plan is left: the staging copies, the record of the recovery and restage's schemas are gone; the recovered rows stay in production".into()),
                other,
                says("staged", format!("nothing was dropped: production keeps the recovered rows, and the staging copies and the record of the recovery are still there (60-undo-recover.sql can still run). Next: once the cause above is dealt with, {cleanup} again")),
            ],
            Driven::Cleanup => vec![
                says("unstaged", "nothing of this plan is left: the retired tables and restage's schemas are gone".into()),
                other,
                says("staged", format!("nothing was dropped: no cutover is recorded, production is on its own tables. Next: ./50-cutover.sh; or, to abandon the restore, once the cause above is dealt with, {cleanup} again")),
                says("cut-over", format!("nothing was dropped: production is on the restored tables, the replaced ones are still in the retired schemas, and a rollback is still possible. Next: once the cause above is dealt with, {cleanup}")),
                says("rolled-back", format!("nothing was dropped: production is on its own tables, the restored copies are still in the retired schemas. Next: once the cause above is dealt with, {cleanup}")),
            ],
        };
        DriverModel {
            name,
            script,
            step,
            usage,
            retries: facts.retries,
            delays: backoff(facts.retries),
            done,
            states,
            relations: relations.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_16_seconds() {
        assert_eq!(backoff(0), Vec::<u64>::new());
        assert_eq!(backoff(3), [1, 2, 4]);
        assert_eq!(backoff(7), [1, 2, 4, 8, 16, 16, 16]);
    }
}
