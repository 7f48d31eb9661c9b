//! The archive's schema SQL (`pg_restore --schema-only -v -f FILE DUMP`), split into one block
//! per TOC entry by its `-- TOC entry N` headers, so that every definition restage emits comes
//! from the dump itself and is tied to a listing id.

pub mod definition;
mod sequence;
mod statement;
mod table;

use std::collections::HashMap;

use thiserror::Error;

use crate::diagnostic::{Diagnostic, Source};
use crate::sql::QualifiedName;
use crate::sql::lexer::{Kind, Statement, statements, tokenize};
use crate::sql::quote::ident;
use crate::toc::Desc;

pub use sequence::{Identity, Ownership};
pub use statement::{ForeignKeyColumns, opens_with};
pub use table::{Attachment, CreateTable};

/// The schema SQL of one archive.
#[derive(Debug, Default)]
pub struct SchemaSql {
    blocks: HashMap<u32, Block>,
}

/// The SQL pg_restore printed for one TOC entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub id: u32,
    /// 1-based line of the `-- TOC entry` header.
    pub line: usize,
    /// From the `-- Name: ...; Type: ...; Schema: ...; Owner: ...` line: exact, spaces and all.
    pub name: String,
    pub desc: Desc,
    pub schema: Option<String>,
    pub owner: Option<String>,
    /// The statements, psql meta-commands (`\restrict`) left out.
    pub sql: String,
    /// The `default_table_access_method` in effect for this entry: pg_restore sets it between
    /// entries, only when it changes, so a `CREATE TABLE` relies on the last one before it.
    pub table_access_method: Option<String>,
}

impl Block {
    pub fn statements(&self) -> Vec<Statement> {
        statements(&self.sql)
    }
}

#[derive(Debug, Error)]
#[error("{file}:{line}: {message}")]
pub struct SchemaError {
    pub file: String,
    pub line: usize,
    pub message: String,
    text: String,
    offset: usize,
    len: usize,
}

impl SchemaError {
    pub fn diagnostic(&self) -> Diagnostic {
        let source = Source::new(&self.file, &self.text);
        Diagnostic::error("restage::schema::syntax", &self.message)
            .at(&source, self.offset, self.len, "here")
            .help("make the schema SQL with pg_restore --schema-only -v -f FILE DUMP: -v writes the -- TOC entry N headers")
    }
}

impl SchemaSql {
    pub fn block(&self, id: u32) -> Option<&Block> {
        self.blocks.get(&id)
    }

    /// The ids of every block, ascending.
    pub fn ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.blocks.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// The exact schema-qualified name of entry `id`, from its `-- Name:` line.
    pub fn name_of(&self, id: u32) -> Option<QualifiedName> {
        let block = self.block(id)?;
        Some(QualifiedName::new(
            block.schema.clone()?,
            block.name.clone(),
        ))
    }
}

const HEADER: &str = "-- TOC entry ";

/// The access method of a `SET default_table_access_method = heap2;` line, quoted again: the
/// scripts write it, so nothing but one name is taken.
fn access_method_set(line: &str) -> Option<String> {
    let value = line
        .strip_prefix("SET default_table_access_method = ")?
        .trim_end()
        .strip_suffix(';')?;
    match &tokenize(value)[..] {
        [token] if matches!(token.kind, Kind::Word | Kind::QuotedIdent) => {
            token.ident_value(value).map(|name| ident(&name))
        }
        _ => None,
    }
}

/// Splits `text` into blocks at its `-- TOC entry N` headers.
pub fn split(file: &str, text: &str) -> Result<SchemaSql, Box<SchemaError>> {
    let fail = |line: usize, offset: usize, len: usize, message: String| {
        Box::new(SchemaError {
            file: file.to_owned(),
            line,
            message,
            text: text.to_owned(),
            offset,
            len,
        })
    };
    let lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .scan(0, |offset, line| {
            let at = *offset;
            *offset += line.len();
            Some((at, line))
        })
        .collect();
    let mut schema = SchemaSql::default();
    let mut table_access_method = None;
    let mut index = 0;
    while index < lines.len() {
        let (offset, line) = lines[index];
        let Some(header) = line.strip_prefix(HEADER) else {
            table_access_method = access_method_set(line).or(table_access_method);
            index += 1;
            continue;
        };
        let number = index + 1;
        let id = header
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|digits| digits.parse::<u32>().ok())
            .ok_or_else(|| {
                fail(
                    number,
                    offset,
                    line.trim_end().len(),
                    "expected -- TOC entry <id> (class <oid> OID <oid>)".into(),
                )
            })?;
        let mut block = Block {
            id,
            line: number,
            name: String::new(),
            desc: Desc::Unknown(String::new()),
            schema: None,
            owner: None,
            sql: String::new(),
            table_access_method: table_access_method.clone(),
        };
        index += 1;
        // The rest of the header: comment lines up to the `--` that closes it.
        while let Some(&(_, line)) = lines.get(index) {
            let line = line.trim_end_matches(['\n', '\r']);
            index += 1;
            if line == "--" {
                break;
            }
            if let Some(fields) = line.strip_prefix("-- Name: ") {
                read_name_line(&mut block, fields).ok_or_else(|| {
                    fail(
                        index,
                        lines[index - 1].0,
                        line.len(),
                        "expected -- Name: <name>; Type: <type>; Schema: <schema>; Owner: <owner>"
                            .into(),
                    )
                })?;
            }
        }
        // The SQL: up to the `--` line that opens the next header.
        while let Some(&(_, line)) = lines.get(index) {
            let opens_next = line.trim_end() == "--"
                && lines
                    .get(index + 1)
                    .is_some_and(|(_, next)| next.starts_with(HEADER));
            if opens_next || line.starts_with(HEADER) {
                break;
            }
            if !line.starts_with('\\') {
                block.sql.push_str(line);
            }
            table_access_method = access_method_set(line).or(table_access_method);
            index += 1;
        }
        trim_in_place(&mut block.sql);
        if let Some(previous) = schema.blocks.insert(id, block) {
            return Err(fail(
                number,
                offset,
                line.trim_end().len(),
                format!(
                    "TOC entry {id} appears twice (first on line {})",
                    previous.line
                ),
            ));
        }
    }
    if schema.blocks.is_empty() {
        return Err(fail(
            1,
            0,
            0,
            "no -- TOC entry N headers: this is not the output of pg_restore --schema-only -v"
                .into(),
        ));
    }
    Ok(schema)
}

/// Trims `text` without a copy: a block of a large schema is megabytes of SQL.
fn trim_in_place(text: &mut String) {
    text.truncate(text.trim_end().len());
    let start = text.len() - text.trim_start().len();
    text.drain(..start);
}

/// `<name>; Type: <type>; Schema: <schema>; Owner: <owner>`, read from the right: the owner is
/// last, and a name may hold `; `.
fn read_name_line(block: &mut Block, fields: &str) -> Option<()> {
    let (rest, owner) = fields.rsplit_once("; Owner: ")?;
    let (rest, schema) = rest.rsplit_once("; Schema: ")?;
    let (name, desc) = rest.rsplit_once("; Type: ")?;
    name.clone_into(&mut block.name);
    block.desc = Desc::from_text(desc);
    block.schema = (schema != "-").then(|| schema.to_owned());
    block.owner = (!owner.is_empty()).then(|| owner.to_owned());
    Some(())
}

#[cfg(test)]
mod tests;
