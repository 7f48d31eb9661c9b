{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "40-verify", "read-only assertions about the staging tables; any failure stops here, before the cutover.", "psql -X -f 40-verify.sql") }}

BEGIN READ ONLY;

{{ macros.check_digest(tag, run, plan, digest) }}

DO {{ tag }}
DECLARE
    problems text[] := '{}';
    loaded bigint;
    found bigint;
    total bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'build') THEN
        problems := problems || 'the staging tables are not built: run 30-build.sql'::text;
    END IF;
{% for t in tables %}

    -- {{ t.label }}: at least {{ t.min_rows }} row(s)
    total := 0;
{% for u in t.units %}
    SELECT rows INTO loaded FROM {{ run.progress }} WHERE step = 'load' AND item = {{ u.item }};
    IF loaded IS NULL THEN
        problems := problems || pg_catalog.format('%s has not been loaded: run 20-load.sh', {{ u.item }});
    ELSE
        SELECT pg_catalog.count(*) INTO found FROM ONLY {{ u.staging }};
        IF found <> loaded THEN
            problems := problems || pg_catalog.format('%s holds %s rows, but %s were loaded', {{ u.staging | literal }}, found, loaded);
        END IF;
        total := total + found;
    END IF;
{% endfor %}
    IF total < {{ t.min_rows }} THEN
        problems := problems || pg_catalog.format('%s: %s row(s) restored, expected at least {{ t.min_rows }}', {{ t.name | literal }}, total);
    END IF;
{% endfor %}

    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'restage verify found % problem(s):%', pg_catalog.cardinality(problems),
            E'\n  - ' || pg_catalog.array_to_string(problems, E'\n  - ')
            USING HINT = 'do not cut over; fix the cause, then reload or rebuild and verify again';
    END IF;
    RAISE NOTICE 'restage verify passed: {{ tables | length }} table(s) ready for the cutover';
END
{{ tag }};

COMMIT;
