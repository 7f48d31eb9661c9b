//! 20-load.sh and remap against a real server: killed and resumed, jobs in parallel, the dump
//! path and the tools it needs, and streams remap must refuse.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cycle::pagila;
use super::*;

const PAGILA_TABLES: &str =
    "  - public.customer\n  - public.inventory\n  - public.rental\n  - public.payment\n";

/// A load killed with SIGKILL (the whole process group: driver, pg_restore, remap, psql) after
/// its first table resumes with the next table and ends exactly where an uninterrupted load
/// does: no row twice, none missing.
#[test]
fn a_killed_load_resumes_where_it_stopped() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let run = archive.compile(&cluster, "pagila", "killed", PAGILA_TABLES, "");
    run.ok(&["00-preflight.sql", "10-stage.sql"]);

    let mut load = cluster.command(run.out.join("20-load.sh"), "pagila");
    load.env("RESTAGE", env!("CARGO_BIN_EXE_restage"))
        .current_dir(&run.out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    load.process_group(0);
    let child = load.spawn().expect("20-load.sh starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    let loaded = || {
        cluster
            .query(
                "pagila",
                "SELECT count(*) FROM restore_staging.progress WHERE step = 'load'",
            )
            .trim()
            .to_owned()
    };
    while loaded() == "0" {
        assert!(
            Instant::now() < deadline,
            "the first table never finished loading"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let killed = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    assert!(
        killed.is_ok_and(|s| s.success()),
        "kill the load's process group"
    );
    drop(child);
    let recorded_at_kill: u32 = loaded().parse().expect("a count");
    assert!(
        recorded_at_kill < 10,
        "killed before the load finished ({recorded_at_kill} of 10 tables)"
    );

    let rerun = String::from_utf8_lossy(&run.ok(&["20-load.sh"]).stderr).into_owned();
    assert!(
        rerun.contains("[0001/10] public.customer: already loaded for this digest, skipped"),
        "{rerun}"
    );
    assert!(rerun.contains("10 table(s): "), "{rerun}");
    let resumed = staged(&cluster, "pagila");

    // The same load, never interrupted, in a fresh database.
    let fresh = Cluster::start();
    pagila(&fresh);
    let clean = archive.compile(&fresh, "pagila", "killed", PAGILA_TABLES, "");
    clean.ok(&["00-preflight.sql", "10-stage.sql", "20-load.sh"]);
    assert_eq!(resumed, staged(&fresh, "pagila"));
    for table in [
        "public.customer",
        "public.rental",
        "public.payment_p2022_03",
    ] {
        let staged = format!(
            "restore_staging__public.{}",
            table.trim_start_matches("public.")
        );
        assert_eq!(
            table_digest(&cluster, "pagila", &staged),
            table_digest(&cluster, "pagila", table),
            "{table}"
        );
    }
    run.ok(&["30-build.sql", "40-verify.sql"]);
}

/// `load.jobs` tables load at the same time, never more: a wrapper in place of restage records
/// when each remap starts and ends.
#[test]
fn jobs_load_in_parallel_never_more_than_asked() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let run = archive.compile(
        &cluster,
        "pagila",
        "parallel",
        PAGILA_TABLES,
        "load:\n  jobs: 3\n",
    );
    run.ok(&["00-preflight.sql", "10-stage.sql"]);

    let log = archive.path("remap.log");
    let wrapper = archive.path("restage-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/usr/bin/env bash\necho \"start $$\" >> '{log}'\n'{restage}' \"$@\"\nstatus=$?\nsleep 0.2\necho \"end $$\" >> '{log}'\nexit $status\n",
            log = log.display(),
            restage = env!("CARGO_BIN_EXE_restage"),
        ),
    )
    .expect("wrapper");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    let mut load = cluster.command(run.out.join("20-load.sh"), "pagila");
    let output = load
        .env("RESTAGE", &wrapper)
        .current_dir(&run.out)
        .output()
        .expect("load runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let mut running = 0;
    let mut most = 0;
    let events = std::fs::read_to_string(&log).expect("log");
    for event in events.lines() {
        running += if event.starts_with("start") { 1 } else { -1 };
        most = most.max(running);
    }
    assert_eq!(
        events.lines().filter(|e| e.starts_with("start")).count(),
        10,
        "{events}"
    );
    assert!(most <= 3, "{most} remaps at once with jobs: 3\n{events}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for line in stderr.lines().filter(|l| l.contains(": finished: ")) {
        assert!(
            line.contains(" rows, ") && line.contains(" bytes in ") && line.ends_with(" s"),
            "{line}"
        );
    }
    assert_eq!(
        stderr.lines().filter(|l| l.contains(": started")).count(),
        10,
        "{stderr}"
    );
    assert!(stderr.contains("10 table(s): 10 loaded ("), "{stderr}");
    run.ok(&["30-build.sql", "40-verify.sql"]);
}

/// RESTAGE_DUMP replaces the dump path of the plan; without the tools it needs, or with a dump
/// it cannot read, the load says what is missing and loads nothing.
#[test]
fn the_dump_path_and_the_tools_the_load_needs() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let plan = "restage: 1\nname: moved\nsource:\n  listing: db.list\n  schema: db-schema.sql\n  dump: /nowhere/pagila.dump\ntables:\n  - public.customer\nload:\n  max_rate: 200kB\n";
    std::fs::write(archive.path("moved.yaml"), plan).expect("plan");
    let out = archive.path("out-moved");
    crate::test::Test::new()
        .args([
            "compile".as_ref(),
            archive.path("moved.yaml").as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .run();
    assert!(
        std::fs::read_to_string(out.join("20-load.sh"))
            .expect("script")
            .contains("--max-rate 204800")
    );
    let run = Artifacts {
        cluster: &cluster,
        database: "pagila",
        user: "postgres",
        plan: archive.path("moved.yaml"),
        out,
    };
    run.ok(&["00-preflight.sql", "10-stage.sql"]);

    let unreadable = run.fails("20-load.sh", &[]);
    assert!(
        unreadable
            .contains("cannot read the dump /nowhere/pagila.dump (set RESTAGE_DUMP to its path)"),
        "{unreadable}"
    );

    let load = |path: &str, dump: &Path| {
        let mut command = cluster.command(run.out.join("20-load.sh"), "pagila");
        command
            .env("PATH", path)
            .env("RESTAGE_DUMP", dump)
            .env("RESTAGE", env!("CARGO_BIN_EXE_restage"));
        command.current_dir(&run.out).output().expect("load runs")
    };
    let no_tools = load("/usr/bin:/bin", &archive.path("db.dump"));
    let stderr = String::from_utf8_lossy(&no_tools.stderr);
    if !Path::new("/usr/bin/pg_restore").exists() {
        assert!(
            stderr.contains("restage load: not found: pg_restore"),
            "{stderr}"
        );
        assert_eq!(no_tools.status.code(), Some(2));
    }
    let mut command = cluster.command(run.out.join("20-load.sh"), "pagila");
    command
        .env("RESTAGE_DUMP", archive.path("db.dump"))
        .env("RESTAGE", "/nowhere/restage")
        .current_dir(&run.out);
    let missing = command.output().expect("load runs");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found: /nowhere/restage"));

    let throttled = load(
        &format!(
            "{}:{}",
            cluster.bindir().display(),
            std::env::var("PATH").unwrap_or_default()
        ),
        &archive.path("db.dump"),
    );
    assert!(
        throttled.status.success(),
        "{}",
        String::from_utf8_lossy(&throttled.stderr)
    );
    assert_eq!(
        table_digest(&cluster, "pagila", "restore_staging__public.customer"),
        table_digest(&cluster, "pagila", "public.customer")
    );
}

/// remap between a real pg_restore and psql refuses what a data-only restore of the plan must
/// not do: a `SEQUENCE SET` (setval), and a COPY into a table outside the plan.
#[test]
fn remap_refuses_sequence_sets_and_tables_outside_the_plan() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let listing = std::fs::read_to_string(archive.path("db.list")).expect("listing");
    let entry = |desc: &str, name: &str| {
        listing
            .lines()
            .find(|l| l.contains(&format!(" {desc} public {name} ")))
            .unwrap_or_else(|| panic!("{desc} {name} in the listing"))
            .to_owned()
    };
    let remap = |lines: &[String]| {
        let list = archive.path("only.list");
        std::fs::write(&list, lines.join("\n") + "\n").expect("list");
        let restore = cluster
            .command(cluster.bindir().join("pg_restore"), "pagila")
            .args(["--data-only", "-L"])
            .arg(&list)
            .args(["-f", "-"])
            .arg(archive.path("db.dump"))
            .output()
            .expect("pg_restore runs");
        assert!(restore.status.success());
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_restage"))
            .args([
                "remap",
                "--map",
                "public.customer=restore_staging__public.customer",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("remap runs");
        // remap stops reading at the first refusal: a broken pipe here is expected then.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&restore.stdout);
        let out = child.wait_with_output().expect("remap ends");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };

    let (status, stderr) = remap(&[entry("TABLE DATA", "customer")]);
    assert_eq!(status, Some(0), "{stderr}");

    let (status, stderr) = remap(&[
        entry("TABLE DATA", "customer"),
        entry("SEQUENCE SET", "customer_customer_id_seq"),
    ]);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("refused: this statement would write outside the staging schema: SELECT pg_catalog.setval('public.customer_customer_id_seq'"), "{stderr}");
    assert!(stderr.contains("input line "), "{stderr}");

    let (status, stderr) = remap(&[entry("TABLE DATA", "rental")]);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("refused: a COPY into a table that is not mapped to staging (not in the plan): COPY public.rental"), "{stderr}");
}

/// load.max_rate holds in every second of a real load, shared among the tables loading at each
/// moment: a table loading alone (its two companions done at once) gets all of it, not a
/// third; and its remap stopped for four seconds (SIGSTOP: a stall downstream looks the same to
/// it) goes on at the same pace after, without a burst that catches up.
#[test]
fn the_rate_is_shared_and_never_exceeded() {
    const RATE: f64 = 1024.0 * 1024.0;
    let cluster = Cluster::start();
    cluster.create_database("paced");
    cluster.query(
        "paced",
        "CREATE TABLE public.paced_big (id int PRIMARY KEY, note text NOT NULL);
         INSERT INTO public.paced_big SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 45000) g;
         CREATE TABLE public.paced_one (id int PRIMARY KEY);
         CREATE TABLE public.paced_two (id int PRIMARY KEY);
         INSERT INTO public.paced_one SELECT generate_series(1, 10);
         INSERT INTO public.paced_two SELECT generate_series(1, 10)",
    );
    let archive = Archive::make(&cluster, "paced");
    let run = archive.compile(
        &cluster,
        "paced",
        "paced",
        "  - public.paced_big\n  - public.paced_one\n  - public.paced_two\n",
        "load:\n  jobs: 3\n  max_rate: 1MB\n",
    );
    run.ok(&["00-preflight.sql", "10-stage.sql"]);
    let mut load = run.command(run.out.join("20-load.sh"));
    load.stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = load.spawn().expect("20-load.sh starts");

    // Bytes the big table's COPY has received, sampled every 50 ms.
    let copied = "SELECT coalesce(max(bytes_processed), -1) FROM pg_stat_progress_copy \
                  WHERE relid = to_regclass('restore_staging__public.paced_big')";
    let signal = |which: &str| {
        Command::new("pkill")
            .args([which, "-f", "remap --map public.paced_big="])
            .status()
            .expect("pkill runs");
    };
    let started = Instant::now();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut stopped = None;
    let mut stopped_at = 0.0;
    while child.try_wait().expect("wait").is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the load takes over a minute"
        );
        let bytes: f64 = cluster
            .query("paced", copied)
            .trim()
            .parse()
            .expect("bytes");
        let at = started.elapsed().as_secs_f64();
        if bytes >= 0.0 {
            samples.push((at, bytes));
        }
        match stopped {
            None if bytes > RATE => {
                signal("-STOP");
                stopped = Some(at);
                stopped_at = at;
            }
            Some(since) if at - since > 4.0 && at - since < 5.0 => {
                signal("-CONT");
                stopped = Some(f64::MAX);
            }
            _ => {}
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(child.wait().expect("wait").success(), "20-load.sh failed");
    assert!(
        stopped == Some(f64::MAX),
        "the load ended before its remap was stopped and resumed"
    );

    for (i, &(from, at_from)) in samples.iter().enumerate() {
        for &(to, at_to) in samples[i + 1..]
            .iter()
            .take_while(|(to, _)| to - from <= 1.0)
        {
            // The samples' own timing is off by a few milliseconds: 10 % more is allowed.
            assert!(
                at_to - at_from <= RATE * 1.1,
                "{} bytes in {:.2} s, from {from:.2} s: over max_rate",
                at_to - at_from,
                to - from
            );
        }
    }
    // Alone, it gets the whole rate (a static split gave it a third): its pace until it was
    // stopped, from its first sample on.
    let (first, _) = samples[0];
    let before_stop = samples
        .iter()
        .take_while(|(at, _)| *at <= stopped_at)
        .last()
        .copied()
        .expect("samples before the stop");
    let pace = before_stop.1 / (before_stop.0 - first);
    assert!(
        pace > RATE * 0.6,
        "the table loading alone went at {pace:.0} bytes/s of {RATE}"
    );
    assert_eq!(
        cluster.query(
            "paced",
            "SELECT count(*) FROM restore_staging__public.paced_big"
        ),
        "45000\n"
    );
}

