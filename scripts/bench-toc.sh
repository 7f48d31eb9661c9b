#!/usr/bin/env bash
# `restage toc` beside `pg_restore -l -v`, on the listing of a real pg_dump archive: a database
# of TABLES tables (default 9,093: about 100,000 listing entries) built on a throwaway
# PostgreSQL from the synthetic schema of benches/compile.rs and dumped with pg_dump -Fc.
#
# The two commands run in turn, PAIRS times (default 11) after a warm-up pair, each read through
# a pipe; the ratio is taken pair by pair and its median reported, so that a machine whose
# speed drifts moves both sides of a pair alike. Peak memory is the maximum resident set size
# GNU time reports for one more run of each. Results: BENCHMARKS.md.
#
#   scripts/bench-toc.sh [TABLES]
#   PAIRS=11 OUT=target/bench-toc scripts/bench-toc.sh
set -euo pipefail
cd "$(dirname "$0")/.."
TABLES=${1:-9093}
PAIRS=${PAIRS:-11}
OUT=${OUT:-$PWD/target/bench-toc}
mkdir -p "$OUT"
cargo build --release --quiet
RESTAGE=$PWD/target/release/restage

if [ ! -s "$OUT/bench-$TABLES.dump" ]; then
    cargo bench --bench compile --quiet -- --write "$OUT/inputs" "$TABLES" 1
    # pg_dump locks every table it dumps in one transaction.
    export PG_SERVER_OPTIONS="-c max_locks_per_transaction=$((TABLES / 50 + 64))"
    # shellcheck source=scripts/pg-cluster.sh
    . scripts/pg-cluster.sh
    createdb bench
    psql -X -q -v ON_ERROR_STOP=1 -d bench -f "$OUT/inputs/bench-schema.sql" >/dev/null
    pg_dump -Fc -d bench -f "$OUT/bench-$TABLES.dump.part"
    mv "$OUT/bench-$TABLES.dump.part" "$OUT/bench-$TABLES.dump"
    pg_stop
    trap - EXIT
fi
PG_RESTORE=${PG_RESTORE:-$(command -v pg_restore)}
"$PG_RESTORE" -l -v "$OUT/bench-$TABLES.dump" >"$OUT/bench-$TABLES.list"
echo "archive: $OUT/bench-$TABLES.dump ($("$PG_RESTORE" --version))"
echo "listing: $(grep -vc '^;' "$OUT/bench-$TABLES.list") entries, $(stat -c %s "$OUT/bench-$TABLES.list") bytes"

python3 - "$PAIRS" "$PG_RESTORE" "$RESTAGE" "$OUT/bench-$TABLES.dump" "$OUT/bench-$TABLES.list" <<'EOF'
import statistics, subprocess, sys, tempfile, time

pairs, pg_restore, restage, dump, listing = int(sys.argv[1]), *sys.argv[2:]

def run(args):
    """Wall seconds of one run, its output read through a pipe, as `| jq` would, and thrown
    away."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE)
    while child.stdout.read(1 << 16):
        pass
    status = child.wait()
    wall = time.perf_counter() - start
    child.stdout.close()
    if status != 0:
        sys.exit(f"{args} failed: {status}")
    return wall

def peak_kib(args):
    """The maximum resident set size of one run, as GNU time reports it."""
    with tempfile.NamedTemporaryFile("r") as report:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *args],
                       stdout=subprocess.DEVNULL, check=True)
        return int(report.read().strip())

baseline = [pg_restore, "-l", "-v", dump]
print(f"\n| `restage toc` | median time | peak memory | `pg_restore -l -v` median | ratio (median of {pairs} pairs) | ratio min, max |")
print("|---|---:|---:|---:|---:|---:|")
for fmt in ["text", "json"]:
    ours = [restage, "toc", listing, "--format", fmt]
    run(ours), run(baseline)
    measured = [(run(ours), run(baseline)) for _ in range(pairs)]
    ratios = [a / b for a, b in measured]
    print(
        f"| `--format {fmt}` | {statistics.median(a for a, _ in measured) * 1000:.0f} ms"
        f" | {peak_kib(ours) / 1024:.1f} MiB"
        f" | {statistics.median(b for _, b in measured) * 1000:.0f} ms"
        f" | {statistics.median(ratios):.2f}"
        f" | {min(ratios):.2f}, {max(ratios):.2f} |"
    )
EOF
