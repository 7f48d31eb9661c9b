//! From a resolved plan to the artifacts: every decision is made here, in Rust; templates only
//! lay the result out.

mod drift;
mod fidelity;
mod manifest;
mod model;

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::plan::{Plan, Resolved};
use crate::render::Templates;
use crate::schema::SchemaSql;
use crate::toc::Toc;

pub use model::Model;

/// The scripts and lists, in run order: file name and template.
const SCRIPTS: &[&str] = &[
    "00-preflight.sql",
    "10-stage.sql",
    "20-load.list",
    "20-load.sh",
    "30-build.sql",
    "40-verify.sql",
    "50-cutover.sql",
    "50-cutover.sh",
    "55-after-cutover.sql",
    "60-rollback.sql",
    "70-cleanup.sql",
];

/// The plan's inputs, parsed.
pub struct Sources<'a> {
    pub toc: &'a Toc,
    pub schema: &'a SchemaSql,
}

/// The plan's inputs, as read.
pub struct Inputs<'a> {
    pub listing: &'a [u8],
    pub schema: Option<&'a [u8]>,
}

/// Every artifact by its path in the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    pub digest: String,
    pub files: BTreeMap<String, String>,
}

/// What a file of the output folder is: scripts are made executable.
pub fn is_executable(path: &str) -> bool {
    path.ends_with(".sh")
}

pub fn compile(
    plan: &Plan,
    resolved: &Resolved,
    sources: &Sources,
    inputs: &Inputs,
    templates: &Templates,
) -> Result<Compiled, Error> {
    let digest = digest(plan, inputs);
    let model = Model::new(
        plan,
        resolved,
        sources.toc,
        sources.schema,
        &digest,
        &sha256_hex(inputs.listing),
    );
    let mut files = BTreeMap::new();
    for name in SCRIPTS {
        files.insert((*name).to_owned(), templates.render(name, &model)?);
    }
    for unit in &model.units {
        let context = UnitList {
            model: &model,
            unit,
        };
        files.insert(
            unit.list_file.clone(),
            templates.render("load-unit.list", &context)?,
        );
    }
    let manifest = manifest::render(plan, inputs, &digest, &files);
    files.insert(manifest::FILE.to_owned(), manifest);
    Ok(Compiled { digest, files })
}

#[derive(Serialize)]
struct UnitList<'a> {
    model: &'a Model,
    unit: &'a model::UnitModel,
}

/// What identifies a plan: the plan file, the listing and the schema SQL exactly as read, and
/// the restage version that compiles them. Every script after staging checks it, so artifacts
/// of two plans, or of two versions of one plan, are never mixed.
pub fn digest(plan: &Plan, inputs: &Inputs) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"restage plan digest v1\0");
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(plan.text.as_bytes());
    part(inputs.listing);
    part(inputs.schema.unwrap_or_default());
    hex(&hasher.finalize())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
