//! The audit log: who did what to which entity, written in the same transaction as the
//! change. Rows are hash-chained so that a later edit is detectable.

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::Transaction;
use sha2::{Digest, Sha256};

use super::{Result, Store, micros, timestamp};

/// What a mutation records about itself.
pub struct AuditWrite<'a> {
    pub at: Timestamp,
    pub actor: &'a str,
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub detail: serde_json::Value,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(super) fn append(tx: &Transaction, entry: &AuditWrite) -> Result<()> {
    let prev: String = tx
        .query_row(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = micros(entry.at);
    let detail = entry.detail.to_string();
    let mut h = Sha256::new();
    for part in [
        prev.as_str(),
        &at.to_string(),
        entry.actor,
        entry.action,
        entry.entity_kind,
        entry.entity_id,
        &detail,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let hash = hex(&h.finalize());
    tx.execute(
        "INSERT INTO audit_log (at, actor, action, entity_kind, entity_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            at,
            entry.actor,
            entry.action,
            entry.entity_kind,
            entry.entity_id,
            detail,
            prev,
            hash
        ],
    )?;
    Ok(())
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Newest first; `before` is the id of the last entry of the previous page.
    pub fn audit_entries(&self, before: Option<i64>, limit: usize) -> Result<Vec<AuditRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, actor, action, entity_kind, entity_id, detail FROM audit_log
                 WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![before.unwrap_or(i64::MAX), limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (id, at, actor, action, entity_kind, entity_id, detail) = row?;
                out.push(AuditRecord {
                    id,
                    at: timestamp(at)?,
                    actor,
                    action,
                    entity_kind,
                    entity_id,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                });
            }
            Ok(out)
        })
    }
}
