//! What an operator gets wrong and what a busy server does meanwhile: a step started twice,
//! a session that dies before a step is complete, tables that go live never vacuumed, an
//! anti-wraparound autovacuum in the way, a role that is only a member of the owner, and the
//! drivers' account of what state production is in.

use std::io::Write;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::cycle::{PAGILA_TABLES, pagila};
use super::*;

fn spawn(run: &Artifacts, artifact: &str, args: &[&str]) -> Child {
    run.command(run.out.join(artifact))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the driver starts")
}

/// A database `shop` with one table of a hundred accounts, and its dump.
fn accounts(cluster: &Cluster) -> Archive {
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.account (id bigserial PRIMARY KEY, name text NOT NULL);
         INSERT INTO public.account (name) SELECT 'a' || g FROM generate_series(1, 100) g;",
    );
    Archive::make(cluster, "shop")
}

/// Two `20-load.sh` at once: the second says that another step of this plan is running, and
/// who runs it; the first loads every table once.
#[test]
fn a_step_run_twice_at_once_is_refused() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let run = archive.compile(
        &cluster,
        "pagila",
        "twice",
        PAGILA_TABLES,
        "load:\n  max_rate: 1MB\n",
    );
    run.ok(&["00-preflight.sql", "10-stage.sql"]);

    let first = spawn(&run, "20-load.sh", &[]);
    wait_until(
        "the first load has started",
        Duration::from_secs(30),
        || {
            cluster.query(
            "pagila",
            "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %' AND state = 'active'",
        ) != "0\n"
        },
    );
    let second = run.run("20-load.sh", &[]);
    let first = first.wait_with_output().expect("the first load ends");
    let first_err = String::from_utf8_lossy(&first.stderr);
    let second_err = String::from_utf8_lossy(&second.stderr);
    assert!(first.status.success(), "{first_err}");
    assert!(
        !second.status.success(),
        "the second load ran next to the first\n{second_err}"
    );
    assert!(
        second_err.contains("another restage step of plan twice is running")
            && second_err.contains("20-load.sh"),
        "the second load says who holds the plan\n{second_err}"
    );
    let finished = |text: &str, table: &str| {
        text.lines()
            .filter(|l| l.contains(&format!("] {table}: finished")))
            .count()
    };
    for table in [
        "public.customer",
        "public.rental",
        "public.payment_p2022_03",
    ] {
        assert_eq!(
            finished(&first_err, table) + finished(&second_err, table),
            1,
            "{table} is loaded once\n{first_err}\n{second_err}"
        );
    }
}

/// The session running 30-build.sql ends before it has vacuumed and analyzed the tables (its
/// input stops there): the build is not recorded, 40-verify.sql refuses, and the rerun does
/// the rest. Afterwards every staging table has its statistics and is all-visible, so the
/// swapped tables go live without a first autovacuum that reads them all, and an index-only
/// scan reads no heap page.
#[test]
fn the_build_is_recorded_only_when_all_of_it_is_done() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let run = archive.compile(&cluster, "pagila", "build", PAGILA_TABLES, "");
    run.ok(&["00-preflight.sql", "10-stage.sql", "20-load.sh"]);

    let script = std::fs::read_to_string(run.out.join("30-build.sql")).expect("script");
    let cut = script
        .lines()
        .position(|l| l.starts_with("VACUUM") || l.starts_with("ANALYZE"))
        .expect("the build vacuums or analyzes the staging tables");
    let prefix: String = script.lines().take(cut).flat_map(|l| [l, "\n"]).collect();
    let mut psql = run
        .command(cluster.bindir().join("psql"))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("psql starts");
    psql.stdin
        .take()
        .expect("stdin")
        .write_all(prefix.as_bytes())
        .expect("the build up to its VACUUM");
    let partial = psql.wait_with_output().expect("psql ends");
    assert!(
        partial.status.success(),
        "{}",
        String::from_utf8_lossy(&partial.stderr)
    );
    assert_eq!(
        cluster.query(
            "pagila",
            "SELECT count(*) FROM restore_staging.progress WHERE step = 'build'"
        ),
        "0\n",
        "the build is recorded before its tables are vacuumed and analyzed"
    );
    run.fails("40-verify.sql", &[]);

    run.ok(&["30-build.sql", "40-verify.sql"]);
    // From the catalog, which (unlike the statistics views on PostgreSQL 14) says it at once:
    // vacuumed, every page all-visible; analyzed, column statistics there.
    assert_eq!(
        cluster.query(
            "pagila",
            "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'restore_staging__public' AND c.relkind = 'r' \
               AND (c.relpages = 0 OR c.relallvisible < c.relpages \
                    OR NOT EXISTS (SELECT FROM pg_statistic s WHERE s.starelid = c.oid))"
        ),
        "\n",
        "staging tables not vacuumed and analyzed"
    );
    run.ok(&["50-cutover.sh"]);
    assert_eq!(
        cluster.query(
            "pagila",
            "SELECT string_agg(c.oid::regclass::text, ', ') FROM pg_class c \
             WHERE c.oid IN ('public.customer'::regclass, 'public.rental'::regclass, \
                             'public.inventory'::regclass, 'public.payment_p2022_03'::regclass) \
               AND (c.relpages = 0 OR c.relallvisible < c.relpages)"
        ),
        "\n",
        "swapped tables that are not all-visible"
    );
    let plan = cluster.query(
        "pagila",
        "SET enable_seqscan = off; SET enable_bitmapscan = off; \
         EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) \
         SELECT customer_id FROM public.customer WHERE customer_id > 0",
    );
    assert!(
        plan.contains("Index Only Scan") && plan.contains("Heap Fetches: 0"),
        "an index-only scan of the swapped table reads the heap\n{plan}"
    );
}

