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

/// A database `shop` made of REPARSED, and its dump.
fn reparsed(cluster: &Cluster) -> Archive {
    cluster.create_database("shop");
    cluster.query("shop", REPARSED);
    Archive::make(cluster, "shop")
}

/// After a cutover re-created the view from the dump and a rollback re-created it again, the
/// same restore passes the preflight: the view prints differently now, but means the same.
#[test]
fn a_rollback_then_the_same_restore_passes_the_preflight() {
    let cluster = Cluster::start();
    let archive = reparsed(&cluster);
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
    let archive = reparsed(&cluster);
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
    let archive = reparsed(&cluster);
    cluster.query(
        "shop",
        "CREATE OR REPLACE VIEW public.v AS SELECT id, c FROM (SELECT id, c FROM public.a UNION ALL SELECT id, 0 FROM public.b) q;
         ALTER TABLE public.a DROP CONSTRAINT a_kind_check, ADD CONSTRAINT a_kind_check CHECK (kind IN ('a', 'b', 'c'));
         DROP INDEX public.a_kind; CREATE INDEX a_kind ON public.a (c) WHERE kind IN ('a', 'c');",
    );
    let run = archive.compile(&cluster, "shop", "changed", "  - public.a\n", "");
    let stderr = run.fails("00-preflight.sql", &[]);
    assert_says(
        &stderr,
        &[
            "view public.v differs:\n      in the dump:       ",
            "\n            0\n",
            "constraint a_kind_check of public.a differs:\n      in the dump:       CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[])))\n      in production: CHECK (((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying, 'c'::character varying])::text[])))",
            "index a_kind of public.a differs:\n      in the dump:       CREATE INDEX a_kind ON public.a USING btree (c) WHERE ((kind)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))\n      in production: CREATE INDEX a_kind ON public.a USING btree (c) WHERE ((kind)::text = ANY ((ARRAY['a'::character varying, 'c'::character varying])::text[]))",
        ],
    );
    assert!(!stderr.contains("of public.v"), "{stderr}");
    assert!(stderr.contains("found 3 problem(s)"), "{stderr}");
}

/// A deploy between the preflight and the cutover (here after the build: a column, an index and
/// a grant on the restored table) is found by the cutover under its locks, before it changes
/// anything: it refuses, names each change with both definitions, and production stays as the
/// deploy left it. Once the deploy is undone, the same cutover goes through.
#[test]
fn a_deploy_during_the_restore_stops_the_cutover() {
    let cluster = Cluster::start();
    let archive = reparsed(&cluster);
    let run = archive.compile(&cluster, "shop", "deploy", "  - public.a\n", "");
    run.ok(UP_TO_VERIFY);
    cluster.query(
        "shop",
        "CREATE ROLE reporting;
         ALTER TABLE public.a ADD COLUMN loyalty_points int;
         CREATE INDEX a_loyalty ON public.a (loyalty_points);
         GRANT SELECT ON public.a TO reporting;",
    );
    let deployed = State::of(&cluster, "shop");
    let refused = run.fails("50-cutover.sh", &[]);
    assert_says(
        &refused,
        &[
            "restage cutover: production changed since the dump, and the swap would undo it; 3 difference(s):",
            "column loyalty_points of public.a is in production but not in the dump (the swap would lose it): integer",
            "index a_loyalty of public.a is in production but not in the dump (the swap would lose it): CREATE INDEX a_loyalty ON public.a USING btree (loyalty_points)",
            "grant reporting SELECT of public.a is in production but not in the dump (the swap would lose it): GRANT SELECT ON TABLE public.a TO reporting",
            "the cutover is not recorded: production is unchanged",
        ],
    );
    assert_eq!(
        State::of(&cluster, "shop"),
        deployed,
        "the cutover changed nothing"
    );

    cluster.query(
        "shop",
        "REVOKE SELECT ON public.a FROM reporting;
         DROP INDEX public.a_loyalty;
         ALTER TABLE public.a DROP COLUMN loyalty_points;",
    );
    run.ok_as_reviewed(&["50-cutover.sh"]);
}

