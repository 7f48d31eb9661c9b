//! `restage compile` and `restage check` on the example plans: every artifact snapshotted,
//! byte-identical output whatever the machine, and drift found.

use std::collections::BTreeMap;
use std::path::Path;

use crate::test::{EXAMPLES, Test, compile, example, snapshot_settings};

/// Every file under `dir` with its bytes and whether it is executable.
pub(crate) fn tree(dir: &Path) -> BTreeMap<String, (Vec<u8>, bool)> {
    use std::os::unix::fs::PermissionsExt;
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                let executable = std::fs::metadata(&path)
                    .expect("metadata")
                    .permissions()
                    .mode()
                    & 0o111
                    != 0;
                files.insert(name, (std::fs::read(&path).expect("file"), executable));
            }
        }
    }
    files
}

#[test]
fn every_artifact_of_every_example() {
    for name in EXAMPLES {
        let out = tempfile::tempdir().expect("temp dir");
        compile(&example(name), out.path());
        let files = tree(out.path());
        assert!(files.len() >= 12, "{name}: {:?}", files.keys());
        for (file, (bytes, executable)) in &files {
            assert_eq!(*executable, file.ends_with(".sh"), "{name}/{file} mode");
            let text = String::from_utf8(bytes.clone()).expect("UTF-8 artifact");
            let snapshot = format!("artifact@{name}__{}", file.replace('/', "__"));
            snapshot_settings().bind(|| insta::assert_snapshot!(snapshot, text));
        }
    }
}

/// Same inputs, same bytes: from another folder, with a relative or absolute plan path, in
/// another time zone and language.
#[test]
fn output_is_byte_identical_across_directories_time_zones_and_languages() {
    for name in EXAMPLES {
        let first = tempfile::tempdir().expect("temp dir");
        compile(&example(name), first.path());

        let second = tempfile::tempdir().expect("temp dir");
        let plan_dir = example(name).parent().expect("dir").to_owned();
        Test::new()
            .current_dir(&plan_dir)
            .env("TZ", "Pacific/Chatham")
            .env("LANG", "de_DE.UTF-8")
            .env("LC_ALL", "tr_TR.UTF-8")
            .args([
                "compile".as_ref(),
                "plan.yaml".as_ref(),
                "--out".as_ref(),
                second.path().as_os_str(),
            ])
            .run();
        assert_eq!(tree(first.path()), tree(second.path()), "{name}");
    }
}

#[test]
fn the_manifest_names_inputs_and_hashes_every_artifact() {
    let out = tempfile::tempdir().expect("temp dir");
    compile(&example("kitchen"), out.path());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).expect("manifest"))
            .expect("JSON");
    assert_eq!(manifest["plan"]["name"], "kitchen-readings");
    assert_eq!(manifest["plan"]["file"], "plan.yaml");
    assert_eq!(manifest["inputs"]["listing"]["path"], "kitchen.list");
    assert_eq!(manifest["inputs"]["schema"]["path"], "kitchen-schema.sql");
    let artifacts = manifest["artifacts"].as_object().expect("artifacts");
    for (file, (bytes, _)) in tree(out.path()) {
        if file == "manifest.json" {
            continue;
        }
        use sha2::Digest;
        let hash: String = sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(artifacts[&file], hash.as_str(), "{file}");
    }
}

