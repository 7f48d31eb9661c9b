//! The scripts run as a superuser in a database where others can create objects, and under
//! whatever settings the role and database carry: no one else's code may run inside them, and
//! none of those settings may change what they do.

use super::cycle::{KITCHEN_TABLES, PAGILA_TABLES, kitchen, pagila};
use super::*;

/// Look-alikes of what restage's scripts call, created by an unprivileged role in every schema
/// the plan touches. Each one reports that it ran (a warning in the caller's output, a row in
/// `public.mallory_log`) and, when its caller is a superuser, makes `mallory` one; then it does
/// what the genuine one does, so that a script that calls it carries on and the escalation goes
/// unnoticed. Every overload is one PostgreSQL would prefer to pg_catalog's for some call:
/// `text` where pg_catalog takes `regclass` (an untyped literal prefers text), a concrete type
/// where pg_catalog's is polymorphic, and exact ties, which only a search_path that puts the
/// schema before pg_catalog would choose. (GREATEST, LEAST and COALESCE are grammar, not
/// functions, and cannot be replaced.)
fn mallory_objects(schema: &str) -> String {
    format!(
        r"
        CREATE FUNCTION {schema}.setval(text, bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('setval(text, bigint)'); RETURN pg_catalog.setval($1::pg_catalog.regclass, $2); END $$;
        CREATE FUNCTION {schema}.setval(text, bigint, boolean) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('setval(text, bigint, boolean)'); RETURN pg_catalog.setval($1::pg_catalog.regclass, $2, $3); END $$;
        CREATE FUNCTION {schema}.nextval(text) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('nextval(text)'); RETURN pg_catalog.nextval($1::pg_catalog.regclass); END $$;
        CREATE FUNCTION {schema}.format(text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('format(text)'); RETURN pg_catalog.format($1); END $$;
        CREATE FUNCTION {schema}.format(text, VARIADIC text[]) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('format(text, text[])'); RETURN pg_catalog.format($1, VARIADIC $2); END $$;
        CREATE FUNCTION {schema}.array_to_string(text[], text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('array_to_string(text[], text)'); RETURN pg_catalog.array_to_string($1, $2); END $$;
        CREATE FUNCTION {schema}.cardinality(text[]) RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('cardinality(text[])'); RETURN pg_catalog.cardinality($1); END $$;
        CREATE FUNCTION {schema}.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('unnest(text[])'); RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
        CREATE FUNCTION {schema}.to_regclass(text) RETURNS regclass LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('to_regclass(text)'); RETURN pg_catalog.to_regclass($1); END $$;
        CREATE FUNCTION {schema}.pg_get_serial_sequence(text, text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('pg_get_serial_sequence(text, text)'); RETURN pg_catalog.pg_get_serial_sequence($1, $2); END $$;
        CREATE FUNCTION {schema}.current_setting(text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('current_setting(text)'); RETURN pg_catalog.current_setting($1); END $$;
        CREATE FUNCTION {schema}.mallory_count_step(bigint) RETURNS bigint LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('count(*)'); RETURN $1 + 1; END $$;
        CREATE AGGREGATE {schema}.count(*) (SFUNC = {schema}.mallory_count_step, STYPE = bigint, INITCOND = '0');
        CREATE FUNCTION {schema}.mallory_max_step(integer, integer) RETURNS integer LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('max(integer)'); RETURN pg_catalog.int4larger($1, $2); END $$;
        CREATE AGGREGATE {schema}.max(integer) (SFUNC = {schema}.mallory_max_step, STYPE = integer);
        CREATE FUNCTION {schema}.mallory_oid_eq(oid, regclass) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('= (oid, regclass)'); RETURN $1 = $2::pg_catalog.oid; END $$;
        CREATE OPERATOR {schema}.= (LEFTARG = oid, RIGHTARG = regclass, FUNCTION = {schema}.mallory_oid_eq);
        CREATE FUNCTION {schema}.mallory_text_eq(text, text) RETURNS boolean LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('= (text, text)'); RETURN pg_catalog.texteq($1, $2); END $$;
        CREATE OPERATOR {schema}.= (LEFTARG = text, RIGHTARG = text, FUNCTION = {schema}.mallory_text_eq);
        CREATE FUNCTION {schema}.mallory_append(text[], text) RETURNS text[] LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('|| (text[], text)'); RETURN pg_catalog.array_append($1, $2); END $$;
        CREATE OPERATOR {schema}.|| (LEFTARG = text[], RIGHTARG = text, FUNCTION = {schema}.mallory_append);
        CREATE FUNCTION {schema}.mallory_concat(text, text) RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog
            AS $$ BEGIN PERFORM public.mallory_trap('|| (text, text)'); RETURN pg_catalog.textcat($1, $2); END $$;
        CREATE OPERATOR {schema}.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = {schema}.mallory_concat);
        "
    )
}

/// The trap every look-alike springs. The test's own queries (application name
/// `restage test harness`) are not what is under test, and are left alone.
const MALLORY_TRAP: &str = r"
    CREATE TABLE public.mallory_log (what text NOT NULL);
    GRANT INSERT ON public.mallory_log TO PUBLIC;
    CREATE FUNCTION public.mallory_trap(what text) RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog AS $$
    BEGIN
        IF pg_catalog.current_setting('application_name') = 'restage test harness' THEN
            RETURN;
        END IF;
        RAISE WARNING 'mallory trap: % ran as %', what, current_user;
        BEGIN
            INSERT INTO public.mallory_log VALUES (what || ' as ' || current_user);
            IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
                EXECUTE 'ALTER ROLE mallory SUPERUSER';
            END IF;
        EXCEPTION WHEN OTHERS THEN
            -- A read-only transaction: the warning is what is left.
            NULL;
        END;
    END $$;
";

/// Lets `mallory` create objects in `schemas` and creates its look-alikes there, as mallory.
fn plant_mallory(cluster: &Cluster, database: &str, schemas: &[&str]) {
    cluster.query(database, "CREATE ROLE mallory LOGIN");
    for schema in schemas {
        cluster.query(
            database,
            &format!("GRANT CREATE, USAGE ON SCHEMA {schema} TO mallory"),
        );
    }
    let as_mallory = |sql: &str| {
        let out = cluster.client(
            "psql",
            database,
            &[
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-U",
                "mallory",
                "-c",
                sql,
            ],
        );
        assert!(
            out.status.success(),
            "as mallory: {sql}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    as_mallory(MALLORY_TRAP);
    for schema in schemas {
        as_mallory(&mallory_objects(schema));
    }
}

/// What mallory got: whether it is a superuser now, what the trap logged, and which outputs
/// of the scripts mention the trap.
fn assert_mallory_got_nothing(cluster: &Cluster, database: &str, outputs: &[(String, Output)]) {
    for (step, output) in outputs {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(
            !text.contains("mallory trap"),
            "{step} ran one of mallory's functions:\n{text}"
        );
    }
    assert_eq!(
        cluster.query(
            "postgres",
            "SELECT rolsuper FROM pg_roles WHERE rolname = 'mallory'"
        ),
        "f\n",
        "mallory became a superuser"
    );
    assert_eq!(
        cluster.query(
            database,
            "SELECT string_agg(what, '; ') FROM public.mallory_log"
        ),
        "\n",
        "mallory's functions ran"
    );
}

/// Runs `steps` as the README says, each of which must succeed; each step's output.
fn run_all(run: &Artifacts, steps: &[&str]) -> Vec<(String, Output)> {
    steps
        .iter()
        .map(|step| {
            let args: Vec<String> = if step.starts_with("70-cleanup") {
                vec!["-v".into(), run.approve()]
            } else {
                Vec::new()
            };
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ((*step).to_owned(), run.ok_with(&[step], &args))
        })
        .collect()
}

/// Both ways through, on a database where `mallory` may create objects in every schema of
/// the plan: cutover, after-cutover and cleanup on one copy; cutover, rollback and cleanup on
/// another. Every step succeeds and mallory gains nothing.
fn mallory_cannot_ride_along(cluster: &Cluster, database: &str, tables: &str, schemas: &[&str]) {
    let archive = Archive::make(cluster, database);
    plant_mallory(cluster, database, schemas);
    let back = format!("{database}_back");
    cluster.query(
        "postgres",
        &format!("CREATE DATABASE {back} TEMPLATE {database}"),
    );
    let run = archive.compile(cluster, database, database, tables, "");
    let mut outputs = run_all(&run, UP_TO_VERIFY);
    outputs.extend(run_all(
        &run,
        &[
            "50-cutover.sh",
            "90-status.sql",
            "55-after-cutover.sql",
            "70-cleanup.sql",
        ],
    ));
    assert_mallory_got_nothing(cluster, database, &outputs);

    let run = run.on(&back);
    let mut outputs = run_all(&run, UP_TO_VERIFY);
    outputs.extend(run_all(
        &run,
        &[
            "50-cutover.sh",
            "60-rollback.sql",
            "90-status.sql",
            "70-cleanup.sql",
        ],
    ));
    assert_mallory_got_nothing(cluster, &back, &outputs);
}

#[test]
fn no_one_elses_functions_or_operators_run_in_pagila_scripts() {
    let cluster = Cluster::start();
    pagila(&cluster);
    mallory_cannot_ride_along(&cluster, "pagila", PAGILA_TABLES, &["public"]);
}

#[test]
fn no_one_elses_functions_or_operators_run_in_kitchen_scripts() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    mallory_cannot_ride_along(
        &cluster,
        "kitchen",
        KITCHEN_TABLES,
        &["public", "app", "\"Weird Schema\""],
    );
}

/// A role whose defaults would break every script that inherits them: timeouts far too short
/// for a load or a build, an idle timeout shorter than a pipeline's pauses, serializable
/// transactions, backslash escapes in plain literals, a Latin-1 client encoding (the scripts
/// are UTF-8, and the kitchen's names are not all ASCII), and a search path of its own. Every
/// script sets what it relies on itself: the whole cycle both ways goes through, and the schema
/// comes back byte for byte.
#[test]
fn scripts_never_inherit_settings_from_the_role() {
    let cluster = Cluster::start();
    kitchen(&cluster);
    let archive = Archive::make(&cluster, "kitchen");
    cluster.query("postgres", "CREATE DATABASE kitchen_back TEMPLATE kitchen");
    let before = State::of(&cluster, "kitchen");
    cluster.query("postgres", "CREATE ROLE dba LOGIN SUPERUSER");
    let mut settings = vec![
        "statement_timeout = '50ms'",
        "lock_timeout = '1ms'",
        "idle_in_transaction_session_timeout = '20ms'",
        "default_transaction_isolation = 'serializable'",
        "standard_conforming_strings = off",
        "client_encoding = 'LATIN1'",
        "search_path = app, public",
    ];
    if cluster.major() >= 17 {
        settings.push("transaction_timeout = '200ms'");
    }
    for setting in settings {
        cluster.query("postgres", &format!("ALTER ROLE dba SET {setting}"));
    }

    let run = archive.compile(&cluster, "kitchen", "kitchen", KITCHEN_TABLES, "");
    let run = run.as_user("dba");
    run.ok(UP_TO_VERIFY);
    run.ok(&["50-cutover.sh", "55-after-cutover.sql"]);
    run.ok_with(&["70-cleanup.sql"], &["-v", &run.approve()]);
    assert_schema_eq(
        &State::of(&cluster, "kitchen").schema,
        &before.schema,
        "cutover, after-cutover and cleanup under the role's settings",
    );

    let back = run.on("kitchen_back");
    back.ok(UP_TO_VERIFY);
    back.ok(&["50-cutover.sh", "60-rollback.sql"]);
    back.ok_with(&["70-cleanup.sql"], &["-v", &back.approve()]);
    let after = State::of(&cluster, "kitchen_back");
    assert_schema_eq(
        &after.schema,
        &before.schema,
        "rollback under the role's settings",
    );
    assert_eq!(
        after.tables, before.tables,
        "rollback under the role's settings"
    );
}
