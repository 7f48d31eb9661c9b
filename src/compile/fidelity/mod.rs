//! Everything attached to a restored table, as SQL: taken from the schema SQL block of each
//! listing entry, retargeted at staging where it is built there, kept as is where the cutover
//! runs it against production. What restage itself writes around those definitions (`ALTER
//! TABLE ... VALIDATE CONSTRAINT`, `DROP MATERIALIZED VIEW`, ...) is in the templates; this
//! hands them names and the definitions copied from the dump.
//!
//! One file per thing decided: [`names`] the exact names and where each is built, [`build`]
//! what 30-build.sql builds on a staging table, [`swap`] what the cutover and the rollback do
//! around its swap, [`dependents`] what they re-create once for all tables.

mod build;
mod dependents;
mod names;
mod swap;

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::locks::Acquisition;
use crate::plan::Resolved;
use crate::schema::{Block, SchemaSql};
use crate::sql::QualifiedName;
use crate::toc::{Entry, Toc};
use names::Names;

/// What 30-build.sql builds on one staging table, and what the cutover and rollback do around
/// its swap.
#[derive(Debug, Default, Serialize)]
pub struct UnitFidelity {
    /// The table access method the dump creates it with (`heap2`), as pg_dump wrote it: the
    /// staging copy is created with it too.
    pub access_method: Option<String>,
    /// The composite type of a typed table, quoted: the staging copy is made of that type too.
    pub of_type: Option<String>,
    /// `SET LOGGED` or `SET UNLOGGED` when staging and production differ.
    pub persistence: Option<&'static str>,
    /// The storage parameters of its `CREATE TABLE ... WITH (...)`, set on the staging copy.
    pub storage_options: Option<String>,
    /// The table constraints written inside its `CREATE TABLE` (and, for a partition, its
    /// partitioned table's), added to the staging copy.
    pub constraints: Vec<TableConstraint>,
    /// The table's own settings: owner, replica identity, column settings.
    pub table: Vec<String>,
    /// Identity columns, exactly as production has them (sequence name and options).
    pub identity: Vec<IdentityColumn>,
    /// Columns whose NOT NULL production has NOT VALID (PostgreSQL 18), quoted: the staging
    /// copy's LIKE made them NOT NULL, which the dump's NULLs would break, so they are loaded
    /// without it and 30-build adds it back NOT VALID, from the dump.
    pub loaded_nullable: Vec<String>,
    /// Primary key, unique and exclusion constraints and indexes that 10-stage.sql creates on
    /// the empty copy of logged staging, for the load to maintain: built by 30-build.sql,
    /// each would go to WAL (and to the standbys) in one burst.
    pub keys_at_stage: Vec<String>,
    /// The keys 30-build.sql builds: all of them with UNLOGGED staging; with logged staging the
    /// check constraints and NOT VALID NOT NULLs (the load's rows may break them).
    pub keys: Vec<String>,
    pub foreign_keys: Vec<ForeignKey>,
    /// Triggers, rules, policies, row level security.
    pub behaviour: Vec<String>,
    /// A partition's firing state of a trigger it has from its partitioned table (`ALTER TABLE
    /// p DISABLE TRIGGER t`), in production names: the trigger exists only once the partition
    /// is attached, so the cutover and the rollback set it right after their ATTACH PARTITION.
    pub after_attach: Vec<String>,
    pub statistics: Vec<String>,
    pub comments_and_grants: Vec<String>,
    /// Extended statistics: moved along at cutover, back at rollback.
    pub statistics_moves: Vec<StatisticsMove>,
    /// Foreign keys of other tables that point here: re-pointed at cutover and rollback.
    pub inbound: Vec<Inbound>,
    /// Publications that include the table.
    pub publications: Vec<Publication>,
    /// Tables outside the plan that inherit from this one.
    pub children: Vec<Child>,
    /// When the table inherits from others: how its staging copy is made and swapped.
    pub inheritance: Option<Inheritance>,
}

#[derive(Debug, Serialize)]
pub struct TableConstraint {
    /// Quoted.
    pub name: String,
    /// `CHECK (...)`, `PRIMARY KEY (...)`, ..., with staging names.
    pub definition: String,
}

