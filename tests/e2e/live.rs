//! The cutover on a live database: writers that keep updating the swapped table and inserting
//! into a child table with a foreign key to it, and a session that holds a lock for longer than
//! the cutover is willing to wait.

use std::process::{Child, Stdio};
use std::time::Duration;

use super::*;

/// An account table the plan restores; `entry` (with a foreign key to it) and `audit` stay.
const SHOP: &str = "
    CREATE TABLE public.account (id bigint PRIMARY KEY, name text NOT NULL, balance int NOT NULL DEFAULT 0);
    CREATE TABLE public.entry (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES public.account, amount int NOT NULL);
    CREATE TABLE public.audit (id bigserial PRIMARY KEY, note text NOT NULL);
    CREATE SEQUENCE public.new_account START 1000001;
    INSERT INTO public.account (id, name) SELECT g, 'account ' || g FROM generate_series(1, 1000) g;
";

/// One writer transaction: update a restored row, insert a restored row, insert a child row that
/// references the updated one, and a row in a table outside the plan.
const WRITER: &str = "\\set id random(1, 1000)
BEGIN;
UPDATE public.account SET balance = balance + 1 WHERE id = :id;
INSERT INTO public.account (id, name) VALUES (nextval('public.new_account'), 'opened live');
INSERT INTO public.entry (account_id, amount) VALUES (:id, 1);
INSERT INTO public.audit (note) VALUES ('written');
END;
";

const PLAN_TABLES: &str = "  - public.account\n";

fn shop(cluster: &Cluster) -> Archive {
    cluster.create_database("shop");
    cluster.query("shop", SHOP);
    Archive::make(cluster, "shop")
}

/// A session of database `shop` that holds ACCESS SHARE on a table for a minute, or until
/// released: long enough for every attempt of a step that needs more to time out behind it.
struct LockHolder<'a> {
    cluster: &'a Cluster,
    psql: Child,
}

impl<'a> LockHolder<'a> {
    fn start(cluster: &'a Cluster, table: &str) -> Self {
        let psql = cluster
            .command(cluster.bindir().join("psql"), "shop")
            .args([
                "-X",
                "-c",
                &format!(
                    "BEGIN; LOCK TABLE {table} IN ACCESS SHARE MODE; SELECT pg_sleep(60); COMMIT;"
                ),
            ])
            .env("PGAPPNAME", "lock holder")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the lock holder starts");
        wait_until(
            &format!("the holder locks {table}"),
            Duration::from_secs(20),
            || {
                cluster.query(
                "shop",
                &format!("SELECT count(*) FROM pg_locks WHERE relation = '{table}'::regclass AND granted AND pid <> pg_backend_pid()"),
            ) != "0\n"
            },
        );
        LockHolder { cluster, psql }
    }

    /// Ends the holder's server session, not just its psql: only then is the lock gone.
    fn release(mut self) {
        self.cluster.query(
            "shop",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'lock holder'",
        );
        let _ = self.psql.wait();
    }
}

fn pgbench(cluster: &Cluster, dir: &Path, seconds: u32) -> Child {
    let script = dir.join("writer.sql");
    std::fs::write(&script, WRITER).expect("pgbench script");
    cluster
        .command(cluster.bindir().join("pgbench"), "shop")
        .args(["-n", "-c", "4", "-j", "2", "-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pgbench starts")
}

fn count(cluster: &Cluster, table: &str) -> u64 {
    cluster
        .query("shop", &format!("SELECT count(*) FROM {table}"))
        .trim()
        .parse()
        .expect("a count")
}

/// Writers run through the whole cutover: they wait on its locks, and see no error; the cutover
/// gets its locks within its retries; every write to the tables outside the plan is there.
#[test]
fn the_cutover_under_live_writes() {
    let cluster = Cluster::start();
    let archive = shop(&cluster);
    let run = archive.compile(
        &cluster,
        "shop",
        "live",
        PLAN_TABLES,
        "cutover:\n  lock_timeout: 200ms\n  retries: 10\n",
    );
    run.ok(UP_TO_VERIFY);
    let restored_oid = cluster.query(
        "shop",
        "SELECT 'restore_staging__public.account'::regclass::oid",
    );

    let writers = pgbench(&cluster, &run.out, 6);
    std::thread::sleep(Duration::from_secs(2));
    let cutover = run.ok(&["50-cutover.sh"]);
    let writers = writers.wait_with_output().expect("pgbench ends");
    let report = String::from_utf8_lossy(&writers.stdout);
    let errors = String::from_utf8_lossy(&writers.stderr);
    assert!(
        writers.status.success(),
        "the writers failed during the cutover\n{report}\n{errors}\n{}",
        String::from_utf8_lossy(&cutover.stderr)
    );
    assert!(!errors.contains("ERROR"), "{errors}");
    let processed: u64 = report
        .lines()
        .find_map(|l| l.strip_prefix("number of transactions actually processed: "))
        .and_then(|n| n.split('/').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("pgbench's count\n{report}"));
    assert!(
        processed > 100,
        "the writers kept writing ({processed})\n{report}"
    );
    if let Some(failed) = report
        .lines()
        .find_map(|l| l.strip_prefix("number of failed transactions: "))
    {
        assert!(failed.starts_with("0 "), "{report}");
    }

    // The restored table is in production, and every write outside the plan is there.
    assert_eq!(
        cluster.query("shop", "SELECT 'public.account'::regclass::oid"),
        restored_oid
    );
    assert_eq!(count(&cluster, "public.audit"), processed);
    assert_eq!(count(&cluster, "public.entry"), processed);
    // Writes to the restored table after the swap went to it; those before, to the table it
    // replaced.
    let after: u64 = cluster
        .query(
            "shop",
            "SELECT coalesce(sum(balance), 0) FROM public.account",
        )
        .trim()
        .parse()
        .expect("sum");
    let before: u64 = cluster
        .query(
            "shop",
            "SELECT coalesce(sum(balance), 0) FROM restore_retired__public.account",
        )
        .trim()
        .parse()
        .expect("sum");
    assert_eq!(
        after + before,
        processed,
        "every update landed in one of the two"
    );
    assert!(
        after > 0 && before > 0,
        "the swap happened while the writers wrote: {before} updates before it, {after} after\n{}",
        String::from_utf8_lossy(&cutover.stderr)
    );
    let opened = |table: &str| count(&cluster, &format!("{table} WHERE name = 'opened live'"));
    assert_eq!(
        opened("public.account") + opened("restore_retired__public.account"),
        processed,
        "every insert landed in one of the two"
    );
    run.ok(&["55-after-cutover.sql"]);
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT confrelid, convalidated FROM pg_constraint WHERE conname = 'entry_account_id_fkey'"
        ),
        format!("{}|t\n", restored_oid.trim()),
        "the foreign key points at the restored table and is valid"
    );
}