/// The same under the rollback's locks: a change made to a restored table since the cutover
/// would be lost when the replaced table comes back, so the rollback refuses and changes
/// nothing; once the change is undone, it goes through.
#[test]
fn a_deploy_after_the_cutover_stops_the_rollback() {
    let cluster = Cluster::start();
    let archive = reparsed(&cluster);
    let run = archive.compile(&cluster, "shop", "deploy", "  - public.a\n", "");
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh", "55-after-cutover.sql"]);
    cluster.query(
        "shop",
        "ALTER TABLE public.a ADD COLUMN loyalty_points int;
         ALTER TABLE public.a DROP CONSTRAINT a_kind_check, ADD CONSTRAINT a_kind_check CHECK (kind IN ('a', 'b', 'c'));",
    );
    let deployed = State::of(&cluster, "shop");
    let refused = run.fails("60-rollback.sh", &[]);
    assert_says(
        &refused,
        &[
            "restage rollback: production changed since the cutover, and putting the replaced tables back would undo it; 2 difference(s):",
            "column loyalty_points of public.a is in production but not in the dump (the swap would lose it): integer",
            "constraint a_kind_check of public.a differs:",
            "the rollback is not recorded: production is still on the restored tables",
        ],
    );
    assert_eq!(
        State::of(&cluster, "shop"),
        deployed,
        "the rollback changed nothing"
    );

    cluster.query(
        "shop",
        "ALTER TABLE public.a DROP COLUMN loyalty_points;
         ALTER TABLE public.a DROP CONSTRAINT a_kind_check, ADD CONSTRAINT a_kind_check CHECK (kind IN ('a', 'b'));",
    );
    run.ok_as_reviewed(&["60-rollback.sh"]);
}

/// An index made on a partitioned table during the restore makes one on each of its
/// partitions: the cutover finds them under its locks and refuses, rather than build the index
/// on every swapped partition while it holds them (or swap them without it).
#[test]
fn a_partitioned_index_made_during_the_restore_stops_the_cutover() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.ev (k text NOT NULL, v int) PARTITION BY LIST (k);
         CREATE TABLE public.ev_a PARTITION OF public.ev FOR VALUES IN ('a');
         CREATE TABLE public.ev_b PARTITION OF public.ev FOR VALUES IN ('b');
         INSERT INTO public.ev SELECT (ARRAY['a', 'b'])[1 + g % 2], g FROM generate_series(1, 100) g;",
    );
    let archive = Archive::make(&cluster, "shop");
    let run = archive.compile(&cluster, "shop", "partitioned", "  - public.ev\n", "");
    run.ok(UP_TO_VERIFY);
    cluster.query("shop", "CREATE INDEX ev_v ON public.ev (v);");
    let deployed = State::of(&cluster, "shop");
    let refused = run.fails("50-cutover.sh", &[]);
    for partition in ["ev_a", "ev_b"] {
        let expected = format!(
            "index {partition}_v_idx of public.{partition} is in production but not in the dump (the swap would lose it): CREATE INDEX {partition}_v_idx ON public.{partition} USING btree (v)"
        );
        assert!(
            refused.contains(&expected),
            "missing `{expected}` in\n{refused}"
        );
    }
    assert_eq!(
        State::of(&cluster, "shop"),
        deployed,
        "the cutover changed nothing"
    );
}

