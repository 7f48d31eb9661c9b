{#- Pieces every script shares. -#}
{% macro header(session, versions, version, plan, digest, step, what, run, quiet=false) -%}
\set ON_ERROR_STOP on
-- restage {{ version }} | plan {{ plan }} | digest {{ digest }}
-- {{ step }}: {{ what }}
-- Run: {{ run }}
-- The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).

-- This session's settings, pinned as pg_dump's own output pins them, whatever the role and the
-- database say: an empty search_path (every name below is schema-qualified, and no function or
-- operator outside pg_catalog can be reached), no inherited timeouts (each transaction that
-- locks production sets its own), read committed.
{% if quiet %}
\set QUIET on
{% endif %}
{% for s in session %}
SET {{ s.name }} = {{ s.value }};
{% endfor %}
SET application_name = 'restage {{ plan }} {{ step }}';
SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4 >= {{ versions.transaction_timeout }} AS restage_pg17 \gset
\if :restage_pg17
SET transaction_timeout = 0;
\endif
{%- endmacro %}

{% macro guard_sql(tag, plan, guard) -%}
DO {{ tag }}
BEGIN
    PERFORM pg_catalog.set_config('lock_timeout', '2s', true);
    PERFORM pg_catalog.pg_advisory_lock({{ guard.key }});
EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION 'restage: another restage step of plan {{ plan }} is running: %', (
        SELECT pg_catalog.string_agg(pg_catalog.format('%s (pid %s, since %s)', a.application_name, a.pid,
                   pg_catalog.date_trunc('second', a.backend_start)), ', ')
        FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {{ guard.classid }} AND l.objid = {{ guard.objid }} AND l.objsubid = 1)
        USING HINT = 'wait for it to end, then run this again; nothing was changed';
END
{{ tag }};
{%- endmacro %}

{% macro guard(tag, plan, guard) -%}
-- One step of this plan at a time: a second run of any step waits 2s at most for this lock,
-- then says who holds it. It is held until this session ends.
{{ guard_sql(tag, plan, guard) }}
{%- endmacro %}

{% macro check_digest(tag, run, plan, digest) -%}
-- Refuse to run against staging made by another plan, or by another version of this one.
DO {{ tag }}
BEGIN
    IF pg_catalog.to_regclass({{ run.run | literal }}) IS NULL THEN
        RAISE EXCEPTION 'restage: there is no run record in schema %', {{ run.schema | literal }}
            USING HINT = 'run 00-preflight.sql and 10-stage.sql first';
    END IF;
    IF NOT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest | literal }}) THEN
        RAISE EXCEPTION 'restage: schema % was staged by another plan or another version of this plan (digest %), not by plan {{ plan }} (digest {{ digest }})',
            {{ run.schema | literal }}, (SELECT digest FROM {{ run.run }} LIMIT 1)
            USING HINT = 'use the artifacts that staged it, or its 70-cleanup.sql, before these';
    END IF;
END
{{ tag }};
{%- endmacro %}

{% macro progress_flag(run, name, step) -%}
SELECT EXISTS (SELECT FROM {{ run.progress }} WHERE step = '{{ step }}') AS {{ name }} \gset
{%- endmacro %}

{% macro lock_limits(cutover, bounded) -%}
-- This transaction locks production, and sets its own limits. The whole lock acquisition takes
-- at most restage_lock_ms: the plan's lock_timeout ({{ cutover.lock_ms }} ms), or three quarters of
-- the server's deadlock_timeout if that is less, so that no client waiting behind it ever waits
-- long enough to be picked as a deadlock victim. A client that stops in the middle cannot keep
-- the locks: the server ends a session idle in this transaction after {{ cutover.idle_ms }} ms.
SELECT l.ms AS restage_lock_ms, GREATEST(1, l.ms / 4) AS restage_wait_ms,
       l.ms + {{ cutover.statement_ms }} AS restage_transaction_ms
FROM pg_catalog.pg_settings s, LATERAL (SELECT GREATEST(1, LEAST({{ cutover.lock_ms }}, s.setting::pg_catalog.int4 * 3 / 4)) AS ms) AS l
WHERE s.name = 'deadlock_timeout' \gset
SET LOCAL lock_timeout = :restage_lock_ms;
SET LOCAL idle_in_transaction_session_timeout = {{ cutover.idle_ms }};
{% if bounded %}
\if :restage_pg17
-- All of it, locks, work and COMMIT (a wait for a synchronous standby included), at most
-- the acquisition plus statement_timeout.
SET LOCAL transaction_timeout = :restage_transaction_ms;
\endif
{% endif %}
{%- endmacro %}

{% macro before_locking(tag, locks) -%}
-- A COMMIT waits for the synchronous standbys (synchronous_standby_names) while it holds every
-- lock: with one of them down, it would hold them until the standby is back.
DO {{ tag }}
DECLARE
    names text := pg_catalog.current_setting('synchronous_standby_names');
    wanted int;
    streaming int;
BEGIN
    IF names = '' OR pg_catalog.current_setting('synchronous_commit') IN ('off', 'local') THEN
        RETURN;
    END IF;
    IF NOT pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE') THEN
        RAISE EXCEPTION 'restage: synchronous standbys must confirm every COMMIT (synchronous_standby_names = %), and role % cannot see whether they are streaming', names, current_user
            USING HINT = 'grant pg_read_all_stats (or pg_monitor) to this role, then run this again; nothing was changed';
    END IF;
    wanted := coalesce(pg_catalog.substring(pg_catalog.upper(names), '^\s*(?:(?:FIRST|ANY)\s+)?([0-9]+)\s*\('), '1')::pg_catalog.int4;
    SELECT pg_catalog.count(*) INTO streaming FROM pg_catalog.pg_stat_replication
    WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum');
    IF streaming < wanted THEN
        RAISE EXCEPTION 'restage: % synchronous standby(s) must confirm every COMMIT (synchronous_standby_names = %), and % of them are streaming: the COMMIT would wait for them while holding every lock', wanted, names, streaming
            USING HINT = 'bring the synchronous standbys back (see pg_stat_replication), then run this again; nothing was changed';
    END IF;
END
{{ tag }};

-- An autovacuum that prevents wraparound is never cancelled for a lock, so every attempt to
-- lock its table would time out behind it.
DO {{ tag }}
DECLARE
    working text;
BEGIN
    SELECT pg_catalog.string_agg(pg_catalog.format('%s (pid %s)', p.relid::pg_catalog.regclass, a.pid), ', ') INTO working
    FROM pg_catalog.pg_stat_progress_vacuum p JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid
    WHERE a.query LIKE 'autovacuum:%(to prevent wraparound)'
      AND p.relid IN (SELECT pg_catalog.to_regclass(t) FROM pg_catalog.unnest(ARRAY[{{ locks.relations | join(", ") }}]::pg_catalog.text[]) AS t);
    IF working IS NOT NULL THEN
        RAISE EXCEPTION 'restage: autovacuum is working on % to prevent wraparound: it is never cancelled for a lock, so every attempt would time out behind it', working
            USING ERRCODE = 'object_in_use', HINT = 'wait until it is done (pg_stat_progress_vacuum), then run this again; the .sh driver waits for it by itself. Nothing was changed';
    END IF;
END
{{ tag }};
{%- endmacro %}

{% macro acquire(tag, locks, cutover, what) -%}
-- Every lock {{ what }} needs, taken now, in one statement, before anything changes. Its
-- statement_timeout bounds the whole acquisition: no one waits behind an attempt for longer
-- than restage_lock_ms. The locks are asked for in this order; one not granted within a
-- quarter of that time is held by a session that may be waiting for one already taken here,
-- so all are let go and asked for again, that one first. Views, materialized views and
-- sequences are locked by ALTER ... OWNER TO the owner they already have, which takes ACCESS
-- EXCLUSIVE on them and changes nothing: LOCK TABLE cannot lock the latter two, and on a view
-- it would also lock every table the view reads. An attempt that runs out of time ends with
-- SQLSTATE 55P03, having changed nothing.
SET LOCAL statement_timeout = :restage_lock_ms;
SET LOCAL lock_timeout = :restage_wait_ms;
DO {{ tag }}
DECLARE
    -- Each relation, and how it is locked: a LOCK TABLE mode, or OWNER.
    wanted CONSTANT text[] := ARRAY[
{% for l in locks.items %}
        [{{ l.relation }}, '{{ l.how }}']{% if not loop.last %},{% endif %}

{% endfor %}
    ];
    first int := 1;
    waiting int;
    i int;
    r record;
