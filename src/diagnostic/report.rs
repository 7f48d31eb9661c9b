//! Diagnostics laid out for their readers: people (drawn against the file by miette), machines
//! (JSON), and GitHub Actions (workflow annotations, which the pull request shows at the line).

use std::fmt;

use clap::ValueEnum;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    Severity as MietteSeverity, SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use super::{Diagnostic, Location, Severity, Source};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Drawn against the file, for people.
    Human,
    /// `{"diagnostics": [...]}`, for other tools.
    Json,
    /// GitHub Actions workflow commands (`::error file=...,line=...::message`).
    Github,
}

impl Format {
    /// What a run without `--format` reports in: annotations under GitHub Actions, as squawk
    /// does, and drawings anywhere else.
    pub fn auto() -> Format {
        if std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true") {
            Format::Github
        } else {
            Format::Human
        }
    }

    /// Whether the report is for a program, and goes to standard output.
    pub fn for_machines(self) -> bool {
        self != Format::Human
    }
}

/// `diagnostics` in `format`; `color` only matters to the human drawing.
pub(crate) fn render(format: Format, diagnostics: &[Diagnostic], color: bool) -> String {
    match format {
        Format::Human => human(diagnostics, color),
        Format::Json => json(diagnostics, &[]),
        Format::Github => github(diagnostics),
    }
}

/// Each diagnostic drawn as miette draws it, a blank line between.
pub(crate) fn human(diagnostics: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for diagnostic in diagnostics {
        // What points into no file reads as one line, as cargo and psql print theirs.
        if diagnostic.source.is_none() {
            out.push_str(&one_line(diagnostic));
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        if handler
            .render_report(&mut out, &Drawing(diagnostic))
            .is_err()
        {
            out.push_str(&one_line(diagnostic));
        }
    }
    out
}

/// `error: path: message`, and its help on a line of its own.
fn one_line(diagnostic: &Diagnostic) -> String {
    let severity = match diagnostic.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut line = match &diagnostic.path {
        Some(path) => format!("{severity}: {path}: {}\n", diagnostic.message),
        None => format!("{severity}: {}\n", diagnostic.message),
    };
    if let Some(help) = &diagnostic.help {
        line.push_str(&format!("  help: {help}\n"));
    }
    line
}

/// `{"diagnostics": [...]}`, with `fields` before them (`"plan": ...` for lint).
pub(crate) fn json(diagnostics: &[Diagnostic], fields: &[(&str, serde_json::Value)]) -> String {
    let mut object = serde_json::Map::new();
    for (key, value) in fields {
        object.insert((*key).to_owned(), value.clone());
    }
    object.insert(
        "diagnostics".to_owned(),
        serde_json::to_value(diagnostics.iter().map(Json::of).collect::<Vec<_>>())
            .expect("plain data serializes"),
    );
    let mut out = serde_json::to_string_pretty(&object).expect("plain data serializes");
    out.push('\n');
    out
}

/// One workflow command a line: `::error file=F,line=L,col=C,endLine=..,endColumn=..,title=CODE::message`.
pub(crate) fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for diagnostic in diagnostics {
        let command = match diagnostic.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = Vec::new();
        if let Some(path) = &diagnostic.path {
            properties.push(format!("file={}", property(path)));
        }
        if let Some((start, end)) = primary_span(diagnostic) {
            properties.push(format!("line={}", start.line));
            properties.push(format!("col={}", start.column));
            properties.push(format!("endLine={}", end.line));
            properties.push(format!("endColumn={}", end.column));
        }
        properties.push(format!("title={}", property(&title(diagnostic))));
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!(
            "::{command} {}::{}\n",
            properties.join(","),
            data(&message)
        ));
    }
    out
}

/// `restage::plan`, or `L001 inbound-foreign-keys` for a finding.
fn title(diagnostic: &Diagnostic) -> String {
    match &diagnostic.name {
        Some(name) => format!("{} {name}", diagnostic.code),
        None => diagnostic.code.clone(),
    }
}

