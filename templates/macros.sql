{#- Pieces every script shares. -#}
{% macro header(version, plan, digest, step, what, run) -%}
\set ON_ERROR_STOP on
-- restage {{ version }} | plan {{ plan }} | digest {{ digest }}
-- {{ step }}: {{ what }}
-- Run: {{ run }}
-- The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
{%- endmacro %}

{% macro check_digest(tag, run, plan, digest, digest_literal) -%}
-- Refuse to run against staging made by another plan, or by another version of this one.
DO {{ tag }}
BEGIN
    IF to_regclass({{ run.run_literal }}) IS NULL THEN
        RAISE EXCEPTION 'restage: there is no run record in schema %', {{ run.schema_literal }}
            USING HINT = 'run 00-preflight.sql and 10-stage.sql first';
    END IF;
    IF NOT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest_literal }}) THEN
        RAISE EXCEPTION 'restage: schema % was staged by another plan or another version of this plan (digest %), not by plan {{ plan }} (digest {{ digest }})',
            {{ run.schema_literal }}, (SELECT digest FROM {{ run.run }} LIMIT 1)
            USING HINT = 'use the artifacts that staged it, or its 70-cleanup.sql, before these';
    END IF;
END
{{ tag }};
{%- endmacro %}

{% macro progress_flag(run, name, step) -%}
SELECT EXISTS (SELECT FROM {{ run.progress }} WHERE step = '{{ step }}') AS {{ name }} \gset
{%- endmacro %}

{% macro timeouts(cutover) -%}
-- Give up on a lock after lock_timeout rather than queue behind it, and cap every statement.
SET LOCAL lock_timeout = {{ cutover.lock_timeout }};
SET LOCAL statement_timeout = {{ cutover.statement_timeout }};
{%- endmacro %}

{% macro lock(production, others) -%}
LOCK TABLE {% for name in production %}ONLY {{ name }}, {% endfor %}{% for name in others %}ONLY {{ name }}{% if not loop.last %}, {% endif %}{% endfor %} IN ACCESS EXCLUSIVE MODE;
{%- endmacro %}

{% macro setval(s) -%}
SELECT setval({{ s.target }}, {{ s.pick }}((SELECT {{ s.extreme }}({{ s.column }}) FROM {{ s.table }}), {{ s.floor }}));
{%- endmacro %}
