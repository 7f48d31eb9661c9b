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
