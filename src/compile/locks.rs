//! How each transaction that locks production takes its locks: every lock it will need, up
//! front, in one order, in one statement whose time limit bounds the whole acquisition. Once
//! it holds them it waits for nothing, so a client waiting behind it waits at most for the
//! acquisition and for the time the locks are held, and never long enough to be picked as a
//! deadlock victim.

use std::collections::HashMap;

use serde::Serialize;

use crate::sql::quote::literal;

/// PostgreSQL's table lock modes, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LockMode {
    AccessShare,
    RowShare,
    RowExclusive,
    ShareUpdateExclusive,
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    const ALL: [LockMode; 8] = [
        LockMode::AccessShare,
        LockMode::RowShare,
        LockMode::RowExclusive,
        LockMode::ShareUpdateExclusive,
        LockMode::Share,
        LockMode::ShareRowExclusive,
        LockMode::Exclusive,
        LockMode::AccessExclusive,
    ];

    /// As `LOCK TABLE ... IN <mode> MODE` names it.
    pub fn sql(self) -> &'static str {
        match self {
            LockMode::AccessShare => "ACCESS SHARE",
            LockMode::RowShare => "ROW SHARE",
            LockMode::RowExclusive => "ROW EXCLUSIVE",
            LockMode::ShareUpdateExclusive => "SHARE UPDATE EXCLUSIVE",
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }

    /// From `pg_locks.mode` (`AccessExclusiveLock`).
    pub fn from_pg_locks(mode: &str) -> Option<LockMode> {
        let name = mode.strip_suffix("Lock")?;
        LockMode::ALL
            .into_iter()
            .find(|m| m.sql().replace(' ', "").eq_ignore_ascii_case(name))
    }

    /// What waits while it is held, in the words of the PostgreSQL manual's conflict table.
    pub fn blocks(self) -> &'static str {
        match self {
            LockMode::AccessShare => {
                "only ACCESS EXCLUSIVE (ALTER TABLE, DROP, TRUNCATE, VACUUM FULL); reads and writes go on"
            }
            LockMode::RowShare => "EXCLUSIVE and ACCESS EXCLUSIVE; reads and writes go on",
            LockMode::RowExclusive => {
                "SHARE and stronger (CREATE INDEX without CONCURRENTLY, most DDL); reads and writes go on"
            }
            LockMode::ShareUpdateExclusive => {
                "VACUUM, ANALYZE, CREATE INDEX CONCURRENTLY and DDL; reads and writes go on"
            }
            LockMode::Share => "writes and DDL; reads go on",
            LockMode::ShareRowExclusive => "INSERT, UPDATE, DELETE, MERGE and DDL; reads go on",
            LockMode::Exclusive => "everything but plain reads",
            LockMode::AccessExclusive => "everything, SELECT included",
        }
    }
}

/// The order the acquisition takes its locks in, which is the order PostgreSQL's own
/// statements lock in: views before the tables they read, tables that hold foreign keys
/// before the tables they reference, partitioned tables before their partitions, tables
/// before their sequences. A client that locks in the same order never waits while holding
/// something the acquisition wants; one that locks in another order at worst makes an attempt
/// time out, which changes nothing and is retried.
#[derive(Debug, Default)]
pub struct AcquisitionBuilder {
    items: Vec<Item>,
    position: HashMap<String, usize>,
}

#[derive(Debug)]
struct Item {
    name: String,
    how: How,
    /// Restage's own relations (staging and retired copies) are locked too, but are not
    /// production: REVIEW.md does not list them.
    production: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Lock(LockMode),
    /// Views, materialized views and sequences: LOCK TABLE cannot lock sequences and
    /// materialized views, and on a view it also locks every table the view reads.
    /// `ALTER ... OWNER TO` the owner they already have takes ACCESS EXCLUSIVE on them alone
    /// and changes nothing.
    OwnerUnchanged,
}

impl AcquisitionBuilder {
    /// `name` (quoted), locked in `mode` with LOCK TABLE ONLY.
    pub fn lock(&mut self, name: &str, mode: LockMode, production: bool) {
        self.push(name, How::Lock(mode), production);
    }

    /// A view, materialized view or sequence, locked ACCESS EXCLUSIVE by a no-op `OWNER TO`.
    pub fn own(&mut self, name: &str) {
        self.push(name, How::OwnerUnchanged, true);
    }

