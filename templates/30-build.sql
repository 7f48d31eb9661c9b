{% import "macros.sql" as macros %}
{{ macros.header(version, plan, digest, "30-build", "makes the loaded staging tables ready to swap in. Writes only inside the staging schemas.", "psql -X -f 30-build.sql") }}

BEGIN;

{{ macros.check_digest(tag, run, plan, digest, digest_literal) }}

-- Every table must be loaded before it is built.
DO {{ tag }}
DECLARE
    missing text[];
BEGIN
    SELECT array_agg(wanted.item ORDER BY wanted.item) INTO missing
    FROM unnest(ARRAY[{% for u in units %}{{ u.item }}{% if not loop.last %}, {% endif %}{% endfor %}]::text[]) AS wanted (item)
    WHERE NOT EXISTS (SELECT FROM {{ run.progress }} p WHERE p.step = 'load' AND p.item = wanted.item);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'restage build: not loaded yet: %', array_to_string(missing, ', ')
            USING HINT = 'run 20-load.sh first';
    END IF;
END
{{ tag }};

{% if unlogged %}
-- Staging was UNLOGGED for a fast load; production tables must be logged. SET LOGGED rewrites
-- each table and writes all of it to WAL (and to standbys). On a table already logged (a
-- rerun) it does nothing.
{% for u in units %}
ALTER TABLE {{ u.staging }} SET LOGGED;
{% endfor %}

{% endif %}
INSERT INTO {{ run.progress }} (step) VALUES ('build') ON CONFLICT (step, item) DO NOTHING;

COMMIT;

-- Planner statistics, so the first queries after the cutover plan well.
{% for u in units %}
ANALYZE {{ u.staging }};
{% endfor %}