BEGIN
    LOOP
        BEGIN
            FOR i IN SELECT n FROM pg_catalog.generate_series(1, pg_catalog.array_length(wanted, 1)) AS n
                     ORDER BY n <> first, n LOOP
                waiting := i;
                IF wanted[i][2] = 'OWNER' THEN
                    SELECT c.oid::pg_catalog.regclass AS relation, c.relkind, c.relowner::pg_catalog.regrole AS owner, c.xmin AS version
                    INTO r FROM pg_catalog.pg_class c WHERE c.oid = wanted[i][1]::pg_catalog.regclass;
                    EXECUTE pg_catalog.format('ALTER %s %s OWNER TO %s',
                        CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'SEQUENCE' END, r.relation, r.owner);
                    -- Had another session changed its owner meanwhile, OWNER TO would have changed
                    -- it back: let go, and read it again.
                    IF (SELECT c.xmin FROM pg_catalog.pg_class c WHERE c.oid = r.relation) <> r.version THEN
                        RAISE EXCEPTION 'restage: % changed while it was being locked', r.relation USING ERRCODE = 'lock_not_available';
                    END IF;
                ELSE
                    EXECUTE pg_catalog.format('LOCK TABLE ONLY %s IN %s MODE', wanted[i][1], wanted[i][2]);
                END IF;
            END LOOP;
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            first := waiting;
        END;
    END LOOP;
EXCEPTION WHEN query_canceled THEN
    RAISE EXCEPTION 'restage: {{ what }} did not get all its locks within %, waiting for %: a session holds it, or waits for one of the others',
        pg_catalog.current_setting('statement_timeout'), wanted[waiting][1]
        USING ERRCODE = 'lock_not_available', HINT = 'nothing was changed; the .sh driver tries again';
END
{{ tag }};
SET LOCAL statement_timeout = {{ cutover.statement_timeout }};
SET LOCAL lock_timeout = :restage_lock_ms;
-- Every lock is held from here to COMMIT: nothing below waits for one.
{%- endmacro %}

{% macro setval(run, s) -%}
SELECT pg_catalog.setval({{ s.sequence | literal }}::pg_catalog.regclass, {{ s.pick }}((SELECT t.target FROM {{ run.targets }} t WHERE t.item = {{ s.key }}), (SELECT last_value FROM {{ s.floor }})));
{%- endmacro %}

{% macro target(run, s) -%}
INSERT INTO {{ run.targets }} (item, target)
SELECT {{ s.key }}, pg_catalog.{{ s.extreme }}(v) FROM ({% for t in s.tables %}SELECT pg_catalog.{{ s.extreme }}({{ s.column }}) FROM ONLY {{ t }}{% if not loop.last %} UNION ALL {% endif %}{% endfor %}) AS t (v)
ON CONFLICT (item) DO UPDATE SET target = EXCLUDED.target;
{%- endmacro %}

