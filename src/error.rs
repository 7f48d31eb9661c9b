//! Errors restage reports. Each knows its exit status; the CLI renders them with miette.

use std::path::PathBuf;

use miette::Diagnostic;
use thiserror::Error;

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
}

impl Error {
    /// 2 for bad input or an environment that stops the run, like `pg_restore` and clap do.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Read { .. } | Error::Write { .. } | Error::Listing(_) => 2,
        }
    }
}
