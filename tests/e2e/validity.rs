//! NOT VALID and NOT ENFORCED stay as production has them: a constraint that production does
//! not check over its old rows is not checked by the restore either, and one it checks stays
//! checked. Only what restage itself added NOT VALID (to keep its locks short) is validated.

use super::*;

/// Foreign keys NOT VALID in production, over rows that break them: one of the restored table
/// (to a table outside the plan) and one of a table outside the plan (to the restored one);
/// and one NOT VALID over rows that keep it, which stays NOT VALID too.
const NOT_VALID: &str = "
    CREATE TABLE public.parent (id int PRIMARY KEY);
    CREATE TABLE public.child (id int PRIMARY KEY, parent_id int);
    CREATE TABLE public.note (id int PRIMARY KEY, child_id int);
    CREATE TABLE public.tag (id int PRIMARY KEY, child_id int);
    INSERT INTO public.parent SELECT g FROM generate_series(1, 10) g;
    INSERT INTO public.child SELECT g, g FROM generate_series(1, 20) g;
    INSERT INTO public.note VALUES (1, 999);
    INSERT INTO public.tag VALUES (1, 1);
    ALTER TABLE public.child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES public.parent NOT VALID;
    ALTER TABLE public.note ADD CONSTRAINT note_child FOREIGN KEY (child_id) REFERENCES public.child NOT VALID;
    ALTER TABLE public.tag ADD CONSTRAINT tag_child FOREIGN KEY (child_id) REFERENCES public.child NOT VALID;
    ALTER TABLE public.child ADD CONSTRAINT child_small CHECK (id < 15) NOT VALID;";

/// What PostgreSQL 18 adds: NOT NULL NOT VALID over a NULL, and NOT ENFORCED foreign keys (one
/// each way) and checks over rows that break them.
const NOT_ENFORCED: &str = "
    ALTER TABLE public.child ADD COLUMN v int;
    UPDATE public.child SET v = id WHERE id BETWEEN 2 AND 14;
    ALTER TABLE public.child ADD CONSTRAINT child_v_present NOT NULL v NOT VALID;
    ALTER TABLE public.child ADD CONSTRAINT child_parent_enforced FOREIGN KEY (parent_id) REFERENCES public.parent NOT ENFORCED;
    ALTER TABLE public.child ADD CONSTRAINT child_tiny CHECK (id < 5) NOT ENFORCED;
    ALTER TABLE public.note ADD CONSTRAINT note_child_enforced FOREIGN KEY (child_id) REFERENCES public.child NOT ENFORCED;";

const VALIDITY: &str = "SELECT conname, convalidated FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('f', 'c') ORDER BY 1";

/// On PostgreSQL 18, also whether each is enforced, and the NOT NULL constraints.
const VALIDITY_18: &str = "SELECT conname, convalidated, conenforced FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype IN ('f', 'c', 'n') ORDER BY 1";

/// The whole cycle both ways keeps every NOT VALID (and, on PostgreSQL 18, NOT ENFORCED)
/// constraint as it was, and the schema as it was, byte for byte.
#[test]
fn constraints_production_does_not_check_stay_unchecked() {
    keeps_validity("");
}

/// The same with logged staging, whose keys and indexes 10-stage.sql creates before the load:
/// the NOT VALID checks (and NOT NULLs) the dump's rows break are still added after it.
#[test]
fn constraints_production_does_not_check_stay_unchecked_with_logged_staging() {
    keeps_validity("staging:\n  unlogged: false\n");
}

fn keeps_validity(settings: &str) {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query("shop", NOT_VALID);
    let query = if cluster.major() >= 18 {
        cluster.query("shop", NOT_ENFORCED);
        VALIDITY_18
    } else {
        VALIDITY
    };
    let archive = Archive::make(&cluster, "shop");
    cluster.query("postgres", "CREATE DATABASE shop_back TEMPLATE shop");
    let before = State::of(&cluster, "shop");
    let validity = cluster.query("shop", query);
    if cluster.major() >= 18 {
        assert_eq!(
            validity,
            "child_id_not_null|t|t\nchild_parent|f|t\nchild_parent_enforced|f|f\nchild_small|f|t\nchild_tiny|f|f\nchild_v_present|f|t\nnote_child|f|t\nnote_child_enforced|f|f\nnote_id_not_null|t|t\nparent_id_not_null|t|t\ntag_child|f|t\ntag_id_not_null|t|t\n"
        );
    } else {
        assert_eq!(
            validity,
            "child_parent|f\nchild_small|f\nnote_child|f\ntag_child|f\n"
        );
    }

    let run = archive.compile(
        &cluster,
        "shop",
        "not-valid",
        "  - public.child\n",
        settings,
    );
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok_as_reviewed(&["50-cutover.sh", "55-after-cutover.sql"]);
    assert_eq!(cluster.query("shop", query), validity, "after the cutover");
    run.ok_as_reviewed(&["70-cleanup.sh"]);
    assert_schema_eq(
        &State::of(&cluster, "shop").schema,
        &before.schema,
        "cutover, after-cutover and cleanup",
    );

    let back = run.on("shop_back");
    back.ok(UP_TO_VERIFY);
    back.ok(&["50-cutover.sh", "60-rollback.sh"]);
    assert_eq!(
        cluster.query("shop_back", query),
        validity,
        "after the rollback"
    );
    back.ok_with(&["70-cleanup.sql"], &["-v", &back.approve()]);
    assert_schema_eq(
        &State::of(&cluster, "shop_back").schema,
        &before.schema,
        "rollback and cleanup",
    );
}
