{% import "macros.sql" as macros %}
{{ macros.header(session, versions, version, plan, digest, "60-undo-recover", "takes out of production the rows 50-recover.sh inserted, children before parents, and only those still as recovery wrote them that no row references, and gives the rows it overwrote production's saved version back: a row changed since, or that another row now points at, is left in place and reported. Takes ROW EXCLUSIVE on the tables it writes, one transaction per table.", "psql -X -f 60-undo-recover.sql (rerun: it takes out what is left to take out, and reports the rest again)") }}

{{ macros.guard(tag, plan, guard) }}

BEGIN;
{{ macros.check_digest(tag, run, plan, digest) }}
COMMIT;

{% for r in recovered | reverse %}
-- {{ r.label }}: the rows recovered into {{ r.target_label }}. The statement that deletes them is made
-- from the catalog as it is now: any foreign key that references {{ r.target_label }} (of a table in the
-- plan or not) keeps the rows it points at, whatever its ON DELETE says.
BEGIN;
SET LOCAL lock_timeout = {{ cutover.lock_timeout }};
-- Not bounded: the delete takes no lock that blocks other writers (only the rows it deletes),
-- and each deleted row is checked by the foreign keys that reference it, which takes as long
-- as it takes without an index on the referencing columns.
SET LOCAL statement_timeout = 0;
DO {{ tag }}
DECLARE
    unreferenced pg_catalog.text := '';
    reference record;
    undone pg_catalog.int8;
    changed pg_catalog.int8;
    referenced pg_catalog.int8;
    gone pg_catalog.int8;
BEGIN
    FOR reference IN
        SELECT k.conrelid::pg_catalog.regclass AS referencing,
               pg_catalog.string_agg(pg_catalog.format('x.%I OPERATOR(pg_catalog.=) t.%I', ca.attname, pa.attname), ' AND ' ORDER BY c.n) AS matches
        FROM pg_catalog.pg_constraint k,
             ROWS FROM (pg_catalog.unnest(k.conkey), pg_catalog.unnest(k.confkey)) WITH ORDINALITY AS c (referencing_column, referenced_column, n),
             pg_catalog.pg_attribute ca, pg_catalog.pg_attribute pa
        WHERE k.contype = 'f' AND k.conparentid = 0 AND k.confrelid = {{ r.target | literal }}::pg_catalog.regclass
          AND ca.attrelid = k.conrelid AND ca.attnum = c.referencing_column
          AND pa.attrelid = k.confrelid AND pa.attnum = c.referenced_column
        GROUP BY k.oid, k.conrelid
    LOOP
        unreferenced := unreferenced || pg_catalog.format(' AND NOT EXISTS (SELECT FROM %s x WHERE %s)', reference.referencing, reference.matches);
    END LOOP;
    -- Deleted only where production's row is still the row recovery wrote (its text's sha256,
    -- recorded as the insert returned it, after production's triggers).
    EXECUTE $sql$
        WITH restage_undone AS (
            DELETE FROM {{ r.target_rows }} t
            USING {{ r.record }} r
            WHERE r.restage_outcome = 'inserted' AND {{ macros.same_key(r, "t", "r") }}
              AND {{ macros.row_hash(r, "t") }} OPERATOR(pg_catalog.=) r.restage_written$sql$ || unreferenced || $sql$
            RETURNING {{ macros.keys_of(r, "t") }}
        )
        UPDATE {{ r.record }} r SET restage_outcome = 'undone' FROM restage_undone u WHERE {{ macros.same_key(r, "r", "u") }}
    $sql$;
    GET DIAGNOSTICS undone = ROW_COUNT;
    EXECUTE $sql$
        SELECT pg_catalog.count(*) FILTER (WHERE t.{{ r.key[0] }} IS NULL),
               pg_catalog.count(*) FILTER (WHERE t.{{ r.key[0] }} IS NOT NULL AND {{ macros.row_hash(r, "t") }} OPERATOR(pg_catalog.<>) r.restage_written),
               pg_catalog.count(*) FILTER (WHERE t.{{ r.key[0] }} IS NOT NULL AND {{ macros.row_hash(r, "t") }} OPERATOR(pg_catalog.=) r.restage_written)
        FROM {{ r.record }} r
        LEFT JOIN {{ r.target_rows }} t ON {{ macros.same_key(r, "t", "r") }}
        WHERE r.restage_outcome = 'inserted'
    $sql$ INTO gone, changed, referenced;
    RAISE NOTICE 'restage undo: %: % row(s) taken out%', {{ r.label | literal }}, undone,
        CASE WHEN gone + changed + referenced = 0 THEN ''
             ELSE pg_catalog.format('; left, and recorded as inserted: %s deleted in production since, %s changed since, %s referenced by other rows', gone, changed, referenced) END;
{% if r.overwrite %}
    -- The rows recovery overwrote get production's saved version back, where they are still
    -- as recovery wrote them.
    WITH restage_restored AS (
        UPDATE {{ r.target_rows }} t SET ({{ r.overwritten_columns | join(", ") }}) = ROW({% for c in r.overwritten_columns %}o.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %})
        FROM {{ r.record }} r, {{ r.saved }} o
        WHERE r.restage_outcome = 'overwritten' AND {{ macros.same_key(r, "o", "r") }} AND {{ macros.same_key(r, "t", "r") }}
          AND {{ macros.row_hash(r, "t") }} OPERATOR(pg_catalog.=) r.restage_written
        RETURNING {{ macros.keys_of(r, "t") }}
    )
    UPDATE {{ r.record }} r SET restage_outcome = 'restored' FROM restage_restored u WHERE {{ macros.same_key(r, "r", "u") }};
    GET DIAGNOSTICS undone = ROW_COUNT;
    SELECT pg_catalog.count(*) INTO changed FROM {{ r.record }} r WHERE r.restage_outcome = 'overwritten';
    RAISE NOTICE 'restage undo: %: % overwritten row(s) given production''s version back%', {{ r.label | literal }}, undone,
        CASE WHEN changed = 0 THEN '' ELSE pg_catalog.format('; left, and recorded as overwritten: %s changed or deleted in production since', changed) END;
{% endif %}
END
{{ tag }};
COMMIT;

{% endfor %}
\echo 'restage: undo done; the rows left in place are reported above. 70-cleanup.sh drops the staging copies and the record'
