//! Reading a listing entry by entry, each borrowed from the text and handed to a visitor as soon
//! as its `depends on:` lines are read: a pass allocates nothing per entry, so `restage toc` can
//! print a listing of any size in the memory of its text, and `Toc` is one such pass collected.
//!
//! Which schemas the listing knows (to split `<schema> <name> <owner>`, see `names`) is read
//! first, by searching the text for its `SCHEMA` entries, so that every entry is resolved as it
//! is read.

use std::borrow::Cow;

use super::names::{self, KnownSchemas, Readings};
use super::syntax::{self, ObjectType};
use super::{Desc, Header, ListingError, Names, Warning};

/// A listing's text, ready to be read as many times as a caller needs.
pub struct Listing<'a> {
    file: &'a str,
    /// Invalid UTF-8 replaced by U+FFFD.
    text: Cow<'a, str>,
    /// The lines that held invalid UTF-8, in order.
    invalid_lines: Vec<usize>,
    known: KnownSchemas,
}

/// One entry of the listing, as a pass reads it.
#[derive(Debug)]
pub struct Listed<'a> {
    pub id: u32,
    pub tableoid: u32,
    pub oid: u32,
    pub desc: Desc,
    /// From the `depends on:` lines that follow the entry, duplicates kept.
    pub deps: &'a [u32],
    /// Commented out with a leading `;`: pg_restore skips it.
    pub disabled: bool,
    /// 1-based line number in the listing.
    pub line: usize,
    /// The line as written.
    pub raw: &'a str,
    pub(super) readings: Readings,
}

impl Listed<'_> {
    /// The one reading of schema, name and owner, unless the entry is ambiguous.
    pub fn names(&self) -> Option<Names<'_>> {
        self.readings.one(self.raw)
    }

    /// Every reading of schema, name and owner: exactly one unless the entry is ambiguous.
    pub fn candidates(&self) -> impl ExactSizeIterator<Item = Names<'_>> {
        self.readings.all(self.raw)
    }

    pub fn is_ambiguous(&self) -> bool {
        self.readings.is_ambiguous()
    }
}

/// What a pass finds besides the entries: the header and what a reader should know.
#[derive(Debug, Default)]
pub struct Read {
    pub header: Header,
    /// In line order.
    pub warnings: Vec<Warning>,
}

/// What a pass stopped for: the listing, or the visitor.
#[derive(Debug)]
pub enum Stop<E> {
    Listing(Box<ListingError>),
    Visitor(E),
}

impl Stop<std::convert::Infallible> {
    /// What stopped a pass whose visitor cannot fail: the listing.
    pub fn into_listing_error(self) -> Box<ListingError> {
        match self {
            Stop::Listing(err) => err,
            Stop::Visitor(never) => match never {},
        }
    }
}

/// A line of the listing, by what it is.
enum Line<'a> {
    Blank,
    /// What follows `depends on:`.
    Depends(&'a str),
    /// A comment: a header line when it comes before the first entry.
    Comment,
    Entry {
        disabled: bool,
        body: &'a str,
    },
}

fn classify(line: &str) -> Line<'_> {
    let Some(after) = line.strip_prefix(';') else {
        if line.trim_start().is_empty() {
            return Line::Blank;
        }
        return Line::Entry {
            disabled: false,
            body: line,
        };
    };
    if let Some(list) = line.strip_prefix(syntax::DEPENDS_ON) {
        Line::Depends(list)
    } else if after.starts_with(|c: char| c.is_ascii_digit()) {
        Line::Entry {
            disabled: true,
            body: after,
        }
    } else {
        Line::Comment
    }
}

/// The lines of `text`, numbered from 1, without their line ends.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    ends.enumerate().map(move |(index, end)| {
        let line = &text[start..end];
        start = end + 1;
        (index + 1, line.strip_suffix('\r').unwrap_or(line))
    })
}

/// An entry read but not yet handed on: its `depends on:` lines may follow.
struct Pending<'a> {
    entry: syntax::EntryLine<'a>,
    disabled: bool,
    line: usize,
    raw: &'a str,
}

impl<'a> Listing<'a> {
    /// The listing in `bytes`; `file` names it in errors and warnings.
    pub fn new(file: &'a str, bytes: &'a [u8]) -> Self {
        // Validating the whole input at once is much faster than line by line; only a listing
        // with invalid UTF-8 pays for finding the lines that hold it. Replacing it in the whole
        // text replaces it as line by line would: a line end never continues a character.
        let (text, invalid_lines) = match std::str::from_utf8(bytes) {
            Ok(text) => (Cow::Borrowed(text), Vec::new()),
            Err(_) => (
                String::from_utf8_lossy(bytes),
                bytes
                    .split(|&b| b == b'\n')
                    .enumerate()
                    .filter(|(_, line)| std::str::from_utf8(line).is_err())
                    .map(|(index, _)| index + 1)
                    .collect(),
            ),
        };
        let known = KnownSchemas::new(schema_entries(&text));
        Listing {
            file,
            text,
            invalid_lines,
            known,
        }
    }

