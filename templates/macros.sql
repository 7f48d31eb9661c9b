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

{% macro let_go(units, dependents, rollback) -%}
{% for u in units %}
{% set a = u.attached %}
{% for fk in a.inbound %}
{{ fk.drop }}
{% endfor %}
{% for p in a.publications %}
{{ p.drop }}
{% endfor %}
{% for child in a.children %}
-- {{ child }} inherits from the table coming in before it stops inheriting from the one going
-- out, so its inherited columns stay inherited.
ALTER TABLE {{ child }} INHERIT {{ u.retired if rollback else u.staging }};
ALTER TABLE {{ child }} NO INHERIT {{ u.production }};
{% endfor %}
{% if a.inheritance %}
{% for shadow in a.inheritance.shadows %}
-- {{ u.label }} changes places under {{ shadow.parent }}: each copy joins its new parent
-- before it leaves the old one, so its inherited columns stay inherited.
{% if rollback %}
ALTER TABLE {{ u.retired }} INHERIT {{ shadow.parent }};
ALTER TABLE {{ u.retired }} NO INHERIT {{ shadow.retired }};
ALTER TABLE {{ u.production }} INHERIT {{ shadow.staging }};
ALTER TABLE {{ u.production }} NO INHERIT {{ shadow.parent }};
{% else %}
ALTER TABLE {{ u.staging }} INHERIT {{ shadow.parent }};
ALTER TABLE {{ u.staging }} NO INHERIT {{ shadow.staging }};
ALTER TABLE {{ u.production }} INHERIT {{ shadow.retired }};
ALTER TABLE {{ u.production }} NO INHERIT {{ shadow.parent }};
{% endif %}
{% endfor %}
{% endif %}
{% endfor %}
{% for m in dependents.matviews %}
{{ m.drop }}
{% endfor %}
{% for f in dependents.functions %}
{{ f.drop }}
{% endfor %}
{% for fk in dependents.parent_foreign_keys %}
{{ fk.drop }}
{% endfor %}

-- 2. Partitions leave their partitioned tables.
{% for u in units %}
{% if u.partition %}
ALTER TABLE {{ u.partition.parent }} DETACH PARTITION {{ u.production }};
{% endif %}
{% endfor %}
{%- endmacro %}

{% macro point_back(units, dependents) -%}
{% for u in units %}
{% for fk in u.attached.inbound %}
{{ fk.add }}
{% endfor %}
{% for p in u.attached.publications %}
{{ p.add }}
{% endfor %}
{% endfor %}
{% for view in dependents.views %}
{{ view }}
{% endfor %}
{% for f in dependents.functions %}
{% for statement in f.create %}
{{ statement }}
{% endfor %}
{% endfor %}
{% for m in dependents.matviews %}
{% for statement in m.create %}
{{ statement }}
{% endfor %}
{% endfor %}
{%- endmacro %}

{% macro validate_and_refresh(units, dependents) -%}
{% for u in units %}
{% for fk in u.attached.inbound %}
{{ fk.validate }}
{% endfor %}
{% endfor %}
{% for m in dependents.matviews %}
{% if m.refresh %}
{{ m.refresh }}
{% endif %}
{% endfor %}
{%- endmacro %}
