//! `restage toc` on real listings (PostgreSQL 14–18) and on edge-case and malformed ones.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::test::{Test, fixture, snapshot_settings};

fn toc_json(dir: &Path, file: &str) -> (Value, String) {
    let out = Test::new()
        .current_dir(dir)
        .args(["toc", "--format", "json", file])
        .run();
    (
        serde_json::from_str(&out.stdout).expect("valid JSON"),
        out.stdout,
    )
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
}

#[test]
fn fixture_listings_as_json() {
    snapshot_settings().bind(|| {
        insta::glob!("fixtures", "*.{toc,vtoc}", |path| {
            let (_, text) = toc_json(path.parent().expect("dir"), file_name(path));
            insta::assert_snapshot!("toc_json", text);
        });
    });
}

/// Every entry line of a real listing becomes exactly one entry, in file order, with its id;
/// none is ambiguous (no fixture has two schema names that both fit one line).
#[test]
fn every_entry_line_becomes_one_entry() {
    for path in fixture_listings() {
        let path = path.as_path();
        let text = std::fs::read_to_string(path).expect("fixture");
        let ids_in_file: Vec<u64> = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit()))
            .map(|l| {
                l.split_once(';')
                    .expect("id;")
                    .0
                    .parse()
                    .expect("numeric id")
            })
            .collect();
        let out = Test::new()
            .args(["toc", "--format", "json"])
            .args([path])
            .stderr("")
            .run();
        let json: Value = serde_json::from_str(&out.stdout).expect("valid JSON");
        let entries = json["entries"].as_array().expect("entries");
        let ids: Vec<u64> = entries
            .iter()
            .map(|e| e["id"].as_u64().expect("id"))
            .collect();
        assert_eq!(ids, ids_in_file, "{}", path.display());
        for e in entries {
            assert_eq!(e["ambiguous"], false, "{e}");
            assert_eq!(e["disabled"], false, "{e}");
            assert!(e["name"].is_string(), "{e}");
        }
        assert_eq!(
            json["header"]["toc_entries"]
                .as_u64()
                .map(|n| n as usize >= entries.len()),
            Some(true)
        );
    }
}

fn fixture_listings() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(fixture(""))
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("toc" | "vtoc")))
        .collect();
    paths.sort();
    assert_eq!(
        paths.len(),
        20,
        "a .toc and a .vtoc for kitchen and pagila, PostgreSQL 14-18"
    );
    paths
}

/// The listing parser reproduces what the archive itself stores (read from the binary TOC with
/// pgdumplib): id, desc, schema, name, owner and dependencies of every entry.
#[test]
fn pagila_listings_match_the_archive() {
    for version in 14..=18 {
        let truth: Value = serde_json::from_slice(
            &std::fs::read(fixture(&format!("pagila-pg{version}.truth.json"))).expect("truth"),
        )
        .expect("truth JSON");
        let (parsed, _) = toc_json(&fixture(""), &format!("pagila-pg{version}.vtoc"));
        let key = |e: &Value| e["id"].as_u64().expect("id");
        let expected: BTreeMap<u64, Value> = truth["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                let or_null = |v: &Value| if v == "" { Value::Null } else { v.clone() };
                // pgdumplib reports each dependency once, in id order; the listing prints them
                // in the archive's order, duplicates included.
                let fields = serde_json::json!({
                    "desc": e["desc"], "schema": or_null(&e["schema"]), "name": e["name"],
                    "owner": or_null(&e["owner"]), "deps": e["deps"],
                });
                (key(e), fields)
            })
            .collect();
        let actual: BTreeMap<u64, Value> = parsed["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                let deps: std::collections::BTreeSet<u64> = e["deps"]
                    .as_array()
                    .expect("deps")
                    .iter()
                    .map(|d| d.as_u64().expect("id"))
                    .collect();
                let fields = serde_json::json!({
                    "desc": e["desc"], "schema": e["schema"], "name": e["name"],
                    "owner": e["owner"], "deps": deps,
                });
                (key(e), fields)
            })
            .collect();
        assert_eq!(actual.len(), expected.len(), "pg{version}");
        for (id, want) in &expected {
            assert_eq!(actual.get(id), Some(want), "pg{version} entry {id}");
        }
    }
}

/// `pg_restore -l` lists a subset of what `-l -v` lists, with the same ids and names.
#[test]
fn plain_and_verbose_listings_agree() {
    for stem in ["kitchen", "pagila"] {
        for version in 14..=18 {
            let dir = fixture("");
            let (plain, _) = toc_json(&dir, &format!("{stem}-pg{version}.toc"));
            let (verbose, _) = toc_json(&dir, &format!("{stem}-pg{version}.vtoc"));
            let by_id: BTreeMap<u64, &Value> = verbose["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .map(|e| (e["id"].as_u64().expect("id"), e))
                .collect();
            for e in plain["entries"].as_array().expect("entries") {
                let v = by_id[&e["id"].as_u64().expect("id")];
                for field in ["desc", "schema", "name", "owner", "tableoid", "oid"] {
                    assert_eq!(e[field], v[field], "{stem}-pg{version} {e}");
                }
                assert_eq!(e["deps"], serde_json::json!([]));
            }
        }
    }
}

#[test]
fn the_json_contract() {
    let (json, _) = toc_json(&fixture(""), "kitchen-pg18.vtoc");
    let keys = |v: &Value| {
        v.as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&json), ["entries", "header"]);
    assert_eq!(
        json["header"],
        serde_json::json!({"dbname": "kitchen", "toc_entries": 126, "compression": "gzip",
            "dump_version": "1.16-0", "format": "CUSTOM", "dumped_from": "18.6", "dumped_by": "18.6"})
    );
    let reading_data = json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["desc"] == "TABLE DATA" && e["name"] == "reading")
        .expect("TABLE DATA public reading");
    assert_eq!(
        keys(reading_data),
        [
            "ambiguous",
            "candidates",
            "deps",
            "desc",
            "disabled",
            "id",
            "line",
            "name",
            "oid",
            "owner",
            "schema",
            "tableoid"
        ]
    );
    assert_eq!(reading_data["schema"], "public");
    assert_eq!(reading_data["owner"], "postgres");
    assert_eq!(reading_data["tableoid"], 0);
    assert_eq!(reading_data["candidates"], serde_json::json!([]));
    let encoding = &json["entries"][0];
    assert_eq!(
        (&encoding["desc"], &encoding["schema"], &encoding["owner"]),
        (&"ENCODING".into(), &Value::Null, &Value::Null)
    );
}

