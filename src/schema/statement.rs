//! Statements of any kind: their texts, and the constraint, publication or routine they name.

use super::Block;
use crate::sql::QualifiedName;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::{Token, group_end};

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

    /// The columns of the primary key the block adds: `ALTER TABLE [ONLY] t ADD CONSTRAINT c
    /// PRIMARY KEY (a, b)`, as pg_dump writes every primary key.
    pub fn primary_key_columns(&self) -> Option<Vec<String>> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"]).then_some(())?;
            c.word("ONLY");
            c.qualified_name()?;
            c.words(&["ADD", "CONSTRAINT"]).then_some(())?;
            c.ident()?;
            c.words(&["PRIMARY", "KEY"]).then_some(())?;
            column_list(&mut c)
        })
    }

    /// The foreign key the block adds: `ALTER TABLE [ONLY] t ADD CONSTRAINT c FOREIGN KEY (a, b)
    /// REFERENCES s.p(x, y) ...`, as pg_dump writes every foreign key.
    pub fn foreign_key(&self) -> Option<ForeignKeyColumns> {
        self.statements().iter().find_map(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"]).then_some(())?;
            c.word("ONLY");
            c.qualified_name()?;
            c.words(&["ADD", "CONSTRAINT"]).then_some(())?;
            let name = c.ident()?;
            c.words(&["FOREIGN", "KEY"]).then_some(())?;
            let columns = column_list(&mut c)?;
            c.word("REFERENCES").then_some(())?;
            let referenced = c.qualified_name()?;
            let referenced_columns = column_list(&mut c)?;
            (columns.len() == referenced_columns.len()).then_some(ForeignKeyColumns {
                name,
                columns,
                referenced,
                referenced_columns,
            })
        })
    }

    /// Whether the block makes a primary key or a unique key: `ALTER TABLE t ADD CONSTRAINT c
    /// PRIMARY KEY|UNIQUE ...`, or `CREATE UNIQUE INDEX`.
    pub fn makes_unique_key(&self) -> bool {
        self.statements().iter().any(|stmt| {
            let mut c = Cursor::new(&self.sql, stmt);
            if c.words(&["CREATE", "UNIQUE", "INDEX"]) {
                return true;
            }
            let mut c = Cursor::new(&self.sql, stmt);
            c.words(&["ALTER", "TABLE"])
                && {
                    c.word("ONLY");
                    c.qualified_name().is_some()
                }
                && c.words(&["ADD", "CONSTRAINT"])
                && c.ident().is_some()
                && (c.words(&["PRIMARY", "KEY"]) || c.word("UNIQUE"))
        })
    }
}

/// A foreign key's columns and the table and columns they reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyColumns {
    pub name: String,
    pub columns: Vec<String>,
    pub referenced: QualifiedName,
    pub referenced_columns: Vec<String>,
}

/// `(a, b)`: the names of a column list.
fn column_list(c: &mut Cursor) -> Option<Vec<String>> {
    c.punct('(').then_some(())?;
    let mut columns = vec![c.ident()?];
    while c.punct(',') {
        columns.push(c.ident()?);
    }
    c.punct(')').then_some(columns)
}

/// Whether a statement's text opens with `words`, each a whole word, in any case and spacing.
pub fn opens_with(statement: &str, words: &[&str]) -> bool {
    let mut rest = statement.trim_start();
    for word in words {
        match rest.get(..word.len()) {
            Some(head)
                if head.eq_ignore_ascii_case(word)
                    && rest[word.len()..].starts_with(char::is_whitespace) =>
            {
                rest = rest[word.len()..].trim_start();
            }
            _ => return false,
        }
    }
    true
}
