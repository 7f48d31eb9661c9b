//! What the repository keeps equal across its files: snapshots and the tests that write them,
//! the example plans' inputs and the fixtures they copy, the supported server versions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use restage::compile::VERSIONS;

use crate::test::{EXAMPLES, compiled_example};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn file_names(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("UTF-8 file name")
        })
        .collect()
}

/// Every snapshot the tests write, by file name: one per artifact of each example plan, per
/// graph format of each, and one per fixture the snapshot globs go over.
fn written_snapshots() -> BTreeSet<String> {
    let mut written = BTreeSet::new();
    for name in EXAMPLES {
        let out = compiled_example(name);
        for file in crate::compile::tree(out.path()).keys() {
            written.insert(format!("artifact@{name}__{}.snap", file.replace('/', "__")));
        }
        for format in ["mmd", "dot"] {
            written.insert(format!("graph@{name}.{format}.snap"));
        }
    }
    // insta::glob! names a snapshot after the file it was made from.
    let globbed: [(&str, &str, &[&str]); 5] = [
        ("lint", "tests/lint", &["yaml"]),
        ("plan_err", "tests/plans/err", &["yaml"]),
        ("toc_json", "tests/fixtures", &["toc", "vtoc"]),
        ("toc_ok", "tests/listings/ok", &["list"]),
        ("toc_err", "tests/listings/err", &["list"]),
    ];
    for (prefix, dir, extensions) in globbed {
        for file in file_names(dir) {
            if extensions.iter().any(|e| file.ends_with(&format!(".{e}"))) {
                written.insert(format!("{prefix}@{file}.snap"));
            }
        }
    }
    written.insert("toc_text_kitchen_pg16.snap".to_owned());
    written.insert("init@kitchen.yaml.snap".to_owned());
    written
}

/// A snapshot no test writes any more (its fixture or artifact is gone) fails here instead of
/// lying in `snapshots/` unchecked; a test that writes one not committed fails in insta.
#[test]
fn every_snapshot_is_written_by_a_test() {
    let committed = file_names("snapshots");
    let written = written_snapshots();
    let orphans: Vec<&String> = committed.difference(&written).collect();
    assert!(orphans.is_empty(), "snapshots no test writes: {orphans:?}");
    let missing: Vec<&String> = written.difference(&committed).collect();
    assert!(missing.is_empty(), "snapshots not committed: {missing:?}");
}