/// An autovacuum that prevents wraparound cannot be cancelled, so every cutover attempt would
/// time out behind it. The driver sees it before it locks anything, says why it waits, waits,
/// and then cuts over.
#[test]
fn the_cutover_waits_for_an_anti_wraparound_autovacuum() {
    let cluster = Cluster::start_with(&["autovacuum_naptime=1"]);
    cluster.create_database("shop");
    cluster.query(
        "shop",
        // Vacuumed slowly (about 270 pages to freeze, at most one per 20 ms: long enough to be
        // still at work when the driver looks, on a busy machine too), and soon old enough that
        // autovacuum must freeze it; no ordinary autovacuum (an anti-wraparound one runs
        // regardless), which would mark the pages all-visible first and leave the
        // anti-wraparound one little to do. In the dump, so that the restored copy has the same
        // settings (the cutover refuses a table whose settings changed since).
        "CREATE TABLE public.account (id bigserial PRIMARY KEY, name text NOT NULL)
             WITH (autovacuum_enabled = false, autovacuum_freeze_max_age = 100000,
                   autovacuum_vacuum_cost_delay = 20, autovacuum_vacuum_cost_limit = 1);
         INSERT INTO public.account (name) SELECT repeat('x', 100) || g FROM generate_series(1, 20000) g;",
    );
    let archive = Archive::make(&cluster, "shop");
    let run = archive.compile(&cluster, "shop", "wraparound", "  - public.account\n", "");
    run.ok(UP_TO_VERIFY);
    let burn = run.out.join("burn.sql");
    std::fs::write(&burn, "SELECT txid_current();\n").expect("pgbench script");
    let burnt = cluster
        .command(cluster.bindir().join("pgbench"), "shop")
        .args(["-n", "-c", "4", "-j", "2", "-t", "26000", "-f"])
        .arg(&burn)
        .output()
        .expect("pgbench runs");
    assert!(
        burnt.status.success(),
        "{}",
        String::from_utf8_lossy(&burnt.stderr)
    );
    wait_until(
        "autovacuum works on public.account to prevent wraparound",
        Duration::from_secs(60),
        || {
            cluster.query(
                "shop",
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'autovacuum:%public.account%(to prevent wraparound)'",
            ) == "1\n"
        },
    );

    let output = run.ok(&["50-cutover.sh"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("to prevent wraparound") && stderr.contains("public.account"),
        "the driver says what it waits for\n{stderr}"
    );
    assert!(
        !stderr.contains("lock timeout"),
        "the driver tried to lock behind the autovacuum\n{stderr}"
    );
}

/// Tables owned by a role nobody logs in as; the restore run by a role that is only a member of
/// it, with the right to create schemas but not to create in `public`. The preflight names what such a role lacks
/// for the later steps; once it has that, the whole cycle goes through both ways as that role.
#[test]
fn the_preflight_names_the_privileges_a_member_of_the_owner_lacks() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE ROLE app_owner NOLOGIN;
         CREATE ROLE dba LOGIN;
         GRANT app_owner TO dba;
         GRANT CREATE ON DATABASE shop TO dba;
         REVOKE CREATE ON SCHEMA public FROM PUBLIC;
         GRANT USAGE ON SCHEMA public TO app_owner;
         CREATE TABLE public.account (id bigserial PRIMARY KEY, name text NOT NULL);
         CREATE TABLE public.entry (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES public.account, amount int NOT NULL);
         CREATE VIEW public.balance AS SELECT a.id, count(e.*) AS entries FROM public.account a LEFT JOIN public.entry e ON e.account_id = a.id GROUP BY a.id;
         INSERT INTO public.account (name) SELECT 'a' || g FROM generate_series(1, 100) g;
         INSERT INTO public.entry (account_id, amount) SELECT g, g FROM generate_series(1, 100) g;
         ALTER TABLE public.account OWNER TO app_owner;
         ALTER TABLE public.entry OWNER TO app_owner;
         ALTER VIEW public.balance OWNER TO app_owner;
         RESET ROLE;",
    );
    let archive = Archive::make(&cluster, "shop");
    cluster.query("postgres", "CREATE DATABASE shop_back TEMPLATE shop");
    let run = archive.compile(&cluster, "shop", "member", "  - public.account\n", "");
    let run = run.as_user("dba");

    let refused = run.fails("00-preflight.sql", &[]);
    assert!(
        refused.contains("CREATE on schema public"),
        "the preflight names what the role lacks\n{refused}"
    );
    cluster.query("postgres", "GRANT CREATE ON DATABASE shop_back TO dba");
    for database in ["shop", "shop_back"] {
        cluster.query(database, "GRANT CREATE ON SCHEMA public TO app_owner");
    }
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh", "55-after-cutover.sql"]);
    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    let back = run.on("shop_back");
    back.ok(UP_TO_VERIFY);
    back.ok(&["50-cutover.sh", "60-rollback.sql"]);
    back.ok_with(&["70-cleanup.sql"], &["-v", &back.approve()]);
}

