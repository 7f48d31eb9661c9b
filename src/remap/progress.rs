//! Progress of a long load, as `pg_basebackup -P` and `pv` show theirs: every few seconds a
//! line with what has gone through, the rate, and the time left where the size is known. A
//! thread of its own writes them, so that a stalled stream still reports (its rate falls).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What has gone through so far, updated by the remap as it goes.
#[derive(Debug, Default)]
pub struct Counters {
    pub rows: AtomicU64,
    pub bytes: AtomicU64,
}

impl Counters {
    pub(super) fn set(&self, rows: u64, bytes: u64) {
        self.rows.store(rows, Ordering::Relaxed);
        self.bytes.store(bytes, Ordering::Relaxed);
    }
}

pub struct Settings {
    pub every: Duration,
    /// What each line starts with.
    pub label: String,
    /// The size the stream is expected to reach: an estimate, for the time left.
    pub expected_bytes: Option<u64>,
    /// Redraw one line (a terminal) instead of writing a line each time (a log).
    pub redraw: bool,
}

/// The thread that reports; [`Reporter::finish`] stops it.
pub struct Reporter {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Reporter {
    /// Reports `counters` to `out` every `settings.every` until finished.
    pub fn start(
        settings: Settings,
        counters: Arc<Counters>,
        mut out: impl Write + Send + 'static,
    ) -> Reporter {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut last = (started, 0u64);
            let mut drawn = false;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(settings.every) {
                let now = Instant::now();
                let bytes = counters.bytes.load(Ordering::Relaxed);
                let rows = counters.rows.load(Ordering::Relaxed);
                let sample = Sample {
                    bytes,
                    rows,
                    elapsed: now - started,
                    recent_rate: (bytes - last.1) as f64 / (now - last.0).as_secs_f64(),
                };
                last = (now, bytes);
                let text = line(&settings.label, &sample, settings.expected_bytes);
                // A report that cannot be written is no reason to stop the load.
                let _ = if settings.redraw {
                    drawn = true;
                    write!(out, "\r\x1b[K{text}")
                } else {
                    writeln!(out, "{text}")
                };
                let _ = out.flush();
            }
            if drawn {
                let _ = write!(out, "\r\x1b[K");
                let _ = out.flush();
            }
        });
        Reporter { stop, thread }
    }

    pub fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

struct Sample {
    bytes: u64,
    rows: u64,
    elapsed: Duration,
    /// Bytes per second since the last report.
    recent_rate: f64,
}

/// `label: 48.0 MiB, 412000 rows, 4.8 MiB/s; about 10 s left (...)`.
fn line(label: &str, sample: &Sample, expected: Option<u64>) -> String {
    let mut text = format!(
        "{label}: {}, {} rows, {}/s",
        bytes(sample.bytes as f64),
        sample.rows,
        bytes(sample.recent_rate)
    );
    if let Some(expected) = expected.filter(|e| *e > 0) {
        let average = sample.bytes as f64 / sample.elapsed.as_secs_f64().max(0.001);
        if sample.bytes >= expected {
            text.push_str(&format!(
                "; past the estimate ({} in production)",
                bytes(expected as f64)
            ));
        } else if average > 0.0 {
            let left = Duration::from_secs_f64((expected - sample.bytes) as f64 / average);
            text.push_str(&format!(
                "; about {} left (estimated from the {} it has in production)",
                duration(left),
                bytes(expected as f64)
            ));
        }
    }
    text
}

/// Bytes in powers of 1024, as the load's `max_rate` counts them.
fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn duration(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(bytes: u64, rows: u64, secs: u64, recent_rate: f64) -> Sample {
        Sample {
            bytes,
            rows,
            elapsed: Duration::from_secs(secs),
            recent_rate,
        }
    }

    #[test]
    fn a_line_says_what_went_through_its_rate_and_the_time_left() {
        let mib = 1024 * 1024;
        assert_eq!(
            line(
                "t",
                &sample(48 * mib, 412_000, 10, 4.8 * mib as f64),
                Some(96 * mib)
            ),
            "t: 48.0 MiB, 412000 rows, 4.8 MiB/s; about 10 s left (estimated from the 96.0 MiB it has in production)"
        );
        assert_eq!(
            line("t", &sample(10 * mib, 9, 60, 0.0), Some(100 * mib)),
            "t: 10.0 MiB, 9 rows, 0 B/s; about 9m00s left (estimated from the 100.0 MiB it has in production)"
        );
        assert_eq!(
            line("t", &sample(200 * mib, 1, 5, 512.0), Some(100 * mib)),
            "t: 200.0 MiB, 1 rows, 512 B/s; past the estimate (100.0 MiB in production)"
        );
        assert_eq!(
            line("t", &sample(1536, 2, 1, 1536.0), None),
            "t: 1.5 KiB, 2 rows, 1.5 KiB/s"
        );
        assert_eq!(duration(Duration::from_secs(7322)), "2h02m");
    }

    #[test]
    fn the_reporter_writes_until_finished_and_clears_a_redrawn_line() {
        #[derive(Clone, Default)]
        struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.lock().expect("lock").extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        for redraw in [false, true] {
            let out = Shared::default();
            let counters = Arc::new(Counters::default());
            let settings = Settings {
                every: Duration::from_millis(20),
                label: "x".into(),
                expected_bytes: None,
                redraw,
            };
            let reporter = Reporter::start(settings, Arc::clone(&counters), out.clone());
            counters.set(3, 2048);
            std::thread::sleep(Duration::from_millis(150));
            reporter.finish();
            let text = String::from_utf8(out.0.lock().expect("lock").clone()).expect("UTF-8");
            assert!(text.contains("x: 2.0 KiB, 3 rows, "), "{text:?}");
            if redraw {
                assert!(
                    text.starts_with("\r\x1b[Kx: ") && text.ends_with("\r\x1b[K"),
                    "{text:?}"
                );
                assert!(!text.contains('\n'), "{text:?}");
            } else {
                assert!(text.ends_with('\n') && !text.contains('\r'), "{text:?}");
            }
        }
    }
}
