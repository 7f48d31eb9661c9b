//! The load on its worst day: killed at seeded random points, and cut short by a crash of the
//! server. Each time the artifacts are simply run again, and must end exactly where an
//! uninterrupted load ends, with production untouched throughout.

use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use super::cycle::pagila;
use super::*;

const TABLES: &str =
    "  - public.customer\n  - public.inventory\n  - public.rental\n  - public.payment\n";

/// Throttled, so that the load lasts long enough to be interrupted anywhere in it.
const THROTTLED: &str = "load:\n  max_rate: 1MB\n";

/// 20-load.sh started in a process group of its own, so that all of it can be killed at once.
fn start_load(run: &Artifacts) -> Child {
    let mut load = run
        .cluster
        .command(run.out.join("20-load.sh"), run.database);
    load.env("RESTAGE", env!("CARGO_BIN_EXE_restage"))
        .current_dir(&run.out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    load.spawn().expect("20-load.sh starts")
}

/// A load started and killed `after` its start; whether the kill found it running.
fn kill_load_after(run: &Artifacts, after: Duration) -> bool {
    let load = start_load(run);
    std::thread::sleep(after);
    kill_load(load)
}

/// SIGKILL to the whole pipeline: the driver, pg_restore, remap and psql. Whether it was still
/// running.
fn kill_load(mut child: Child) -> bool {
    let running = child.try_wait().expect("wait").is_none();
    // A group that has already exited is no error here.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stderr(std::process::Stdio::null())
        .status();
    let _ = child.wait();
    running
}

/// What each table's progress record says it loaded, and what its staging table holds: equal
/// for every table recorded, nothing for the others. A killed load never leaves half a table.
fn assert_whole_tables(cluster: &Cluster, database: &str, context: &str) {
    let rows = cluster.query(
        database,
        "SELECT p.item, p.rows FROM restore_staging.progress p WHERE p.step = 'load' ORDER BY 1",
    );
    let recorded: BTreeMap<String, u64> = rows
        .lines()
        .map(|l| {
            let (item, rows) = l.rsplit_once('|').expect("item|rows");
            (item.to_owned(), rows.parse().expect("rows"))
        })
        .collect();
    for table in staged(cluster, database).keys() {
        let production = format!("public.{}", table.rsplit_once('.').expect("qualified").1);
        let held: u64 = cluster
            .query(database, &format!("SELECT count(*) FROM ONLY {table}"))
            .trim()
            .parse()
            .expect("count");
        let expected = recorded.get(&production).copied().unwrap_or(0);
        assert_eq!(held, expected, "{table} after {context}");
    }
}

/// Reference: the same plan on a copy of production, loaded without interruption. Returns the
/// artifacts for `database` and the uninterrupted load's staging and duration.
fn reference<'a>(
    cluster: &'a Cluster,
    archive: &Archive,
    database: &'a str,
) -> (Artifacts<'a>, BTreeMap<String, String>, Duration) {
    archive.restore_into(cluster, "reference");
    let reference = archive.compile(cluster, "reference", "faults", TABLES, THROTTLED);
    reference.ok(&["00-preflight.sql", "10-stage.sql"]);
    let started = Instant::now();
    reference.ok(&["20-load.sh"]);
    let took = started.elapsed();
    (reference.on(database), staged(cluster, "reference"), took)
}

/// SIGKILL of the whole load pipeline at ten seeded random points spread over the load; after
/// each, the load is simply run again. No table is ever half loaded, no row is lost or loaded
/// twice, production never changes, and every rerun ends as the uninterrupted load does.
#[test]
fn a_load_killed_at_ten_seeded_points_ends_as_an_uninterrupted_one() {
    let mut random = Seeded::from_env();
    let seed = random.0;
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let before = State::of(&cluster, "pagila");
    let (run, expected, took) = reference(&cluster, &archive, "pagila");
    assert!(
        took > Duration::from_secs(2),
        "the throttled load is long enough to be interrupted ({took:?})"
    );
    let mut points: Vec<Duration> = (0..10)
        .map(|_| took.mul_f64(0.02 + 0.88 * random.next()))
        .collect();
    points.sort();

    let mut interrupted = 0;
    for (n, point) in points.iter().enumerate() {
        let context = format!(
            "kill {} at {point:?} of {took:?} (RESTAGE_FAULT_SEED={seed})",
            n + 1
        );
        // A fresh start each time, as a DBA abandoning a restore does: drop restage's schemas.
        cluster.query(
            "pagila",
            "DROP SCHEMA IF EXISTS restore_staging__public, restore_retired__public, restore_staging CASCADE",
        );
        run.ok(&["00-preflight.sql", "10-stage.sql"]);
        // A point is drawn from the reference load's duration, one sample on a shared machine;
        // a load that finished sooner than that is started again and killed at half the time.
        let mut at = *point;
        for _ in 0..4 {
            if kill_load_after(&run, at) {
                interrupted += 1;
                break;
            }
            assert_whole_tables(&cluster, "pagila", &context);
            cluster.query(
                "pagila",
                "DROP SCHEMA IF EXISTS restore_staging__public, restore_retired__public, restore_staging CASCADE",
            );
            run.ok(&["00-preflight.sql", "10-stage.sql"]);
            at /= 2;
        }
        assert_whole_tables(&cluster, "pagila", &context);
        assert_eq!(
            State::of(&cluster, "pagila"),
            before,
            "production, {context}"
        );
        run.ok(&["20-load.sh"]);
        assert_eq!(staged(&cluster, "pagila"), expected, "staging, {context}");
    }
    assert_eq!(
        interrupted, 10,
        "kills that found the load running (RESTAGE_FAULT_SEED={seed})"
    );
    run.ok(&["30-build.sql", "40-verify.sql"]);
    assert_eq!(State::of(&cluster, "pagila"), before);
}