/// What the swap replaces beyond definitions, changed in production since the dump (storage
/// options, replica identity, owner, comment, a column's statistics target, a trigger's firing
/// state): 40-verify.sql finds each on the restored copy and in production and refuses, and so
/// does the cutover under its locks; nothing is silently reverted.
#[test]
fn table_properties_changed_since_the_dump_stop_the_verify_and_the_cutover() {
    let cluster = Cluster::start();
    let archive = reparsed(&cluster);
    cluster.query(
        "shop",
        "CREATE ROLE app_owner;
         ALTER TABLE public.a SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01);
         ALTER TABLE public.a REPLICA IDENTITY FULL;
         ALTER TABLE public.a OWNER TO app_owner;
         COMMENT ON TABLE public.a IS 'accounts, since the migration';
         ALTER TABLE public.a ALTER COLUMN c SET STATISTICS 500;
         ALTER TABLE public.a DISABLE TRIGGER a_touch;",
    );
    let run = archive.compile(&cluster, "shop", "properties", "  - public.a\n", "");
    run.ok(&[
        "00-preflight.sql",
        "10-stage.sql",
        "20-load.sh",
        "30-build.sql",
    ]);
    let expected = [
        "storage options of public.a differs:\n      on the restored copy: (none)\n      in production:        autovacuum_vacuum_scale_factor=0.01, fillfactor=70",
        "replica identity of public.a differs:\n      on the restored copy: default\n      in production:        full",
        "owner of public.a differs:\n      on the restored copy: postgres\n      in production:        app_owner",
        "comment of public.a differs:\n      on the restored copy: (none)\n      in production:        accounts, since the migration",
        "column c of public.a differs:\n      on the restored copy: integer\n      in production:        integer STATISTICS 500",
        "firing of trigger a_touch of public.a differs:\n      on the restored copy: on origin and local\n      in production:        never (disabled)",
    ];
    let refused = run.fails("40-verify.sql", &[]);
    assert_says(&refused, &expected);
    let before = State::of(&cluster, "shop");
    let refused = run.fails("50-cutover.sh", &[]);
    assert_says(&refused, &expected);
    assert_eq!(
        State::of(&cluster, "shop"),
        before,
        "the cutover changed nothing"
    );
}

/// A table put into or taken out of a publication, or given another parent, since the dump:
/// the swap would put back the dump's memberships and parents, so the preflight refuses.
#[test]
fn publications_and_parents_changed_since_the_dump_stop_the_preflight() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.a (id int PRIMARY KEY);
         CREATE TABLE public.base (id int);
         CREATE TABLE public.other (id int);
         CREATE TABLE public.child (extra text) INHERITS (public.base);
         CREATE PUBLICATION old_pub FOR TABLE public.a;
         INSERT INTO public.a VALUES (1); INSERT INTO public.child VALUES (1, 'x');",
    );
    let archive = Archive::make(&cluster, "shop");
    cluster.query(
        "shop",
        "CREATE PUBLICATION new_pub FOR TABLE public.a;
         ALTER PUBLICATION old_pub DROP TABLE public.a;
         ALTER TABLE public.child INHERIT public.other;",
    );
    let run = archive.compile(
        &cluster,
        "shop",
        "memberships",
        "  - public.a\n  - public.child\n",
        "",
    );
    let refused = run.fails("00-preflight.sql", &[]);
    assert_says(
        &refused,
        &[
            "membership of public.a in publication new_pub is in production but not in the dump (the swap would lose it): member",
            "membership of public.a in publication old_pub is in the dump but no longer in production: member",
            "the parents (in order) of public.child differs:\n      in the dump:       public.base\n      in production: public.base, public.other",
        ],
    );
}

