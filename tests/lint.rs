//! `restage lint`: each fixture in `tests/lint/` states the findings it must give (`# finding:
//! CODE [table] [allowed]` lines, or `# findings: none`), in order; the text each prints is
//! snapshotted.

use std::path::Path;

use crate::test::{Test, snapshot_settings};

/// `CODE table` for each finding the JSON output lists.
fn found(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    value["findings"]
        .as_array()
        .expect("a findings array")
        .iter()
        .map(|f| {
            let mut stated = f["code"].as_str().expect("code").to_owned();
            if let Some(table) = f["table"].as_str() {
                stated.push_str(&format!(" {table}"));
            }
            if f["allowed"] == true {
                stated.push_str(" allowed");
            }
            stated
        })
        .collect()
}

#[test]
fn every_fixture_gives_the_findings_it_states() {
    snapshot_settings().bind(|| {
        insta::glob!("lint", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).expect("fixture");
            let expected: Vec<&str> = text
                .lines()
                .filter_map(|l| l.strip_prefix("# finding: "))
                .collect();
            let none = text.lines().any(|l| l == "# findings: none");
            assert!(
                none == expected.is_empty(),
                "{} must state its findings, or `# findings: none`",
                path.display()
            );
            let name = path.file_name().expect("file name");
            let dir = path.parent().expect("dir");
            let json = Test::new()
                .current_dir(dir)
                .args(["lint".as_ref(), name, "--format".as_ref(), "json".as_ref()])
                .run();
            assert_eq!(found(&json.stdout), expected, "{}", path.display());

            // Warnings fail the run only when denied, and allowed ones never do.
            let allowed = expected.iter().filter(|f| f.ends_with(" allowed")).count();
            let warnings = expected.len() - allowed;
            let denied = Test::new()
                .current_dir(dir)
                .args([
                    "lint".as_ref(),
                    name,
                    "--deny".as_ref(),
                    "warnings".as_ref(),
                ])
                .status(if warnings > 0 { 1 } else { 0 })
                .run();
            let mut summary = match warnings {
                0 => "no findings".to_owned(),
                n => format!("{n} warning(s)"),
            };
            if allowed > 0 {
                summary.push_str(&format!(", {allowed} allowed by the plan"));
            }
            assert_eq!(
                denied.stderr,
                format!("restage lint: {}: {summary}\n", name.to_string_lossy())
            );
            Test::new()
                .current_dir(dir)
                .args(["lint".as_ref(), name])
                .run();
            insta::assert_snapshot!("lint", denied.stdout);
        });
    });
}

#[test]
fn json_findings_carry_code_severity_message_place_and_help() {
    let dir = Path::new("tests/lint");
    let out = Test::new()
        .current_dir(dir)
        .args(["lint", "no-key.yaml", "--format", "json"])
        .run();
    let value: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(value["plan"], "no-key.yaml");
    let finding = &value["findings"][0];
    assert_eq!(finding["code"], "L005");
    assert_eq!(finding["name"], "no-key");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["table"], "public.log_line");
    assert_eq!(
        finding["message"],
        "`public.log_line` has no primary key or unique key"
    );
    assert_eq!(finding["location"]["line"], 11);
    assert_eq!(finding["location"]["column"], 5);
    assert!(
        finding["help"]
            .as_str()
            .is_some_and(|h| h.contains("40-verify.sql"))
    );
}

#[test]
fn a_plan_with_errors_is_not_linted() {
    let out = Test::new()
        .current_dir("tests/plans/err")
        .args(["lint", "missing-table.yaml", "--deny", "warnings"])
        .status(2)
        .stdout("")
        .run();
    assert!(out.stderr.starts_with("restage::plan\n"), "{}", out.stderr);
}
