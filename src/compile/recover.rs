//! What the recovery scripts are made from: for each `mode: recover` table, the staged copy of
//! the dump's rows, the key that tells production's rows from them, and the parents a row needs.
//! Recovery inserts the dump's rows production lacks, batch by batch; nothing is swapped.

use serde::Serialize;

use crate::plan::{OnConflict, RecoverSettings, Resolved, ResolvedTable, Unit};
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, literal};

/// One staged table whose rows go back into production: a recover table, or one of its leaf
/// partitions (each is loaded on its own, as the dump holds it).
#[derive(Debug, Serialize)]
pub struct RecoverModel {
    /// `0003`, its place in the load order, after the swapped tables.
    pub number: String,
    pub label: String,
    /// The progress-record key: the quoted name, as a literal.
    pub item: String,
    /// The table the dump's rows were in (a leaf partition, or the table itself), quoted.
    pub production: String,
    /// The plan table, quoted: where the rows are inserted (a partitioned table routes them).
    pub target: String,
    pub target_label: String,
    /// Whether this is the first of the target's units: what is checked once per plan table.
    pub first_of_target: bool,
    /// What a statement reads the target's own rows from: `ONLY` an ordinary table (not
    /// the tables that inherit from it), a partitioned table as it is (its partitions).
    pub target_rows: String,
    pub staging: String,
    pub list_file: String,
    pub data_line: Option<String>,
    /// The run record's table of the rows recovery wrote or left out: each one's key, the
    /// batch that did, what became of it and, if written, the sha256 of the row as written.
    pub record: String,
    /// The key's columns, quoted, in order.
    pub key: Vec<String>,
    /// The key's column names as a `text[]` literal, which the preflight finds production's
    /// unique index by.
    pub key_names: String,
    /// The name of the staging table's unique index on the key, quoted (in its schema).
    pub key_index: String,
    /// The columns inserted, quoted.
    pub columns: Vec<String>,
    /// `on_conflict: overwrite`: a production row whose key a candidate has, and that differs
    /// from it, is saved and then updated to the dump's version.
    pub overwrite: bool,
    /// The columns an overwrite sets: all but the key's, quoted.
    pub overwritten_columns: Vec<String>,
    /// The run record's table of this unit's batches: each one's last key and counts.
    pub batches: String,
    /// The run record's table of production's versions of the rows overwritten, kept for the
    /// undo.
    pub saved: String,
    /// The plan author's `where:`, verbatim.
    pub filter: Option<String>,
    pub parents: Vec<ParentModel>,
}

/// A foreign key of a recover table: a row needs its parent in production, unless one of
/// its columns is NULL (MATCH SIMPLE).
#[derive(Debug, Serialize)]
pub struct ParentModel {
    /// The constraint, quoted, for messages.
    pub name: String,
    /// The referenced production table, quoted.
    pub table: String,
    /// Each referencing column, quoted, with the referenced column it must equal.
    pub pairs: Vec<ColumnPair>,
    /// When the parent table is itself recovered by this plan: its staged copies and `where:`,
    /// whose candidates the preview counts as parents to come.
    pub recovered: Vec<StagedCandidates>,
}

#[derive(Debug, Serialize)]
pub struct ColumnPair {
    pub column: String,
    pub referenced: String,
}

#[derive(Debug, Serialize)]
pub struct StagedCandidates {
    pub staging: String,
    pub filter: Option<String>,
}

/// The `recover:` settings, as the scripts use them.
#[derive(Debug, Serialize)]
pub struct RecoverSettingsModel {
    pub batch_rows: u32,
    /// Seconds to wait after each batch of a full `batch_rows`, so that no table goes faster
    /// than `max_rows_per_second`; none without a limit.
    pub pause: Option<String>,
    pub max_rows_per_second: Option<u64>,
    /// The waits before a batch's retries, in seconds.
    pub delays: Vec<u64>,
}

