//! What 30-build.sql builds on one staging table: its settings, keys, identity, foreign keys,
//! behaviour, statistics, comments and grants, all with staging names; and, for a table that
//! inherits, the `CREATE TABLE` it is staged with.

use super::{Dump, ForeignKey, IdentityColumn, Inheritance, Shadow, TableConstraint, UnitFidelity};
use crate::compile::locks::{AcquisitionBuilder, LockMode};
use crate::plan::{ResolvedTable, SchemaPair, SequenceKind, Unit};
use crate::schema::definition::not_valid_not_null;
use crate::schema::{Block, SchemaSql, opens_with};
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, literal};
use crate::sql::rewrite::{NameMap, Overlay, retarget};
use crate::toc::Desc;

/// What a partitioned table passes to its partitions: its table constraints and foreign keys.
pub(super) struct ParentParts {
    name: QualifiedName,
    constraints: Vec<(String, String)>,
    foreign_keys: Vec<u32>,
}

impl ParentParts {
    pub(super) fn of(table: &ResolvedTable, schema: &SchemaSql) -> Self {
        let create = schema
            .block(table.table_id)
            .and_then(Block::create_table)
            .unwrap_or_default();
        ParentParts {
            name: table.name.clone(),
            constraints: create.constraints,
            foreign_keys: table.foreign_keys.clone(),
        }
    }
}

/// Builds each unit's staging copy in turn; numbers the shadows of parents outside the plan
/// across all of them.
pub(super) struct Builder<'a> {
    dump: &'a Dump<'a>,
    to_staging: &'a NameMap,
    unlogged_staging: bool,
    shadows: usize,
}

impl<'a> Builder<'a> {
    pub(super) fn new(dump: &'a Dump<'a>, to_staging: &'a NameMap, unlogged_staging: bool) -> Self {
        Builder {
            dump,
            to_staging,
            unlogged_staging,
            shadows: 0,
        }
    }

