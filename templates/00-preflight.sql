{% import "macros.sql" as macros %}
{{ macros.header(version, plan, digest, "00-preflight", "read-only checks of production before anything is created.", "psql -X -f 00-preflight.sql") }}

BEGIN READ ONLY;

DO {{ tag }}
DECLARE
    problems text[] := '{}';
    resumed boolean := false;
BEGIN
    IF current_setting('server_version_num')::int NOT BETWEEN 140000 AND 189999 THEN
        problems := problems || format('PostgreSQL %s is not supported: restage writes SQL for PostgreSQL 14 to 18',
            current_setting('server_version'));
    END IF;
    IF NOT has_database_privilege(current_database(), 'CREATE') THEN
        problems := problems || format('role %s cannot create schemas in database %s', current_user, current_database());
    END IF;

    -- Every table of the plan exists, as the kind of table the listing says, owned by a role
    -- this session may act as (moving a table to another schema needs its owner).
{% for check in relations %}
    IF to_regclass({{ check.literal }}) IS NULL THEN
        problems := problems || format('table %s does not exist', {{ check.literal }});
    ELSIF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = to_regclass({{ check.literal }})) <> '{{ check.relkind }}' THEN
        problems := problems || format('%s is not {{ check.kind }}', {{ check.literal }});
    ELSIF NOT pg_has_role((SELECT relowner FROM pg_catalog.pg_class WHERE oid = to_regclass({{ check.literal }})), 'USAGE') THEN
        problems := problems || format('role %s cannot act as the owner of %s', current_user, {{ check.literal }});
    END IF;
{% endfor %}

    -- The staging and retired schemas are new, unless this very plan made them (a rerun).
    IF to_regnamespace({{ run.schema_literal }}) IS NOT NULL THEN
        IF to_regclass({{ run.run_literal }}) IS NULL THEN
            problems := problems || format('schema %s already exists and was not made by restage', {{ run.schema_literal }});
        ELSIF NOT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest_literal }}) THEN
            problems := problems || format('schema %s was staged by another plan (digest %s)',
                {{ run.schema_literal }}, (SELECT digest FROM {{ run.run }} LIMIT 1));
        ELSE
            resumed := true;
        END IF;
    END IF;
    IF NOT resumed THEN
{% for schema in new_schemas %}
        IF to_regnamespace({{ schema }}) IS NOT NULL THEN
            problems := problems || format('schema %s already exists', {{ schema }});
        END IF;
{% endfor %}
    END IF;

    IF cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'restage preflight found % problem(s):%', cardinality(problems),
            E'\n  - ' || array_to_string(problems, E'\n  - ')
            USING HINT = 'nothing was changed; fix these, then run 00-preflight.sql again';
    END IF;
    IF resumed THEN
        RAISE NOTICE 'restage preflight passed: staging exists from this plan; 10-stage.sql leaves it as it is and 20-load.sh resumes';
    ELSE
        RAISE NOTICE 'restage preflight passed: {{ tables | length }} table(s) ready to stage';
    END IF;
END
{{ tag }};

COMMIT;
