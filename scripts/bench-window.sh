#!/usr/bin/env bash
# How long the cutover and the rollback hold production under ACCESS EXCLUSIVE, for a
# partitioned table whose sequence column leads no index (as Pagila's payment_id does), with
# ROWS rows and with SMALL rows: from the end of the statement that took the locks to the end of
# the COMMIT, from the server's own statement log. With OLD_RESTAGE set to another build of
# restage, the same for it, in the same run (the earlier builds read max() under the locks and
# attached the replaced partitions back without a proof).
#
#   scripts/bench-window.sh [ROWS]          # default 5,000,000 rows
#   SMALL=10000 OLD_RESTAGE=/path/to/restage scripts/bench-window.sh
#
# Prints a Markdown table; the plans, artifacts and server log stay in OUT.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-5000000}
SMALL=${SMALL:-10000}
OUT=${OUT:-$PWD/target/bench-window}
rm -rf "$OUT"
mkdir -p "$OUT"
cargo build --release --quiet
NEW_RESTAGE=$PWD/target/release/restage

export PG_SERVER_OPTIONS="-c max_wal_size=32GB -c checkpoint_timeout=1h -c autovacuum=off -c log_min_duration_statement=0 -c log_line_prefix='%m [%p] '"
# shellcheck source=scripts/pg-cluster.sh
. scripts/pg-cluster.sh
chmod 777 "$PG_DIR"

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# The windows in the server log from byte OFFSET on: from the end of the statement that took the
# locks (restage's acquisition, whose many lines the log entry carries on below its first, or an
# earlier build's LOCK TABLE) to the end of the same session's COMMIT, in milliseconds.
window_of() { # OFFSET
    tail -c +"$(($1 + 1))" "$PG_DIR/server.log" | python3 -c '
import re, sys
from datetime import datetime
head = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) \w+ \[(\d+)\] LOG:  duration: [\d.]+ ms  statement: (.*)")
entries = []
for line in sys.stdin:
    m = head.match(line)
    if m:
        entries.append([datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f"), m.group(2), m.group(3)])
    elif entries:
        entries[-1][2] += "\n" + line
locked = None
for at, pid, text in entries:
    if text.startswith("LOCK TABLE") or (text.startswith("DO") and "wanted CONSTANT" in text):
        locked = (pid, at)
    elif text.strip() == "COMMIT;" and locked and pid == locked[0]:
        print(round((at - locked[1]).total_seconds() * 1000, 1))
        locked = None
'
}

run_one() { # LABEL RESTAGE ROWS
    local label=$1 restage=$2 rows=$3 db="w_${1}_$3" work="$OUT/$1-$3"
    mkdir -p "$work"
    chmod 777 "$work"
    createdb "$db"
    q "$db" "CREATE TABLE public.payment (payment_id serial, paid_on date NOT NULL, amount numeric NOT NULL,
             PRIMARY KEY (paid_on, payment_id)) PARTITION BY RANGE (paid_on);
             CREATE TABLE public.payment_q1 PARTITION OF public.payment FOR VALUES FROM ('2026-01-01') TO ('2026-04-01');
             CREATE TABLE public.payment_q2 PARTITION OF public.payment FOR VALUES FROM ('2026-04-01') TO ('2026-07-01');
             CREATE TABLE public.payment_q3 PARTITION OF public.payment FOR VALUES FROM ('2026-07-01') TO ('2026-10-01');
             CREATE TABLE public.payment_q4 PARTITION OF public.payment FOR VALUES FROM ('2026-10-01') TO ('2027-01-01');
             INSERT INTO public.payment (paid_on, amount)
             SELECT date '2026-01-01' + (g % 365), g % 1000 FROM generate_series(1, $rows) g;"
    q "$db" "VACUUM ANALYZE public.payment"
    pg_dump -Fc -Z0 -d "$db" -f "$work/db.dump"
    pg_restore -l -v "$work/db.dump" >"$work/db.list"
    pg_restore --schema-only -v -f "$work/db-schema.sql" "$work/db.dump"
    cat >"$work/plan.yaml" <<EOF
restage: 1
name: window
source:
  listing: db.list
  schema: db-schema.sql
  dump: $work/db.dump
tables:
  - public.payment
EOF
    "$restage" compile "$work/plan.yaml" --out "$work/out" >/dev/null
    (
        cd "$work/out"
        export PGDATABASE=$db RESTAGE=$restage
        for step in 00-preflight.sql 10-stage.sql 30-build.sql 40-verify.sql; do
            [ "$step" = 30-build.sql ] && ./20-load.sh 2>/dev/null
            psql -X -q -v ON_ERROR_STOP=1 -f "$step" >/dev/null 2>&1
        done
        local offset
        offset=$(stat -c %s "$PG_DIR/server.log")
        ./50-cutover.sh >/dev/null 2>&1
        cutover=$(window_of "$offset" | tail -n 1)
        offset=$(stat -c %s "$PG_DIR/server.log")
        if [ -x 60-rollback.sh ]; then ./60-rollback.sh >/dev/null 2>&1; else psql -X -q -v ON_ERROR_STOP=1 -f 60-rollback.sql >/dev/null 2>&1; fi
        rollback=$(window_of "$offset" | tail -n 1)
        printf '| %s | %s | %s | %s |\n' "$label" "$rows" "$cutover" "$rollback"
    )
    dropdb "$db"
}

echo "| restage | rows | cutover: ACCESS EXCLUSIVE held (ms) | rollback: ACCESS EXCLUSIVE held (ms) |"
echo "|---|--:|--:|--:|"
for rows in "$SMALL" "$ROWS"; do
    run_one this "$NEW_RESTAGE" "$rows"
    if [ -n "${OLD_RESTAGE:-}" ]; then
        run_one earlier "$OLD_RESTAGE" "$rows"
    fi
done