/// What the cutover drops and creates again is created as production has it at the cutover,
/// not as the dump had it: a hotfix to a function's body and a REVOKE on it, a grant and an
/// index on a materialized view, a materialized view refreshed since the dump (and so
/// populated again by 55). pg_dump --schema-only after the cutover equals before it.
#[test]
fn what_the_cutover_re_creates_keeps_production_as_it_is() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE ROLE reporting;
         CREATE TABLE public.customer (id int PRIMARY KEY, name text);
         INSERT INTO public.customer SELECT g, 'c' || g FROM generate_series(1, 20) g;
         CREATE FUNCTION public.best_customer() RETURNS public.customer LANGUAGE sql SECURITY DEFINER
             AS $$ SELECT * FROM public.customer ORDER BY id LIMIT 1 $$;
         CREATE MATERIALIZED VIEW public.customer_names AS SELECT id, name FROM public.customer;
         CREATE MATERIALIZED VIEW public.customer_count AS SELECT count(*) AS n FROM public.customer WITH NO DATA;",
    );
    let archive = Archive::make(&cluster, "shop");
    cluster.query(
        "shop",
        "CREATE OR REPLACE FUNCTION public.best_customer() RETURNS public.customer LANGUAGE sql SECURITY DEFINER
             AS $$ SELECT * FROM public.customer ORDER BY id DESC LIMIT 1 $$;
         REVOKE EXECUTE ON FUNCTION public.best_customer() FROM PUBLIC;
         GRANT EXECUTE ON FUNCTION public.best_customer() TO reporting;
         COMMENT ON FUNCTION public.best_customer() IS 'hotfix 42';
         GRANT SELECT ON public.customer_names TO reporting;
         CREATE INDEX customer_names_name ON public.customer_names (name);
         REFRESH MATERIALIZED VIEW public.customer_count;",
    );
    let before = State::of(&cluster, "shop");
    let run = archive.compile(&cluster, "shop", "as-it-is", "  - public.customer\n", "");
    run.ok_as_reviewed(UP_TO_VERIFY);
    run.ok_as_reviewed(&["50-cutover.sh", "55-after-cutover.sql"]);
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT (public.best_customer()).id, has_function_privilege('public', 'public.best_customer()', 'EXECUTE'),
                    has_function_privilege('reporting', 'public.best_customer()', 'EXECUTE'),
                    obj_description('public.best_customer()'::regprocedure, 'pg_proc')"
        ),
        "20|f|t|hotfix 42\n"
    );
    assert_eq!(
        cluster.query(
            "shop",
            "SELECT relname, relispopulated FROM pg_class WHERE relname IN ('customer_names', 'customer_count') ORDER BY 1"
        ),
        "customer_count|t\ncustomer_names|t\n"
    );
    assert_eq!(
        cluster.query("shop", "SELECT n FROM public.customer_count"),
        "20\n"
    );
    run.ok_as_reviewed(&["70-cleanup.sh"]);
    assert_schema_eq(
        &State::of(&cluster, "shop").schema,
        &before.schema,
        "cutover, after-cutover and cleanup",
    );
}

/// A function the swap re-creates that production no longer has as the dump names it (its
/// argument renamed since: DROP would still find it, by its types): the cutover refuses and
/// changes nothing, rather than drop it and never create it again.
#[test]
fn a_function_the_dump_names_otherwise_stops_the_cutover() {
    let cluster = Cluster::start();
    cluster.create_database("shop");
    cluster.query(
        "shop",
        "CREATE TABLE public.customer (id int PRIMARY KEY);
         INSERT INTO public.customer SELECT g FROM generate_series(1, 5) g;
         CREATE FUNCTION public.customer_by(n int) RETURNS public.customer LANGUAGE sql
             AS $$ SELECT * FROM public.customer WHERE id = n $$;",
    );
    let archive = Archive::make(&cluster, "shop");
    cluster.query(
        "shop",
        "DROP FUNCTION public.customer_by(int);
         CREATE FUNCTION public.customer_by(wanted int) RETURNS public.customer LANGUAGE sql
             AS $$ SELECT * FROM public.customer WHERE id = wanted $$;",
    );
    let run = archive.compile(&cluster, "shop", "renamed", "  - public.customer\n", "");
    run.ok(UP_TO_VERIFY);
    let before = State::of(&cluster, "shop");
    let refused = run.fails("50-cutover.sh", &[]);
    assert_says(
        &refused,
        &[
            "a function or materialized view the swap re-creates was not found in production as the dump names it",
        ],
    );
    assert_eq!(
        State::of(&cluster, "shop"),
        before,
        "the cutover changed nothing"
    );
    assert_eq!(
        cluster.query("shop", "SELECT (public.customer_by(3)).id"),
        "3\n"
    );
}
