//! Faithful synthetic listings: the Pagila listing of PostgreSQL 18, copied once per tenant
//! schema with its ids shifted, so that size grows while every line stays one pg_restore prints.

use std::fmt::Write as _;

const PAGILA: &[u8] = include_bytes!("../../tests/fixtures/pagila-pg18.vtoc");

/// A `pg_restore -l -v` listing of at least `entries` entries.
pub(crate) fn listing(entries: usize) -> Vec<u8> {
    let toc = restage::toc::parse("pagila-pg18.vtoc", PAGILA).expect("fixture parses");
    let stride = toc.entries.iter().map(|e| e.id).max().expect("entries") + 1;
    let copies = entries.div_ceil(toc.entries.len());
    let mut out = String::with_capacity(copies * PAGILA.len());
    out.push_str(";\n;     dbname: pagila\n;     TOC Entries: ");
    let _ = writeln!(out, "{}", copies * toc.entries.len());
    out.push_str(
        ";     Dump Version: 1.16-0\n;     Format: CUSTOM\n;\n; Selected TOC Entries:\n;\n",
    );
    for copy in 0..copies {
        let shift = |id: u32| id + copy as u32 * stride;
        let tenant = format!("tenant_{copy}");
        for e in &toc.entries {
            let names = e.names().expect("pagila is unambiguous");
            let (schema, name) = match (names.schema, e.desc.as_str()) {
                (Some("public"), _) => (tenant.as_str(), names.name),
                (None, "SCHEMA") if names.name == "public" => ("-", tenant.as_str()),
                (schema, _) => (schema.unwrap_or("-"), names.name),
            };
            let owner = names.owner.unwrap_or("");
            let _ = writeln!(
                out,
                "{}; {} {} {} {schema} {name} {owner}",
                shift(e.id),
                e.tableoid,
                e.oid,
                e.desc
            );
            if !e.deps.is_empty() {
                out.push_str(";\tdepends on:");
                for dep in &e.deps {
                    let _ = write!(out, " {}", shift(*dep));
                }
                out.push('\n');
            }
        }
    }
    out.into_bytes()
}
