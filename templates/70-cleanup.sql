{% import "macros.sql" as macros %}
{#- restage's own schemas and run record, once the copies in them are dropped. -#}
{% macro drop_schemas() -%}
{% for schema in retired_schemas %}
DROP SCHEMA {{ schema }};
{% endfor %}
DROP TABLE {% for r in recovered %}{{ r.record }}, {{ r.batches }}, {% if r.overwrite %}{{ r.saved }}, {% endif %}{% endfor %}{{ run.progress }}, {{ run.cutover_stats }}, {{ run.targets }}, {{ run.estimates }}, {{ run.run }};
{% for schema in staging_schemas | reverse %}
DROP SCHEMA {{ schema }};
{% endfor %}
{%- endmacro %}
{% if recovered %}
{% set does = "drops the staging copies, the record of what recovery did and the staging and retired schemas. After this, 60-undo-recover.sql cannot run." %}
{% else %}
{% set does = "drops the retired tables and the staging and retired schemas. After this, the cutover cannot be rolled back." %}
{% endif %}
{{ macros.header(session, versions, version, plan, digest, "70-cleanup", does, "./70-cleanup.sh -v approve=" ~ digest_short ~ " (retries when the locks are not all granted in time), or psql -X -v approve=" ~ digest_short ~ " -f 70-cleanup.sql") }}

-- Dropping the retired tables is final: it needs an explicit approval on the command line.
\if :{?approve}
SELECT :'approve' = '{{ digest_short }}' AS restage_approved \gset
\else
\set restage_approved false
\endif
\if :restage_approved
\else
DO {{ tag }}
BEGIN
    RAISE EXCEPTION 'restage cleanup drops {% if recovered %}the record of what recovery inserted{% else %}the retired tables{% endif %} for good, so it must be approved'
        USING HINT = 'run: ./70-cleanup.sh -v approve={{ digest_short }}';
END
{{ tag }};
\endif
{{ macros.guard(tag, plan, guard) }}

SELECT pg_catalog.to_regnamespace({{ run.schema | literal }}) IS NOT NULL AS restage_staged \gset
\if :restage_staged
{{ macros.check_digest(tag, run, plan, digest) }}

{% if recovered %}
-- Recovery changed production's rows, not its tables: nothing of production is dropped. The
-- staging copies are restage's own, and nothing of production depends on them.
BEGIN;
SET LOCAL lock_timeout = {{ cutover.lock_timeout }};
DROP TABLE {% for r in recovered %}{{ r.staging }}{% if not loop.last %}, {% endif %}{% endfor %};
{{ drop_schemas() }}
COMMIT;
\echo 'restage: cleanup done: the staging copies and the record of the recovery are dropped; the recovered rows stay in production'
{% else %}
{{ macros.progress_flag(run, "restage_cut_over", "cutover") }}
\if :restage_cut_over
-- Not while 55 (or the rollback) has work left: a foreign key it re-pointed still NOT VALID
-- may have rows that point at rows only the retired copy holds, and a materialized view it
-- re-created may be empty. Rows the plan accepts pointing at nothing are counted and named.
DO {{ tag }}
DECLARE
    invalid text[];
    accepted text[];
    unpopulated text[];
    referencing text;
    present text;
    matches text;
    orphans bigint;
BEGIN
    {{ macros.unfinished(run, units, dependents) }}
    IF invalid IS NOT NULL OR pg_catalog.cardinality(unpopulated) > 0 THEN
        RAISE EXCEPTION 'restage cleanup: the restore is not finished: % foreign key(s) NOT VALID (%), % materialized view(s) not populated (%)',
            coalesce(pg_catalog.cardinality(invalid), 0), coalesce(pg_catalog.array_to_string(invalid, ', '), 'none'),
            pg_catalog.cardinality(unpopulated), coalesce(NULLIF(pg_catalog.array_to_string(unpopulated, ', '), ''), 'none')
            USING HINT = 'nothing was dropped: the retired tables may hold the only copy of rows those keys point at. Run 55-after-cutover.sql (or 60-rollback.sh, after a rollback) until it finishes, then run this again';
    END IF;
{% for u in units %}
{% for fk in u.attached.inbound if fk.validated and fk.accept_orphans %}
    {{ macros.foreign_key_match(fk) }}
    IF referencing IS NOT NULL THEN
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s WHERE %s AND NOT EXISTS (SELECT FROM ONLY %s r WHERE %s) AND EXISTS (SELECT FROM ONLY %s r WHERE %s)',
            referencing, present, {{ u.production | literal }}, matches, {{ u.retired | literal }}, matches) INTO orphans;
        IF orphans > 0 THEN
            RAISE NOTICE 'restage cleanup: % row(s) of % point at rows that only the retired copy of % holds, which this drops: they point at nothing from now on (the plan accepts this; foreign key % stays NOT VALID)',
                orphans, {{ fk.table | literal }}, {{ u.production | literal }}, {{ fk.catalog_name }};
        END IF;
    END IF;
{% endfor %}
{% endfor %}
END
{{ tag }};

-- Dropping a retired table that has foreign keys to production tables takes ACCESS EXCLUSIVE
-- on those tables (their side of the keys goes too), held until this commits.
BEGIN;
{{ macros.lock_limits(cutover, true) }}
{{ macros.before_locking(tag, cleanup_locks) }}

{{ macros.acquire(tag, cleanup_locks, cutover, "the cleanup") }}

-- No CASCADE: if anything still depends on a retired table, the cleanup stops here. One
-- statement, so that foreign keys among the retired tables do not matter.
DROP TABLE {% for u in units %}{{ u.retired }}{% if u.attached.inheritance %}{% for shadow in u.attached.inheritance.shadows %}, {{ shadow.staging }}, {{ shadow.retired }}{% endfor %}{% endif %}{% if not loop.last %}, {% endif %}{% endfor %};
{{ drop_schemas() }}
COMMIT;
\echo 'restage: cleanup done'
\else
-- No cutover is recorded (none was run, or every attempt failed and changed nothing):
-- production is on its own tables, and abandoning the restore drops what 10-stage.sql and the
-- load made. Dropping a staging table drops its foreign keys to production tables too.
BEGIN;
{{ macros.lock_limits(cutover, true) }}
{{ macros.before_locking(tag, abandon_locks) }}

{{ macros.acquire(tag, abandon_locks, cutover, "the cleanup") }}

DROP TABLE {% for u in units %}{{ u.staging }}{% if u.attached.inheritance %}{% for shadow in u.attached.inheritance.shadows %}, {{ shadow.staging }}, {{ shadow.retired }}{% endfor %}{% endif %}{% if not loop.last %}, {% endif %}{% endfor %};
{{ drop_schemas() }}
COMMIT;
\echo 'restage: cleanup done: no cutover was recorded, so production never changed; the staging tables and restage''s schemas are dropped'
\endif
{% endif %}
\else
\echo 'restage: there is no staging schema from this plan; nothing to clean up'
\endif
