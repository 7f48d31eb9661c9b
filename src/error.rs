//! Errors restage reports. Each knows its exit status; the CLI renders them with miette.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

use crate::plan::PlanErrors;
use crate::schema::SchemaError;
use crate::toc::ListingError;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(restage::io::read))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot write {}: {source}", path.display())]
    #[diagnostic(code(restage::io::write))]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Listing(#[from] Box<ListingError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Schema(#[from] Box<SchemaError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Plan(#[from] Box<PlanErrors>),

    #[error("template {name}: {message}")]
    #[diagnostic(code(restage::template))]
    Template { name: String, message: String },

    #[error("{} holds files but no restage manifest.json", dir.display())]
    #[diagnostic(
        code(restage::output),
        help(
            "compile writes into an empty folder or one an earlier compile made; choose another --out"
        )
    )]
    NotAnOutputFolder { dir: PathBuf },

    #[error("restage remap: {message}")]
    #[diagnostic(code(restage::remap))]
    Remap { message: String },

    #[error("{} is not a restage template", path.display())]
    #[diagnostic(
        code(restage::template::unknown),
        help("a templates folder holds only files named like the built-in templates: {known}")
    )]
    UnknownTemplate { path: PathBuf, known: String },
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
            | Error::Remap { .. } => 2,
        }
    }
}
