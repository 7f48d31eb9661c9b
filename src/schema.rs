//! The archive's schema SQL (`pg_restore --schema-only -v -f FILE DUMP`), split into one block
//! per TOC entry by its `-- TOC entry N` headers, so that every definition restage emits comes
//! from the dump itself and is tied to a listing id.

use std::collections::HashMap;

use crate::diagnostic::{Diagnostic, Source};
use thiserror::Error;

use crate::sql::QualifiedName;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::{Statement, Token, group_end, statements};

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
    pub desc: String,
    pub schema: Option<String>,
    pub owner: Option<String>,
    /// The statements, psql meta-commands (`\restrict`) left out.
    pub sql: String,
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
    let mut index = 0;
    while index < lines.len() {
        let (offset, line) = lines[index];
        let Some(header) = line.strip_prefix(HEADER) else {
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
            desc: String::new(),
            schema: None,
            owner: None,
            sql: String::new(),
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
            index += 1;
        }
        block.sql = block.sql.trim().to_owned();
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

/// `<name>; Type: <type>; Schema: <schema>; Owner: <owner>`, read from the right: the owner is
/// last, and a name may hold `; `.
fn read_name_line(block: &mut Block, fields: &str) -> Option<()> {
    let (rest, owner) = fields.rsplit_once("; Owner: ")?;
    let (rest, schema) = rest.rsplit_once("; Schema: ")?;
    let (name, desc) = rest.rsplit_once("; Type: ")?;
    block.name = name.to_owned();
    block.desc = desc.to_owned();
    block.schema = (schema != "-").then(|| schema.to_owned());
    block.owner = (!owner.is_empty()).then(|| owner.to_owned());
    Some(())
}

/// An identity column: `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS IDENTITY (SEQUENCE NAME s ...)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub table: QualifiedName,
    pub column: String,
    pub sequence: QualifiedName,
    pub increment: i64,
}

/// `ALTER SEQUENCE s OWNED BY t.c`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ownership {
    pub sequence: QualifiedName,
    pub table: QualifiedName,
    pub column: String,
}

/// `ALTER TABLE ONLY parent ATTACH PARTITION child <bound>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub parent: QualifiedName,
    pub child: QualifiedName,
    /// `FOR VALUES ...` or `DEFAULT`, exactly as pg_dump wrote it.
    pub bound: String,
}

impl Block {
    pub fn identity(&self) -> Option<Identity> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            (c.words(&["ALTER", "TABLE"])).then_some(())?;
            c.word("ONLY");
            let table = c.qualified_name()?;
            c.words(&["ALTER", "COLUMN"]).then_some(())?;
            let column = c.ident()?;
            c.words(&["ADD", "GENERATED"]).then_some(())?;
            c.skip_to_word("IDENTITY").then_some(())?;
            c.punct('(').then_some(())?;
            c.words(&["SEQUENCE", "NAME"]).then_some(())?;
            let sequence = c.qualified_name()?;
            Some(Identity {
                table,
                column,
                sequence,
                increment: increment_of(&mut c),
            })
        })
    }

    /// The `INCREMENT BY` of a `CREATE SEQUENCE` block (1 when not given).
    pub fn sequence_increment(&self) -> Option<i64> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["CREATE", "SEQUENCE"]).then_some(())?;
            c.qualified_name()?;
            Some(increment_of(&mut c))
        })
    }

    pub fn ownership(&self) -> Option<Ownership> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "SEQUENCE"]).then_some(())?;
            let sequence = c.qualified_name()?;
            c.words(&["OWNED", "BY"]).then_some(())?;
            let schema = c.ident()?;
            c.punct('.').then_some(())?;
            let table = c.ident()?;
            c.punct('.').then_some(())?;
            let column = c.ident()?;
            Some(Ownership {
                sequence,
                table: QualifiedName::new(schema, table),
                column,
            })
        })
    }

    pub fn attachment(&self) -> Option<Attachment> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"]).then_some(())?;
            c.word("ONLY");
            let parent = c.qualified_name()?;
            c.words(&["ATTACH", "PARTITION"]).then_some(())?;
            let child = c.qualified_name()?;
            let bound = c.rest();
            (!bound.is_empty()).then(|| Attachment {
                parent,
                child,
                bound: bound.to_owned(),
            })
        })
    }
}

