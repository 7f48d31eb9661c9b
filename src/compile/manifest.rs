//! `manifest.json`: what went in and what came out, by sha256. Data, not a script: written with
//! serde_json rather than a template.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::Analysis;

pub const FILE: &str = "manifest.json";

#[derive(Serialize)]
struct Manifest<'a> {
    restage: &'static str,
    plan: PlanPart<'a>,
    inputs: BTreeMap<&'static str, Input<'a>>,
    dump: &'a str,
    artifacts: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct PlanPart<'a> {
    name: &'a str,
    digest: &'a str,
    file: &'a str,
    sha256: String,
}

#[derive(Serialize)]
struct Input<'a> {
    path: &'a str,
    sha256: String,
}

/// The manifest of artifacts whose sha256 are `hashes`, by path.
pub fn render(analysis: &Analysis, digest: &str, hashes: &BTreeMap<String, String>) -> String {
    let plan = &analysis.plan;
    let mut sources = BTreeMap::new();
    sources.insert(
        "listing",
        Input {
            path: &plan.source.listing.value,
            sha256: analysis.sha256.listing.clone(),
        },
    );
    if let Some(schema) = &plan.source.schema {
        sources.insert(
            "schema",
            Input {
                path: &schema.value,
                sha256: analysis.sha256.schema.clone(),
            },
        );
    }
    let manifest = Manifest {
        restage: env!("CARGO_PKG_VERSION"),
        plan: PlanPart {
            name: &plan.name,
            digest,
            file: &plan.file_name,
            sha256: analysis.sha256.plan.clone(),
        },
        inputs: sources,
        dump: &plan.source.dump,
        artifacts: hashes
            .iter()
            .map(|(path, hash)| (path.as_str(), hash.as_str()))
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&manifest).expect("plain data serializes");
    text.push('\n');
    text
}
