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

/// Waits until `standby` has replayed everything `primary` has written so far.
fn caught_up(primary: &Cluster, standby: &Cluster) {
    let position = primary.query("postgres", "SELECT pg_current_wal_lsn()");
    let position = position.trim();
    wait_for("the standby replays the primary's WAL", || {
        standby.query(
            "postgres",
            &format!("SELECT pg_last_wal_replay_lsn() >= '{position}'::pg_lsn"),
        ) == "t\n"
    });
}

/// Each restored table's rows, as one digest per table.
fn rows_of(cluster: &Cluster, database: &str) -> String {
    super::cycle::PAGILA_RESTORED
        .iter()
        .map(|table| {
            cluster.query(
                database,
                &format!("SELECT '{table} ' || count(*) || ' ' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"),
            )
        })
        .collect()
}

/// An asynchronous streaming standby has production exactly as the primary at every step
/// before the load; then the standby is promoted in the middle of the load (a failover) and the
/// old primary is gone. On the promoted server the UNLOGGED staging tables are empty while
/// the run record says some were loaded: 30-build.sql and 40-verify.sql refuse and name them,
/// 20-load.sh loads them again, and the restore goes on to the dump's rows (README.md, When
/// things go wrong).
#[test]
fn a_failover_during_the_load_goes_on_on_the_promoted_standby() {
    let primary = Cluster::start();
    super::cycle::pagila(&primary);
    let archive = Archive::make(&primary, "pagila");
    archive.restore_into(&primary, "scratch");
    let expected = rows_of(&primary, "scratch");
    primary.query(
        "pagila",
        "DELETE FROM public.payment WHERE payment_id % 11 = 0; UPDATE public.customer SET active = 0 WHERE customer_id < 20",
    );
    let standby = primary.standby("restage_replica");
    let run = archive.compile(
        &primary,
        "pagila",
        "failover",
        super::cycle::PAGILA_TABLES,
        "load:\n  max_rate: 1MB\n",
    );
    let before = State::of(&primary, "pagila");
    for step in ["00-preflight.sql", "10-stage.sql"] {
        run.ok(&[step]);
        caught_up(&primary, &standby);
        assert_eq!(
            State::of(&standby, "pagila"),
            before,
            "the standby after {step}"
        );
    }

    let load = spawn(&run, "20-load.sh");
    wait_for("a table is loaded and replayed", || {
        standby.query(
            "pagila",
            "SELECT count(*) FROM restore_staging.progress WHERE step = 'load'",
        ) != "0\n"
    });
    standby.promote();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", load.id())])
        .status();
    let _ = finish_within(load, Duration::from_secs(30), "the killed load");
    primary.stop();

    let promoted = run.at(&standby);
    let refused = promoted.fails("30-build.sql", &[]);
    assert!(
        refused.contains("restage build: not loaded, or emptied since: public.customer"),
        "{refused}"
    );
    let refused = promoted.fails("40-verify.sql", &[]);
    assert!(
        refused.contains("restore_staging__public.customer holds 0 rows, but"),
        "{refused}"
    );
    let reload = String::from_utf8_lossy(&promoted.ok(&["20-load.sh"]).stderr).into_owned();
    assert!(
        reload.contains("public.customer: recorded as loaded, but its staging table is empty"),
        "{reload}"
    );
    promoted.ok(&[
        "30-build.sql",
        "40-verify.sql",
        "50-cutover.sh",
        "55-after-cutover.sql",
    ]);
    assert_eq!(rows_of(&standby, "pagila"), expected, "the dump's rows");
}

/// On a hot standby, a transaction that has read a restored table holds up the replay of the
/// cutover's ACCESS EXCLUSIVE lock until `max_standby_streaming_delay`, then is cancelled
/// (conflict with recovery), while new queries of the table on the standby wait behind the
/// replayed lock; the primary's cutover does not wait for any of them, and the standby then
/// catches up with the restored table (REVIEW.md, Replicas).
#[test]
fn a_hot_standby_reader_of_a_restored_table_is_cancelled_after_the_standby_delay() {
    let primary = Cluster::start();
    primary.create_database("shop");
    primary.query("shop", SHOP);
    let archive = Archive::make(&primary, "shop");
    primary.query("shop", "DELETE FROM public.entry WHERE id > 900");
    let standby = primary.standby_with("restage_hot", &["max_standby_streaming_delay=4s"]);
    let run = archive.compile(&primary, "shop", "hot", "  - public.entry\n", "");
    run.ok(&[
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
        "40-verify.sql",
    ]);
    caught_up(&primary, &standby);

    let reader = standby
        .command(standby.bindir().join("psql"), "shop")
        .args([
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            "BEGIN; SELECT count(*) FROM public.entry; SELECT pg_sleep(30); COMMIT;",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the standby reader starts");
    wait_for("the standby reader sleeps", || {
        standby.query(
            "postgres",
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'BEGIN; SELECT count(*) FROM public.entry%'",
        ) == "1\n"
    });
    run.ok(&["50-cutover.sh"]);
    // Replay waits for the reader with the cutover's ACCESS EXCLUSIVE lock; a new query on the
    // table queues behind it.
    wait_for("replay waits for the standby reader", || {
        standby.query(
            "shop",
            "SELECT count(*) FROM pg_locks WHERE relation = 'public.entry'::regclass AND mode = 'AccessExclusiveLock' AND NOT granted",
        ) == "1\n"
    });
    let queued = standby.client(
        "psql",
        "shop",
        &[
            "-X",
            "-c",
            "SET lock_timeout = '500ms'; SELECT count(*) FROM public.entry",
        ],
    );
    let said = String::from_utf8_lossy(&queued.stderr);
    assert!(
        !queued.status.success() && said.contains("canceling statement due to lock timeout"),
        "a new standby query did not wait for replay: {said}"
    );
    let read = finish_within(reader, Duration::from_secs(20), "the standby reader");
    let said = String::from_utf8_lossy(&read.stderr);
    assert!(
        !read.status.success() && said.contains("conflict with recovery"),
        "the standby reader was not cancelled: {said}"
    );
    caught_up(&primary, &standby);
    assert_eq!(
        standby.query("shop", "SELECT count(*) FROM public.entry"),
        "1000\n",
        "the standby has the restored table"
    );
}
