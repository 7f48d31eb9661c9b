//! Stage, load, build, verify, cutover, rollback, cleanup: the whole cycle on the kitchen and
//! Pagila fixtures, with production checked against itself and the dump at every step.

use super::*;

pub(super) const KITCHEN_TABLES: &str = "  - public.reading\n  - name: app.sensor\n    min_rows: 3\n  - app.measurement\n  - public.account\n  - name: public.event_base\n    min_rows: 0\n  - '\"Weird Schema\".\"Order Items\"'\n";

/// The tables those plan tables restore: partitions stand for their partitioned table.
const KITCHEN_RESTORED: &[&str] = &[
    "public.reading",
    "app.sensor",
    "app.measurement_2025",
    "app.measurement_2026",
    "app.measurement_default",
    "public.account",
    "public.event_base",
    "\"Weird Schema\".\"Order Items\"",
];

/// Production moves on after the dump: rows deleted, updated and added, sequences advanced.
const KITCHEN_CHANGES: &str = "
    DELETE FROM public.reading WHERE id % 5 = 0 AND id % 10 <> 0;
    UPDATE public.reading SET note = 'changed' WHERE id % 3 = 0;
    INSERT INTO public.reading (sensor_id, value) SELECT 1, g FROM generate_series(1, 300) g;
    INSERT INTO app.sensor (name) VALUES ('delta'), ('epsilon');
    INSERT INTO app.measurement (sensor_id, taken_on, v) VALUES (2, '2026-03-01', 1), (2, '2031-01-01', 2);
    DELETE FROM app.measurement WHERE id % 50 = 0;
    UPDATE \"Weird Schema\".\"Order Items\" SET \"we\"\"ird col\" = 'y' WHERE \"Order ID\" = 2;
    INSERT INTO public.account (owner_name) VALUES ('alice');
    INSERT INTO public.event_base DEFAULT VALUES;
    INSERT INTO app.ticket (title) VALUES ('c');
";

pub(super) const PAGILA_TABLES: &str = "  - public.customer\n  - public.inventory\n  - public.rental\n  - name: public.payment\n    after: [public.rental]\n";

pub(super) const PAGILA_RESTORED: &[&str] = &[
    "public.customer",
    "public.inventory",
    "public.rental",
    "public.payment_p2022_01",
    "public.payment_p2022_02",
    "public.payment_p2022_03",
    "public.payment_p2022_04",
    "public.payment_p2022_05",
    "public.payment_p2022_06",
    "public.payment_p2022_07",
];

const PAGILA_CHANGES: &str = "
    UPDATE public.rental SET return_date = now() WHERE rental_id % 7 = 0;
    DELETE FROM public.payment WHERE payment_id % 11 = 0;
    INSERT INTO public.customer (store_id, first_name, last_name, address_id) VALUES (1, 'NEW', 'CUSTOMER', 5);
    UPDATE public.inventory SET last_update = now() WHERE inventory_id < 100;
    SELECT nextval('public.rental_rental_id_seq') FROM generate_series(1, 25);
";

pub(super) fn kitchen(cluster: &Cluster) {
    cluster.create_database("kitchen");
    cluster.run_file("kitchen", &fixture("kitchen.sql"));
}

pub(super) fn pagila(cluster: &Cluster) {
    cluster.create_database("pagila");
    let dump = fixture("pagila-pg15.dump");
    let out = cluster.client(
        "pg_restore",
        "pagila",
        &["-d", "pagila", dump.to_str().expect("UTF-8")],
    );
    assert!(
        out.status.success(),
        "pg_restore pagila\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

struct Example<'a> {
    database: &'a str,
    tables: &'a str,
    restored: &'a [&'a str],
    changes: &'a str,
    /// Inserts that must succeed into the restored tables, after the cutover.
    inserts: &'a str,
    /// More plan keys.
    settings: &'a str,
}