/// After a rollback, the cutover's driver does not say "nothing to do" and succeed: it says
/// that production is on its own tables again, and what comes next.
#[test]
fn the_cutover_after_a_rollback_says_so() {
    let cluster = Cluster::start();
    let archive = accounts(&cluster);
    let run = archive.compile(&cluster, "shop", "again", "  - public.account\n", "");
    run.ok(UP_TO_VERIFY);
    let account = cluster.query("shop", "SELECT 'public.account'::regclass::oid");
    run.ok(&["50-cutover.sh", "60-rollback.sql"]);
    let again = run.run("50-cutover.sh", &[]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success(),
        "the cutover after a rollback succeeded\n{stderr}"
    );
    assert!(
        stderr.contains("rolled back") && stderr.contains("70-cleanup"),
        "the driver says production is on its own tables and what comes next\n{stderr}"
    );
    assert_eq!(
        cluster.query("shop", "SELECT 'public.account'::regclass::oid"),
        account
    );
}

/// A session holds a lock on the table the rollback must move (and then on a retired table the
/// cleanup must drop) for a few seconds: both drivers retry lock timeouts as the cutover's does
/// and go through once the lock is gone.
#[test]
fn the_rollback_and_the_cleanup_retry_lock_timeouts() {
    let cluster = Cluster::start();
    let archive = accounts(&cluster);
    let run = archive.compile(
        &cluster,
        "shop",
        "retry",
        "  - public.account\n",
        "cutover:\n  lock_timeout: 100ms\n  retries: 6\n",
    );
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh"]);

    let hold = |table: &str| {
        let holder = cluster
            .command(cluster.bindir().join("psql"), "shop")
            .args([
                "-X",
                "-c",
                &format!("BEGIN; SELECT count(*) FROM {table}; SELECT pg_sleep(3); COMMIT;"),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the holder starts");
        wait_until("the holder has its lock", Duration::from_secs(20), || {
            cluster.query(
                "shop",
                &format!("SELECT count(*) FROM pg_locks WHERE relation = '{table}'::regclass AND granted AND pid <> pg_backend_pid()"),
            ) != "0\n"
        });
        holder
    };
    let mut holder = hold("public.account");
    let rollback = run.ok(&["60-rollback.sh"]);
    let _ = holder.wait();
    let stderr = String::from_utf8_lossy(&rollback.stderr);
    assert!(stderr.contains("retrying"), "{stderr}");

    let mut holder = hold("restore_retired__public.account");
    let approve = run.approve();
    let cleanup = run.ok_with(&["70-cleanup.sh"], &["-v", &approve]);
    let _ = holder.wait();
    let stderr = String::from_utf8_lossy(&cleanup.stderr);
    assert!(stderr.contains("retrying"), "{stderr}");
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'restore\\_%'"
        ),
        "0\n"
    );
}

