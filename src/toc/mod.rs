//! The table of contents of a `pg_dump` archive, read from the text `pg_restore -l [-v]` prints.
//!
//! Parsing is two passes: the first splits each line by syntax (ids, OIDs, desc, dependencies,
//! header fields); the second splits `<schema> <name> <owner>` using the schema names the whole
//! listing declares (see `names`).

mod desc;
mod error;
mod names;
mod output;
mod reader;
mod syntax;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use desc::Desc;
pub use error::ListingError;
pub use names::Names;

use names::Readings;
pub use output::{Format, Printout};
pub use reader::{Listed, Listing, Read, Stop};

/// A parsed listing.
#[derive(Debug, Default)]
pub struct Toc {
    pub header: Header,
    /// In file order, disabled entries included.
    pub entries: Vec<Entry>,
    /// Things the listing does that a reader should know about; never fatal.
    pub warnings: Vec<Warning>,
    /// Positions of the entries that depend on each id: see `dependents_of`.
    dependents: OnceLock<HashMap<u32, Vec<usize>>>,
}

impl Toc {
    /// The entries that depend on entry `id`, in listing order, each once (an entry may name a
    /// dependency twice, as a `DEFAULT` names its table). The index is built on first use.
    pub fn dependents_of(&self, id: u32) -> impl Iterator<Item = &Entry> + '_ {
        let index = self.dependents.get_or_init(|| {
            let mut index: HashMap<u32, Vec<usize>> = HashMap::with_capacity(self.entries.len());
            for (at, entry) in self.entries.iter().enumerate() {
                for (i, dep) in entry.deps.iter().enumerate() {
                    // A handful of dependencies each: looking back is cheaper than a set.
                    if !entry.deps[..i].contains(dep) {
                        index.entry(*dep).or_default().push(at);
                    }
                }
            }
            index
        });
        index
            .get(&id)
            .into_iter()
            .flatten()
            .map(|&at| &self.entries[at])
    }
}

/// The comment block pg_restore prints before the entries. Every field is optional: a
/// hand-written list may have no header at all.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Header {
    pub created_at: Option<String>,
    pub dbname: Option<String>,
    pub toc_entries: Option<u32>,
    pub compression: Option<String>,
    pub dump_version: Option<String>,
    pub format: Option<String>,
    pub integer_bytes: Option<u32>,
    pub offset_bytes: Option<u32>,
    pub dumped_from: Option<String>,
    pub dumped_by: Option<String>,
}

impl Header {
    /// The major version of the server the dump was made from (`15.18 (Debian ...)` → 15); 18
    /// when the listing does not say.
    pub fn dumped_from_major(&self) -> u32 {
        self.dumped_from
            .as_deref()
            .and_then(|v| v.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|major| major.parse().ok())
            .unwrap_or(18)
    }

    /// The compression algorithm, whichever form the header used: up to PostgreSQL 15 pg_restore
    /// prints the zlib level (`-1` default, `0` none, `1`–`9`), from 16 the algorithm's name.
    pub fn compression_algorithm(&self) -> Option<&str> {
        let printed = self.compression.as_deref()?;
        Some(match printed.parse::<i32>() {
            Ok(0) => "none",
            Ok(_) => "gzip",
            Err(_) => printed,
        })
    }
}

/// One entry line of the listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: u32,
    pub tableoid: u32,
    pub oid: u32,
    pub desc: Desc,
    /// From the `depends on:` line that follows the entry (`-v` listings), duplicates kept.
    pub deps: Vec<u32>,
    /// Commented out with a leading `;` in a hand-edited list: pg_restore skips it.
    pub disabled: bool,
    /// 1-based line number in the listing.
    pub line: usize,
    /// The line as written (invalid UTF-8 replaced by U+FFFD, see `Warning::InvalidUtf8`).
    pub raw: String,
    /// Every reading of schema, name and owner the listing supports.
    readings: Readings,
}

impl Entry {
    /// The one reading of schema, name and owner, unless the entry is ambiguous.
    pub fn names(&self) -> Option<Names<'_>> {
        self.readings.one(&self.raw)
    }

    /// Every reading of schema, name and owner: exactly one unless the entry is ambiguous.
    pub fn candidates(&self) -> impl ExactSizeIterator<Item = Names<'_>> {
        self.readings.all(&self.raw)
    }

    pub fn is_ambiguous(&self) -> bool {
        self.readings.is_ambiguous()
    }

    pub fn schema(&self) -> Option<&str> {
        self.names().and_then(|n| n.schema)
    }

    pub fn name(&self) -> Option<&str> {
        self.names().map(|n| n.name)
    }

    pub fn owner(&self) -> Option<&str> {
        self.names().and_then(|n| n.owner)
    }

    pub fn has_known_desc(&self) -> bool {
        self.desc.is_known()
    }
}

/// Something about a listing worth telling, that does not stop it from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    UnknownDesc {
        line: usize,
        desc: String,
    },
    InvalidUtf8 {
        line: usize,
    },
    Ambiguous {
        line: usize,
        id: u32,
        candidates: usize,
    },
}

impl Warning {
    /// The line it is about.
    pub fn line(&self) -> usize {
        match self {
            Warning::UnknownDesc { line, .. }
            | Warning::InvalidUtf8 { line }
            | Warning::Ambiguous { line, .. } => *line,
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::UnknownDesc { line, desc } => write!(
                f,
                "line {line}: unknown object type {desc:?}; the entry is kept, read as desc {desc:?} followed by schema, name and owner"
            ),
            Warning::InvalidUtf8 { line } => write!(
                f,
                "line {line}: invalid UTF-8, replaced by U+FFFD (pg_restore -L reads only the leading id, so lists written from this line still select the same entry)"
            ),
            Warning::Ambiguous {
                line,
                id,
                candidates,
            } => write!(
                f,
                "line {line}: entry {id} can be read {candidates} ways (schema, name and owner all may hold spaces); a plan's exact table names settle it"
            ),
        }
    }
}

/// Parses a listing. `file` names it in errors.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Toc, Box<ListingError>> {
    let listing = Listing::new(file, bytes);
    let mut entries = Vec::new();
    let read = listing
        .each(|e| {
            entries.push(Entry {
                id: e.id,
                tableoid: e.tableoid,
                oid: e.oid,
                desc: e.desc.clone(),
                deps: e.deps.to_vec(),
                disabled: e.disabled,
                line: e.line,
                raw: e.raw.to_owned(),
                readings: e.readings.clone(),
            });
            Ok(())
        })
        .map_err(Stop::into_listing_error)?;
    Ok(Toc {
        header: read.header,
        entries,
        warnings: read.warnings,
        dependents: OnceLock::new(),
    })
}

#[cfg(test)]
mod tests;
