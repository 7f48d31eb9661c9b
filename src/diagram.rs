//! The plan's tables and what orders them, drawn: Graphviz `dot` for `restage graph`, Mermaid
//! for that and for REVIEW.md, which GitHub and GitLab render as a picture.
//!
//! Nodes are the plan tables in load order, numbered; an edge runs from the table loaded first
//! to the one that must follow it, labelled with why.

use std::collections::{BTreeMap, BTreeSet};

use crate::graph::Reason;
use crate::plan::Resolved;

/// What the drawings are made of, in a fixed order.
struct Diagram {
    nodes: Vec<String>,
    edges: Vec<DiagramEdge>,
}

struct DiagramEdge {
    before: usize,
    after: usize,
    kind: EdgeKind,
    label: String,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum EdgeKind {
    ForeignKey,
    After,
    Inherits,
}

impl Diagram {
    fn new(resolved: &Resolved) -> Self {
        // A plan swaps tables or recovers rows, never both: its nodes are the one or the other.
        let nodes = resolved
            .tables
            .iter()
            .chain(&resolved.recovered)
            .enumerate()
            .map(|(i, table)| {
                let name = table.name.quoted().replace(['\n', '\r'], " ");
                match table.units.len() {
                    _ if !table.partitioned => format!("{}. {name}", i + 1),
                    1 => format!("{}. {name} (1 partition)", i + 1),
                    n => format!("{}. {name} ({n} partitions)", i + 1),
                }
            })
            .collect();
        // One edge per pair of tables and kind: several foreign keys between the same two
        // tables (one per partition, say) are named on one edge.
        let mut grouped: BTreeMap<(usize, usize, EdgeKind), BTreeSet<String>> = BTreeMap::new();
        for e in resolved.edges.iter().filter(|e| e.before != e.after) {
            let (kind, name) = match &e.reason {
                Reason::ForeignKey { constraint, .. } => {
                    (EdgeKind::ForeignKey, constraint.replace(['\n', '\r'], " "))
                }
                Reason::After { .. } => (EdgeKind::After, String::new()),
                Reason::Inherits { .. } => (EdgeKind::Inherits, String::new()),
            };
            grouped
                .entry((e.before, e.after, kind))
                .or_default()
                .insert(name);
        }
        let edges = grouped
            .into_iter()
            .map(|((before, after, kind), names)| DiagramEdge {
                before,
                after,
                kind,
                label: match kind {
                    EdgeKind::ForeignKey => format!("FK {}", named(&names)),
                    EdgeKind::After => "after".to_owned(),
                    EdgeKind::Inherits => "inherits".to_owned(),
                },
            })
            .collect();
        Diagram { nodes, edges }
    }
}

/// Up to three names, then how many more.
fn named(names: &BTreeSet<String>) -> String {
    const SHOWN: usize = 3;
    let first: Vec<&str> = names.iter().take(SHOWN).map(String::as_str).collect();
    match names.len().saturating_sub(SHOWN) {
        0 => first.join(", "),
        more => format!("{} and {more} more", first.join(", ")),
    }
}

/// Mermaid flowchart source (without the Markdown fence).
pub(crate) fn mermaid(resolved: &Resolved) -> String {
    let diagram = Diagram::new(resolved);
    let mut out = String::from("flowchart LR\n");
    for (i, label) in diagram.nodes.iter().enumerate() {
        out.push_str(&format!("    t{}[\"{}\"]\n", i + 1, mermaid_text(label)));
    }
    for edge in &diagram.edges {
        let arrow = match edge.kind {
            EdgeKind::ForeignKey => "-->",
            EdgeKind::After => "-.->",
            EdgeKind::Inherits => "==>",
        };
        out.push_str(&format!(
            "    t{} {arrow}|\"{}\"| t{}\n",
            edge.before + 1,
            mermaid_text(&edge.label),
            edge.after + 1
        ));
    }
    out
}

/// Graphviz source.
pub(crate) fn dot(resolved: &Resolved) -> String {
    let diagram = Diagram::new(resolved);
    let mut out = String::from(
        "digraph restage {\n    rankdir=LR;\n    node [shape=box, fontname=\"monospace\"];\n",
    );
    for (i, label) in diagram.nodes.iter().enumerate() {
        out.push_str(&format!(
            "    t{} [label=\"{}\"];\n",
            i + 1,
            dot_text(label)
        ));
    }
    for edge in &diagram.edges {
        let style = match edge.kind {
            EdgeKind::ForeignKey => "",
            EdgeKind::After => ", style=dashed",
            EdgeKind::Inherits => ", style=bold",
        };
        out.push_str(&format!(
            "    t{} -> t{} [label=\"{}\"{style}];\n",
            edge.before + 1,
            edge.after + 1,
            dot_text(&edge.label)
        ));
    }
    out.push_str("}\n");
    out
}

/// Text inside a quoted Mermaid label: quotes and angle brackets as entity codes (`#` first,
/// so that a name holding `#quot;` stays itself).
fn mermaid_text(text: &str) -> String {
    text.replace('#', "#35;")
        .replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(
            mermaid_text(r#"1. "a#quot;b"<c>"#),
            "1. #quot;a#35;quot;b#quot;#lt;c#gt;"
        );
        assert_eq!(dot_text(r#""x\" y"#), r#"\"x\\\" y"#);
    }
}