/// A session holds a lock on one of two restored tables, the one locked last, for longer than
/// every attempt of the cutover together: the cutover gives up, says why and what to do, and
/// nothing has changed, not even the table it could lock. Once the lock is gone, the same script
/// goes through.
#[test]
fn the_cutover_gives_up_on_a_lock_held_too_long() {
    let cluster = Cluster::start();
    let archive = shop(&cluster);
    let run = archive.compile(
        &cluster,
        "shop",
        "blocked",
        // audit is empty in the dump, as the plan says.
        "  - public.account\n  - name: public.audit\n    min_rows: 0\n",
        "cutover:\n  lock_timeout: 100ms\n  retries: 2\n",
    );
    run.ok(UP_TO_VERIFY);
    let before = State::of(&cluster, "shop");

    let holder = LockHolder::start(&cluster, "public.audit");

    let gave_up = run.fails("50-cutover.sh", &[]);
    holder.release();
    assert!(
        gave_up.contains("restage cutover: gave up after 3 attempts: each time a session held, or waited for, a lock it needs; find the sessions in pg_stat_activity and pg_locks"),
        "{gave_up}"
    );
    assert!(
        gave_up.contains("waiting for public.audit"),
        "the driver names the relation it waited for\n{gave_up}"
    );
    assert!(
        gave_up.contains("restage cutover: the cutover is not recorded: production is unchanged"),
        "{gave_up}"
    );
    assert_eq!(State::of(&cluster, "shop"), before, "nothing changed");
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT count(*) FROM restore_staging.progress WHERE step = 'cutover' AND item = ''"
        ),
        "0\n"
    );

    run.ok(&["50-cutover.sh", "55-after-cutover.sql"]);
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT count(*) FROM restore_staging.progress WHERE step = 'cutover' AND item = ''"
        ),
        "1\n"
    );
}

/// A cutover that gave up changed nothing, and leaves a way out: the rollback says there is
/// nothing to undo, and the cleanup, once approved, drops the staging copies (one of them with a
/// foreign key to a production table outside the plan) and restage's schemas. The same restore
/// can then start over.
#[test]
fn a_failed_cutover_can_be_abandoned() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        &format!("{SHOP} INSERT INTO public.entry (account_id, amount) SELECT g, 1 FROM generate_series(1, 100) g;"),
    );
    let archive = Archive::make(&cluster, "shop");
    let run = archive.compile(
        &cluster,
        "shop",
        "abandoned",
        "  - public.entry\n  - name: public.audit\n    min_rows: 0\n",
        "cutover:\n  lock_timeout: 100ms\n  retries: 0\n",
    );
    run.ok(UP_TO_VERIFY);
    let before = State::of(&cluster, "shop");

    let holder = LockHolder::start(&cluster, "public.audit");
    let gave_up = run.fails("50-cutover.sh", &[]);
    holder.release();
    assert!(
        gave_up.contains("the cutover is not recorded: production is unchanged"),
        "{gave_up}"
    );

    let rollback = run.ok(&["60-rollback.sh"]);
    let said = format!(
        "{}{}",
        stdout(&rollback),
        String::from_utf8_lossy(&rollback.stderr)
    );
    assert!(
        said.contains("no cutover is recorded, so there is nothing to roll back"),
        "{said}"
    );
    assert_eq!(
        State::of(&cluster, "shop"),
        before,
        "the rollback changed nothing"
    );

    let unapproved = run.fails("70-cleanup.sh", &[]);
    assert!(unapproved.contains("must be approved"), "{unapproved}");
    run.ok_as_reviewed(&["70-cleanup.sh"]);
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'restore\\_%'"
        ),
        "0\n",
        "the staging and retired schemas are gone"
    );
    assert_eq!(
        State::of(&cluster, "shop"),
        before,
        "production never changed"
    );
    let again = run.ok_with(&["70-cleanup.sh"], &["-v", &run.approve()]);
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("nothing of this plan is left"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    run.ok_as_reviewed(&["00-preflight.sql"]);
}
