{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "45-recover-preview", "says, per table, what 50-recover.sh would do with the dump's rows if it ran now: how many it would insert, how many production already has (kept as production has them), how many need a parent that is neither in production nor recovered by this plan; and the first keys of each. Read-only; takes no lock stronger than ACCESS SHARE.", "psql -X -f 45-recover-preview.sql", true) }}

BEGIN READ ONLY;
\pset footer off
{{ macros.check_digest(tag, run, plan, digest) }}

-- Each candidate as a recovery now would find it. A parent counts as there when production
-- has it or when it is a candidate of a table this plan recovers first.
{% for r in recovered %}
\echo {{ (r.label ~ " into " ~ r.target_label ~ (":" if not r.filter else ", where (" ~ r.filter ~ "):")) | literal }}
WITH restage_candidate AS (
    SELECT {{ macros.keys_of(r, "s") }},
           CASE WHEN EXISTS (SELECT FROM {{ r.target_rows }} t WHERE {{ macros.same_key(r, "t", "s") }}{% if r.overwrite %} AND {{ macros.row_of(r, "t") }} OPERATOR(pg_catalog.=) {{ macros.row_of(r, "s") }}{% endif %}) THEN 'present'
                WHEN NOT ({{ macros.has_parents(r, "s", true) }}) THEN 'orphan'
{% if r.overwrite %}
                WHEN EXISTS (SELECT FROM {{ r.target_rows }} t WHERE {{ macros.same_key(r, "t", "s") }}) THEN 'overwrite'
{% endif %}
                ELSE 'insert' END AS outcome
    {{ macros.candidates(r) }}
)
SELECT o.outcome AS "would", o.meaning AS "because", pg_catalog.count(c.outcome) AS "rows",
       (SELECT pg_catalog.string_agg(k.key, ' ') FROM (SELECT ROW({{ macros.keys_of(r, "x") }})::pg_catalog.text AS key FROM restage_candidate x WHERE x.outcome = o.outcome ORDER BY {{ macros.keys_of(r, "x") }} LIMIT 5) AS k) AS "first keys"
{% if r.overwrite %}
FROM (VALUES (1, 'insert', 'production lacks the key'),
             (2, 'overwrite', 'production''s row differs: saved, then updated'),
             (3, 'present', 'production has the row as the dump has it'),
             (4, 'orphan', 'a parent it needs is missing')) AS o (n, outcome, meaning)
{% else %}
FROM (VALUES (1, 'insert', 'production lacks the key'),
             (2, 'present', 'production has the key: its row is kept'),
             (3, 'orphan', 'a parent it needs is missing')) AS o (n, outcome, meaning)
{% endif %}
LEFT JOIN restage_candidate c ON c.outcome = o.outcome
GROUP BY o.n, o.outcome, o.meaning
ORDER BY o.n;
{% endfor %}

ROLLBACK;
