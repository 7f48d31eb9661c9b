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
    referencing text;
    present text;
    matches text;
    orphans bigint;
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
{% for u in units %}
{% for fk in u.attached.inbound if fk.validated %}

    -- A foreign key of another table that points at a restored one: its rows that point at
    -- rows production's table has and the restored copy lacks (written since the dump) would
    -- be left pointing at nothing.
    {{ macros.foreign_key_match(fk) }}
    IF referencing IS NOT NULL THEN
        EXECUTE pg_catalog.format('SELECT pg_catalog.count(*) FROM %s WHERE %s AND NOT EXISTS (SELECT FROM ONLY %s r WHERE %s)',
            referencing, present, {{ u.staging | literal }}, matches) INTO orphans;
        IF orphans > 0 THEN
{% if fk.accept_orphans %}
            RAISE NOTICE 'restage verify: % row(s) of % point at rows the restored % lacks (foreign key %); the plan accepts them: the key stays NOT VALID after the cutover',
                orphans, {{ fk.table | literal }}, {{ u.production | literal }}, {{ fk.catalog_name }};
{% else %}
            problems := problems || pg_catalog.format(E'%s row(s) of %s point at rows the restored %s lacks (foreign key %s): after the cutover they would point at nothing, and the key could not be validated. List them:\n      SELECT c.* FROM %s WHERE %s AND NOT EXISTS (SELECT FROM ONLY %s r WHERE %s);\n    Restore those rows too (a new dump), remove or change the rows that point at them, or accept them with accept_orphans: true on %s in the plan',
                orphans, {{ fk.table | literal }}, {{ u.production | literal }}, {{ fk.catalog_name }},
                referencing, present, {{ u.staging | literal }}, matches, {{ u.production | literal }});
{% endif %}
        END IF;
    END IF;
{% endfor %}
{% endfor %}

    -- What the swap replaces, on the restored copy and in production: the same, or the swap
    -- would undo a change made in production (or lose what the copy could not be given).
    problems := problems || {{ macros.property_problems(units) }};

    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'restage verify found % problem(s):%', pg_catalog.cardinality(problems),
            E'\n  - ' || pg_catalog.array_to_string(problems, E'\n  - ')
            USING HINT = 'do not cut over; fix the cause, then reload or rebuild and verify again';
    END IF;
    RAISE NOTICE 'restage verify passed: {{ tables | length }} table(s) ready for the cutover';
END
{{ tag }};

COMMIT;
