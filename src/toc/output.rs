//! `restage toc` output: JSON for tools (a stable contract) and an aligned table for people.
//!
//! Both are written as the listing is read, never built in memory: a first pass checks the
//! whole listing (so that an error prints nothing but the error) and, for the table, measures
//! its columns; the second writes. Memory stays that of the listing's text, whatever its size.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::{Header, Listed, Listing, ListingError, Names, Stop, Warning};

/// How `restage toc` prints a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An aligned table, header first, then the readings of ambiguous entries.
    Text,
    /// `{"header": {...}, "entries": [...]}`, entries in file order; the field names are a
    /// contract other tools depend on.
    Json,
}

const HEADINGS: [&str; 8] = [
    "LINE", "ID", "DESC", "SCHEMA", "NAME", "OWNER", "DEPS", "NOTE",
];

/// A listing read once, checked and measured, ready to be written.
pub struct Printout<'a> {
    listing: &'a Listing<'a>,
    format: Format,
    header: Header,
    warnings: Vec<Warning>,
    /// The table's column widths, in characters.
    widths: [usize; 8],
}

impl<'a> Printout<'a> {
    /// The first pass: fails on the first line that is not what a listing holds.
    pub fn new(listing: &'a Listing<'a>, format: Format) -> Result<Self, Box<ListingError>> {
        let mut widths = HEADINGS.map(str::len);
        let mut cells = Cells::default();
        let read = listing
            .each(|e| {
                if format == Format::Text {
                    for (max, width) in widths.iter_mut().zip(cells.widths(e)) {
                        *max = (*max).max(width);
                    }
                }
                Ok(())
            })
            .map_err(Stop::into_listing_error)?;
        Ok(Printout {
            listing,
            format,
            header: read.header,
            warnings: read.warnings,
            widths,
        })
    }

    /// What a reader of the listing should know, in line order.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The second pass: writes the listing to `out`.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        match self.format {
            Format::Text => self.write_text(out),
            Format::Json => self.write_json(out),
        }
    }

    /// Reads the listing again, handing each entry to `write`.
    fn each(&self, write: impl FnMut(&Listed<'_>) -> io::Result<()>) -> io::Result<()> {
        match self.listing.each(write) {
            Ok(_) => Ok(()),
            Err(Stop::Visitor(err)) => Err(err),
            // The first pass read the same text without error.
            Err(Stop::Listing(err)) => Err(io::Error::other(err.to_string())),
        }
    }

    fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let h = &self.header;
        let bytes = |n: Option<u32>| n.map(|n| format!("{n} bytes"));
        let fields = [
            ("archive created", h.created_at.clone()),
            ("dbname", h.dbname.clone()),
            ("TOC entries", h.toc_entries.map(|n| n.to_string())),
            ("compression", h.compression.clone()),
            ("dump version", h.dump_version.clone()),
            ("format", h.format.clone()),
            ("integer", bytes(h.integer_bytes)),
            ("offset", bytes(h.offset_bytes)),
            ("dumped from", h.dumped_from.clone()),
            ("dumped by", h.dumped_by.clone()),
        ];
        let mut any = false;
        for (label, value) in fields {
            if let Some(value) = value {
                writeln!(out, "{label:<16}{value}")?;
                any = true;
            }
        }
        if any {
            out.write_all(b"\n")?;
        }

        let row = |out: &mut dyn Write, cells: &[String; 8]| -> io::Result<()> {
            // Trailing empty cells are not padded: no line ends in blanks.
            let last = cells.iter().rposition(|c| !c.is_empty()).unwrap_or(0);
            for (col, cell) in cells.iter().enumerate().take(last + 1) {
                out.write_all(cell.as_bytes())?;
                if col < last {
                    pad(out, self.widths[col] - width(cell) + 2)?;
                }
            }
            out.write_all(b"\n")
        };
        row(out, &HEADINGS.map(String::from))?;
        // The readings of ambiguous entries follow the table: few, so kept until then.
        let mut readings = String::new();
        let mut cells = Cells::default();
        self.each(|e| {
            cells.fill(e);
            if e.is_ambiguous() {
                let _ = writeln!(
                    readings,
                    "\nentry {} (line {}) reads {} ways:",
                    e.id,
                    e.line,
                    e.candidates().len()
                );
                for c in e.candidates() {
                    readings.push_str("  schema ");
                    show(&mut readings, c.schema);
                    readings.push_str("  name ");
                    show(&mut readings, Some(c.name));
                    readings.push_str("  owner ");
                    show(&mut readings, c.owner);
                    readings.push('\n');
                }
            }
            row(out, &cells.0)
        })?;
        out.write_all(readings.as_bytes())
    }

    /// The JSON serde_json's pretty printer writes for the same document, laid out here so
    /// that each entry is written as it is read: `tests.rs` holds the two to the same bytes.
    fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        let h = &self.header;
        out.write_all(b"{\n  \"header\": {\n    \"dbname\": ")?;
        optional_string(out, h.dbname.as_deref())?;
        out.write_all(b",\n    \"toc_entries\": ")?;
        match h.toc_entries {
            Some(n) => number(out, n)?,
            None => out.write_all(b"null")?,
        }
        for (key, value) in [
            ("compression", &h.compression),
            ("dump_version", &h.dump_version),
            ("format", &h.format),
            ("dumped_from", &h.dumped_from),
            ("dumped_by", &h.dumped_by),
        ] {
            write!(out, ",\n    \"{key}\": ")?;
            optional_string(out, value.as_deref())?;
        }
        out.write_all(b"\n  },\n  \"entries\": [")?;
        let mut first = true;
        self.each(|e| {
            out.write_all(if first { b"\n" } else { b",\n" })?;
            first = false;
            json_entry(out, e)
        })?;
        out.write_all(if first { b"]\n}\n" } else { b"\n  ]\n}\n" })
    }
}

