//! `manifest.json`: what went in and what came out, by sha256. Data, not a script: written and
//! read through one serde type, with serde_json rather than a template.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::digest::sha256_hex;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub restage: String,
    pub plan: PlanPart,
    pub inputs: BTreeMap<String, Input>,
    /// The templates that replaced built-in ones (`--templates`), by name, with their sha256.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub templates: BTreeMap<String, String>,
    pub dump: String,
    /// Every other artifact, by path, with its sha256.
    pub artifacts: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PlanPart {
    pub name: String,
    pub digest: String,
    pub file: String,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Input {
    pub path: String,
    pub sha256: String,
}

impl Manifest {
    /// The manifest of artifacts whose sha256 are `hashes`, by path.
    pub fn new(
        analysis: &Analysis,
        digest: &str,
        templates: &[(String, String)],
        hashes: &BTreeMap<String, String>,
    ) -> Manifest {
        let plan = &analysis.plan;
        let mut inputs = BTreeMap::new();
        inputs.insert(
            "listing".to_owned(),
            Input {
                path: plan.source.listing.value.clone(),
                sha256: analysis.sha256.listing.clone(),
            },
        );
        if let Some(schema) = &plan.source.schema {
            inputs.insert(
                "schema".to_owned(),
                Input {
                    path: schema.value.clone(),
                    sha256: analysis.sha256.schema.clone(),
                },
            );
        }
        Manifest {
            restage: env!("CARGO_PKG_VERSION").to_owned(),
            plan: PlanPart {
                name: plan.name.clone(),
                digest: digest.to_owned(),
                file: plan.file_name.clone(),
                sha256: analysis.sha256.plan.clone(),
            },
            inputs,
            templates: templates
                .iter()
                .map(|(name, text)| (name.clone(), sha256_hex(text.as_bytes())))
                .collect(),
            dump: plan.source.dump.clone(),
            artifacts: hashes.clone(),
        }
    }

    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("plain data serializes");
        text.push('\n');
        text
    }

    /// A manifest as restage wrote it; none when `text` is not one.
    pub fn read(text: &str) -> Option<Manifest> {
        serde_json::from_str(text).ok()
    }
}
