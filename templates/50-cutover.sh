#!/usr/bin/env bash
# restage {{ version }} | plan {{ plan }} | digest {{ digest }}
# 50-cutover: runs 50-cutover.sql, retrying when a lock is not granted within lock_timeout
# (SQLSTATE 55P03), with backoff, at most {{ cutover.retries }} times. Any other error stops at once.
# Run: ./50-cutover.sh
# The connection comes from the libpq environment (PGHOST, PGPORT, PGDATABASE, PGUSER, ...).
set -euo pipefail
cd "$(dirname "$0")"

retries={{ cutover.retries }}
attempt=0
while :; do
    attempt=$((attempt + 1))
    status=0
    output=$(psql -X -v ON_ERROR_STOP=1 -v VERBOSITY=verbose -f 50-cutover.sql 2>&1) || status=$?
    printf '%s\n' "$output"
    if [ "$status" -eq 0 ]; then
        exit 0
    fi
    if ! grep -q '55P03' <<<"$output"; then
        echo "restage cutover: failed (not a lock timeout); nothing was changed" >&2
        exit "$status"
    fi
    if [ "$attempt" -gt "$retries" ]; then
        echo "restage cutover: gave up after $attempt attempts: a lock was not granted within lock_timeout each time; nothing was changed" >&2
        echo "restage cutover: find the blocking sessions in pg_stat_activity / pg_locks, then run ./50-cutover.sh again" >&2
        exit 1
    fi
    delay=$((attempt < 5 ? 1 << (attempt - 1) : 16))
    echo "restage cutover: lock timeout on attempt $attempt; retrying in ${delay}s" >&2
    sleep "$delay"
done