impl RecoverSettingsModel {
    pub(super) fn new(settings: &RecoverSettings, retries: u32) -> Self {
        RecoverSettingsModel {
            batch_rows: settings.batch_rows,
            pause: settings
                .max_rows_per_second
                .map(|rate| format!("{:.3}", f64::from(settings.batch_rows) / rate as f64)),
            max_rows_per_second: settings.max_rows_per_second,
            delays: super::drivers::backoff(retries),
        }
    }
}

/// The recover tables' units, numbered from `first`, parents before children.
pub(super) fn recover_models(
    resolved: &Resolved,
    record_in: impl Fn(&str) -> String,
    first: usize,
) -> Vec<RecoverModel> {
    let mut models = Vec::new();
    for table in &resolved.recovered {
        let Some(recovery) = &table.recovery else {
            continue;
        };
        for (index, unit) in table.units.iter().enumerate() {
            let number = first + models.len();
            let mut model = unit_model(resolved, table, recovery, unit, number, &record_in);
            model.first_of_target = index == 0;
            models.push(model);
        }
    }
    models
}

fn unit_model(
    resolved: &Resolved,
    table: &ResolvedTable,
    recovery: &crate::plan::RecoveredTable,
    unit: &Unit,
    number: usize,
    record_in: &impl Fn(&str) -> String,
) -> RecoverModel {
    let staging = staging_name(resolved, unit);
    let quoted = |columns: &[String]| columns.iter().map(|c| ident(c)).collect::<Vec<_>>();
    let parents = recovery
        .parents
        .iter()
        .map(|fk| ParentModel {
            name: ident(&fk.name),
            table: fk.referenced.quoted(),
            pairs: fk
                .columns
                .iter()
                .zip(&fk.referenced_columns)
                .map(|(column, referenced)| ColumnPair {
                    column: ident(column),
                    referenced: ident(referenced),
                })
                .collect(),
            recovered: resolved
                .recovered
                .iter()
                .filter(|parent| parent.name == fk.referenced)
                .flat_map(|parent| {
                    let filter = parent.recovery.as_ref().and_then(|r| r.filter.clone());
                    parent.units.iter().map(move |u| StagedCandidates {
                        staging: staging_name(resolved, u).quoted(),
                        filter: filter.clone(),
                    })
                })
                .collect(),
        })
        .collect();
    RecoverModel {
        number: format!("{number:04}"),
        label: unit.name.quoted().replace(['\n', '\r'], " "),
        item: literal(&unit.name.quoted()),
        production: unit.name.quoted(),
        target: table.name.quoted(),
        target_rows: if table.partitioned {
            table.name.quoted()
        } else {
            format!("ONLY {}", table.name.quoted())
        },
        target_label: table.name.quoted().replace(['\n', '\r'], " "),
        first_of_target: false,
        key_index: ident(&format!("restage_key_{number:04}")),
        staging: staging.quoted(),
        list_file: format!(
            "load/{number:04}-{}.list",
            super::model::file_safe(&unit.name)
        ),
        data_line: unit
            .data
            .as_ref()
            .filter(|d| !d.disabled)
            .map(|d| d.line.clone()),
        record: record_in(&format!("recovered_{number:04}")),
        key: quoted(&recovery.key),
        key_names: format!(
            "ARRAY[{}]::pg_catalog.text[]",
            recovery
                .key
                .iter()
                .map(|c| literal(c))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        columns: quoted(&recovery.columns),
        overwrite: recovery.on_conflict == OnConflict::Overwrite,
        overwritten_columns: recovery
            .columns
            .iter()
            .filter(|c| !recovery.key.contains(c))
            .map(|c| ident(c))
            .collect(),
        saved: record_in(&format!("overwritten_{number:04}")),
        batches: record_in(&format!("batches_{number:04}")),
        filter: recovery.filter.clone(),
        parents,
    }
}

/// Where a unit is staged: its name in its schema's staging twin.
fn staging_name(resolved: &Resolved, unit: &Unit) -> QualifiedName {
    let pair = &resolved.schemas[&unit.name.schema];
    QualifiedName::new(pair.staging.clone(), unit.name.name.clone())
}