    /// The build of one unit; the fields the swap decides are left empty.
    pub(super) fn unit(
        &mut self,
        unit: &Unit,
        pair: &SchemaPair,
        parent: Option<&ParentParts>,
    ) -> UnitFidelity {
        let dump = self.dump;
        let staging = QualifiedName::new(pair.staging.clone(), unit.name.name.clone());
        let mut map = Overlay {
            base: self.to_staging,
            top: NameMap::new(),
        };
        if let Some(parent) = parent {
            // The parent's constraints and foreign keys are built on each partition.
            map.top.insert(parent.name.clone(), staging.clone());
        }
        // So are the foreign keys of the partitioned tables above a partition restored alone.
        let ancestor_foreign_keys = match (parent, &unit.partition) {
            (None, Some(partition)) => {
                for ancestor in &partition.ancestors {
                    map.top.insert(ancestor.clone(), staging.clone());
                }
                partition.ancestor_foreign_keys.clone()
            }
            _ => Vec::new(),
        };
        let build = |sql: &str| retarget(sql, &map);
        let built = |ids: &[u32]| -> Vec<String> {
            ids.iter()
                .flat_map(|id| dump.statements(*id))
                .map(|s| build(&s))
                .collect()
        };
        let create = dump
            .block(unit.table_id)
            .and_then(Block::create_table)
            .unwrap_or_default();
        let inherits = !create.inherits.is_empty();
        let mut fidelity = UnitFidelity {
            persistence: match (self.unlogged_staging, create.unlogged) {
                (true, false) => Some("SET LOGGED"),
                (false, true) => Some("SET UNLOGGED"),
                _ => None,
            },
            storage_options: create.options.clone().filter(|_| !inherits),
            of_type: create.of_type.as_ref().map(QualifiedName::quoted),
            access_method: dump
                .block(unit.table_id)
                .and_then(|b| b.table_access_method.clone()),
            ..UnitFidelity::default()
        };
        // A child's own constraints are part of the `CREATE TABLE` it is staged with.
        let own = if inherits {
            &[][..]
        } else {
            &create.constraints[..]
        };
        // A partition's `CREATE TABLE` repeats what it has from its parent; built once.
        let inherited = parent.map(|p| &p.constraints[..]).unwrap_or_default();
        fidelity.constraints = own
            .iter()
            .filter(|(name, _)| !inherited.iter().any(|(parent_name, _)| parent_name == name))
            .chain(inherited)
            .map(|(name, definition)| TableConstraint {
                name: ident(name),
                definition: build(definition),
            })
            .collect();
        fidelity.table = dump
            .statements(unit.table_id)
            .iter()
            .filter(|s| !opens_with(s, &["CREATE"]))
            .map(|s| build(s))
            .collect();
        fidelity.identity = unit
            .sequences
            .iter()
            .filter(|s| s.kind == SequenceKind::Identity)
            .map(|sequence| IdentityColumn {
                column: ident(&sequence.column),
                // Its SEQUENCE block is `ALTER TABLE t ALTER COLUMN c ADD GENERATED ... AS
                // IDENTITY (...)`.
                definition: sequence
                    .entry
                    .map(|id| dump.statements(id))
                    .unwrap_or_default()
                    .iter()
                    .map(|s| build(s))
                    .collect(),
            })
            .collect();
        let a = &unit.attachments;
        let (at_stage, at_build): (Vec<u32>, Vec<u32>) = a.keys.iter().partition(|id| {
            !self.unlogged_staging
                && dump.names.is_key_or_index(**id)
                && !dump
                    .statements(**id)
                    .iter()
                    .any(|s| not_valid_not_null(s).is_some())
        });
        fidelity.keys_at_stage = built(&at_stage);
        fidelity.keys = built(&at_build);
        fidelity.loaded_nullable = a
            .keys
            .iter()
            .flat_map(|id| dump.statements(*id))
            .filter_map(|s| not_valid_not_null(&s))
            .map(|column| ident(&column))
            .collect();
        let mut foreign_keys: Vec<u32> = a.foreign_keys.clone();
        foreign_keys.extend(parent.iter().flat_map(|p| p.foreign_keys.iter().copied()));
        fidelity.foreign_keys = foreign_keys
            .into_iter()
            .flat_map(|id| self.foreign_keys(id, &build))
            .collect();
        for id in ancestor_foreign_keys {
            fidelity
                .foreign_keys
                .extend(
                    self.foreign_keys(id, &build)
                        .into_iter()
                        .map(|fk| ForeignKey {
                            taken_over_at_attach: true,
                            ..fk
                        }),
                );
        }
        // A partition's entry for a trigger cloned from its parent holds only the ALTER TABLE
        // that sets its firing state.
        let (after_attach, behaviour): (Vec<u32>, Vec<u32>) = a.behaviour.iter().partition(|id| {
            unit.partition.is_some()
                && dump.block(**id).is_some_and(|b| b.desc == Desc::Trigger)
                && dump
                    .statements(**id)
                    .iter()
                    .all(|s| opens_with(s, &["ALTER", "TABLE"]))
        });
        fidelity.behaviour = built(&behaviour);
        fidelity.after_attach = after_attach
            .iter()
            .flat_map(|id| dump.statements(*id))
            .collect();
        fidelity.statistics = built(&a.statistics);
        // Comments and grants on identity sequences, which are re-created in staging.
        let identity_extras: Vec<u32> = unit
            .sequences
            .iter()
            .filter(|s| s.kind == SequenceKind::Identity)
            .filter_map(|s| s.entry)
            .flat_map(|id| {
                dump.toc
                    .dependents_of(id)
                    .filter(|e| matches!(e.desc, Desc::Comment | Desc::Acl))
                    .map(|e| e.id)
            })
            .collect();
        fidelity.comments_and_grants =
            built(&[&a.comments_and_grants[..], &identity_extras].concat());
        if inherits {
            fidelity.inheritance =
                Some(self.inheritance(unit, pair, &create.inherits, built(&a.defaults)));
        }
        fidelity
    }

    /// The foreign keys an entry adds, `NOT VALID`, with what adding and validating each locks
    /// in production.
    fn foreign_keys(&self, id: u32, build: &dyn Fn(&str) -> String) -> Vec<ForeignKey> {
        let Some((owner, name)) = self.dump.block(id).and_then(Block::added_constraint) else {
            return Vec::new();
        };
        let references_outside = self
            .dump
            .names
            .referenced_table(id, &owner)
            .filter(|referenced| !self.to_staging.contains_key(referenced));
        let references_partitions: Vec<String> = if references_outside.is_some() {
            self.dump
                .referenced_partitions(id)
                .iter()
                .map(QualifiedName::quoted)
                .collect()
        } else {
            Vec::new()
        };
        let references_outside = references_outside.map(|referenced| referenced.quoted());
        let production_locks = |mode| {
            let mut locks = AcquisitionBuilder::default();
            for referenced in references_outside.iter().chain(&references_partitions) {
                locks.lock(referenced, mode, true);
            }
            locks.build()
        };
        self.dump
            .statements(id)
            .iter()
            .map(|statement| ForeignKey {
                name: ident(&name),
                catalog_name: literal(&name),
                add: not_valid(&build(statement)),
                validated: validated(statement),
                add_locks: production_locks(LockMode::ShareRowExclusive),
                validate_locks: production_locks(LockMode::RowShare),
                references_outside: references_outside.clone(),
                references_partitions: references_partitions.clone(),
                taken_over_at_attach: false,
            })
            .collect()
    }

