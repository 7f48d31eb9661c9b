{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "90-status", "shows where this plan's run stands, from its run record: the steps done, each table's load, the cutover, what a rollback would do now, and the next command. Read-only, and takes no lock on production: it can run at any time, also while another step runs.", "psql -X -f 90-status.sql", true) }}

BEGIN READ ONLY;
\pset null '-'
\pset footer off

SELECT pg_catalog.to_regclass({{ run.run | literal }}) IS NOT NULL AS restage_staged \gset
\if :restage_staged
SELECT EXISTS (SELECT FROM {{ run.run }} WHERE digest = {{ digest | literal }}) AS restage_this_plan \gset
\if :restage_this_plan
\echo 'restage status: plan {{ plan }}, digest {{ digest_short }}'
SELECT r.restage_version AS "staged by restage", r.staged_at AS "at", r.staged_by AS "as"
FROM {{ run.run }} r;

{% if recovered %}
\echo 'Steps:'
WITH p AS (SELECT step, item, done_at FROM {{ run.progress }}),
loads AS (SELECT pg_catalog.count(*) AS loaded, pg_catalog.max(done_at) AS at FROM p WHERE step = 'load')
SELECT s.file AS step, s.state, s.at
FROM (
    SELECT 1, '10-stage.sql', 'done', (SELECT staged_at FROM {{ run.run }})
    UNION ALL
    SELECT 2, '20-load.sh', pg_catalog.format('%s of {{ recovered | length }} table(s) loaded', loads.loaded), loads.at FROM loads
    UNION ALL
    SELECT 3, '30-build.sql', CASE WHEN EXISTS (SELECT FROM p WHERE step = 'build') THEN 'done' ELSE 'not yet' END,
           (SELECT pg_catalog.max(done_at) FROM p WHERE step = 'build')
) AS s (n, file, state, at)
ORDER BY s.n;

SELECT (SELECT pg_catalog.count(*) FROM {{ run.progress }} WHERE step = 'load') = {{ recovered | length }} AS restage_loaded,
       EXISTS (SELECT FROM {{ run.progress }} WHERE step = 'build') AS restage_built \gset
\if :restage_built
\echo 'Recovery (50-recover.sh):'
\pset tuples_only on
{% for r in recovered %}
{{ macros.recover_report(r) }};
{% endfor %}
\pset tuples_only off
SELECT {% for r in recovered %}(SELECT pg_catalog.count(*) {{ macros.candidates(r) }}) OPERATOR(pg_catalog.=) (SELECT COALESCE(pg_catalog.sum(n.inserted OPERATOR(pg_catalog.+) n.overwritten OPERATOR(pg_catalog.+) n.present OPERATOR(pg_catalog.+) n.orphans), 0) FROM {{ r.batches }} n){% if not loop.last %} AND {% endif %}{% endfor %} AS restage_decided,
       {% for r in recovered %}EXISTS (SELECT FROM {{ r.record }} WHERE restage_outcome IN ('undone', 'restored')){% if not loop.last %} OR {% endif %}{% endfor %} AS restage_undone \gset
\if :restage_undone
\echo 'Next: 60-undo-recover.sql has run (rerun it to take out what it left, if that has changed); then ./70-cleanup.sh -v approve={{ digest_short }}'
\elif :restage_decided
\echo 'Next: check production; ./70-cleanup.sh -v approve={{ digest_short }} when it is right (after which no undo), or psql -X -f 60-undo-recover.sql to take the recovered rows out'
\else
\echo 'Next: ./50-recover.sh (it goes on where it stopped)'
\endif
\elif :restage_loaded
\echo 'Next: psql -X -f 30-build.sql'
\else
\echo 'Next: ./20-load.sh'
\endif
{% else %}
\echo 'Steps:'
WITH p AS (SELECT step, item, done_at FROM {{ run.progress }}),
loads AS (SELECT pg_catalog.count(*) AS loaded, pg_catalog.max(done_at) AS at FROM p WHERE step = 'load')
SELECT s.file AS step, s.state, s.at
FROM (
    SELECT 1, '10-stage.sql', 'done', (SELECT staged_at FROM {{ run.run }})
    UNION ALL
    SELECT 2, '20-load.sh', pg_catalog.format('%s of {{ units | length }} table(s) loaded', loads.loaded), loads.at FROM loads
    UNION ALL
    SELECT 3, '30-build.sql',
           CASE WHEN EXISTS (SELECT FROM p WHERE step = 'build') THEN 'done'
                WHEN EXISTS (SELECT FROM p WHERE step = 'build-tables') THEN 'tables built; foreign keys and VACUUM (ANALYZE) not yet'
                ELSE 'not yet' END,
           (SELECT pg_catalog.max(done_at) FROM p WHERE step IN ('build', 'build-tables'))
    UNION ALL
    SELECT 4, '40-verify.sql', 'read-only, not recorded: run it before the cutover', NULL
    UNION ALL
    SELECT 5, '50-cutover.sh', CASE WHEN EXISTS (SELECT FROM p WHERE step = 'cutover' AND item = '') THEN 'done' ELSE 'not yet' END,
           (SELECT done_at FROM p WHERE step = 'cutover' AND item = '')
    UNION ALL
    SELECT 6, '55-after-cutover.sql', CASE WHEN EXISTS (SELECT FROM p WHERE step = 'after-cutover') THEN 'done' ELSE 'not yet' END,
           (SELECT done_at FROM p WHERE step = 'after-cutover')
    UNION ALL
    SELECT 7, '60-rollback.sh', CASE WHEN EXISTS (SELECT FROM p WHERE step = 'rollback' AND item = '') THEN 'done' ELSE 'not run' END,
           (SELECT done_at FROM p WHERE step = 'rollback' AND item = '')
) AS s (n, file, state, at)
ORDER BY s.n;

