//! The whole cycle against a real PostgreSQL: build a production database, dump it, change it as
//! a live system would, compile a plan, and run every artifact as the README tells a user.

mod cycle;
mod drift;
mod faults;
mod fidelity;
mod hostile;
mod live;
mod load;
mod logical;
mod operator;
mod orphans;
mod quoting;
mod recover;
mod replica;
mod suites;
mod traffic;
mod validity;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use restage::compile::locks::LockMode;

use crate::cluster::Cluster;
use crate::test::fixture;

/// A dump of a database and the two texts restage reads from it.
struct Archive {
    dir: tempfile::TempDir,
}

impl Archive {
    fn make(cluster: &Cluster, database: &str) -> Archive {
        Archive::make_with(cluster, database, &[])
    }

    /// An archive made with more `pg_dump` options (`--statistics`).
    fn make_with(cluster: &Cluster, database: &str, pg_dump_options: &[&str]) -> Archive {
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
        let mut pg_dump_args = vec!["-Fc", "-f", dump_path];
        pg_dump_args.extend(pg_dump_options);
        pg_dump_args.push(database);
        run("pg_dump", &pg_dump_args);
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

    /// A database restored from this archive: what the restored tables must hold.
    fn restore_into(&self, cluster: &Cluster, database: &str) {
        cluster.create_database(database);
        let dump = self.path("db.dump");
        let out = cluster.client(
            "pg_restore",
            database,
            &["-d", database, dump.to_str().expect("UTF-8")],
        );
        assert!(
            out.status.success(),
            "pg_restore -d {database}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes plan `name` over this archive with `tables` (YAML list items) and `extra` (more
    /// plan keys); returns its path and its output folder.
    fn plan(&self, name: &str, tables: &str, extra: &str) -> (PathBuf, PathBuf) {
        let plan = format!(
            "restage: 1\nname: {name}\nsource:\n  listing: db.list\n  schema: db-schema.sql\n  dump: {}\ntables:\n{tables}{extra}",
            self.path("db.dump").display()
        );
        let plan_path = self.path(&format!("{name}.yaml"));
        std::fs::write(&plan_path, plan).expect("plan written");
        (plan_path, self.path(&format!("out-{name}")))
    }

    /// Writes plan `name` over this archive with `tables` (YAML list items) and compiles it
    /// into its own folder.
    fn compile<'a>(
        &self,
        cluster: &'a Cluster,
        database: &'a str,
        name: &str,
        tables: &str,
        extra: &str,
    ) -> Artifacts<'a> {
        let (plan, out) = self.plan(name, tables, extra);
        crate::test::compile(&plan, &out);
        Artifacts {
            cluster,
            database,
            user: "postgres",
            plan,
            out,
        }
    }

    /// What compile says, refusing plan `name` over this archive with `tables` (exit status 2).
    #[track_caller]
    fn refusal(&self, name: &str, tables: &str) -> String {
        let (plan, out) = self.plan(name, tables, "");
        crate::test::Test::new()
            .args([
                "compile".as_ref(),
                plan.as_os_str(),
                "--out".as_ref(),
                out.as_os_str(),
            ])
            .env("NO_COLOR", "1")
            .status(2)
            .run()
            .stderr
    }

    /// The refusal's message in one line, as the terminal-width wrapping drew it on several.
    #[track_caller]
    fn refusal_in_one_line(&self, name: &str, tables: &str) -> String {
        self.refusal(name, tables)
            .split_whitespace()
            .filter(|word| *word != "│")
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The artifacts of one compiled plan, run against one database of a cluster.
struct Artifacts<'a> {
    cluster: &'a Cluster,
    database: &'a str,
    /// The role the artifacts run as.
    user: &'a str,
    plan: PathBuf,
    out: PathBuf,
}

impl<'a> Artifacts<'a> {
    /// The same artifacts, run against another database.
    fn on(&self, database: &'a str) -> Artifacts<'a> {
        Artifacts {
            cluster: self.cluster,
            database,
            user: self.user,
            plan: self.plan.clone(),
            out: self.out.clone(),
        }
    }

    /// The same artifacts, run against another cluster (a promoted standby).
    fn at(&self, cluster: &'a Cluster) -> Artifacts<'a> {
        Artifacts {
            cluster,
            database: self.database,
            user: self.user,
            plan: self.plan.clone(),
            out: self.out.clone(),
        }
    }

    /// The same artifacts, run as another role.
    fn as_user(&self, user: &'a str) -> Artifacts<'a> {
        Artifacts {
            cluster: self.cluster,
            database: self.database,
            user,
            plan: self.plan.clone(),
            out: self.out.clone(),
        }
    }

    /// A command for an artifact or a client program, as this run's role, in the output folder.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let mut command = self.cluster.command(program, self.database);
        command
            .env("PGUSER", self.user)
            .env("RESTAGE", env!("CARGO_BIN_EXE_restage"))
            .current_dir(&self.out);
        command
    }

    /// Runs an artifact the way the README says: SQL with psql, shell scripts directly.
    fn run(&self, artifact: &str, psql_args: &[&str]) -> Output {
        let path = self.out.join(artifact);
        let mut command = if artifact.ends_with(".sh") {
            let mut c = self.command(&path);
            c.args(psql_args);
            c
        } else {
            let mut c = self.command(self.cluster.bindir().join("psql"));
            c.arg("-X").args(psql_args).arg("-f").arg(&path);
            c
        };
        command.output().expect("artifact runs")
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

    /// Runs artifacts that must succeed, each after checking that the locks it takes on
    /// production are exactly those REVIEW.md states for its step, and that it takes them all
    /// before it changes anything.
    fn ok_as_reviewed(&self, artifacts: &[&str]) {
        for artifact in artifacts {
            self.check_locks(artifact);
            self.ok_with(&[artifact], &["-v", &self.approve()]);
        }
    }

    /// Checks that the locks `artifact` takes on production are exactly those REVIEW.md states
    /// for its step, leaving the database as it was.
    fn check_locks(&self, artifact: &str) {
        let analysis = restage::analysis::analyze(&self.plan).expect("the plan analyses");
        let steps = restage::compile::steps(&analysis);
        {
            let step = steps
                .iter()
                .find(|s| s.file == artifact)
                .unwrap_or_else(|| panic!("REVIEW.md has no step {artifact}"));
            if let Some(script) = step.script {
                let mut claimed: BTreeMap<String, LockMode> = BTreeMap::new();
                for lock in &step.locks {
                    for relation in &lock.relations {
                        let mode = claimed.entry(relation.clone()).or_insert(lock.mode);
                        *mode = (*mode).max(lock.mode);
                    }
                }
                let (mut taken, late) = self.locks_taken(script);
                // A conditional claim is the most the step takes: a lock it did not need this
                // time is not missing.
                for lock in step.locks.iter().filter(|l| l.conditional) {
                    for relation in &lock.relations {
                        if !taken.contains_key(relation) {
                            taken.insert(relation.clone(), claimed[relation]);
                        }
                    }
                }
                assert_eq!(
                    taken, claimed,
                    "the locks {script} takes on production, against what REVIEW.md says"
                );
                assert_eq!(
                    late,
                    BTreeMap::new(),
                    "locks {script} takes on production after its acquisition, which must take them all up front"
                );
            }
        }
    }

    /// The strongest lock above ACCESS SHARE that `script` takes on each production relation
    /// (one that exists before it runs, outside restage's schemas), and the locks it takes
    /// after its acquisition (the statement after which the script says every lock is held)
    /// that the acquisition did not already hold as strongly. The script runs as one
    /// transaction, its own BEGIN and COMMIT left out (and its VACUUMs, which lock only
    /// staging and cannot run in a transaction), and reads `pg_locks` before rolling back: a
    /// lock a statement takes is held to the end of the transaction, so this sees every lock
    /// of every statement.
    fn locks_taken(&self, script: &str) -> (BTreeMap<String, LockMode>, BTreeMap<String, String>) {
        let text = std::fs::read_to_string(self.out.join(script)).expect("script");
        let snapshot = |table: &str| {
            format!(
                "INSERT INTO pg_temp.{table} SELECT l.relation, l.mode FROM pg_locks l \
                 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted;\n"
            )
        };
        let mut body = String::new();
        let mut state = 0;
        for line in text.lines() {
            match line {
                "BEGIN;" | "BEGIN READ ONLY;" | "ROLLBACK;" => continue,
                "COMMIT;" => {
                    if state == 1 {
                        body.push_str(&snapshot("restage_test_held"));
                        state = 2;
                    }
                    // A COMMIT ends the transaction_timeout its transaction set; folded into
                    // one, the next transaction would otherwise run on the earlier one's clock.
                    body.push_str(
                        "\\if :restage_pg17\nSET LOCAL transaction_timeout = 0;\n\\endif\n",
                    );
                    continue;
                }
                _ if line.starts_with("VACUUM ") => continue,
                _ => {}
            }
            body.push_str(line);
            body.push('\n');
            if state == 0 && line.starts_with("-- Every lock is held from here to COMMIT") {
                body.push_str(&snapshot("restage_test_acquired"));
                state = 1;
            }
        }
        let wrapped = format!(
            "CREATE TEMP TABLE restage_test_production AS
                SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                  AND n.nspname NOT LIKE 'restore\\_%' AND n.nspname NOT LIKE 'pg\\_%'
                  AND n.nspname <> 'information_schema';
             CREATE TEMP TABLE restage_test_acquired (relation oid, mode text);
             CREATE TEMP TABLE restage_test_held (relation oid, mode text);
             BEGIN;
             {body}
             \\echo restage-test-locks
             SELECT p.name, l.mode FROM pg_locks l JOIN restage_test_production p ON p.oid = l.relation
                 WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation';
             \\echo restage-test-late
             SELECT p.name, h.mode FROM restage_test_held h JOIN restage_test_production p ON p.oid = h.relation
                 WHERE h.mode <> 'AccessShareLock'
                   AND NOT EXISTS (SELECT FROM restage_test_acquired a WHERE a.relation = h.relation
                                   AND a.mode IN (h.mode, 'AccessExclusiveLock'));
             ROLLBACK;
             DROP TABLE restage_test_production, restage_test_acquired, restage_test_held;\n"
        );
        let wrapped_path = self.out.join(format!("locks-{script}"));
        std::fs::write(&wrapped_path, wrapped).expect("wrapped script");
        let output = self
            .command(self.cluster.bindir().join("psql"))
            .args([
                "-X",
                "-q",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-v",
                &self.approve(),
                "-f",
            ])
            .arg(&wrapped_path)
            .output()
            .expect("psql runs");
        std::fs::remove_file(&wrapped_path).expect("wrapped script removed");
        assert!(
            output.status.success(),
            "{script} in one transaction failed\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let (_, rest) = stdout
            .split_once("restage-test-locks\n")
            .expect("the lock query ran");
        let (rows, late_rows) = rest
            .split_once("restage-test-late\n")
            .expect("the late lock query ran");
        let mut taken: BTreeMap<String, LockMode> = BTreeMap::new();
        for row in rows.lines() {
            let (name, mode) = row.rsplit_once('|').expect("name|mode");
            let mode = LockMode::from_pg_locks(mode).expect("a table lock mode");
            if mode > LockMode::AccessShare {
                let strongest = taken.entry(name.to_owned()).or_insert(mode);
                *strongest = (*strongest).max(mode);
            }
        }
        let late = late_rows
            .lines()
            .map(|row| {
                let (name, mode) = row.rsplit_once('|').expect("name|mode");
                (name.to_owned(), mode.to_owned())
            })
            .collect();
        (taken, late)
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

/// Fails unless `text` says each of `expected`, naming the first it does not.
#[track_caller]
fn assert_says(text: &str, expected: &[&str]) {
    for line in expected {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
}

/// Polls `done` until it holds, failing the test after `limit`.
fn wait_until(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + limit;
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

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

/// What a database holds, to compare before and after: the rows of every table (as a digest of
/// its sorted rows, `ONLY` the table itself), where every sequence is, and the schema as
/// `pg_dump --schema-only` prints it (restage's own schemas left out).
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    tables: BTreeMap<String, String>,
    sequences: BTreeMap<String, i64>,
    schema: String,
}

impl State {
    fn of(cluster: &Cluster, database: &str) -> State {
        let tables = cluster
            .query(
                database,
                // Temporary tables belong to other sessions (the lock checks' own, while
                // their session ends): not production, and not readable from here.
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE c.relkind = 'r' AND c.relpersistence <> 't' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
                 AND n.nspname NOT LIKE 'restore\\_%' ORDER BY 1",
            )
            .lines()
            .map(|table| (table.to_owned(), table_digest(cluster, database, table)))
            .collect();
        let sequences = cluster
            .query(database, "SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, 0) FROM pg_sequences WHERE schemaname NOT LIKE 'restore\\_%' ORDER BY 1")
            .lines()
            .map(|line| {
                let (name, value) = line.rsplit_once('|').expect("name|value");
                (name.to_owned(), value.parse().expect("a number"))
            })
            .collect();
        State {
            tables,
            sequences,
            schema: schema_dump(cluster, database),
        }
    }
}

/// Row digests of the staging tables (`restore_staging__*`).
fn staged(cluster: &Cluster, database: &str) -> BTreeMap<String, String> {
    cluster
        .query(
            database,
            "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'r' AND n.nspname LIKE 'restore\\_staging\\_\\_%' ORDER BY 1",
        )
        .lines()
        .map(|table| (table.to_owned(), table_digest(cluster, database, table)))
        .collect()
}

/// The md5 of a table's rows, sorted: equal digests, equal rows.
fn table_digest(cluster: &Cluster, database: &str, table: &str) -> String {
    cluster
        .query(database, &format!("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text), '')) || ' ' || count(*) FROM ONLY {table} t"))
        .trim()
        .to_owned()
}

/// `pg_dump --schema-only` without restage's schemas and the per-run `\restrict` keys.
/// The fidelity oracle: `pg_dump --schema-only` byte for byte, shown as a diff when it fails.
#[track_caller]
fn assert_schema_eq(actual: &str, expected: &str, path: &str) {
    assert!(
        actual == expected,
        "pg_dump --schema-only differs after {path} (- before, + after):\n{}",
        crate::test::diff(expected, actual)
    );
}

fn schema_dump(cluster: &Cluster, database: &str) -> String {
    let out = cluster.client(
        "pg_dump",
        database,
        &["--schema-only", "--exclude-schema=restore_*", database],
    );
    assert!(
        out.status.success(),
        "pg_dump --schema-only\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A small seeded generator (xorshift64*): the kill points of a run are reproducible from its
/// seed, which every failure message names.
struct Seeded(u64);

impl Seeded {
    fn from_env() -> Seeded {
        let seed = std::env::var("RESTAGE_FAULT_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        Seeded(seed.max(1))
    }

    /// Uniform in [0, 1).
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in 0..n.
    fn below(&mut self, n: usize) -> usize {
        let draw = self.next() * n as f64;
        // In [0, n): neither negative nor past n.
        #[expect(clippy::cast_sign_loss)]
        let index = draw as usize;
        index.min(n - 1)
    }
}

/// pgbench clients running SQL scripts against a database for a while, every transaction's
/// latency logged: the live traffic the scripts must not disturb.
struct Traffic {
    child: std::process::Child,
    dir: tempfile::TempDir,
    scripts: Vec<String>,
}

/// What the traffic saw.
struct TrafficReport {
    /// pgbench's summary and its errors.
    stdout: String,
    stderr: String,
    success: bool,
    /// Transactions done, by script name.
    done: BTreeMap<String, u64>,
    /// The longest latency of any transaction, by script name, in milliseconds.
    longest_ms: BTreeMap<String, f64>,
}

impl Traffic {
    /// `clients` pgbench clients for `seconds`, each transaction a random pick of `scripts`
    /// (name, SQL), with prepared statements (`-M prepared`) as applications use them.
    fn start(
        cluster: &Cluster,
        database: &str,
        scripts: &[(&str, &str)],
        clients: u32,
        seconds: u32,
    ) -> Traffic {
        let dir = tempfile::Builder::new()
            .prefix("restage-traffic-")
            .tempdir()
            .expect("temp dir");
        let mut command = cluster.command(cluster.bindir().join("pgbench"), database);
        command.args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-l",
            "--log-prefix",
        ]);
        command.arg(dir.path().join("latency"));
        for (name, sql) in scripts {
            let path = dir.path().join(format!("{name}.sql"));
            std::fs::write(&path, sql).expect("pgbench script");
            command.arg("-f").arg(path);
        }
        let child = command
            .env("PGAPPNAME", "restage test traffic")
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("pgbench starts");
        Traffic {
            child,
            dir,
            scripts: scripts.iter().map(|(n, _)| (*n).to_owned()).collect(),
        }
    }

    fn finish(self) -> TrafficReport {
        let output = self.child.wait_with_output().expect("pgbench ends");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        // Per script: "SQL script N: <path>" followed by " - M transactions (...)"; with one
        // script there is no such section, only the total.
        let mut done = BTreeMap::new();
        let mut current: Option<String> = None;
        for line in stdout.lines() {
            if let Some(rest) = line.strip_prefix("SQL script ") {
                let index: usize = rest
                    .split(':')
                    .next()
                    .and_then(|n| n.trim().parse().ok())
                    .expect("script number");
                current = Some(self.scripts[index - 1].clone());
            } else if let (Some(name), Some(rest)) = (&current, line.strip_prefix(" - ")) {
                if let Some(n) = rest
                    .strip_suffix(")")
                    .and_then(|r| r.split(" transactions").next())
                    .and_then(|n| n.trim().parse::<u64>().ok())
                {
                    done.insert(name.clone(), n);
                }
            } else if let Some(n) = line.strip_prefix("number of transactions actually processed: ")
                && self.scripts.len() == 1
            {
                let n = n.split('/').next().and_then(|n| n.trim().parse().ok());
                done.insert(self.scripts[0].clone(), n.expect("a count"));
            }
        }
        // The per-transaction logs: client, transaction, latency (µs), script number, ...
        let mut longest_ms: BTreeMap<String, f64> = BTreeMap::new();
        for entry in std::fs::read_dir(self.dir.path()).expect("log folder") {
            let path = entry.expect("log file").path();
            let is_log = path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("latency."));
            if !is_log {
                continue;
            }
            for line in std::fs::read_to_string(&path).expect("log").lines() {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let (Some(latency), Some(script)) = (
                    fields.get(2).and_then(|f| f.parse::<f64>().ok()),
                    fields.get(3).and_then(|f| f.parse::<usize>().ok()),
                ) else {
                    continue;
                };
                let name = self.scripts[script].clone();
                let longest = longest_ms.entry(name).or_insert(0.0);
                *longest = longest.max(latency / 1000.0);
            }
        }
        TrafficReport {
            success: output.status.success(),
            stdout,
            stderr,
            done,
            longest_ms,
        }
    }
}

impl TrafficReport {
    /// No client saw an error of any kind, and every script ran.
    fn assert_clean(&self, context: &str) {
        assert!(
            self.success && !self.stderr.contains("ERROR") && !self.stderr.contains("aborted"),
            "the traffic failed during {context}\n{}\n{}",
            self.stdout,
            self.stderr
        );
        if let Some(failed) = self
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("number of failed transactions: "))
        {
            assert!(failed.starts_with("0 "), "{context}: {}", self.stdout);
        }
    }
}
