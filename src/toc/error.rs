use miette::{Diagnostic, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use thiserror::Error;

/// A line of a listing that is not what `pg_restore -l [-v]` prints.
#[derive(Debug, Error, Diagnostic)]
#[error("{file}:{line}:{column}: malformed listing line: expected {expected}")]
#[diagnostic(
    code(restage::listing::syntax),
    help(
        "entry lines read `<id>; <tableoid> <oid> <desc> <schema> <name> <owner>`, as printed by `pg_restore -l -v DUMP`"
    )
)]
pub struct ListingError {
    pub file: String,
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub expected: &'static str,
    #[source_code]
    source_line: LineSource,
    #[label("expected {expected}")]
    span: SourceSpan,
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
        let column = text[..offset].chars().count() + 1;
        let len = text[offset..].chars().next().map_or(0, char::len_utf8);
        ListingError {
            file: file.to_owned(),
            line,
            column,
            expected,
            source_line: LineSource {
                file: file.to_owned(),
                line,
                text: text.to_owned(),
            },
            span: SourceSpan::new(offset.into(), len),
        }
    }
}

/// One line of a listing, shown at its real line number without holding the whole file.
#[derive(Debug)]
struct LineSource {
    file: String,
    line: usize,
    text: String,
}

impl SourceCode for LineSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.line - 1,
            inner.column(),
            inner.line_count(),
        )))
    }
}