\echo 'Tables:'
SELECT t.number AS "#", t.item AS "table",
       CASE WHEN p.item IS NULL THEN 'not loaded' ELSE 'loaded' END AS load,
       p.rows, pg_catalog.pg_size_pretty(p.bytes) AS "size loaded",
       pg_catalog.pg_size_pretty(e.bytes) AS "production's size when staged", p.done_at AS "loaded at"
FROM (VALUES {% for u in units %}({{ u.number | literal }}, {{ u.item }}){% if not loop.last %}, {% endif %}{% endfor %}) AS t (number, item)
LEFT JOIN {{ run.progress }} p ON p.step = 'load' AND p.item = t.item
LEFT JOIN {{ run.estimates }} e ON e.item = t.item
ORDER BY t.number;

-- What a rollback would do, and what to run next, from the run record alone (the write counts
-- from the statistics system, which takes no lock).
WITH p AS (SELECT step, item FROM {{ run.progress }}),
state AS (
    SELECT EXISTS (SELECT FROM p WHERE step = 'rollback' AND item = '') AS rolled_back,
           EXISTS (SELECT FROM p WHERE step = 'cutover' AND item = '') AS cut_over,
           EXISTS (SELECT FROM p WHERE step = 'after-cutover') AS after_cutover,
           EXISTS (SELECT FROM p WHERE step = 'build') AS built,
           (SELECT pg_catalog.count(*) FROM p WHERE step = 'load') = {{ units | length }} AS loaded
),
written AS (
    SELECT pg_catalog.sum(s.n_tup_ins - c.n_tup_ins) AS inserted, pg_catalog.sum(s.n_tup_upd - c.n_tup_upd) AS updated,
           pg_catalog.sum(s.n_tup_del - c.n_tup_del) AS deleted
    FROM (VALUES {% for u in units %}({{ u.item }}, {{ u.production | literal }}){% if not loop.last %}, {% endif %}{% endfor %}) AS t (item, production)
    JOIN {{ run.cutover_stats }} c ON c.item = t.item
    JOIN pg_catalog.pg_stat_all_tables s ON s.relid = pg_catalog.to_regclass(t.production)
)
SELECT CASE
           WHEN rolled_back THEN 'rolled back: production has its replaced tables again, and what was written to the restored tables in between is in the retired schemas'
           WHEN cut_over THEN pg_catalog.format('a rollback (./60-rollback.sh) would put the replaced tables back; about %s insert(s), %s update(s) and %s delete(s) made on the restored tables since the cutover (from the statistics system) would stay in the retired schemas, and sequences would not move back',
                                                 COALESCE(written.inserted, 0), COALESCE(written.updated, 0), COALESCE(written.deleted, 0))
           ELSE 'nothing to roll back: the cutover has not run, and production is as it was'
       END AS restage_rollback,
       CASE
           WHEN rolled_back OR after_cutover THEN './70-cleanup.sh -v approve={{ digest_short }}' || CASE WHEN rolled_back THEN '' ELSE ' once production is checked (or ./60-rollback.sh to go back)' END
           WHEN cut_over THEN 'psql -X -f 55-after-cutover.sql'
           WHEN built THEN 'psql -X -f 40-verify.sql, then ./50-cutover.sh'
           WHEN loaded THEN 'psql -X -f 30-build.sql'
           ELSE './20-load.sh'
       END AS restage_next
FROM state, written \gset
\echo 'Rollback now:' :restage_rollback
\echo 'Next:' :restage_next
{% endif %}
\else
SELECT digest AS restage_other FROM {{ run.run }} \gset
\echo 'restage status: the staging here was made by another plan or version (digest' :restage_other 'not {{ digest_short }}): this plan has not run here'
\endif
\else
\echo 'restage status: no run of plan {{ plan }} here: not staged yet, or cleaned up (70-cleanup.sh drops the run record).'
\echo 'Next: psql -X -f 00-preflight.sql, then psql -X -f 10-stage.sql'
\endif
ROLLBACK;