/// The server stops as in a crash or failover in the middle of the load: the UNLOGGED staging
/// tables come back empty, the progress record does not. Running the load again finds the
/// emptied tables, loads them again, and ends as the uninterrupted load.
#[test]
fn a_crash_during_the_load_empties_unlogged_staging_and_the_rerun_refills_it() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let before = State::of(&cluster, "pagila");
    let (run, expected, _) = reference(&cluster, &archive, "pagila");
    run.ok(&["00-preflight.sql", "10-stage.sql"]);

    let load = start_load(&run);
    let deadline = Instant::now() + Duration::from_secs(60);
    let loaded = || {
        cluster
            .query(
                "pagila",
                "SELECT count(*) FROM restore_staging.progress WHERE step = 'load'",
            )
            .trim()
            .parse::<u32>()
            .expect("count")
    };
    while loaded() < 2 {
        assert!(
            Instant::now() < deadline,
            "two tables never finished loading"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    cluster.crash_and_restart();
    kill_load(load);

    let recorded = loaded();
    assert!(
        (2..10).contains(&recorded),
        "crashed mid-load ({recorded} of 10)"
    );
    assert_eq!(
        cluster.query(
            "pagila",
            "SELECT count(*) FROM restore_staging__public.customer"
        ),
        "0\n",
        "a crash empties UNLOGGED tables"
    );
    assert_eq!(
        State::of(&cluster, "pagila"),
        before,
        "production after the crash"
    );
    // Built on emptied tables, the restore would swap in nothing: the build refuses.
    let refused = run.fails("30-build.sql", &[]);
    assert!(
        refused.contains("restage build: not loaded, or emptied since: public.customer"),
        "{refused}"
    );

    let rerun = String::from_utf8_lossy(&run.ok(&["20-load.sh"]).stderr).into_owned();
    assert!(
        rerun.contains(
            "[0001/10] public.customer: recorded as loaded, but its staging table is empty"
        ),
        "{rerun}"
    );
    assert_eq!(staged(&cluster, "pagila"), expected);
    run.ok(&["30-build.sql", "40-verify.sql"]);
    // Built, the staging tables are logged: another crash leaves them whole.
    cluster.crash_and_restart();
    assert_eq!(
        staged(&cluster, "pagila"),
        expected,
        "staging after the build survives a crash"
    );
    run.ok(&["40-verify.sql"]);
    assert_eq!(State::of(&cluster, "pagila"), before);
}

/// A dump cut short, and one with a damaged block of compressed data: the load stops at the
/// table it cannot read, says so, keeps none of that table's rows, and production is untouched.
/// With the whole dump back, the rerun ends as the uninterrupted load.
#[test]
fn a_truncated_or_damaged_dump_stops_the_load() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let before = State::of(&cluster, "pagila");
    let (run, expected, _) = reference(&cluster, &archive, "pagila");
    run.ok(&["00-preflight.sql", "10-stage.sql"]);
    let dump = std::fs::read(archive.path("db.dump")).expect("dump");

    let truncated = archive.path("truncated.dump");
    std::fs::write(&truncated, &dump[..dump.len() * 2 / 3]).expect("truncated dump");
    let mut damaged = dump.clone();
    let middle = dump.len() / 2;
    for byte in &mut damaged[middle..middle + 64] {
        *byte = !*byte;
    }
    let damaged_path = archive.path("damaged.dump");
    std::fs::write(&damaged_path, &damaged).expect("damaged dump");

    for bad in [&truncated, &damaged_path] {
        let out = run
            .cluster
            .command(run.out.join("20-load.sh"), run.database)
            .env("RESTAGE", env!("CARGO_BIN_EXE_restage"))
            .env("RESTAGE_DUMP", bad)
            .current_dir(&run.out)
            .output()
            .expect("20-load.sh runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{}: {stderr}", bad.display());
        assert!(
            stderr.contains("FAILED after") && stderr.contains("none of its rows were kept"),
            "{}: {stderr}",
            bad.display()
        );
        assert!(
            stderr.contains("pg_restore: error:"),
            "{}: {stderr}",
            bad.display()
        );
        let failed = stderr
            .lines()
            .find_map(|l| l.split_once("] ")?.1.split_once(": FAILED after"))
            .map(|(table, _)| table);
        assert!(
            failed.is_some_and(|t| t.starts_with("public.")),
            "the failed table is named: {stderr}"
        );
        assert_whole_tables(&cluster, "pagila", &bad.display().to_string());
        let loaded = cluster.query(
            "pagila",
            "SELECT count(*) FROM restore_staging.progress WHERE step = 'load'",
        );
        assert_ne!(
            loaded,
            "0\n",
            "tables before the damage stay loaded, {}",
            bad.display()
        );
        assert_eq!(
            State::of(&cluster, "pagila"),
            before,
            "production, {}",
            bad.display()
        );
    }

    run.ok(&["20-load.sh"]);
    assert_eq!(staged(&cluster, "pagila"), expected);
}
