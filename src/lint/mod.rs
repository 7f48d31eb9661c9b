//! Lint findings: what an approver should weigh before saying yes. Findings are plain data
//! (code, severity, message, help, place in the plan); rendering them is separate, as text for
//! people, JSON for machines, and a table in REVIEW.md.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use miette::{
    Diagnostic, LabeledSpan, NamedSource, Severity as MietteSeverity, SourceCode, SourceSpan,
};
use serde::Serialize;

use crate::analysis::Analysis;
use crate::markdown::code;
use crate::plan::{ResolvedTable, SequenceKind};
use crate::sql::QualifiedName;
use crate::toc::Entry;

pub mod codes;

use codes::{
    DEFAULT_PARTITION, DEPENDENT_VIEWS, INBOUND_FOREIGN_KEYS, NO_DATA, NO_KEY, Rule,
    SHARED_SEQUENCE, UNLOGGED_STAGING,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub help: &'static str,
    /// The plan table it is about, if any.
    pub table: Option<String>,
    /// Acknowledged by the plan (`lint: allow:`): reported, but never denied.
    pub allowed: bool,
    pub location: Location,
    /// What the place in the plan is, for the drawing.
    #[serde(skip)]
    pub label: String,
    #[serde(skip)]
    pub span: SourceSpan,
}

/// 1-based line and column in the plan file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// Every finding for an analysed plan, in the order of the plan file.
pub fn findings(analysis: &Analysis) -> Vec<Finding> {
    let facts = Facts::new(analysis);
    let mut found = Vec::new();
    let plan = &analysis.plan;
    let lines = Lines::new(&plan.text);
    let mut finding = |rule: &'static Rule,
                       table: Option<&ResolvedTable>,
                       message: String,
                       place: Option<(SourceSpan, &str)>| {
        let (span, label) = match (place, table) {
            (Some((span, label)), _) => (span, label.to_owned()),
            (None, Some(t)) => (t.span, t.name.quoted()),
            (None, None) => (SourceSpan::from((0, 0)), String::new()),
        };
        found.push(Finding {
            code: rule.code,
            name: rule.name,
            severity: Severity::Warning,
            message,
            help: rule.help,
            table: table.map(|t| t.name.quoted()),
            allowed: plan.lint.allow.iter().any(|a| a.value == rule.code),
            location: lines.location(span),
            label,
            span,
        });
    };

    if plan.staging.unlogged && !plan.staging.unlogged_explicit {
        finding(
            &UNLOGGED_STAGING,
            None,
            "staging tables are UNLOGGED (the default)".into(),
            Some(if plan.staging.span.is_empty() {
                (
                    plan.staging.span,
                    "no `staging:` section: its defaults apply",
                )
            } else {
                (
                    plan.staging.span,
                    "`unlogged:` not set: UNLOGGED by default",
                )
            }),
        );
    }
    for table in &analysis.resolved.tables {
        let name = code(&table.name.quoted());
        let referencing = facts.inbound_foreign_keys(table);
        if !referencing.is_empty() {
            finding(
                &INBOUND_FOREIGN_KEYS,
                Some(table),
                format!(
                    "{name} is referenced by foreign keys of tables outside the plan: {}",
                    referencing.join(", ")
                ),
                None,
            );
        }
        let (views, matviews) = facts.dependent_views(table);
        if !views.is_empty() || !matviews.is_empty() {
            let mut parts = Vec::new();
            if !views.is_empty() {
                parts.push(format!("views {}", views.join(", ")));
            }
            if !matviews.is_empty() {
                parts.push(format!("materialized views {}", matviews.join(", ")));
            }
            finding(
                &DEPENDENT_VIEWS,
                Some(table),
                format!("{name} is used by {}", parts.join(" and ")),
                None,
            );
        }
        for (sequence, users) in facts.shared_sequences(table) {
            finding(
                &SHARED_SEQUENCE,
                Some(table),
                format!(
                    "sequence {} of {name} is also used by {}",
                    code(&sequence),
                    users.join(", ")
                ),
                None,
            );
        }
        for unit in table.units.iter().filter(|u| {
            u.partition
                .as_ref()
                .is_some_and(|p| p.bound.trim() == "DEFAULT")
        }) {
            finding(
                &DEFAULT_PARTITION,
                Some(table),
                format!(
                    "{name} has a default partition, {}",
                    code(&unit.name.quoted())
                ),
                None,
            );
        }
        if !facts.has_key(table) {
            finding(
                &NO_KEY,
                Some(table),
                format!("{name} has no primary key or unique key"),
                None,
            );
        }
        for unit in &table.units {
            let problem = match &unit.data {
                None => Some("the dump has no data for it (no TABLE DATA entry)"),
                Some(data) if data.disabled => {
                    Some("its TABLE DATA entry is disabled in the listing")
                }
                Some(_) => None,
            };
            if let Some(problem) = problem {
                finding(
                    &NO_DATA,
                    Some(table),
                    format!("{}: {problem}", code(&unit.name.quoted())),
                    None,
                );
            }
        }
    }
    // Plan order: by place in the plan file, as a compiler lists its warnings.
    found.sort_by_key(|f| f.span.offset());
    found
}

