//! The restore plan: a YAML file naming the archive, the tables to restore and how.
//!
//! `read` turns the file into a `Plan`, reporting every problem it finds at its line and
//! column; `resolve` then ties the plan to the archive's listing and schema SQL.

pub mod attachments;
mod error;
mod listing;
pub mod read;
mod resolve;
pub mod yaml;

use std::path::{Path, PathBuf};

use miette::SourceSpan;

use crate::sql::QualifiedName;

pub use error::{PlanErrors, Problem};
pub use read::{read, read_partial};
pub use resolve::{
    DataEntry, Partition, Resolved, ResolvedTable, SchemaPair, SequenceKind, SequenceUse, Unit,
    resolve,
};

/// The plan format this restage reads (`restage: 1`).
pub const FORMAT_VERSION: i128 = 1;

/// A value from the plan and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub span: SourceSpan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The file as given on the command line: other paths are relative to its folder.
    pub path: PathBuf,
    /// The file name alone, for messages and the manifest (never a machine-specific path).
    pub file_name: String,
    pub text: String,
    pub name: String,
    pub source: Source,
    pub staging: Staging,
    pub tables: Vec<PlanTable>,
    pub cutover: Cutover,
    pub load: Load,
    pub lint: Lint,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// `pg_restore -l -v DUMP`, relative to the plan.
    pub listing: Located<String>,
    /// `pg_restore --schema-only -v -f FILE DUMP`, relative to the plan.
    pub schema: Option<Located<String>>,
    /// Where the archive is when the scripts run; compile never opens it.
    pub dump: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staging {
    pub schema: Located<String>,
    pub retired: Located<String>,
    pub unlogged: bool,
    /// Whether the plan says `unlogged:` itself rather than taking the default.
    pub unlogged_explicit: bool,
    /// Where the plan says `staging:`; empty, at the start, when it does not.
    pub span: SourceSpan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanTable {
    pub name: QualifiedName,
    pub span: SourceSpan,
    pub after: Vec<Located<QualifiedName>>,
    pub min_rows: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cutover {
    pub lock_timeout: Duration,
    pub statement_timeout: Duration,
    pub retries: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// Tables loaded at the same time.
    pub jobs: u32,
    /// Bytes per second for the whole load, shared by its jobs.
    pub max_rate: Option<u64>,
}

/// What `restage lint` is told by the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lint {
    /// Codes of findings the plan acknowledges: still reported, never denied.
    pub allow: Vec<Located<String>>,
}

/// A time setting, kept in milliseconds and written in PostgreSQL's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    pub millis: u64,
}

impl Duration {
    /// The largest PostgreSQL unit that says it exactly: `2s`, `500ms`, `1min`.
    pub fn to_postgres(self) -> String {
        const UNITS: [(u64, &str); 5] = [
            (86_400_000, "d"),
            (3_600_000, "h"),
            (60_000, "min"),
            (1000, "s"),
            (1, "ms"),
        ];
        match UNITS
            .iter()
            .find(|(size, _)| self.millis >= *size && self.millis.is_multiple_of(*size))
        {
            Some((size, unit)) => format!("{}{unit}", self.millis / size),
            None => "0".to_owned(),
        }
    }
}

impl Plan {
    /// A path the plan names, relative to the plan's folder.
    pub fn relative(&self, path: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new("")).join(path)
    }
}

/// Reads and checks the plan file at `path`.
pub fn load(path: &Path) -> Result<Plan, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|source| crate::Error::Read {
        path: path.to_owned(),
        source,
    })?;
    read(path, &text).map_err(|e| crate::Error::Plan(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_use_the_largest_exact_unit() {
        let d = |millis| Duration { millis }.to_postgres();
        assert_eq!(d(2000), "2s");
        assert_eq!(d(500), "500ms");
        assert_eq!(d(1500), "1500ms");
        assert_eq!(d(60_000), "1min");
        assert_eq!(d(30_000), "30s");
        assert_eq!(d(7_200_000), "2h");
        assert_eq!(d(0), "0");
    }
}