/// The example plans in `plans/` carry copies of the PostgreSQL 15 fixtures, so that a user's
/// clone can compile them where they are: the copies are the fixtures, byte for byte.
#[test]
fn the_example_plans_hold_the_fixtures_unchanged() {
    for (copy, fixture) in [
        (
            "plans/kitchen/kitchen.list",
            "tests/fixtures/kitchen-pg15.vtoc",
        ),
        (
            "plans/kitchen/kitchen-schema.sql",
            "tests/fixtures/kitchen-pg15.schema.sql",
        ),
        (
            "plans/pagila/pagila.list",
            "tests/fixtures/pagila-pg15.vtoc",
        ),
        (
            "plans/pagila/pagila-schema.sql",
            "tests/fixtures/pagila-pg15.schema.sql",
        ),
    ] {
        let read =
            |path: &str| std::fs::read(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(read(copy) == read(fixture), "{copy} differs from {fixture}");
    }
}

/// The versions the preflight accepts are the ones the scripts fetch and CI runs the
/// end-to-end suite on.
#[test]
fn the_supported_versions_are_the_same_everywhere() {
    let supported: Vec<String> = (VERSIONS.oldest..=VERSIONS.newest)
        .map(|major| major.to_string())
        .collect();
    let read = |path: &str| std::fs::read_to_string(root().join(path)).expect(path);
    let fetcher = read("scripts/pg-binaries.sh");
    let accepted = fetcher
        .lines()
        .find_map(|line| line.trim().strip_suffix(") ;;"))
        .expect("the case of the majors scripts/pg-binaries.sh fetches");
    assert_eq!(
        accepted.split(" | ").collect::<Vec<_>>(),
        supported,
        "scripts/pg-binaries.sh"
    );
    let ci = read(".ci/run");
    let matrix = ci
        .split("RESTAGE_PG_MATRIX-")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .expect("the default matrix of .ci/run");
    assert_eq!(matrix.split(' ').collect::<Vec<_>>(), supported, ".ci/run");
    let range = format!("{}–{}", VERSIONS.oldest, VERSIONS.newest);
    assert!(
        read("README.md").contains(&range),
        "README.md names {range}"
    );
}

/// The workflow README.md's "In CI" shows is `scripts/ci/restage.yml`, word for word, and its
/// check step does what it says on a repository of plans: fails on an unacknowledged finding,
/// passes once the plans acknowledge theirs, fails again on a committed folder that drifted.
#[test]
fn the_ci_recipe_checks_and_lints_every_plan() {
    let read = |path: &str| std::fs::read_to_string(root().join(path)).expect(path);
    let workflow = read("scripts/ci/restage.yml");
    assert!(
        read("README.md").contains(&format!("```yaml\n{workflow}```\n")),
        "README.md does not show scripts/ci/restage.yml as it is"
    );
    let parsed: serde_json::Value = serde_saphyr::from_str(&workflow).expect("workflow YAML");
    let steps = parsed["jobs"]["plans"]["steps"]
        .as_array()
        .expect("the plans job's steps");
    let script = steps
        .iter()
        .find(|step| step["name"] == "Check and lint every plan")
        .and_then(|step| step["run"].as_str())
        .expect("the check step's script");
    let install = steps
        .iter()
        .find(|step| step["name"] == "Install restage")
        .and_then(|step| step["run"].as_str())
        .expect("the install step");
    assert!(install.starts_with("cargo install --locked "), "{install}");

    // A repository of plans: the examples, each compiled into its committed folder.
    let repo = tempfile::tempdir().expect("temp dir");
    for example in EXAMPLES {
        let from = root().join("plans").join(example);
        let to = repo.path().join("plans").join(example);
        std::fs::create_dir_all(&to).expect("plan folder");
        for entry in std::fs::read_dir(&from).expect("example") {
            let path = entry.expect("entry").path();
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copied");
        }
    }
    let restage = Path::new(env!("CARGO_BIN_EXE_restage"));
    let path = format!(
        "{}:{}",
        restage.parent().expect("bin dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |what: &[&str]| {
        std::process::Command::new(what[0])
            .args(&what[1..])
            .current_dir(repo.path())
            .env("PATH", &path)
            .env_remove("GITHUB_ACTIONS")
            .output()
            .expect("runs")
    };
    let compile_all = || {
        for example in EXAMPLES {
            let plan = format!("plans/{example}/plan.yaml");
            let out = format!("plans/{example}/out");
            let done = run(&["restage", "compile", &plan, "--out", &out]);
            assert!(done.status.success(), "{done:?}");
        }
    };
    let step = || {
        let done = run(&["bash", "-e", "-c", script]);
        (
            done.status.code(),
            String::from_utf8_lossy(&done.stdout).into_owned()
                + &String::from_utf8_lossy(&done.stderr),
        )
    };
    compile_all();
    let (status, said) = step();
    assert_eq!(status, Some(1), "{said}");
    assert!(
        said.contains("plans/kitchen/out is up to date")
            && said.contains("restage lint: plans/pagila/plan.yaml: 4 warning(s)"),
        "{said}"
    );

    // The plans acknowledge what they were warned of, and are compiled again.
    for example in EXAMPLES {
        let plan = format!("plans/{example}/plan.yaml");
        let findings = run(&["restage", "lint", &plan, "--format", "json"]);
        let findings: serde_json::Value =
            serde_json::from_slice(&findings.stdout).expect("lint JSON");
        let codes: BTreeSet<&str> = findings["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| d["code"].as_str().expect("code"))
            .collect();
        let path = repo.path().join(&plan);
        let mut text = std::fs::read_to_string(&path).expect("plan");
        text.push_str(&format!(
            "lint:\n  allow: [{}]\n",
            codes.into_iter().collect::<Vec<_>>().join(", ")
        ));
        std::fs::write(&path, text).expect("plan written");
    }
    let (status, said) = step();
    assert_eq!(status, Some(1), "drift before the recompile: {said}");
    compile_all();
    let (status, said) = step();
    assert_eq!(status, Some(0), "{said}");

    let review = repo.path().join("plans/pagila/out/REVIEW.md");
    let text = std::fs::read_to_string(&review).expect("review");
    std::fs::write(&review, text.replacen("# ", "# Approved: ", 1)).expect("edited");
    let (status, said) = step();
    assert_eq!(status, Some(1), "{said}");
    assert!(
        said.contains("--- REVIEW.md (in the folder)")
            && said.contains("plans/pagila/out differs from what restage compile writes"),
        "{said}"
    );
}
