//! Suites the team did not write: PostgreSQL's own pg_dump regression objects
//! (`tests/fixtures/pg_dump-regress/`, extracted from `src/bin/pg_dump/t/002_pg_dump.pl` of the
//! server's own major). Every table of their schemas goes through the whole cycle both ways,
//! with the fidelity oracle: `pg_dump --schema-only` byte-identical, every row as it was.

use super::*;

/// Restores the `listed` tables (plan YAML) of `database` (already loaded) both ways: cutover, after-cutover and
/// cleanup on the database itself; cutover, rollback and cleanup on a copy. Each time the schema
/// and every row of every table are what they were when the dump was taken.
fn both_ways(cluster: &Cluster, database: &str, listed: &str) {
    let archive = Archive::make(cluster, database);
    let copy = format!("{database}_back");
    cluster.query(
        "postgres",
        &format!("CREATE DATABASE {copy} TEMPLATE {database}"),
    );
    let before = State::of(cluster, database);
    // A copy has no subscriptions (CREATE DATABASE does not copy them): its own before.
    let before_copy = State::of(cluster, &copy);
    let run = archive.compile(cluster, database, "suite", listed, "");
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
    let listed: String = tables.iter().map(|t| format!("  - {t}\n")).collect();
    both_ways(&cluster, "regress", &listed);
}

/// GitLab's schema (`tests/fixtures/app/`): 467 tables, partitions, 113 triggers, 98 functions;
/// a connected cluster of 15 tables with rows, referenced by hundreds of foreign keys from
/// outside, read by views and by functions of their row type, one of them hash-partitioned
/// into another schema.
#[test]
fn a_large_application_schema() {
    let cluster = Cluster::start();
    cluster.create_database("gitlab");
    let fixtures = fixture("app");
    cluster.run_file("gitlab", &fixtures.join("schema.sql"));
    cluster.run_file("gitlab", &fixtures.join("data.sql"));
    let tables: Vec<String> = std::fs::read_to_string(fixtures.join("plan-tables.txt"))
        .expect("plan-tables.txt")
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .map(str::to_owned)
        .collect();
    assert_eq!(tables.len(), 15, "{tables:?}");
    // Its foreign keys and those of public.projects make a cycle, which restage refuses (a
    // plan of their own each: README.md, What restage refuses).
    let tables: Vec<&String> = tables
        .iter()
        .filter(|t| *t != "public.namespaces")
        .collect();
    // Partitioned tables reference them: before PostgreSQL 18 their keys come back valid.
    let listed: String = tables
        .iter()
        .map(|t| format!("  - name: {t}\n    check_partitioned_references: true\n"))
        .collect();
    both_ways(&cluster, "gitlab", &listed);
}
