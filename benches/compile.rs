//! `restage toc` and `restage compile` at scale, as a user runs them: the release binary on
//! files, timed from outside, with its peak memory (`/usr/bin/time`). The inputs are a faithful
//! synthetic database of N tables, eleven listing entries each (`synthetic/database.rs`).
//! Results and the command: BENCHMARKS.md.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "synthetic/database.rs"]
mod database;

/// Measured runs of each command, after one to warm up; the median is reported.
const RUNS: usize = 5;

/// (tables in the database, tables in the plan)
const CASES: &[(usize, usize)] = &[
    (1_000, 1_000),
    (3_000, 3_000),
    (10_000, 1_000),
    (10_000, 10_000),
    (30_000, 30_000),
    (91_000, 10_000),
];

struct Measured {
    time: Duration,
    /// User and system CPU time, which both cores add to.
    user: f64,
    system: f64,
    peak_kib: u64,
}

/// The run of median wall time of the command `args(run)`, run `RUNS` times after a warm-up
/// run: its wall and CPU times and peak resident memory.
fn measure(dir: &Path, args: impl Fn(usize) -> Vec<String>) -> Measured {
    let report = dir.join("time");
    let mut runs: Vec<Measured> = (0..=RUNS)
        .map(|run| {
            let args = args(run);
            let start = Instant::now();
            let status = Command::new("/usr/bin/time")
                .arg("-f")
                .arg("%M %U %S")
                .arg("-o")
                .arg(&report)
                .arg(env!("CARGO_BIN_EXE_restage"))
                .args(&args)
                .current_dir(dir)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("/usr/bin/time runs restage");
            let time = start.elapsed();
            assert!(status.success(), "restage {args:?} failed");
            let report = std::fs::read_to_string(&report).expect("time's report");
            let fields: Vec<&str> = report.split_whitespace().collect();
            let [peak, user, system] = fields[..] else {
                panic!("time's report: {report}");
            };
            Measured {
                time,
                user: user.parse().expect("user seconds"),
                system: system.parse().expect("system seconds"),
                peak_kib: peak.parse().expect("KiB"),
            }
        })
        .skip(1)
        .collect();
    runs.sort_by_key(|m| m.time);
    runs.swap_remove(RUNS / 2)
}

/// The files in `dir` and its folders, and their bytes.
fn files_in(dir: &Path) -> (usize, u64) {
    std::fs::read_dir(dir)
        .expect("output folder")
        .map(|entry| {
            let entry = entry.expect("folder entry");
            let meta = entry.metadata().expect("file metadata");
            if meta.is_dir() {
                files_in(&entry.path())
            } else {
                (1, meta.len())
            }
        })
        .fold((0, 0), |(files, bytes), (f, b)| (files + f, bytes + b))
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
        "| listing entries | listing + schema SQL | plan tables | `toc` | `toc` peak memory | `compile` | `compile` CPU (user + system) | `compile` peak memory | files written | output |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // The cases run in memory (tmpfs, where there is one) and every case's folder is kept to the
    // end, so as to time restage rather than the disk: written to ext4, five runs of the
    // 10,000-table plan leave 630 MB for the kernel to write back while the next runs, and ext4
    // is slow to make files just after many were deleted (it looks for inodes not recently
    // freed), which made the same run take from 2.7 to 4.3 s.
    let shm = Path::new("/dev/shm");
    let mut folders = Vec::new();
    for &(tables, planned) in CASES {
        let dir = if shm.is_dir() {
            tempfile::tempdir_in(shm)
        } else {
            tempfile::tempdir()
        }
        .expect("temp dir");
        let db = write_inputs(dir.path(), tables, planned);
        let toc = measure(dir.path(), |_| {
            ["toc", "bench.list"].map(String::from).into()
        });
        // Each run into a folder of its own, as a first compile writes: a recompile of the
        // same plan finds its files already written and only compares them.
        let compile = measure(dir.path(), |run| {
            ["compile", "plan.yaml", "--out", &format!("out-{run}")]
                .map(String::from)
                .into()
        });
        let (files, bytes) = files_in(&dir.path().join("out-0"));
        println!(
            "| {} | {:.1} MB | {planned} | {:.0} ms | {:.0} MiB | {:.0} ms | {:.2} + {:.2} s | {:.0} MiB | {files} | {:.0} MB |",
            tables * database::ENTRIES_PER_TABLE + 8,
            (db.listing.len() + db.schema.len()) as f64 / 1e6,
            toc.time.as_secs_f64() * 1000.0,
            toc.peak_kib as f64 / 1024.0,
            compile.time.as_secs_f64() * 1000.0,
            compile.user,
            compile.system,
            compile.peak_kib as f64 / 1024.0,
            bytes as f64 / 1e6,
        );
        folders.push(dir);
    }
}
