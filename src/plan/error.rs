use miette::{Diagnostic, LabeledSpan, NamedSource, SourceSpan};
use thiserror::Error;

/// One problem with a plan, at a place in the plan file.
#[derive(Debug, Clone, PartialEq, Eq, Error, Diagnostic)]
#[error("{message}")]
pub struct Problem {
    pub message: String,
    /// Where the problem is; the first label.
    pub span: SourceSpan,
    #[label(collection)]
    labels: Vec<LabeledSpan>,
    #[help]
    pub help: Option<String>,
}

impl Problem {
    pub fn new(span: SourceSpan, message: impl Into<String>, label: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            span,
            labels: vec![LabeledSpan::new_primary_with_span(Some(label.into()), span)],
            help: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Another place that explains this one (the first of two duplicates, say).
    pub fn also(mut self, span: SourceSpan, label: impl Into<String>) -> Self {
        self.labels
            .push(LabeledSpan::new_with_span(Some(label.into()), span));
        self
    }
}

/// Every problem found in one plan, shown against its text.
#[derive(Debug, Error, Diagnostic)]
#[error("{file}: the plan has {}", count(problems.len()))]
#[diagnostic(code(restage::plan))]
pub struct PlanErrors {
    pub file: String,
    #[source_code]
    src: NamedSource<String>,
    #[related]
    pub problems: Vec<Problem>,
}

impl PlanErrors {
    /// The problems are shown in the order they appear in the file.
    pub fn new(file: &str, text: &str, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|p| p.span.offset());
        PlanErrors {
            file: file.to_owned(),
            src: NamedSource::new(file, text.to_owned()),
            problems,
        }
    }
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}
