{% import "macros.sql" as macros %}
#!/usr/bin/env bash
# restage {{ version }} | plan {{ plan }} | digest {{ digest }}
# 20-load: copies each table's rows from the dump into its staging table, in load order, one
# transaction per table (empty the staging table, COPY, record it as loaded, commit). The COPY
# goes through `restage remap`, which sends it to the staging table and refuses anything else.
# A rerun skips the tables already loaded for this digest and resumes with the first one not.
# Up to load.jobs tables load at the same time; one progress line per table goes to stderr.
# Run: ./20-load.sh
# The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
# RESTAGE_DUMP overrides the dump path; RESTAGE the restage binary used for remap;
# RESTAGE_PROGRESS the seconds between progress lines while a table loads (0: none).
set -euo pipefail
cd "$(dirname "$0")"

DUMP=${RESTAGE_DUMP:-{{ dump }}}
RESTAGE=${RESTAGE:-restage}
DIGEST={{ digest }}
# Tables loaded at the same time (load.jobs).
JOBS={{ load.jobs }}
PROGRESS=${RESTAGE_PROGRESS:-10}
case $PROGRESS in
'' | *[!0-9]*)
    echo "restage load: RESTAGE_PROGRESS=$PROGRESS is not a number of seconds (0: no progress lines)" >&2
    exit 2
    ;;
esac

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

{% set session_sql = macros.session_line(session, versions, plan, tag, "20-load.sh") %}
SESSION={{ session_sql | shell }}

query() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$SESSION" -c "$1"
}

{{ macros.shell_guard(tag, plan, guard, "load", "nothing was loaded") }}

staged=$(query {{ ("SELECT digest FROM " ~ run.run) | shell }} 2>/dev/null) || staged=
if [ "$staged" != "$DIGEST" ]; then
    if [ -z "$staged" ]; then
        echo "restage load: no staging from this plan here: run 00-preflight.sql and 10-stage.sql first" >&2
    else
        echo "restage load: the staging schema was made by another plan or version (digest $staged), not this one ($DIGEST)" >&2
    fi
    exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/restage-load.XXXXXX")
trap 'rm -rf "$work"' EXIT

# load_unit NUMBER NAME LIST MAP BEGIN_SQL END_SQL LOADED_QUERY ESTIMATE_QUERY
# Leaves $work/NUMBER.result: "skipped", "loaded ROWS BYTES" or "failed".
load_unit() {
    local number=$1 name=$2 list=$3 map=$4 begin_sql=$5 end_sql=$6 loaded_query=$7 estimate_query=$8
    local tag="restage load: [$number/{{ (units or recovered) | length }}] $name"
    case "$(query "$loaded_query")" in
    loaded)
        echo "$tag: already loaded for this digest, skipped" >&2
        echo skipped >"$work/$number.result"
        return 0
        ;;
    emptied)
        echo "$tag: recorded as loaded, but its staging table is empty (a crash or failover empties UNLOGGED tables): loading it again" >&2
        ;;
    esac
    # Progress lines from remap, with the time left estimated from the production table's
    # size when it was staged; on a terminal, one table at a time, one line redrawn.
    local progress=() estimate=
    if [ "$PROGRESS" != 0 ]; then
        progress=(--progress "$PROGRESS" --label "$tag")
        estimate=$(query "$estimate_query") || estimate=
        if [ -n "$estimate" ]; then
            progress+=(--expected-bytes "$estimate")
        fi
        if [ "$JOBS" = 1 ] && [ -t 2 ]; then
            progress+=(--redraw)
        fi
    fi
    echo "$tag: started${estimate:+ (about $estimate bytes in production)}" >&2
    local started=$SECONDS
    # The end SQL (record and commit) follows only a complete, accepted stream: when pg_restore
    # or remap fails, psql reaches the end of its input inside the open transaction, which then
    # rolls back.
    if ! {
        printf '%s\n' "$begin_sql"
        pg_restore --data-only -L "$list" -f - "$DUMP" |
            "$RESTAGE" remap --map "$map" --stats "$work/$number.stats"{{ load.rate_option }} ${progress[@]+"${progress[@]}"} &&
            printf '%s\n' "$end_sql"
    } | psql -X -q -A -t -v ON_ERROR_STOP=1 >"$work/$number.out"; then
        echo "$tag: FAILED after $((SECONDS - started)) s; none of its rows were kept" >&2
        echo failed >"$work/$number.result"
        return 1
    fi
    local rows copies remapped bytes
    rows=$(tail -n 1 "$work/$number.out")
    read -r copies remapped bytes <"$work/$number.stats"
    echo "$tag: finished: $rows rows, $bytes bytes in $((SECONDS - started)) s" >&2
    echo "loaded $rows $bytes" >"$work/$number.result"
}

# Runs load_unit in the background, never more than JOBS at a time, and starts nothing new
# once a table has failed.
launch() {
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n || true
    done
    if ! ls "$work"/*.result >/dev/null 2>&1 || ! grep -qx failed "$work"/*.result; then
        load_unit "$@" &
    fi
}

started=$SECONDS
{% for u in units or recovered %}
launch {{ u.number }} {{ u.production | shell }} {{ u.list_file | shell }} \
    {{ (u.production ~ "=" ~ u.staging) | shell }} \
    {{ macros.load_begin(session_sql, tag, run, digest, u) | shell }} \
    {{ macros.load_end(run, u) | shell }} \
    {{ macros.load_state(run, u) | shell }} \
    {{ ("SELECT bytes FROM " ~ run.estimates ~ " WHERE item = " ~ u.item) | shell }}
{% endfor %}
wait

loaded=0 skipped=0 failed=0 rows=0 bytes=0
for number in {% for u in units or recovered %}{{ u.number }}{% if not loop.last %} {% endif %}{% endfor %}; do
    result=$(cat "$work/$number.result" 2>/dev/null || echo "not started")
    case $result in
    skipped) skipped=$((skipped + 1)) ;;
    loaded\ *)
        read -r _ r b <<<"$result"
        loaded=$((loaded + 1)) rows=$((rows + r)) bytes=$((bytes + b))
        ;;
    *) failed=$((failed + 1)) ;;
    esac
done
echo "restage load: {{ (units or recovered) | length }} table(s): $loaded loaded ($rows rows, $bytes bytes), $skipped skipped, $failed failed or not started, in $((SECONDS - started)) s" >&2
if [ "$failed" -gt 0 ]; then
    echo "restage load: rerun ./20-load.sh to load the rest; tables already loaded are skipped" >&2
    exit 1
fi
echo "restage load: next: 30-build.sql" >&2
