#!/usr/bin/env python3
"""The report of scripts/bench-db.sh: Markdown tables and a latency plot from its raw logs.

    scripts/bench-db-report.py OUT READING_BYTES SMALL_BYTES SERVER_VERSION

Reads OUT/phases.tsv (name, start, returned, window end, WAL bytes), OUT/cutover.tsv (plan, window ms) and
OUT/workload.log (pgbench per-transaction log) and OUT/lag.tsv (standby lag samples); writes OUT/results.md and OUT/latency.png.
"""

import statistics
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out = Path(sys.argv[1])
reading_bytes, small_bytes, server = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]

# name, start, command returned, window end (the OS has written out what it left), WAL bytes
phases = []
for line in (out / "phases.tsv").read_text().splitlines():
    name, start, returned, end, wal = line.split("\t")
    phases.append((name, float(start), float(returned), float(end), int(float(wal))))

# pgbench -l: client transaction time script epoch microseconds [lag]; `time` is `failed` or
# `skipped` for transactions that did not complete. The latency a client at a fixed rate sees
# is the transaction's time plus how late it started.
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
done.sort()


def window(start, end):
    return [ms for at, ms in done if start <= at <= end]


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


idle = next(p for p in phases if p[0] == "idle")
idle_rate = idle[4] / (idle[2] - idle[1])

mb = lambda b: f"{b / 2**20:,.0f} MB" if b >= 2**20 else f"{b / 2**10:,.0f} kB"  # noqa: E731
lines = [
    f"Server: {server}. Workload: pgbench at a fixed rate, 4 clients, each transaction an INSERT "
    "into `public.orders` (outside the plan) and a SELECT of that row by its key; latency "
    "includes the schedule lag.",
    f"`public.reading`: {mb(reading_bytes)}; `public.small`: {mb(small_bytes)}.",
    "",
    "Each latency window runs from the start of its phase until the operating system has written "
    "out the dirty pages it left (`Dirty:` in /proc/meminfo under 32 MB), which the kernel does in "
    "bursts up to 30 s later.",
    "",
    "| phase | wall time | window | WAL written | WAL minus the workload's | p50 | p99 | max | transactions | failed |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
]
for name, start, returned, end, wal in phases:
    lat = window(start, end)
    net = max(0, wal - idle_rate * (returned - start))
    fails = sum(1 for at in failed if start <= at <= end)
    lines.append(
        f"| {name} | {returned - start:.1f} s | {end - start:.1f} s | {mb(wal)} | {mb(net)} | {pct(lat, 50):.1f} ms | "
        f"{pct(lat, 99):.1f} ms | {max(lat, default=float('nan')):.1f} ms | {len(lat)} | {fails} |"
    )
lines += ["", "| table | size | held ACCESS EXCLUSIVE (locks taken → COMMIT done) |", "|---|---:|---:|"]
sizes = {
    "unlogged": ("`public.reading`", reading_bytes),
    "small": ("`public.small`", small_bytes),
    "logged": ("`public.reading`, logged staging", reading_bytes),
}
for line in (out / "cutover.tsv").read_text().splitlines():
    plan, ms = line.split("\t")
    name, size = sizes[plan]
    lines.append(f"| {name} | {mb(size)} | {ms} ms |")
# Standby lag: epoch, bytes behind, seconds since the last replayed commit.
lag = []
for line in (out / "lag.tsv").read_text().splitlines():
    f = line.split("\t")
    if len(f) == 3 and f[1] and f[2]:
        # Replay can pass the primary's position read a moment before: that is no lag.
        lag.append((float(f[0]), max(0.0, float(f[1])), max(0.0, float(f[2]))))
lines += [
    "",
    "A streaming standby on the same machine, sampled every 50 ms over each phase's window: how far "
    "its replay was behind the primary's WAL position, and the age of the last transaction it had "
    "replayed (the workload commits 200 times a second, so an idle standby shows a few ms).",
    "",
    "| phase | WAL written | standby behind, max | replayed commit age, max |",
    "|---|---:|---:|---:|",
]
for name, start, returned, end, wal in phases:
    seen = [(b, s) for at, b, s in lag if start <= at <= end]
    if not seen:
        continue
    lines.append(
        f"| {name} | {mb(wal)} | {max(b for b, _ in seen) / 2**20:.1f} MB | {max(s for _, s in seen):.2f} s |"
    )
(out / "results.md").write_text("\n".join(lines) + "\n")
print("\n".join(lines))

# Latency over time, each load from its own start: p99 and p50 of every second.
fig, ax = plt.subplots(figsize=(10, 5), dpi=110)
shown = [p for p in phases if p[0] in ("idle",) or "pg_restore" in p[0] or "load" in p[0]]
colors = {"idle": "0.6"}
for name, start, _, end, _ in shown:
    seconds = {}
    for at, ms in done:
        if start <= at <= end:
            seconds.setdefault(int(at - start), []).append(ms)
    xs = sorted(seconds)
    color = colors.get(name)
    (line99,) = ax.plot(xs, [pct(seconds[x], 99) for x in xs], label=f"{name}: p99", color=color, linewidth=1.4)
    ax.plot(xs, [statistics.median(seconds[x]) for x in xs], label=f"{name}: p50", color=line99.get_color(), linewidth=0.8, linestyle="--")
ax.set_yscale("log")
ax.set_xlabel("seconds since the start of the phase")
ax.set_ylabel("workload latency per second (ms, log scale)")
ax.set_title("Live workload latency: direct pg_restore against restage's load")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize=8, loc="upper right")
fig.tight_layout()
fig.savefig(out / "latency.png")
