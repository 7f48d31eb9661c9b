//! A plan tied to its archive: what resolve finds and classify sorts, as plain data that
//! compile, lint, explain and graph read.

use std::collections::BTreeMap;

use miette::SourceSpan;

use crate::graph::Edge;
use crate::schema::SchemaSql;
use crate::sql::QualifiedName;

/// A plan tied to its archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Plan tables that are swapped, in dependency order.
    pub tables: Vec<ResolvedTable>,
    /// Plan tables of `mode: recover`, parents before children.
    pub recovered: Vec<ResolvedTable>,
    /// The edges that ordered them (FKs between plan tables, `after:`), by table index.
    pub edges: Vec<Edge>,
    /// For each production schema of the plan: its staging and retired twins.
    pub schemas: BTreeMap<String, SchemaPair>,
    /// Views, materialized views, functions and parent foreign keys the cutover re-creates.
    pub dependents: Dependents,
    /// For each foreign key the copies are built with that references a partitioned table,
    /// that table's partitions (entry ids), each partitioned one before its own partitions.
    pub referenced_partitions: BTreeMap<u32, Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaPair {
    pub staging: String,
    pub retired: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedTable {
    pub name: QualifiedName,
    /// Where the plan names it.
    pub span: SourceSpan,
    /// Its TABLE entry.
    pub table_id: u32,
    pub min_rows: Option<u64>,
    pub accept_orphans: bool,
    pub check_partitioned_references: bool,
    /// What is staged, loaded and swapped: the table itself, or its leaf partitions.
    pub units: Vec<Unit>,
    /// Sequences of the table that stay where they are (identity of a partitioned table):
    /// they are only moved forward past the restored rows.
    pub kept_sequences: Vec<SequenceUse>,
    pub partitioned: bool,
    /// A partitioned table's own foreign keys: built on each of its staged partitions too, so
    /// that ATTACH finds them and checks nothing.
    pub foreign_keys: Vec<u32>,
    /// For a `mode: recover` table: what identifies its rows and which are put back.
    pub recovery: Option<Recovery>,
}

/// A `mode: recover` table tied to its columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The columns that identify a row (the plan's `key:`, or the primary key), in order.
    pub key: Vec<String>,
    /// The dump's columns of the table, in its order, without the generated ones: what
    /// recovery inserts.
    pub columns: Vec<String>,
    /// The table's foreign keys: a dump row whose parent is in neither production nor the
    /// rows recovered before it is left out, not inserted.
    pub parents: Vec<crate::schema::ForeignKeyColumns>,
    /// The triggers of the table and its partitions, as the listing names them (`schema.table
    /// trigger`): they fire on each row recovery inserts.
    pub triggers: Vec<String>,
    /// The plan author's `where:`, verbatim.
    pub filter: Option<String>,
    pub on_conflict: super::OnConflict,
}

/// A table that is staged, loaded and swapped on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub name: QualifiedName,
    pub table_id: u32,
    /// The `TABLE DATA` entry, unless the dump has no data for it.
    pub data: Option<DataEntry>,
    /// When the unit is a partition: its parent and bound.
    pub partition: Option<Partition>,
    pub sequences: Vec<SequenceUse>,
    /// What hangs off it: rebuilt on staging, re-pointed or moved at cutover.
    pub attachments: UnitAttachments,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataEntry {
    pub id: u32,
    pub disabled: bool,
    /// The listing line, verbatim.
    pub line: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    pub parent: QualifiedName,
    /// `FOR VALUES ...` or `DEFAULT`, from the schema SQL.
    pub bound: String,
    /// The table constraints the partition has from its parent. pg_dump writes them in the
    /// partition's own `CREATE TABLE` too (ATTACH PARTITION requires them), but in the catalog
    /// they are inherited, not the partition's own.
    pub inherited_constraints: Vec<String>,
    /// The partitioned tables above it, nearest first, and their foreign keys (entry ids): a
    /// partition has each of those keys too, so its staging copy is built with them (checked
    /// before the cutover), and the ATTACH at cutover finds them rather than checking every row.
    pub ancestors: Vec<QualifiedName>,
    pub ancestor_foreign_keys: Vec<u32>,
}

