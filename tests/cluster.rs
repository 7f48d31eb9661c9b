//! A throwaway PostgreSQL cluster: initdb into a temporary folder, a server on a free port that
//! listens only on a private socket folder, stopped and removed when dropped (also when a test
//! panics). As root, the server runs as the `postgres` user, since PostgreSQL refuses root.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub(crate) struct Cluster {
    dir: tempfile::TempDir,
    port: u16,
    bindir: PathBuf,
    /// Server settings given at every start, `-c name=value` each.
    settings: Vec<String>,
}

/// The folder with initdb, pg_ctl, psql, pg_dump and pg_restore: `PG_BINDIR`, else
/// `pg_config --bindir`, else the newest `/usr/lib/postgresql/*/bin`.
pub(crate) fn bindir() -> &'static Path {
    static BINDIR: OnceLock<PathBuf> = OnceLock::new();
    BINDIR.get_or_init(|| {
        let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
        if let Some(dir) = std::env::var_os("PG_BINDIR").map(PathBuf::from) {
            assert!(
                has_server(&dir),
                "PG_BINDIR={} has no initdb and pg_ctl",
                dir.display()
            );
            return dir;
        }
        let from_pg_config = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        if let Some(dir) = from_pg_config.filter(|d| has_server(d)) {
            return dir;
        }
        let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|d| has_server(d))
            .collect();
        debian.sort_by_key(|d| {
            d.parent()
                .and_then(|v| v.file_name())
                .and_then(|v| v.to_str())
                .and_then(|v| v.parse::<u32>().ok())
        });
        debian.pop().unwrap_or_else(|| {
            panic!(
                "these tests need PostgreSQL server binaries (initdb, pg_ctl) and found none: \
                 install them (apt-get install postgresql) or set PG_BINDIR to their folder"
            )
        })
    })
}

