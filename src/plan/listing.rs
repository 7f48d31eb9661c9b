//! Lookups over the listing: entries by id, what depends on what, and what an FK or a
//! `TABLE ATTACH` entry connects.

use std::collections::{BTreeSet, HashMap};

use crate::schema::SchemaSql;
use crate::sql::QualifiedName;
use crate::toc::{Desc, Entry, Toc};

/// Lookups over the listing.
pub(super) struct Index<'t> {
    pub toc: &'t Toc,
    /// Its `-- Name:` lines give exact names even where the listing cannot: an owner whose name
    /// holds a space.
    schema: &'t SchemaSql,
    pub by_id: HashMap<u32, &'t Entry>,
    /// TABLE entries by every name they can have.
    tables: HashMap<QualifiedName, Vec<&'t Entry>>,
}

impl<'t> Index<'t> {
    pub(super) fn new(toc: &'t Toc, schema: &'t SchemaSql) -> Self {
        let mut by_id = HashMap::with_capacity(toc.entries.len());
        let mut tables: HashMap<QualifiedName, Vec<&Entry>> = HashMap::new();
        for entry in &toc.entries {
            by_id.insert(entry.id, entry);
            if entry.desc == Desc::Table {
                let names: Vec<QualifiedName> = match schema.block(entry.id) {
                    Some(block) => block
                        .schema
                        .clone()
                        .map(|s| QualifiedName::new(s, block.name.clone()))
                        .into_iter()
                        .collect(),
                    None => entry
                        .candidates()
                        .filter_map(|c| Some(QualifiedName::new(c.schema?, c.name)))
                        .collect(),
                };
                for name in names {
                    let list = tables.entry(name).or_default();
                    if !list.iter().any(|e| e.id == entry.id) {
                        list.push(entry);
                    }
                }
            }
        }
        Index {
            toc,
            schema,
            by_id,
            tables,
        }
    }

    /// Every entry that depends on `id`, in listing order.
    pub(super) fn all_dependents(&self, id: u32) -> impl Iterator<Item = &'t Entry> + 't {
        self.toc.dependents_of(id)
    }

    pub(super) fn dependents(&self, id: u32, desc: Desc) -> impl Iterator<Item = &'t Entry> + '_ {
        self.toc.dependents_of(id).filter(move |e| e.desc == desc)
    }

    pub(super) fn deps(&self, entry: &Entry, desc: Desc) -> impl Iterator<Item = &'t Entry> + '_ {
        let mut seen = BTreeSet::new();
        entry
            .deps
            .clone()
            .into_iter()
            .filter(move |d| seen.insert(*d))
            .filter_map(|d| self.by_id.get(&d).copied())
            .filter(move |e| e.desc == desc)
    }

    /// TABLE entries that can be `name`.
    pub(super) fn tables_named(&self, name: &QualifiedName) -> Vec<&'t Entry> {
        self.tables.get(name).cloned().unwrap_or_default()
    }

    /// A relation that is not a table but is named `name` (a foreign table, a view): what a plan
    /// that names it is told.
    pub(super) fn other_relation_named(&self, name: &QualifiedName) -> Option<&'t Entry> {
        self.toc.entries.iter().find(|entry| {
            matches!(
                entry.desc,
                Desc::ForeignTable | Desc::View | Desc::MaterializedView
            ) && self.qualified(entry).as_ref() == Some(name)
        })
    }

    /// Every partition below table `id`, each partitioned one before its own partitions.
    pub(super) fn partitions(&self, id: u32) -> Vec<u32> {
        let mut found = Vec::new();
        for attach in self.dependents(id, Desc::TableAttach) {
            if let Some(child) = attach_child(self, attach).filter(|child| *child != id) {
                found.push(child);
                found.extend(self.partitions(child));
            }
        }
        found
    }

    /// The tables a table inherits from, as its `CREATE TABLE ... INHERITS (...)` says.
    pub(super) fn inherits_of(&self, id: u32) -> Vec<QualifiedName> {
        self.schema
            .block(id)
            .and_then(super::super::schema::Block::create_table)
            .map(|t| t.inherits)
            .unwrap_or_default()
    }

    /// The entry's exact schema and name: from its schema SQL block, else from the listing.
    pub(super) fn qualified(&self, entry: &Entry) -> Option<QualifiedName> {
        if let Some(block) = self.schema.block(entry.id) {
            return Some(QualifiedName::new(
                block.schema.clone()?,
                block.name.clone(),
            ));
        }
        let names = entry.names()?;
        Some(QualifiedName::new(names.schema?, names.name))
    }

    /// The table and name of the constraint an entry's schema SQL adds.
    pub(super) fn added_constraint(&self, entry: &Entry) -> Option<(QualifiedName, String)> {
        self.schema.block(entry.id)?.added_constraint()
    }
}

/// The partition a `TABLE ATTACH` entry attaches: of its two TABLE dependencies, the one named
/// by its tag.
pub(super) fn attach_child(index: &Index, attach: &Entry) -> Option<u32> {
    let child = match index
        .schema
        .block(attach.id)
        .and_then(super::super::schema::Block::attachment)
    {
        Some(attachment) => attachment.child,
        None => QualifiedName::new(attach.schema()?, attach.name()?),
    };
    index
        .deps(attach, Desc::Table)
        .find(|t| index.qualified(t).as_ref() == Some(&child))
        .map(|t| t.id)
}

/// The referencing and referenced TABLE ids of an FK entry: it depends on both tables and on
/// the referenced table's key constraint or index.
pub(super) fn fk_tables(index: &Index, fk: &Entry) -> Option<(u32, u32)> {
    let tables: Vec<u32> = index.deps(fk, Desc::Table).map(|t| t.id).collect();
    let referenced = fk
        .deps
        .iter()
        .filter_map(|d| index.by_id.get(d))
        .find_map(|key| match &key.desc {
            Desc::Constraint | Desc::Index => index.deps(key, Desc::Table).next().map(|t| t.id),
            _ => None,
        });
    match (tables.as_slice(), referenced) {
        ([only], _) => Some((*only, *only)),
        ([a, b], Some(r)) if r == *a => Some((*b, *a)),
        ([a, b], Some(r)) if r == *b => Some((*a, *b)),
        _ => None,
    }
}
