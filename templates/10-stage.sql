{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "10-stage", "creates the staging and retired schemas, the run record and one empty staging table per table to load. Writes nothing outside the staging schemas.", "psql -X -f 10-stage.sql") }}

{{ macros.guard(tag, plan, guard) }}

BEGIN;

SELECT pg_catalog.to_regnamespace({{ run.schema | literal }}) IS NOT NULL AS restage_staged \gset
\if :restage_staged
{{ macros.check_digest(tag, run, plan, digest) }}
\echo 'restage: staging already exists from this plan; nothing to do'
\else
{% for schema in staging_schemas %}
CREATE SCHEMA {{ schema }};
{% endfor %}
{% for schema in retired_schemas %}
CREATE SCHEMA {{ schema }};
{% endfor %}
{% if privileges.owner_names %}
-- 30-build.sql gives each staging table the owner the dump names, and a role can own a table
-- only in a schema it may create in.
{% for schema in staging_twins %}
GRANT USAGE, CREATE ON SCHEMA {{ schema }} TO {{ privileges.owner_names | join(", ") }};
{% endfor %}
{% endif %}

-- The run record: which plan staged this, and what each step has done.
CREATE TABLE {{ run.run }} (
    plan text NOT NULL,
    digest text NOT NULL,
    restage_version text NOT NULL,
    staged_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    staged_by name NOT NULL DEFAULT CURRENT_USER
);
INSERT INTO {{ run.run }} (plan, digest, restage_version) VALUES ({{ plan | literal }}, {{ digest | literal }}, '{{ version }}');
CREATE TABLE {{ run.progress }} (
    step text NOT NULL,
    item text NOT NULL DEFAULT '',
    rows bigint,
    bytes bigint,
    done_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    PRIMARY KEY (step, item)
);
-- Write counters of the restored tables at cutover, so that a rollback can tell what was
-- written to them afterwards.
CREATE TABLE {{ run.cutover_stats }} (
    item text PRIMARY KEY,
    n_tup_ins bigint NOT NULL,
    n_tup_upd bigint NOT NULL,
    n_tup_del bigint NOT NULL
);
-- Where each sequence goes at cutover and at rollback: worked out before the locks are taken,
-- from tables that no longer change (the staging tables after the build, the replaced tables
-- after the cutover), so that nothing is read while production is locked.
CREATE TABLE {{ run.targets }} (
    item text PRIMARY KEY,
    target bigint
);
-- Each production table's size as the catalog has it (pages, with its TOAST table, as of its
-- last VACUUM or ANALYZE; no lock taken): what 20-load.sh estimates the time left from.
CREATE TABLE {{ run.estimates }} (
    item text PRIMARY KEY,
    bytes bigint NOT NULL
);
INSERT INTO {{ run.estimates }} (item, bytes)
SELECT t.item, (c.relpages::pg_catalog.int8 + COALESCE(toast.relpages, 0)::pg_catalog.int8) * pg_catalog.current_setting('block_size')::pg_catalog.int8
FROM pg_catalog.unnest(ARRAY[{% for u in units or recovered %}{{ u.item }}{% if not loop.last %}, {% endif %}{% endfor %}]::pg_catalog.text[]) AS t (item)
JOIN pg_catalog.pg_class c ON c.oid = pg_catalog.to_regclass(t.item)
LEFT JOIN pg_catalog.pg_class toast ON toast.oid = c.reltoastrelid
WHERE c.relpages > 0;

{% for u in units %}
-- {{ u.label }}
{% if u.attached.access_method %}
SET LOCAL default_table_access_method = {{ u.attached.access_method }};
{% endif %}
{% if u.attached.inheritance %}
{% for shadow in u.attached.inheritance.shadows %}
-- Stands in for {{ shadow.parent }} until cutover, empty.
CREATE TABLE {{ shadow.staging }} (LIKE {{ shadow.parent }} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
CREATE TABLE {{ shadow.retired }} (LIKE {{ shadow.parent }} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED);
{% endfor %}
{{ u.attached.inheritance.create }}
{% else %}
{{ create_table }} {{ u.staging }} (LIKE {{ u.production }} {{ u.like }});
{% if u.attached.of_type %}
ALTER TABLE {{ u.staging }} OF {{ u.attached.of_type }};
{% endif %}
{% for column in u.attached.loaded_nullable %}
-- NOT NULL NOT VALID in production, over rows that may be NULL: 30-build.sql adds it back so.
ALTER TABLE {{ u.staging }} ALTER COLUMN {{ column }} DROP NOT NULL;
{% endfor %}
{% endif %}
{% if u.attached.keys_at_stage %}
-- Keys and indexes now, on the empty table: the load maintains them, so that their WAL flows
-- at its pace (staging is logged, and standbys replay every index build in one burst).
{% for statement in u.attached.keys_at_stage %}
{{ statement }}
{% endfor %}
{% endif %}
{% endfor %}
{% for r in recovered %}
-- {{ r.label }}: the dump's rows, candidates to go back into {{ r.target_label }}; the columns
-- only, no keys, no triggers.
{{ create_table }} {{ r.staging }} (LIKE {{ r.production }});
-- The rows 50-recover.sh wrote or left out, by key, with the batch that did: inserted,
-- overwritten or orphan (a parent it needs is missing); for a row it wrote, the sha256 of the
-- row as written (after production's triggers), by which the undo tells whether it has
-- changed since. A candidate production already has is only counted, in its batch.
CREATE TABLE {{ r.record }} AS SELECT {{ r.key | join(", ") }}, 0::pg_catalog.int8 AS restage_batch, NULL::pg_catalog.bytea AS restage_written, ''::pg_catalog.text AS restage_outcome FROM ONLY {{ r.staging }} WITH NO DATA;
ALTER TABLE {{ r.record }} ADD PRIMARY KEY ({{ r.key | join(", ") }});
-- Each batch that committed: its last key (the next batch starts after it) and its counts.
CREATE TABLE {{ r.batches }} AS SELECT 0::pg_catalog.int8 AS restage_batch, {{ r.key | join(", ") }}, 0::pg_catalog.int8 AS inserted, 0::pg_catalog.int8 AS overwritten, 0::pg_catalog.int8 AS present, 0::pg_catalog.int8 AS orphans FROM ONLY {{ r.staging }} WITH NO DATA;
ALTER TABLE {{ r.batches }} ADD PRIMARY KEY (restage_batch);
{% if r.overwrite %}
-- Production's version of each row recovery overwrites (on_conflict: overwrite), saved before
-- the update, in the same transaction: what 60-undo-recover.sql puts back.
CREATE TABLE {{ r.saved }} AS SELECT {{ r.columns | join(", ") }} FROM ONLY {{ r.staging }} WITH NO DATA;
ALTER TABLE {{ r.saved }} ADD PRIMARY KEY ({{ r.key | join(", ") }});
{% endif %}
{% endfor %}
\endif

COMMIT;
