//! Errors restage reports. Each knows its exit status and becomes diagnostics at the edge.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::diagnostic::Diagnostic;
use crate::plan::PlanErrors;
use crate::schema::SchemaError;
use crate::toc::ListingError;

#[derive(Debug, Error)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(transparent)]
    Listing(#[from] Box<ListingError>),

    #[error(transparent)]
    Schema(#[from] Box<SchemaError>),

    #[error(transparent)]
    Plan(#[from] Box<PlanErrors>),

    #[error("template {name}: {message}")]
    Template { name: String, message: String },

    #[error("{} holds files but no restage manifest.json", dir.display())]
    NotAnOutputFolder { dir: PathBuf },

    #[error("restage remap: {message}")]
    Remap { message: String },

    #[error("{} is not a restage template", path.display())]
    UnknownTemplate { path: PathBuf, known: String },

    #[error("restage init: {message}")]
    Init { message: String, help: String },
}

impl Error {
    /// 2 for bad input or an environment that stops the run, like `pg_restore` and clap do.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Read { .. }
            | Error::Write { .. }
            | Error::Listing(_)
            | Error::Schema(_)
            | Error::Plan(_)
            | Error::Template { .. }
            | Error::UnknownTemplate { .. }
            | Error::NotAnOutputFolder { .. }
            | Error::Remap { .. }
            | Error::Init { .. } => 2,
        }
    }

    /// What to report: one diagnostic, or one for each problem of a plan.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let shown = |path: &Path| path.display().to_string();
        vec![match self {
            Error::Plan(errors) => return errors.diagnostics(),
            Error::Listing(error) => error.diagnostic(),
            Error::Schema(error) => error.diagnostic(),
            Error::Read { path, source } => {
                Diagnostic::error("restage::io::read", format!("cannot read: {source}"))
                    .path(shown(path))
            }
            Error::Write { path, source } => {
                Diagnostic::error("restage::io::write", format!("cannot write: {source}"))
                    .path(shown(path))
            }
            Error::Template { name, message } => {
                Diagnostic::error("restage::template", format!("template {name}: {message}"))
            }
            Error::NotAnOutputFolder { dir } => Diagnostic::error("restage::output", "holds files but no restage manifest.json")
                .path(shown(dir))
                .help("compile writes into an empty folder or one an earlier compile made; choose another --out"),
            Error::Remap { .. } => Diagnostic::error("restage::remap", self.to_string()),
            Error::Init { message, help } => {
                Diagnostic::error("restage::init", message.clone()).help(help.clone())
            }
            Error::UnknownTemplate { path, known } => {
                Diagnostic::error("restage::template::unknown", "is not a restage template")
                    .path(shown(path))
                    .help(format!(
                        "a templates folder holds only files named like the built-in templates: {known}"
                    ))
            }
        }]
    }
}
