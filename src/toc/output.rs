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
                desc: &e.desc,
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

    let mut rows = vec![
        [
            "LINE", "ID", "DESC", "SCHEMA", "NAME", "OWNER", "DEPS", "NOTE",
        ]
        .map(String::from),
    ];
    rows.extend(toc.entries.iter().map(row));
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|col| {
            rows.iter()
                .map(|r| r[col].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in &rows {
        let mut line = String::new();
        for (col, cell) in r.iter().enumerate() {
            let pad = widths[col] - cell.chars().count();
            line.push_str(cell);
            if col + 1 < r.len() {
                line.extend(std::iter::repeat_n(' ', pad + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
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
            let _ = writeln!(
                out,
                "  schema {}  name {}  owner {}",
                show(c.schema),
                show(Some(c.name)),
                show(c.owner)
            );
        }
    }
    out
}

fn row(e: &Entry) -> [String; 8] {
    let (schema, name, owner) = match e.names() {
        Some(n) => (show(n.schema), show(Some(n.name)), show(n.owner)),
        None => ("?".into(), "?".into(), "?".into()),
    };
    let mut notes = Vec::new();
    if e.disabled {
        notes.push("disabled".to_owned());
    }
    if e.is_ambiguous() {
        notes.push(format!("ambiguous ({} readings)", e.candidates().len()));
    }
    if !e.has_known_desc() {
        notes.push("unknown desc".to_owned());
    }
    let deps: Vec<String> = e.deps.iter().map(u32::to_string).collect();
    [
        e.line.to_string(),
        e.id.to_string(),
        e.desc.to_string(),
        schema,
        name,
        owner,
        deps.join(","),
        notes.join(", "),
    ]
}

/// A name as it reads in the table: `-` for none, quoted when blanks at its ends would hide.
fn show(value: Option<&str>) -> String {
    match value {
        None => "-".to_owned(),
        Some(v)
            if v.is_empty()
                || v.starts_with(char::is_whitespace)
                || v.ends_with(char::is_whitespace)
                || v.contains('\t') =>
        {
            format!("{v:?}")
        }
        Some(v) => v.to_owned(),
    }
}