{#- Stops the step, having changed nothing, when `problems` (an array of text) holds any:
    one line each, after `what` and their count (`noun`, e.g. 'difference(s)'). -#}
{% macro refuse_on(tag, problems, what, noun, hint) -%}
DO {{ tag }}
DECLARE
    problems text[] := {{ problems }};
BEGIN
    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION '{{ what }}; % {{ noun }}:%', pg_catalog.cardinality(problems),
            E'\n  - ' || pg_catalog.array_to_string(problems, E'\n  - ')
            USING HINT = '{{ hint }}';
    END IF;
END
{{ tag }};
{%- endmacro %}

{#- The functions and materialized views the swap drops and creates again, as production has
    them now, under the locks: each one's definition, owner, grants, comments and (materialized
    views) storage options and indexes, as statements kept in a temporary table for
    recreate_as_production to run after the swap; and whether each materialized view is
    populated, in the run record, for 55-after-cutover.sql (or the rollback) to refresh it. A
    change made in production since the dump (a hotfix to a function's body, a REVOKE, an index
    on a materialized view) is kept, not undone. -#}
{% macro keep_as_production(tag, run, dependents) -%}
{% if dependents.functions or dependents.matviews %}
CREATE TEMPORARY TABLE restage_recreate (phase pg_catalog.int4, n pg_catalog.int4 GENERATED ALWAYS AS IDENTITY, statement pg_catalog.text) ON COMMIT DROP;
{% for f in dependents.functions %}
INSERT INTO pg_temp.restage_recreate (phase, statement)
SELECT 1, x.statement
FROM pg_catalog.pg_proc p,
     LATERAL (SELECT pg_catalog.format('%s %s', {{ f.kind | literal }}, {{ f.signature | literal }}) AS name) AS f,
     LATERAL (
         SELECT 1 AS o, pg_catalog.pg_get_functiondef(p.oid) AS statement
         UNION ALL
         SELECT 2, pg_catalog.format('ALTER %s OWNER TO %I', f.name, pg_catalog.pg_get_userbyid(p.proowner))
         UNION ALL
         SELECT 3, pg_catalog.format('REVOKE ALL ON %s FROM PUBLIC, %I', f.name, pg_catalog.pg_get_userbyid(p.proowner)) WHERE p.proacl IS NOT NULL
         UNION ALL
         SELECT 4, pg_catalog.format('GRANT %s ON %s TO %s%s', a.privilege_type, f.name,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                    CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
         FROM pg_catalog.aclexplode(p.proacl) AS a
         UNION ALL
         SELECT 5, pg_catalog.format('COMMENT ON %s IS %L', f.name, d.description)
         FROM pg_catalog.pg_description d WHERE d.objoid = p.oid AND d.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objsubid = 0
     ) AS x
WHERE p.pronamespace = pg_catalog.to_regnamespace(pg_catalog.quote_ident({{ f.schema | literal }}))
  AND {{ f.signature | literal }} = pg_catalog.format('%s(%s)', p.oid::pg_catalog.regproc, pg_catalog.pg_get_function_identity_arguments(p.oid))
ORDER BY x.o, x.statement;
{% endfor %}
{% for m in dependents.matviews %}
INSERT INTO pg_temp.restage_recreate (phase, statement)
SELECT 2, x.statement
FROM pg_catalog.pg_class c,
     LATERAL (
         SELECT 1 AS o, pg_catalog.format('CREATE MATERIALIZED VIEW %s%s%s AS %s WITH NO DATA', c.oid::pg_catalog.regclass,
                    CASE WHEN am.amname <> 'heap' THEN ' USING ' || pg_catalog.quote_ident(am.amname) ELSE '' END,
                    CASE WHEN c.reloptions IS NOT NULL THEN ' WITH (' || pg_catalog.array_to_string(c.reloptions, ', ') || ')' ELSE '' END,
                    pg_catalog.rtrim(pg_catalog.pg_get_viewdef(c.oid), ';')) AS statement
         FROM pg_catalog.pg_am am WHERE am.oid = c.relam
         UNION ALL
         SELECT 2, pg_catalog.format('ALTER MATERIALIZED VIEW %s OWNER TO %I', c.oid::pg_catalog.regclass, pg_catalog.pg_get_userbyid(c.relowner))
         UNION ALL
         -- Column settings: compression, storage, statistics target, options.
         SELECT 2, pg_catalog.format('ALTER MATERIALIZED VIEW %s ALTER COLUMN %I %s', c.oid::pg_catalog.regclass, a.attname, x.setting)
         FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid,
              LATERAL (
                  SELECT 'SET COMPRESSION ' || CASE a.attcompression WHEN 'p' THEN 'pglz' WHEN 'l' THEN 'lz4' END AS setting
                  WHERE a.attcompression IN ('p', 'l')
                  UNION ALL
                  SELECT 'SET STORAGE ' || CASE a.attstorage WHEN 'p' THEN 'PLAIN' WHEN 'e' THEN 'EXTERNAL' WHEN 'm' THEN 'MAIN' ELSE 'EXTENDED' END
                  WHERE a.attstorage <> t.typstorage
                  UNION ALL
                  SELECT 'SET STATISTICS ' || a.attstattarget WHERE COALESCE(a.attstattarget, -1) <> -1
                  UNION ALL
                  SELECT 'SET (' || pg_catalog.array_to_string(a.attoptions, ', ') || ')' WHERE a.attoptions IS NOT NULL
              ) AS x
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         UNION ALL
         SELECT 3, pg_catalog.pg_get_indexdef(i.indexrelid) FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid
         UNION ALL
         SELECT 4, pg_catalog.format('GRANT %s ON %s TO %s%s', a.privilege_type, c.oid::pg_catalog.regclass,
                    CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END,
                    CASE WHEN a.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
         FROM pg_catalog.aclexplode(c.relacl) AS a WHERE a.grantee <> c.relowner
         UNION ALL
         SELECT 5, CASE WHEN d.objsubid = 0
                        THEN pg_catalog.format('COMMENT ON MATERIALIZED VIEW %s IS %L', c.oid::pg_catalog.regclass, d.description)
                        ELSE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', c.oid::pg_catalog.regclass,
                                 (SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = c.oid AND attnum = d.objsubid), d.description) END
         FROM pg_catalog.pg_description d WHERE d.objoid = c.oid AND d.classoid = 'pg_catalog.pg_class'::pg_catalog.regclass
     ) AS x
WHERE c.oid = {{ m.name | literal }}::pg_catalog.regclass
ORDER BY x.o, x.statement;
INSERT INTO {{ run.progress }} (step, item)
SELECT 'populated', {{ m.name | literal }} FROM pg_catalog.pg_class WHERE oid = {{ m.name | literal }}::pg_catalog.regclass AND relispopulated
ON CONFLICT (step, item) DO NOTHING;
{% endfor %}
-- Each one found, or nothing is dropped: one the catalog lookup missed would be dropped below
-- and never created again.
DO {{ tag }}
BEGIN
    IF (SELECT pg_catalog.count(*) FROM pg_temp.restage_recreate WHERE phase = 1 AND statement LIKE 'CREATE OR REPLACE %') <> {{ dependents.functions | length }}
       OR (SELECT pg_catalog.count(*) FROM pg_temp.restage_recreate WHERE phase = 2 AND statement LIKE 'CREATE MATERIALIZED VIEW %') <> {{ dependents.matviews | length }} THEN
        RAISE EXCEPTION 'restage: a function or materialized view the swap re-creates was not found in production as the dump names it'
            USING HINT = 'nothing was changed; take a new dump and compile again';
    END IF;
END
{{ tag }};
{% endif %}
{%- endmacro %}
{% macro let_go(tag, run, units, dependents, reorders, rollback) -%}
{% for u in units %}
{% set a = u.attached %}
{% for fk in a.inbound %}
ALTER TABLE {{ fk.table }} DROP CONSTRAINT {{ fk.name }};
{% endfor %}
{% for p in a.publications %}
ALTER PUBLICATION {{ p.name }} DROP TABLE {{ u.production }};
{% endfor %}
{% for child in a.children %}
-- {{ child.name }} inherits from the table coming in before it stops inheriting from the one
-- going out, so its inherited columns stay inherited.
ALTER TABLE {{ child.name }} INHERIT {{ u.retired if rollback else u.staging }};
ALTER TABLE {{ child.name }} NO INHERIT {{ u.production }};
{% endfor %}
{% if a.inheritance %}
{% for shadow in a.inheritance.shadows %}
-- {{ u.label }} changes places under {{ shadow.parent }}: each copy joins its new parent
-- before it leaves the old one, so its inherited columns stay inherited.
{% if rollback %}
ALTER TABLE {{ u.retired }} INHERIT {{ shadow.parent }};
ALTER TABLE {{ u.retired }} NO INHERIT {{ shadow.retired }};
ALTER TABLE {{ u.production }} INHERIT {{ shadow.staging }};
ALTER TABLE {{ u.production }} NO INHERIT {{ shadow.parent }};
{% else %}
ALTER TABLE {{ u.staging }} INHERIT {{ shadow.parent }};
ALTER TABLE {{ u.staging }} NO INHERIT {{ shadow.staging }};
ALTER TABLE {{ u.production }} INHERIT {{ shadow.retired }};
ALTER TABLE {{ u.production }} NO INHERIT {{ shadow.parent }};
{% endif %}
{% endfor %}
{% endif %}
{% endfor %}
{% for r in reorders %}
-- {{ r.child }} has its parents in the dump's order again: each of the last ones is taken once
-- more, an empty stand-in inheriting meanwhile, so that nothing inherited becomes its own.
{% for parent in r.parents %}
CREATE TABLE {{ r.stand_in }} (LIKE {{ parent }} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
ALTER TABLE {{ r.child }} INHERIT {{ r.stand_in }};
ALTER TABLE {{ r.child }} NO INHERIT {{ parent }};
ALTER TABLE {{ r.child }} INHERIT {{ parent }};
ALTER TABLE {{ r.child }} NO INHERIT {{ r.stand_in }};
DROP TABLE {{ r.stand_in }};
{% endfor %}
{% endfor %}
{{ keep_as_production(tag, run, dependents) }}
{% for m in dependents.matviews | reverse %}
DROP MATERIALIZED VIEW {{ m.name }};
{% endfor %}
{% for f in dependents.functions %}
DROP {{ f.kind }} {{ f.signature }};
{% endfor %}
{% for fk in dependents.parent_foreign_keys %}
ALTER TABLE {{ fk.table }} DROP CONSTRAINT {{ fk.name }};
{% endfor %}

-- 2. Partitions leave their partitioned tables.
{% for u in units %}
{% if u.partition %}
ALTER TABLE {{ u.partition.parent }} DETACH PARTITION {{ u.production }};
{% endif %}
{% endfor %}
{%- endmacro %}

{% macro point_back(tag, units, dependents) -%}
{% for u in units %}
{% for fk in u.attached.inbound %}
{{ fk.add }}
{% endfor %}
{% for p in u.attached.publications %}
{{ p.add }}
{% endfor %}
{% endfor %}
{% for view in dependents.views %}
{{ view.create }}
{% endfor %}
{% if dependents.functions or dependents.matviews %}
-- The functions and materialized views dropped above, as production had them (kept by
-- keep_as_production): functions first, which materialized views may call.
DO {{ tag }}
DECLARE
    r record;
BEGIN
    FOR r IN SELECT statement FROM pg_temp.restage_recreate ORDER BY phase, n LOOP
        EXECUTE r.statement;
    END LOOP;
END
{{ tag }};
{% endif %}
{%- endmacro %}

{% macro locked(tag, cutover, locks, what) -%}
BEGIN;
{{ lock_limits(cutover, false) }}
{{ before_locking(tag, locks) }}
{{ acquire(tag, locks, cutover, what) }}
{%- endmacro %}

{#- What 55 (or the rollback) has left to do, into PL/pgSQL variables: the foreign keys it
    re-pointed that production had valid and are still NOT VALID, those the plan accepts
    (accept_orphans: NULL when none) and those it does not (NULL when none), and the
    materialized views it re-created that are not populated. -#}
{% macro unfinished(run, units, dependents) -%}
SELECT pg_catalog.array_agg(pg_catalog.format('%s of %s', v.name, v.tbl) ORDER BY v.tbl, v.name) FILTER (WHERE NOT v.accepted),
           pg_catalog.array_agg(pg_catalog.format('%s of %s', v.name, v.tbl) ORDER BY v.tbl, v.name) FILTER (WHERE v.accepted)
    INTO invalid, accepted
    FROM ROWS FROM (
        pg_catalog.unnest(ARRAY[{% for u in units %}{% for fk in u.attached.inbound if fk.validated %}{{ fk.table | literal }}, {% endfor %}{% endfor %}NULL]::pg_catalog.text[]),
        pg_catalog.unnest(ARRAY[{% for u in units %}{% for fk in u.attached.inbound if fk.validated %}{{ fk.catalog_name }}, {% endfor %}{% endfor %}NULL]::pg_catalog.text[]),
        pg_catalog.unnest(ARRAY[{% for u in units %}{% for fk in u.attached.inbound if fk.validated %}{{ fk.accept_orphans }}, {% endfor %}{% endfor %}NULL]::pg_catalog.bool[])) AS v (tbl, name, accepted)
    JOIN pg_catalog.pg_constraint k ON k.conrelid = pg_catalog.to_regclass(v.tbl) AND k.conname = v.name
    WHERE NOT k.convalidated;
    unpopulated := ARRAY(
        SELECT c.oid::pg_catalog.regclass::pg_catalog.text
        FROM {{ run.progress }} v
        JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(v.item)
        WHERE v.step = 'populated' AND NOT c.relispopulated
        ORDER BY 1);
{%- endmacro %}
{% macro validate_and_refresh(tag, run, cutover, units, dependents, step) -%}
-- Each on its own: a key that cannot be validated (a row that points at a row the restored
-- table lacks, a lock not granted in time) keeps neither the other keys nor the refreshes from
-- being done. The errors say why; the report at the end names what is left, and fails.
-- What is done already (a rerun) is not done again.
\set ON_ERROR_STOP off
{% for u in units %}
{% for fk in u.attached.inbound if fk.validated and not fk.checked_at_cutover %}
\set restage_to_do true
SELECT NOT convalidated AS restage_to_do FROM pg_catalog.pg_constraint WHERE conrelid = {{ fk.table | literal }}::pg_catalog.regclass AND conname = {{ fk.catalog_name }} \gset
\if :restage_to_do
{{ locked(tag, cutover, fk.validate_locks, "validating a foreign key") }}
SET LOCAL statement_timeout = 0;
ALTER TABLE {{ fk.table }} VALIDATE CONSTRAINT {{ fk.name }};
COMMIT;
\endif
{% endfor %}
{% endfor %}
{% for m in dependents.matviews %}
\set restage_to_do true
SELECT NOT c.relispopulated AND EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'populated' AND item = {{ m.name | literal }}) AS restage_to_do
FROM pg_catalog.pg_class c WHERE c.oid = {{ m.name | literal }}::pg_catalog.regclass \gset
\if :restage_to_do
{{ locked(tag, cutover, m.refresh_locks, "refreshing a materialized view") }}
SET LOCAL statement_timeout = 0;
REFRESH MATERIALIZED VIEW {{ m.name }};
COMMIT;
\endif
{% endfor %}
\set ON_ERROR_STOP on
DO {{ tag }}
DECLARE
    invalid text[];
    accepted text[];
    unpopulated text[];
BEGIN
    {{ unfinished(run, units, dependents) }}
    IF accepted IS NOT NULL THEN
        RAISE NOTICE 'restage {{ step }}: foreign key(s) % stay NOT VALID: rows of those tables point at rows the restored tables lack, which the plan accepts (accept_orphans)',
            pg_catalog.array_to_string(accepted, ', ');
    END IF;
    IF invalid IS NOT NULL OR pg_catalog.cardinality(unpopulated) > 0 THEN
        RAISE EXCEPTION 'restage {{ step }}: not finished: % foreign key(s) NOT VALID (%), % materialized view(s) not populated (%)',
            coalesce(pg_catalog.cardinality(invalid), 0), coalesce(pg_catalog.array_to_string(invalid, ', '), 'none'),
            pg_catalog.cardinality(unpopulated), coalesce(NULLIF(pg_catalog.array_to_string(unpopulated, ', '), ''), 'none')
            USING ERRCODE = 'RSTG1',
                  HINT = 'the errors above say why: rows that point at rows the restored tables lack (the query 40-verify.sql prints lists them, with the restored table''s production name in place of its staging one), or a lock not granted in time. Deal with them, then run this again: it validates and refreshes what is left';
    END IF;
END
{{ tag }};
{%- endmacro %}

{#- The SQL the shell scripts send, each one text for `| shell`. -#}

{#- The session settings for one `psql -c`, named restage <plan> <step>. -#}
{% macro session_line(session, versions, plan, tag, step) -%}
{% for s in session %}SET {{ s.name }} = {{ s.value }}; {% endfor %}SET application_name = 'restage {{ plan }} {{ step }}'; DO {{ tag }} BEGIN IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 >= {{ versions.transaction_timeout }} THEN PERFORM pg_catalog.set_config('transaction_timeout', '0', false); END IF; END {{ tag }};
{%- endmacro %}

{#- Whether unit u is loaded and still holds its rows: a crash or failover empties UNLOGGED
    tables but not the (logged) progress record. -#}
{% macro loaded(run, u) -%}
EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'load' AND item = {{ u.item }} AND (rows = 0 OR EXISTS (SELECT FROM ONLY {{ u.staging }})))
{%- endmacro %}

{#- no, loaded, or emptied: recorded with rows its staging copy no longer holds. -#}
{% macro load_state(run, u) -%}
SELECT CASE WHEN {{ loaded(run, u) }} THEN 'loaded' WHEN EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'load' AND item = {{ u.item }}) THEN 'emptied' ELSE 'no' END
{%- endmacro %}

{#- What precedes a unit's COPY stream: it empties the staging table, in a transaction that the
    stream and load_end complete. -#}
{% macro load_begin(session_sql, tag, run, digest, u) -%}
{{ session_sql }}
BEGIN;
DO {{ tag }} BEGIN IF NOT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest | literal }}) THEN RAISE EXCEPTION 'restage load: the staging schema was made by another plan or version'; END IF; END {{ tag }};
TRUNCATE ONLY {{ u.staging }};
DELETE FROM {{ run.progress }} WHERE step = 'load' AND item = {{ u.item }};
{%- endmacro %}

{% macro load_end(run, u) -%}
INSERT INTO {{ run.progress }} (step, item, rows, bytes) SELECT 'load', {{ u.item }}, pg_catalog.count(*), pg_catalog.pg_table_size({{ u.staging | literal }}::pg_catalog.regclass) FROM ONLY {{ u.staging }};
COMMIT;
SELECT rows FROM {{ run.progress }} WHERE step = 'load' AND item = {{ u.item }};
{%- endmacro %}

{#- Where a driver's step has got to, by the run record: other, staged, cut-over or
    rolled-back. -#}
{% macro run_state(run, digest) -%}
SELECT CASE WHEN NOT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest | literal }}) THEN 'other' WHEN EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'rollback') THEN 'rolled-back' WHEN EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'cutover') THEN 'cut-over' ELSE 'staged' END
{%- endmacro %}

