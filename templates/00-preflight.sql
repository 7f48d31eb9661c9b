{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "00-preflight", "checks of production before anything is created; changes nothing (the transaction is rolled back).", "psql -X -f 00-preflight.sql") }}

-- Names in the catalog queries below print fully qualified, as in pg_dump (the header's empty
-- search_path). Not READ ONLY only because the drift check reads the dump's definitions back
-- through scratch objects in this session's temporary schema; the transaction is rolled back.
BEGIN;

{{ macros.understood(tag) }}

DO {{ tag }}
DECLARE
    problems text[] := '{}';
    resumed boolean := false;
BEGIN
    IF pg_catalog.current_setting('server_version_num')::pg_catalog.int4 NOT BETWEEN {{ versions.oldest * 10000 }} AND {{ versions.newest * 10000 + 9999 }} THEN
        problems := problems || pg_catalog.format('PostgreSQL %s is not supported: restage writes SQL for PostgreSQL {{ versions.oldest }} to {{ versions.newest }}',
            pg_catalog.current_setting('server_version'));
    END IF;
    IF NOT pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE') THEN
        problems := problems || pg_catalog.format('role %s cannot create schemas in database %s', current_user, pg_catalog.current_database());
    END IF;

{% if recovered %}
    -- Every table of the plan exists, as the kind of table the listing says.
{% else %}
    -- Every table of the plan exists, as the kind of table the listing says, owned by a role
    -- this session may act as (moving a table to another schema needs its owner).
{% endif %}
{% for check in relations %}
    IF pg_catalog.to_regclass({{ check.literal }}) IS NULL THEN
        problems := problems || pg_catalog.format('table %s does not exist', {{ check.literal }});
    ELSIF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass({{ check.literal }})) <> '{{ check.relkind }}' THEN
        problems := problems || pg_catalog.format('%s is not {{ check.kind }}', {{ check.literal }});
{% if not recovered %}
    ELSIF NOT pg_catalog.pg_has_role((SELECT relowner FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass({{ check.literal }})), 'USAGE') THEN
        problems := problems || pg_catalog.format('role %s cannot act as the owner of %s', current_user, {{ check.literal }});
{% endif %}
    END IF;
{% endfor %}
{% if recovered %}
{% for r in recovered if r.first_of_target %}

    -- {{ r.target_label }}: recovery reads it and inserts into it with ON CONFLICT on the key,
    -- which needs a unique index of production's on exactly the key's columns.
    IF pg_catalog.to_regclass({{ r.target | literal }}) IS NOT NULL THEN
        IF NOT pg_catalog.has_table_privilege({{ r.target | literal }}, 'SELECT, INSERT') THEN
            problems := problems || pg_catalog.format('role %s may not read and insert into %s', current_user, {{ r.target | literal }});
        END IF;
        IF NOT EXISTS (
            SELECT FROM pg_catalog.pg_index i
            WHERE i.indrelid = pg_catalog.to_regclass({{ r.target | literal }}) AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
              AND (SELECT pg_catalog.array_agg(a.attname::pg_catalog.text ORDER BY a.attname::pg_catalog.text)
                   FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k (attnum, n)
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                   WHERE k.n OPERATOR(pg_catalog.<=) i.indnkeyatts)
                  = (SELECT pg_catalog.array_agg(n ORDER BY n) FROM pg_catalog.unnest({{ r.key_names }}) AS n)) THEN
            problems := problems || pg_catalog.format('%s has no unique index on exactly (%s), the key recovery tells its rows by', {{ r.target | literal }}, {{ (r.key | join(", ")) | literal }});
        END IF;
        IF NOT pg_catalog.has_table_privilege({{ r.target | literal }}, 'DELETE') THEN
            RAISE NOTICE 'role % may not delete from %: 60-undo-recover.sql would need it', current_user, {{ r.target | literal }};
        END IF;
    END IF;
{% for fk in r.parents %}
    IF pg_catalog.to_regclass({{ fk.table | literal }}) IS NOT NULL AND NOT pg_catalog.has_table_privilege({{ fk.table | literal }}, 'SELECT') THEN
        problems := problems || pg_catalog.format('role %s may not read %s, where recovery looks for the parents of rows of %s', current_user, {{ fk.table | literal }}, {{ r.target | literal }});
    END IF;
{% endfor %}
{% endfor %}
{% else %}

    -- What the later steps need this role to be allowed to do.
{% for schema in privileges.create_in %}
    IF pg_catalog.to_regnamespace(pg_catalog.quote_ident({{ schema }})) IS NOT NULL AND NOT pg_catalog.has_schema_privilege({{ schema }}, 'CREATE') THEN
        problems := problems || pg_catalog.format('role %s lacks CREATE on schema %s: the cutover and the rollback move tables into it', current_user, {{ schema }});
    END IF;
{% endfor %}
{% for role in privileges.owners %}
    IF pg_catalog.to_regrole(pg_catalog.quote_ident({{ role }})) IS NULL THEN
        problems := problems || pg_catalog.format('role %s, which owns restored tables in the dump, does not exist', {{ role }});
    ELSIF NOT pg_catalog.pg_has_role({{ role }}, CASE WHEN pg_catalog.current_setting('server_version_num')::pg_catalog.int4 >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
        problems := problems || pg_catalog.format('role %s cannot SET ROLE to %s, which 30-build.sql makes the owner of its staging tables', current_user, {{ role }});
    END IF;
{% endfor %}
{% for relation in privileges.owned %}
    IF pg_catalog.to_regclass({{ relation }}) IS NOT NULL
       AND NOT pg_catalog.pg_has_role((SELECT relowner FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass({{ relation }})), 'USAGE') THEN
        problems := problems || pg_catalog.format('role %s cannot act as the owner of %s, which the cutover alters', current_user, {{ relation }});
    END IF;
{% endfor %}
{% for table in privileges.references %}
    IF pg_catalog.to_regclass({{ table }}) IS NOT NULL AND NOT pg_catalog.has_table_privilege({{ table }}, 'REFERENCES') THEN
        problems := problems || pg_catalog.format('role %s lacks REFERENCES on %s, which restored tables reference', current_user, {{ table }});
    END IF;
{% endfor %}
{% endif %}
{% if not recovered %}
    IF NOT pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE') THEN
        RAISE NOTICE 'role % cannot see other sessions'' queries or synchronous standbys (pg_read_all_stats): the cutover then cannot wait for an anti-wraparound autovacuum, and refuses to run while synchronous_standby_names is set', current_user;
    END IF;

    -- Logical replication would not see the swap: no row of it is a row change.
    problems := problems || {{ macros.replication_problems(units) }};
{% endif %}

    -- The staging and retired schemas are new, unless this very plan made them (a rerun).
    IF pg_catalog.to_regnamespace({{ run.schema | literal }}) IS NOT NULL THEN
        IF pg_catalog.to_regclass({{ run.run | literal }}) IS NULL THEN
            problems := problems || pg_catalog.format('schema %s already exists and was not made by restage', {{ run.schema | literal }});
        ELSIF NOT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest | literal }}) THEN
            problems := problems || pg_catalog.format('schema %s was staged by another plan (digest %s)',
                {{ run.schema | literal }}, (SELECT digest FROM {{ run.run }} LIMIT 1));
        ELSE
            resumed := true;
        END IF;
    END IF;
    IF NOT resumed THEN
{% for schema in new_schemas %}
        IF pg_catalog.to_regnamespace({{ schema }}) IS NOT NULL THEN
            problems := problems || pg_catalog.format('schema %s already exists', {{ schema }});
        END IF;
{% endfor %}
    END IF;

    -- Drift: production's definitions of the restored tables (and of what the cutover
    -- re-creates) against the schema SQL every definition is taken from, both as this server
    -- reads them (pg_temp.restage_understood). A difference means production changed since
    -- the dump: swapping would silently undo it.
{% if not recovered %}
    IF pg_catalog.cardinality(problems) = 0 THEN
        problems := problems || {{ macros.drift_problems(drift, false) }};
    END IF;
{% endif %}

    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'restage preflight found % problem(s):%', pg_catalog.cardinality(problems),
            E'\n  - ' || pg_catalog.array_to_string(problems, E'\n  - ')
            USING HINT = 'nothing was changed. Where production changed since the dump, take a new dump (listing and schema SQL) and compile again, or bring production back in line; then run 00-preflight.sql again';
    END IF;
    IF resumed THEN
        RAISE NOTICE 'restage preflight passed: staging exists from this plan; 10-stage.sql leaves it as it is and 20-load.sh resumes';
    ELSE
{% if recovered %}
        RAISE NOTICE 'restage preflight passed: {{ recovered | length }} table(s) ready to stage, to recover rows from';
{% else %}
        RAISE NOTICE 'restage preflight passed: {{ tables | length }} table(s) ready to stage';
{% endif %}
    END IF;
END
{{ tag }};

ROLLBACK;
