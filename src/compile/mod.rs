//! From a resolved plan to the artifacts: every decision is made here, in Rust; templates only
//! lay the result out.

mod claims;
mod drift;
mod drivers;
mod fidelity;
mod inheritance;
pub mod locks;
pub mod manifest;
mod model;
mod recover;
pub mod review;
mod unit;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Error;
use crate::analysis::Analysis;
use crate::artifacts;
use crate::digest::sha256_hex;
use crate::lint;
use crate::render::Templates;
use review::Review;

pub use model::{Model, VERSIONS};

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
    let digest = digest(analysis, templates.replaced());
    let model = Model::new(analysis, &digest);
    let mut files = BTreeMap::new();
    // Every script reads the same model: turned into template values once, not per script,
    // and laid out in parallel (a plan of 10,000 tables makes tens of megabytes of SQL).
    let context = minijinja::Value::from(minijinja::value::Serde(&model));
    let scripts: Vec<Result<(&str, String), Error>> = std::thread::scope(|scope| {
        let rendering: Vec<_> = artifacts::scripts(!model.recovered.is_empty())
            .map(|name| (name, scope.spawn(|| templates.render(name, &context))))
            .collect();
        rendering
            .into_iter()
            .map(|(name, thread)| {
                let script = thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                Ok((name, script?))
            })
            .collect()
    });
    for script in scripts {
        let (name, text) = script?;
        files.insert(name.to_owned(), text);
    }
    let loaded = model
        .units
        .iter()
        .map(|u| (&u.list_file, &u.label, &u.data_line));
    let recovered = model
        .recovered
        .iter()
        .map(|r| (&r.list_file, &r.label, &r.data_line));
    for (list_file, label, data_line) in loaded.chain(recovered) {
        let context = UnitList {
            version: model.version,
            plan: &model.plan,
            digest: &model.digest,
            listing: &model.listing,
            listing_sha256: &model.listing_sha256,
            unit: ListedUnit {
                list_file,
                label,
                data_line: data_line.as_deref(),
            },
        };
        files.insert(
            list_file.clone(),
            templates.render(artifacts::UNIT_LIST, &context)?,
        );
    }
    let mut hashes: BTreeMap<String, String> = files
        .iter()
        .map(|(path, text)| (path.clone(), sha256_hex(text.as_bytes())))
        .collect();
    let review = Review::new(
        analysis,
        &model,
        &lint::findings(analysis),
        templates.replaced(),
        &files,
        &hashes,
    );
    let review = templates.render(artifacts::REVIEW, &review)?;
    hashes.insert(artifacts::REVIEW.to_owned(), sha256_hex(review.as_bytes()));
    files.insert(artifacts::REVIEW.to_owned(), review);
    let manifest = manifest::Manifest::new(analysis, &digest, templates.replaced(), &hashes);
    files.insert(artifacts::MANIFEST.to_owned(), manifest.to_json());
    Ok(Compiled { digest, files })
}

/// What each step does and the locks it takes on production, as REVIEW.md states them.
pub fn steps(analysis: &Analysis) -> Vec<claims::Step> {
    claims::steps(analysis, &Model::new(analysis, &digest(analysis, &[])))
}

/// The plan digest of `analysis` compiled with `templates` in place of built-in ones.
fn digest(analysis: &Analysis, templates: &[(String, String)]) -> String {
    crate::digest::plan_digest(&crate::digest::Inputs {
        plan: analysis.plan.text.as_bytes(),
        listing: &analysis.listing,
        schema: &analysis.schema_text,
        templates,
    })
}

/// What one table's load list shows: the plan's header and that table, not the whole model
/// (which would make compiling quadratic in the number of tables).
#[derive(Serialize)]
struct UnitList<'a> {
    version: &'a str,
    plan: &'a str,
    digest: &'a str,
    listing: &'a str,
    listing_sha256: &'a str,
    unit: ListedUnit<'a>,
}

#[derive(Serialize)]
struct ListedUnit<'a> {
    list_file: &'a str,
    label: &'a str,
    data_line: Option<&'a str>,
}