{#- One line per autovacuum that works to prevent wraparound on one of relations (literals). -#}
{% macro wraparound_vacuums(relations) -%}
SELECT pg_catalog.format('%s (pid %s, %s, %s%% of its heap scanned)', p.relid::pg_catalog.regclass, a.pid, p.phase, CASE WHEN p.heap_blks_total > 0 THEN 100 * p.heap_blks_scanned / p.heap_blks_total ELSE 0 END) FROM pg_catalog.pg_stat_progress_vacuum p JOIN pg_catalog.pg_stat_activity a ON a.pid = p.pid WHERE a.query LIKE 'autovacuum:%(to prevent wraparound)' AND p.relid IN (SELECT pg_catalog.to_regclass(t) FROM pg_catalog.unnest(ARRAY[{{ relations | join(", ") }}]::pg_catalog.text[]) AS t)
{%- endmacro %}

{#- A policy's expressions as the drift check compares them: USING (...) WITH CHECK (...). -#}
{% macro policy_expressions(p) -%}
pg_catalog.concat_ws(' ', 'USING (' || pg_catalog.pg_get_expr({{ p }}.polqual, {{ p }}.polrelid) || ')', 'WITH CHECK (' || pg_catalog.pg_get_expr({{ p }}.polwithcheck, {{ p }}.polrelid) || ')')
{%- endmacro %}

{#- pg_temp.restage_understood(kind, tbl, name, definition): a definition as this server
    prints it once it has read it, so that two texts that mean the same compare equal
    (PostgreSQL's deparse is not a fixed point: `NULL::integer` in a UNION arm comes back as
    `NULL::integer AS int4`, an IN list over varchar moves its cast onto each element). The
    definition is created on scratch objects in this session's temporary schema, an empty copy
    of production's columns for what hangs off a table, and read back with the same
    pg_get_*def function that prints production's; a subtransaction rolled back at once keeps
    neither the objects nor their locks. A definition with no expression in it (a key, a
    foreign key, a grant, a column's type) prints as it is read and is returned as it is, and
    so is one the server cannot create on an empty copy (it then compares as written). Nothing
    of it runs: the scratch table has no rows. -#}
{% macro understood(tag) -%}
CREATE FUNCTION pg_temp.restage_understood(kind pg_catalog.text, tbl pg_catalog.text, name pg_catalog.text, definition pg_catalog.text)
RETURNS pg_catalog.text LANGUAGE plpgsql AS {{ tag }}
DECLARE
    -- One name serves every call: each call's objects are gone before the next is made.
    scratch pg_catalog.text := 'restage_scratch';
    scratch_table pg_catalog.text := 'pg_temp.restage_scratch';
    printed pg_catalog.text;
    clause pg_catalog.text;
    at pg_catalog.int4;
BEGIN
    IF definition IS NULL
       OR kind NOT IN ('view', 'constraint', 'index', 'trigger', 'policy')
       OR (kind = 'constraint' AND definition !~ '^(CHECK|EXCLUDE) ')
       OR (kind = 'trigger' AND pg_catalog.strpos(definition, ' WHEN (') = 0) THEN
        RETURN definition;
    END IF;
    BEGIN
        IF kind = 'view' THEN
            EXECUTE pg_catalog.format('CREATE TEMPORARY VIEW %I AS %s', scratch, definition);
            printed := pg_catalog.rtrim(pg_catalog.pg_get_viewdef(scratch_table::pg_catalog.regclass), ';');
        ELSE
            EXECUTE pg_catalog.format('CREATE TEMPORARY TABLE %I (LIKE %s)', scratch, tbl);
        END IF;
        IF kind = 'constraint' THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', scratch_table, scratch, definition);
            printed := (SELECT pg_catalog.pg_get_constraintdef(k.oid) FROM pg_catalog.pg_constraint k
                        WHERE k.conrelid = scratch_table::pg_catalog.regclass AND k.conname = scratch);
        ELSIF kind = 'index' THEN
            -- CREATE [UNIQUE] INDEX name ON [ONLY] tbl USING ...: what follows USING is made on
            -- the scratch table (under a name of its own: an index's name is its schema's).
            clause := ' ON ' || tbl || ' USING ';
            at := pg_catalog.strpos(definition, clause);
            IF at = 0 THEN
                clause := ' ON ONLY ' || tbl || ' USING ';
                at := pg_catalog.strpos(definition, clause);
            END IF;
            IF at > 0 THEN
                EXECUTE pg_catalog.format('CREATE %sINDEX %I ON %s USING %s',
                    CASE WHEN definition LIKE 'CREATE UNIQUE INDEX %' THEN 'UNIQUE ' ELSE '' END,
                    scratch || '_index', scratch_table, pg_catalog.substr(definition, at + pg_catalog.length(clause)));
                printed := pg_catalog.pg_get_indexdef(pg_catalog.format('pg_temp.%I', scratch || '_index')::pg_catalog.regclass);
                printed := pg_catalog.substr(definition, 1, at - 1) || clause
                    || pg_catalog.substr(printed, pg_catalog.strpos(printed, ' USING ') + 7);
            END IF;
        ELSIF kind = 'trigger' THEN
            -- CREATE [CONSTRAINT] TRIGGER name ... ON tbl ...: made on the scratch table under
            -- its own name (trigger names are the table's), read back with tbl in its place.
            clause := ' ON ' || tbl || ' ';
            at := pg_catalog.strpos(definition, clause);
            IF at > 0 THEN
                EXECUTE pg_catalog.substr(definition, 1, at - 1) || ' ON ' || scratch_table || ' '
                    || pg_catalog.substr(definition, at + pg_catalog.length(clause));
                printed := (SELECT pg_catalog.pg_get_triggerdef(g.oid) FROM pg_catalog.pg_trigger g
                            WHERE g.tgrelid = scratch_table::pg_catalog.regclass AND NOT g.tgisinternal);
                -- pg_get_triggerdef names the temporary table pg_temp.name (15 and later) or
                -- by its schema's own name, pg_temp_N.name (14).
                clause := ' ON ' || scratch_table || ' ';
                at := pg_catalog.strpos(printed, clause);
                IF at = 0 THEN
                    clause := pg_catalog.format(' ON %I.%I ',
                        (SELECT n.nspname FROM pg_catalog.pg_namespace n WHERE n.oid = pg_catalog.pg_my_temp_schema()), scratch);
                    at := pg_catalog.strpos(printed, clause);
                END IF;
                printed := CASE WHEN at > 0 THEN pg_catalog.substr(printed, 1, at - 1) || ' ON ' || tbl || ' '
                    || pg_catalog.substr(printed, at + pg_catalog.length(clause)) END;
            END IF;
        ELSIF kind = 'policy' THEN
            EXECUTE pg_catalog.format('CREATE POLICY %I ON %s %s', scratch, scratch_table, definition);
            printed := (SELECT {{ policy_expressions("p") }} FROM pg_catalog.pg_policy p
                        WHERE p.polrelid = scratch_table::pg_catalog.regclass);
        END IF;
        RAISE EXCEPTION USING ERRCODE = 'RSTG0';
    EXCEPTION
        WHEN SQLSTATE 'RSTG0' THEN
            RETURN coalesce(printed, definition);
        WHEN OTHERS THEN
            RETURN definition;
    END;
END
{{ tag }};
{%- endmacro %}

{#- What differs between production's definitions of the restored tables (and of what the
    cutover re-creates) and the schema SQL's, each a line naming the object and showing both:
    an array of text, for the preflight, and for the cutover and the rollback under their locks
    (after_cutover: production is on the restored tables). Needs pg_temp.restage_understood. -#}
{% macro drift_problems(drift, after_cutover) -%}
ARRAY(
    WITH expected (kind, tbl, name, definition) AS (
        VALUES
    {% for e in drift.expected %}
            ({{ e.kind }}, {{ e.table }}, {{ e.name }}, {{ e.definition }}){% if not loop.last %},{% endif %}

    {% endfor %}
    ),
    restored AS (
        SELECT pg_catalog.to_regclass(t) AS oid FROM pg_catalog.unnest(ARRAY[{{ drift.tables | join(", ") }}]::pg_catalog.text[]) AS t
    ),
    parents AS (
        SELECT pg_catalog.to_regclass(t) AS oid FROM pg_catalog.unnest(ARRAY[{{ drift.parents | join(", ") }}]::pg_catalog.text[]) AS t
    ),
    actual (kind, tbl, name, definition) AS (
        SELECT 'column', a.attrelid::pg_catalog.regclass::pg_catalog.text, a.attname::pg_catalog.text,
               pg_catalog.format_type(a.atttypid, a.atttypmod)
        FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
        WHERE a.attrelid IN (SELECT oid FROM restored) AND a.attnum > 0 AND NOT a.attisdropped
          AND (a.attislocal OR c.relispartition) AND c.reloftype = 0
        UNION ALL
        -- A typed table's columns are its type's, which pg_dump does not repeat.
        SELECT 'row type', c.oid::pg_catalog.regclass::pg_catalog.text, '', 'OF ' || c.reloftype::pg_catalog.regtype::pg_catalog.text
        FROM pg_catalog.pg_class c
        WHERE c.oid IN (SELECT oid FROM restored) AND c.reloftype <> 0
        UNION ALL
        SELECT 'index', i.indrelid::pg_catalog.regclass::pg_catalog.text, c.relname::pg_catalog.text,
               pg_catalog.pg_get_indexdef(i.indexrelid)
        FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
        WHERE i.indrelid IN (SELECT oid FROM restored)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
        UNION ALL
        SELECT 'constraint', k.conrelid::pg_catalog.regclass::pg_catalog.text, k.conname::pg_catalog.text,
               pg_catalog.pg_get_constraintdef(k.oid)
        FROM pg_catalog.pg_constraint k
        WHERE (k.conrelid IN (SELECT oid FROM restored)
               AND (k.contype IN ('p', 'u', 'x') OR (k.contype = 'f' AND k.conparentid = 0) OR (k.contype = 'c' AND k.conislocal)
                    -- PostgreSQL 18's NOT NULL ... NOT VALID, which pg_dump states on its own;
                    -- and, as pg_dump does, a valid NOT NULL on a column a table inherits, where
                    -- the table has it of its own or no parent has it valid (any other valid NOT
                    -- NULL is part of its column, compared as the column's).
                    OR (k.contype = 'n' AND k.conislocal AND NOT k.convalidated)
                    OR (k.contype = 'n' AND k.convalidated AND EXISTS (
                            SELECT FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                            WHERE a.attrelid = k.conrelid AND a.attnum = k.conkey[1] AND NOT a.attislocal AND NOT c.relispartition
                              AND (k.conislocal OR NOT EXISTS (
                                  SELECT FROM pg_catalog.pg_inherits i
                                  JOIN pg_catalog.pg_attribute pa ON pa.attrelid = i.inhparent AND pa.attname = a.attname
                                  JOIN pg_catalog.pg_constraint pk ON pk.conrelid = i.inhparent AND pk.contype = 'n' AND pk.conkey[1] = pa.attnum
                                  WHERE i.inhrelid = k.conrelid AND pk.convalidated))))))
           OR (k.contype = 'f' AND k.conparentid = 0 AND k.conrelid NOT IN (SELECT oid FROM restored)
               AND (k.conrelid IN (SELECT oid FROM parents) OR k.confrelid IN (SELECT oid FROM restored)))
        UNION ALL
        SELECT 'trigger', g.tgrelid::pg_catalog.regclass::pg_catalog.text, g.tgname::pg_catalog.text,
               pg_catalog.pg_get_triggerdef(g.oid)
        FROM pg_catalog.pg_trigger g
        WHERE g.tgrelid IN (SELECT oid FROM restored) AND NOT g.tgisinternal AND g.tgparentid = 0
        UNION ALL
        SELECT 'policy', p.polrelid::pg_catalog.regclass::pg_catalog.text, p.polname::pg_catalog.text,
               {{ policy_expressions("p") }}
        FROM pg_catalog.pg_policy p
        WHERE p.polrelid IN (SELECT oid FROM restored)
        UNION ALL
        SELECT 'grant', c.oid::pg_catalog.regclass::pg_catalog.text,
               CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END
                   || ' ' || g.privilege_type || CASE WHEN g.is_grantable THEN '*' ELSE '' END,
               pg_catalog.format('GRANT %s ON TABLE %s TO %s%s', g.privilege_type, c.oid::pg_catalog.regclass,
                   CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END,
                   CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
        FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) g
        WHERE c.oid IN (SELECT oid FROM restored) AND g.grantee <> c.relowner
        UNION ALL
        -- Inheritance parents in order (a partition's parent is its bound's business), and the
        -- publications that name the table.
        SELECT 'parents', i.inhrelid::pg_catalog.regclass::pg_catalog.text, '',
               pg_catalog.string_agg(i.inhparent::pg_catalog.regclass::pg_catalog.text, ', ' ORDER BY i.inhseqno)
        FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
        WHERE i.inhrelid IN (SELECT oid FROM restored) AND NOT c.relispartition
        GROUP BY i.inhrelid
        UNION ALL
        SELECT 'publication', r.prrelid::pg_catalog.regclass::pg_catalog.text, pg_catalog.quote_ident(p.pubname), 'member'
        FROM pg_catalog.pg_publication_rel r JOIN pg_catalog.pg_publication p ON p.oid = r.prpubid
        WHERE r.prrelid IN (SELECT oid FROM restored)
        UNION ALL
        SELECT 'view', c.oid::pg_catalog.regclass::pg_catalog.text, c.oid::pg_catalog.regclass::pg_catalog.text,
               pg_catalog.rtrim(pg_catalog.pg_get_viewdef(c.oid), ';')
        FROM pg_catalog.pg_class c
        WHERE c.oid IN (SELECT pg_catalog.to_regclass(t) FROM pg_catalog.unnest(ARRAY[{{ drift.views | join(", ") }}]::pg_catalog.text[]) AS t)
    )
    SELECT pg_catalog.format(
               CASE
                   WHEN a.kind IS NULL THEN '%s is in the dump but no longer in production: %s'
                   WHEN e.kind IS NULL THEN '%s is in production but not in the dump (the swap would lose it): %s'
                   ELSE E'%s differs:\n      in the dump:       %s\n      in production: %s'
               END,
               CASE kind WHEN 'view' THEN 'view ' || name WHEN 'parents' THEN 'the parents (in order) of ' || tbl
                   WHEN 'row type' THEN 'the row type of ' || tbl
                   WHEN 'publication' THEN pg_catalog.format('membership of %s in publication %s', tbl, name)
                   ELSE pg_catalog.format('%s %s of %s', kind, name, tbl) END,
               coalesce(e.definition, a.definition), a.definition) AS problem
    FROM expected e FULL JOIN actual a USING (kind, tbl, name)
    WHERE CASE
              WHEN e.definition IS NOT DISTINCT FROM a.definition THEN false
              WHEN e.kind IS NULL OR a.kind IS NULL THEN true
{% if after_cutover %}
              -- The cutover added the foreign keys of other tables back NOT VALID, and 55
              -- validates them: either way they are the dump's.
              WHEN kind = 'constraint' AND pg_catalog.to_regclass(tbl) NOT IN (SELECT oid FROM restored)
                   AND pg_catalog.regexp_replace(e.definition, ' NOT VALID$', '') = pg_catalog.regexp_replace(a.definition, ' NOT VALID$', '') THEN false
{% endif %}
              ELSE pg_temp.restage_understood(kind, tbl, name, e.definition)
                   IS DISTINCT FROM pg_temp.restage_understood(kind, tbl, name, a.definition)
          END
    ORDER BY tbl, kind, name
)
{%- endmacro %}

{#- How rows of the table that has foreign key fk find the rows they point at, from
    production's catalog: the referencing table as a FROM item (c), that every key column is
    set, and the match with a table of the referenced columns (r), each column compared with
    the key's own equality operator (the one its RI triggers use, reached by schema). Into
    PL/pgSQL variables referencing, present and matches; all NULL when production has no such
    key. -#}
{% macro foreign_key_match(fk) -%}
SELECT pg_catalog.format('%s%s c', CASE t.relkind WHEN 'p' THEN '' ELSE 'ONLY ' END, k.conrelid::pg_catalog.regclass),
           pg_catalog.string_agg(pg_catalog.format('c.%I IS NOT NULL', f.attname), ' AND ' ORDER BY u.i),
           pg_catalog.string_agg(pg_catalog.format('r.%I OPERATOR(%I.%s) c.%I', p.attname, n.nspname, o.oprname, f.attname), ' AND ' ORDER BY u.i)
    INTO referencing, present, matches
    FROM pg_catalog.pg_constraint k
    JOIN pg_catalog.pg_class t ON t.oid = k.conrelid
    CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(k.conkey), pg_catalog.unnest(k.confkey), pg_catalog.unnest(k.conpfeqop)) WITH ORDINALITY AS u (fk, pk, op, i)
    JOIN pg_catalog.pg_attribute f ON f.attrelid = k.conrelid AND f.attnum = u.fk
    JOIN pg_catalog.pg_attribute p ON p.attrelid = k.confrelid AND p.attnum = u.pk
    JOIN pg_catalog.pg_operator o ON o.oid = u.op
    JOIN pg_catalog.pg_namespace n ON n.oid = o.oprnamespace
    WHERE k.conrelid = pg_catalog.to_regclass({{ fk.table | literal }}) AND k.conname = {{ fk.catalog_name }}
    GROUP BY t.relkind, k.conrelid;
{%- endmacro %}


{#- What the swap replaces that the drift check does not compare with the dump, compared
    between production's table and the staging copy about to take its place (built from the
    dump): the table's access method, persistence, storage options, replica identity, owner,
    comment, row level security flags, row type (typed tables), CLUSTER ON; each column's type,
    NOT NULL, default or generation expression, identity, collation, storage, compression,
    statistics target, comment and grants; each trigger's firing state; each rule. An array of
    text, one line per difference, for 40-verify.sql and for the cutover under its locks. -#}
{% macro property_problems(units) -%}
ARRAY(
    WITH pair (item, production, staging, partition) AS (
        SELECT * FROM ROWS FROM (
            pg_catalog.unnest(ARRAY[{% for u in units %}{{ u.item }}, {% endfor %}NULL]::pg_catalog.text[]),
            pg_catalog.unnest(ARRAY[{% for u in units %}pg_catalog.to_regclass({{ u.production | literal }}), {% endfor %}NULL]::pg_catalog.regclass[]),
            pg_catalog.unnest(ARRAY[{% for u in units %}pg_catalog.to_regclass({{ u.staging | literal }}), {% endfor %}NULL]::pg_catalog.regclass[]),
            pg_catalog.unnest(ARRAY[{% for u in units %}{{ "true" if u.partition else "false" }}, {% endfor %}NULL]::pg_catalog.bool[])) AS r (item, production, staging, partition)
        WHERE r.item IS NOT NULL
    ),
    side (item, side, rel, production, partition) AS (
        SELECT item, 'production', production, production, partition FROM pair
        UNION ALL
        SELECT item, 'staging', staging, production, partition FROM pair
    ),
    property (item, side, property, value) AS (
        SELECT s.item, s.side, 'access method', am.amname::pg_catalog.text
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel LEFT JOIN pg_catalog.pg_am am ON am.oid = c.relam
        UNION ALL
        SELECT s.item, s.side, 'persistence', CASE c.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'logged' END
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'storage options', NULLIF(pg_catalog.array_to_string(ARRAY(SELECT o FROM pg_catalog.unnest(c.reloptions) AS o ORDER BY 1), ', '), '')
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'replica identity',
               CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full'
                   ELSE 'index ' || (SELECT ic.relname::pg_catalog.text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                                     WHERE i.indrelid = c.oid AND i.indisreplident) END
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'owner', c.relowner::pg_catalog.regrole::pg_catalog.text
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'comment', pg_catalog.obj_description(c.oid, 'pg_class')
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'row level security',
               pg_catalog.concat_ws(', ', CASE WHEN c.relrowsecurity THEN 'enabled' ELSE 'disabled' END, CASE WHEN c.relforcerowsecurity THEN 'forced' END)
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'row type', CASE WHEN c.reloftype <> 0 THEN 'OF ' || c.reloftype::pg_catalog.regtype::pg_catalog.text END
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'clustered on',
               (SELECT ic.relname::pg_catalog.text FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                WHERE i.indrelid = c.oid AND i.indisclustered)
        FROM side s JOIN pg_catalog.pg_class c ON c.oid = s.rel
        UNION ALL
        SELECT s.item, s.side, 'column ' || pg_catalog.quote_ident(a.attname),
               pg_catalog.concat_ws(' ',
                   pg_catalog.format_type(a.atttypid, a.atttypmod),
                   CASE WHEN a.attcollation <> t.typcollation THEN pg_catalog.format('COLLATE %I.%I', cn.nspname, co.collname) END,
                   CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                   CASE WHEN a.attgenerated <> '' THEN 'GENERATED ALWAYS AS (' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) || ')'
                        WHEN d.adbin IS NOT NULL THEN 'DEFAULT ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid) END,
                   CASE WHEN NOT s.partition THEN CASE a.attidentity WHEN 'a' THEN 'GENERATED ALWAYS AS IDENTITY' WHEN 'd' THEN 'GENERATED BY DEFAULT AS IDENTITY' END END,
                   CASE WHEN a.attstorage <> t.typstorage THEN 'STORAGE ' || a.attstorage::pg_catalog.text END,
                   CASE WHEN a.attcompression <> '' THEN 'COMPRESSION ' || a.attcompression::pg_catalog.text END,
                   CASE WHEN coalesce(a.attstattarget, -1) <> -1 THEN 'STATISTICS ' || a.attstattarget::pg_catalog.text END,
                   'COMMENT ' || pg_catalog.quote_literal(pg_catalog.col_description(c.oid, a.attnum)),
                   'GRANTS ' || a.attacl::pg_catalog.text)
        FROM side s
        JOIN pg_catalog.pg_class c ON c.oid = s.rel
        JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
        JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
        LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        UNION ALL
        SELECT s.item, s.side, 'firing of trigger ' || pg_catalog.quote_ident(g.tgname),
               CASE g.tgenabled WHEN 'O' THEN 'on origin and local' WHEN 'D' THEN 'never (disabled)' WHEN 'R' THEN 'on replica' WHEN 'A' THEN 'always' END
        FROM side s JOIN pg_catalog.pg_trigger g ON g.tgrelid = s.rel
        WHERE NOT g.tgisinternal
        UNION ALL
        SELECT s.item, s.side, 'rule ' || pg_catalog.quote_ident(r.rulename),
               pg_catalog.replace(pg_catalog.pg_get_ruledef(r.oid), ' TO ' || s.rel::pg_catalog.text || ' ', ' TO ' || s.production::pg_catalog.text || ' ')
        FROM side s JOIN pg_catalog.pg_rewrite r ON r.ev_class = s.rel
    )
    SELECT pg_catalog.format(
               CASE
                   WHEN s.item IS NULL THEN '%1$s of %2$s is in production but not on the restored copy (the swap would lose it): %4$s'
                   WHEN p.item IS NULL THEN '%1$s of %2$s is on the restored copy but not in production: %3$s'
                   ELSE E'%1$s of %2$s differs:\n      on the restored copy: %3$s\n      in production:        %4$s'
               END,
               coalesce(p.property, s.property), coalesce(p.item, s.item),
               coalesce(s.value, '(none)'), coalesce(p.value, '(none)'))
    FROM (SELECT * FROM property WHERE side = 'production') p
    FULL JOIN (SELECT * FROM property WHERE side = 'staging') s ON s.item = p.item AND s.property = p.property
    WHERE p.value IS DISTINCT FROM s.value
      -- A column or trigger on one side only is the drift check's to name.
      AND NOT ((p.item IS NULL OR s.item IS NULL) AND coalesce(p.property, s.property) ~ '^(column|firing of trigger) ')
    ORDER BY coalesce(p.item, s.item), coalesce(p.property, s.property)
)
{%- endmacro %}

{#- What logical replication would miss: the swap replaces each table's rows with no row
    change to decode. A restored table in a publication while this database has a logical
    replication slot (a subscriber would silently keep the old rows and skip later changes to
    rows it lacks), any logical slot of another plugin (it decodes every table), and a restored
    table that a subscription here writes into (pg_subscription_rel follows the table by OID:
    the subscription would go on writing into the retired table). A partition counts as its
    partitioned tables too. An array of text, one line per finding, for the preflight and for
    the cutover under its locks. -#}
{% macro replication_problems(units) -%}
ARRAY(
    WITH restored (rel) AS (
        SELECT pg_catalog.to_regclass(t) FROM pg_catalog.unnest(ARRAY[{% for u in units %}{{ u.production | literal }}, {% endfor %}NULL]::pg_catalog.text[]) AS t
        WHERE t IS NOT NULL
    ),
    -- pg_partition_ancestors lists a partition and those above it; nothing for other tables.
    lineage (rel, relid) AS (
        SELECT r.rel, r.rel FROM restored r
        UNION
        SELECT r.rel, a.relid FROM restored r, pg_catalog.pg_partition_ancestors(r.rel) AS a
    ),
    slot (name, plugin) AS (
        SELECT s.slot_name::pg_catalog.text, s.plugin::pg_catalog.text
        FROM pg_catalog.pg_replication_slots s
        WHERE s.slot_type = 'logical' AND s.database = pg_catalog.current_database()
    )
    SELECT pg_catalog.format('%s is in publication %s, and this database has logical replication slot(s) %s: the swap replaces its rows without a row change to replicate, and a subscriber would keep the old rows (later changes to rows it lacks are skipped without an error). Leave it out of the plan, or take it out of the publication first (see README.md, Replicas)',
               l.rel, pg_catalog.quote_ident(p.pubname),
               (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(name), ', ' ORDER BY name) FROM slot WHERE plugin = 'pgoutput'))
    FROM lineage l
    JOIN pg_catalog.pg_class c ON c.oid = l.relid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_publication_tables p ON p.schemaname = n.nspname AND p.tablename = c.relname
    WHERE EXISTS (SELECT FROM slot WHERE plugin = 'pgoutput')
    GROUP BY l.rel, p.pubname
    UNION ALL
    SELECT pg_catalog.format('logical replication slot %s (plugin %s) decodes the changes of every table of this database: the swap replaces the rows of %s without a row change for it to decode. Drop the slot or leave those tables out of the plan',
               pg_catalog.quote_ident(s.name), s.plugin,
               (SELECT pg_catalog.string_agg(r.rel::pg_catalog.text, ', ' ORDER BY r.rel::pg_catalog.text) FROM restored r))
    FROM slot s
    WHERE s.plugin IS DISTINCT FROM 'pgoutput' AND EXISTS (SELECT FROM restored)
    UNION ALL
    SELECT pg_catalog.format('%s is written by subscription %s: the subscription follows the table by OID and would go on writing into the retired table, or nowhere, without an error. Restore it on the publisher (this copy follows), or take it out of the subscription first (see README.md, Replicas)',
               l.rel, pg_catalog.quote_ident(s.subname))
    FROM lineage l
    JOIN pg_catalog.pg_subscription_rel sr ON sr.srrelid = l.relid
    JOIN pg_catalog.pg_subscription s ON s.oid = sr.srsubid
    JOIN pg_catalog.pg_database d ON d.oid = s.subdbid AND d.datname = pg_catalog.current_database()
    ORDER BY 1
)
{%- endmacro %}


{#- The shell scripts' guard: a session of its own holds the plan's advisory lock. -#}
{% macro shell_guard(tag, plan, guard, step, nothing) -%}
# One step of this plan at a time: a session of its own holds the plan's advisory lock for as
# long as this script (or anything it started) runs. Its input closes when they are all gone,
# and the lock goes with its session.
coproc GUARD { psql -X -q -A -t -v ON_ERROR_STOP=1 2>&1; }
# Copies of its pipes, which outlive the coprocess if it ends, and which everything this script
# starts inherits; and not a job of this script, which waits only for what it started itself.
exec {guard_out}<&"${GUARD[0]}" {guard_in}>&"${GUARD[1]}"
disown "$GUARD_PID"
printf '%s\n%s\n%s\n' "$SESSION" {{ guard_sql(tag, plan, guard) | shell }} "SELECT 'restage: guard held';" >&"$guard_in"
guarded=
while IFS= read -r line; do
    if [ "$line" = "restage: guard held" ]; then
        guarded=yes
        break
    fi
    printf '%s\n' "$line" >&2
done <&"$guard_out"
if [ -z "$guarded" ]; then
    echo "restage {{ step }}: {{ nothing }}" >&2
    exit 2
fi
{%- endmacro %}

{#- Row recovery. r is one recovered table (a leaf partition, or the table itself). -#}

{#- keys of r prefixed by alias a: a."k1", a."k2" -#}
{% macro keys_of(r, a) -%}
{% for k in r.key %}{{ a }}.{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endmacro %}

{#- The keys of r equal in aliases a and b. -#}
{% macro same_key(r, a, b) -%}
{% for k in r.key %}{{ a }}.{{ k }} OPERATOR(pg_catalog.=) {{ b }}.{{ k }}{% if not loop.last %} AND {% endif %}{% endfor %}
{%- endmacro %}

{#- Whether row b of r has, for each foreign key, its parent in production (or a NULL in the
    key, which MATCH SIMPLE accepts); with staged, or among the candidates of a parent table
    this plan recovers. -#}
{% macro has_parents(r, b, staged) -%}
{% for fk in r.parents %}({% for p in fk.pairs %}{{ b }}.{{ p.column }} IS NULL OR {% endfor %}EXISTS (SELECT FROM {{ fk.table }} restage_parent WHERE {% for p in fk.pairs %}restage_parent.{{ p.referenced }} OPERATOR(pg_catalog.=) {{ b }}.{{ p.column }}{% if not loop.last %} AND {% endif %}{% endfor %}){% if staged %}{% for c in fk.recovered %} OR EXISTS (SELECT FROM ONLY {{ c.staging }} restage_parent WHERE {% if c.filter %}({{ c.filter }}) AND {% endif %}{% for p in fk.pairs %}restage_parent.{{ p.referenced }} OPERATOR(pg_catalog.=) {{ b }}.{{ p.column }}{% if not loop.last %} AND {% endif %}{% endfor %}){% endfor %}{% endif %}){% if not loop.last %} AND {% endif %}{% endfor %}{% if not r.parents %}true{% endif %}
{%- endmacro %}

{#- The columns of r in alias a, as one row value. -#}
{% macro row_of(r, a) -%}
ROW({% for c in r.columns %}{{ a }}.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %})::pg_catalog.text
{%- endmacro %}

{#- What a row of r in alias a is, as the undo compares it: the sha256 of its text. -#}
{% macro row_hash(r, a) -%}
pg_catalog.sha256(pg_catalog.textsend({{ row_of(r, a) }}))
{%- endmacro %}

{#- r's candidates: the staged rows its `where:` keeps, as alias s. -#}
{% macro candidates(r) -%}
FROM ONLY {{ r.staging }} s{% if r.filter %} WHERE ({{ r.filter }}){% endif %}
{%- endmacro %}

{#- One batch of r, one statement and so one transaction: the next batch_rows candidates in
    key order after the last batch recorded, which ends where the next begins; those with
    their parents inserted unless production
    has the key (with on_conflict: overwrite, production's differing row saved and updated to
    the dump's); each row written or left out recorded by key, and the batch with its counts.
    Prints inserted, overwritten, present,
    orphan and decided. -#}
{% macro recover_batch(r, recover) -%}
WITH restage_last AS (SELECT {{ keys_of(r, "d") }}, d.restage_batch FROM {{ r.batches }} d ORDER BY d.restage_batch DESC LIMIT 1),
-- The first batch, or the next after the last: each a range scan of the key's index (one
-- condition with an OR of the two would read the index from its start every batch).
restage_batch AS (
    SELECT {% for c in r.columns %}s.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %} FROM (
        (SELECT {% for c in r.columns %}s.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %} FROM ONLY {{ r.staging }} s
         WHERE {% if r.filter %}({{ r.filter }}) AND {% endif %}NOT EXISTS (SELECT FROM restage_last)
         ORDER BY {{ keys_of(r, "s") }} LIMIT {{ recover.batch_rows }})
        UNION ALL
        (SELECT {% for c in r.columns %}s.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %} FROM ONLY {{ r.staging }} s
         WHERE {% if r.filter %}({{ r.filter }}) AND {% endif %}ROW({{ keys_of(r, "s") }}) OPERATOR(pg_catalog.>) ROW({% for k in r.key %}(SELECT l.{{ k }} FROM restage_last l){% if not loop.last %}, {% endif %}{% endfor %})
         ORDER BY {{ keys_of(r, "s") }} LIMIT {{ recover.batch_rows }})
    ) AS s
    ORDER BY {{ keys_of(r, "s") }} LIMIT {{ recover.batch_rows }}
),
restage_parented AS (SELECT {{ keys_of(r, "b") }} FROM restage_batch b WHERE {{ has_parents(r, "b", false) }}),
{% if r.overwrite %}
-- Production's rows that a parented candidate's key has and that differ from it, locked, as
-- they are when locked: saved, then overwritten with the dump's version.
restage_differing AS (
    SELECT {% for c in r.columns %}t.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
    FROM {{ r.target }} t JOIN restage_batch b ON {{ same_key(r, "t", "b") }} JOIN restage_parented p ON {{ same_key(r, "p", "b") }}
    WHERE {{ row_of(r, "t") }} OPERATOR(pg_catalog.<>) {{ row_of(r, "b") }}
    FOR UPDATE OF t
),
restage_saved AS (
    INSERT INTO {{ r.saved }} ({{ r.columns | join(", ") }}) SELECT {{ r.columns | join(", ") }} FROM restage_differing
),
restage_overwritten AS (
    UPDATE {{ r.target }} t SET ({{ r.overwritten_columns | join(", ") }}) = ROW({% for c in r.overwritten_columns %}b.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %})
    FROM restage_batch b, restage_differing d
    WHERE {{ same_key(r, "t", "b") }} AND {{ same_key(r, "d", "b") }}
    RETURNING {{ keys_of(r, "t") }}, {{ row_hash(r, "t") }} AS restage_written
),
{% endif %}
restage_inserted AS (
    INSERT INTO {{ r.target }} AS t ({{ r.columns | join(", ") }}) OVERRIDING SYSTEM VALUE
    SELECT {% for c in r.columns %}b.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %} FROM restage_batch b WHERE {{ has_parents(r, "b", false) }}{% if r.overwrite %} AND NOT EXISTS (SELECT FROM restage_differing d WHERE {{ same_key(r, "d", "b") }}){% endif %} ORDER BY {{ keys_of(r, "b") }}
    ON CONFLICT ({{ r.key | join(", ") }}) DO NOTHING
    RETURNING {{ keys_of(r, "t") }}, {{ row_hash(r, "t") }} AS restage_written
),
restage_outcomes AS (
    SELECT {{ keys_of(r, "b") }},
           {% if r.overwrite %}COALESCE(i.restage_written, o.restage_written){% else %}i.restage_written{% endif %} AS restage_written,
           CASE WHEN i.{{ r.key[0] }} IS NOT NULL THEN 'inserted'{% if r.overwrite %} WHEN o.{{ r.key[0] }} IS NOT NULL THEN 'overwritten'{% endif %} WHEN p.{{ r.key[0] }} IS NULL THEN 'orphan' ELSE 'present' END AS restage_outcome
    FROM restage_batch b
    LEFT JOIN restage_inserted i ON {{ same_key(r, "i", "b") }}
{% if r.overwrite %}
    LEFT JOIN restage_overwritten o ON {{ same_key(r, "o", "b") }}
{% endif %}
    LEFT JOIN restage_parented p ON {{ same_key(r, "p", "b") }}
),
-- Each row written or left out, by key (a row production already had is only counted).
restage_recorded AS (
    INSERT INTO {{ r.record }} ({{ r.key | join(", ") }}, restage_batch, restage_written, restage_outcome)
    SELECT {{ keys_of(r, "o") }}, COALESCE((SELECT l.restage_batch OPERATOR(pg_catalog.+) 1 FROM restage_last l), 1), o.restage_written, o.restage_outcome
    FROM restage_outcomes o WHERE o.restage_outcome OPERATOR(pg_catalog.<>) 'present'
),
restage_counts AS (
    SELECT pg_catalog.count(*) FILTER (WHERE restage_outcome = 'inserted') AS inserted, pg_catalog.count(*) FILTER (WHERE restage_outcome = 'overwritten') AS overwritten,
           pg_catalog.count(*) FILTER (WHERE restage_outcome = 'present') AS present, pg_catalog.count(*) FILTER (WHERE restage_outcome = 'orphan') AS orphans,
           pg_catalog.count(*) AS decided
    FROM restage_outcomes
),
-- The batch: its last key, where the next one starts, and its counts.
restage_done AS (
    INSERT INTO {{ r.batches }} (restage_batch, {{ r.key | join(", ") }}, inserted, overwritten, present, orphans)
    SELECT COALESCE((SELECT l.restage_batch OPERATOR(pg_catalog.+) 1 FROM restage_last l), 1), {{ keys_of(r, "k") }}, c.inserted, c.overwritten, c.present, c.orphans
    FROM (SELECT {{ keys_of(r, "b") }} FROM restage_batch b ORDER BY {% for k in r.key %}b.{{ k }} DESC{% if not loop.last %}, {% endif %}{% endfor %} LIMIT 1) AS k, restage_counts c
)
SELECT c.inserted, c.overwritten, c.present, c.orphans, c.decided FROM restage_counts c
{%- endmacro %}

{#- One line on what recovery made of r's candidates, from its record and its staged copy. -#}
{% macro recover_report(r) -%}
SELECT pg_catalog.format('%s: %s candidate(s), %s decided: %s inserted, {% if r.overwrite %}%s overwritten (production''s version saved), {% endif %}%s already in production (kept as production has them), %s orphan(s) (a parent they need is missing)%s%s',
           {{ r.label | literal }}, c.candidates, d.decided, d.inserted, {% if r.overwrite %}d.overwritten, {% endif %}d.present, d.orphans,
           CASE WHEN d.orphans > 0 THEN ', the first by key: ' || f.first_orphans ELSE '' END,
           CASE WHEN d.decided < c.candidates THEN pg_catalog.format('; %s not decided yet: run ./50-recover.sh', c.candidates - d.decided) ELSE '' END)
FROM (SELECT pg_catalog.count(*) AS candidates {{ candidates(r) }}) AS c,
     (SELECT COALESCE(pg_catalog.sum(n.inserted OPERATOR(pg_catalog.+) n.overwritten OPERATOR(pg_catalog.+) n.present OPERATOR(pg_catalog.+) n.orphans), 0) AS decided,
             COALESCE(pg_catalog.sum(n.inserted), 0) AS inserted, COALESCE(pg_catalog.sum(n.overwritten), 0) AS overwritten,
             COALESCE(pg_catalog.sum(n.present), 0) AS present, COALESCE(pg_catalog.sum(n.orphans), 0) AS orphans
      FROM {{ r.batches }} n) AS d,
     (SELECT pg_catalog.string_agg(k.key, ' ') AS first_orphans
      FROM (SELECT ROW({{ keys_of(r, "x") }})::pg_catalog.text AS key FROM {{ r.record }} x WHERE x.restage_outcome = 'orphan' ORDER BY {{ keys_of(r, "x") }} LIMIT 5) AS k) AS f
{%- endmacro %}