fn json_entry(out: &mut impl Write, e: &Listed<'_>) -> io::Result<()> {
    let names = e.names();
    out.write_all(b"    {\n      \"id\": ")?;
    number(out, e.id)?;
    out.write_all(b",\n      \"tableoid\": ")?;
    number(out, e.tableoid)?;
    out.write_all(b",\n      \"oid\": ")?;
    number(out, e.oid)?;
    out.write_all(b",\n      \"desc\": ")?;
    string(out, e.desc.as_str())?;
    out.write_all(b",\n      \"schema\": ")?;
    optional_string(out, names.and_then(|n| n.schema))?;
    out.write_all(b",\n      \"name\": ")?;
    optional_string(out, names.map(|n| n.name))?;
    out.write_all(b",\n      \"owner\": ")?;
    optional_string(out, names.and_then(|n| n.owner))?;
    out.write_all(b",\n      \"deps\": [")?;
    for (i, dep) in e.deps.iter().enumerate() {
        out.write_all(if i == 0 {
            b"\n        "
        } else {
            b",\n        "
        })?;
        number(out, *dep)?;
    }
    if !e.deps.is_empty() {
        out.write_all(b"\n      ")?;
    }
    out.write_all(if e.disabled {
        b"],\n      \"disabled\": true"
    } else {
        b"],\n      \"disabled\": false"
    })?;
    if e.is_ambiguous() {
        out.write_all(b",\n      \"ambiguous\": true,\n      \"candidates\": [")?;
        for (i, c) in e.candidates().enumerate() {
            out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
            json_names(out, c)?;
        }
        out.write_all(b"\n      ],\n      \"line\": ")?;
    } else {
        out.write_all(
            b",\n      \"ambiguous\": false,\n      \"candidates\": [],\n      \"line\": ",
        )?;
    }
    number(out, e.line)?;
    out.write_all(b"\n    }")
}

fn json_names(out: &mut impl Write, names: Names<'_>) -> io::Result<()> {
    out.write_all(b"        {\n          \"schema\": ")?;
    optional_string(out, names.schema)?;
    out.write_all(b",\n          \"name\": ")?;
    string(out, names.name)?;
    out.write_all(b",\n          \"owner\": ")?;
    optional_string(out, names.owner)?;
    out.write_all(b"\n        }")
}

/// A JSON string, escaped as serde_json escapes it.
fn string(out: &mut impl Write, value: &str) -> io::Result<()> {
    // What serde_json escapes: control characters, quotes and backslashes, which names
    // seldom hold.
    if value.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.write_all(b"\"")?;
        out.write_all(value.as_bytes())?;
        return out.write_all(b"\"");
    }
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)
}

fn optional_string(out: &mut impl Write, value: Option<&str>) -> io::Result<()> {
    match value {
        Some(value) => string(out, value),
        None => out.write_all(b"null"),
    }
}

fn number(out: &mut impl Write, n: impl itoa::Integer) -> io::Result<()> {
    out.write_all(itoa::Buffer::new().format(n).as_bytes())
}

/// Writes `n` blanks.
fn pad(out: &mut dyn Write, mut n: usize) -> io::Result<()> {
    const BLANKS: &[u8; 64] = &[b' '; 64];
    while n > 0 {
        let step = n.min(BLANKS.len());
        out.write_all(&BLANKS[..step])?;
        n -= step;
    }
    Ok(())
}

/// The eight cells of one entry's row, refilled for each entry: no entry allocates.
#[derive(Default)]
struct Cells([String; 8]);

