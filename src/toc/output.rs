//! `restage toc` output: JSON for tools (a stable contract) and an aligned table for people.

use std::fmt::Write as _;

use serde::Serialize;

use super::{Entry, Names, Toc};

#[derive(Serialize)]
struct JsonToc<'a> {
    header: JsonHeader<'a>,
    entries: Vec<JsonEntry<'a>>,
}

#[derive(Serialize)]
struct JsonHeader<'a> {
    dbname: Option<&'a str>,
    toc_entries: Option<u32>,
    compression: Option<&'a str>,
    dump_version: Option<&'a str>,
    format: Option<&'a str>,
    dumped_from: Option<&'a str>,
    dumped_by: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonEntry<'a> {
    id: u32,
    tableoid: u32,
    oid: u32,
    desc: &'a str,
    schema: Option<&'a str>,
    name: Option<&'a str>,
    owner: Option<&'a str>,
    deps: &'a [u32],
    disabled: bool,
    ambiguous: bool,
    candidates: Vec<Names<'a>>,
    line: usize,
}

/// The listing as JSON: `{"header": {...}, "entries": [...]}`, entries in file order. The field
/// names are a contract other tools depend on.
pub fn to_json(toc: &Toc) -> String {
    let h = &toc.header;
    let doc = JsonToc {
        header: JsonHeader {
            dbname: h.dbname.as_deref(),
            toc_entries: h.toc_entries,
            compression: h.compression.as_deref(),
            dump_version: h.dump_version.as_deref(),
            format: h.format.as_deref(),
            dumped_from: h.dumped_from.as_deref(),
            dumped_by: h.dumped_by.as_deref(),
        },
        entries: toc
            .entries
            .iter()
            .map(|e| JsonEntry {
                id: e.id,
                tableoid: e.tableoid,
                oid: e.oid,
                desc: e.desc.as_str(),
                schema: e.schema(),
                name: e.name(),
                owner: e.owner(),
                deps: &e.deps,
                disabled: e.disabled,
                ambiguous: e.is_ambiguous(),
                candidates: if e.is_ambiguous() {
                    e.candidates().collect()
                } else {
                    Vec::new()
                },
                line: e.line,
            })
            .collect(),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    out.push('\n');
    out
}

/// The listing as an aligned table, header first, then the readings of ambiguous entries.
pub fn to_text(toc: &Toc) -> String {
    let mut out = String::new();
    let h = &toc.header;
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
    for (label, value) in fields {
        if let Some(value) = value {
            let _ = writeln!(out, "{label:<16}{value}");
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }

    // Two passes over the entries, the first to measure the columns, each filling the same
    // eight cells: formatting each entry twice keeps memory flat where holding every row of a
    // million-entry listing would not, and no entry allocates.
    const HEADINGS: [&str; 8] = [
        "LINE", "ID", "DESC", "SCHEMA", "NAME", "OWNER", "DEPS", "NOTE",
    ];
    let mut cells: [String; 8] = Default::default();
    let mut widths = HEADINGS.map(str::len);
    for e in &toc.entries {
        fill(e, &mut cells);
        for (max, cell) in widths.iter_mut().zip(&cells) {
            *max = (*max).max(width(cell));
        }
    }
    out.reserve((toc.entries.len() + 1) * (widths.iter().sum::<usize>() + 16));
    let mut line = |cells: &[String; 8]| {
        // Trailing empty cells are not padded: no line ends in blanks.
        let last = cells.iter().rposition(|c| !c.is_empty()).unwrap_or(0);
        for (col, cell) in cells.iter().enumerate().take(last + 1) {
            out.push_str(cell);
            if col < last {
                out.extend(std::iter::repeat_n(' ', widths[col] - width(cell) + 2));
            }
        }
        out.push('\n');
    };
    line(&HEADINGS.map(String::from));
    for e in &toc.entries {
        fill(e, &mut cells);
        line(&cells);
    }

    for e in toc.entries.iter().filter(|e| e.is_ambiguous()) {
        let _ = writeln!(
            out,
            "\nentry {} (line {}) reads {} ways:",
            e.id,
            e.line,
            e.candidates().len()
        );
        for c in e.candidates() {
            out.push_str("  schema ");
            show(&mut out, c.schema);
            out.push_str("  name ");
            show(&mut out, Some(c.name));
            out.push_str("  owner ");
            show(&mut out, c.owner);
            out.push('\n');
        }
    }
    out
}

/// The cells of one entry's row, written into `cells`.
fn fill(e: &Entry, cells: &mut [String; 8]) {
    for cell in cells.iter_mut() {
        cell.clear();
    }
    let [line, id, desc, schema, name, owner, deps, note] = cells;
    let _ = write!(line, "{}", e.line);
    let _ = write!(id, "{}", e.id);
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
        let _ = write!(deps, "{dep}");
    }
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
    if !e.has_known_desc() {
        add_note(format_args!("unknown desc"));
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
        Some(v)
            if v.is_empty()
                || v.starts_with(char::is_whitespace)
                || v.ends_with(char::is_whitespace)
                || v.contains('\t') =>
        {
            let _ = write!(cell, "{v:?}");
        }
        Some(v) => cell.push_str(v),
    }
}
