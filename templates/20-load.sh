#!/usr/bin/env bash
# restage {{ version }} | plan {{ plan }} | digest {{ digest }}
# 20-load: copies each table's rows from the dump into its staging table, in load order, one
# transaction per table (empty the staging table, COPY, record it as loaded, commit). The COPY
# goes through `restage remap`, which sends it to the staging table and refuses anything else.
# A rerun skips the tables already loaded for this digest and resumes with the first one not.
# Run: ./20-load.sh
# The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
# RESTAGE_DUMP overrides the dump path; RESTAGE the restage binary used for remap.
set -euo pipefail
cd "$(dirname "$0")"

DUMP=${RESTAGE_DUMP:-{{ dump }}}
RESTAGE=${RESTAGE:-restage}
DIGEST={{ digest }}

missing=
for tool in pg_restore psql "$RESTAGE"; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    echo "restage load: not found:$missing (put them on PATH; RESTAGE names the restage binary)" >&2
    exit 2
fi
if [ ! -r "$DUMP" ]; then
    echo "restage load: cannot read the dump $DUMP (set RESTAGE_DUMP to its path)" >&2
    exit 2
fi

query() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1"
}

staged=$(query {{ load.staged_digest_query }} 2>/dev/null) || staged=
if [ "$staged" != "$DIGEST" ]; then
    if [ -z "$staged" ]; then
        echo "restage load: no staging from this plan here: run 00-preflight.sql and 10-stage.sql first" >&2
    else
        echo "restage load: the staging schema was made by another plan or version (digest $staged), not this one ($DIGEST)" >&2
    fi
    exit 2
fi

# load_unit NUMBER NAME LIST MAP BEGIN_SQL END_SQL LOADED_QUERY
load_unit() {
    local number=$1 name=$2 list=$3 map=$4 begin_sql=$5 end_sql=$6 loaded_query=$7
    if [ "$(query "$loaded_query")" = 1 ]; then
        echo "restage load: [$number/{{ units | length }}] $name already loaded for this digest, skipped" >&2
        return
    fi
    echo "restage load: [$number/{{ units | length }}] $name started" >&2
    local started=$SECONDS rows
    # The end SQL (record and commit) follows only a complete, accepted stream: when pg_restore
    # or remap fails, psql reaches the end of its input inside the open transaction, which then
    # rolls back, and pipefail stops this script.
    rows=$({
        printf '%s\n' "$begin_sql"
        pg_restore --data-only -L "$list" -f - "$DUMP" | "$RESTAGE" remap --map "$map" &&
            printf '%s\n' "$end_sql"
    } | psql -X -q -A -t -v ON_ERROR_STOP=1 | tail -n 1)
    echo "restage load: [$number/{{ units | length }}] $name finished: $rows rows in $((SECONDS - started)) s" >&2
}

{% for u in units %}
load_unit {{ u.number }} {{ u.load.name }} {{ u.load.list }} \
    {{ u.load.map }} \
    {{ u.load.begin_sql }} \
    {{ u.load.end_sql }} \
    {{ u.load.loaded_query }}
{% endfor %}

echo "restage load: all {{ units | length }} table(s) loaded; next: 30-build.sql" >&2
