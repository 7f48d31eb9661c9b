//! `restage lint`: each fixture in `tests/lint/` states the findings it must give (`# finding:
//! CODE [table] [allowed]` lines, or `# findings: none`), in order; the text each prints is
//! snapshotted.

use std::path::Path;

use crate::test::{Test, snapshot_settings};

/// `CODE table` for each finding the JSON output lists.
fn found(json: &str) -> Vec<String> {
    let value: serde_json::Value = serde_json::from_str(json).expect("JSON");
    value["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
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
                .status(i32::from(warnings > 0))
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
    let finding = &value["diagnostics"][0];
    assert_eq!(finding["code"], "L005");
    assert_eq!(finding["name"], "no-key");
    assert_eq!(finding["severity"], "warning");
    assert_eq!(finding["table"], "public.log_line");
    assert_eq!(
        finding["message"],
        "public.log_line has no primary key or unique key"
    );
    assert_eq!(finding["path"], "no-key.yaml");
    assert_eq!(finding["allowed"], false);
    assert_eq!(finding["location"]["line"], 11);
    assert_eq!(finding["location"]["column"], 5);
    assert!(
        finding["help"]
            .as_str()
            .is_some_and(|h| h.contains("40-verify.sql"))
    );
}

/// A plan with errors is reported in the format asked for, on stdout for machines, with the
/// path as the command line gave it: a CI loop over many plans tells them apart.
#[test]
fn errors_come_out_as_json_and_as_github_annotations() {
    let json = Test::new()
        .args([
            "lint",
            "tests/plans/err/missing-table.yaml",
            "--format",
            "json",
        ])
        .status(2)
        .stderr("")
        .run();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let d = &value["diagnostics"][0];
    assert_eq!(d["code"], "restage::plan");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["path"], "tests/plans/err/missing-table.yaml");
    assert!(d["location"]["line"].is_u64(), "{}", json.stdout);

    let github = Test::new()
        .args(["lint", "tests/plans/err/missing-table.yaml"])
        .env("GITHUB_ACTIONS", "true")
        .status(2)
        .stderr("")
        .run();
    assert!(
        github
            .stdout
            .starts_with("::error file=tests/plans/err/missing-table.yaml,line="),
        "{}",
        github.stdout
    );
    let findings = Test::new()
        .args(["lint", "tests/lint/no-key.yaml", "--format", "github"])
        .run();
    assert!(
        findings
            .stdout
            .contains("::warning file=tests/lint/no-key.yaml,line=11,col=5,"),
        "{}",
        findings.stdout
    );
    assert!(
        findings.stdout.contains("title=L005 no-key::"),
        "{}",
        findings.stdout
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
