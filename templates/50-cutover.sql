{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "50-cutover", "swaps the staging tables into production in one short transaction. The first script that changes production.", "./50-cutover.sh (retries when the locks are not all granted in time), or psql -X -f 50-cutover.sql") }}
{{ macros.guard(tag, plan, guard) }}

BEGIN;
{{ macros.lock_limits(cutover, true) }}

-- Inside the transaction: on its own it would commit, and a commit waits for synchronous
-- standbys before the check below has looked at them.
{{ macros.understood(tag) }}

{{ macros.check_digest(tag, run, plan, digest) }}

DO {{ tag }}
BEGIN
    IF EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'rollback') THEN
        RAISE EXCEPTION 'restage cutover: this cutover was rolled back: production is on its own tables again, and the restored tables are in the retired schemas'
            USING HINT = 'nothing was changed. Next: 70-cleanup.sh drops the restored copies; to restore again, start over from 00-preflight.sql';
    END IF;
END
{{ tag }};
{{ macros.progress_flag(run, "restage_cut_over", "cutover") }}
\if :restage_cut_over
\echo 'restage: the cutover is already recorded; nothing to do'
\else
DO {{ tag }}
BEGIN
    IF NOT EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'build') THEN
        RAISE EXCEPTION 'restage cutover: the staging tables are not built'
            USING HINT = 'run 20-load.sh, 30-build.sql and 40-verify.sql first';
    END IF;
END
{{ tag }};

{{ macros.before_locking(tag, cutover_locks) }}

{{ macros.acquire(tag, cutover_locks, cutover, "the cutover") }}

-- Production as it is now, compared again under the locks that keep it so until COMMIT, before
-- anything changes: what changed since the preflight (a deploy during the load: a column, an
-- index, a grant) would be undone by the swap, so the cutover refuses and changes nothing.
{{ macros.refuse_on(tag, macros.drift_problems(drift, false) ~ " || " ~ macros.property_problems(units),
    "restage cutover: production changed since the dump, and the swap would undo it", "difference(s)",
    "nothing was changed: production is on its own tables. Take a new dump (listing and schema SQL), compile and start over, or bring production back in line with the dump; then run 50-cutover.sh again") }}
{{ macros.refuse_on(tag, macros.replication_problems(units),
    "restage cutover: logical replication would not see the swap", "problem(s)",
    "nothing was changed: production is on its own tables. See README.md, Replicas; then run 50-cutover.sh again") }}
INSERT INTO {{ run.progress }} (step, item) VALUES ('cutover', 'locked');

-- Write counters of each restored table, for the rollback report.
INSERT INTO {{ run.cutover_stats }} (item, n_tup_ins, n_tup_upd, n_tup_del)
SELECT t.item, s.n_tup_ins, s.n_tup_upd, s.n_tup_del
FROM (VALUES {% for u in units %}({{ u.item }}, {{ u.staging | literal }}){% if not loop.last %}, {% endif %}{% endfor %}) AS t (item, staging)
JOIN pg_catalog.pg_stat_all_tables s ON s.relid = t.staging::pg_catalog.regclass;
{% if retired_proofs %}
-- Each replaced partition keeps a proof of its bound (NOT VALID now, validated after the
-- commit), so that a rollback attaches it back without reading it.
DO {{ tag }}
BEGIN
{% for partition in retired_proofs %}
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT restage_partition_bound CHECK (%s) NOT VALID', {{ partition | literal }},
        pg_catalog.pg_get_partition_constraintdef({{ partition | literal }}::pg_catalog.regclass));
{% endfor %}
END
{{ tag }};
{% endif %}

-- 1. Let go of the tables being replaced: what points at them by OID would otherwise follow
--    them to the retired schema.
{{ macros.let_go(tag, run, units, dependents, inheritance_order.cutover, false) }}

-- 3. The swap: production tables to the retired schemas, staging tables in their place.
{% for u in units %}

-- {{ u.label }}
{% for s in u.owned_sequences %}
ALTER SEQUENCE {{ s.sequence }} OWNED BY NONE;
{% endfor %}
ALTER TABLE {{ u.production }} SET SCHEMA {{ u.retired_schema }};
ALTER TABLE {{ u.staging }} SET SCHEMA {{ u.production_schema }};
{% for s in u.owned_sequences %}
ALTER SEQUENCE {{ s.sequence }} OWNED BY {{ u.production }}.{{ s.column }};
{% endfor %}
{% for m in u.attached.statistics_moves %}
ALTER STATISTICS {{ m.production }} SET SCHEMA {{ m.retired_schema }};
ALTER STATISTICS {{ m.staging }} SET SCHEMA {{ m.production_schema }};
{% endfor %}
{% endfor %}

-- 4. Partitioned tables take their new partitions: foreign keys first, while they have no
--    partitions to check; the default partition last.
{% for fk in dependents.parent_foreign_keys %}
{{ fk.add }}
{% endfor %}
{% for default in [false, true] %}
{% for u in units %}
{% if u.partition and u.partition.default == default %}
ALTER TABLE {{ u.partition.parent }} ATTACH PARTITION {{ u.production }} {{ u.partition.bound }};
ALTER TABLE {{ u.production }} DROP CONSTRAINT restage_partition_bound;
{% for statement in u.attached.after_attach %}
{{ statement }}
{% endfor %}
{% endif %}
{% endfor %}
{% endfor %}

-- 5. Point everything back at the new tables. Foreign keys come back NOT VALID (checked by
--    55-after-cutover.sql); materialized views come back empty (refreshed there too).
{{ macros.point_back(tag, units, dependents) }}

-- 6. Sequences: past every restored value (the targets 30-build.sql worked out from staging),
--    never behind where they were.
{% for s in setvals.cutover %}
{{ macros.setval(run, s) }}
{% endfor %}

INSERT INTO {{ run.progress }} (step) VALUES ('cutover');
\set restage_done true
\endif

COMMIT;
\if :{?restage_done}
\echo 'restage: cutover done; next: 55-after-cutover.sql. The replaced tables stay in the retired schemas until 70-cleanup.sql'
\endif