/// An identity column: the identity `LIKE ... INCLUDING IDENTITY` gave the staging copy is
/// dropped, and production's own is added.
#[derive(Debug, Serialize)]
pub struct IdentityColumn {
    /// Quoted.
    pub column: String,
    /// `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS IDENTITY (...)`, with staging names.
    pub definition: Vec<String>,
}

/// A restored table that inherits from others. Its staging copy is created as pg_dump created
/// it, `CREATE TABLE ... (own columns) INHERITS (...)`, so that its inherited columns and
/// constraints stay inherited (not local) through the swap. A parent outside the plan is stood
/// in for by a shadow: an empty table like it, which the new child leaves at cutover after
/// joining the real parent, and which the replaced child joins before leaving it, so that
/// neither ever stops inheriting.
#[derive(Debug, Serialize)]
pub struct Inheritance {
    /// `CREATE [UNLOGGED] TABLE <staging> (...) INHERITS (...)`, from the schema SQL.
    pub create: String,
    /// Its parents in production, in the dump's order, quoted.
    pub parents: Vec<String>,
    pub shadows: Vec<Shadow>,
    /// Defaults of inherited columns, stated apart in the dump.
    pub defaults: Vec<String>,
}

/// A table outside the plan that inherits from a plan table.
#[derive(Debug, Serialize)]
pub struct Child {
    pub name: String,
    /// All its parents, in the dump's order, quoted.
    pub parents: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Shadow {
    /// The parent in production.
    pub parent: String,
    /// The stand-in the staging copy inherits from until cutover.
    pub staging: String,
    /// The stand-in the replaced child inherits from after cutover.
    pub retired: String,
}

#[derive(Debug, Serialize)]
pub struct ForeignKey {
    /// Quoted.
    pub name: String,
    /// The name as `pg_constraint.conname` holds it, as a literal.
    pub catalog_name: String,
    /// `ALTER TABLE ... ADD CONSTRAINT ... NOT VALID;`, with staging names.
    pub add: String,
    /// Whether production checked it over every row, so that the build validates it too.
    pub validated: bool,
    /// The production table it references, when that table is not restored: adding the key
    /// locks it against writes, and dropping the retired copy locks it entirely.
    pub references_outside: Option<String>,
    /// The partitions of that table, when it is partitioned: the key locks each of them too.
    pub references_partitions: Vec<String>,
    /// What adding it locks in production (SHARE ROW EXCLUSIVE on that table), and what
    /// validating it locks (ROW SHARE).
    pub add_locks: Acquisition,
    pub validate_locks: Acquisition,
    /// A key of a partitioned table outside the plan, which the partition's copy has too: the
    /// ATTACH at cutover (and at rollback) takes it over, replacing its triggers on the table it
    /// references, which that locks ACCESS EXCLUSIVE.
    pub taken_over_at_attach: bool,
}

#[derive(Debug, Serialize)]
pub struct StatisticsMove {
    /// The name in production.
    pub production: String,
    /// The name while in staging (before cutover, after rollback).
    pub staging: String,
    /// The name in the retired schema.
    pub retired: String,
    pub production_schema: String,
    pub staging_schema: String,
    pub retired_schema: String,
}

/// A foreign key of a table outside the plan that references a restored one.
#[derive(Debug, Serialize)]
pub struct Inbound {
    /// The referencing table, quoted.
    pub table: String,
    /// The constraint, quoted.
    pub name: String,
    /// Its `ADD CONSTRAINT`, `NOT VALID`, so the lock is short; validated after the cutover.
    pub add: String,
    /// Whether production checked it over every row, so that 55 and the rollback validate it,
    /// and 40-verify.sql counts the rows it would find without the row they point at.
    pub validated: bool,
    /// The name as `pg_constraint.conname` holds it, as a literal.
    pub catalog_name: String,
    /// Whether the plan accepts rows that point at rows the restored table lacks: the key
    /// then stays NOT VALID, and 40-verify.sql and 70-cleanup.sql say so rather than refuse.
    /// Added back valid at the cutover, checking every row of its table under the cutover's
    /// locks (a partitioned table's, before PostgreSQL 18).
    pub checked_at_cutover: bool,
    pub accept_orphans: bool,
    /// What validating it locks: SHARE UPDATE EXCLUSIVE on the referencing table, ROW SHARE on
    /// the referenced one.
    pub validate_locks: Acquisition,
}

#[derive(Debug, Serialize)]
pub struct Publication {
    /// Quoted.
    pub name: String,
    /// Its `ALTER PUBLICATION ... ADD TABLE`, from the dump.
    pub add: String,
}

/// What the cutover re-creates once for all tables.
#[derive(Debug, Default, Serialize)]
pub struct Global {
    pub views: Vec<ViewSql>,
    pub matviews: Vec<MatviewSql>,
    pub functions: Vec<FunctionSql>,
    /// Foreign keys of partitioned tables that stay: dropped, and added again while the
    /// partitioned table has no partitions (so adding them scans nothing).
    pub parent_foreign_keys: Vec<ParentForeignKey>,
}

#[derive(Debug, Serialize)]
pub struct ViewSql {
    /// Quoted.
    pub name: String,
    /// `CREATE OR REPLACE VIEW`, production names.
    pub create: String,
}

#[derive(Debug, Serialize)]
pub struct MatviewSql {
    /// Quoted.
    pub name: String,
    /// The schema it is created in again, unquoted.
    pub schema: String,
    /// What the refresh locks: the materialized view, ACCESS EXCLUSIVE.
    pub refresh_locks: Acquisition,
}

#[derive(Debug, Serialize)]
pub struct FunctionSql {
    /// The schema it is created in again, unquoted.
    pub schema: String,
    /// `FUNCTION` or `PROCEDURE`.
    pub kind: &'static str,
    /// Its qualified name and argument list, as its `CREATE` writes them.
    pub signature: String,
}

#[derive(Debug, Serialize)]
pub struct ParentForeignKey {
    /// The partitioned table, quoted.
    pub table: String,
    /// The constraint, quoted.
    pub name: String,
    /// Its `ADD CONSTRAINT`, from the dump.
    pub add: String,
}

/// The dump as the fidelity stages read it: the schema SQL blocks and the exact names of the
/// listing's entries.
struct Dump<'a> {
    schema: &'a SchemaSql,
    toc: &'a Toc,
    names: Names<'a>,
    /// For each foreign key that references a partitioned table, its partitions (entry ids).
    referenced_partitions: &'a BTreeMap<u32, Vec<u32>>,
}

