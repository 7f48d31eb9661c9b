//! The whole cycle against a real PostgreSQL: build a production database, dump it, change it as
//! a live system would, compile a plan, and run every artifact as the README tells a user.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::cluster::Cluster;
use crate::test::fixture;

/// A dump of a database and the two texts restage reads from it.
struct Archive {
    dir: tempfile::TempDir,
}

impl Archive {
    fn make(cluster: &Cluster, database: &str) -> Archive {
        let dir = tempfile::Builder::new()
            .prefix("restage-archive-")
            .tempdir()
            .expect("temp dir");
        let dump = dir.path().join("db.dump");
        let run = |program: &str, args: &[&str]| {
            let out = cluster.client(program, database, args);
            assert!(
                out.status.success(),
                "{program} {args:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let dump_path = dump.to_str().expect("UTF-8");
        run("pg_dump", &["-Fc", "-f", dump_path, database]);
        let listing = run("pg_restore", &["-l", "-v", dump_path]);
        std::fs::write(dir.path().join("db.list"), listing).expect("listing written");
        let schema = dir.path().join("db-schema.sql");
        run(
            "pg_restore",
            &[
                "--schema-only",
                "-v",
                "-f",
                schema.to_str().expect("UTF-8"),
                dump_path,
            ],
        );
        Archive { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a plan over this archive with `tables` (YAML list items) and compiles it.
    fn compile<'a>(
        &self,
        cluster: &'a Cluster,
        database: &'a str,
        name: &str,
        tables: &str,
        extra: &str,
    ) -> Artifacts<'a> {
        let plan = format!(
            "restage: 1\nname: {name}\nsource:\n  listing: db.list\n  schema: db-schema.sql\n  dump: {}\ntables:\n{tables}{extra}",
            self.path("db.dump").display()
        );
        std::fs::write(self.path("plan.yaml"), plan).expect("plan written");
        let out = self.path("out");
        crate::test::Test::new()
            .args([
                "compile".as_ref(),
                self.path("plan.yaml").as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ])
            .run();
        Artifacts {
            cluster,
            database,
            out,
        }
    }
}

/// The artifacts of one compiled plan, run against one database of a cluster.
struct Artifacts<'a> {
    cluster: &'a Cluster,
    database: &'a str,
    out: PathBuf,
}

impl Artifacts<'_> {
    /// Runs an artifact the way the README says: SQL with psql, shell scripts directly.
    fn run(&self, artifact: &str, psql_args: &[&str]) -> Output {
        let path = self.out.join(artifact);
        let mut command = if artifact.ends_with(".sh") {
            let mut c = self.cluster.command(&path, self.database);
            c.env("RESTAGE", env!("CARGO_BIN_EXE_restage"));
            c
        } else {
            let mut c = self
                .cluster
                .command(self.cluster.bindir().join("psql"), self.database);
            c.arg("-X").args(psql_args).arg("-f").arg(&path);
            c
        };
        command
            .current_dir(&self.out)
            .output()
            .expect("artifact runs")
    }

    /// Runs artifacts that must succeed; the output of the last.
    fn ok(&self, artifacts: &[&str]) -> Output {
        self.ok_with(artifacts, &[])
    }

    fn ok_with(&self, artifacts: &[&str], psql_args: &[&str]) -> Output {
        let mut last = None;
        for artifact in artifacts {
            let output = self.run(artifact, psql_args);
            assert!(
                output.status.success(),
                "{artifact} failed\n--- stdout\n{}\n--- stderr\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            last = Some(output);
        }
        last.expect("at least one artifact")
    }

    /// Runs an artifact that must fail; its stderr.
    fn fails(&self, artifact: &str, psql_args: &[&str]) -> String {
        let output = self.run(artifact, psql_args);
        assert!(
            !output.status.success(),
            "{artifact} succeeded but must not\n{}",
            String::from_utf8_lossy(&output.stdout)
        );
        String::from_utf8_lossy(&output.stderr).into_owned()
    }

    fn approve(&self) -> String {
        format!("approve={}", digest_short(&self.out))
    }
}

const UP_TO_VERIFY: &[&str] = &[
    "00-preflight.sql",
    "10-stage.sql",
    "20-load.sh",
    "30-build.sql",
    "40-verify.sql",
];

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn digest_short(out: &Path) -> String {
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("manifest.json")).expect("manifest"),
    )
    .expect("JSON");
    manifest["plan"]["digest"].as_str().expect("digest")[..12].to_owned()
}