impl Cells {
    /// The widths of the cells `fill` writes, in characters, measured without writing those
    /// that need no writing to be measured (numbers, and names that are shown as they are).
    fn widths(&mut self, e: &Listed<'_>) -> [usize; 8] {
        let digits = |n: usize| n.checked_ilog10().map_or(1, |log| log as usize + 1);
        let shown = |cell: &mut String, value: Option<&str>| match value {
            Some(v) if !hides_blanks(v) => width(v),
            value => {
                cell.clear();
                show(cell, value);
                width(cell)
            }
        };
        let [.., scratch, note] = &mut self.0;
        let (schema, name, owner) = match e.names() {
            Some(n) => (
                shown(scratch, n.schema),
                shown(scratch, Some(n.name)),
                shown(scratch, n.owner),
            ),
            None => (1, 1, 1),
        };
        let deps = e
            .deps
            .iter()
            .map(|&d| digits(d as usize) + 1)
            .sum::<usize>();
        note.clear();
        Self::note(note, e);
        [
            digits(e.line),
            digits(e.id as usize),
            width(e.desc.as_str()),
            schema,
            name,
            owner,
            deps.saturating_sub(1),
            width(note),
        ]
    }

    fn fill(&mut self, e: &Listed<'_>) {
        for cell in &mut self.0 {
            cell.clear();
        }
        let [line, id, desc, schema, name, owner, deps, note] = &mut self.0;
        let mut digits = itoa::Buffer::new();
        line.push_str(digits.format(e.line));
        id.push_str(digits.format(e.id));
        desc.push_str(e.desc.as_str());
        match e.names() {
            Some(n) => {
                show(schema, n.schema);
                show(name, Some(n.name));
                show(owner, n.owner);
            }
            None => {
                for cell in [schema, name, owner] {
                    cell.push('?');
                }
            }
        }
        for (i, dep) in e.deps.iter().enumerate() {
            if i > 0 {
                deps.push(',');
            }
            deps.push_str(digits.format(*dep));
        }
        Self::note(note, e);
    }

    /// What is unusual about the entry, written to `note`.
    fn note(note: &mut String, e: &Listed<'_>) {
        let mut add_note = |text: std::fmt::Arguments<'_>| {
            if !note.is_empty() {
                note.push_str(", ");
            }
            let _ = note.write_fmt(text);
        };
        if e.disabled {
            add_note(format_args!("disabled"));
        }
        if e.is_ambiguous() {
            add_note(format_args!(
                "ambiguous ({} readings)",
                e.candidates().len()
            ));
        }
        if !e.desc.is_known() {
            add_note(format_args!("unknown desc"));
        }
    }
}

fn width(cell: &str) -> usize {
    if cell.is_ascii() {
        cell.len()
    } else {
        cell.chars().count()
    }
}

/// A name as it reads in the table, written to `cell`: `-` for none, quoted when blanks at its
/// ends would hide.
fn show(cell: &mut String, value: Option<&str>) {
    match value {
        None => cell.push('-'),
        Some(v) if hides_blanks(v) => {
            let _ = write!(cell, "{v:?}");
        }
        Some(v) => cell.push_str(v),
    }
}

/// Whether blanks at the ends of `v` (or a tab in it) would not show in the table.
fn hides_blanks(v: &str) -> bool {
    let (Some(&first), Some(&last)) = (v.as_bytes().first(), v.as_bytes().last()) else {
        return true;
    };
    // Names begin and end with a letter or a digit but for the rare odd one: look closer
    // only then.
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return v.starts_with(char::is_whitespace)
            || v.ends_with(char::is_whitespace)
            || v.contains('\t');
    }
    v.bytes().any(|b| b == b'\t')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measured_widths_are_those_of_the_filled_cells() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut listings: Vec<Vec<u8>> = ["tests/fixtures", "tests/listings/ok"]
            .iter()
            .flat_map(|dir| std::fs::read_dir(root.join(dir)).expect("fixtures"))
            .map(|entry| entry.expect("entry").path())
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("toc" | "vtoc" | "list")
                )
            })
            .map(|p| std::fs::read(p).expect("listing"))
            .collect();
        // Names that must be shown quoted, wide characters, many dependencies.
        listings.push(
            b"1; 0 0 SCHEMA - app postgres\n2; 1259 3 TABLE app  lead\xc3\xbcng ow\tner\n;\tdepends on: 1 12345 7\n3; 0 0 WIDGET app x \n"
                .to_vec(),
        );
        let (mut filled, mut measured) = (Cells::default(), Cells::default());
        let mut seen = 0;
        for bytes in &listings {
            let listing = Listing::new("test.list", bytes);
            let _ = listing.each(|e| {
                filled.fill(e);
                assert_eq!(
                    measured.widths(e),
                    filled.0.each_ref().map(|c| width(c)),
                    "{}",
                    e.raw
                );
                seen += 1;
                Ok::<(), ()>(())
            });
        }
        assert!(seen > 1000, "{seen}");
    }
}
