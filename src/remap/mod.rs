//! `restage remap`: the filter between `pg_restore -f -` and psql in the load.
//!
//! It sends each `COPY <table> (...) FROM stdin;` to the table's staging twin and lets through
//! only what a data-only restore needs around it: session settings, comments and psql's
//! `\restrict`. Any other statement would write to production (a `setval` from a stray
//! `SEQUENCE SET`, a COPY into a table outside the plan), so it stops the stream with an error
//! instead. Data rows pass through byte for byte, in large blocks, never parsed.

mod progress;
mod statement;
mod throttle;

use std::io::{self, Read, Write};

use memchr::memmem::Finder;

pub use progress::{Counters, Reporter, Settings as ProgressSettings};
pub use statement::Refusal;
pub use throttle::Throttled;

/// Source table → staging table: the same name map the schema rewriter uses.
pub use crate::sql::rewrite::NameMap as Mapping;

/// What went through.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Stats {
    pub copies: u64,
    pub rows: u64,
    pub bytes: u64,
}

/// Why the stream stopped.
#[derive(Debug)]
pub enum RemapError {
    Refused {
        line: usize,
        statement: String,
        why: Refusal,
    },
    CutOff {
        line: usize,
        table: String,
    },
    Io(io::Error),
}

impl std::fmt::Display for RemapError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemapError::Refused {
                line,
                statement,
                why,
            } => write!(f, "input line {line}: {why}: {statement}"),
            RemapError::CutOff { line, table } => write!(
                f,
                "input line {line}: the COPY into {table} ends before its `\\.` line: the dump is truncated or pg_restore stopped early"
            ),
            RemapError::Io(err) => write!(f, "{err}"),
        }
    }
}

impl From<io::Error> for RemapError {
    fn from(err: io::Error) -> Self {
        RemapError::Io(err)
    }
}

const BLOCK: usize = 1 << 20;

/// A read buffer that hands out what it holds and reads more on request.
struct Input<R> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
}

impl<R: Read> Input<R> {
    fn held(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
    }

    /// Reads more after what is held; false at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = loop {
            match self.reader.read(&mut self.buf[self.end..]) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                other => break other?,
            }
        };
        self.end += n;
        self.eof = n == 0;
        Ok(n > 0)
    }
}

/// Copies `input` to `output`, remapping COPY targets by `mapping`.
pub fn remap(input: impl Read, output: impl Write, mapping: &Mapping) -> Result<Stats, RemapError> {
    remap_counted(input, output, mapping, &Counters::default())
}

/// As [`remap`], keeping `counters` up to date as the data rows go through (for progress).
pub fn remap_counted(
    input: impl Read,
    output: impl Write,
    mapping: &Mapping,
    counters: &Counters,
) -> Result<Stats, RemapError> {
    let mut input = Input {
        reader: input,
        buf: vec![0; BLOCK],
        start: 0,
        end: 0,
        eof: false,
    };
    let mut out = io::BufWriter::with_capacity(BLOCK, output);
    let end_of_copy = Finder::new(b"\n\\.\n");
    let mut stats = Stats::default();
    // The line number of the first line held; every step consumes whole lines.
    let mut line = 1usize;
    let mut copying: Option<String> = None;
    let mut pending = statement::Pending::default();

    loop {
        let held = input.held();
        if let Some(table) = &copying {
            // Data rows, up to a line that is exactly `\.`.
            if held.starts_with(b"\\.\n") || (input.eof && held == b"\\.") {
                let len = held.len().min(3);
                out.write_all(&held[..len])?;
                input.consume(len);
                line += 1;
                copying = None;
                continue;
            }
            let through = match end_of_copy.find(held) {
                Some(at) => at + 1,
                None => memchr::memrchr(b'\n', held).map_or(0, |at| at + 1),
            };
            if through == 0 {
                if !input.refill()? {
                    return Err(RemapError::CutOff {
                        line,
                        table: table.clone(),
                    });
                }
                continue;
            }
            let rows = memchr::memchr_iter(b'\n', &held[..through]).count();
            out.write_all(&held[..through])?;
            input.consume(through);
            stats.rows += rows as u64;
            stats.bytes += through as u64;
            counters.set(stats.rows, stats.bytes);
            line += rows;
            continue;
        }
        // Everything else, a line at a time.
        let len = match memchr::memchr(b'\n', held) {
            Some(at) => at + 1,
            None if input.refill()? => continue,
            None if input.held().is_empty() => break,
            None => input.held().len(),
        };
        let text = String::from_utf8_lossy(&input.held()[..len]).into_owned();
        input.consume(len);
        match pending.push(&text, line, mapping) {
            statement::Outcome::Pass(text) => out.write_all(text.as_bytes())?,
            statement::Outcome::More => {}
            statement::Outcome::Copy { header, table } => {
                out.write_all(header.as_bytes())?;
                stats.copies += 1;
                copying = Some(table);
            }
            statement::Outcome::Refuse {
                line,
                statement,
                why,
            } => {
                out.flush()?;
                return Err(RemapError::Refused {
                    line,
                    statement,
                    why,
                });
            }
        }
        line += 1;
    }
    if let Some((line, statement)) = pending.unfinished() {
        return Err(RemapError::Refused {
            line,
            statement,
            why: Refusal::Unfinished,
        });
    }
    out.flush()?;
    Ok(stats)
}

#[cfg(test)]
mod tests;
