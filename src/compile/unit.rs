//! One table loaded and swapped, as every artifact sees it: the model's unit, apart from the
//! model that builds it so that what works on units alone (the inheritance order) needs no
//! more than this.

use serde::Serialize;

use super::fidelity::UnitFidelity;

#[derive(Debug, Serialize)]
pub struct UnitModel {
    /// `0001`, the unit's place in the load order.
    pub number: String,
    pub label: String,
    /// The progress-record key: the quoted name, as a literal.
    pub item: String,
    pub production: String,
    pub production_schema: String,
    pub staging: String,
    pub staging_schema: String,
    pub retired: String,
    pub retired_schema: String,
    /// `INCLUDING ...` options of the staging table's `LIKE`.
    pub like: &'static str,
    pub list_file: String,
    /// The listing line of its `TABLE DATA` entry (none when the dump has no data for it).
    pub data_line: Option<String>,
    pub partition: Option<PartitionModel>,
    /// Sequences owned by a column: detached before the swap, owned by the new table after.
    pub owned_sequences: Vec<OwnedModel>,
    /// Everything attached to the table, as SQL.
    pub attached: UnitFidelity,
}

#[derive(Debug, Serialize)]
pub struct PartitionModel {
    pub parent: String,
    /// The default partition is attached last, when no sibling can take its rows any more.
    pub default: bool,
    /// `FOR VALUES ...` or `DEFAULT`, from the schema SQL.
    pub bound: String,
}

#[derive(Debug, Serialize)]
pub struct OwnedModel {
    pub sequence: String,
    pub column: String,
}
