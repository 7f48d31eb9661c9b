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
    fn compile(&self, name: &str, tables: &str, extra: &str) -> PathBuf {
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
        out
    }
}

/// Runs an artifact the way the README says: SQL with psql, shell scripts directly.
fn run_artifact(
    cluster: &Cluster,
    database: &str,
    out: &Path,
    artifact: &str,
    psql_args: &[&str],
) -> Output {
    let path = out.join(artifact);
    let mut command = if artifact.ends_with(".sh") {
        let mut c = cluster.command(&path, database);
        c.env("RESTAGE", env!("CARGO_BIN_EXE_restage"));
        c
    } else {
        let mut c = cluster.command(cluster.bindir().join("psql"), database);
        c.arg("-X").args(psql_args).arg("-f").arg(&path);
        c
    };
    command.current_dir(out).output().expect("artifact runs")
}

fn ok(cluster: &Cluster, database: &str, out: &Path, artifact: &str) -> Output {
    ok_with(cluster, database, out, artifact, &[])
}

fn ok_with(
    cluster: &Cluster,
    database: &str,
    out: &Path,
    artifact: &str,
    psql_args: &[&str],
) -> Output {
    let output = run_artifact(cluster, database, out, artifact, psql_args);
    assert!(
        output.status.success(),
        "{artifact} failed\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
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
    let out = archive.compile("pagila-e2e", PAGILA_TABLES, "");
    for step in [
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
        "40-verify.sql",
        "50-cutover.sh",
    ] {
        ok(&cluster, "pagila", &out, step);
    }
    assert_eq!(rows(&cluster, "pagila", "public.rental"), dumped_rental);
    ok(&cluster, "pagila", &out, "60-rollback.sql");
    let approve = format!("approve={}", digest_short(&out));
    ok_with(
        &cluster,
        "pagila",
        &out,
        "70-cleanup.sql",
        &["-v", &approve],
    );
}

#[test]
fn kitchen_cutover_rollback_and_cleanup() {
    let cluster = Cluster::start();
    cluster.create_database("kitchen");
    cluster.run_file("kitchen", &fixture("kitchen.sql"));
    let archive = Archive::make(&cluster, "kitchen");
    let dumped_reading = rows(&cluster, "kitchen", "public.reading");
    // Production moves on after the dump.
    cluster.query("kitchen", "DELETE FROM public.reading WHERE id % 5 = 0 AND id % 10 <> 0; INSERT INTO public.reading (sensor_id, value) SELECT 1, g FROM generate_series(1, 300) g");
    let out = archive.compile("kitchen-e2e", KITCHEN_TABLES, "");

    for step in [
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
        "40-verify.sql",
        "50-cutover.sh",
    ] {
        ok(&cluster, "kitchen", &out, step);
    }
    assert_eq!(rows(&cluster, "kitchen", "public.reading"), dumped_reading);
    ok(&cluster, "kitchen", &out, "60-rollback.sql");
    let approve = format!("approve={}", digest_short(&out));
    ok_with(
        &cluster,
        "kitchen",
        &out,
        "70-cleanup.sql",
        &["-v", &approve],
    );
}