#[test]
fn pg15_prints_compression_as_a_level() {
    let (json, _) = toc_json(&fixture(""), "kitchen-pg15.toc");
    assert_eq!(json["header"]["compression"], "-1");
    assert_eq!(json["header"]["dump_version"], "1.14-0");
}

#[test]
fn reads_standard_input() {
    let listing = std::fs::read(fixture("kitchen-pg17.vtoc")).expect("fixture");
    let from_stdin = Test::new()
        .args(["toc", "--format", "json", "-"])
        .stdin(listing)
        .run();
    let (_, from_file) = toc_json(&fixture(""), "kitchen-pg17.vtoc");
    assert_eq!(from_stdin.stdout, from_file);
}

#[test]
fn text_format_is_an_aligned_table() {
    let out = Test::new()
        .current_dir("tests/fixtures")
        .args(["toc", "kitchen-pg16.toc"])
        .run();
    let header_row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("LINE"))
        .expect("table header");
    let data_row = out
        .stdout
        .lines()
        .find(|l| l.contains("TABLE DATA") && l.contains("reading "))
        .expect("row");
    assert_eq!(header_row.find("NAME"), data_row.find("reading"));
    snapshot_settings().bind(|| insta::assert_snapshot!("toc_text_kitchen_pg16", out.stdout));
}

/// Expectations written in the fixture itself, as listing comments:
/// `; expect: entries=3 ambiguous=1 disabled=0 warnings=1`.
fn expectations(text: &str, key: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.strip_prefix(&format!("; {key}: ")))
        .flat_map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("key=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

#[test]
fn ok_listings() {
    snapshot_settings().bind(|| {
        insta::glob!("listings/ok", "*.list", |path| {
            let text = String::from_utf8_lossy(&std::fs::read(path).expect("fixture")).into_owned();
            let out = Test::new()
                .current_dir(path.parent().expect("dir"))
                .args(["toc", "--format", "json", file_name(path)])
                .run();
            let json: Value = serde_json::from_str(&out.stdout).expect("JSON");
            let entries = json["entries"].as_array().expect("entries");
            let count = |flag: &str| entries.iter().filter(|e| e[flag] == true).count();
            let expect = expectations(&text, "expect");
            assert!(
                !expect.is_empty(),
                "{} states no expectations",
                path.display()
            );
            for (key, value) in expect {
                let actual = match key.as_str() {
                    "entries" => entries.len(),
                    "ambiguous" => count("ambiguous"),
                    "disabled" => count("disabled"),
                    "warnings" => out
                        .stderr
                        .lines()
                        .filter(|l| l.starts_with("warning: "))
                        .count(),
                    other => panic!("unknown expectation {other}"),
                };
                assert_eq!(
                    actual.to_string(),
                    value,
                    "{key} of {}\n{}",
                    path.display(),
                    out.stderr
                );
            }
            insta::assert_snapshot!(
                "toc_ok",
                format!("{}--- stderr\n{}", out.stdout, out.stderr)
            );
        });
    });
}

#[test]
fn err_listings() {
    snapshot_settings().bind(|| {
        insta::glob!("listings/err", "*.list", |path| {
            let text = String::from_utf8_lossy(&std::fs::read(path).expect("fixture")).into_owned();
            let name = file_name(path);
            let expected = text
                .lines()
                .find_map(|l| l.strip_prefix("; error: "))
                .unwrap_or_else(|| panic!("{name} states no expected error"));
            // Neither format writes a byte before the whole listing has been read.
            Test::new()
                .current_dir(path.parent().expect("dir"))
                .args(["toc", "--format", "json", name])
                .status(2)
                .stdout("")
                .run();
            let out = Test::new()
                .current_dir(path.parent().expect("dir"))
                .args(["toc", name])
                .status(2)
                .stdout("")
                .run();
            let first = out.stderr.lines().next().unwrap_or_default();
            assert_eq!(first, "restage::listing::syntax", "{}", out.stderr);
            let json = Test::new()
                .current_dir(path.parent().expect("dir"))
                .args(["toc", name, "--message-format", "json"])
                .status(2)
                .stderr("")
                .run();
            let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
            let d = &value["diagnostics"][0];
            assert_eq!(d["path"], name, "{}", json.stdout);
            assert_eq!(
                format!(
                    "{}:{}: {}",
                    d["location"]["line"],
                    d["location"]["column"],
                    d["message"].as_str().expect("message")
                ),
                expected,
                "{name}"
            );
            insta::assert_snapshot!("toc_err", out.stderr);
        });
    });
}