impl Block {
    /// `ALTER TABLE t ALTER COLUMN c SET DEFAULT nextval('s'::regclass)`: the column and sequence.
    pub fn nextval_default(&self) -> Option<(String, QualifiedName)> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"]).then_some(())?;
            c.word("ONLY");
            c.qualified_name()?;
            c.words(&["ALTER", "COLUMN"]).then_some(())?;
            let column = c.ident()?;
            c.words(&["SET", "DEFAULT"]).then_some(())?;
            c.word("nextval").then_some(())?;
            c.punct('(').then_some(())?;
            let sequence = QualifiedName::parse(&c.string()?).ok()?;
            Some((column, sequence))
        })
    }
}

impl Block {
    /// Columns of a `CREATE TABLE` whose default is written inline as `nextval('s'::regclass)`.
    pub fn inline_nextval_defaults(&self) -> Vec<(String, QualifiedName)> {
        let mut found = Vec::new();
        for stmt in self.statements() {
            let mut c = Cursor::new(&self.sql, &stmt);
            if !c.word("CREATE") {
                continue;
            }
            c.word("UNLOGGED");
            if !c.word("TABLE") || c.qualified_name().is_none() || !c.punct('(') {
                continue;
            }
            let words: Vec<_> = stmt.words().collect();
            let Some(open) = words.iter().position(|t| t.is_punct(&self.sql, '(')) else {
                continue;
            };
            // The column list only: what follows it (WITH, PARTITION BY) has no columns.
            let end = group_end(&self.sql, &words, open).unwrap_or(words.len());
            let mut depth = 1usize;
            let mut column: Option<String> = None;
            let mut element_start = true;
            for (i, token) in words.iter().enumerate().take(end).skip(open + 1) {
                if token.is_punct(&self.sql, '(') {
                    depth += 1;
                    continue;
                }
                if token.is_punct(&self.sql, ')') {
                    depth -= 1;
                    continue;
                }
                if depth == 1 && token.is_punct(&self.sql, ',') {
                    element_start = true;
                    continue;
                }
                if depth == 1 && element_start {
                    element_start = false;
                    const NOT_COLUMNS: [&str; 7] = [
                        "CONSTRAINT",
                        "CHECK",
                        "PRIMARY",
                        "UNIQUE",
                        "FOREIGN",
                        "EXCLUDE",
                        "LIKE",
                    ];
                    column = (!NOT_COLUMNS.iter().any(|w| token.is_word(&self.sql, w)))
                        .then(|| token.ident_value(&self.sql).map(|v| v.into_owned()))
                        .flatten();
                    continue;
                }
                let nextval = token.is_word(&self.sql, "nextval")
                    && words.get(i + 1).is_some_and(|t| t.is_punct(&self.sql, '('));
                if let (true, Some(name)) = (nextval, &column) {
                    let sequence = words
                        .get(i + 2)
                        .and_then(|t| t.string_value(&self.sql))
                        .and_then(|s| QualifiedName::parse(&s).ok());
                    if let Some(sequence) = sequence {
                        found.push((name.clone(), sequence));
                    }
                }
            }
        }
        found
    }
}

/// A `CREATE TABLE` as pg_dump writes it, taken apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTable {
    pub name: Option<QualifiedName>,
    pub unlogged: bool,
    /// Column name and type, as written (`bigint`, `numeric(12,3)`, `app.status`).
    pub columns: Vec<(String, String)>,
    /// Table constraints written inside the table: name and definition (`CHECK (...)`).
    pub constraints: Vec<(String, String)>,
    pub inherits: Vec<QualifiedName>,
    /// `PARTITION BY RANGE (taken_on)`: the strategy and the key, as written.
    pub partition_by: Option<String>,
    /// The storage parameters of `WITH (...)`, as written.
    pub options: Option<String>,
}

