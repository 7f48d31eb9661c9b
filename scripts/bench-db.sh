#!/usr/bin/env bash
# What the database feels, measured side by side in one run on a throwaway PostgreSQL:
#
#   - WAL written and wall time of: a direct `pg_restore --data-only` into the production table;
#     restage's load into UNLOGGED staging; its SET LOGGED; the rest of 30-build.sql; loads
#     throttled with load.max_rate into logged and into UNLOGGED staging;
#   - a live workload (pgbench at a fixed rate, writing to a table outside the plan) running
#     throughout: its latency (p50, p99, max) and failed transactions in each of those windows
#     (each until the operating system has written out what it wrote) and while idle;
#   - the cutover window: how long the restored tables are held ACCESS EXCLUSIVE (from the
#     acquisition to the COMMIT of 50-cutover.sql, from the server's own statement log), for a
#     table of about 10 MB and one of ROWS rows (about 1 GB by default);
#   - how far a streaming standby (a second cluster on this machine, pg_basebackup -R) falls
#     behind in each phase: the primary's WAL position minus the standby's replay position, and
#     the age of the last transaction it replayed, sampled every 50 ms; for the direct restore,
#     for the default plan (UNLOGGED staging) and for the one REVIEW.md recommends with standbys
#     (logged staging with load.max_rate), each of its phases.
#
# Results (Markdown tables), a latency plot (PNG) and the raw logs go to OUT. Needs PostgreSQL
# server binaries with pgbench, and python3 with matplotlib for the plot. Results: BENCHMARKS.md.
#
#   scripts/bench-db.sh [ROWS]        # default 8,000,000 rows: about 1 GB
#   RATE=200 MAX_RATE=25MB OUT=target/bench-db scripts/bench-db.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-8000000}
SMALL_ROWS=${SMALL_ROWS:-80000}
RATE=${RATE:-200}
MAX_RATE=${MAX_RATE:-25MB}
IDLE=${IDLE:-20}
OUT=${OUT:-$PWD/target/bench-db}
mkdir -p "$OUT"
rm -f "$OUT"/phases.tsv "$OUT"/cutover.tsv "$OUT"/workload.* "$OUT"/*.png
cargo build --release --quiet
export RESTAGE=$PWD/target/release/restage
python3 -c 'import matplotlib' 2>/dev/null || {
    echo "python3 with matplotlib is needed for the plot: python3 -m pip install matplotlib" >&2
    exit 2
}

# No checkpoint and no autovacuum during the run, so that no phase pays for another's (each load
# leaves millions of new rows that autovacuum would otherwise visit during the next phases); the
# statement log with millisecond timestamps for the cutover window.
export PG_SERVER_OPTIONS="-c max_wal_size=32GB -c checkpoint_timeout=1h -c autovacuum=off -c log_line_prefix='%m [%p] '"
# shellcheck source=scripts/pg-cluster.sh
. scripts/pg-cluster.sh
WORK=$PG_DIR/work
mkdir -p "$WORK"
chmod 777 "$PG_DIR" "$WORK"
export PGDATABASE=shop
createdb shop

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }

# The standby, from the empty cluster: it follows everything that comes after.
STANDBY_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_server pg_basebackup -D "$PG_DIR/standby" -X stream -c fast -R -d "host=$PG_DIR port=$PGPORT user=postgres application_name=bench_standby"
as_server pg_ctl -D "$PG_DIR/standby" -l "$PG_DIR/standby.log" -w \
    -o "-p $STANDBY_PORT -k $PG_DIR -c listen_addresses='' -c hot_standby_feedback=off" start >/dev/null
standby_stop() { as_server pg_ctl -D "$PG_DIR/standby" -m immediate -w stop >/dev/null 2>&1 || true; }
sq() { psql -X -A -t -q -p "$STANDBY_PORT" -c "$1"; }

echo "== building production: public.reading ($ROWS rows), public.small ($SMALL_ROWS rows), public.orders"
table() {
    q "CREATE TABLE public.$1 (id bigint PRIMARY KEY, taken_at timestamptz NOT NULL, value numeric NOT NULL, note text);
       INSERT INTO public.$1
       SELECT g, timestamptz '2026-01-01' - g * interval '1 second', g * 0.001, md5(g::text) || ' ' || md5((g * 7)::text)
       FROM generate_series(1, $2) g;
       CREATE INDEX $1_taken_at ON public.$1 (taken_at);"
    q "VACUUM ANALYZE public.$1"
}
table reading "$ROWS"
table small "$SMALL_ROWS"
q "CREATE TABLE public.orders (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), amount int NOT NULL)"
q "SELECT format('reading: %s, small: %s', pg_size_pretty(pg_table_size('public.reading')), pg_size_pretty(pg_table_size('public.small')))"

echo "== dumping"
pg_dump -Fc -Z0 -t public.reading -t public.small -f "$WORK/shop.dump" shop
pg_restore -l -v "$WORK/shop.dump" > "$WORK/shop.list"
pg_restore --schema-only -v -f "$WORK/shop-schema.sql" "$WORK/shop.dump"
grep ' TABLE DATA public reading ' "$WORK/shop.list" > "$WORK/direct.list"
plan() { # NAME TABLE STAGING UNLOGGED [MAX_RATE]
    cat > "$WORK/$1.yaml" <<EOF
restage: 1
name: $1
source:
  listing: shop.list
  schema: shop-schema.sql
  dump: $WORK/shop.dump
staging:
  schema: $3
  retired: ${3}_retired
  unlogged: $4
tables:
  - public.$2
load:
  jobs: 1
${5:+  max_rate: $5}
EOF
    "$RESTAGE" compile "$WORK/$1.yaml" --out "$WORK/$1" 2>/dev/null
}
plan unlogged reading restore_staging true
plan logged reading restore_logged false "$MAX_RATE"
plan throttled reading restore_throttled true "$MAX_RATE"
plan small small restore_small true

echo "== live workload: pgbench, $RATE transactions/s, 4 clients, writing public.orders"
cat > "$WORK/orders.sql" <<'EOF'
\set amount random(1, 1000)
BEGIN;
INSERT INTO public.orders (amount) VALUES (:amount) RETURNING id \gset
SELECT amount FROM public.orders WHERE id = :id;
END;
EOF
# Back-to-back runs of 5 s, so that every transaction is logged (a pgbench that is stopped
# loses the log lines it has not flushed); the gaps between runs are a few milliseconds.
workload() {
    while [ ! -e "$WORK/stop" ]; do
        pgbench -n -f "$WORK/orders.sql" -R "$RATE" -c 4 -j 2 -T 5 -l --failures-detailed \
            --log-prefix="$WORK/workload" shop >> "$WORK/pgbench.out" 2>&1 || true
    done
}
workload &
WORKLOAD=$!
# Standby lag every 50 ms: epoch, bytes behind (the primary's position is read first, so this
# never understates), seconds since the last transaction the standby replayed committed.
sample_lag() {
    while [ ! -e "$WORK/stop" ]; do
        local at primary behind
        at=$(now)
        primary=$(q "SELECT pg_current_wal_lsn()")
        behind=$(sq "SELECT pg_wal_lsn_diff('$primary', pg_last_wal_replay_lsn()), coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0)" | tr '|' '\t')
        printf '%s\t%s\n' "$at" "$behind" >> "$OUT/lag.tsv"
        sleep 0.05
    done
}
rm -f "$OUT/lag.tsv"
sample_lag &
SAMPLER=$!
stop_workload() { touch "$WORK/stop"; wait "$WORKLOAD" "$SAMPLER" 2>/dev/null || true; }
trap 'stop_workload; standby_stop; pg_stop' EXIT

# phase NAME COMMAND...: wall time and WAL of COMMAND. The latency window runs on until the
# operating system has written out what COMMAND left dirty (it does so in bursts, up to 30 s
# later): a phase that ended sooner would otherwise hand its writeback to the next. Between
# phases, outside the windows, a CHECKPOINT and `sync` start the next one clean.
phase() {
    local name=$1 start returned end lsn0 lsn1
    shift
    echo "-- $name"
    lsn0=$(q "SELECT pg_current_wal_insert_lsn()")
    start=$(now)
    "$@"
    returned=$(now)
    lsn1=$(q "SELECT pg_current_wal_insert_lsn()")
    written_out
    end=$(now)
    printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$start" "$returned" "$end" "$(q "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')")" >> "$OUT/phases.tsv"
    settle
}
# Until the kernel holds less than 32 MB of dirty pages (at most 90 s), without forcing it.
written_out() {
    local waited=0
    while [ "$(awk '/^Dirty:/ { print $2 }' /proc/meminfo)" -gt 32768 ] && [ "$waited" -lt 90 ]; do
        sleep 1
        waited=$((waited + 1))
    done
}
settle() {
    q "CHECKPOINT"
    sync
    sleep 5
}
run() { (cd "$WORK/$1" && shift && "$@" > /dev/null); }
sql() { run "$1" psql -X -q -v ON_ERROR_STOP=1 -v approve="$(cut -c1-12 <<<"$2")" -f "$3"; }
digest() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plan"]["digest"])' "$WORK/$1/manifest.json"; }

settle
phase idle sleep "$IDLE"

phase "direct pg_restore" bash -c "psql -X -q -c 'TRUNCATE public.reading' && pg_restore --data-only -d shop -L '$WORK/direct.list' '$WORK/shop.dump'"

d=$(digest unlogged)
sql unlogged "$d" 00-preflight.sql
sql unlogged "$d" 10-stage.sql
phase "restage load, UNLOGGED staging" run unlogged ./20-load.sh
phase "SET LOGGED" q "ALTER TABLE restore_staging__public.reading SET LOGGED"
phase "rest of 30-build.sql" sql unlogged "$d" 30-build.sql
phase "40-verify.sql" sql unlogged "$d" 40-verify.sql

# The cutover, with every statement of its session in the server log.
cutover() { # PLAN
    local log_from
    log_from=$(stat -c %s "$PG_DIR/server.log")
    (cd "$WORK/$1" && PGOPTIONS="-c log_min_duration_statement=0" ./50-cutover.sh > /dev/null)
    tail -c +"$((log_from + 1))" "$PG_DIR/server.log" > "$WORK/cutover-$1.log"
    cp "$WORK/cutover-$1.log" "$OUT/"
}
phase "cutover, public.reading" cutover unlogged
phase "55-after-cutover.sql" sql unlogged "$d" 55-after-cutover.sql
phase "70-cleanup.sql" sql unlogged "$d" 70-cleanup.sql

d=$(digest small)
for step in 00-preflight.sql 10-stage.sql; do sql small "$d" "$step"; done
run small ./20-load.sh
for step in 30-build.sql 40-verify.sql; do sql small "$d" "$step"; done
phase "cutover, public.small" cutover small
sql small "$d" 55-after-cutover.sql
sql small "$d" 70-cleanup.sql

d=$(digest logged)
sql logged "$d" 00-preflight.sql
phase "10-stage.sql, logged staging (keys and indexes on empty tables)" sql logged "$d" 10-stage.sql
phase "restage load, logged staging, max_rate $MAX_RATE" run logged ./20-load.sh
phase "30-build.sql, logged staging" sql logged "$d" 30-build.sql
phase "40-verify.sql, logged staging" sql logged "$d" 40-verify.sql
phase "cutover, logged staging" cutover logged
phase "55-after-cutover.sql, logged staging" sql logged "$d" 55-after-cutover.sql
phase "70-cleanup.sql, logged staging" sql logged "$d" 70-cleanup.sql

d=$(digest throttled)
sql throttled "$d" 00-preflight.sql
sql throttled "$d" 10-stage.sql
phase "restage load, UNLOGGED staging, max_rate $MAX_RATE" run throttled ./20-load.sh
q "DROP SCHEMA restore_throttled__public, restore_throttled_retired__public, restore_throttled CASCADE"

phase "idle again" sleep "$IDLE"
stop_workload

# The windows, from the locks taken to COMMIT done, in the log of each cutover session: the
# statement right after the acquisition records it ('cutover', 'locked'); earlier builds took
# their locks with a LOCK TABLE.
for plan in unlogged small logged; do
    python3 - "$WORK/cutover-$plan.log" "$plan" >> "$OUT/cutover.tsv" <<'EOF'
import re, sys
from datetime import datetime
lock = commit = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) \S+ \[\d+\] LOG:  duration: [\d.]+ ms  statement: (.*)", line)
    if not m:
        continue
    at = datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f")
    if m.group(2).startswith("LOCK TABLE") or "VALUES ('cutover', 'locked')" in m.group(2):
        lock = at
    elif m.group(2).startswith("COMMIT") and lock is not None:
        commit = at
if lock is None or commit is None:
    sys.exit("no LOCK TABLE ... COMMIT in the cutover log")
print(f"{sys.argv[2]}\t{(commit - lock).total_seconds() * 1000:.0f}")
EOF
done

cat "$WORK"/workload.* > "$OUT/workload.log"
cp "$WORK/pgbench.out" "$OUT/pgbench.out"
python3 scripts/bench-db-report.py "$OUT" "$(q "SELECT pg_table_size('public.reading')")" "$(q "SELECT pg_table_size('public.small')")" "$(postgres --version)"
