//! The table of contents of a `pg_dump` archive, read from the text `pg_restore -l [-v]` prints.
//!
//! Parsing is two passes: the first splits each line by syntax (ids, OIDs, desc, dependencies,
//! header fields); the second splits `<schema> <name> <owner>` using the schema names the whole
//! listing declares (see `names`).

mod desc;
mod error;
mod names;
mod output;
mod syntax;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

pub use desc::Desc;
pub use error::ListingError;
pub use names::Names;

use names::Readings;
pub use output::{to_json, to_text};

use names::KnownSchemas;
use syntax::ObjectType;

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
        match &self.readings {
            Readings::One(split) => Some(split.read(&self.raw)),
            Readings::Many(_) => None,
        }
    }

    /// Every reading of schema, name and owner: exactly one unless the entry is ambiguous.
    pub fn candidates(&self) -> impl ExactSizeIterator<Item = Names<'_>> {
        self.readings
            .as_slice()
            .iter()
            .map(|split| split.read(&self.raw))
    }

    pub fn is_ambiguous(&self) -> bool {
        matches!(self.readings, Readings::Many(_))
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
    let mut toc = Toc::default();
    // Byte offset of `<schema> <name> <owner>` in each entry's line, for the second pass.
    let mut remainders: Vec<usize> = Vec::new();

    // Validating the whole input at once is much faster than line by line; only a listing with
    // invalid UTF-8 pays for decoding each line on its own.
    let lines: Box<dyn Iterator<Item = Cow<'_, str>>> = match std::str::from_utf8(bytes) {
        Ok(text) => Box::new(text.split('\n').map(Cow::Borrowed)),
        Err(_) => Box::new(bytes.split(|&b| b == b'\n').map(String::from_utf8_lossy)),
    };
    for (index, text) in lines.enumerate() {
        let number = index + 1;
        if let Cow::Owned(_) = text {
            toc.warnings.push(Warning::InvalidUtf8 { line: number });
        }
        let line = text.strip_suffix('\r').unwrap_or(&text);
        let fail = |at: &str, expected: &'static str| {
            Box::new(ListingError::new(
                file,
                number,
                line,
                line.len() - at.len(),
                expected,
            ))
        };

        if line.trim().is_empty() {
            continue;
        }
        if let Some(deps) = syntax::depends_line(line) {
            let deps = deps.map_err(|e| fail(e.at, e.expected))?;
            match toc.entries.last_mut() {
                Some(last) => last.deps.extend(deps),
                None => return Err(fail(line, "an entry line before its \"depends on:\" line")),
            }
            continue;
        }
        let (disabled, body) = match line.strip_prefix(';') {
            Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => (true, after),
            Some(_) => {
                if toc.entries.is_empty() {
                    read_header_line(&mut toc.header, line).map_err(|e| fail(e.at, e.expected))?;
                }
                continue;
            }
            None => (false, line),
        };
        let parsed = match syntax::entry_line(body) {
            Ok(parsed) => parsed,
            // A commented-out line that is not an entry is just a comment.
            Err(_) if disabled => continue,
            Err(e) => return Err(fail(e.at, e.expected)),
        };
        remainders.push(line.len() - parsed.remainder.len());
        toc.entries.push(Entry {
            id: parsed.id,
            tableoid: parsed.tableoid,
            oid: parsed.oid,
            desc: match parsed.desc {
                ObjectType::Known(desc) => desc,
                ObjectType::Unknown(word) => Desc::Unknown(word.to_owned()),
            },
            deps: Vec::new(),
            disabled,
            line: number,
            raw: line.to_owned(),
            readings: Readings::Many(Vec::new()),
        });
    }

    let known = KnownSchemas::new(
        toc.entries
            .iter()
            .zip(&remainders)
            .filter(|(e, _)| e.desc == Desc::Schema)
            .filter_map(|(e, &at)| {
                let (body_len, _owner) = names::split_owner(&e.raw[at..]);
                e.raw[at..at + body_len].strip_prefix("- ")
            }),
    );
    for (entry, &at) in toc.entries.iter_mut().zip(&remainders) {
        if entry.has_known_desc() {
            entry.readings = names::resolve(&entry.raw, at, &known);
        } else {
            resolve_unknown_desc(entry, at, &known);
            toc.warnings.push(Warning::UnknownDesc {
                line: entry.line,
                desc: entry.desc.to_string(),
            });
        }
        if let Readings::Many(splits) = &entry.readings {
            toc.warnings.push(Warning::Ambiguous {
                line: entry.line,
                id: entry.id,
                candidates: splits.len(),
            });
        }
    }
    toc.warnings.sort_by_key(|w| match w {
        Warning::UnknownDesc { line, .. }
        | Warning::InvalidUtf8 { line }
        | Warning::Ambiguous { line, .. } => *line,
    });
    Ok(toc)
}

/// An unknown desc may hold spaces too (`PROPERTY GRAPH`): it ends where a schema the listing
/// knows begins. Without such a schema, it is the first word.
fn resolve_unknown_desc(entry: &mut Entry, remainder_at: usize, known: &KnownSchemas) {
    let desc_at = remainder_at - entry.desc.as_str().len() - 1;
    let spaces: Vec<usize> = entry.raw[desc_at..]
        .match_indices(' ')
        .map(|(i, _)| desc_at + i)
        .collect();
    for space in spaces {
        if let Some(readings) = names::resolve_known(&entry.raw, space + 1, known) {
            entry.desc = Desc::Unknown(entry.raw[desc_at..space].to_owned());
            entry.readings = readings;
            return;
        }
    }
    entry.readings = names::resolve(&entry.raw, remainder_at, known);
}

fn read_header_line<'a>(header: &mut Header, line: &'a str) -> Result<(), syntax::SyntaxError<'a>> {
    if let Some(at) = syntax::created_at(line) {
        header.created_at = Some(at.to_owned());
        return Ok(());
    }
    let Some(field) = syntax::header_field(line) else {
        return Ok(());
    };
    let text = || Some(field.value.to_owned());
    match field.key {
        "dbname" => header.dbname = text(),
        "TOC Entries" => header.toc_entries = Some(syntax::whole_number(field.value)?),
        "Compression" => header.compression = text(),
        "Dump Version" => header.dump_version = text(),
        "Format" => header.format = text(),
        "Integer" => header.integer_bytes = Some(syntax::byte_count(field.value)?),
        "Offset" => header.offset_bytes = Some(syntax::byte_count(field.value)?),
        "Dumped from database version" => header.dumped_from = text(),
        "Dumped by pg_dump version" => header.dumped_by = text(),
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests;
