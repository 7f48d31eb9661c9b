//! `restage toc` and `restage compile` at scale, as a user runs them: the release binary on
//! files, timed from outside, with its peak memory (`/usr/bin/time`). The inputs are a faithful
//! synthetic database of N tables, eleven listing entries each (`synthetic/database.rs`).
//! Results and the command: BENCHMARKS.md.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "synthetic/database.rs"]
mod database;

/// Runs of each command; the median is reported.
const RUNS: usize = 5;

/// (tables in the database, tables in the plan)
const CASES: &[(usize, usize)] = &[
    (1_000, 1_000),
    (10_000, 1_000),
    (10_000, 10_000),
    (30_000, 30_000),
    (91_000, 10_000),
];

struct Measured {
    time: Duration,
    peak_kib: u64,
}

/// The median wall time and peak resident memory of `args`, run `RUNS` times.
fn measure(dir: &Path, args: &[&str]) -> Measured {
    let rss = dir.join("rss");
    let mut runs: Vec<(Duration, u64)> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new("/usr/bin/time")
                .arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&rss)
                .arg(env!("CARGO_BIN_EXE_restage"))
                .args(args)
                .current_dir(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("/usr/bin/time runs restage");
            let time = start.elapsed();
            assert!(status.success(), "restage {args:?} failed");
            let kib = std::fs::read_to_string(&rss)
                .expect("peak memory")
                .trim()
                .parse()
                .expect("KiB");
            (time, kib)
        })
        .collect();
    runs.sort();
    let (time, peak_kib) = runs[RUNS / 2];
    Measured { time, peak_kib }
}

/// The inputs of one case, written to `dir`.
fn write_inputs(dir: &Path, tables: usize, planned: usize) -> database::Database {
    let db = database::database(tables);
    std::fs::create_dir_all(dir).expect("folder");
    std::fs::write(dir.join("bench.list"), &db.listing).expect("listing");
    std::fs::write(dir.join("bench-schema.sql"), &db.schema).expect("schema");
    std::fs::write(
        dir.join("plan.yaml"),
        database::plan(planned, "bench.list", "bench-schema.sql"),
    )
    .expect("plan");
    db
}

fn main() {
    // `cargo bench --bench compile -- --write DIR TABLES PLANNED` only writes the inputs of one
    // case, to profile with.
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--write") {
        let number = |i: usize| {
            args.get(at + i)
                .and_then(|a| a.parse().ok())
                .expect("TABLES PLANNED")
        };
        write_inputs(Path::new(&args[at + 1]), number(2), number(3));
        return;
    }
    println!(
        "| listing entries | listing + schema SQL | plan tables | `toc` | `toc` peak memory | `compile` | `compile` peak memory | files written |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &(tables, planned) in CASES {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = write_inputs(dir.path(), tables, planned);
        let toc = measure(dir.path(), &["toc", "bench.list"]);
        let compile = measure(dir.path(), &["compile", "plan.yaml", "--out", "out"]);
        let files = std::fs::read_dir(dir.path().join("out/load"))
            .expect("load lists")
            .count()
            + 13;
        println!(
            "| {} | {:.1} MB | {planned} | {:.0} ms | {:.0} MiB | {:.0} ms | {:.0} MiB | {files} |",
            tables * database::ENTRIES_PER_TABLE + 8,
            (db.listing.len() + db.schema.len()) as f64 / 1e6,
            toc.time.as_secs_f64() * 1000.0,
            toc.peak_kib as f64 / 1024.0,
            compile.time.as_secs_f64() * 1000.0,
            compile.peak_kib as f64 / 1024.0,
        );
    }
}
