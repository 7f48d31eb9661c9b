//! What every artifact is made from: the plan's names, quoted once, in dependency order.

use std::collections::HashSet;

use serde::Serialize;

use super::drift::{self, Drift};
use super::fidelity::{self, Global, UnitFidelity};
use crate::analysis::Analysis;
use crate::plan::{Resolved, ResolvedTable, SequenceKind, SequenceUse, Unit};
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, literal, shell_word};
use crate::toc::Toc;

/// Shared by every artifact.
#[derive(Debug, Serialize)]
pub struct Model {
    pub version: &'static str,
    /// `[a-z0-9-]` only, safe anywhere.
    pub plan: String,
    pub plan_literal: String,
    /// The listing file as the plan names it, and its sha256.
    pub listing: String,
    pub listing_sha256: String,
    pub digest: String,
    pub digest_short: String,
    pub digest_literal: String,
    /// The dollar-quote delimiter for DO blocks, one that no name of this plan contains.
    pub tag: String,
    pub run: RunRecord,
    pub unlogged: bool,
    /// `CREATE [UNLOGGED] TABLE`
    pub create_table: &'static str,
    pub cutover: CutoverSettings,
    pub dump: String,
    /// The staging and retired twin of each production schema, plus the base staging schema.
    pub staging_schemas: Vec<String>,
    pub retired_schemas: Vec<String>,
    pub tables: Vec<TableModel>,
    pub units: Vec<UnitModel>,
    /// Every production relation the cutover and rollback lock, in dependency order.
    pub lock_production: Vec<String>,
    /// Every production table the preflight checks, with the kind it must be.
    pub relations: Vec<RelationCheck>,
    /// The staging and retired schemas 10-stage.sql creates, as literals for `to_regnamespace`.
    pub new_schemas: Vec<String>,
    /// What 20-load.sh needs, quoted for the shell.
    pub load: LoadModel,
    /// Views, materialized views, functions and partitioned tables' foreign keys that the
    /// cutover and rollback re-create.
    pub dependents: Global,
    /// What production must still have, for the preflight to compare.
    pub drift: Drift,
}

