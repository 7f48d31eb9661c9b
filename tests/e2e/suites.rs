//! Suites the team did not write: PostgreSQL's own pg_dump regression objects
//! (`tests/fixtures/pg_dump-regress/`, extracted from `src/bin/pg_dump/t/002_pg_dump.pl` of the
//! server's own major). Every table of their schemas goes through the whole cycle both ways,
//! with the fidelity oracle: `pg_dump --schema-only` byte-identical, every row as it was.

use super::*;

/// Restores `tables` of `database` (already loaded) both ways: cutover, after-cutover and
/// cleanup on the database itself; cutover, rollback and cleanup on a copy. Each time the schema
/// and every row of every table are what they were when the dump was taken.
fn both_ways(cluster: &Cluster, database: &str, tables: &[String]) {
    let archive = Archive::make(cluster, database);
    let copy = format!("{database}_back");
    cluster.query(
        "postgres",
        &format!("CREATE DATABASE {copy} TEMPLATE {database}"),
    );
    let before = State::of(cluster, database);
    // A copy has no subscriptions (CREATE DATABASE does not copy them): its own before.
    let before_copy = State::of(cluster, &copy);
    let listed: String = tables.iter().map(|t| format!("  - {t}\n")).collect();
    let run = archive.compile(cluster, database, "suite", &listed, "");
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok_as_reviewed(&["50-cutover.sh", "55-after-cutover.sql", "70-cleanup.sh"]);
    let after = State::of(cluster, database);
    assert_schema_eq(&after.schema, &before.schema, "cutover and cleanup");
    assert_eq!(after.tables, before.tables, "the rows, after the cutover");

    let back = run.on(&copy);
    back.ok_as_reviewed(UP_TO_VERIFY);
    back.ok_as_reviewed(&["50-cutover.sh", "60-rollback.sh", "70-cleanup.sh"]);
    let restored = State::of(cluster, &copy);
    assert_schema_eq(
        &restored.schema,
        &before_copy.schema,
        "rollback and cleanup",
    );
    assert_eq!(
        restored.tables, before.tables,
        "the rows, after the rollback"
    );
}

/// The tables of `schemas` a plan names: ordinary, partitioned and inheriting tables, not
/// partitions (restored with their partitioned table) and not `except`.
fn tables_of(cluster: &Cluster, database: &str, schemas: &[&str], except: &[&str]) -> Vec<String> {
    let schemas = schemas
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(", ");
    cluster
        .query(
            database,
            &format!(
                "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname IN ({schemas}) AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1"
            ),
        )
        .lines()
        .filter(|t| !except.contains(t))
        .map(str::to_owned)
        .collect()
}

#[test]
fn pg_dump_regression_objects() {
    let cluster = Cluster::start();
    let major = cluster.major();
    cluster.create_database("regress");
    let fixtures = fixture("pg_dump-regress");
    cluster.run_file("regress", &fixtures.join(format!("pg{major}.sql")));
    cluster.run_file("regress", &fixtures.join(format!("pg{major}.data.sql")));
    // Foreign tables are not in the list: their data is not in the dump.
    let tables = tables_of(
        &cluster,
        "regress",
        &["dump_test", "dump_test_second_schema"],
        &[],
    );
    assert!(tables.len() > 15, "{tables:?}");
    both_ways(&cluster, "regress", &tables);
}
