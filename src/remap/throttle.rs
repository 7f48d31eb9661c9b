//! Keeping a load from flooding WAL, disk and standbys: a writer that passes at most `rate`
//! bytes in any one second, shared with the other loads of the same run.
//!
//! Each slice of output reserves the next free stretch of a schedule, as long as the slice takes
//! at the rate, and goes out when its stretch ends. The schedule starts again from now whenever
//! it has fallen behind, so time spent waiting downstream earns no credit: after a stall the
//! pace is the same as before it, never a burst that catches up. Loads that name the same
//! schedule file share one schedule, kept in that file under an exclusive lock, so the rate is
//! shared among the loads running at each moment: a table loading alone gets all of it.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Writes pass in slices of at most this size, so that the pace stays even.
const SLICE: u64 = 64 * 1024;

/// A schedule further ahead than this was left by a clock that stepped back, not by loads
/// waiting their turn (each waits one slice at most).
const STALE: Duration = Duration::from_secs(60);

pub struct Throttled<W> {
    inner: W,
    /// The largest slice: a sixteenth of a second's worth, at most [`SLICE`].
    slice: usize,
    /// The rate each slice is charged at: one slice less than the limit, because a window of
    /// one second can hold the end of one stretch more than it holds whole stretches.
    charged_rate: f64,
    schedule: Schedule,
}

/// When the next slice may start, as time since the Unix epoch (shared by processes).
enum Schedule {
    Own(Option<Duration>),
    Shared(File),
}

impl<W: Write> Throttled<W> {
    /// Paces `inner` on a schedule of its own.
    pub fn new(inner: W, bytes_per_second: u64) -> Self {
        Throttled::with_schedule(inner, bytes_per_second, Schedule::Own(None))
    }

    /// Paces `inner` on the schedule kept in file `path` (created when missing), shared with
    /// every other writer given the same file.
    pub fn shared(inner: W, bytes_per_second: u64, path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        Ok(Throttled::with_schedule(
            inner,
            bytes_per_second,
            Schedule::Shared(file),
        ))
    }

    fn with_schedule(inner: W, bytes_per_second: u64, schedule: Schedule) -> Self {
        let rate = bytes_per_second.max(16);
        let slice = (rate / 16).clamp(1, SLICE);
        Throttled {
            inner,
            slice: slice as usize,
            charged_rate: (rate - slice) as f64,
            schedule,
        }
    }

    /// Reserves the stretch for `bytes` and sleeps until it ends.
    fn wait_turn(&mut self, bytes: usize) -> io::Result<()> {
        let cost = Duration::from_secs_f64(bytes as f64 / self.charged_rate);
        let now = since_epoch();
        let end = match &mut self.schedule {
            Schedule::Own(next) => {
                let end = start_from(*next, now) + cost;
                *next = Some(end);
                end
            }
            Schedule::Shared(file) => {
                file.lock()?;
                let reserved = reserve(file, now, cost);
                file.unlock()?;
                reserved?
            }
        };
        if let Some(ahead) = end.checked_sub(since_epoch()) {
            std::thread::sleep(ahead);
        }
        Ok(())
    }
}

fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Where the next stretch starts: where the schedule is, or now when it has fallen behind (or
/// is stale).
fn start_from(next: Option<Duration>, now: Duration) -> Duration {
    match next {
        Some(next) if next.checked_sub(now).is_some_and(|ahead| ahead < STALE) => next,
        _ => now,
    }
}

/// Takes the next stretch of `cost` from the schedule in `file` (locked); its end.
fn reserve(file: &mut File, now: Duration, cost: Duration) -> io::Result<Duration> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    let next = text.trim().parse::<u64>().ok().map(Duration::from_nanos);
    let end = start_from(next, now) + cost;
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    writeln!(file, "{}", end.as_nanos())?;
    Ok(end)
}

impl<W: Write> Write for Throttled<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let slice = &buf[..buf.len().min(self.slice)];
        self.wait_turn(slice.len())?;
        self.inner.write(slice)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn keeps_the_pace() {
        let mut out = Throttled::new(Vec::new(), 1 << 20);
        let started = Instant::now();
        out.write_all(&vec![b'x'; 1 << 18]).expect("written");
        // A quarter of a megabyte at one megabyte per second takes a quarter second.
        assert!(
            started.elapsed() >= Duration::from_millis(240),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(out.inner.len(), 1 << 18);
    }

    #[test]
    fn a_stall_earns_no_credit() {
        let next = Duration::from_secs(1000);
        // Behind the schedule (a stall downstream): start from now, not from the past.
        assert_eq!(start_from(Some(next), next * 2), next * 2);
        // Ahead of it: wait for the stretch already taken.
        let just_before = Duration::from_millis(999_995);
        assert_eq!(start_from(Some(next), just_before), next);
        // A clock that stepped back a long way does not stop the load.
        let long_before = Duration::from_secs(500);
        assert_eq!(start_from(Some(next), long_before), long_before);
    }

    #[test]
    fn writers_of_one_schedule_share_the_rate() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("rate");
        let started = Instant::now();
        let writers: Vec<_> = (0..2)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let mut out =
                        Throttled::shared(Vec::new(), 1 << 20, &path).expect("schedule file");
                    out.write_all(&vec![b'x'; 1 << 18]).expect("written");
                })
            })
            .collect();
        for writer in writers {
            writer.join().expect("writer");
        }
        // Two quarters of a megabyte at one megabyte per second between them: half a second,
        // not the quarter each would take on a schedule of its own.
        assert!(
            started.elapsed() >= Duration::from_millis(480),
            "{:?}",
            started.elapsed()
        );
    }
}
