//! One diagnostic for everything restage reports: problems of a plan, malformed listings and
//! schema SQL, files it cannot read or write, templates, and lint findings. Each is data (code,
//! severity, message, the path as the user gave it, a place in that file, labels, help); the
//! reporters in [`report`] lay it out for people (miette), for machines (JSON) and for GitHub
//! Actions (workflow annotations).

mod lines;
pub(crate) mod report;

use std::sync::Arc;

use serde::Serialize;

pub(crate) use lines::{LineIndex, Location};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// A file a diagnostic points into: its path as the user gave it, and its text, or one line of
/// it (a listing is not kept whole for its errors).
#[derive(Debug, PartialEq, Eq)]
pub struct Source {
    pub path: String,
    pub text: String,
    /// The line of the file the text starts at.
    pub first_line: usize,
    lines: LineIndex,
}

impl Source {
    pub fn new(path: impl Into<String>, text: impl Into<String>) -> Arc<Source> {
        Source::from_line(path, text, 1)
    }

    /// Part of a file, starting at its line `first_line`.
    pub fn from_line(
        path: impl Into<String>,
        text: impl Into<String>,
        first_line: usize,
    ) -> Arc<Source> {
        let text = text.into();
        Arc::new(Source {
            path: path.into(),
            lines: LineIndex::new(&text),
            first_line,
            text,
        })
    }

    /// The line and column of a byte offset.
    pub fn location(&self, offset: usize) -> Location {
        let at = self.lines.location(&self.text, offset);
        Location {
            line: at.line + self.first_line - 1,
            ..at
        }
    }
}

/// A byte range of the source, and what it says there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub offset: usize,
    pub len: usize,
    pub text: String,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// `restage::plan`, `restage::listing::syntax`, `L001`.
    pub code: String,
    /// A lint finding's name (`inbound-foreign-keys`).
    pub name: Option<String>,
    pub severity: Severity,
    /// Plain text, one sentence or two; no Markdown.
    pub message: String,
    /// The file it is about, as the user gave it; none for what is about no file.
    pub path: Option<String>,
    /// The file's text, when the diagnostic points into it.
    pub source: Option<Arc<Source>>,
    /// The places it points at, the primary one first.
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// A lint finding's plan table, and whether the plan allows it.
    pub table: Option<String>,
    pub allowed: Option<bool>,
}

impl Diagnostic {
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: code.into(),
            name: None,
            severity: Severity::Error,
            message: message.into(),
            path: None,
            source: None,
            labels: Vec::new(),
            help: None,
            table: None,
            allowed: None,
        }
    }

    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// About the file at `path`, as the user gave it, without a place in it.
    pub fn path(mut self, path: impl Into<String>) -> Diagnostic {
        self.path = Some(path.into());
        self
    }

    /// At a place in `source`, which is also the file it is about.
    pub fn at(mut self, source: &Arc<Source>, offset: usize, len: usize, label: &str) -> Self {
        self.path = Some(source.path.clone());
        self.source = Some(Arc::clone(source));
        self.labels.push(Label {
            offset,
            len,
            text: label.to_owned(),
            primary: self.labels.is_empty(),
        });
        self
    }

    /// Another place in the same source that explains this one.
    pub fn also(mut self, offset: usize, len: usize, label: &str) -> Self {
        self.labels.push(Label {
            offset,
            len,
            text: label.to_owned(),
            primary: false,
        });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Where the primary label is.
    pub fn location(&self) -> Option<Location> {
        let source = self.source.as_ref()?;
        let label = self.labels.first()?;
        Some(source.location(label.offset))
    }
}
