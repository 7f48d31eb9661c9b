//! Lint findings: what an approver should weigh before saying yes. Findings are plain data
//! (code, severity, message, help, place in the plan); rendering them is separate, as text for
//! people, JSON for machines, and a table in REVIEW.md.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use std::sync::Arc;

use miette::SourceSpan;

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Source};
use crate::plan::{ResolvedTable, SequenceKind};
use crate::sql::QualifiedName;
use crate::toc::{Desc, Entry};

pub(crate) mod codes;

use codes::{
    DEFAULT_PARTITION, DEPENDENT_VIEWS, INBOUND_FOREIGN_KEYS, NO_DATA, NO_KEY, Rule,
    SHARED_SEQUENCE, UNLOGGED_STAGING,
};

/// What an approver should weigh: a warning, at a place in the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub name: &'static str,
    /// Plain text.
    pub message: String,
    pub help: &'static str,
    /// The plan table it is about, if any.
    pub table: Option<String>,
    /// Acknowledged by the plan (`lint: allow:`): reported, but never denied.
    pub allowed: bool,
    /// What the place in the plan is, and where.
    pub label: String,
    pub span: SourceSpan,
}

impl Finding {
    /// The finding as a warning about `plan`.
    pub fn diagnostic(&self, plan: &Arc<Source>) -> Diagnostic {
        let mut diagnostic = Diagnostic::warning(self.code, &self.message)
            .at(plan, self.span.offset(), self.span.len(), &self.label)
            .help(self.help);
        diagnostic.name = Some(self.name.to_owned());
        diagnostic.table.clone_from(&self.table);
        diagnostic.allowed = Some(self.allowed);
        diagnostic
    }
}

/// Every finding for an analysed plan, in the order of the plan file.
pub(crate) fn findings(analysis: &Analysis) -> Vec<Finding> {
    let facts = Facts::new(analysis);
    let mut found = Vec::new();
    let plan = &analysis.plan;
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
            message,
            help: rule.help,
            table: table.map(|t| t.name.quoted()),
            allowed: plan.lint.allow.iter().any(|a| a.value == rule.code),
            label,
            span,
        });
    };

    // A recovery never makes its staging logged: its rows reach production (and standbys)
    // as the inserts' own WAL, batch by batch.
    if plan.staging.unlogged
        && !plan.staging.unlogged_explicit
        && analysis.resolved.recovered.is_empty()
    {
        finding(
            &UNLOGGED_STAGING,
            None,
            "staging tables are UNLOGGED (the default)".into(),
            Some(if plan.staging.span.is_empty() {
                (plan.staging.span, "no staging: section: its defaults apply")
            } else {
                (plan.staging.span, "unlogged: not set: UNLOGGED by default")
            }),
        );
    }
    for table in &analysis.resolved.tables {
        let name = table.name.quoted();
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
                    sequence,
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
                format!("{name} has a default partition, {}", unit.name.quoted()),
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
                    format!("{}: {problem}", unit.name.quoted()),
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
            .filter(|e| e.desc == Desc::Sequence)
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

    fn dependents_of(&self, id: u32, desc: &Desc) -> Vec<&'a Entry> {
        self.analysis
            .toc
            .dependents_of(id)
            .filter(|e| &e.desc == desc)
            .collect()
    }

    fn inbound_foreign_keys(&self, table: &ResolvedTable) -> Vec<String> {
        let schema = &self.analysis.schema;
        table
            .units
            .iter()
            .flat_map(|u| u.attachments.inbound_foreign_key_tables(schema))
            .map(|(table, constraint)| format!("{} ({constraint})", table.quoted()))
            .collect()
    }

    fn dependent_views(&self, table: &ResolvedTable) -> (Vec<String>, Vec<String>) {
        let ids = table.units.iter().map(|u| u.table_id);
        let names = |desc: &Desc| -> Vec<String> {
            let found: BTreeSet<String> = ids
                .clone()
                .flat_map(|id| self.dependents_of(id, desc))
                .map(|e| self.name(e.id))
                .collect();
            found.into_iter().collect()
        };
        (names(&Desc::View), names(&Desc::MaterializedView))
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
                let table = match &user.desc {
                    Desc::Default => schema
                        .block(user.id)
                        .and_then(super::schema::Block::nextval_default)
                        .filter(|(_, s)| *s == sequence.sequence)
                        .and_then(|_| {
                            user.deps
                                .iter()
                                .copied()
                                .find(|d| self.by_id.get(d).is_some_and(|e| e.desc == Desc::Table))
                        }),
                    Desc::Table => schema
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
                    users.insert(self.name(table));
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
            schema
                .block(*id)
                .is_some_and(super::schema::Block::makes_unique_key)
        };
        table
            .units
            .iter()
            .all(|u| u.attachments.keys.iter().any(keyed))
    }
}