/// The cycle of the load issue: production untouched until the cutover, the dump's rows after
/// it, sequences never backwards, other tables untouched, rollback back to the exact state.
fn cycle(cluster: &Cluster, example: &Example) {
    let database = example.database;
    let archive = Archive::make(cluster, database);
    archive.restore_into(cluster, "scratch");
    cluster.query(database, example.changes);
    // The same production, for the path that ends in the cleanup of a kept cutover.
    let forward = format!("{database}_forward");
    cluster.query(
        "postgres",
        &format!("CREATE DATABASE {forward} TEMPLATE {database}"),
    );
    let before = State::of(cluster, database);

    let run = archive.compile(
        cluster,
        database,
        database,
        example.tables,
        example.settings,
    );
    for step in UP_TO_VERIFY {
        run.ok_as_reviewed(&[step]);
        assert_eq!(
            State::of(cluster, database),
            before,
            "production changed by {step}"
        );
    }
    let load = String::from_utf8_lossy(&run.ok(&["20-load.sh"]).stderr).into_owned();
    for table in example.restored {
        assert!(
            load.contains(&format!("{table}: already loaded for this digest, skipped")),
            "{load}"
        );
    }

    run.ok_as_reviewed(&["50-cutover.sh"]);
    let after = State::of(cluster, database);
    for table in example.restored {
        assert_eq!(
            table_digest(cluster, database, table),
            table_digest(cluster, "scratch", table),
            "{table} after the cutover"
        );
    }
    for (table, digest) in &before.tables {
        if !example.restored.contains(&table.as_str()) {
            assert_eq!(
                &after.tables[table], digest,
                "{table} is outside the plan and must not change"
            );
        }
    }
    for (sequence, value) in &before.sequences {
        assert!(
            after.sequences[sequence] >= *value,
            "{sequence} went backwards: {value} → {}",
            after.sequences[sequence]
        );
    }
    let written = || {
        let tables: Vec<String> = example.restored.iter().map(|t| format!("'{t}'")).collect();
        cluster.query(
            database,
            &format!(
                "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_all_tables WHERE relid = ANY (ARRAY[{}]::regclass[])",
                tables.join(", ")
            ),
        )
    };
    let counted = written();
    cluster.query(database, example.inserts);
    // The rollback reports writes since the cutover from the statistics system, which sees them
    // a moment later (as its comment says); the test waits for that moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while written() == counted {
        assert!(
            std::time::Instant::now() < deadline,
            "the statistics never showed the inserts"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let handed_out = State::of(cluster, database).sequences;

    run.check_locks("60-rollback.sh");
    let rollback = run.ok(&["60-rollback.sh"]);
    let notices = String::from_utf8_lossy(&rollback.stderr);
    assert!(
        notices.contains("since the cutover; they stay in the retired schema"),
        "{notices}"
    );
    let rolled_back = State::of(cluster, database);
    assert_eq!(
        rolled_back.tables, before.tables,
        "rollback restores production's rows"
    );
    assert_schema_eq(
        &rolled_back.schema,
        &before.schema,
        "stage → … → cutover → rollback",
    );
    // Never behind what was handed out before the cutover, nor since.
    for (sequence, value) in before.sequences.iter().chain(&handed_out) {
        assert!(
            rolled_back.sequences[sequence] >= *value,
            "{sequence} went backwards on rollback: {value} → {}",
            rolled_back.sequences[sequence]
        );
    }

    run.ok_as_reviewed(&["70-cleanup.sh"]);
    let cleaned = State::of(cluster, database);
    assert_eq!(cleaned.tables, before.tables);
    assert_schema_eq(
        &cleaned.schema,
        &before.schema,
        "stage → … → cutover → rollback → cleanup",
    );
    assert_eq!(
        cluster.query(
            database,
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'restore\\_%'"
        ),
        "0\n"
    );
    // Rolled back, the same restore can be tried again: nothing of it is drift.
    run.ok_as_reviewed(&["00-preflight.sql"]);

    // The other way out: the cutover is kept, checked and made final.
    let run = run.on(&forward);
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok_as_reviewed(&["50-cutover.sh", "55-after-cutover.sql"]);
    for table in example.restored {
        assert_eq!(
            table_digest(cluster, &forward, table),
            table_digest(cluster, "scratch", table),
            "{table}"
        );
    }
    cluster.query(&forward, example.inserts);
    run.ok_as_reviewed(&["70-cleanup.sh"]);
    let kept = State::of(cluster, &forward);
    assert_schema_eq(
        &kept.schema,
        &before.schema,
        "stage → … → cutover → after-cutover → cleanup",
    );
}

const KITCHEN_INSERTS: &str = "INSERT INTO public.reading (sensor_id, value) VALUES (1, 42);
    INSERT INTO app.sensor (name) VALUES ('after cutover');
    INSERT INTO app.measurement (sensor_id, taken_on, v) VALUES (1, '2025-07-01', 7);
    INSERT INTO public.account (owner_name) VALUES ('bob');
    INSERT INTO public.event_base DEFAULT VALUES;
    INSERT INTO \"Weird Schema\".\"Order Items\" VALUES (3, 'z', 'ž');";

#[test]
fn kitchen_cycle() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    cycle(
        &cluster,
        &Example {
            database: "kitchen",
            tables: KITCHEN_TABLES,
            restored: KITCHEN_RESTORED,
            changes: KITCHEN_CHANGES,
            inserts: KITCHEN_INSERTS,
            settings: "",
        },
    );
}