    /// How a unit that inherits is staged: its `CREATE TABLE ... INHERITS`, each parent outside
    /// the plan stood in for by a shadow.
    fn inheritance(
        &mut self,
        unit: &Unit,
        pair: &SchemaPair,
        parents: &[QualifiedName],
        defaults: Vec<String>,
    ) -> Inheritance {
        let mut shadow_map = Overlay {
            base: self.to_staging,
            top: NameMap::new(),
        };
        let mut shadows = Vec::new();
        for parent in parents.iter().filter(|p| !self.to_staging.contains_key(*p)) {
            self.shadows += 1;
            let shadow = |schema: &str| {
                QualifiedName::new(schema, format!("restage_shadow_{}", self.shadows))
            };
            shadow_map.top.insert(parent.clone(), shadow(&pair.staging));
            shadows.push(Shadow {
                parent: parent.quoted(),
                staging: shadow(&pair.staging).quoted(),
                retired: shadow(&pair.retired).quoted(),
            });
        }
        let create = self
            .dump
            .statements(unit.table_id)
            .into_iter()
            .find(|s| opens_with(s, &["CREATE"]))
            .map(|s| with_persistence(&retarget(&s, &shadow_map), self.unlogged_staging))
            .unwrap_or_default();
        Inheritance {
            create,
            parents: parents.iter().map(QualifiedName::quoted).collect(),
            shadows,
            defaults,
        }
    }
}

/// `CREATE TABLE` as `CREATE UNLOGGED TABLE` for unlogged staging, and the other way round.
fn with_persistence(create: &str, unlogged: bool) -> String {
    let rest = create
        .strip_prefix("CREATE UNLOGGED TABLE ")
        .or_else(|| create.strip_prefix("CREATE TABLE "))
        .unwrap_or(create);
    if unlogged {
        format!("CREATE UNLOGGED TABLE {rest}")
    } else {
        format!("CREATE TABLE {rest}")
    }
}

/// `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY ...;` with `NOT VALID` before its `;`: added
/// without reading the rows, so that its lock is short. One that production does not check
/// (NOT VALID, or NOT ENFORCED on PostgreSQL 18) stays as the dump states it.
pub(super) fn not_valid(statement: &str) -> String {
    let body = statement.trim_end().trim_end_matches(';').trim_end();
    if validated(statement) {
        format!("{body} NOT VALID;")
    } else {
        format!("{body};")
    }
}

/// Whether production has checked the dump's constraint over every row: not when pg_dump
/// states it NOT VALID, or NOT ENFORCED (which PostgreSQL 18 never validates). Only those
/// restage validates after adding them NOT VALID itself.
pub(super) fn validated(statement: &str) -> bool {
    let body = statement.trim_end().trim_end_matches(';').trim_end();
    !(body.ends_with(" NOT VALID") || body.ends_with(" NOT ENFORCED"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_keys_are_added_not_valid() {
        assert_eq!(
            not_valid(
                "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES public.b(id);"
            ),
            "ALTER TABLE ONLY public.a\n    ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES public.b(id) NOT VALID;"
        );
        assert_eq!(
            not_valid("ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT VALID;"),
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT VALID;"
        );
        assert_eq!(
            not_valid(
                "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT ENFORCED;"
            ),
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT ENFORCED;"
        );
    }

    #[test]
    fn only_what_production_checked_is_validated() {
        assert!(validated(
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id);"
        ));
        assert!(!validated(
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT VALID;"
        ));
        assert!(!validated(
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT ENFORCED;\n"
        ));
        // A name that ends like an attribute is still a name.
        assert!(validated(
            "ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES \"NOT VALID\"(id);"
        ));
    }

    #[test]
    fn persistence_follows_staging() {
        assert_eq!(
            with_persistence("CREATE TABLE s.t (a int) INHERITS (s.p);", true),
            "CREATE UNLOGGED TABLE s.t (a int) INHERITS (s.p);"
        );
        assert_eq!(
            with_persistence("CREATE UNLOGGED TABLE s.t (a int);", false),
            "CREATE TABLE s.t (a int);"
        );
    }
}
