//! Production as it is now: the drift check compares what production has with what the dump
//! says, as the same server understands both, so that a definition PostgreSQL prints
//! differently once re-created is not a difference, and a real change still is.

use super::*;

/// Definitions whose printed text changes when PostgreSQL reads them back: a `NULL` in a
/// `UNION` arm (`NULL::integer` comes back as `NULL::integer AS int4`) and `IN` over a
/// `varchar` column (the array's cast moves onto each element), in a view, a CHECK, a
/// partial index, a trigger's WHEN and a policy.
const REPARSED: &str = "
    CREATE TABLE public.a (id int PRIMARY KEY, c int, kind varchar(10) CHECK (kind IN ('a', 'b')));
    CREATE INDEX a_kind ON public.a (c) WHERE kind IN ('a', 'b');
    CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
    CREATE TRIGGER a_touch BEFORE UPDATE ON public.a FOR EACH ROW WHEN (NEW.kind IN ('a', 'b')) EXECUTE FUNCTION public.touch();
    ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;
    CREATE POLICY a_kinds ON public.a USING (kind IN ('a', 'b'));
    CREATE TABLE public.b (id int);
    CREATE VIEW public.v AS SELECT id, c FROM (SELECT id, c FROM public.a UNION ALL SELECT id, NULL FROM public.b) q;
    INSERT INTO public.a SELECT g, g, 'a' FROM generate_series(1, 20) g;
    INSERT INTO public.b SELECT g FROM generate_series(1, 5) g;";

/// After a cutover re-created the view from the dump and a rollback re-created it again, the
/// same restore passes the preflight: the view prints differently now, but means the same.
#[test]
fn a_rollback_then_the_same_restore_passes_the_preflight() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query("shop", REPARSED);
    let archive = Archive::make(&cluster, "shop");
    let run = archive.compile(&cluster, "shop", "again", "  - public.a\n", "");
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh", "55-after-cutover.sql", "60-rollback.sh"]);
    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    let dumped = std::fs::read_to_string(archive.path("db-schema.sql")).expect("schema SQL");
    let printed = cluster.query("shop", "SELECT pg_get_viewdef('public.v')");
    assert!(
        printed.contains("NULL::integer AS int4") && !dumped.contains("AS int4"),
        "the view prints as the dump had it: this test no longer shows a reparsed definition\n{printed}"
    );
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh", "55-after-cutover.sql"]);
}

/// A production that was itself restored from the dump (a copy, a migration, pg_upgrade's
/// dump of the schema) holds every definition as PostgreSQL printed it back: equal, not drift.
#[test]
fn a_production_restored_from_the_dump_passes_the_preflight() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query("shop", REPARSED);
    let archive = Archive::make(&cluster, "shop");
    archive.restore_into(&cluster, "copy");
    let printed = |db: &str| {
        cluster.query(
            db,
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'public.a'::regclass AND contype = 'c'",
        )
    };
    assert_ne!(
        printed("copy"),
        printed("shop"),
        "the CHECK prints as the dump had it: this test no longer shows a reparsed definition"
    );
    let run = archive.compile(&cluster, "copy", "copy", "  - public.a\n", "");
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh", "55-after-cutover.sql"]);
}

/// What means something else is still drift, named once, with both definitions.
#[test]
fn a_changed_meaning_is_still_drift() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query("shop", REPARSED);
    let archive = Archive::make(&cluster, "shop");
    cluster.query(
        "shop",
        "CREATE OR REPLACE VIEW public.v AS SELECT id, c FROM (SELECT id, c FROM public.a UNION ALL SELECT id, 0 FROM public.b) q;
         ALTER TABLE public.a DROP CONSTRAINT a_kind_check, ADD CONSTRAINT a_kind_check CHECK (kind IN ('a', 'b', 'c'));
         DROP INDEX public.a_kind; CREATE INDEX a_kind ON public.a (c) WHERE kind IN ('a', 'c');",
    );
    let run = archive.compile(&cluster, "shop", "changed", "  - public.a\n", "");
    let stderr = run.fails("00-preflight.sql", &[]);
    for expected in [
        "view public.v differs:\n      in the dump:       ",
        "\n            0\n",
        "constraint a_kind_check of public.a differs:\n      in the dump:       CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))\n      in production: CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying, 'c'::character varying])::text[])))",
        "index a_kind of public.a differs:\n      in the dump:       CREATE INDEX a_kind ON public.a USING btree (c) WHERE ((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))\n      in production: CREATE INDEX a_kind ON public.a USING btree (c) WHERE ((kind)::text = ANY ((ARRAY['a'::character varying, 'c'::character varying])::text[]))",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in\n{stderr}"
        );
    }
    assert!(!stderr.contains("of public.v"), "{stderr}");
    assert!(stderr.contains("found 3 problem(s)"), "{stderr}");
}
