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
    include_str!("migrations/0012_idempotency_rowid.sql"),
    include_str!("migrations/0013_write_probe.sql"),
    include_str!("migrations/0014_user_channels.sql"),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A database written before migration 12 keeps every answered key: a retry after the
    /// upgrade still gets its first answer, and a key is still taken once.
    #[test]
    fn idempotency_keys_survive_the_move_to_a_rowid_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("old.db");
        let mut conn = Connection::open(&path).expect("open");
        conn.pragma_update(None, "foreign_keys", "ON")
            .expect("pragma");
        for sql in &MIGRATIONS[..11] {
            conn.execute_batch(sql).expect("old migration");
        }
        conn.pragma_update(None, "user_version", 11)
            .expect("version");
        conn.execute(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
             VALUES ('u1', 'k1', 'h1', 201, '{\"number\":\"SO-000001\"}', 1)",
            [],
        )
        .expect("old key");

        migrate(&mut conn, &path).expect("migrate");

        assert_eq!(schema_version(&conn).expect("version"), SCHEMA_VERSION);
        let kept: (String, u16, String) = conn
            .query_row(
                "SELECT request_hash, status, response FROM idempotency_keys WHERE scope = 'u1' AND key = 'k1'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .expect("kept key");
        assert_eq!(
            kept,
            ("h1".into(), 201, "{\"number\":\"SO-000001\"}".into())
        );
        let again = conn.execute(
            "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
             VALUES ('u1', 'k1', 'h2', 201, '{}', 2)",
            [],
        );
        assert!(again.is_err(), "a key must still be taken only once");
    }
}
