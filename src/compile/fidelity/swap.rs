//! What the cutover and the rollback do around one table's swap: the extended statistics that
//! move with it, the foreign keys of other tables that are re-pointed at it, its publications
//! and the tables that inherit from it.

use super::{Child, Dump, Inbound, Publication, StatisticsMove, UnitFidelity};
use crate::compile::locks::{AcquisitionBuilder, LockMode};
use crate::plan::{SchemaPair, Unit};
use crate::schema::Block;
use crate::sql::QualifiedName;
use crate::sql::quote::{ident, literal};

/// Fills in what the swap of `unit` carries along.
pub(super) fn around(
    fidelity: &mut UnitFidelity,
    dump: &Dump,
    unit: &Unit,
    pair: &SchemaPair,
    accept_orphans: bool,
) {
    let a = &unit.attachments;
    fidelity.statistics_moves = a
        .statistics
        .iter()
        .filter_map(|id| dump.names.get(*id))
        .map(|name| statistics_move(&name, pair))
        .collect();
    fidelity.inbound = a
        .inbound_foreign_keys
        .iter()
        .filter_map(|id| {
            let (table, name) = dump.block(*id)?.added_constraint()?;
            let add = dump.statements(*id).into_iter().next()?;
            let mut validate_locks = AcquisitionBuilder::default();
            validate_locks.lock(&table.quoted(), LockMode::ShareUpdateExclusive, true);
            // Validating a partitioned table's key validates it on each partition.
            for partition in a
                .inbound_partitions
                .get(id)
                .into_iter()
                .flatten()
                .filter_map(|p| dump.names.get(*p))
            {
                validate_locks.lock(&partition.quoted(), LockMode::ShareUpdateExclusive, true);
            }
            validate_locks.lock(&unit.name.quoted(), LockMode::RowShare, true);
            Some(Inbound {
                table: table.quoted(),
                name: ident(&name),
                catalog_name: literal(&name),
                accept_orphans,
                validated: super::build::validated(&add),
                checked_at_cutover: a.checked_at_cutover.contains(id),
                add: if a.checked_at_cutover.contains(id) {
                    add
                } else {
                    super::build::not_valid(&add)
                },
                validate_locks: validate_locks.build(),
            })
        })
        .collect();
    fidelity.publications = a
        .publications
        .iter()
        .filter_map(|id| {
            Some(Publication {
                name: ident(&dump.block(*id).and_then(Block::publication)?),
                add: dump.statements(*id).into_iter().next()?,
            })
        })
        .collect();
    fidelity.children = a
        .children
        .iter()
        .filter_map(|id| {
            Some(Child {
                name: dump.names.get(*id)?.quoted(),
                parents: dump
                    .block(*id)
                    .and_then(Block::create_table)
                    .map(|t| t.inherits.iter().map(QualifiedName::quoted).collect())
                    .unwrap_or_default(),
            })
        })
        .collect();
}

fn statistics_move(name: &QualifiedName, pair: &SchemaPair) -> StatisticsMove {
    let in_schema = |schema: &str| QualifiedName::new(schema, name.name.clone()).quoted();
    StatisticsMove {
        production: name.quoted(),
        staging: in_schema(&pair.staging),
        retired: in_schema(&pair.retired),
        production_schema: ident(&name.schema),
        staging_schema: ident(&pair.staging),
        retired_schema: ident(&pair.retired),
    }
}
