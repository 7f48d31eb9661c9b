{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "55-after-cutover", "finishes what the cutover left for later, without exclusive locks on the swapped tables: validates the foreign keys it re-pointed, refreshes the materialized views it re-created.", "psql -X -f 55-after-cutover.sql") }}

{{ macros.guard(tag, plan, guard) }}

{{ macros.check_digest(tag, run, plan, digest) }}

DO {{ tag }}
BEGIN
    IF NOT EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'cutover') THEN
        RAISE EXCEPTION 'restage after-cutover: no cutover is recorded'
            USING HINT = 'run 50-cutover.sh first';
    END IF;
    IF EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'rollback') THEN
        RAISE EXCEPTION 'restage after-cutover: the cutover was rolled back'
            USING HINT = 'the rollback validates and refreshes for the tables it put back';
    END IF;
END
{{ tag }};

{% if retired_proofs %}
-- The proofs of the replaced partitions' bounds, validated now, while nothing waits for them:
-- a rollback then attaches those partitions back without reading them. Each takes SHARE
-- UPDATE EXCLUSIVE on its retired table only.
{% for u in units %}
{% if u.partition %}
ALTER TABLE {{ u.retired }} VALIDATE CONSTRAINT restage_partition_bound;
{% endif %}
{% endfor %}

{% endif %}
-- VALIDATE takes SHARE UPDATE EXCLUSIVE on the referencing table (reads and writes go on) and
-- ROW SHARE on the referenced one; on a key already valid it does nothing. A re-created
-- materialized view is empty (readers get an error) until its refresh, which holds ACCESS
-- EXCLUSIVE on the view only, not on the tables it reads. Each takes its locks within
-- restage_lock_ms, in a transaction of its own.
{{ macros.validate_and_refresh(tag, run, cutover, units, dependents, "after-cutover") }}

INSERT INTO {{ run.progress }} (step) VALUES ('after-cutover') ON CONFLICT (step, item) DO NOTHING;
\echo 'restage: after-cutover done; when the restore is accepted: 70-cleanup.sql'
