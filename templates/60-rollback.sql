{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "60-rollback", "puts the replaced tables back, exactly undoing the cutover. The restored tables go to the retired schemas, with any rows written to them since the cutover: those are reported, not merged back.", "psql -X -f 60-rollback.sql") }}

{{ macros.guard(tag, plan, guard) }}

{{ macros.check_digest(tag, run, plan, digest) }}

{{ macros.progress_flag(run, "restage_rolled_back", "rollback") }}
\set restage_finish false
\if :restage_rolled_back
\echo 'restage: the rollback is already recorded; nothing to do but what is left of its validations and refreshes'
\set restage_finish true
\else
{{ macros.progress_flag(run, "restage_cut_over", "cutover") }}
\if :restage_cut_over

-- Before any lock: what the swap back needs from the replaced tables, which have not changed
-- since the cutover. Where each sequence must go, and the proof of each replaced partition's
-- bound, validated now (SHARE UPDATE EXCLUSIVE on that retired table only) so that ATTACH
-- reads nothing under the locks below.
BEGIN;
{% for s in setvals.rollback %}
{{ macros.target(run, s) }}
{% endfor %}
COMMIT;
{% for u in units %}
{% if u.partition %}
ALTER TABLE {{ u.retired }} VALIDATE CONSTRAINT restage_partition_bound;
{% endif %}
{% endfor %}

BEGIN;
{{ macros.lock_limits(cutover, true) }}
-- Inside the transaction: on its own it would commit, and a commit waits for synchronous
-- standbys before the check below has looked at them.
{{ macros.understood(tag) }}
{{ macros.before_locking(tag, rollback_locks) }}

{{ macros.acquire(tag, rollback_locks, cutover, "the rollback") }}

-- Production as it is now, compared again under the locks, before anything changes: what
-- changed on the restored tables since the cutover (a deploy: a column, an index, a grant)
-- would be lost when the replaced tables come back, so the rollback refuses and changes nothing.
{{ macros.refuse_on(tag, macros.drift_problems(drift, true),
    "restage rollback: production changed since the cutover, and putting the replaced tables back would undo it", "difference(s)",
    "nothing was changed: production is on the restored tables. Undo those changes (and make them again after the rollback, if they are wanted), then run 60-rollback.sh again") }}
{{ macros.refuse_on(tag, macros.replication_problems(units),
    "restage rollback: logical replication would not see the swap back", "problem(s)",
    "nothing was changed: production is on the restored tables. See README.md, Replicas; then run 60-rollback.sh again") }}
INSERT INTO {{ run.progress }} (step, item) VALUES ('rollback', 'locked');

-- What was written to the restored tables since the cutover stays with them in the retired
-- schemas. The counts come from the statistics system: approximate, and missing for writes of
-- the last second or so.
DO {{ tag }}
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT t.item, s.n_tup_ins - c.n_tup_ins AS inserted, s.n_tup_upd - c.n_tup_upd AS updated,
               s.n_tup_del - c.n_tup_del AS deleted
        FROM (VALUES {% for u in units %}({{ u.item }}, {{ u.production | literal }}, {{ u.retired | literal }}){% if not loop.last %}, {% endif %}{% endfor %}) AS t (item, production, retired)
        JOIN {{ run.cutover_stats }} c ON c.item = t.item
        JOIN pg_catalog.pg_stat_all_tables s ON s.relid = t.production::pg_catalog.regclass
        ORDER BY t.item
    LOOP
        IF r.inserted + r.updated + r.deleted > 0 THEN
            RAISE NOTICE 'restage rollback: % had about % insert(s), % update(s), % delete(s) since the cutover; they stay in the retired schema',
                r.item, r.inserted, r.updated, r.deleted;
        END IF;
    END LOOP;
END
{{ tag }};
-- 1. Let go of the restored tables.
{{ macros.let_go(tag, run, units, dependents, inheritance_order.rollback, true) }}

-- 3. The swap back, through the (now empty) staging schemas: restored tables to the retired
--    schemas, the replaced tables back in production.
{% for u in units | reverse %}

-- {{ u.label }}
{% for s in u.owned_sequences %}
ALTER SEQUENCE {{ s.sequence }} OWNED BY NONE;
{% endfor %}
ALTER TABLE {{ u.production }} SET SCHEMA {{ u.staging_schema }};
ALTER TABLE {{ u.retired }} SET SCHEMA {{ u.production_schema }};
ALTER TABLE {{ u.staging }} SET SCHEMA {{ u.retired_schema }};
{% for s in u.owned_sequences %}
ALTER SEQUENCE {{ s.sequence }} OWNED BY {{ u.production }}.{{ s.column }};
{% endfor %}
{% for m in u.attached.statistics_moves %}
ALTER STATISTICS {{ m.production }} SET SCHEMA {{ m.staging_schema }};
ALTER STATISTICS {{ m.retired }} SET SCHEMA {{ m.production_schema }};
ALTER STATISTICS {{ m.staging }} SET SCHEMA {{ m.retired_schema }};
{% endfor %}
{% endfor %}

-- 4. The replaced partitions go back, their bounds proven by the constraint validated above.
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

-- 5. Point everything back at the replaced tables.
{{ macros.point_back(tag, units, dependents) }}

-- 6. Sequences: past every replaced value, never behind the values handed out since the
--    cutover.
{% for s in setvals.rollback %}
{{ macros.setval(run, s) }}
{% endfor %}

INSERT INTO {{ run.progress }} (step) VALUES ('rollback');
COMMIT;
\echo 'restage: rolled back; the restored tables are in the retired schemas until 70-cleanup.sql'
\set restage_finish true
\else
-- No cutover is recorded (none was run, or every attempt failed and changed nothing):
-- production is on its own tables, and there is nothing to undo.
\echo 'restage: no cutover is recorded, so there is nothing to roll back: production is on its own tables. To abandon this restore, ./70-cleanup.sh -v approve={{ digest_short }} drops the staging tables and restage''s schemas'
\endif
\endif

\if :restage_finish
-- After the commit, without exclusive locks on the tables: the foreign keys pointed back at the
-- replaced tables are validated, and the materialized views re-created empty are refreshed,
-- each in a transaction of its own.
{{ macros.validate_and_refresh(tag, run, cutover, units, dependents, "rollback") }}
\endif
