//! What an approver reads: REVIEW.md, `restage explain` and `restage graph`.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::test::{EXAMPLES, Test, compiled_example, example, snapshot_settings};

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn explain_prints_the_review_that_compile_writes() {
    for name in EXAMPLES {
        let out = compiled_example(name);
        let review = std::fs::read_to_string(out.path().join("REVIEW.md")).expect("REVIEW.md");
        Test::new()
            .args(["explain".as_ref(), example(name).as_os_str()])
            .stdout(review)
            .stderr("")
            .run();
    }
}

/// The sign-off table holds the sha256 of every other artifact, and the manifest the review's.
#[test]
fn the_review_signs_off_every_artifact_by_sha256() {
    for name in EXAMPLES {
        let out = compiled_example(name);
        let review = std::fs::read_to_string(out.path().join("REVIEW.md")).expect("REVIEW.md");
        let manifest: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(out.path().join("manifest.json")).expect("manifest"),
        )
        .expect("JSON");
        let artifacts = manifest["artifacts"].as_object().expect("artifacts");
        assert!(artifacts.len() > 12, "{name}: {artifacts:?}");
        for (file, hash) in artifacts {
            let bytes = std::fs::read(out.path().join(file)).expect("artifact");
            assert_eq!(
                hash.as_str(),
                Some(sha256(&bytes).as_str()),
                "{name}/{file}"
            );
            if file != "REVIEW.md" {
                let row = format!("| `{file}` | `{}` |", sha256(&bytes));
                assert!(review.contains(&row), "{name}: REVIEW.md lacks {row}");
            }
        }
        let digest = manifest["plan"]["digest"].as_str().expect("digest");
        assert!(review.contains(&format!("| Plan digest | `{digest}` |")));
    }
}

#[test]
fn graphs_of_the_examples() {
    for name in EXAMPLES {
        let out = compiled_example(name);
        let review = std::fs::read_to_string(out.path().join("REVIEW.md")).expect("REVIEW.md");
        let mermaid = Test::new()
            .args(["graph".as_ref(), example(name).as_os_str()])
            .run()
            .stdout;
        assert!(
            review.contains(&format!("```mermaid\n{mermaid}```\n")),
            "REVIEW.md embeds the graph"
        );
        let dot = Test::new()
            .args([
                "graph".as_ref(),
                example(name).as_os_str(),
                "--format".as_ref(),
                "dot".as_ref(),
            ])
            .run()
            .stdout;
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(format!("graph@{name}.mmd"), mermaid);
            insta::assert_snapshot!(format!("graph@{name}.dot"), dot);
        });
    }
}

/// However the plan lists its tables, the graph is the same: nodes in load order, ties by name.
#[test]
fn the_graph_does_not_depend_on_the_order_of_the_plan() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pagila = example("pagila");
    let folder = pagila.parent().expect("folder").display().to_string();
    let plan = |tables: &[&str]| {
        let mut text = format!(
            "restage: 1\nname: pagila\nsource:\n  listing: {folder}/pagila.list\n  schema: {folder}/pagila-schema.sql\n  dump: /backups/pagila.dump\ntables:\n"
        );
        for table in tables {
            text.push_str(&format!("  - {table}\n"));
        }
        text
    };
    let forward = dir.path().join("forward.yaml");
    let backward = dir.path().join("backward.yaml");
    let tables = [
        "public.customer",
        "public.inventory",
        "public.rental",
        "public.payment",
    ];
    std::fs::write(&forward, plan(&tables)).expect("plan");
    let mut reversed = tables;
    reversed.reverse();
    std::fs::write(&backward, plan(&reversed)).expect("plan");
    for format in ["mermaid", "dot"] {
        let draw = |path: &Path| {
            Test::new()
                .args([
                    "graph".as_ref(),
                    path.as_os_str(),
                    "--format".as_ref(),
                    format.as_ref(),
                ])
                .run()
                .stdout
        };
        let drawn = draw(&forward);
        assert_eq!(drawn, draw(&backward), "{format}");
        assert!(drawn.contains("rental_customer_id_fkey"), "{drawn}");
    }
}
