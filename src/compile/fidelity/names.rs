//! The exact names of the entries a plan touches, and which of them are built in staging.

use std::collections::HashMap;

use super::Dump;
use crate::plan::{Resolved, SequenceKind};
use crate::schema::SchemaSql;
use crate::sql::QualifiedName;
use crate::sql::rewrite::NameMap;
use crate::toc::{Desc, Entry};

/// Exact names of entries: the schema SQL's `-- Name:` lines first, the listing where there is
/// no block. Looked up for the entries a plan touches only, not for the whole listing.
pub(super) struct Names<'a> {
    schema: &'a SchemaSql,
    entries: &'a HashMap<u32, &'a Entry>,
}

impl<'a> Names<'a> {
    pub(super) fn new(schema: &'a SchemaSql, entries: &'a HashMap<u32, &'a Entry>) -> Self {
        Names { schema, entries }
    }

    pub(super) fn get(&self, id: u32) -> Option<QualifiedName> {
        self.schema.name_of(id).or_else(|| {
            let n = self.entries.get(&id)?.names()?;
            Some(QualifiedName::new(n.schema?, n.name))
        })
    }

    /// Whether entry `id` is a primary key, unique or exclusion constraint, or an index.
    pub(super) fn is_key_or_index(&self, id: u32) -> bool {
        self.entries
            .get(&id)
            .is_some_and(|e| matches!(e.desc, Desc::Constraint | Desc::Index))
    }

    /// The table a foreign key's entry references: of the tables it depends on, the one that
    /// does not own it (the owner itself when it references its own table).
    pub(super) fn referenced_table(&self, fk: u32, owner: &QualifiedName) -> Option<QualifiedName> {
        let tables: Vec<QualifiedName> = self
            .entries
            .get(&fk)?
            .deps
            .iter()
            .filter(|d| self.entries.get(d).is_some_and(|e| e.desc == Desc::Table))
            .filter_map(|d| self.get(*d))
            .collect();
        tables
            .iter()
            .find(|t| *t != owner)
            .or_else(|| tables.first())
            .cloned()
    }
}

/// Everything built on staging, by its production name, with its staging name: the tables,
/// their extended statistics, identity sequences and indexes. All that 30-build.sql runs is
/// written with these (`COMMENT ON INDEX public.x` must reach the staging copy, never
/// production's).
pub(super) fn built_in_staging(resolved: &Resolved, dump: &Dump) -> NameMap {
    let mut to_staging = NameMap::new();
    for unit in resolved.tables.iter().flat_map(|t| &t.units) {
        let pair = &resolved.schemas[&unit.name.schema];
        let twin =
            |name: &QualifiedName| QualifiedName::new(pair.staging.clone(), name.name.clone());
        let in_schema = |name: String| QualifiedName::new(unit.name.schema.clone(), name);
        let mut moved: Vec<QualifiedName> = vec![unit.name.clone()];
        moved.extend(
            unit.attachments
                .statistics
                .iter()
                .filter_map(|id| dump.names.get(*id)),
        );
        moved.extend(
            unit.sequences
                .iter()
                .filter(|s| s.kind == SequenceKind::Identity)
                .map(|s| s.sequence.clone()),
        );
        moved.extend(
            unit.attachments
                .keys
                .iter()
                .filter_map(|id| match dump.block(*id) {
                    Some(b) if b.desc == Desc::Index => dump.names.get(*id),
                    Some(b) => b.added_constraint().map(|(_, name)| in_schema(name)),
                    None => None,
                }),
        );
        for name in moved {
            to_staging.insert(name.clone(), twin(&name));
        }
    }
    to_staging
}
