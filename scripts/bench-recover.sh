#!/usr/bin/env bash
# Row recovery against the hand-written way, side by side in one run on a throwaway PostgreSQL:
# a table of ROWS rows is dumped, a tenth of its rows is deleted, and the deleted rows are put
# back twice, from the same staged copy of the dump:
#
#   - by hand: one `INSERT INTO t SELECT ... FROM scratch WHERE NOT EXISTS (...)`;
#   - by restage: 50-recover.sh of a `mode: recover` plan, at its default batch size and
#     throttle (none), after 10-stage.sql, 20-load.sh and 30-build.sql.
#
# Between the two, the rows the first put back are deleted again and the table vacuumed; each
# window starts after a CHECKPOINT and sync. A
# live workload (pgbench at a fixed rate, updating random rows of the table and inserting new
# ones) runs throughout; for each window (idle, by hand, restage) the report gives wall time,
# WAL written, the workload's latency (p50, p99, max: a writer's longest wait is within its
# max) and its failed transactions.
#
#   scripts/bench-recover.sh [ROWS]        # default 10,000,000
#   RATE=200 IDLE=20 OUT=target/bench-recover scripts/bench-recover.sh 2000000
#   RECOVER=$'  batch_rows: 1000\n  max_rows_per_second: 10000' scripts/bench-recover.sh   # the plan's recover: section
#
# Results: OUT/results.md, raw logs in OUT. Needs PostgreSQL server binaries with pgbench, and
# python3. Results: BENCHMARKS.md, "Row recovery on a live table".
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-10000000}
RATE=${RATE:-200}
IDLE=${IDLE:-20}
OUT=${OUT:-$PWD/target/bench-recover}
mkdir -p "$OUT"
rm -f "$OUT"/phases.tsv "$OUT"/workload.log
cargo build --release --quiet
export RESTAGE=$PWD/target/release/restage

# No checkpoint and no autovacuum during the run, so that neither window pays for the other's.
export PG_SERVER_OPTIONS="-c max_wal_size=32GB -c checkpoint_timeout=1h -c autovacuum=off"
# shellcheck source=scripts/pg-cluster.sh
. scripts/pg-cluster.sh
WORK=$PG_DIR/work
mkdir -p "$WORK"
chmod 777 "$PG_DIR" "$WORK"
export PGDATABASE=shop
createdb shop

q() { psql -X -A -t -q -v ON_ERROR_STOP=1 -c "$1"; }
now() { date +%s.%N; }
lsn() { q "SELECT pg_current_wal_insert_lsn()"; }

echo "== building production: public.item ($ROWS rows)"
q "CREATE TABLE public.item (id bigint PRIMARY KEY, taken_at timestamptz NOT NULL, value numeric NOT NULL, note text);
   INSERT INTO public.item
   SELECT g, timestamptz '2026-01-01' - g * interval '1 second', g * 0.001, md5(g::text) || ' ' || md5((g * 7)::text)
   FROM generate_series(1, $ROWS) g;
   CREATE INDEX item_taken_at ON public.item (taken_at);
   CREATE SEQUENCE public.item_new START $((ROWS + 1));"
q "VACUUM ANALYZE public.item"
q "SELECT 'public.item: ' || pg_size_pretty(pg_table_size('public.item'))"

echo "== dumping"
pg_dump -Fc -Z0 -t public.item -f "$WORK/shop.dump" shop
pg_restore -l -v "$WORK/shop.dump" > "$WORK/shop.list"
pg_restore --schema-only -v -f "$WORK/shop-schema.sql" "$WORK/shop.dump"

echo "== a bad deploy: a tenth of the rows deleted"
delete() {
    q "DELETE FROM public.item WHERE id % 10 = 3 AND id <= $ROWS"
    q "VACUUM ANALYZE public.item"
}
delete

cat > "$WORK/plan.yaml" <<EOF
restage: 1
name: bench-recover
source:
  listing: shop.list
  schema: shop-schema.sql
  dump: $WORK/shop.dump
tables:
  - name: public.item
    mode: recover
${RECOVER:+recover:
$RECOVER}
EOF
"$RESTAGE" compile "$WORK/plan.yaml" --out "$WORK/out" >/dev/null