/// A sequence a unit's column takes values from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceUse {
    pub column: String,
    pub sequence: QualifiedName,
    pub kind: SequenceKind,
    /// Negative for descending sequences: "never backwards" then means never upwards.
    pub increment: i64,
    /// The sequence's SEQUENCE entry in the listing.
    pub entry: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceKind {
    /// `GENERATED ... AS IDENTITY`: the staged table gets a sequence of its own, which must start
    /// past the production one.
    Identity,
    /// A sequence owned by the column (`serial`, or `OWNED BY`): it stays in production, is
    /// detached before the swap and owned by the new table after it.
    Owned,
    /// A column default `nextval()` of a sequence the table does not own.
    Default,
}

/// What hangs off one staged table, as listing entry ids in listing order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitAttachments {
    /// PRIMARY KEY, UNIQUE, CHECK and EXCLUDE constraints and indexes: built on staging first.
    pub keys: Vec<u32>,
    /// The table's own foreign keys: built on staging after every key exists.
    pub foreign_keys: Vec<u32>,
    /// Triggers, rules, policies, row level security: built on staging after the load.
    pub behaviour: Vec<u32>,
    /// Extended statistics: built in the staging schema, moved with the table at cutover.
    pub statistics: Vec<u32>,
    /// Comments and grants on the table, its columns and the objects above.
    pub comments_and_grants: Vec<u32>,
    /// Foreign keys of tables outside the swap that reference this table: re-pointed at cutover.
    pub inbound_foreign_keys: Vec<u32>,
    /// Publication memberships: moved at cutover.
    pub publications: Vec<u32>,
    /// Inbound foreign keys of partitioned tables that the cutover adds back valid, checking
    /// every row (PostgreSQL 14-17 with `check_partitioned_references: true`).
    pub checked_at_cutover: Vec<u32>,
    /// For each inbound foreign key of a partitioned table, that table's partitions:
    /// re-pointing or validating the key changes each of them too.
    pub inbound_partitions: BTreeMap<u32, Vec<u32>>,
    /// Tables outside the plan that inherit from this one: moved to the new parent at cutover.
    pub children: Vec<u32>,
    /// Column defaults stated apart from `CREATE TABLE` (inherited columns of a child table).
    pub defaults: Vec<u32>,
}

impl UnitAttachments {
    /// The referencing table and the constraint name of each inbound foreign key, as its
    /// `ALTER TABLE ... ADD CONSTRAINT` in the schema SQL states them: the one reading that the
    /// cutover's locks, REVIEW.md and lint all use.
    pub fn inbound_foreign_key_tables<'a>(
        &'a self,
        schema: &'a SchemaSql,
    ) -> impl Iterator<Item = (QualifiedName, String)> + 'a {
        self.inbound_foreign_keys
            .iter()
            .filter_map(|id| schema.block(*id)?.added_constraint())
    }
}

/// Objects that depend on restored tables and are re-created at cutover, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dependents {
    /// Views: `CREATE OR REPLACE VIEW` after the swap.
    pub views: Vec<u32>,
    /// Materialized views: dropped before the swap, created `WITH NO DATA` after it, refreshed
    /// by 55-after-cutover.sql.
    pub matviews: Vec<Matview>,
    /// Functions that use a restored table's row type or read it in a `BEGIN ATOMIC` body:
    /// dropped and created again.
    pub functions: Vec<Function>,
    /// Foreign keys of partitioned plan tables (which stay in place) that reference restored
    /// tables: dropped while the parent has no partitions, added again.
    pub parent_foreign_keys: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matview {
    pub id: u32,
    /// Its `MATERIALIZED VIEW DATA` entry: present when production's is populated.
    pub data: Option<u32>,
    pub indexes: Vec<u32>,
    pub comments_and_grants: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    pub id: u32,
    pub comments_and_grants: Vec<u32>,
}