/// What the findings need to know about the listing beyond the resolution.
struct Facts<'a> {
    analysis: &'a Analysis,
    by_id: HashMap<u32, &'a Entry>,
    /// SEQUENCE entries by name.
    sequences: HashMap<QualifiedName, u32>,
    /// The plan tables, what they are loaded as, and the partitioned tables in between.
    restored: HashSet<QualifiedName>,
}

impl<'a> Facts<'a> {
    fn new(analysis: &'a Analysis) -> Self {
        let by_id: HashMap<u32, &Entry> = analysis.toc.entries.iter().map(|e| (e.id, e)).collect();
        // SEQUENCE entries by name: a table that draws from a sequence depends on its entry,
        // through its `DEFAULT` entry or, for a default written inside `CREATE TABLE`, itself.
        let sequences = analysis
            .toc
            .entries
            .iter()
            .filter(|e| e.desc == "SEQUENCE")
            .filter_map(|e| Some((analysis.schema.name_of(e.id)?, e.id)))
            .collect();
        let mut restored = HashSet::new();
        for table in &analysis.resolved.tables {
            restored.insert(table.name.clone());
            for unit in &table.units {
                restored.insert(unit.name.clone());
                restored.extend(unit.partition.as_ref().map(|p| p.parent.clone()));
            }
        }
        Facts {
            analysis,
            by_id,
            sequences,
            restored,
        }
    }

    fn name(&self, id: u32) -> String {
        self.analysis
            .schema
            .name_of(id)
            .map(|n| n.quoted())
            .or_else(|| {
                self.by_id
                    .get(&id)
                    .and_then(|e| e.name())
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| format!("entry {id}"))
    }

    fn dependents_of(&self, id: u32, desc: &str) -> Vec<&'a Entry> {
        self.analysis
            .toc
            .dependents_of(id)
            .filter(|e| e.desc == desc)
            .collect()
    }

    fn inbound_foreign_keys(&self, table: &ResolvedTable) -> Vec<String> {
        let schema = &self.analysis.schema;
        table
            .units
            .iter()
            .flat_map(|u| u.attachments.inbound_foreign_key_tables(schema))
            .map(|(table, constraint)| format!("{} ({})", code(&table.quoted()), code(&constraint)))
            .collect()
    }

    fn dependent_views(&self, table: &ResolvedTable) -> (Vec<String>, Vec<String>) {
        let ids = table.units.iter().map(|u| u.table_id);
        let names = |desc: &str| -> Vec<String> {
            let found: BTreeSet<String> = ids
                .clone()
                .flat_map(|id| self.dependents_of(id, desc))
                .map(|e| code(&self.name(e.id)))
                .collect();
            found.into_iter().collect()
        };
        (names("VIEW"), names("MATERIALIZED VIEW"))
    }