fn is_root() -> bool {
    // `id -u` rather than a libc dependency for one call.
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    pub(crate) fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// A cluster whose server starts with `settings` (`name=value`) on top of the usual ones.
    pub(crate) fn start_with(settings: &[&str]) -> Cluster {
        let cluster = Cluster::empty(settings);
        let data = cluster.data_dir();
        cluster.server_command("initdb", |c| {
            c.args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-D",
            ])
            .arg(&data);
        });
        cluster.pg_ctl_start();
        cluster
    }

    /// A new folder and port for a server, not yet initialised.
    fn empty(settings: &[&str]) -> Cluster {
        let dir = tempfile::Builder::new()
            .prefix("restage-pg-")
            .tempdir()
            .expect("temp dir");
        let cluster = Cluster {
            dir,
            port: free_port(),
            bindir: bindir().to_owned(),
            settings: settings.iter().map(|s| format!("-c {s}")).collect(),
        };
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(cluster.dir.path())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "chown the cluster folder to postgres"
            );
        }
        cluster
    }

    /// A streaming standby of this cluster (`pg_basebackup -R`), started, connecting as
    /// `application_name`, the name `synchronous_standby_names` knows it by.
    pub(crate) fn standby(&self, application_name: &str) -> Cluster {
        self.standby_with(application_name, &[])
    }

    /// A streaming standby whose server starts with `settings` (`name=value`) too.
    pub(crate) fn standby_with(&self, application_name: &str, settings: &[&str]) -> Cluster {
        let standby = Cluster::empty(settings);
        let conninfo = format!(
            "host={} port={} user=postgres application_name={application_name}",
            self.socket_dir().display(),
            self.port
        );
        standby.server_command("pg_basebackup", |c| {
            c.args(["-X", "stream", "-c", "fast", "-R", "-d", &conninfo, "-D"])
                .arg(standby.data_dir());
        });
        // Only what it needs: the connection string -R writes names every option of the libpq
        // pg_basebackup links, which a server linking another libpq may not know (the PyPI
        // builds of 18). The last setting in the file wins.
        let auto_conf = standby.data_dir().join("postgresql.auto.conf");
        let mut settings = std::fs::read_to_string(&auto_conf).expect("postgresql.auto.conf");
        settings.push_str(&format!("primary_conninfo = '{conninfo}'\n"));
        std::fs::write(&auto_conf, settings).expect("postgresql.auto.conf written");
        standby.pg_ctl_start();
        standby
    }

    /// Promotes this standby to a primary (`pg_ctl promote`, waiting until it is done).
    pub(crate) fn promote(&self) {
        self.server_command("pg_ctl", |c| {
            c.arg("-D").arg(self.data_dir()).args(["-w", "promote"]);
        });
    }

    /// Stops the server cleanly; `resume` starts it again.
    pub(crate) fn stop(&self) {
        self.server_command("pg_ctl", |c| {
            c.arg("-D")
                .arg(self.data_dir())
                .args(["-m", "fast", "-w", "stop"]);
        });
    }

    pub(crate) fn resume(&self) {
        self.pg_ctl_start();
    }

    /// `ALTER SYSTEM SET name = value` and a reload.
    pub(crate) fn set(&self, name: &str, value: &str) {
        self.query("postgres", &format!("ALTER SYSTEM SET {name} = '{value}'"));
        self.query("postgres", "SELECT pg_reload_conf()");
    }

    /// The server's major version (14, ..., 18).
    pub(crate) fn major(&self) -> u32 {
        self.query("postgres", "SHOW server_version_num")
            .trim()
            .parse::<u32>()
            .expect("server_version_num")
            / 10_000
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c max_connections=50 {}",
            self.port,
            self.socket_dir().display(),
            self.settings.join(" ")
        );
        let log = self.dir.path().join("server.log");
        self.server_command("pg_ctl", |c| {
            c.arg("-D")
                .arg(self.data_dir())
                .arg("-o")
                .arg(&options)
                .arg("-l")
                .arg(&log)
                .args(["-w", "start"]);
        });
    }

    /// Stops the server as a crash or a failover does (`pg_ctl stop -m immediate`: no
    /// checkpoint, crash recovery at the next start) and starts it again.
    pub(crate) fn crash_and_restart(&self) {
        self.server_command("pg_ctl", |c| {
            c.arg("-D")
                .arg(self.data_dir())
                .args(["-m", "immediate", "-w", "stop"]);
        });
        self.pg_ctl_start();
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub(crate) fn socket_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    pub(crate) fn bindir(&self) -> &Path {
        &self.bindir
    }

    /// A connection string to `database` of this cluster, for another cluster on this machine
    /// (a subscription's `CONNECTION`).
    pub(crate) fn conninfo(&self, database: &str) -> String {
        format!(
            "host={} port={} user=postgres dbname={database}",
            self.socket_dir().display(),
            self.port
        )
    }

    /// Runs a server program (initdb, pg_ctl) as a user PostgreSQL accepts.
    fn server_command(&self, program: &str, args: impl FnOnce(&mut Command)) {
        let path = self.bindir.join(program);
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        args(&mut command);
        let output = command
            .stdin(Stdio::null())
            .output()
            .expect("server program runs");
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            output.status.success(),
            "{program} failed\n{}\n{}\nserver log:\n{log}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// A command with the libpq environment of this cluster, its binaries first on PATH.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>, database: &str) -> Command {
        let mut command = Command::new(program);
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.bindir.clone()];
        paths.extend(std::env::split_paths(&path));
        command
            .env("PATH", std::env::join_paths(paths).expect("PATH"))
            .env("PGHOST", self.socket_dir())
            .env("PGPORT", self.port.to_string())
            .env("PGUSER", "postgres")
            .env("PGDATABASE", database)
            .env_remove("PGPASSWORD")
            .env_remove("PGSERVICE")
            .env_remove("PGOPTIONS")
            .stdin(Stdio::null());
        command
    }

    /// Runs a PostgreSQL client program (psql, pg_dump, pg_restore) against `database`, as the
    /// test's own harness (application name `restage test harness`).
    pub(crate) fn client(&self, program: &str, database: &str, args: &[&str]) -> Output {
        self.command(self.bindir.join(program), database)
            .env("PGAPPNAME", "restage test harness")
            .args(args)
            .output()
            .expect("client runs")
    }

    /// `psql -X -v ON_ERROR_STOP=1 -At -c sql`, which must succeed; its stdout.
    pub(crate) fn query(&self, database: &str, sql: &str) -> String {
        let out = self.client(
            "psql",
            database,
            &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
        );
        assert!(
            out.status.success(),
            "psql -c {sql}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `psql -f file`, which must succeed.
    pub(crate) fn run_file(&self, database: &str, file: &Path) {
        let file = file.to_str().expect("UTF-8 path");
        let out = self.client(
            "psql",
            database,
            &["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file],
        );
        assert!(
            out.status.success(),
            "psql -f {file}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub(crate) fn create_database(&self, name: &str) {
        self.query("postgres", &format!("CREATE DATABASE \"{name}\""));
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let path = self.bindir.join("pg_ctl");
        let mut command = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let _ = command
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
