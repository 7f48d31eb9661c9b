//! Tables: `CREATE TABLE` taken apart, partitions attached, owners.

use super::Block;
use crate::sql::QualifiedName;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::{Token, group_end};

/// A `CREATE TABLE` as pg_dump writes it, taken apart.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateTable {
    pub name: Option<QualifiedName>,
    pub unlogged: bool,
    /// Column name and type, as written (`bigint`, `numeric(12,3)`, `app.status`).
    pub columns: Vec<(String, String)>,
    /// The columns computed from others (`GENERATED ALWAYS AS (...) STORED`): the dump holds
    /// no data for them, and nobody may insert into them.
    pub generated: Vec<String>,
    /// Table constraints written inside the table: name and definition (`CHECK (...)`).
    pub constraints: Vec<(String, String)>,
    pub inherits: Vec<QualifiedName>,
    /// The composite type of a typed table (`CREATE TABLE t OF ct`), whose columns it has: its
    /// own list holds only their options (`id NOT NULL`), no types.
    pub of_type: Option<QualifiedName>,
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
            let of_type = if c.word("OF") {
                c.qualified_name()
            } else {
                None
            };
            let words: Vec<&Token> = stmt.words().collect();
            let mut table = CreateTable {
                name,
                unlogged,
                of_type,
                ..CreateTable::default()
            };
            let Some(open) = words.iter().position(|t| t.is_punct(sql, '(')) else {
                // `CREATE TABLE t OF ct;`: no list of its own.
                return table.of_type.is_some().then_some(table);
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
        if self.of_type.is_some() {
            // `id WITH OPTIONS NOT NULL`, `PRIMARY KEY (id)`: the type's columns, no types.
            return;
        }
        let type_end = tokens[1..]
            .iter()
            .position(|t| AFTER_TYPE.iter().any(|w| t.is_word(sql, w)))
            .map_or(tokens.len(), |p| p + 1);
        let computed = tokens.windows(4).any(|w| {
            w[0].is_word(sql, "GENERATED")
                && w[1].is_word(sql, "ALWAYS")
                && w[2].is_word(sql, "AS")
                && w[3].is_punct(sql, '(')
        });
        if computed {
            self.generated.push(name.to_string());
        }
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

/// `ALTER TABLE ONLY parent ATTACH PARTITION child <bound>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub parent: QualifiedName,
    pub child: QualifiedName,
    /// `FOR VALUES ...` or `DEFAULT`, exactly as pg_dump wrote it.
    pub bound: String,
}

impl Block {
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
}