    fn push(&mut self, name: &str, how: How, production: bool) {
        // Locked already, earlier in the order: in the stronger of the two modes.
        if let Some(&at) = self.position.get(name) {
            if let (How::Lock(held), How::Lock(wanted)) = (self.items[at].how, how) {
                self.items[at].how = How::Lock(held.max(wanted));
            }
        } else {
            self.position.insert(name.to_owned(), self.items.len());
            self.items.push(Item {
                name: name.to_owned(),
                how,
                production,
            });
        }
    }

    pub fn build(self) -> Acquisition {
        let items = self
            .items
            .iter()
            .map(|item| LockItem {
                relation: literal(&item.name),
                how: match item.how {
                    How::Lock(mode) => mode.sql(),
                    How::OwnerUnchanged => "OWNER",
                },
            })
            .collect();
        let claims = self
            .items
            .iter()
            .filter(|item| item.production)
            .map(|item| {
                let mode = match item.how {
                    How::Lock(mode) => mode,
                    How::OwnerUnchanged => LockMode::AccessExclusive,
                };
                (item.name.clone(), mode)
            })
            .collect();
        Acquisition {
            relations: self.items.iter().map(|item| literal(&item.name)).collect(),
            items,
            claims,
        }
    }
}

/// What one transaction locks, ready for the template, in acquisition order.
#[derive(Debug, Default, Serialize)]
pub struct Acquisition {
    pub items: Vec<LockItem>,
    /// Every relation it locks, as literals, for the check for anti-wraparound autovacuums.
    pub relations: Vec<String>,
    /// The production relations it locks and how strongly: what REVIEW.md claims.
    #[serde(skip)]
    pub claims: Vec<(String, LockMode)>,
}

/// One relation and how it is locked.
#[derive(Debug, Serialize)]
pub struct LockItem {
    /// The quoted name, as a literal.
    pub relation: String,
    /// A `LOCK TABLE` mode (`ACCESS EXCLUSIVE`), or `OWNER` for the no-op `ALTER ... OWNER TO`.
    pub how: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_modes_read_from_pg_locks() {
        assert_eq!(
            LockMode::from_pg_locks("AccessExclusiveLock"),
            Some(LockMode::AccessExclusive)
        );
        assert_eq!(
            LockMode::from_pg_locks("ShareRowExclusiveLock"),
            Some(LockMode::ShareRowExclusive)
        );
        assert_eq!(LockMode::from_pg_locks("ShareLock"), Some(LockMode::Share));
        assert_eq!(LockMode::from_pg_locks("SIReadLock"), None);
        assert!(LockMode::RowShare < LockMode::ShareUpdateExclusive);
    }

    #[test]
    fn relations_keep_their_order_and_how_they_are_locked() {
        let mut b = AcquisitionBuilder::default();
        b.own("public.v");
        b.lock("public.child", LockMode::AccessExclusive, true);
        b.own("public.t_id_seq");
        b.lock("staging.t", LockMode::AccessExclusive, false);
        let a = b.build();
        let items: Vec<(&str, &str)> = a
            .items
            .iter()
            .map(|i| (i.relation.as_str(), i.how))
            .collect();
        assert_eq!(
            items,
            [
                ("'public.v'", "OWNER"),
                ("'public.child'", "ACCESS EXCLUSIVE"),
                ("'public.t_id_seq'", "OWNER"),
                ("'staging.t'", "ACCESS EXCLUSIVE"),
            ]
        );
        assert_eq!(a.claims.len(), 3, "staging is not production");
    }

    #[test]
    fn a_relation_named_twice_is_locked_once_in_the_stronger_mode() {
        let mut b = AcquisitionBuilder::default();
        b.lock("public.p", LockMode::ShareUpdateExclusive, true);
        b.lock("public.t", LockMode::AccessExclusive, true);
        b.lock("public.p", LockMode::AccessExclusive, true);
        let a = b.build();
        assert_eq!(a.relations, ["'public.p'", "'public.t'"]);
        assert_eq!(
            a.claims,
            [
                ("public.p".to_owned(), LockMode::AccessExclusive),
                ("public.t".to_owned(), LockMode::AccessExclusive)
            ]
        );
    }
}