impl Dump<'_> {
    fn block(&self, id: u32) -> Option<&Block> {
        self.schema.block(id)
    }

    /// The partitions of the partitioned table foreign key `id` references, by name.
    fn referenced_partitions(&self, id: u32) -> Vec<QualifiedName> {
        self.referenced_partitions
            .get(&id)
            .into_iter()
            .flatten()
            .filter_map(|p| self.names.get(*p))
            .collect()
    }

    /// The statements of an entry's block; none when the schema SQL has no block for it.
    fn statements(&self, id: u32) -> Vec<String> {
        self.block(id)
            .map(Block::statement_texts)
            .unwrap_or_default()
    }
}

/// The SQL of every attachment of every unit, in unit order, and of the shared dependents.
pub(super) fn fidelity(
    resolved: &Resolved,
    toc: &Toc,
    schema: &SchemaSql,
    unlogged_staging: bool,
) -> (Vec<UnitFidelity>, Global) {
    let entries: HashMap<u32, &Entry> = toc.entries.iter().map(|e| (e.id, e)).collect();
    let dump = Dump {
        schema,
        toc,
        names: Names::new(schema, &entries),
        referenced_partitions: &resolved.referenced_partitions,
    };
    let to_staging = names::built_in_staging(resolved, &dump);
    let mut builder = build::Builder::new(&dump, &to_staging, unlogged_staging);
    let mut units = Vec::new();
    for table in &resolved.tables {
        let parent = table
            .partitioned
            .then(|| build::ParentParts::of(table, schema));
        for unit in &table.units {
            let pair = &resolved.schemas[&unit.name.schema];
            let mut fidelity = builder.unit(unit, pair, parent.as_ref());
            swap::around(&mut fidelity, &dump, unit, pair, table.accept_orphans);
            units.push(fidelity);
        }
    }
    (units, dependents::global(&resolved.dependents, &dump))
}
