//! `restage init`: a first plan from a listing and its schema SQL, the chosen tables in it and
//! every other table of the listing there to uncomment, grouped by schema.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::Serialize;

use super::listing::{Index, attach_child};
use crate::Error;
use crate::render::Templates;
use crate::schema::SchemaSql;
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, shell_word};
use crate::toc::{Desc, Toc};

/// What `restage init` was asked for.
pub struct Request<'a> {
    /// The paths as the plan will name them: relative to where the plan is written.
    pub listing: &'a str,
    pub schema: &'a str,
    pub dump: Option<&'a str>,
    pub name: Option<&'a str>,
    /// The tables to restore, in PostgreSQL syntax, in the order given.
    pub tables: &'a [String],
}

/// The two `pg_restore` commands that make the listing and the schema SQL of `dump`.
pub fn pg_restore_commands(dump: &str, listing: &str, schema: &str) -> [Vec<String>; 2] {
    [
        ["pg_restore", "-l", "-v", "-f", listing, dump],
        ["pg_restore", "--schema-only", "-v", "-f", schema, dump],
    ]
    .map(|words| words.iter().map(|w| (*w).to_owned()).collect())
}

/// A command as one line a POSIX shell runs as it is.
pub fn shell_line(words: &[String]) -> String {
    words
        .iter()
        .map(|w| shell_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Serialize)]
struct Scaffold {
    name: String,
    listing: String,
    schema: String,
    dump: String,
    /// Whether `dump` was given, or only guessed from the listing's name.
    dump_given: bool,
    database: Option<String>,
    dumped_from: Option<String>,
    made_with: Vec<String>,
    tables: Vec<String>,
    others: Vec<SchemaGroup>,
}

#[derive(Serialize)]
struct SchemaGroup {
    schema: String,
    tables: Vec<OtherTable>,
}

#[derive(Serialize)]
struct OtherTable {
    name: String,
    /// Why it is not a table to name on its own, where the listing says so.
    note: Option<String>,
}

/// The plan's text, laid out by the `plan.yaml` template.
pub fn scaffold(
    request: &Request,
    toc: &Toc,
    schema: &SchemaSql,
    templates: &Templates,
) -> Result<String, Error> {
    let index = Index::new(toc, schema);
    let mut chosen: Vec<QualifiedName> = Vec::new();
    for text in request.tables {
        let name = QualifiedName::parse(text).map_err(|e| Error::Init {
            message: format!("--table {text}: {}", e.message),
            help: "name a table as schema.table in PostgreSQL syntax, e.g. public.orders or '\"My Schema\".\"Orders\"'".into(),
        })?;
        if index.tables_named(&name).is_empty() {
            return Err(Error::Init {
                message: format!("--table {text}: {} holds no table {name}", request.listing),
                help: format!(
                    "restage toc {} lists its tables",
                    shell_word(request.listing)
                ),
            });
        }
        if chosen.contains(&name) {
            return Err(Error::Init {
                message: format!("--table {text}: {name} is named twice"),
                help: "name each table once".into(),
            });
        }
        chosen.push(name);
    }

    let mut parent_of: HashMap<u32, u32> = HashMap::new();
    for attach in toc.entries.iter().filter(|e| e.desc == Desc::TableAttach) {
        if let Some(child) = attach_child(&index, attach)
            && let Some(parent) = index.deps(attach, Desc::Table).find(|t| t.id != child)
        {
            parent_of.insert(child, parent.id);
        }
    }
    let mut groups: BTreeMap<String, Vec<(QualifiedName, Option<String>)>> = BTreeMap::new();
    for entry in toc.entries.iter().filter(|e| e.desc == Desc::Table) {
        let Some(name) = index.qualified(entry) else {
            continue;
        };
        if chosen.contains(&name) {
            continue;
        }
        let note = parent_of
            .get(&entry.id)
            .and_then(|parent| index.by_id.get(parent))
            .and_then(|parent| index.qualified(parent))
            .map(|parent| format!("partition of {parent}"));
        groups
            .entry(ident(&name.schema))
            .or_default()
            .push((name, note));
    }
    let others = groups
        .into_iter()
        .map(|(schema, mut tables)| {
            tables.sort();
            SchemaGroup {
                schema,
                tables: tables
                    .into_iter()
                    .map(|(name, note)| OtherTable {
                        name: yaml_scalar(&name.to_string()),
                        note,
                    })
                    .collect(),
            }
        })
        .collect();

    let made_with = request
        .dump
        .map(|dump| {
            pg_restore_commands(dump, request.listing, request.schema)
                .iter()
                .map(|words| shell_line(words))
                .collect()
        })
        .unwrap_or_default();
    let dump = request.dump.map_or_else(
        || {
            let stem = Path::new(request.listing)
                .with_extension("dump")
                .display()
                .to_string();
            yaml_scalar(&stem)
        },
        yaml_scalar,
    );
    let context = Scaffold {
        name: request
            .name
            .map_or_else(|| plan_name(request.listing), str::to_owned),
        listing: yaml_scalar(request.listing),
        schema: yaml_scalar(request.schema),
        dump,
        dump_given: request.dump.is_some(),
        database: toc.header.dbname.clone(),
        dumped_from: toc.header.dumped_from.clone(),
        made_with,
        tables: chosen.iter().map(|t| yaml_scalar(&t.to_string())).collect(),
        others,
    };
    templates.render(crate::artifacts::INIT_PLAN, &context)
}

/// A plan name from the listing's file name: lower case, other characters as `-`.
fn plan_name(listing: &str) -> String {
    let stem = Path::new(listing)
        .file_stem()
        .map(|s| s.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let mut name = String::new();
    for c in stem.chars() {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            name.push(c);
        } else if !name.is_empty() && !name.ends_with('-') {
            name.push('-');
        }
    }
    let name = name.trim_end_matches('-');
    if name.is_empty() {
        "restore".to_owned()
    } else {
        name.to_owned()
    }
}

/// `text` as a YAML scalar: plain where YAML reads it back as the same string, else
/// single-quoted (a quote doubled).
fn yaml_scalar(text: &str) -> String {
    let plain = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/' || c == '.')
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./".contains(c))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n" | "~"
        )
        && text.parse::<f64>().is_err();
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_scalars_read_back_as_the_same_string() {
        for text in [
            "public.reading",
            "\"Weird Schema\".\"Order Items\"",
            "it's",
            "true",
            "1.5",
            "-x",
            "a: b",
            "#x",
            "/backups/kitchen.dump",
        ] {
            let yaml = format!("v: {}\n", yaml_scalar(text));
            let back: BTreeMap<String, String> = serde_saphyr::from_str(&yaml).expect(&yaml);
            assert_eq!(back["v"], text, "{yaml}");
        }
        assert_eq!(yaml_scalar("public.reading"), "public.reading");
    }

    #[test]
    fn plan_names_are_valid() {
        assert_eq!(plan_name("dumps/Kitchen_2026.list"), "kitchen-2026");
        assert_eq!(plan_name("___.list"), "restore");
        assert_eq!(plan_name("x--y.list"), "x-y");
    }
}
