//! A small builder that runs the `restage` binary and checks status, stdout and stderr together.

use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) struct Test {
    args: Vec<OsString>,
    dir: PathBuf,
    env: Vec<(String, String)>,
    stdin: Vec<u8>,
    status: i32,
    stdout: Option<String>,
    stderr: Option<String>,
}

/// What a run printed, for checks beyond exact equality.
pub(crate) struct Output {
    pub stdout: String,
    pub stderr: String,
}

impl Test {
    pub(crate) fn new() -> Self {
        Test {
            args: Vec::new(),
            dir: Path::new(env!("CARGO_MANIFEST_DIR")).to_owned(),
            env: Vec::new(),
            stdin: Vec::new(),
            status: 0,
            stdout: None,
            stderr: None,
        }
    }

    pub(crate) fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Runs in `dir`, relative to the crate root unless absolute.
    pub(crate) fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.dir = self.dir.join(dir);
        self
    }

    pub(crate) fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = bytes.into();
        self
    }

    pub(crate) fn status(mut self, status: i32) -> Self {
        self.status = status;
        self
    }

    pub(crate) fn stdout(mut self, text: impl Into<String>) -> Self {
        self.stdout = Some(text.into());
        self
    }

    pub(crate) fn stderr(mut self, text: impl Into<String>) -> Self {
        self.stderr = Some(text.into());
        self
    }

    /// Runs restage and checks what was asked for; a failure points at the calling test's line
    /// and shows a mismatched stream as a diff.
    #[track_caller]
    pub(crate) fn run(self) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_restage"))
            .args(&self.args)
            .current_dir(&self.dir)
            .env_remove("NO_COLOR")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("restage runs");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(&self.stdin)
            .expect("stdin written");
        let output = child.wait_with_output().expect("restage finishes");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let context = || {
            format!(
                "restage {:?}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                self.args
            )
        };
        assert_eq!(
            output.status.code(),
            Some(self.status),
            "exit status of {}",
            context()
        );
        for (stream, expected, actual) in [
            ("stdout", &self.stdout, &stdout),
            ("stderr", &self.stderr, &stderr),
        ] {
            if let Some(expected) = expected {
                assert!(
                    actual == expected,
                    "{stream} of restage {:?} differs (- expected, + actual):\n{}",
                    self.args,
                    diff(expected, actual)
                );
            }
        }
        Output { stdout, stderr }
    }
}

/// A unified diff of two texts, for assertion messages that show what changed, not two walls.
pub(crate) fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// insta settings that keep every snapshot in the top-level `snapshots/` folder.
pub(crate) fn snapshot_settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The example plans shipped in `plans/`.
pub(crate) const EXAMPLES: &[&str] = &["kitchen", "pagila", "pagila-recover"];

/// `restage compile PLAN --out OUT`, which must succeed and print nothing on stdout.
pub(crate) fn compile(plan: &Path, out: &Path) {
    Test::new()
        .args([
            "compile".as_ref(),
            plan.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .stdout("")
        .run();
}

/// Example `name` compiled into a fresh folder, which lives as long as the value.
pub(crate) fn compiled_example(name: &str) -> tempfile::TempDir {
    let out = tempfile::tempdir().expect("temp dir");
    compile(&example(name), out.path());
    out
}

/// The plan file of example `name`.
pub(crate) fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("plans")
        .join(name)
        .join("plan.yaml")
}
