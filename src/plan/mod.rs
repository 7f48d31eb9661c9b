//! The restore plan: a YAML file naming the archive, the tables to restore and how.
//!
//! `read` turns the file into a `Plan`, reporting every problem it finds at its line and
//! column; `resolve` then ties the plan to the archive's listing and schema SQL.

mod attachments;
mod error;
mod listing;
pub mod read;
mod resolve;
mod resolved;
pub mod scaffold;
pub mod yaml;

use std::path::{Path, PathBuf};

use miette::SourceSpan;

use crate::sql::QualifiedName;
use crate::units::Duration;

pub use error::{PlanErrors, Problem};
pub use read::read_partial;
pub use resolve::resolve;
pub use resolved::Recovery as RecoveredTable;
pub use resolved::{
    DataEntry, Dependents, Function, Matview, Partition, Resolved, ResolvedTable, SchemaPair,
    SequenceKind, SequenceUse, Unit, UnitAttachments,
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
    /// How tables of `mode: recover` are put back.
    pub recover: RecoverSettings,
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
    /// Whether rows of other tables may keep pointing at rows the restored table lacks: their
    /// foreign keys then stay NOT VALID after the cutover, instead of 40-verify.sql refusing.
    pub accept_orphans: bool,
    /// Whether the foreign keys of partitioned tables that reference this one may be added back
    /// valid at the cutover on PostgreSQL 14-17 (which cannot add them NOT VALID): each then
    /// checks every row of its table while the cutover holds its locks.
    pub check_partitioned_references: bool,
    /// Whether the table is replaced by the dump's copy or given back the dump's rows it lacks.
    pub mode: Mode,
}

/// What restoring a plan table does to production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The staged copy replaces the table at the cutover (`mode: swap`, the default).
    Swap,
    /// The dump's rows production lacks are inserted into the table, which stays in place.
    Recover(Recovery),
}

/// How a `mode: recover` table gets its rows back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Where the plan says `mode: recover`.
    pub span: SourceSpan,
    /// The columns that identify a row; none given: the table's primary key.
    pub key: Vec<Located<String>>,
    /// `where:`, the plan author's boolean expression over the dump's rows: which are
    /// candidates. Checked to be one expression, shown verbatim in REVIEW.md.
    pub filter: Option<Located<String>>,
    pub on_conflict: OnConflict,
}

/// What recovery does with a dump row whose key production already has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Production's row wins (the default).
    Skip,
    /// The dump's row replaces production's, whose version is kept for the undo.
    Overwrite,
}

/// The plan's `recover:` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoverSettings {
    /// Rows a transaction inserts at most.
    pub batch_rows: u32,
    /// Rows a second for all recovering tables together, when the plan limits them.
    pub max_rows_per_second: Option<u64>,
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

impl Plan {
    /// A path the plan names, relative to the plan's folder.
    pub fn relative(&self, path: &str) -> PathBuf {
        self.path.parent().unwrap_or(Path::new("")).join(path)
    }
}
