//! What the cutover and the rollback re-create once for all tables: views, materialized views
//! and functions that depend on a restored table, and the foreign keys of partitioned tables
//! that stay. Views come from the dump (their queries are compared with production's);
//! functions and materialized views are re-created as production has them at the swap, which
//! the templates read from the catalog under its locks.

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
            let mut refresh_locks = AcquisitionBuilder::default();
            refresh_locks.own(&name.quoted());
            Some(MatviewSql {
                name: name.quoted(),
                schema: name.schema.clone(),
                refresh_locks: refresh_locks.build(),
            })
        })
        .collect();
    let functions = dependents
        .functions
        .iter()
        .filter_map(|f| {
            let (kind, signature) = dump.block(f.id)?.routine_signature()?;
            Some(FunctionSql {
                schema: dump.names.get(f.id)?.schema,
                kind,
                signature,
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