    /// Reads the listing once, handing `visit` every entry in file order, disabled ones
    /// included. Stops at the first line that is not what a listing holds, or when `visit`
    /// fails.
    pub fn each<E>(
        &self,
        mut visit: impl FnMut(&Listed<'_>) -> Result<(), E>,
    ) -> Result<Read, Stop<E>> {
        let mut read = Read::default();
        let mut invalid = self.invalid_lines.iter().peekable();
        let mut deps: Vec<u32> = Vec::new();
        let mut pending: Option<Pending<'_>> = None;
        let mut entries = 0_usize;
        for (number, line) in lines(&self.text) {
            if invalid.next_if_eq(&&number).is_some() {
                read.warnings.push(Warning::InvalidUtf8 { line: number });
            }
            let fail = |at: &str, expected: &'static str| {
                Stop::Listing(Box::new(ListingError::new(
                    self.file,
                    number,
                    line,
                    line.len() - at.len(),
                    expected,
                )))
            };
            match classify(line) {
                Line::Blank => {}
                Line::Depends(list) => {
                    syntax::depends_list(list, &mut deps).map_err(|e| fail(e.at, e.expected))?;
                    if pending.is_none() {
                        return Err(fail(line, "an entry line before its \"depends on:\" line"));
                    }
                }
                Line::Comment => {
                    if entries == 0 {
                        read_header_line(&mut read.header, line)
                            .map_err(|e| fail(e.at, e.expected))?;
                    }
                }
                Line::Entry { disabled, body } => {
                    let entry = match syntax::entry_line(body) {
                        Ok(entry) => entry,
                        // A commented-out line that is not an entry is just a comment.
                        Err(_) if disabled => continue,
                        Err(e) => return Err(fail(e.at, e.expected)),
                    };
                    if let Some(done) = pending.take() {
                        self.hand_on(done, &deps, &mut read, &mut visit)?;
                        deps.clear();
                    }
                    entries += 1;
                    pending = Some(Pending {
                        entry,
                        disabled,
                        line: number,
                        raw: line,
                    });
                }
            }
        }
        if let Some(done) = pending {
            self.hand_on(done, &deps, &mut read, &mut visit)?;
        }
        // An entry's own warnings are found when its last `depends on:` line has been read,
        // after those of the lines it spans; the sort is stable.
        read.warnings.sort_by_key(Warning::line);
        Ok(read)
    }

    /// Resolves an entry's names and hands it to `visit`.
    fn hand_on<E>(
        &self,
        pending: Pending<'_>,
        deps: &[u32],
        read: &mut Read,
        visit: &mut impl FnMut(&Listed<'_>) -> Result<(), E>,
    ) -> Result<(), Stop<E>> {
        let Pending {
            entry,
            disabled,
            line,
            raw,
        } = pending;
        let at = raw.len() - entry.remainder.len();
        let (desc, readings) = match entry.desc {
            ObjectType::Known(desc) => (desc, names::resolve(raw, at, &self.known)),
            ObjectType::Unknown(word) => {
                let (desc, readings) = resolve_unknown_desc(raw, word, at, &self.known);
                read.warnings.push(Warning::UnknownDesc {
                    line,
                    desc: desc.to_string(),
                });
                (desc, readings)
            }
        };
        if readings.is_ambiguous() {
            read.warnings.push(Warning::Ambiguous {
                line,
                id: entry.id,
                candidates: readings.count(),
            });
        }
        visit(&Listed {
            id: entry.id,
            tableoid: entry.tableoid,
            oid: entry.oid,
            desc,
            deps,
            disabled,
            line,
            raw,
            readings,
        })
        .map_err(Stop::Visitor)
    }
}

/// The schema names of the listing's `SCHEMA` entries (disabled ones included), found by
/// searching the text for the `SCHEMA - ` every such line holds and reading those lines as a
/// pass would.
fn schema_entries(text: &str) -> impl Iterator<Item = &str> {
    let mut after = 0;
    memchr::memmem::find_iter(text.as_bytes(), b"SCHEMA - ").filter_map(move |hit| {
        if hit < after {
            return None;
        }
        let start = memchr::memrchr(b'\n', &text.as_bytes()[..hit]).map_or(0, |at| at + 1);
        let end = memchr::memchr(b'\n', &text.as_bytes()[hit..]).map_or(text.len(), |at| hit + at);
        after = end;
        let line = &text[start..end];
        let line = line.strip_suffix('\r').unwrap_or(line);
        let Line::Entry { body, .. } = classify(line) else {
            return None;
        };
        let entry = syntax::entry_line(body).ok()?;
        if entry.desc != ObjectType::Known(Desc::Schema) {
            return None;
        }
        let (body_len, _owner) = names::split_owner(entry.remainder);
        entry.remainder[..body_len].strip_prefix("- ")
    })
}

/// An unknown desc may hold spaces too (`PROPERTY GRAPH`): it ends where a schema the listing
/// knows begins. Without such a schema, it is the first word.
fn resolve_unknown_desc(
    raw: &str,
    word: &str,
    remainder_at: usize,
    known: &KnownSchemas,
) -> (Desc, Readings) {
    let desc_at = remainder_at - word.len() - 1;
    for (space, _) in raw[desc_at..].match_indices(' ') {
        let space = desc_at + space;
        if let Some(readings) = names::resolve_known(raw, space + 1, known) {
            return (Desc::Unknown(raw[desc_at..space].to_owned()), readings);
        }
    }
    (
        Desc::Unknown(word.to_owned()),
        names::resolve(raw, remainder_at, known),
    )
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
