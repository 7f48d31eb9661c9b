{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "30-build", "makes the loaded staging tables ready to swap in: everything production's tables have, from the schema SQL, built on the staging copies. Writes only inside the staging schemas, but adding a foreign key to a table outside the plan takes a SHARE ROW EXCLUSIVE lock on that table (writes to it wait) for as long as the key takes to add.", "psql -X -f 30-build.sql (rerun after a failure: it goes on where it stopped)") }}

{{ macros.guard(tag, plan, guard) }}

BEGIN;
{{ macros.check_digest(tag, run, plan, digest) }}

{{ macros.progress_flag(run, "restage_built", "build") }}
{{ macros.progress_flag(run, "restage_tables_built", "build-tables") }}
COMMIT;
\if :restage_built
\echo 'restage: the staging tables are already built; nothing to do'
\quit
\endif

\if :restage_tables_built
\echo 'restage: keys, indexes and the rest are already built; going on with the foreign keys'
\else
-- First, in one transaction, everything that touches only the staging tables.
BEGIN;

-- Every table must be loaded before it is built, and still hold its rows: a crash or failover
-- empties UNLOGGED tables.
DO {{ tag }}
DECLARE
    missing text[] := '{}';
BEGIN
{% for u in units or recovered %}
    IF NOT {{ macros.loaded(run, u) }} THEN
        missing := missing || {{ u.item }}::text;
    END IF;
{% endfor %}
    IF pg_catalog.cardinality(missing) > 0 THEN
        RAISE EXCEPTION 'restage build: not loaded, or emptied since: %', pg_catalog.array_to_string(missing, ', ')
            USING HINT = 'run 20-load.sh first';
    END IF;
END
{{ tag }};

{% for u in units %}
{% set a = u.attached %}
-- {{ u.label }}: the table itself, then its keys and indexes, with their production names.
{% if a.persistence %}
-- Staging and production differ in persistence. SET LOGGED rewrites the table and writes all of
-- it to WAL (and to standbys); on a rerun it changes nothing.
ALTER TABLE {{ u.staging }} {{ a.persistence }};
{% endif %}
{% if a.storage_options %}
ALTER TABLE {{ u.staging }} SET ({{ a.storage_options }});
{% endif %}
{% for c in a.constraints %}
ALTER TABLE {{ u.staging }} ADD CONSTRAINT {{ c.name }} {{ c.definition }};
{% endfor %}
{% for statement in a.table %}
{{ statement }}
{% endfor %}
{% if a.inheritance %}
{% for statement in a.inheritance.defaults %}
{{ statement }}
{% endfor %}
{% endif %}
{% for i in a.identity %}
ALTER TABLE {{ u.staging }} ALTER COLUMN {{ i.column }} DROP IDENTITY;
{% for statement in i.definition %}
{{ statement }}
{% endfor %}
{% endfor %}
{% for statement in a.keys %}
{{ statement }}
{% endfor %}
{% if u.partition %}
-- Proves the partition bound, so that ATTACH PARTITION at cutover need not read the table:
-- the same expression PostgreSQL derives for production's partition. The cutover drops it.
DO {{ tag }}
BEGIN
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT restage_partition_bound CHECK (%s)', {{ u.staging | literal }},
        pg_catalog.pg_get_partition_constraintdef({{ u.production | literal }}::pg_catalog.regclass));
END
{{ tag }};
{% endif %}

{% endfor %}
-- Triggers, rules, policies and row level security: created after the load, so that no
-- trigger fired on restored rows. Extended statistics, comments and grants.
{% for u in units %}
{% for statement in u.attached.behaviour %}
{{ statement }}
{% endfor %}
{% for statement in u.attached.statistics %}
{{ statement }}
{% endfor %}
{% for statement in u.attached.comments_and_grants %}
{{ statement }}
{% endfor %}
{% endfor %}
{% for r in recovered %}
-- {{ r.label }}: the key, unique (the dump's rows were unique in production), which recovery
-- walks in order, batch by batch.
CREATE UNIQUE INDEX {{ r.key_index }} ON {{ r.staging }} ({{ r.key | join(", ") }});
{% endfor %}

INSERT INTO {{ run.progress }} (step) VALUES ('build-tables');
COMMIT;
\endif

-- Then the foreign keys, once every key they reference exists, each in a transaction of its
-- own: adding one locks the table it references against writes until it commits. Each is
-- added NOT VALID (a short lock, taken within restage_lock_ms; skipped when a rerun finds the
-- key there) and then validated, which locks nothing against writes; a restored row without
-- its referenced row stops the build here, before the cutover. A lock not granted in time
-- stops it too, having changed nothing: run this again.
{% for u in units %}
{% for fk in u.attached.foreign_keys %}
SELECT NOT EXISTS (SELECT FROM pg_catalog.pg_constraint WHERE conrelid = {{ u.staging | literal }}::pg_catalog.regclass AND conname = {{ fk.catalog_name }}) AS restage_add_key \gset
\if :restage_add_key
{% if fk.add_locks.items %}
{{ macros.locked(tag, cutover, fk.add_locks, "adding a foreign key") }}
{% else %}
BEGIN;
{% endif %}
{{ fk.add }}
COMMIT;
\endif
{% if fk.validated %}
{% if fk.validate_locks.items %}
{{ macros.locked(tag, cutover, fk.validate_locks, "validating a foreign key") }}
SET LOCAL statement_timeout = 0;
{% else %}
BEGIN;
{% endif %}
ALTER TABLE {{ u.staging }} VALIDATE CONSTRAINT {{ fk.name }};
COMMIT;
{% else %}
-- {{ fk.name }} is not validated: production does not check it over its rows either.
{% endif %}
{% endfor %}
{% endfor %}

-- Vacuumed, so that the tables go live all-visible (index-only scans read no heap page, and
-- the first autovacuum in production does not read them all), and analyzed, so that the first
-- queries after the cutover plan well. Staging is not production yet: this reads only it.
{% for u in units or recovered %}
VACUUM (ANALYZE) {{ u.staging }};
{% endfor %}

-- Where the cutover moves each sequence: staging does not change after this, so the cutover
-- reads nothing under its locks. Then the build is recorded, all of it done.
BEGIN;
{% for s in setvals.cutover %}
{{ macros.target(run, s) }}
{% endfor %}
INSERT INTO {{ run.progress }} (step) VALUES ('build');
COMMIT;
{% if recovered %}
\echo 'restage: the staging tables are built; next: 45-recover-preview.sql, then ./50-recover.sh'
{% else %}
\echo 'restage: the staging tables are built; next: 40-verify.sql'
{% endif %}
