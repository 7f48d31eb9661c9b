//! Rows of tables outside the plan that point at rows production wrote after the dump: the
//! restored table lacks those rows, so the rows that point at them would point at nothing.
//! 40-verify.sql finds them before the cutover; 55 and the rollback go on past a key they cannot
//! validate and say what is left; 70-cleanup.sql never drops what such rows point at unsaid.

use super::*;

/// `parent` is restored; `child_a` and `child_b` point at it, and a materialized view reads it.
const FAMILY: &str = "
    CREATE TABLE public.parent (id int PRIMARY KEY, name text);
    CREATE TABLE public.child_a (id int PRIMARY KEY, parent_id int REFERENCES public.parent);
    CREATE TABLE public.child_b (id int PRIMARY KEY, parent_id int REFERENCES public.parent);
    INSERT INTO public.parent SELECT g, 'p' || g FROM generate_series(1, 10) g;
    INSERT INTO public.child_a SELECT g, g FROM generate_series(1, 10) g;
    INSERT INTO public.child_b SELECT g, g FROM generate_series(1, 10) g;
    CREATE MATERIALIZED VIEW public.parent_names AS SELECT id, name FROM public.parent;";

/// A parent and a child that points at it, both written after the dump.
const AFTER_THE_DUMP: &str = "INSERT INTO public.parent VALUES (11, 'new');
     INSERT INTO public.child_a VALUES (11, 11);";

const KEYS: &str = "SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' ORDER BY 1";

fn family(cluster: &Cluster) -> Archive {
    cluster.create_database("shop");
    cluster.query("shop", FAMILY);
    Archive::make(cluster, "shop")
}

/// The verify counts them, says which key and table, and prints a query that lists them.
#[test]
fn rows_that_would_point_at_nothing_stop_the_verify() {
    let cluster = Cluster::start();
    let archive = family(&cluster);
    cluster.query("shop", AFTER_THE_DUMP);
    let run = archive.compile(&cluster, "shop", "orphans", "  - public.parent\n", "");
    run.ok(&[
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
    ]);
    let refused = run.fails("40-verify.sql", &[]);
    assert!(
        refused.contains("1 row(s) of public.child_a point at rows the restored public.parent lacks (foreign key child_a_parent_id_fkey)"),
        "{refused}"
    );
    assert!(
        !refused.contains("public.child_b"),
        "child_b points at restored rows only\n{refused}"
    );
    let query = refused
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("SELECT c.* FROM "))
        .unwrap_or_else(|| panic!("no query in\n{refused}"));
    assert_eq!(cluster.query("shop", query), "11|11\n", "{query}");
}

/// Accepted by the plan, they pass the verify with a notice; after the cutover their key stays
/// NOT VALID while the other is validated and the view refreshed; the cleanup counts the rows
/// that pointed at the retired copy and goes on.
#[test]
fn accepted_rows_keep_their_key_not_valid_and_are_counted_at_cleanup() {
    let cluster = Cluster::start();
    let archive = family(&cluster);
    cluster.query("shop", AFTER_THE_DUMP);
    let run = archive.compile(
        &cluster,
        "shop",
        "accepted",
        "  - name: public.parent\n    accept_orphans: true\n",
        "",
    );
    let review = std::fs::read_to_string(run.out.join("REVIEW.md")).expect("REVIEW.md");
    assert!(
        review.contains("**Rows that point at nothing are accepted** for `public.parent`"),
        "{review}"
    );
    let verify = run.ok(UP_TO_VERIFY);
    assert!(
        String::from_utf8_lossy(&verify.stderr).contains("1 row(s) of public.child_a point at rows the restored public.parent lacks (foreign key child_a_parent_id_fkey); the plan accepts them"),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    run.ok(&["50-cutover.sh"]);
    let after = run.ok(&["55-after-cutover.sql"]);
    assert!(
        String::from_utf8_lossy(&after.stderr)
            .contains("child_a_parent_id_fkey of public.child_a stay NOT VALID"),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
    assert_eq!(
        cluster.query("shop", KEYS),
        "child_a_parent_id_fkey|f\nchild_b_parent_id_fkey|t\n"
    );
    assert_eq!(
        cluster.query("shop", "SELECT count(*) FROM public.parent_names"),
        "10\n"
    );
    let cleanup = run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    assert!(
        String::from_utf8_lossy(&cleanup.stderr).contains("1 row(s) of public.child_a point at rows that only the retired copy of public.parent holds, which this drops"),
        "{}",
        String::from_utf8_lossy(&cleanup.stderr)
    );
}

/// Written after the verify, they get past it: 55 then validates the other key and refreshes
/// the view anyway, and fails naming the key it could not validate; the cleanup refuses, and
/// the retired copy keeps the row they point at. Once they are dealt with, 55 finishes what is
/// left and the cleanup goes through.
#[test]
fn rows_written_after_the_verify_leave_the_restore_unfinished() {
    let cluster = Cluster::start();
    let archive = family(&cluster);
    let run = archive.compile(&cluster, "shop", "late", "  - public.parent\n", "");
    run.ok(UP_TO_VERIFY);
    cluster.query("shop", AFTER_THE_DUMP);
    run.ok(&["50-cutover.sh"]);
    let unfinished = run.fails("55-after-cutover.sql", &[]);
    assert!(
        unfinished.contains("restage after-cutover: not finished: 1 foreign key(s) NOT VALID (child_a_parent_id_fkey of public.child_a), 0 materialized view(s) not populated (none)"),
        "{unfinished}"
    );
    assert_eq!(
        cluster.query("shop", KEYS),
        "child_a_parent_id_fkey|f\nchild_b_parent_id_fkey|t\n"
    );
    assert_eq!(
        cluster.query("shop", "SELECT count(*) FROM public.parent_names"),
        "10\n"
    );
    let refused = run.fails("70-cleanup.sql", &["-v", &run.approve()]);
    assert!(
        refused.contains("restage cleanup: the restore is not finished: 1 foreign key(s) NOT VALID (child_a_parent_id_fkey of public.child_a)"),
        "{refused}"
    );
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT name FROM restore_retired__public.parent WHERE id = 11"
        ),
        "new\n"
    );

    cluster.query(
        "shop",
        "INSERT INTO public.parent SELECT * FROM restore_retired__public.parent WHERE id = 11",
    );
    // A rerun does only what is left (it locks less than REVIEW.md's whole step says).
    run.ok(&["55-after-cutover.sql"]);
    assert_eq!(
        cluster.query("shop", KEYS),
        "child_a_parent_id_fkey|t\nchild_b_parent_id_fkey|t\n"
    );
    run.ok_as_reviewed(&["70-cleanup.sh"]);
}
