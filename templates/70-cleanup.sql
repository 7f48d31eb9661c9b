{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "70-cleanup", "drops the retired tables and the staging and retired schemas. After this, the cutover cannot be rolled back.", "./70-cleanup.sh -v approve=" ~ digest_short ~ " (retries when the locks are not all granted in time), or psql -X -v approve=" ~ digest_short ~ " -f 70-cleanup.sql") }}

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
    RAISE EXCEPTION 'restage cleanup drops the retired tables for good, so it must be approved'
        USING HINT = 'run: ./70-cleanup.sh -v approve={{ digest_short }}';
END
{{ tag }};
\endif
{{ macros.guard(tag, plan, guard) }}

SELECT pg_catalog.to_regnamespace({{ run.schema | literal }}) IS NOT NULL AS restage_staged \gset
\if :restage_staged
{{ macros.check_digest(tag, run, plan, digest) }}

DO {{ tag }}
BEGIN
    IF NOT EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'cutover') THEN
        RAISE EXCEPTION 'restage cleanup: no cutover is recorded; the retired schemas hold nothing to drop yet'
            USING HINT = 'run 50-cutover.sh first; to abandon this restore instead, drop the staging and retired schemas';
    END IF;
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
{% for schema in retired_schemas %}
DROP SCHEMA {{ schema }};
{% endfor %}
DROP TABLE {{ run.progress }}, {{ run.cutover_stats }}, {{ run.targets }}, {{ run.run }};
{% for schema in staging_schemas | reverse %}
DROP SCHEMA {{ schema }};
{% endfor %}
COMMIT;
\echo 'restage: cleanup done'
\else
\echo 'restage: there is no staging schema from this plan; nothing to clean up'
\endif