#[derive(Debug, Serialize)]
pub struct RelationCheck {
    pub literal: String,
    pub relkind: char,
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct LoadModel {
    pub staged_digest_query: String,
    pub jobs: u32,
    /// ` --max-rate N` for each remap, or nothing.
    pub rate_option: String,
}

/// A unit as its table lists it.
#[derive(Debug, Serialize)]
pub struct UnitRef {
    pub item: String,
    pub staging: String,
    pub staging_literal: String,
}

/// What 20-load.sh passes to `load_unit` for one unit, each a shell word.
#[derive(Debug, Default, Serialize)]
pub struct UnitLoad {
    pub name: String,
    pub list: String,
    pub map: String,
    pub begin_sql: String,
    pub end_sql: String,
    pub loaded_query: String,
}

#[derive(Debug, Serialize)]
pub struct RunRecord {
    /// The base staging schema, which holds restage's own tables.
    pub schema: String,
    pub schema_literal: String,
    pub run: String,
    pub run_literal: String,
    pub progress: String,
    pub cutover_stats: String,
}

#[derive(Debug, Serialize)]
pub struct CutoverSettings {
    pub lock_timeout: String,
    pub statement_timeout: String,
    pub retries: u32,
}

#[derive(Debug, Serialize)]
pub struct TableModel {
    /// For comments: the quoted name, with line breaks shown as spaces.
    pub label: String,
    pub name: String,
    pub name_literal: String,
    pub min_rows: u64,
    pub partitioned: bool,
    /// The staged tables that make up this table (itself, or its leaf partitions).
    pub units: Vec<UnitRef>,
    /// Sequences that stay with a partitioned table and are moved past the restored rows.
    pub kept_sequences: Vec<SetvalModel>,
}

#[derive(Debug, Serialize)]
pub struct UnitModel {
    /// `0001`, the unit's place in the load order.
    pub number: String,
    pub label: String,
    /// The progress-record key: the quoted name, as a literal.
    pub item: String,
    pub production: String,
    pub production_literal: String,
    pub production_schema: String,
    pub staging: String,
    pub staging_literal: String,
    pub staging_schema: String,
    pub retired: String,
    pub retired_literal: String,
    pub retired_schema: String,
    /// `INCLUDING ...` options of the staging table's `LIKE`.
    pub like: &'static str,
    pub list_file: String,
    /// The listing line of its `TABLE DATA` entry (none when the dump has no data for it).
    pub data_line: Option<String>,
    pub partition: Option<PartitionModel>,
    /// Sequences owned by a column: detached before the swap, owned by the new table after.
    pub owned_sequences: Vec<OwnedModel>,
    /// What the cutover moves past the restored rows, and what the rollback moves back.
    pub cutover_setvals: Vec<SetvalModel>,
    pub rollback_setvals: Vec<SetvalModel>,
    pub load: UnitLoad,
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

/// `SELECT setval(<target>, <pick>((SELECT <extreme>(<column>) FROM <table>), <floor>))`: the
/// sequence ends up past every restored value and never before where it was.
#[derive(Debug, Serialize)]
pub struct SetvalModel {
    pub label: String,
    pub target: String,
    pub pick: &'static str,
    pub extreme: &'static str,
    pub column: String,
    pub table: String,
    pub floor: String,
}

impl Model {
    pub fn new(analysis: &Analysis, digest: &str) -> Self {
        let Analysis {
            plan,
            resolved,
            toc,
            schema,
            ..
        } = analysis;
        let base = &plan.staging.schema.value;
        let qualified_in_base = |table: &str| QualifiedName::new(base.clone(), table).quoted();
        let run = RunRecord {
            schema: ident(base),
            schema_literal: literal(base),
            run: qualified_in_base("run"),
            run_literal: literal(&qualified_in_base("run")),
            progress: qualified_in_base("progress"),
            cutover_stats: qualified_in_base("cutover_stats"),
        };
        let mut staging_schemas = vec![ident(base)];
        staging_schemas.extend(resolved.schemas.values().map(|pair| ident(&pair.staging)));
        let retired_schemas = resolved
            .schemas
            .values()
            .map(|pair| ident(&pair.retired))
            .collect();

        let mut units = Vec::new();
        let mut tables = Vec::new();
        let mut lock_production = Vec::new();
        // What is in lock_production already, to keep it free of repeats in linear time.
        let mut locked: HashSet<String> = HashSet::new();
        let mut relations = Vec::new();
        for table in &resolved.tables {
            if table.partitioned {
                locked.insert(table.name.quoted());
                lock_production.push(table.name.quoted());
                relations.push(RelationCheck {
                    literal: literal(&table.name.quoted()),
                    relkind: 'p',
                    kind: "a partitioned table",
                });
            }
            let mut unit_refs = Vec::new();
            for unit in &table.units {
                let model = unit_model(resolved, unit, units.len() + 1);
                // A partition of a partition leaves its own parent: lock that one up front too,
                // parents before children, as PostgreSQL itself locks them.
                if let Some(partition) = &model.partition
                    && locked.insert(partition.parent.clone())
                {
                    lock_production.push(partition.parent.clone());
                }
                locked.insert(model.production.clone());
                lock_production.push(model.production.clone());
                relations.push(RelationCheck {
                    literal: model.production_literal.clone(),
                    relkind: 'r',
                    kind: "an ordinary table",
                });
                unit_refs.push(UnitRef {
                    item: model.item.clone(),
                    staging: model.staging.clone(),
                    staging_literal: model.staging_literal.clone(),
                });
                units.push(model);
            }
            tables.push(table_model(table, unit_refs));
        }
        let (attached, dependents) =
            fidelity::fidelity(resolved, toc, schema, plan.staging.unlogged);
        for (unit, attached) in units.iter_mut().zip(attached) {
            unit.attached = attached;
        }
        // Tables that are not swapped but change at cutover: children moved to the new parent,
        // tables whose foreign keys are re-pointed.
        let mut touched: Vec<String> = units
            .iter()
            .flat_map(|u| u.attached.children.iter().cloned())
            .collect();
        touched.extend(resolved.tables.iter().flat_map(|t| &t.units).flat_map(|u| {
            u.attachments
                .inbound_foreign_key_tables(schema)
                .map(|(table, _)| table.quoted())
        }));
        for name in touched {
            if locked.insert(name.clone()) {
                lock_production.push(name);
            }
        }
        let new_schemas = resolved
            .schemas
            .values()
            .flat_map(|pair| [&pair.staging, &pair.retired])
            .map(|schema| literal(&ident(schema)))
            .collect();
        let jobs = plan.load.jobs;
        let load = LoadModel {
            staged_digest_query: shell_word(&format!("SELECT digest FROM {}", run.run)),
            jobs,
            // load.max_rate is for the whole load: each of the jobs gets its share.
            rate_option: plan
                .load
                .max_rate
                .map(|rate| format!(" --max-rate {}", rate.div_ceil(u64::from(jobs))))
                .unwrap_or_default(),
        };
        let mut model = Model {
            version: env!("CARGO_PKG_VERSION"),
            plan: plan.name.clone(),
            plan_literal: literal(&plan.name),
            listing: plan.source.listing.value.replace(['\n', '\r'], " "),
            listing_sha256: analysis.sha256.listing.clone(),
            digest: digest.to_owned(),
            digest_short: digest[..12].to_owned(),
            digest_literal: literal(digest),
            tag: dollar_tag(&[
                plan.text.as_bytes(),
                &analysis.listing,
                &analysis.schema_text,
            ]),
            run,
            unlogged: plan.staging.unlogged,
            create_table: if plan.staging.unlogged {
                "CREATE UNLOGGED TABLE"
            } else {
                "CREATE TABLE"
            },
            cutover: CutoverSettings {
                lock_timeout: literal(&plan.cutover.lock_timeout.to_postgres()),
                statement_timeout: literal(&plan.cutover.statement_timeout.to_postgres()),
                retries: plan.cutover.retries,
            },
            dump: shell_word(&plan.source.dump),
            staging_schemas,
            retired_schemas,
            tables,
            units,
            lock_production,
            relations,
            new_schemas,
            load,
            dependents,
            drift: drift::drift(resolved, schema, dumped_from_major(toc)),
        };
        for unit in &mut model.units {
            unit.load = unit_load(&model.run, &model.tag, unit, digest);
        }
        model
    }
}

/// The major version of the server the dump was made from (`15.18 (Debian ...)` → 15); 18
/// when the listing does not say.
fn dumped_from_major(toc: &Toc) -> u32 {
    toc.header
        .dumped_from
        .as_deref()
        .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|major| major.parse().ok())
        .unwrap_or(18)
}

/// `$restage$`, or `$restage_N$` when an input holds `$restage$`: a DO block's body must not
/// contain its own delimiter, and every name and definition in a DO block comes from the
/// inputs.
fn dollar_tag(inputs: &[&[u8]]) -> String {
    (0..)
        .map(|n| {
            if n == 0 {
                "$restage$".to_owned()
            } else {
                format!("$restage_{n}$")
            }
        })
        .find(|tag| {
            !inputs
                .iter()
                .any(|input| memchr::memmem::find(input, tag.as_bytes()).is_some())
        })
        .unwrap_or_default()
}

fn label(name: &QualifiedName) -> String {
    name.quoted().replace(['\n', '\r'], " ")
}

fn table_model(table: &ResolvedTable, units: Vec<UnitRef>) -> TableModel {
    TableModel {
        label: label(&table.name),
        name: table.name.quoted(),
        name_literal: literal(&table.name.quoted()),
        min_rows: table.min_rows.unwrap_or(1),
        partitioned: table.partitioned,
        units,
        kept_sequences: table
            .kept_sequences
            .iter()
            .map(|s| setval_identity(s, &table.name, &table.name))
            .collect(),
    }
}

fn unit_model(resolved: &Resolved, unit: &Unit, number: usize) -> UnitModel {
    let schema = &unit.name.schema;
    let pair = &resolved.schemas[schema];
    let staging = QualifiedName::new(pair.staging.clone(), unit.name.name.clone());
    let retired = QualifiedName::new(pair.retired.clone(), unit.name.name.clone());
    let production = &unit.name;
    let mut owned_sequences = Vec::new();
    let mut cutover_setvals = Vec::new();
    let mut rollback_setvals = Vec::new();
    for sequence in &unit.sequences {
        match sequence.kind {
            SequenceKind::Identity => {
                // The staged table has an identity sequence of its own: it must start past the
                // one it replaces, and on rollback the old one past the new one.
                cutover_setvals.push(setval_identity(sequence, production, &retired));
                rollback_setvals.push(setval_identity(sequence, production, &retired));
            }
            SequenceKind::Owned | SequenceKind::Default => {
                if sequence.kind == SequenceKind::Owned {
                    owned_sequences.push(OwnedModel {
                        sequence: sequence.sequence.quoted(),
                        column: ident(&sequence.column),
                    });
                }
                cutover_setvals.push(setval_shared(sequence, production));
                rollback_setvals.push(setval_shared(sequence, production));
            }
        }
    }
    let list_file = format!("load/{number:04}-{}.list", file_safe(production));
    UnitModel {
        number: format!("{number:04}"),
        label: label(production),
        item: literal(&production.quoted()),
        production: production.quoted(),
        production_literal: literal(&production.quoted()),
        production_schema: ident(schema),
        staging: staging.quoted(),
        staging_literal: literal(&staging.quoted()),
        staging_schema: ident(&pair.staging),
        retired: retired.quoted(),
        retired_literal: literal(&retired.quoted()),
        retired_schema: ident(&pair.retired),
        // A partition takes its identity from its parent: a staged copy with an identity of its
        // own could not be attached.
        like: if unit.partition.is_some() {
            "INCLUDING DEFAULTS INCLUDING GENERATED"
        } else {
            "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING IDENTITY"
        },
        list_file,
        data_line: unit
            .data
            .as_ref()
            .filter(|d| !d.disabled)
            .map(|d| d.line.clone()),
        partition: unit.partition.as_ref().map(|p| PartitionModel {
            parent: p.parent.quoted(),
            default: p.bound.trim() == "DEFAULT",
            bound: p.bound.clone(),
        }),
        owned_sequences,
        cutover_setvals,
        rollback_setvals,
        load: UnitLoad::default(),
        attached: UnitFidelity::default(),
    }
}

/// The arguments of one `load_unit` call: SQL around the remapped COPY stream, quoted for SQL
/// and then for the shell.
fn unit_load(run: &RunRecord, tag: &str, unit: &UnitModel, digest: &str) -> UnitLoad {
    let (item, staging) = (&unit.item, &unit.staging);
    let begin_sql = format!(
        "BEGIN;\n\
         DO {tag} BEGIN IF NOT EXISTS (SELECT FROM {run} WHERE digest = {digest}) THEN \
         RAISE EXCEPTION 'restage load: the staging schema was made by another plan or version'; END IF; END {tag};\n\
         TRUNCATE ONLY {staging};\n\
         DELETE FROM {progress} WHERE step = 'load' AND item = {item};",
        run = run.run,
        progress = run.progress,
        digest = literal(digest),
    );
    let end_sql = format!(
        "INSERT INTO {progress} (step, item, rows) SELECT 'load', {item}, count(*) FROM ONLY {staging};\n\
         COMMIT;\n\
         SELECT rows FROM {progress} WHERE step = 'load' AND item = {item};",
        progress = run.progress,
    );
    // A crash or failover empties UNLOGGED tables but not the (logged) progress record: a table
    // recorded with rows whose staging copy is empty was emptied, and is loaded again.
    let loaded_query = format!(
        "SELECT CASE \
         WHEN NOT EXISTS (SELECT FROM {progress} WHERE step = 'load' AND item = {item}) THEN 'no' \
         WHEN EXISTS (SELECT FROM {progress} WHERE step = 'load' AND item = {item} AND rows = 0) \
         OR EXISTS (SELECT FROM ONLY {staging}) THEN 'loaded' \
         ELSE 'emptied' END",
        progress = run.progress
    );
    UnitLoad {
        name: shell_word(&unit.production),
        list: shell_word(&unit.list_file),
        map: shell_word(&format!("{}={staging}", unit.production)),
        begin_sql: shell_word(&begin_sql),
        end_sql: shell_word(&end_sql),
        loaded_query: shell_word(&loaded_query),
    }
}

/// An identity sequence: `table`'s own, floored at the one of the table at `previous`.
fn setval_identity(
    sequence: &SequenceUse,
    table: &QualifiedName,
    previous: &QualifiedName,
) -> SetvalModel {
    let column = literal(&sequence.column);
    let serial =
        |t: &QualifiedName| format!("pg_get_serial_sequence({}, {column})", literal(&t.quoted()));
    SetvalModel {
        label: format!("{}.{}", label(table), ident(&sequence.column)),
        target: format!("{}::regclass", serial(table)),
        pick: pick(sequence),
        extreme: extreme(sequence),
        column: ident(&sequence.column),
        table: table.quoted(),
        floor: format!(
            "(SELECT last_value FROM pg_catalog.pg_sequences WHERE format('%I.%I', schemaname, sequencename) = {})",
            serial(previous)
        ),
    }
}

/// A sequence that stays in production (owned or only used by a default).
fn setval_shared(sequence: &SequenceUse, table: &QualifiedName) -> SetvalModel {
    SetvalModel {
        label: format!("{}.{}", label(table), ident(&sequence.column)),
        target: literal(&sequence.sequence.quoted()),
        pick: pick(sequence),
        extreme: extreme(sequence),
        column: ident(&sequence.column),
        table: table.quoted(),
        floor: format!("(SELECT last_value FROM {})", sequence.sequence.quoted()),
    }
}

fn pick(sequence: &SequenceUse) -> &'static str {
    if sequence.increment < 0 {
        "LEAST"
    } else {
        "GREATEST"
    }
}

fn extreme(sequence: &SequenceUse) -> &'static str {
    if sequence.increment < 0 { "min" } else { "max" }
}

/// A file name part from a table name: letters, digits, `_`, `-` and `.` kept, all else `_`.
fn file_safe(name: &QualifiedName) -> String {
    format!("{}.{}", name.schema, name.name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(
            file_safe(&QualifiedName::new("public", "reading")),
            "public.reading"
        );
        assert_eq!(
            file_safe(&QualifiedName::new("Weird Schema", "we\"ird/table")),
            "Weird_Schema.we_ird_table"
        );
        assert_eq!(file_safe(&QualifiedName::new("ünï", "t")), "_n_.t");
    }
}
