{% import "macros.sql" as macros %}
#!/usr/bin/env bash
# restage {{ version }} | plan {{ plan }} | digest {{ digest }}
# {{ driver.name }}: runs {{ driver.script }} until it gets its locks. An attempt that does not get
# every lock within the bound (SQLSTATE 55P03), or that a deadlock ends (40P01), has changed
# nothing and is tried again, with backoff, at most {{ driver.retries }} more times; before each
# attempt it waits for any autovacuum that prevents wraparound on what it locks (such a vacuum
# is never cancelled for a lock, so the attempt could only time out). Any other error stops at
# once. Whatever happens, it then reads the run record and says what state production is in
# and what to run next.
# Run: ./{{ driver.name }}{{ driver.usage }} (its arguments go to psql)
# The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
set -euo pipefail
cd "$(dirname "$0")"

RETRIES={{ driver.retries }}
# The wait before each retry, in seconds.
DELAYS=({{ driver.delays | join(" ") }})
SESSION={{ macros.session_line(session, versions, plan, tag, driver.name) | shell }}

query() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$SESSION" -c "$1"
}

# The state the run record says production is in. The server may be restarting (a crash, a
# failover): tries for a minute.
state() {
    local tries staged
    for tries in $(seq 30); do
        if staged=$(query {{ ("SELECT pg_catalog.to_regclass(" ~ (run.progress | literal) ~ ") IS NOT NULL") | shell }} 2>/dev/null); then
            if [ "$staged" != t ]; then
                echo unstaged
                return 0
            fi
            query {{ macros.run_state(run, digest) | shell }} 2>/dev/null && return 0
        fi
        sleep 2
    done
    return 1
}

# Says what state production is in and what to run next. Succeeds when that state is one this
# step ends in.
report() {
    local now
    if ! now=$(state); then
        echo "restage {{ driver.step }}: cannot reach the server to read the run record, so it is not known whether {{ driver.script }} committed; once the server is back, run ./{{ driver.name }} again: it reads the run record first and changes nothing that is done" >&2
        return 1
    fi
    case $now in
{% for s in driver.states %}
    {{ s.state }}) echo {{ s.says | shell }} >&2 ;;
{% endfor %}
    *) echo "restage {{ driver.step }}: the run record says $now" >&2 ;;
    esac
    case $now in
    {{ driver.done | join("|") }}) return 0 ;;
    *) return 1 ;;
    esac
}

# Waits while autovacuum works on a table this step locks to prevent wraparound.
wait_for_wraparound_vacuums() {
    local working said=0
    while working=$(query {{ macros.wraparound_vacuums(driver.relations) | shell }} 2>/dev/null) && [ -n "$working" ]; do
        if [ $((said % 10)) -eq 0 ]; then
            echo "restage {{ driver.step }}: waiting for autovacuum to finish $working to prevent wraparound: it is never cancelled for a lock, so an attempt now could only time out" >&2
        fi
        said=$((said + 1))
        sleep 1
    done
}

errors=$(mktemp "${TMPDIR:-/tmp}/restage-{{ driver.step }}.XXXXXX")
trap 'rm -f "$errors"' EXIT

attempt=0
while :; do
    attempt=$((attempt + 1))
    wait_for_wraparound_vacuums
    status=0
    psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose "$@" -f {{ driver.script }} 2>"$errors" || status=$?
    cat "$errors" >&2
    output=$(cat "$errors")
    if [ "$status" -eq 0 ]; then
        report
        exit
    fi
    if grep -Eq '(ERROR|FATAL): +55006: restage: autovacuum' <<<"$output"; then
        attempt=$((attempt - 1))
        continue
    fi
    # The step is done but what follows it is not (a foreign key left NOT VALID): say so, and fail.
    if grep -Eq 'ERROR: +RSTG1:' <<<"$output"; then
        report
        exit 1
    fi
    if ! grep -Eq '(ERROR|FATAL): +(55P03|40P01):' <<<"$output"; then
        echo "restage {{ driver.step }}: {{ driver.script }} failed (see above)" >&2
        report
        exit
    fi
    if [ "$attempt" -gt "$RETRIES" ]; then
        echo "restage {{ driver.step }}: gave up after $attempt attempts: each time a session held, or waited for, a lock it needs; find the sessions in pg_stat_activity and pg_locks" >&2
        report
        exit 1
    fi
    delay=${DELAYS[attempt - 1]}
    echo "restage {{ driver.step }}: attempt $attempt did not get its locks in time, changing nothing; retrying in ${delay}s" >&2
    sleep "$delay"
done
