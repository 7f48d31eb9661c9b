use thiserror::Error;

use crate::diagnostic::{Diagnostic, LineIndex, Source};

/// A line of a listing that is not what `pg_restore -l [-v]` prints.
#[derive(Debug, Error)]
#[error("{file}:{line}:{column}: malformed listing line: expected {expected}")]
pub struct ListingError {
    pub file: String,
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub expected: &'static str,
    /// The line, to show it without holding the whole file.
    text: String,
    offset: usize,
    len: usize,
}

impl ListingError {
    /// `offset` is the byte offset in `text` (line `line` of `file`) where parsing stopped.
    pub(super) fn new(
        file: &str,
        line: usize,
        text: &str,
        offset: usize,
        expected: &'static str,
    ) -> Self {
        ListingError {
            file: file.to_owned(),
            line,
            column: LineIndex::new(text).location(text, offset).column,
            expected,
            text: text.to_owned(),
            offset,
            len: text[offset..].chars().next().map_or(0, char::len_utf8),
        }
    }

    pub fn diagnostic(&self) -> Diagnostic {
        let source = Source::from_line(&self.file, &self.text, self.line);
        Diagnostic::error(
            "restage::listing::syntax",
            format!("malformed listing line: expected {}", self.expected),
        )
        .at(&source, self.offset, self.len, &format!("expected {}", self.expected))
        .help("entry lines read <id>; <tableoid> <oid> <desc> <schema> <name> <owner>, as printed by pg_restore -l -v DUMP")
    }
}
