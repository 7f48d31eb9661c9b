//! From a resolved plan to the artifacts: every decision is made here, in Rust; templates only
//! lay the result out.

mod drift;
mod fidelity;
mod manifest;
mod model;
pub mod review;

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Error;
use crate::analysis::Analysis;
use crate::lint;
use crate::render::Templates;
use review::Review;

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

pub fn compile(analysis: &Analysis, templates: &Templates) -> Result<Compiled, Error> {
    let digest = digest(analysis);
    let model = model(analysis, &digest);
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
    let review = Review::new(analysis, &model, &lint::findings(analysis), &files);
    files.insert(
        review::FILE.to_owned(),
        templates.render(review::FILE, &review)?,
    );
    let manifest = manifest::render(analysis, &digest, &files);
    files.insert(manifest::FILE.to_owned(), manifest);
    Ok(Compiled { digest, files })
}

/// What each step does and the locks it takes on production, as REVIEW.md states them.
pub fn steps(analysis: &Analysis) -> Vec<review::Step> {
    review::steps(analysis, &model(analysis, &digest(analysis)))
}

fn model(analysis: &Analysis, digest: &str) -> Model {
    let Analysis {
        plan,
        resolved,
        toc,
        schema,
        listing,
        ..
    } = analysis;
    Model::new(plan, resolved, toc, schema, digest, &sha256_hex(listing))
}

#[derive(Serialize)]
struct UnitList<'a> {
    model: &'a Model,
    unit: &'a model::UnitModel,
}

/// What identifies a plan: the plan file, the listing and the schema SQL exactly as read, and
/// the restage version that compiles them. Every script after staging checks it, so artifacts
/// of two plans, or of two versions of one plan, are never mixed.
pub fn digest(analysis: &Analysis) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"restage plan digest v1\0");
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(analysis.plan.text.as_bytes());
    part(&analysis.listing);
    part(&analysis.schema_text);
    hex(&hasher.finalize())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
