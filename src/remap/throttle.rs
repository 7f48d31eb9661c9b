//! Keeping a load from flooding WAL and disk: a writer that passes at most `rate` bytes per
//! second on average, sleeping when it gets ahead.

use std::io::{self, Write};
use std::time::{Duration, Instant};

/// Writes pass in slices of at most this size, so that the pace stays even.
const SLICE: usize = 64 * 1024;

pub struct Throttled<W> {
    inner: W,
    rate: u64,
    started: Instant,
    written: u64,
}

impl<W: Write> Throttled<W> {
    pub fn new(inner: W, bytes_per_second: u64) -> Self {
        Throttled {
            inner,
            rate: bytes_per_second.max(1),
            started: Instant::now(),
            written: 0,
        }
    }

    /// Sleeps until `written` bytes are due at the configured rate.
    fn pace(&self) {
        let due = Duration::from_secs_f64(self.written as f64 / self.rate as f64);
        if let Some(ahead) = due.checked_sub(self.started.elapsed()) {
            std::thread::sleep(ahead);
        }
    }
}

impl<W: Write> Write for Throttled<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(&buf[..buf.len().min(SLICE)])?;
        self.written += n as u64;
        self.pace();
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
