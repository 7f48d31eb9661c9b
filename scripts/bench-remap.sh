#!/usr/bin/env bash
# Throughput of `restage remap` in the load pipeline, side by side with `cat` and `sed` on the
# same pg_restore stream of one table of ROWS rows (default 6,000,000: about 750 MB of COPY
# data). Needs hyperfine and PostgreSQL server binaries. Results: BENCHMARKS.md.
#   scripts/bench-remap.sh [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-6000000}
cargo build --release --quiet
RESTAGE=$PWD/target/release/restage
# shellcheck source=scripts/pg-cluster.sh
. scripts/pg-cluster.sh

psql -X -q -v ON_ERROR_STOP=1 -c "
    CREATE TABLE public.reading AS
    SELECT g AS id, timestamptz '2026-01-01' - g * interval '1 second' AS taken_at,
           g * 0.001 AS value, md5(g::text) || ' ' || md5((g * 7)::text) AS note
    FROM generate_series(1, $ROWS) g;"
pg_dump -Fc -Z0 -t public.reading -f "$PG_DIR/reading.dump"
pg_restore -l "$PG_DIR/reading.dump" | grep ' TABLE DATA ' > "$PG_DIR/reading.list"
stream() { pg_restore --data-only -L "$PG_DIR/reading.list" -f - "$PG_DIR/reading.dump"; }
stream > "$PG_DIR/stream.sql"
echo "table: $ROWS rows, stream: $(du -h "$PG_DIR/stream.sql" | cut -f1) ($(stat -c %s "$PG_DIR/stream.sql") bytes)"

export PG_DIR RESTAGE
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$PG_DIR/pipeline.md" \
    -n cat "pg_restore --data-only -L $PG_DIR/reading.list -f - $PG_DIR/reading.dump | cat > /dev/null" \
    -n sed "pg_restore --data-only -L $PG_DIR/reading.list -f - $PG_DIR/reading.dump | sed 's/public.reading/restore_staging.reading/' > /dev/null" \
    -n 'restage remap' "pg_restore --data-only -L $PG_DIR/reading.list -f - $PG_DIR/reading.dump | $RESTAGE remap --map public.reading=restore_staging.reading > /dev/null"
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-markdown "$PG_DIR/filter.md" \
    -n cat "cat < $PG_DIR/stream.sql > /dev/null" \
    -n sed "sed 's/public.reading/restore_staging.reading/' < $PG_DIR/stream.sql > /dev/null" \
    -n 'restage remap' "$RESTAGE remap --map public.reading=restore_staging.reading < $PG_DIR/stream.sql > /dev/null"
echo
echo "pipeline (pg_restore | filter):"
cat "$PG_DIR/pipeline.md"
echo
echo "filter alone (a file of the stream on stdin):"
cat "$PG_DIR/filter.md"
