//! Parents in the dump's order. A table that joins a parent (`ALTER TABLE c INHERIT p`) puts it
//! last in its list, so each swap of one parent of a table with several moves that parent to the
//! end (`INHERITS (p1, p2)` became `INHERITS (p2, p1)`). After the swap's moves, each such
//! table takes the parents that ended up out of place once more, in order, each through an
//! empty stand-in it inherits from meanwhile, so that no inherited column or constraint ever
//! has no parent (it would turn into the table's own).

use serde::Serialize;

use super::unit::UnitModel;

/// What the cutover and the rollback each do to keep every table's parents in order.
#[derive(Debug, Default, Serialize)]
pub struct InheritanceOrder {
    pub cutover: Vec<Reorder>,
    pub rollback: Vec<Reorder>,
}

/// One table whose last parents are taken again, in order.
#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct Reorder {
    pub child: String,
    pub parents: Vec<String>,
    /// The empty table, in the base staging schema, that stands in for each parent meanwhile.
    pub stand_in: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Swap {
    Cutover,
    Rollback,
}

/// The reorders of both swaps, given the units (with their children and parents) in the order
/// the swap moves them.
pub(super) fn order(units: &[UnitModel], base_schema: &str) -> InheritanceOrder {
    let stand_in = format!("{base_schema}.restage_stand_in");
    let mut order = InheritanceOrder::default();
    for swap in [Swap::Cutover, Swap::Rollback] {
        let reorders = match swap {
            Swap::Cutover => &mut order.cutover,
            Swap::Rollback => &mut order.rollback,
        };
        for moved in moves(units, swap) {
            if let Some(parents) = out_of_order(&moved.current, &moved.desired) {
                reorders.push(Reorder {
                    child: moved.child,
                    parents,
                    stand_in: stand_in.clone(),
                });
            }
        }
    }
    order
}

/// One table's parents after the swap's moves, and as they must be.
struct Moved {
    child: String,
    current: Vec<String>,
    desired: Vec<String>,
}

/// A unit's production name and its copy the swap brings in: staging at cutover, retired at
/// rollback.
fn before_after(unit: &UnitModel, swap: Swap) -> (String, String) {
    let copy = match swap {
        Swap::Cutover => &unit.staging,
        Swap::Rollback => &unit.retired,
    };
    (unit.production.clone(), copy.clone())
}

/// The parents to take again, in order, for `current` to become `desired` (the same parents):
/// all from the first one out of place.
fn out_of_order(current: &[String], desired: &[String]) -> Option<Vec<String>> {
    let first = current.iter().zip(desired).position(|(c, d)| c != d)?;
    Some(desired[first..].to_vec())
}

/// Every table the swap moves between parents: tables outside the plan that inherit from plan
/// tables, and each plan table's two copies where it inherits from tables outside the plan.
fn moves(units: &[UnitModel], swap: Swap) -> Vec<Moved> {
    let unit_of = |name: &str| units.iter().find(|u| u.production == name);
    let mut moved = Vec::new();
    // Tables outside the plan: each parent that is a plan table is left for its copy, in the
    // order the swap goes through the units.
    let mut outside: Vec<(&String, &Vec<String>)> = Vec::new();
    for child in units.iter().flat_map(|u| &u.attached.children) {
        if !outside.iter().any(|(name, _)| **name == child.name) {
            outside.push((&child.name, &child.parents));
        }
    }
    for (child, parents) in outside {
        let mut current = parents.clone();
        for unit in units.iter().filter(|u| parents.contains(&u.production)) {
            current.retain(|p| *p != unit.production);
            current.push(before_after(unit, swap).1);
        }
        let desired = parents
            .iter()
            .map(|p| unit_of(p).map_or_else(|| p.clone(), |u| before_after(u, swap).1))
            .collect();
        moved.push(Moved {
            child: child.clone(),
            current,
            desired,
        });
    }
    // A plan table that inherits from tables outside the plan: its copy coming in leaves the
    // stand-in of each such parent for the parent, and its copy going out the parent for a
    // stand-in (10-stage.sql made both).
    for unit in units {
        let Some(inheritance) = &unit.attached.inheritance else {
            continue;
        };
        // How the copy coming in (or the one going out) names a parent before the moves and
        // after them.
        let named = |parent: &String, incoming: bool, after: bool| -> String {
            if let Some(s) = inheritance.shadows.iter().find(|s| s.parent == *parent) {
                return match (swap, incoming, after) {
                    (_, true, true) | (_, false, false) => s.parent.clone(),
                    (Swap::Cutover, true, false) | (Swap::Rollback, false, true) => {
                        s.staging.clone()
                    }
                    (Swap::Cutover, false, true) | (Swap::Rollback, true, false) => {
                        s.retired.clone()
                    }
                };
            }
            match unit_of(parent) {
                Some(u) if incoming => before_after(u, swap).1,
                _ => parent.clone(),
            }
        };
        let (production, copy) = before_after(unit, swap);
        for (child, incoming) in [(copy, true), (production, false)] {
            let mut current: Vec<String> = inheritance
                .parents
                .iter()
                .map(|p| named(p, incoming, false))
                .collect();
            for shadow in &inheritance.shadows {
                let from = named(&shadow.parent, incoming, false);
                current.retain(|p| *p != from);
                current.push(named(&shadow.parent, incoming, true));
            }
            let desired = inheritance
                .parents
                .iter()
                .map(|p| named(p, incoming, true))
                .collect();
            moved.push(Moved {
                child,
                current,
                desired,
            });
        }
    }
    moved
}