/// Logged staging (`unlogged: false`, what REVIEW.md recommends with standbys): keys and
/// indexes are created on the empty staging tables and maintained by the load; the same
/// cycle, both ways.
#[test]
fn kitchen_cycle_with_logged_staging() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    cycle(
        &cluster,
        &Example {
            database: "kitchen",
            tables: KITCHEN_TABLES,
            restored: KITCHEN_RESTORED,
            changes: KITCHEN_CHANGES,
            inserts: KITCHEN_INSERTS,
            settings: "staging:\n  unlogged: false\nload:\n  max_rate: 20MB\n",
        },
    );
}

#[test]
fn pagila_cycle() {
    let cluster = Cluster::start();
    pagila(&cluster);
    cycle(
        &cluster,
        &Example {
            database: "pagila",
            tables: PAGILA_TABLES,
            restored: PAGILA_RESTORED,
            changes: PAGILA_CHANGES,
            inserts: "INSERT INTO public.customer (store_id, first_name, last_name, address_id) VALUES (2, 'AFTER', 'CUTOVER', 7);
                      INSERT INTO public.rental (rental_date, inventory_id, customer_id, staff_id) VALUES (now(), 10, 1, 1);
                      INSERT INTO public.payment (customer_id, staff_id, rental_id, amount, payment_date) VALUES (1, 1, 1, 9.99, '2022-03-15');",
            settings: "",
        },
    );
}

/// A cutover made final: inserts succeed after it and after the cleanup, and no sequence ever
/// hands out a value it handed out before (tables with no views or foreign keys pointing at
/// them, whose retired copies can go without touching anything else).
#[test]
fn cutover_then_cleanup() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    let archive = Archive::make(&cluster, "kitchen");
    archive.restore_into(&cluster, "scratch");
    cluster.query("kitchen", KITCHEN_CHANGES);
    let before = State::of(&cluster, "kitchen");
    let issued = |sql: &str| {
        cluster
            .query("kitchen", sql)
            .trim()
            .parse::<i64>()
            .expect("a number")
    };
    let ticket_before = issued("SELECT max(no) FROM app.ticket");
    let measurement_before = issued("SELECT max(id) FROM app.measurement");

    let run = archive.compile(
        &cluster,
        "kitchen",
        "final",
        "  - app.ticket\n  - app.measurement\n  - public.account\n",
        "",
    );
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh"]);
    for table in ["app.ticket", "app.measurement_2025", "public.account"] {
        assert_eq!(
            table_digest(&cluster, "kitchen", table),
            table_digest(&cluster, "scratch", table),
            "{table}"
        );
    }
    // ticket_seq counts up by 5 from 1000: the next ticket comes after every ticket ever issued.
    assert_eq!(
        issued("INSERT INTO app.ticket (title) VALUES ('after cutover') RETURNING no"),
        ticket_before + 5
    );
    assert!(
        issued(
            "INSERT INTO app.measurement (sensor_id, taken_on) VALUES (1, '2026-02-02') RETURNING id"
        ) > measurement_before
    );

    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    assert_eq!(
        issued("INSERT INTO app.ticket (title) VALUES ('after cleanup') RETURNING no"),
        ticket_before + 10
    );
    cluster.query(
        "kitchen",
        "INSERT INTO public.account (owner_name) VALUES ('after cleanup')",
    );
    let after = State::of(&cluster, "kitchen");
    for (sequence, value) in &before.sequences {
        assert!(
            after.sequences[sequence] >= *value,
            "{sequence} went backwards"
        );
    }
    assert_eq!(
        cluster.query(
            "kitchen",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'restore\\_%'"
        ),
        "0\n"
    );
}

/// Two plan tables of the same name in different schemas, each with a sequence and an index of
/// the same name: their staging and retired twins must not collide.
#[test]
fn same_named_tables_in_two_schemas() {
    let cluster = Cluster::start();
    cluster.create_database("twins");
    cluster.query(
        "twins",
        "CREATE SCHEMA app;
         CREATE TABLE public.item (id serial PRIMARY KEY, v text);
         CREATE TABLE app.item (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text);
         CREATE INDEX item_v_idx ON public.item (v);
         CREATE INDEX item_v_idx ON app.item (v);
         INSERT INTO public.item (v) SELECT 'p' || g FROM generate_series(1, 50) g;
         INSERT INTO app.item (v) SELECT 'a' || g FROM generate_series(1, 70) g;",
    );
    let archive = Archive::make(&cluster, "twins");
    let dumped = (
        table_digest(&cluster, "twins", "public.item"),
        table_digest(&cluster, "twins", "app.item"),
    );
    cluster.query(
        "twins",
        "INSERT INTO public.item (v) VALUES ('later'); INSERT INTO app.item (v) VALUES ('later')",
    );
    let run = archive.compile(
        &cluster,
        "twins",
        "twins",
        "  - public.item\n  - app.item\n",
        "",
    );
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh"]);
    assert_eq!(
        (
            table_digest(&cluster, "twins", "public.item"),
            table_digest(&cluster, "twins", "app.item")
        ),
        dumped
    );
    // Both sequences are past every value handed out before the cutover (51 and 71).
    assert_eq!(
        cluster.query(
            "twins",
            "INSERT INTO public.item (v) VALUES ('new') RETURNING id"
        ),
        "52\n"
    );
    assert_eq!(
        cluster.query(
            "twins",
            "INSERT INTO app.item (v) VALUES ('new') RETURNING id"
        ),
        "72\n"
    );
    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    assert_eq!(
        cluster.query(
            "twins",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'restore\\_%'"
        ),
        "0\n"
    );
    assert_eq!(
        cluster.query(
            "twins",
            "INSERT INTO public.item (v) VALUES ('after cleanup') RETURNING id"
        ),
        "53\n"
    );
}