/// A long load reports as it goes: every RESTAGE_PROGRESS seconds a line per table with bytes,
/// rows and rate, and the time left estimated from the production table's size, which
/// 10-stage.sql recorded (within a factor of two of the COPY here). RESTAGE_PROGRESS=0 is
/// quiet, anything else not a number is refused.
#[test]
fn a_long_load_reports_its_progress_and_the_time_left() {
    let cluster = Cluster::start();
    cluster.create_database("long");
    cluster.query(
        "long",
        "CREATE TABLE public.long_one (id int PRIMARY KEY, note text NOT NULL);
         INSERT INTO public.long_one SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 40000) g",
    );
    // A production table's size is in the catalog once it has been vacuumed or analyzed.
    cluster.query("long", "VACUUM ANALYZE public.long_one");
    let archive = Archive::make(&cluster, "long");
    let run = archive.compile(
        &cluster,
        "long",
        "long",
        "  - public.long_one\n",
        "load:\n  max_rate: 1MB\n",
    );
    run.ok(&["00-preflight.sql", "10-stage.sql"]);
    let load = |progress: &str| {
        run.command(run.out.join("20-load.sh"))
            .env("RESTAGE_PROGRESS", progress)
            .output()
            .expect("20-load.sh runs")
    };
    let refused = load("soon");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("RESTAGE_PROGRESS=soon is not a number"),
        "{refused:?}"
    );

    let done = load("1");
    let said = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{said}");
    let estimate: u64 = said
        .split("started (about ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no estimate in: {said}"));
    let copied: u64 = said
        .split(" rows, ")
        .last()
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no bytes in: {said}"));
    assert!(
        estimate > copied / 2 && estimate < copied * 2,
        "estimate {estimate} for a COPY of {copied} bytes"
    );
    let reports: Vec<&str> = said
        .lines()
        .filter(|l| {
            l.starts_with("restage load: [0001/1] public.long_one: ") && l.contains(" rows, ")
        })
        .filter(|l| !l.contains("finished"))
        .collect();
    assert!(reports.len() >= 2, "{said}");
    for report in &reports {
        assert!(
            report.contains(" MiB/s") || report.contains(" KiB/s"),
            "{report}"
        );
        assert!(
            report.contains(" left (estimated from the ") || report.contains("past the estimate"),
            "{report}"
        );
    }

    // Quiet, the second time round (the table is loaded again once its record is gone).
    cluster.query(
        "long",
        "DELETE FROM restore_staging.progress WHERE step = 'load'",
    );
    let quiet = load("0");
    let said = String::from_utf8_lossy(&quiet.stderr);
    assert!(quiet.status.success(), "{said}");
    assert!(!said.contains(" left (estimated"), "{said}");
    assert!(said.contains("finished: 40000 rows"), "{said}");

    // On a terminal (script(1) gives the load one), the one table's line is redrawn in place
    // and cleared before the line that says it finished.
    cluster.query(
        "long",
        "DELETE FROM restore_staging.progress WHERE step = 'load'",
    );
    let on_terminal = run
        .command("script")
        .args(["-q", "-e", "-c", "./20-load.sh", "/dev/null"])
        .env("RESTAGE_PROGRESS", "1")
        .output()
        .expect("script runs");
    let drawn = String::from_utf8_lossy(&on_terminal.stdout);
    assert!(on_terminal.status.success(), "{drawn}");
    assert!(
        drawn.contains("\r\x1b[Krestage load: [0001/1] public.long_one: ")
            && drawn
                .contains("\r\x1b[Krestage load: [0001/1] public.long_one: finished: 40000 rows"),
        "{drawn:?}"
    );
}
