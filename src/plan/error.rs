use std::sync::Arc;

use miette::{LabeledSpan, SourceSpan};
use thiserror::Error;

use crate::diagnostic::{Diagnostic, Source};

/// One problem with a plan, at a place in the plan file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct Problem {
    pub message: String,
    /// Where the problem is; the first label.
    pub span: SourceSpan,
    labels: Vec<LabeledSpan>,
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

    /// This problem as a diagnostic in `plan`.
    pub fn diagnostic(&self, plan: &Arc<Source>) -> Diagnostic {
        let mut labels = self.labels.iter();
        let mut diagnostic = Diagnostic::error("restage::plan", &self.message);
        if let Some(first) = labels.next() {
            diagnostic = diagnostic.at(
                plan,
                first.offset(),
                first.len(),
                first.label().unwrap_or_default(),
            );
        }
        for label in labels {
            diagnostic = diagnostic.also(
                label.offset(),
                label.len(),
                label.label().unwrap_or_default(),
            );
        }
        match &self.help {
            Some(help) => diagnostic.help(help),
            None => diagnostic,
        }
    }
}

/// Every problem found in one plan.
#[derive(Debug, Error)]
#[error("{path}: the plan has {}", count(problems.len()))]
pub struct PlanErrors {
    /// The plan file, as the user named it.
    pub path: String,
    text: String,
    pub problems: Vec<Problem>,
}

impl PlanErrors {
    /// The problems are reported in the order they appear in the file.
    pub fn new(path: &str, text: &str, mut problems: Vec<Problem>) -> Self {
        problems.sort_by_key(|p| p.span.offset());
        PlanErrors {
            path: path.to_owned(),
            text: text.to_owned(),
            problems,
        }
    }

    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        let plan = Source::new(&self.path, &self.text);
        self.problems.iter().map(|p| p.diagnostic(&plan)).collect()
    }
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 problem".to_owned()
    } else {
        format!("{n} problems")
    }
}
