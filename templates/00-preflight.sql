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

    -- Every table of the plan exists, as the kind of table the listing says, owned by a role
    -- this session may act as (moving a table to another schema needs its owner).
{% for check in relations %}
    IF pg_catalog.to_regclass({{ check.literal }}) IS NULL THEN
        problems := problems || pg_catalog.format('table %s does not exist', {{ check.literal }});
    ELSIF (SELECT relkind FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass({{ check.literal }})) <> '{{ check.relkind }}' THEN
        problems := problems || pg_catalog.format('%s is not {{ check.kind }}', {{ check.literal }});
    ELSIF NOT pg_catalog.pg_has_role((SELECT relowner FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass({{ check.literal }})), 'USAGE') THEN
        problems := problems || pg_catalog.format('role %s cannot act as the owner of %s', current_user, {{ check.literal }});
    END IF;
{% endfor %}

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
    IF NOT pg_catalog.pg_has_role('pg_read_all_stats', 'USAGE') THEN
        RAISE NOTICE 'role % cannot see other sessions'' queries or synchronous standbys (pg_read_all_stats): the cutover then cannot wait for an anti-wraparound autovacuum, and refuses to run while synchronous_standby_names is set', current_user;
    END IF;

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
    IF pg_catalog.cardinality(problems) = 0 THEN
        problems := problems || ARRAY(
            WITH expected (kind, tbl, name, definition) AS (
                VALUES
            {% for e in drift.expected %}
                    ({{ e.kind }}, {{ e.table }}, {{ e.name }}, {{ e.definition }}){% if not loop.last %},{% endif %}

            {% endfor %}
            ),
            restored AS (
                SELECT pg_catalog.to_regclass(t) AS oid FROM pg_catalog.unnest(ARRAY[{{ drift.tables | join(", ") }}]::pg_catalog.text[]) AS t
            ),
            parents AS (
                SELECT pg_catalog.to_regclass(t) AS oid FROM pg_catalog.unnest(ARRAY[{{ drift.parents | join(", ") }}]::pg_catalog.text[]) AS t
            ),
            actual (kind, tbl, name, definition) AS (
                SELECT 'column', a.attrelid::pg_catalog.regclass::pg_catalog.text, a.attname::pg_catalog.text,
                       pg_catalog.format_type(a.atttypid, a.atttypmod)
                FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                WHERE a.attrelid IN (SELECT oid FROM restored) AND a.attnum > 0 AND NOT a.attisdropped
                  AND (a.attislocal OR c.relispartition)
                UNION ALL
                SELECT 'index', i.indrelid::pg_catalog.regclass::pg_catalog.text, c.relname::pg_catalog.text,
                       pg_catalog.pg_get_indexdef(i.indexrelid)
                FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
                WHERE i.indrelid IN (SELECT oid FROM restored)
                  AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
                UNION ALL
                SELECT 'constraint', k.conrelid::pg_catalog.regclass::pg_catalog.text, k.conname::pg_catalog.text,
                       pg_catalog.pg_get_constraintdef(k.oid)
                FROM pg_catalog.pg_constraint k
                WHERE (k.conrelid IN (SELECT oid FROM restored)
                       AND (k.contype IN ('p', 'u', 'x') OR (k.contype = 'f' AND k.conparentid = 0) OR (k.contype = 'c' AND k.conislocal)))
                   OR (k.contype = 'f' AND k.conparentid = 0 AND k.conrelid NOT IN (SELECT oid FROM restored)
                       AND (k.conrelid IN (SELECT oid FROM parents) OR k.confrelid IN (SELECT oid FROM restored)))
                UNION ALL
                SELECT 'trigger', g.tgrelid::pg_catalog.regclass::pg_catalog.text, g.tgname::pg_catalog.text,
                       pg_catalog.pg_get_triggerdef(g.oid)
                FROM pg_catalog.pg_trigger g
                WHERE g.tgrelid IN (SELECT oid FROM restored) AND NOT g.tgisinternal AND g.tgparentid = 0
                UNION ALL
                SELECT 'policy', p.polrelid::pg_catalog.regclass::pg_catalog.text, p.polname::pg_catalog.text,
                       {{ macros.policy_expressions("p") }}
                FROM pg_catalog.pg_policy p
                WHERE p.polrelid IN (SELECT oid FROM restored)
                UNION ALL
                SELECT 'grant', c.oid::pg_catalog.regclass::pg_catalog.text,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END
                           || ' ' || g.privilege_type || CASE WHEN g.is_grantable THEN '*' ELSE '' END,
                       pg_catalog.format('GRANT %s ON TABLE %s TO %s%s', g.privilege_type, c.oid::pg_catalog.regclass,
                           CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::pg_catalog.text END,
                           CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END)
                FROM pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) g
                WHERE c.oid IN (SELECT oid FROM restored) AND g.grantee <> c.relowner
                UNION ALL
                SELECT 'view', c.oid::pg_catalog.regclass::pg_catalog.text, c.oid::pg_catalog.regclass::pg_catalog.text,
                       pg_catalog.rtrim(pg_catalog.pg_get_viewdef(c.oid), ';')
                FROM pg_catalog.pg_class c
                WHERE c.oid IN (SELECT pg_catalog.to_regclass(t) FROM pg_catalog.unnest(ARRAY[{{ drift.views | join(", ") }}]::pg_catalog.text[]) AS t)
            )
            SELECT pg_catalog.format(
                       CASE
                           WHEN a.kind IS NULL THEN '%s is in the dump but no longer in production: %s'
                           WHEN e.kind IS NULL THEN '%s is in production but not in the dump (the swap would lose it): %s'
                           ELSE E'%s differs:\n      in the dump:       %s\n      in production: %s'
                       END,
                       CASE kind WHEN 'view' THEN 'view ' || name ELSE pg_catalog.format('%s %s of %s', kind, name, tbl) END,
                       coalesce(e.definition, a.definition), a.definition) AS problem
            FROM expected e FULL JOIN actual a USING (kind, tbl, name)
            WHERE CASE
                      WHEN e.definition IS NOT DISTINCT FROM a.definition THEN false
                      WHEN e.kind IS NULL OR a.kind IS NULL THEN true
                      ELSE pg_temp.restage_understood(kind, tbl, name, e.definition)
                           IS DISTINCT FROM pg_temp.restage_understood(kind, tbl, name, a.definition)
                  END
            ORDER BY tbl, kind, name
        );
    END IF;

    IF pg_catalog.cardinality(problems) > 0 THEN
        RAISE EXCEPTION 'restage preflight found % problem(s):%', pg_catalog.cardinality(problems),
            E'\n  - ' || pg_catalog.array_to_string(problems, E'\n  - ')
            USING HINT = 'nothing was changed. Where production changed since the dump, take a new dump (listing and schema SQL) and compile again, or bring production back in line; then run 00-preflight.sql again';
    END IF;
    IF resumed THEN
        RAISE NOTICE 'restage preflight passed: staging exists from this plan; 10-stage.sql leaves it as it is and 20-load.sh resumes';
    ELSE
        RAISE NOTICE 'restage preflight passed: {{ tables | length }} table(s) ready to stage';
    END IF;
END
{{ tag }};

ROLLBACK;