/// Column-definition words that end a column's type.
const AFTER_TYPE: &[&str] = &[
    "COLLATE",
    "DEFAULT",
    "NOT",
    "NULL",
    "CONSTRAINT",
    "GENERATED",
    "CHECK",
    "REFERENCES",
    "PRIMARY",
    "UNIQUE",
    "COMPRESSION",
    "STORAGE",
];

impl Block {
    /// The block's `CREATE [UNLOGGED] TABLE`, taken apart.
    pub fn create_table(&self) -> Option<CreateTable> {
        let sql = &self.sql;
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(sql, stmt);
            c.word("CREATE").then_some(())?;
            let unlogged = c.word("UNLOGGED");
            c.word("TABLE").then_some(())?;
            let name = c.qualified_name();
            let words: Vec<&Token> = stmt.words().collect();
            let open = words.iter().position(|t| t.is_punct(sql, '('))?;
            let mut table = CreateTable {
                name,
                unlogged,
                ..CreateTable::default()
            };
            let close = group_end(sql, &words, open);
            let inner_end = close.unwrap_or(words.len());
            // Inside the group the depth never drops below 1: `group_end` found where it closes.
            let mut depth = 1usize;
            let mut element: Vec<&Token> = Vec::new();
            for token in &words[open + 1..inner_end] {
                if token.is_punct(sql, '(') {
                    depth += 1;
                } else if token.is_punct(sql, ')') {
                    depth -= 1;
                } else if depth == 1 && token.is_punct(sql, ',') {
                    table.add_element(sql, &element);
                    element.clear();
                    continue;
                }
                element.push(token);
            }
            if close.is_some() {
                table.add_element(sql, &element);
            }
            table.read_tail(sql, &words[(inner_end + 1).min(words.len())..]);
            Some(table)
        })
    }

    /// Whether this `CREATE TABLE` inherits from another table (`INHERITS (...)`).
    pub fn inherits(&self) -> bool {
        self.create_table().is_some_and(|t| !t.inherits.is_empty())
    }
}

impl CreateTable {
    fn add_element(&mut self, sql: &str, tokens: &[&Token]) {
        let (Some(first), Some(last)) = (tokens.first(), tokens.last()) else {
            return;
        };
        if first.is_word(sql, "CONSTRAINT") {
            if let (Some(name), Some(def)) = (
                tokens.get(1).and_then(|t| t.ident_value(sql)),
                tokens.get(2),
            ) {
                self.constraints.push((
                    name.into_owned(),
                    sql[def.span.start..last.span.end].to_owned(),
                ));
            }
            return;
        }
        let Some(name) = first.ident_value(sql) else {
            return;
        };
        let type_end = tokens[1..]
            .iter()
            .position(|t| AFTER_TYPE.iter().any(|w| t.is_word(sql, w)))
            .map_or(tokens.len(), |p| p + 1);
        if type_end > 1 {
            let ty = &sql[tokens[1].span.start..tokens[type_end - 1].span.end];
            self.columns.push((name.into_owned(), ty.to_owned()));
        }
    }

