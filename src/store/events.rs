//! The event feed: every order, stock and alert change, numbered in commit order. Written in
//! the same transaction as the change, so a client resuming from an id misses nothing.

use jiff::Timestamp;
use rusqlite::params;

use super::Transaction;

use super::{Result, Store, micros, timestamp};

#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    pub id: i64,
    pub at: Timestamp,
    pub kind: String,
    pub entity_id: String,
    pub payload: serde_json::Value,
}

pub(super) fn append(
    tx: &Transaction,
    at: Timestamp,
    kind: &str,
    entity_id: &str,
    payload: &serde_json::Value,
) -> Result<i64> {
    tx.execute(
        "INSERT INTO events (at, kind, entity_id, payload) VALUES (?1, ?2, ?3, ?4)",
        params![micros(at), kind, entity_id, payload.to_string()],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Events after `after` (exclusive), oldest first.
    pub fn events_after(&self, after: i64, limit: usize) -> Result<Vec<EventRow>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, at, kind, entity_id, payload FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![after, limit as i64], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?, r.get::<_, String>(4)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            rows.into_iter()
                .map(|(id, at, kind, entity_id, payload)| {
                    Ok(EventRow {
                        id,
                        at: timestamp(at)?,
                        kind,
                        entity_id,
                        payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                    })
                })
                .collect()
        })
    }

    /// The id of the newest event, 0 if none.
    pub fn last_event_id(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT COALESCE(max(id), 0) FROM events", [], |r| r.get(0))?))
    }
}