/// Where the primary label starts and ends.
fn primary_span(diagnostic: &Diagnostic) -> Option<(Location, Location)> {
    let source = diagnostic.source.as_ref()?;
    let label = diagnostic.labels.first()?;
    Some((
        source.location(label.offset),
        source.location(label.offset + label.len),
    ))
}

/// The message of a workflow command: `%`, CR and LF escaped, as the runner reads them.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property of a workflow command: also `:` and `,`, which separate properties.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[derive(Serialize)]
struct Json<'a> {
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    severity: Severity,
    message: &'a str,
    path: Option<&'a str>,
    location: Option<Location>,
    end: Option<Location>,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    table: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed: Option<bool>,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    location: Location,
    end: Location,
}

impl<'a> Json<'a> {
    fn of(d: &'a Diagnostic) -> Json<'a> {
        let span = primary_span(d);
        let labels = match &d.source {
            Some(source) => d
                .labels
                .iter()
                .map(|l| JsonLabel {
                    message: &l.text,
                    location: source.location(l.offset),
                    end: source.location(l.offset + l.len),
                })
                .collect(),
            None => Vec::new(),
        };
        Json {
            code: &d.code,
            name: d.name.as_deref(),
            severity: d.severity,
            message: &d.message,
            path: d.path.as_deref(),
            location: span.map(|(start, _)| start),
            end: span.map(|(_, end)| end),
            labels,
            help: d.help.as_deref(),
            table: d.table.as_deref(),
            allowed: d.allowed,
        }
    }
}

/// A diagnostic as miette draws it.
struct Drawing<'a>(&'a Diagnostic);

impl fmt::Debug for Drawing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Drawing<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Drawing<'_> {}

impl miette::Diagnostic for Drawing<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(title(self.0)))
    }

    fn severity(&self) -> Option<MietteSeverity> {
        Some(match self.0.severity {
            Severity::Error => MietteSeverity::Error,
            Severity::Warning => MietteSeverity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source.as_deref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.0.source.as_ref()?;
        Some(Box::new(self.0.labels.iter().map(|l| {
            let span = SourceSpan::new(l.offset.into(), l.len);
            if l.primary {
                LabeledSpan::new_primary_with_span(Some(l.text.clone()), span)
            } else {
                LabeledSpan::new_with_span(Some(l.text.clone()), span)
            }
        })))
    }
}

impl SourceCode for Source {
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
            self.path.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line - 1,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Diagnostic {
        let source = Source::new("plans/a/plan.yaml", "tables:\n  - reading\n");
        Diagnostic::error(
            "restage::plan",
            "reading is not a table name: 100% sure, a, b",
        )
        .at(&source, 12, 7, "not a table name")
        .help("write schema.table")
    }

    #[test]
    fn annotations_name_the_path_as_given_and_escape_what_github_reads() {
        assert_eq!(
            github(&[example()]),
            "::error file=plans/a/plan.yaml,line=2,col=5,endLine=2,endColumn=12,title=restage%3A%3Aplan::reading is not a table name: 100%25 sure, a, b%0Ahelp: write schema.table\n"
        );
    }

    #[test]
    fn json_carries_path_place_labels_and_help() {
        let value: serde_json::Value =
            serde_json::from_str(&json(&[example()], &[])).expect("JSON");
        let d = &value["diagnostics"][0];
        assert_eq!(d["path"], "plans/a/plan.yaml");
        assert_eq!(d["severity"], "error");
        assert_eq!(d["location"]["line"], 2);
        assert_eq!(d["location"]["column"], 5);
        assert_eq!(d["labels"][0]["message"], "not a table name");
        assert_eq!(d["help"], "write schema.table");
        assert!(d.get("table").is_none());
    }

    #[test]
    fn drawings_show_the_path_as_given() {
        let drawn = human(&[example()], false);
        assert!(drawn.contains("plans/a/plan.yaml:2:5"), "{drawn}");
    }
}