/// Reruns converge; what may not run yet refuses and says why.
#[test]
fn reruns_converge_and_refusals_say_why() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    let archive = Archive::make(&cluster, "kitchen");
    let run = archive.compile(&cluster, "kitchen", "reruns", "  - public.account\n", "");
    let early = run.fails("20-load.sh", &[]);
    assert!(
        early.contains(
            "no staging from this plan here: run 00-preflight.sql and 10-stage.sql first"
        ),
        "{early}"
    );
    run.ok(UP_TO_VERIFY);
    assert!(
        stdout(&run.ok(&["10-stage.sql"]))
            .contains("staging already exists from this plan; nothing to do")
    );
    let preflight = String::from_utf8_lossy(&run.ok(&["00-preflight.sql"]).stderr).into_owned();
    assert!(
        preflight.contains("staging exists from this plan"),
        "{preflight}"
    );
    // Before a cutover a rollback has nothing to undo (and a cleanup would abandon the restore:
    // e2e::live::a_failed_cutover_can_be_abandoned).
    let rollback = stdout(&run.ok(&["60-rollback.sql"]));
    assert!(
        rollback.contains("no cutover is recorded, so there is nothing to roll back"),
        "{rollback}"
    );

    run.ok(&["50-cutover.sh"]);
    assert!(
        stdout(&run.ok(&["50-cutover.sh"]))
            .contains("the cutover is already recorded; nothing to do")
    );
    run.ok(&["60-rollback.sql"]);
    assert!(
        stdout(&run.ok(&["60-rollback.sql"]))
            .contains("the rollback is already recorded; nothing to do")
    );

    let unapproved = run.fails("70-cleanup.sql", &[]);
    assert!(
        unapproved
            .contains("restage cleanup drops the retired tables for good, so it must be approved"),
        "{unapproved}"
    );
    let wrong = run.fails("70-cleanup.sql", &["-v", "approve=yes"]);
    assert!(wrong.contains("must be approved"), "{wrong}");
    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    assert!(
        stdout(&run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]))
            .contains("nothing to clean up")
    );

    // Another plan's artifacts refuse this plan's staging.
    run.ok(&["00-preflight.sql", "10-stage.sql"]);
    let other = archive.compile(&cluster, "kitchen", "other", "  - public.account\n", "");
    let refused = other.fails("30-build.sql", &[]);
    assert!(
        refused.contains("was staged by another plan or another version of this plan"),
        "{refused}"
    );
    let preflight = other.fails("00-preflight.sql", &[]);
    assert!(
        preflight.contains("schema restore_staging was staged by another plan"),
        "{preflight}"
    );
}

/// A staging schema whose name must be quoted: every step finds it again, so reruns resume
/// instead of failing on it (the schema's name reaches `to_regnamespace` quoted).
#[test]
fn a_staging_schema_named_with_capitals_and_a_space() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    let archive = Archive::make(&cluster, "kitchen");
    let run = archive.compile(
        &cluster,
        "kitchen",
        "quoted-staging",
        "  - public.account\n",
        "staging:\n  schema: '\"Restore Staging\"'\n",
    );
    run.ok(UP_TO_VERIFY);
    let preflight = String::from_utf8_lossy(&run.ok(&["00-preflight.sql"]).stderr).into_owned();
    assert!(
        preflight.contains("staging exists from this plan"),
        "{preflight}"
    );
    assert!(
        stdout(&run.ok(&["10-stage.sql"]))
            .contains("staging already exists from this plan; nothing to do")
    );
    run.ok(&["50-cutover.sh"]);
    run.ok_with(&["70-cleanup.sh"], &["-v", &run.approve()]);
    assert_eq!(
        cluster.query(
            "kitchen",
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'Restore Staging%'"
        ),
        "0\n"
    );
}
