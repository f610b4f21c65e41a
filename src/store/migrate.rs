//! Versioned schema migrations, embedded in the binary. `PRAGMA user_version` holds the
//! number of migrations applied.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_initial.sql"),
    include_str!("migrations/0002_order_automation.sql"),
    include_str!("migrations/0003_shipments.sql"),
    include_str!("migrations/0004_queue_views.sql"),
    include_str!("migrations/0005_picking.sql"),
    include_str!("migrations/0006_totes.sql"),
    include_str!("migrations/0007_inventory.sql"),
    include_str!("migrations/0008_service.sql"),
    include_str!("migrations/0009_replacement_orders.sql"),
    include_str!("migrations/0010_catalog_feed.sql"),
    include_str!("migrations/0011_customer_email_index.sql"),
];

/// The schema version this binary writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

/// Brings the database up to `SCHEMA_VERSION`, one transaction per migration.
pub(super) fn migrate(conn: &mut Connection, path: &std::path::Path) -> Result<(), StoreError> {
    let found = schema_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = index + 1, "applied migration");
    }
    Ok(())
}