echo "== live workload: pgbench, $RATE transactions/s, 4 clients, on public.item"
cat > "$WORK/writer.sql" <<EOF
\set id random(1, $ROWS)
BEGIN;
UPDATE public.item SET value = value + 1 WHERE id = :id;
INSERT INTO public.item (id, taken_at, value) VALUES (nextval('public.item_new'), now(), 1);
END;
EOF
# Back-to-back runs of 5 s, so that every transaction is logged.
workload() {
    while [ ! -e "$WORK/stop" ]; do
        pgbench -n -f "$WORK/writer.sql" -R "$RATE" -c 4 -j 2 -T 5 -l --failures-detailed \
            --log-prefix="$WORK/workload" shop >> "$WORK/pgbench.out" 2>&1 || true
    done
}
workload &
WORKLOAD=$!
stop_workload() { touch "$WORK/stop"; wait "$WORKLOAD" 2>/dev/null || true; }
trap 'stop_workload; pg_stop' EXIT

# phase NAME COMMAND...: runs it, and records its window and the WAL it wrote. A CHECKPOINT
# and sync first, outside the window, so that no window pays for the writeback of another's.
phase() {
    local name=$1 start wal_start
    shift
    q "CHECKPOINT"
    sync
    wal_start=$(lsn)
    start=$(now)
    "$@"
    local end wal
    end=$(now)
    wal=$(q "SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '$wal_start')")
    printf '%s\t%s\t%s\t%s\n' "$name" "$start" "$end" "$wal" >> "$OUT/phases.tsv"
    echo "   $name: $(python3 -c "print(round($end - $start, 1))") s, $((${wal%.*} / 1048576)) MiB of WAL"
}

echo "== idle, $IDLE s"
phase idle sleep "$IDLE"

echo "== staging the dump's rows (restage 10-stage, 20-load, 30-build)"
cd "$WORK/out"
psql -X -q -v ON_ERROR_STOP=1 -f 00-preflight.sql 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -f 10-stage.sql
phase stage-and-load ./20-load.sh
phase build psql -X -q -v ON_ERROR_STOP=1 -f 30-build.sql
STAGED=restore_staging__public.item

by_hand() {
    psql -X -q -v ON_ERROR_STOP=1 -c "INSERT INTO public.item SELECT s.* FROM $STAGED s WHERE NOT EXISTS (SELECT FROM public.item p WHERE p.id = s.id)"
}
echo "== by hand: INSERT ... SELECT ... WHERE NOT EXISTS from the staged copy"
phase by-hand by_hand
delete
echo "== restage: 50-recover.sh"
phase restage ./50-recover.sh 2>"$OUT/50-recover.err"
missing=$(q "SELECT count(*) FROM $STAGED s WHERE NOT EXISTS (SELECT FROM public.item p WHERE p.id = s.id)")
[ "$missing" = 0 ] || { echo "restage left $missing rows out" >&2; exit 1; }
echo "== idle again, $IDLE s"
phase idle-after sleep "$IDLE"
stop_workload
cat "$WORK"/workload.* > "$OUT/workload.log"
cp "$WORK/pgbench.out" "$OUT/pgbench.out"

python3 - "$OUT" "$ROWS" "$RATE" "$(q 'SHOW server_version')" "$(tr '\n' ' ' <<<"${RECOVER:-}" | sed 's/  */ /g; s/^ //; s/ $//')" <<'EOF'
import sys
from pathlib import Path

out, rows, rate, server = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
phases = [line.split("\t") for line in (out / "phases.tsv").read_text().splitlines()]
done, failed = [], []
for line in (out / "workload.log").read_text().splitlines():
    f = line.split()
    if len(f) < 6:
        continue
    at = int(f[4]) + int(f[5]) / 1e6
    if not f[2].isdigit():
        failed.append(at)
        continue
    lag = int(f[6]) if len(f) > 6 and f[6].isdigit() else 0
    done.append((at, (int(f[2]) + lag) / 1000))

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))] if values else float("nan")

lines = [
    f"PostgreSQL {server}; {rows:,} rows, {rows // 10:,} deleted and put back; "
    f"workload {rate} transactions/s (an UPDATE of a random row and an INSERT); "
    f"recover: {sys.argv[5] or 'the defaults'}.",
    "",
    "| Window | Wall time | WAL | Workload p50 | p99 | max | Failed |",
    "|---|--:|--:|--:|--:|--:|--:|",
]
for name, start, end, wal in phases:
    start, end = float(start), float(end)
    window = [ms for at, ms in done if start <= at <= end]
    bad = sum(1 for at in failed if start <= at <= end)
    lines.append(
        f"| {name} | {end - start:.1f} s | {float(wal) / 1048576:.0f} MiB | {pct(window, 50):.1f} ms | "
        f"{pct(window, 99):.1f} ms | {max(window, default=float('nan')):.1f} ms | {bad} |"
    )
(out / "results.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