#[test]
fn check_passes_on_a_fresh_compile_and_reports_drift() {
    let out = tempfile::tempdir().expect("temp dir");
    let plan = example("kitchen");
    compile(&plan, out.path());
    let check = || {
        Test::new().args([
            "check".as_ref(),
            plan.as_os_str(),
            "--out".as_ref(),
            out.path().as_os_str(),
        ])
    };
    check().stdout("").run();

    let cutover = out.path().join("50-cutover.sql");
    let edited = std::fs::read_to_string(&cutover).expect("cutover").replace(
        "SET LOCAL idle_in_transaction_session_timeout = 1000;",
        "SET LOCAL idle_in_transaction_session_timeout = 60000;",
    );
    std::fs::write(&cutover, edited).expect("edited");
    std::fs::remove_file(out.path().join("40-verify.sql")).expect("removed");
    std::fs::write(out.path().join("notes.txt"), "mine").expect("extra");
    let drift = check().status(1).run();
    assert!(
        drift
            .stdout
            .contains("--- 50-cutover.sql (in the folder)\n+++ 50-cutover.sql (compiled)\n"),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stdout
            .contains("-SET LOCAL idle_in_transaction_session_timeout = 60000;\n+SET LOCAL idle_in_transaction_session_timeout = 1000;\n"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("missing: 40-verify.sql\n"),
        "{}",
        drift.stdout
    );
    assert!(
        drift.stdout.contains("extra: notes.txt\n"),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stderr
            .contains("differs from what restage compile writes"),
        "{}",
        drift.stderr
    );
}

#[test]
fn recompiling_removes_what_the_plan_no_longer_needs() {
    let work = tempfile::tempdir().expect("temp dir");
    let source = example("kitchen");
    for file in ["kitchen.list", "kitchen-schema.sql"] {
        std::fs::copy(
            source.parent().expect("dir").join(file),
            work.path().join(file),
        )
        .expect("copied");
    }
    let full = std::fs::read_to_string(&source).expect("plan");
    std::fs::write(work.path().join("plan.yaml"), &full).expect("plan");
    let out = work.path().join("out");
    compile(&work.path().join("plan.yaml"), &out);
    assert!(out.join("load/0008-public.reading.list").is_file());

    let smaller = full.replace("  - public.reading\n", "");
    std::fs::write(work.path().join("plan.yaml"), smaller).expect("plan");
    compile(&work.path().join("plan.yaml"), &out);
    assert!(
        !out.join("load/0008-public.reading.list").exists(),
        "stale list removed"
    );
    Test::new()
        .args([
            "check".as_ref(),
            work.path().join("plan.yaml").as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
        ])
        .run();
}

#[test]
fn compile_refuses_a_folder_it_did_not_make() {
    let out = tempfile::tempdir().expect("temp dir");
    std::fs::write(out.path().join("important.txt"), "keep me").expect("file");
    let run = Test::new()
        .args([
            "compile".as_ref(),
            example("kitchen").as_os_str(),
            "--out".as_ref(),
            out.path().as_os_str(),
        ])
        .status(2)
        .run();
    assert!(
        run.stderr
            .contains("holds files but no restage manifest.json"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("important.txt")).expect("kept"),
        "keep me"
    );
}

#[test]
fn templates_can_be_replaced_one_by_one() {
    let templates = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        templates.path().join("50-cutover.sh"),
        "#!/usr/bin/env bash\n# our own cutover runner for {{ plan }}\nexec psql -X -f 50-cutover.sql\n",
    )
    .expect("template");
    let out = tempfile::tempdir().expect("temp dir");
    let plan = example("kitchen");
    let args = |out: &Path| {
        vec![
            "compile".into(),
            plan.clone().into_os_string(),
            "--out".into(),
            out.as_os_str().to_owned(),
            "--templates".into(),
            templates.path().as_os_str().to_owned(),
        ]
    };
    Test::new().args(args(out.path())).run();
    let runner = std::fs::read_to_string(out.path().join("50-cutover.sh")).expect("runner");
    assert_eq!(
        runner,
        "#!/usr/bin/env bash\n# our own cutover runner for kitchen-readings\nexec psql -X -f 50-cutover.sql\n"
    );
    let stage = std::fs::read_to_string(out.path().join("10-stage.sql")).expect("stage");
    assert!(
        stage.starts_with("\\set ON_ERROR_STOP on\n"),
        "the others stay built in"
    );
    // Another template set is another version of the plan: its digest differs from the
    // built-in one's, and the manifest and REVIEW.md say what replaced what.
    let manifest = |dir: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("JSON")
    };
    let built_in = tempfile::tempdir().expect("temp dir");
    compile(&plan, built_in.path());
    assert_ne!(
        manifest(out.path())["plan"]["digest"],
        manifest(built_in.path())["plan"]["digest"]
    );
    let sha256 = manifest(out.path())["templates"]["50-cutover.sh"]
        .as_str()
        .expect("the replaced template's sha256")
        .to_owned();
    assert_eq!(manifest(built_in.path()).get("templates"), None);
    let review = std::fs::read_to_string(out.path().join("REVIEW.md")).expect("review");
    assert!(
        review.contains(&format!(
            "| Template in place of the built-in one | `50-cutover.sh`, sha256 `{sha256}` |"
        )),
        "{review}"
    );

    std::fs::write(
        templates.path().join("50-cutover.sh"),
        "{{ no_such_variable }}\n",
    )
    .expect("template");
    let broken = tempfile::tempdir().expect("temp dir");
    let run = Test::new().args(args(broken.path())).status(2).run();
    assert!(
        run.stderr.contains("template 50-cutover.sh") && run.stderr.contains("undefined"),
        "{}",
        run.stderr
    );

    std::fs::write(templates.path().join("51-extra.sql"), "x").expect("template");
    let run = Test::new().args(args(broken.path())).status(2).run();
    assert!(
        run.stderr
            .contains("51-extra.sql: is not a restage template"),
        "{}",
        run.stderr
    );
    // restage init's plan is no artifact's template: replacing it would change nothing but
    // the digest.
    std::fs::remove_file(templates.path().join("51-extra.sql")).expect("removed");
    std::fs::write(templates.path().join("plan.yaml"), "x").expect("template");
    let run = Test::new().args(args(broken.path())).status(2).run();
    assert!(
        run.stderr.contains("plan.yaml: is not a restage template")
            && !run.stderr.contains("plan.yaml,"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_sql_script_starts_with_on_error_stop_and_names_plan_digest_and_step() {
    let out = tempfile::tempdir().expect("temp dir");
    compile(&example("kitchen"), out.path());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).expect("manifest"))
            .expect("JSON");
    let digest = manifest["plan"]["digest"].as_str().expect("digest");
    for (file, (bytes, _)) in tree(out.path()) {
        let text = String::from_utf8(bytes).expect("UTF-8");
        let head: Vec<&str> = text.lines().take(3).collect();
        if file.ends_with(".sql") {
            assert_eq!(head[0], "\\set ON_ERROR_STOP on", "{file}");
            assert_eq!(
                head[1],
                format!(
                    "-- restage {} | plan kitchen-readings | digest {digest}",
                    env!("CARGO_PKG_VERSION")
                ),
                "{file}"
            );
            assert!(
                head[2].starts_with(&format!("-- {}: ", file.trim_end_matches(".sql"))),
                "{file}"
            );
        }
        if file.ends_with(".sh") {
            assert_eq!(head[0], "#!/usr/bin/env bash", "{file}");
            assert!(text.contains("\nset -euo pipefail\n"), "{file}");
        }
    }
}
