//! Plans: fixtures that must compile (`ok/`, with the load order they must give) and fixtures
//! that must fail (`err/`, with every problem and its place, stated in the fixture itself).

use std::path::Path;

use crate::test::{Test, snapshot_settings};

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 file name")
}

/// The `# key: value` lines of a fixture.
fn stated<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    let prefix = format!("# {key}: ");
    text.lines()
        .filter_map(|l| l.strip_prefix(prefix.as_str()))
        .collect()
}

/// Each problem of a plan, from `--format json`, as `line:column: message`, in the order
/// reported; and the path each names.
fn problems(stdout: &str) -> (Vec<String>, Vec<String>) {
    let value: serde_json::Value = serde_json::from_str(stdout).expect("JSON diagnostics");
    let diagnostics = value["diagnostics"].as_array().expect("diagnostics");
    let stated = diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{}: {}",
                d["location"]["line"],
                d["location"]["column"],
                d["message"].as_str().expect("message")
            )
        })
        .collect();
    let paths = diagnostics
        .iter()
        .map(|d| d["path"].as_str().expect("path").to_owned())
        .collect();
    (stated, paths)
}

#[test]
fn err_plans_report_every_problem_at_its_place() {
    snapshot_settings().bind(|| {
        insta::glob!("plans/err", "*.yaml", |path| {
            let text = std::fs::read_to_string(path).expect("fixture");
            let expected = stated(&text, "error");
            assert!(
                !expected.is_empty(),
                "{} states no expected error",
                path.display()
            );
            let out = tempfile::tempdir().expect("temp dir");
            let compile = |format: &str| {
                Test::new()
                    .current_dir(path.parent().expect("dir"))
                    .args([
                        "compile".as_ref(),
                        file_name(path).as_ref(),
                        "--out".as_ref(),
                        out.path().as_os_str(),
                        "--format".as_ref(),
                        format.as_ref(),
                    ])
                    .status(2)
            };
            let json = compile("json").stderr("").run();
            let (found, paths) = problems(&json.stdout);
            assert_eq!(found, expected, "{}\n{}", path.display(), json.stdout);
            assert!(
                paths.iter().all(|p| p == file_name(path)),
                "the path as given: {paths:?}"
            );
            let run = compile("human").stdout("").run();
            assert!(run.stderr.starts_with("restage::plan\n"), "{}", run.stderr);
            assert_eq!(
                std::fs::read_dir(out.path()).expect("out").count(),
                0,
                "nothing written"
            );
            insta::assert_snapshot!("plan_err", run.stderr);
        });
    });
}

#[test]
fn ok_plans_compile_in_their_stated_order() {
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/plans/ok"))
        .expect("ok fixtures")
    {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("fixture");
        let expected: Vec<&str> = stated(&text, "order")
            .iter()
            .flat_map(|o| o.split(", "))
            .collect();
        assert!(!expected.is_empty(), "{} states no order", path.display());
        let out = tempfile::tempdir().expect("temp dir");
        Test::new()
            .current_dir(path.parent().expect("dir"))
            .args([
                "compile".as_ref(),
                file_name(&path).as_ref(),
                "--out".as_ref(),
                out.path().as_os_str(),
            ])
            .stdout("")
            .run();
        let mut lists: Vec<_> = std::fs::read_dir(out.path().join("load"))
            .expect("load lists")
            .map(|e| e.expect("entry").path())
            .collect();
        lists.sort();
        let order: Vec<String> = lists
            .iter()
            .map(|list| {
                let text = std::fs::read_to_string(list).expect("list");
                let third = text.lines().nth(2).expect("header line");
                third
                    .split_once(" entry of ")
                    .expect("label")
                    .1
                    .trim_end_matches('.')
                    .to_owned()
            })
            .collect();
        assert_eq!(order, expected, "{}", path.display());
    }
}
