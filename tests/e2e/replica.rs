//! A primary with a synchronous standby (a second cluster on this machine, `pg_basebackup -R`):
//! a COMMIT waits for the standby while it holds every lock, so a standby that is down must
//! stop the cutover before it locks anything; and when the connection is lost during that
//! COMMIT, the driver says what the run record says, not what it guesses.

use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::*;

const SHOP: &str = "
    CREATE TABLE public.account (id bigserial PRIMARY KEY, name text NOT NULL, balance int NOT NULL DEFAULT 0);
    CREATE TABLE public.entry (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES public.account, amount int NOT NULL);
    INSERT INTO public.account (name) SELECT 'account ' || g FROM generate_series(1, 1000) g;
    INSERT INTO public.entry (account_id, amount) SELECT g, g FROM generate_series(1, 1000) g;
";

const STANDBY: &str = "restage_standby";

/// A primary with the shop database and a synchronous standby that streams from it.
fn primary_and_standby() -> (Cluster, Cluster, Archive) {
    let primary = Cluster::start();
    primary.create_database("shop");
    primary.query("shop", SHOP);
    let archive = Archive::make(&primary, "shop");
    let standby = primary.standby(STANDBY);
    primary.set("synchronous_standby_names", STANDBY);
    wait_for("the standby streams as synchronous", || {
        primary.query(
            "postgres",
            &format!("SELECT count(*) FROM pg_stat_replication WHERE application_name = '{STANDBY}' AND state = 'streaming' AND sync_state = 'sync'"),
        ) == "1\n"
    });
    (primary, standby, archive)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts `artifact` in the background, in a process group of its own.
fn spawn(run: &Artifacts, artifact: &str) -> Child {
    run.command(run.out.join(artifact))
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the driver starts")
}

/// Waits at most `limit` for `child`; kills it (its whole process group, psql included) and
/// fails when it takes longer.
fn finish_within(child: Child, limit: Duration, what: &str) -> Output {
    let started = Instant::now();
    let mut child = child;
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > limit {
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let output = child.wait_with_output().expect("output");
            panic!(
                "{what} still runs after {limit:?}\n--- stdout\n{}\n--- stderr\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

/// The synchronous standby is down: the cutover refuses before it locks anything, says why,
/// and production stays as it was, readable throughout. With the standby back, the same
/// cutover goes through, and the standby has it.
#[test]
fn a_synchronous_standby_that_is_down_stops_the_cutover_before_it_locks() {
    let (primary, standby, archive) = primary_and_standby();
    let run = archive.compile(&primary, "shop", "sync", "  - public.account\n", "");
    run.ok(UP_TO_VERIFY);
    let account = primary.query("shop", "SELECT 'public.account'::regclass::oid");

    standby.stop();
    wait_for("the primary sees the standby gone", || {
        primary.query("postgres", "SELECT count(*) FROM pg_stat_replication") == "0\n"
    });
    let refused = finish_within(
        spawn(&run, "50-cutover.sh"),
        Duration::from_secs(30),
        "the cutover with its synchronous standby down",
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("synchronous standby") && stderr.contains(STANDBY),
        "the refusal names the standby it would wait for\n{stderr}"
    );
    assert!(
        stderr.contains("the cutover is not recorded"),
        "the driver says what state production is in\n{stderr}"
    );
    assert_eq!(
        primary.query("shop", "SELECT 'public.account'::regclass::oid"),
        account,
        "nothing changed"
    );
    assert_eq!(
        primary.query("shop", "SELECT count(*) FROM public.account"),
        "1000\n",
        "production is readable"
    );

    standby.resume();
    wait_for("the standby streams again", || {
        primary.query(
            "postgres",
            "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = 'sync'",
        ) == "1\n"
    });
    run.ok(&["50-cutover.sh"]);
    let swapped = primary.query("shop", "SELECT 'public.account'::regclass::oid");
    assert_ne!(swapped, account, "the cutover went through");
    wait_for("the standby replays the cutover", || {
        standby.query("shop", "SELECT 'public.account'::regclass::oid") == swapped
    });
}

/// The synchronous standby stops acknowledging (its WAL receiver frozen) while the cutover
/// commits, and the primary crashes while that COMMIT waits. The cutover's commit record was
/// already written: after crash recovery it is committed. The driver must not guess: it
/// reconnects, reads the run record, and says that the cutover is recorded and what comes
/// next.
#[test]
fn a_connection_lost_during_commit_is_reported_from_the_run_record() {
    let (primary, standby, archive) = primary_and_standby();
    let run = archive.compile(&primary, "shop", "commit", "  - public.account\n", "");
    run.ok(UP_TO_VERIFY);
    let receiver = standby
        .query("postgres", "SELECT pid FROM pg_stat_wal_receiver")
        .trim()
        .to_owned();
    assert!(!receiver.is_empty(), "the standby has a WAL receiver");
    let signal = |signal: &str| {
        std::process::Command::new("kill")
            .args([signal, &receiver])
            .status()
            .expect("kill runs")
    };
    signal("-STOP");
    let driver = spawn(&run, "50-cutover.sh");
    wait_for("the cutover waits for the standby in COMMIT", || {
        primary.query(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'",
        ) == "1\n"
    });
    primary.crash_and_restart();
    signal("-CONT");
    let output = finish_within(driver, Duration::from_secs(120), "the driver");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stderr.contains("nothing was changed"),
        "the driver says nothing changed, but the cutover committed\n{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("the cutover is recorded"),
        "the driver reads the run record after losing the connection\n{stdout}\n{stderr}"
    );
    assert!(stderr.contains("55-after-cutover.sql"), "{stderr}");
    assert_eq!(
        primary.query(
            "shop",
            "SELECT count(*) FROM restore_staging.progress WHERE step = 'cutover' AND item = ''"
        ),
        "1\n",
        "the cutover committed"
    );
    assert!(
        output.status.success(),
        "the cutover is in effect, so the driver succeeds\n{stderr}"
    );
}