    /// What follows the element list: `INHERITS (...)`, `PARTITION BY ...`, `WITH (...)`.
    fn read_tail(&mut self, sql: &str, tokens: &[&Token]) {
        let mut i = 0;
        while i < tokens.len() {
            let token = tokens[i];
            if token.is_word(sql, "INHERITS") {
                let Some(end) = group_end(sql, tokens, i + 1) else {
                    return;
                };
                let inner = &tokens[i + 2..end];
                for part in inner.split(|t| t.is_punct(sql, ',')) {
                    if let [schema, dot, name] = part
                        && dot.is_punct(sql, '.')
                        && let (Some(s), Some(n)) = (schema.ident_value(sql), name.ident_value(sql))
                    {
                        self.inherits.push(QualifiedName::new(s, n));
                    }
                }
                i = end + 1;
            } else if token.is_word(sql, "PARTITION")
                && tokens.get(i + 1).is_some_and(|t| t.is_word(sql, "BY"))
            {
                let Some(end) = group_end(sql, tokens, i + 2) else {
                    return;
                };
                self.partition_by =
                    Some(sql[tokens[i + 2].span.start..tokens[end].span.end].to_owned());
                i = end + 1;
            } else if token.is_word(sql, "WITH")
                && tokens.get(i + 1).is_some_and(|t| t.is_punct(sql, '('))
            {
                let Some(end) = group_end(sql, tokens, i + 1) else {
                    return;
                };
                self.options =
                    Some(sql[tokens[i + 2].span.start..tokens[end - 1].span.end].to_owned());
                i = end + 1;
            } else {
                i += 1;
            }
        }
    }
}

impl Block {
    /// The block's statements as text, each with its `;`, leaving out the session settings
    /// pg_restore writes between entries (`SET ...`, `SELECT pg_catalog.set_config(...)`).
    pub fn statement_texts(&self) -> Vec<String> {
        self.statements()
            .iter()
            .filter(|stmt| {
                let mut c = Cursor::new(&self.sql, stmt);
                !(c.word("SET")
                    || (c.word("SELECT")
                        && c.word("pg_catalog")
                        && c.punct('.')
                        && c.word("set_config")))
            })
            .map(|stmt| stmt.text(&self.sql).to_owned())
            .collect()
    }

    /// `ALTER TABLE [ONLY] t ADD CONSTRAINT c ...`: the table and the constraint's name.
    pub fn added_constraint(&self) -> Option<(QualifiedName, String)> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"]).then_some(())?;
            c.word("ONLY");
            let table = c.qualified_name()?;
            c.words(&["ADD", "CONSTRAINT"]).then_some(())?;
            Some((table, c.ident()?))
        })
    }

    /// `ALTER TABLE t OWNER TO r;`: the role that owns the table.
    pub fn table_owner(&self) -> Option<String> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"]).then_some(())?;
            c.qualified_name()?;
            c.words(&["OWNER", "TO"]).then_some(())?;
            c.ident()
        })
    }

    /// `ALTER PUBLICATION p ADD TABLE ...`: the publication.
    pub fn publication(&self) -> Option<String> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "PUBLICATION"]).then_some(())?;
            c.ident()
        })
    }

    /// What names a function or procedure in `DROP FUNCTION`: its qualified name and argument
    /// list, as the block's `CREATE FUNCTION` writes them.
    pub fn routine_signature(&self) -> Option<(&'static str, String)> {
        self.statements().iter().find_map(|stmt| {
            let words: Vec<&Token> = stmt.words().collect();
            let mut c = Cursor::new(&self.sql, stmt);
            c.word("CREATE").then_some(())?;
            c.words(&["OR", "REPLACE"]);
            let kind = if c.word("FUNCTION") {
                "FUNCTION"
            } else if c.word("PROCEDURE") {
                "PROCEDURE"
            } else {
                return None;
            };
            let start = words.iter().position(|t| t.is_word(&self.sql, kind))? + 1;
            let end = group_end(&self.sql, &words, start)?;
            Some((
                kind,
                self.sql[words[start].span.start..words[end].span.end].to_owned(),
            ))
        })
    }
}