    /// Sequences a restored table draws from that tables outside the plan draw from too.
    fn shared_sequences(&self, table: &ResolvedTable) -> Vec<(String, Vec<String>)> {
        let mut shared = BTreeMap::new();
        for sequence in table
            .units
            .iter()
            .flat_map(|u| &u.sequences)
            .filter(|s| s.kind != SequenceKind::Identity)
        {
            let Some(&entry) = self.sequences.get(&sequence.sequence) else {
                continue;
            };
            let schema = &self.analysis.schema;
            let mut users = BTreeSet::new();
            for user in self.analysis.toc.dependents_of(entry) {
                let table = match user.desc.as_ref() {
                    "DEFAULT" => schema
                        .block(user.id)
                        .and_then(|b| b.nextval_default())
                        .filter(|(_, s)| *s == sequence.sequence)
                        .and_then(|_| {
                            user.deps
                                .iter()
                                .copied()
                                .find(|d| self.by_id.get(d).is_some_and(|e| e.desc == "TABLE"))
                        }),
                    "TABLE" => schema
                        .block(user.id)
                        .filter(|b| {
                            b.inline_nextval_defaults()
                                .iter()
                                .any(|(_, s)| *s == sequence.sequence)
                        })
                        .map(|_| user.id),
                    _ => None,
                };
                if let Some(table) = table
                    && schema
                        .name_of(table)
                        .is_none_or(|name| !self.restored.contains(&name))
                {
                    users.insert(code(&self.name(table)));
                }
            }
            if !users.is_empty() {
                shared.insert(sequence.sequence.quoted(), users.into_iter().collect());
            }
        }
        shared.into_iter().collect()
    }

    fn has_key(&self, table: &ResolvedTable) -> bool {
        let schema = &self.analysis.schema;
        let keyed = |id: &u32| {
            schema.block(*id).is_some_and(|b| {
                b.statement_texts().iter().any(|s| {
                    s.contains("PRIMARY KEY")
                        || s.contains(" UNIQUE ")
                        || s.starts_with("CREATE UNIQUE INDEX")
                })
            })
        };
        table
            .units
            .iter()
            .all(|u| u.attachments.keys.iter().any(keyed))
    }
}

/// Where each line of a text starts, to turn offsets into lines and columns without reading
/// the text again for each.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(at, _)| at + 1))
            .collect();
        Lines { text, starts }
    }

    fn location(&self, span: SourceSpan) -> Location {
        let offset = span.offset().min(self.text.len());
        let line = self.starts.partition_point(|&start| start <= offset);
        let start = self.starts[line - 1];
        let column = self.text[start..offset].chars().count() + 1;
        Location { line, column }
    }
}

/// Findings for people: each drawn against the plan, as compiler warnings are.
pub fn to_text(
    analysis: &Analysis,
    findings: &[Finding],
    handler: &miette::GraphicalReportHandler,
) -> String {
    let source = NamedSource::new(&analysis.plan.file_name, analysis.plan.text.clone());
    let mut out = String::new();
    for finding in findings.iter().filter(|f| !f.allowed) {
        let report = Report {
            finding,
            source: &source,
        };
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = handler.render_report(&mut out, &report);
    }
    out
}

#[derive(Serialize)]
struct JsonFindings<'a> {
    plan: &'a str,
    findings: &'a [Finding],
}

/// Findings for machines: `{"plan": "plan.yaml", "findings": [...]}`.
pub fn to_json(analysis: &Analysis, findings: &[Finding]) -> String {
    let mut out = serde_json::to_string_pretty(&JsonFindings {
        plan: &analysis.plan.file_name,
        findings,
    })
    .expect("plain data serializes");
    out.push('\n');
    out
}

/// A finding as a miette diagnostic, for drawing only.
#[derive(Debug)]
struct Report<'a> {
    finding: &'a Finding,
    source: &'a NamedSource<String>,
}

impl std::fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for Report<'_> {}

impl Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(format!(
            "{} {}",
            self.finding.code, self.finding.name
        )))
    }

    fn severity(&self) -> Option<MietteSeverity> {
        Some(match self.finding.severity {
            Severity::Warning => MietteSeverity::Warning,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn std::fmt::Display + 'b>> {
        Some(Box::new(&self.finding.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(Some(self.finding.label.clone()), self.finding.span),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based() {
        let lines = Lines::new("a: 1\nbé: [x\n");
        assert_eq!(
            lines.location(SourceSpan::new(0.into(), 1)),
            Location { line: 1, column: 1 }
        );
        assert_eq!(
            lines.location(SourceSpan::new(5.into(), 1)),
            Location { line: 2, column: 1 }
        );
        assert_eq!(
            lines.location(SourceSpan::new(10.into(), 1)),
            Location { line: 2, column: 5 }
        );
    }
}
