//! Sequences: identity columns, `OWNED BY`, `nextval()` defaults, `INCREMENT BY`.

use super::Block;
use crate::sql::QualifiedName;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::group_end;

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
                        .then(|| {
                            token
                                .ident_value(&self.sql)
                                .map(std::borrow::Cow::into_owned)
                        })
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

fn increment_of(c: &mut Cursor<'_>) -> i64 {
    if c.skip_to_word("INCREMENT") {
        c.word("BY");
        c.integer().unwrap_or(1)
    } else {
        1
    }
}
