//! What the cutover and the rollback re-create once for all tables: views, materialized views
//! and functions that depend on a restored table, and the foreign keys of partitioned tables
//! that stay.

use super::{Dump, FunctionSql, Global, MatviewSql, ParentForeignKey, ViewSql};
use crate::compile::locks::AcquisitionBuilder;
use crate::plan::Dependents;
use crate::schema::opens_with;
use crate::sql::quote::ident;

pub(super) fn global(dependents: &Dependents, dump: &Dump) -> Global {
    let views = dependents
        .views
        .iter()
        .filter_map(|id| {
            let name = dump.names.get(*id)?.quoted();
            let create = dump
                .statements(*id)
                .into_iter()
                .find(|s| opens_with(s, &["CREATE", "VIEW"]))?
                .replacen("CREATE VIEW", "CREATE OR REPLACE VIEW", 1);
            Some(ViewSql { name, create })
        })
        .collect();
    let matviews = dependents
        .matviews
        .iter()
        .filter_map(|m| {
            let name = dump.names.get(m.id)?;
            let create = std::iter::once(m.id)
                .chain(m.indexes.iter().copied())
                .chain(m.comments_and_grants.iter().copied())
                .flat_map(|id| dump.statements(id))
                .collect();
            let mut refresh_locks = AcquisitionBuilder::default();
            refresh_locks.own(&name.quoted());
            Some(MatviewSql {
                name: name.quoted(),
                schema: name.schema.clone(),
                create,
                populated: m.data.is_some(),
                refresh_locks: refresh_locks.build(),
            })
        })
        .collect();
    let functions = dependents
        .functions
        .iter()
        .filter_map(|f| {
            let (kind, signature) = dump.block(f.id)?.routine_signature()?;
            let create = std::iter::once(f.id)
                .chain(f.comments_and_grants.iter().copied())
                .flat_map(|id| dump.statements(id))
                .collect();
            Some(FunctionSql {
                schema: dump.names.get(f.id)?.schema,
                kind,
                signature,
                create,
            })
        })
        .collect();
    let parent_foreign_keys = dependents
        .parent_foreign_keys
        .iter()
        .filter_map(|id| {
            let (table, name) = dump.block(*id)?.added_constraint()?;
            Some(ParentForeignKey {
                table: table.quoted(),
                name: ident(&name),
                add: dump.statements(*id).into_iter().next()?,
            })
        })
        .collect();
    Global {
        views,
        matviews,
        functions,
        parent_foreign_keys,
    }
}
