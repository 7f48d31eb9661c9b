//! The SQL around the data in a `pg_restore -f -` stream, one statement at a time: what may
//! pass, which COPY goes where, and what is refused.

use std::fmt;

use super::Mapping;
use crate::sql::cursor::Cursor;
use crate::sql::lexer::{Kind, Statement, statements, tokenize};

/// Why a statement may not reach psql.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Anything but session settings and COPY would change the database.
    Writes,
    /// A COPY into a table the plan does not restore.
    NotMapped,
    /// A COPY that does not read the stream itself (`FROM PROGRAM`, `FROM 'file'`, `TO`).
    NotFromStdin,
    /// A psql meta-command other than `\restrict` and `\unrestrict`.
    MetaCommand,
    /// The input ends inside a statement.
    Unfinished,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::Writes => "refused: this statement would write outside the staging schema",
            Refusal::NotMapped => {
                "refused: a COPY into a table that is not mapped to staging (not in the plan)"
            }
            Refusal::NotFromStdin => "refused: only `COPY ... FROM stdin` is allowed",
            Refusal::MetaCommand => {
                "refused: only the psql meta-commands \\restrict and \\unrestrict are allowed"
            }
            Refusal::Unfinished => "refused: the input ends inside this statement",
        })
    }
}

pub(super) enum Outcome {
    /// Send this text on as it is.
    Pass(String),
    /// The statement goes on on the next line.
    More,
    /// A COPY header, retargeted; data rows follow.
    Copy { header: String, table: String },
    Refuse {
        line: usize,
        statement: String,
        why: Refusal,
    },
}

/// A statement that may span lines.
#[derive(Default)]
pub(super) struct Pending {
    text: String,
    first_line: usize,
}

impl Pending {
    pub(super) fn push(&mut self, line_text: &str, line: usize, mapping: &Mapping) -> Outcome {
        if self.text.is_empty() {
            let trimmed = line_text.trim_start();
            if trimmed.is_empty() || trimmed.starts_with("--") {
                return Outcome::Pass(line_text.to_owned());
            }
            if trimmed.starts_with('\\') {
                let command = trimmed.split_whitespace().next().unwrap_or_default();
                return if matches!(command, "\\restrict" | "\\unrestrict") {
                    Outcome::Pass(line_text.to_owned())
                } else {
                    Outcome::Refuse {
                        line,
                        statement: shorten(trimmed),
                        why: Refusal::MetaCommand,
                    }
                };
            }
            self.first_line = line;
        }
        self.text.push_str(line_text);
        if !complete(&self.text) {
            return Outcome::More;
        }
        let text = std::mem::take(&mut self.text);
        let stmts = statements(&text);
        let last = stmts.len().saturating_sub(1);
        for (i, stmt) in stmts.iter().enumerate() {
            let mut c = Cursor::new(&text, stmt);
            if c.word("SET") || is_set_config(&text, stmt) {
                continue;
            }
            if c.word("COPY") && i == last {
                return copy(&text, stmt, mapping, self.first_line);
            }
            let why = if stmt
                .words()
                .next()
                .is_some_and(|t| t.is_word(&text, "COPY"))
            {
                Refusal::NotFromStdin
            } else {
                Refusal::Writes
            };
            return Outcome::Refuse {
                line: self.first_line,
                statement: shorten(stmt.text(&text)),
                why,
            };
        }
        Outcome::Pass(text)
    }

    /// The statement the input ended inside, if any.
    pub(super) fn unfinished(&self) -> Option<(usize, String)> {
        (!self.text.trim().is_empty()).then(|| (self.first_line, shorten(self.text.trim())))
    }
}

/// Whether `text` ends with a complete statement: its last significant token is a `;` outside
/// any string, comment or dollar quote.
fn complete(text: &str) -> bool {
    let tokens = tokenize(text);
    let mut significant = tokens
        .iter()
        .filter(|t| !matches!(t.kind, Kind::Whitespace | Kind::Comment));
    significant.clone().all(|t| t.kind != Kind::Unterminated)
        && significant
            .next_back()
            .is_some_and(|t| t.is_punct(text, ';'))
}

/// `SELECT pg_catalog.set_config(...)`, as pg_restore writes to empty the search path.
fn is_set_config(text: &str, stmt: &Statement) -> bool {
    let mut c = Cursor::new(text, stmt);
    if !c.word("SELECT") {
        return false;
    }
    // `pg_catalog.` is optional; when it is there, both parts must be.
    if c.word("pg_catalog") && !c.punct('.') {
        return false;
    }
    c.word("set_config") && c.punct('(')
}

/// `COPY <name> [(<columns>)] FROM stdin;` with `<name>` replaced by its staging table.
fn copy(text: &str, stmt: &Statement, mapping: &Mapping, line: usize) -> Outcome {
    let refuse = |why| Outcome::Refuse {
        line,
        statement: shorten(stmt.text(text)),
        why,
    };
    let words: Vec<_> = stmt.words().collect();
    let mut c = Cursor::new(text, stmt);
    c.word("COPY");
    let Some(name) = c.qualified_name() else {
        return refuse(Refusal::NotMapped);
    };
    // The name is the 2nd to 4th significant token: schema . table.
    let (name_start, name_end) = (words[1].span.start, words[3].span.end);
    if c.punct('(') {
        while !c.punct(')') {
            if c.ident().is_none() && !c.punct(',') {
                return refuse(Refusal::NotFromStdin);
            }
        }
    }
    if !(c.words(&["FROM", "stdin"]) && c.at_end()) {
        return refuse(Refusal::NotFromStdin);
    }
    let Some(target) = mapping.get(&name) else {
        return refuse(Refusal::NotMapped);
    };
    let header = format!(
        "{}{}{}",
        &text[..name_start],
        target.quoted(),
        &text[name_end..]
    );
    Outcome::Copy {
        header,
        table: name.quoted(),
    }
}

fn shorten(statement: &str) -> String {
    let one_line: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
    match one_line.char_indices().nth(200) {
        Some((at, _)) => format!("{}...", &one_line[..at]),
        None => one_line,
    }
}
