//! Table order: a stable topological sort of the plan's tables over FK and `after:` edges.
//!
//! petgraph's `toposort` follows insertion order, so the order here comes from Kahn's algorithm
//! over a heap keyed by qualified name: the same tables and edges always give the same order,
//! however they were collected.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use petgraph::Direction;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::sql::QualifiedName;

/// Why one table must come before another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// `table` has the FK `constraint` (listing line `line`) referencing the earlier table.
    ForeignKey {
        table: QualifiedName,
        constraint: String,
        line: usize,
    },
    /// The plan says `after:` for the later table.
    After { span: miette::SourceSpan },
    /// `table` inherits from the earlier table: its staging copy is created as its child.
    Inherits { table: QualifiedName },
}

/// `before` must be loaded and locked before `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub before: usize,
    pub after: usize,
    pub reason: Reason,
}

/// Tables that depend on each other in a circle, and the edges that close it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle {
    pub edges: Vec<Edge>,
}

/// The indexes of `names` in dependency order, ties broken by name.
pub(crate) fn order(names: &[QualifiedName], edges: &[Edge]) -> Result<Vec<usize>, Cycle> {
    let mut graph: DiGraph<usize, usize> = DiGraph::with_capacity(names.len(), edges.len());
    let nodes: Vec<NodeIndex> = (0..names.len()).map(|i| graph.add_node(i)).collect();
    for (i, edge) in edges.iter().enumerate() {
        if edge.before != edge.after {
            graph.add_edge(nodes[edge.before], nodes[edge.after], i);
        }
    }
    let mut indegree: Vec<usize> = nodes
        .iter()
        .map(|&n| graph.neighbors_directed(n, Direction::Incoming).count())
        .collect();
    let mut ready: BinaryHeap<Reverse<(&QualifiedName, usize)>> = (0..names.len())
        .filter(|&i| indegree[i] == 0)
        .map(|i| Reverse((&names[i], i)))
        .collect();
    let mut sorted = Vec::with_capacity(names.len());
    while let Some(Reverse((_, i))) = ready.pop() {
        sorted.push(i);
        for next in graph.neighbors_directed(nodes[i], Direction::Outgoing) {
            let j = graph[next];
            indegree[j] -= 1;
            if indegree[j] == 0 {
                ready.push(Reverse((&names[j], j)));
            }
        }
    }
    if sorted.len() == names.len() {
        return Ok(sorted);
    }
    Err(find_cycle(names, edges, &graph, &nodes))
}

/// One cycle among the tables Kahn's algorithm could not place: starting from the smallest
/// name in a strongly connected component, follow edges inside it until the start comes back.
fn find_cycle(
    names: &[QualifiedName],
    edges: &[Edge],
    graph: &DiGraph<usize, usize>,
    nodes: &[NodeIndex],
) -> Cycle {
    let mut components: Vec<Vec<usize>> = petgraph::algo::tarjan_scc(graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| {
            let mut members: Vec<usize> = c.into_iter().map(|n| graph[n]).collect();
            members.sort_by(|a, b| names[*a].cmp(&names[*b]));
            members
        })
        .collect();
    components.sort_by(|a, b| names[a[0]].cmp(&names[b[0]]));
    let component = components.into_iter().next().unwrap_or_default();
    let Some(&start) = component.first() else {
        return Cycle { edges: Vec::new() };
    };
    // Breadth-first from `start` inside the component, back to `start`: the shortest cycle.
    let mut came_by: Vec<Option<usize>> = vec![None; names.len()];
    let mut queue = std::collections::VecDeque::from([start]);
    let mut seen = vec![false; names.len()];
    seen[start] = true;
    let mut closing = None;
    'search: while let Some(i) = queue.pop_front() {
        let mut outgoing: Vec<(usize, usize)> = graph
            .edges_directed(nodes[i], Direction::Outgoing)
            .map(|e| (graph[petgraph::visit::EdgeRef::target(&e)], *e.weight()))
            .filter(|(j, _)| component.contains(j))
            .collect();
        outgoing.sort_by(|a, b| names[a.0].cmp(&names[b.0]).then(a.1.cmp(&b.1)));
        for (j, edge) in outgoing {
            if j == start {
                closing = Some(edge);
                break 'search;
            }
            if !seen[j] {
                seen[j] = true;
                came_by[j] = Some(edge);
                queue.push_back(j);
            }
        }
    }
    let mut path = Vec::new();
    if let Some(last) = closing {
        path.push(edges[last].clone());
        let mut at = edges[last].before;
        while at != start {
            let Some(edge) = came_by[at] else { break };
            path.push(edges[edge].clone());
            at = edges[edge].before;
        }
    }
    path.reverse();
    Cycle { edges: path }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<QualifiedName> {
        list.iter()
            .map(|n| QualifiedName::new("public", *n))
            .collect()
    }

    fn after(before: usize, after: usize) -> Edge {
        Edge {
            before,
            after,
            reason: Reason::After {
                span: (0, 0).into(),
            },
        }
    }

    #[test]
    fn ties_break_by_name_whatever_the_insertion_order() {
        let forward = names(&["a", "b", "c", "d"]);
        let edges = [after(2, 0)];
        assert_eq!(order(&forward, &edges), Ok(vec![1, 2, 0, 3]));
        let backward = names(&["d", "c", "b", "a"]);
        let edges = [after(1, 3)];
        let sorted: Vec<&str> = order(&backward, &edges)
            .unwrap()
            .iter()
            .map(|&i| backward[i].name.as_str())
            .collect();
        assert_eq!(sorted, ["b", "c", "a", "d"]);
    }

    #[test]
    fn self_references_do_not_count() {
        let tables = names(&["sensor"]);
        assert_eq!(order(&tables, &[after(0, 0)]), Ok(vec![0]));
    }

    #[test]
    fn a_cycle_names_every_edge_on_it() {
        let tables = names(&["a", "b", "c", "x"]);
        let edges = [after(0, 1), after(1, 2), after(2, 0), after(3, 0)];
        let cycle = order(&tables, &edges).unwrap_err();
        let path: Vec<(usize, usize)> = cycle.edges.iter().map(|e| (e.before, e.after)).collect();
        assert_eq!(path, [(0, 1), (1, 2), (2, 0)]);
    }
}