/// From nothing but a dump: `restage init --run-pg-restore` makes the listing and the schema
/// SQL with the server's own pg_restore and prints a plan, which compiles as it is and takes
/// the table through the cutover.
#[test]
fn init_from_a_dump_runs_the_whole_cycle() {
    let cluster = Cluster::start();
    let archive = accounts(&cluster);
    cluster.query("shop", "DELETE FROM public.account WHERE id > 40");
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = archive.path("db.dump");
    let path = format!(
        "{}:{}",
        cluster.bindir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let made = crate::test::Test::new()
        .args([
            "init".as_ref(),
            "--dump".as_ref(),
            dump.as_os_str(),
            "--run-pg-restore".as_ref(),
            "--listing".as_ref(),
            "shop.list".as_ref(),
            "--schema".as_ref(),
            "shop-schema.sql".as_ref(),
            "--table".as_ref(),
            "public.account".as_ref(),
        ])
        .current_dir(dir.path())
        .env("PATH", &path)
        .run();
    assert!(
        made.stderr.starts_with(&format!(
            "restage init: pg_restore -l -v -f shop.list {}\n",
            dump.display()
        )),
        "{}",
        made.stderr
    );
    assert!(dir.path().join("shop-schema.sql").is_file());
    let plan = dir.path().join("plan.yaml");
    std::fs::write(&plan, &made.stdout).expect("plan saved");
    let out = dir.path().join("out");
    crate::test::compile(&plan, &out);
    let run = Artifacts {
        cluster: &cluster,
        database: "shop",
        user: "postgres",
        plan,
        out,
    };
    run.ok(&[
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
        "40-verify.sql",
        "50-cutover.sh",
    ]);
    assert_eq!(
        cluster.query("shop", "SELECT count(*) FROM public.account"),
        "100\n"
    );
    run.ok_with(&["70-cleanup.sh"], &["-v", &run.approve()]);
}

/// 90-status.sql at every step of a run: what is done, each table's load, what a rollback would
/// do now and the next command; also while a client holds production's table ACCESS EXCLUSIVE
/// (it takes no lock on production), and for a run of another plan.
#[test]
fn status_says_where_the_run_stands_at_every_step() {
    let cluster = Cluster::start();
    let archive = accounts(&cluster);
    let run = archive.compile(&cluster, "shop", "status", "  - public.account\n", "");
    let other = archive.compile(&cluster, "shop", "other", "  - public.account\n", "");
    let status = || {
        let shown = run.ok(&["90-status.sql"]);
        String::from_utf8_lossy(&shown.stdout).into_owned()
    };
    let expect = |shown: &str, lines: &[&str]| {
        for line in lines {
            assert!(shown.contains(line), "no {line:?} in:\n{shown}");
        }
    };
    expect(
        &status(),
        &[
            "restage status: no run of plan status here: not staged yet, or cleaned up",
            "Next: psql -X -f 00-preflight.sql, then psql -X -f 10-stage.sql",
        ],
    );
    run.ok(&["00-preflight.sql", "10-stage.sql"]);
    let shown = status();
    expect(
        &shown,
        &[
            "restage status: plan status, digest ",
            "20-load.sh           | 0 of 1 table(s) loaded",
            "0001 | public.account | not loaded",
            "Rollback now: nothing to roll back: the cutover has not run",
            "Next: ./20-load.sh",
        ],
    );
    let said = String::from_utf8_lossy(&other.ok(&["90-status.sql"]).stdout).into_owned();
    expect(
        &said,
        &["the staging here was made by another plan or version"],
    );
    run.ok(&["20-load.sh"]);
    expect(
        &status(),
        &[
            "1 of 1 table(s) loaded",
            "0001 | public.account | loaded |  100 | ",
            "Next: psql -X -f 30-build.sql",
        ],
    );
    run.ok(&["30-build.sql"]);
    expect(
        &status(),
        &[
            "30-build.sql         | done",
            "Next: psql -X -f 40-verify.sql, then ./50-cutover.sh",
        ],
    );
    // The cutover records the restored table's counters as its baseline. The statistics system
    // counts the load's 100 rows a moment after the load ends (on PostgreSQL 14 a reading may
    // be 500 ms old, and a busy collector answers later still), so the test waits until they
    // are counted: otherwise the baseline would miss them and every figure below would be 100
    // too high, a fault of the test's timing rather than of the count.
    wait_until("the load is counted", Duration::from_secs(30), || {
        cluster.query(
            "shop",
            "SELECT n_tup_ins FROM pg_stat_all_tables WHERE relname = 'account' AND schemaname <> 'public'",
        ) == "100\n"
    });
    run.ok(&["40-verify.sql", "50-cutover.sh"]);
    cluster.query(
        "shop",
        "INSERT INTO public.account (id, name) SELECT g, 'new' FROM generate_series(1001, 1005) g;
         UPDATE public.account SET name = 'changed' WHERE id <= 3",
    );
    // The statistics system counts those writes a moment after they commit.
    let mut shown = String::new();
    let counted = "about 5 insert(s), 3 update(s) and 0 delete(s)";
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !shown.contains(counted) {
        assert!(
            std::time::Instant::now() < deadline,
            "the status never said {counted:?}; it last said:\n{shown}"
        );
        std::thread::sleep(Duration::from_millis(100));
        shown = status();
    }
    expect(
        &shown,
        &[
            "50-cutover.sh        | done",
            "Rollback now: a rollback (./60-rollback.sh) would put the replaced tables back",
            "Next: psql -X -f 55-after-cutover.sql",
        ],
    );

    // While a client holds the restored table ACCESS EXCLUSIVE, status still answers.
    let mut holder = cluster
        .command(cluster.bindir().join("psql"), "shop")
        .args([
            "-X",
            "-c",
            "BEGIN; LOCK TABLE public.account IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the lock holder starts");
    wait_until("the lock is held", Duration::from_secs(30), || {
        cluster.query(
            "shop",
            "SELECT count(*) FROM pg_locks WHERE relation = 'public.account'::regclass AND mode = 'AccessExclusiveLock' AND granted",
        ) == "1\n"
    });
    let mut during = run
        .command(cluster.bindir().join("psql"))
        .args(["-X", "-f", "90-status.sql"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("90-status.sql starts");
    let started = std::time::Instant::now();
    let answered = loop {
        if let Some(done) = during.try_wait().expect("wait") {
            break done.success();
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = during.kill();
            break false;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Its session, not only its client, so that the lock goes now.
    cluster.query(
        "shop",
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE relation = 'public.account'::regclass AND mode = 'AccessExclusiveLock' AND granted",
    );
    let _ = holder.kill();
    let _ = holder.wait();
    assert!(answered, "90-status.sql waited behind a lock on production");
    run.check_locks("90-status.sql");

    run.ok(&["55-after-cutover.sql"]);
    expect(
        &status(),
        &[
            "55-after-cutover.sql | done",
            "once production is checked (or ./60-rollback.sh to go back)",
        ],
    );
    run.ok_with(&["60-rollback.sh"], &["-v", &run.approve()]);
    expect(
        &status(),
        &[
            "60-rollback.sh       | done",
            "Rollback now: rolled back: production has its replaced tables again",
            "Next: ./70-cleanup.sh -v approve=",
        ],
    );
    run.ok_with(&["70-cleanup.sh"], &["-v", &run.approve()]);
    expect(&status(), &["restage status: no run of plan status here"]);
}