fn increment_of(c: &mut Cursor<'_>) -> i64 {
    if c.skip_to_word("INCREMENT") {
        c.word("BY");
        c.integer().unwrap_or(1)
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KITCHEN: &str = include_str!("../tests/fixtures/kitchen-pg15.schema.sql");

    fn kitchen() -> SchemaSql {
        split("kitchen-pg15.schema.sql", KITCHEN).expect("splits")
    }

    #[test]
    fn blocks_carry_exact_names_from_their_headers() {
        let schema = kitchen();
        let block = schema.block(232).expect("TOC entry 232");
        assert_eq!(
            (block.name.as_str(), block.desc.as_str()),
            ("Order Items", "TABLE")
        );
        assert_eq!(
            (block.schema.as_deref(), block.owner.as_deref()),
            (Some("Weird Schema"), Some("postgres"))
        );
        assert!(
            block
                .sql
                .starts_with("CREATE TABLE \"Weird Schema\".\"Order Items\" (")
        );
        assert!(
            block
                .sql
                .contains("ALTER TABLE \"Weird Schema\".\"Order Items\" OWNER TO postgres;")
        );
        assert!(!block.sql.contains("TOC entry"));
        let schema_block = schema.block(6).expect("TOC entry 6");
        assert_eq!(
            (schema_block.schema.as_deref(), schema_block.desc.as_str()),
            (None, "SCHEMA")
        );
    }

    #[test]
    fn meta_commands_and_trailer_are_not_sql() {
        let schema = kitchen();
        let last = schema.block(3511).expect("matview data");
        assert_eq!(last.statements().len(), 1);
        assert!(!last.sql.contains("\\unrestrict"));
    }

    #[test]
    fn reads_identity_ownership_and_attachments() {
        let schema = kitchen();
        assert_eq!(
            schema.block(216).and_then(Block::identity),
            Some(Identity {
                table: QualifiedName::new("app", "sensor"),
                column: "id".into(),
                sequence: QualifiedName::new("app", "sensor_id_seq"),
                increment: 1,
            })
        );
        assert_eq!(
            schema.block(3546).and_then(Block::ownership),
            Some(Ownership {
                sequence: QualifiedName::new("public", "reading_id_seq"),
                table: QualifiedName::new("public", "reading"),
                column: "id".into(),
            })
        );
        assert_eq!(
            schema.block(237).and_then(Block::sequence_increment),
            Some(5)
        );
        assert_eq!(
            schema.block(3287).and_then(Block::attachment),
            Some(Attachment {
                parent: QualifiedName::new("app", "measurement"),
                child: QualifiedName::new("app", "measurement_2025"),
                bound: "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')".into(),
            })
        );
        assert_eq!(
            schema
                .block(3289)
                .and_then(Block::attachment)
                .map(|a| a.bound),
            Some("DEFAULT".into())
        );
        assert_eq!(
            schema.block(3296).and_then(|b| b.nextval_default()),
            Some((
                "id".into(),
                QualifiedName::new("public", "event_base_id_seq")
            ))
        );
    }

    #[test]
    fn reads_inline_nextval_defaults() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/pagila-pg15.schema.sql"
        ))
        .expect("fixture");
        let schema = split("pagila-pg15.schema.sql", &text).expect("splits");
        let payment = schema
            .blocks
            .values()
            .find(|b| b.name == "payment_p2022_01" && b.desc == "TABLE")
            .expect("partition");
        assert_eq!(
            payment.inline_nextval_defaults(),
            [(
                "payment_id".to_owned(),
                QualifiedName::new("public", "payment_payment_id_seq")
            )]
        );
        let kitchen = kitchen();
        assert_eq!(
            kitchen.block(219).map(Block::inline_nextval_defaults),
            Some(vec![])
        );
    }

    /// Found by the `schema` fuzz target: a `)` inside the column list closed it early and the
    /// `)` at its end took the depth below zero.
    #[test]
    fn inline_nextval_defaults_of_a_damaged_column_list() {
        let text = "--\n-- TOC entry 215 (class 1259 OID 16411)\n-- Name: customer; Type: TABLE; Schema: public; Owner: postgres\n--\n\n\
                    CREATE TABLE public.customer (\n    customer_id integer DEFAULT nextval('public.customer_customer_id_seq'::regclass) NOT NULL,\n    store_id)integer NOT NULL\n);\n";
        let schema = split("damaged.sql", text).expect("splits");
        assert_eq!(
            schema.block(215).map(Block::inline_nextval_defaults),
            Some(vec![(
                "customer_id".to_owned(),
                QualifiedName::new("public", "customer_customer_id_seq")
            )])
        );
    }

    #[test]
    fn a_routine_signature_closed_before_it_opens_is_none() {
        let text = "--\n-- TOC entry 7 (class 1255 OID 1)\n-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres\n--\n\n\
                    CREATE FUNCTION public.f) RETURNS integer LANGUAGE sql AS 'SELECT 1';\n";
        let schema = split("damaged.sql", text).expect("splits");
        assert_eq!(schema.block(7).and_then(Block::routine_signature), None);
    }

    #[test]
    fn takes_create_table_apart() {
        let schema = kitchen();
        let reading = schema
            .block(219)
            .and_then(Block::create_table)
            .expect("reading");
        assert_eq!(reading.name, Some(QualifiedName::new("public", "reading")));
        assert!(!reading.unlogged);
        assert_eq!(
            reading.columns,
            [
                ("id", "bigint"),
                ("sensor_id", "integer"),
                ("taken_at", "timestamp with time zone"),
                ("value", "double precision"),
                ("value_x2", "double precision"),
                ("note", "text"),
            ]
            .map(|(n, t)| (n.to_owned(), t.to_owned()))
        );
        assert_eq!(
            reading.constraints,
            [(
                "reading_value_check".to_owned(),
                "CHECK ((value > ('-1000'::integer)::double precision))".to_owned()
            )]
        );
        assert_eq!(
            reading.options.as_deref(),
            Some("fillfactor='90', autovacuum_vacuum_scale_factor='0.01'")
        );
        let login = schema
            .block(231)
            .and_then(Block::create_table)
            .expect("event_login");
        assert_eq!(login.inherits, [QualifiedName::new("public", "event_base")]);
        assert!(schema.block(231).is_some_and(Block::inherits));
        let measurement = schema
            .block(225)
            .and_then(Block::create_table)
            .expect("measurement");
        assert_eq!(
            measurement.partition_by.as_deref(),
            Some("RANGE (taken_on)")
        );
        let scratch = schema
            .block(239)
            .and_then(Block::create_table)
            .expect("scratch");
        assert!(scratch.unlogged);
    }

    #[test]
    fn statements_constraints_publications_and_routines() {
        let schema = kitchen();
        assert_eq!(
            schema
                .block(219)
                .map(Block::statement_texts)
                .expect("reading")
                .last()
                .map(String::as_str),
            Some("ALTER TABLE public.reading OWNER TO postgres;")
        );
        assert_eq!(
            schema.block(219).and_then(|b| b.table_owner()),
            Some("postgres".to_owned())
        );
        assert_eq!(
            schema.block(3351).and_then(|b| b.added_constraint()),
            Some((
                QualifiedName::new("public", "reading_annotation"),
                "reading_annotation_reading_id_fkey".to_owned()
            ))
        );
        assert_eq!(
            schema.block(3504).and_then(|b| b.publication()),
            Some("readings_pub".to_owned())
        );
        assert_eq!(
            schema.block(241).and_then(|b| b.routine_signature()),
            Some(("PROCEDURE", "app.noop(IN x integer)".to_owned()))
        );
        // SET lines pg_restore writes between entries are not part of any definition.
        assert!(
            schema
                .block(240)
                .map(Block::statement_texts)
                .expect("touch")
                .iter()
                .all(|s| !s.starts_with("SET"))
        );
    }

    #[test]
    fn every_block_of_every_fixture_has_a_name_line() {
        for fixture in ["kitchen-pg15", "kitchen-pg17", "pagila-pg15"] {
            let path = format!(
                "{}/tests/fixtures/{fixture}.schema.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).expect("fixture");
            let schema = split(&path, &text).expect("splits");
            assert!(
                schema.blocks.values().all(|b| !b.desc.is_empty()),
                "{fixture}"
            );
        }
    }

    #[test]
    fn rejects_sql_without_toc_headers() {
        let err = split("plain.sql", "CREATE TABLE t (a int);\n").unwrap_err();
        assert_eq!(err.line, 1);
        assert!(err.message.contains("no -- TOC entry N headers"));
    }
}
