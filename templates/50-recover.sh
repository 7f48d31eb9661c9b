{% import "macros.sql" as macros %}
#!/usr/bin/env bash
# restage {{ version }} | plan {{ plan }} | digest {{ digest }}
# 50-recover: puts back into production the dump's rows it lacks, table by table, parents
# before children, in key order, {{ recover.batch_rows }} candidate rows per transaction. Each batch inserts
# the candidates whose key production does not have and whose parents it has (INSERT ... ON
# CONFLICT DO NOTHING: a row production has, or gets meanwhile, is kept as production has it),
# and records in the run record, in the same transaction, what became of each candidate.
{% for r in recovered if r.overwrite and r.first_of_target %}
# {{ r.target_label }} has on_conflict: overwrite: a row of production's with a candidate's key that
# differs from it is locked, saved in the run record and updated to the dump's version.
{% endfor %}
# A
# batch takes ROW EXCLUSIVE on the table it inserts into (the lock every INSERT takes) and
# key-share row locks on the parents, within lock_timeout {{ cutover.lock_timeout }}; one that does not get
# them in time, or that a deadlock, a serialization failure or a parent deleted meanwhile
# ends, has changed nothing and is tried again, with backoff, at most {{ cutover.retries }} more times.
# {% if recover.pause %}At most {{ recover.max_rows_per_second }} rows a second: it waits {{ recover.pause }} s after each full batch.{% else %}No throttle: the next batch follows at once.{% endif %}

# Interrupted at any point (a kill, a crash), a rerun goes on after the last batch that
# committed: no row is inserted twice, none is missed. A finished run prints what became of
# every candidate; a rerun prints it again and inserts nothing.
# Run: ./50-recover.sh
# The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
set -euo pipefail
cd "$(dirname "$0")"

RETRIES={{ cutover.retries }}
# The wait before each retry, in seconds.
DELAYS=({{ recover.delays | join(" ") }})
{% set session_sql = macros.session_line(session, versions, plan, tag, "50-recover.sh") %}
SESSION={{ session_sql | shell }}
# Each batch's own bounds.
BATCH_SESSION={{ ("SET lock_timeout = " ~ cutover.lock_timeout ~ "; SET statement_timeout = " ~ cutover.statement_timeout ~ ";") | shell }}

query() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$SESSION" -c "$1"
}

{{ macros.shell_guard(tag, plan, guard, "recover", "nothing was recovered") }}

built=$(query {{ ("SELECT EXISTS (SELECT FROM " ~ run.run ~ " WHERE digest = " ~ (digest | literal) ~ ") AND EXISTS (SELECT FROM " ~ run.progress ~ " WHERE step = 'build')") | shell }} 2>/dev/null) || built=
if [ "$built" != t ]; then
    echo "restage recover: no built staging from this plan here: run 10-stage.sql, 20-load.sh and 30-build.sql first" >&2
    exit 2
fi
{% set loaded %}{% for r in recovered %}({{ r.item }}, {{ macros.loaded(run, r) }}){% if not loop.last %}, {% endif %}{% endfor %}{% endset %}
missing=$(query {{ ("SELECT pg_catalog.string_agg(t.item, ', ') FROM (VALUES " ~ loaded ~ ") AS t (item, loaded) WHERE NOT t.loaded") | shell }})
if [ -n "$missing" ]; then
    echo "restage recover: emptied since the load (a crash or failover empties UNLOGGED tables): $missing; run ./20-load.sh again, then this" >&2
    exit 2
fi

errors=$(mktemp "${TMPDIR:-/tmp}/restage-recover.XXXXXX")
trap 'rm -f "$errors"' EXIT

# recover_table LABEL BATCH_SQL: batches until one decides fewer than a full batch.
recover_table() {
    local label=$1 batch_sql=$2 attempt=0 result inserted overwritten present orphans decided
    local total_inserted=0 total_overwritten=0 total_present=0 total_orphans=0 started=$SECONDS
    echo "restage recover: $label: started" >&2
    while :; do
        if result=$(psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -c "$SESSION" -c "$BATCH_SESSION" -c "$batch_sql" 2>"$errors"); then
            attempt=0
            read -r inserted overwritten present orphans decided <<<"$result"
            total_inserted=$((total_inserted + inserted)) total_overwritten=$((total_overwritten + overwritten))
            total_present=$((total_present + present)) total_orphans=$((total_orphans + orphans))
            if [ "$decided" -lt {{ recover.batch_rows }} ]; then
                echo "restage recover: $label: done in $((SECONDS - started)) s: this run inserted $total_inserted row(s), overwrote $total_overwritten, found $total_present already in production and $total_orphans orphan(s)" >&2
                return 0
            fi
{% if recover.pause %}
            sleep {{ recover.pause }}
{% endif %}
            continue
        fi
        cat "$errors" >&2
        if ! grep -Eq '(ERROR|FATAL): +(55P03|40P01|40001|23503):' "$errors"; then
            echo "restage recover: $label: a batch failed (see above); it changed nothing. Rows of earlier batches stay in production; run ./50-recover.sh again once the cause is fixed: it goes on where it stopped" >&2
            return 1
        fi
        attempt=$((attempt + 1))
        if [ "$attempt" -gt "$RETRIES" ]; then
            echo "restage recover: $label: gave up after $attempt attempts at one batch: each time it waited too long for a lock, or lost a deadlock or a race with a write; run ./50-recover.sh again later: it goes on where it stopped" >&2
            return 1
        fi
        local delay=${DELAYS[attempt - 1]}
        echo "restage recover: $label: a batch did not complete (see above), changing nothing; retrying in ${delay}s" >&2
        sleep "$delay"
    done
}

{% for r in recovered %}
recover_table {{ (r.label ~ " into " ~ r.target_label) | shell }} {{ macros.recover_batch(r, recover) | shell }}
{% endfor %}

echo "restage recover: every candidate is decided:" >&2
{% for r in recovered %}
query {{ macros.recover_report(r) | shell }} >&2
{% endfor %}
echo "restage recover: next: check production; 60-undo-recover.sql takes out what this inserted, and 70-cleanup.sh drops the staging copies and the record (after which no undo)" >&2