/// Rows of a table, sorted, as text: what the table holds, for comparisons.
fn rows(cluster: &Cluster, database: &str, table: &str) -> String {
    cluster.query(
        database,
        &format!("SELECT t::text FROM {table} t ORDER BY 1"),
    )
}

const KITCHEN_TABLES: &str = "  - public.reading\n  - name: app.sensor\n    min_rows: 3\n  - app.measurement\n  - public.account\n  - name: public.event_base\n    min_rows: 0\n  - '\"Weird Schema\".\"Order Items\"'\n";

const PAGILA_TABLES: &str =
    "  - public.customer\n  - public.inventory\n  - public.rental\n  - public.payment\n";

/// A production Pagila database, restored from the PostgreSQL 15 fixture archive.
fn pagila(cluster: &Cluster) {
    cluster.create_database("pagila");
    let dump = fixture("pagila-pg15.dump");
    let out = cluster.client(
        "pg_restore",
        "pagila",
        &["--no-owner", "-d", "pagila", dump.to_str().expect("UTF-8")],
    );
    assert!(
        out.status.success(),
        "pg_restore pagila\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pagila_cutover_rollback_and_cleanup() {
    let cluster = Cluster::start();
    pagila(&cluster);
    let archive = Archive::make(&cluster, "pagila");
    let dumped_rental = rows(&cluster, "pagila", "public.rental");
    cluster.query(
        "pagila",
        "UPDATE public.rental SET return_date = now() WHERE rental_id % 7 = 0",
    );
    let run = archive.compile(&cluster, "pagila", "pagila-e2e", PAGILA_TABLES, "");
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh"]);
    assert_eq!(rows(&cluster, "pagila", "public.rental"), dumped_rental);
    run.ok(&["60-rollback.sql"]);
    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
}

#[test]
fn kitchen_cutover_rollback_and_cleanup() {
    let cluster = Cluster::start();
    cluster.create_database("kitchen");
    cluster.run_file("kitchen", &fixture("kitchen.sql"));
    let archive = Archive::make(&cluster, "kitchen");
    let dumped_reading = rows(&cluster, "kitchen", "public.reading");
    // Production moves on after the dump.
    cluster.query(
        "kitchen",
        "DELETE FROM public.reading WHERE id % 5 = 0 AND id % 10 <> 0; INSERT INTO public.reading (sensor_id, value) SELECT 1, g FROM generate_series(1, 300) g",
    );
    let run = archive.compile(&cluster, "kitchen", "kitchen-e2e", KITCHEN_TABLES, "");
    run.ok(UP_TO_VERIFY);

    // Reruns converge; what may not run yet refuses and says why.
    assert!(
        stdout(&run.ok(&["10-stage.sql"]))
            .contains("staging already exists from this plan; nothing to do")
    );
    let early = run.fails("60-rollback.sql", &[]);
    assert!(
        early.contains("no cutover is recorded, so there is nothing to roll back"),
        "{early}"
    );

    run.ok(&["50-cutover.sh"]);
    assert_eq!(rows(&cluster, "kitchen", "public.reading"), dumped_reading);
    assert!(
        stdout(&run.ok(&["50-cutover.sh"]))
            .contains("the cutover is already recorded; nothing to do")
    );
    run.ok(&["60-rollback.sql"]);

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
        rows(&cluster, "twins", "public.item"),
        rows(&cluster, "twins", "app.item"),
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
            rows(&cluster, "twins", "public.item"),
            rows(&cluster, "twins", "app.item")
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
