//! The reply book (FAQ rules and canned replies) as the help desk uses it now. Until ops
//! replace a part, the book that ships in the binary is in force.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::audit::{AuditWrite, append as audit};
use super::{Result, Store, StoreError, micros};
use crate::domain::reply_book::{
    BookError, CannedReply, FaqBook, FaqRule, ReplyBook, check_canned, check_replacement,
};

/// A part of the book and its version (0 = the built-in one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned<T> {
    pub version: i64,
    pub items: Vec<T>,
}

fn stored<T: serde::de::DeserializeOwned>(
    c: &Connection,
    part: &str,
) -> Result<Option<(i64, Vec<T>)>> {
    let row: Option<(i64, String)> = c
        .query_row(
            "SELECT version, body FROM reply_book WHERE part = ?1",
            [part],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(version, body)| {
        serde_json::from_str(&body)
            .map(|items| (version, items))
            .map_err(|e| StoreError::Corrupt(format!("reply book {part}: {e}")))
    })
    .transpose()
}

pub(super) fn faq_rules(c: &Connection) -> Result<Versioned<FaqRule>> {
    Ok(match stored(c, "faq")? {
        Some((version, items)) => Versioned { version, items },
        None => Versioned {
            version: 0,
            items: ReplyBook::built_in().faq,
        },
    })
}

pub(super) fn faq_book(c: &Connection) -> Result<FaqBook> {
    FaqBook::kept(faq_rules(c)?.items)
        .map_err(|e| StoreError::Corrupt(format!("reply book faq: {e}")))
}

impl Store {
    pub fn faq_rules(&self) -> Result<Versioned<FaqRule>> {
        self.read(faq_rules)
    }

    pub fn canned_replies(&self) -> Result<Versioned<CannedReply>> {
        self.read(|c| {
            Ok(match stored(c, "canned")? {
                Some((version, items)) => Versioned { version, items },
                None => Versioned {
                    version: 0,
                    items: ReplyBook::built_in().canned,
                },
            })
        })
    }

    /// Replaces the FAQ rules whole, after checking them.
    pub fn replace_faq_rules(
        &self,
        rules: Vec<FaqRule>,
        read_version: Option<i64>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Versioned<FaqRule>> {
        let checked: Vec<FaqRule> = FaqBook::new(rules)
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .rules()
            .cloned()
            .collect();
        let version = self.replace_part("faq", &checked, read_version, actor, now)?;
        Ok(Versioned {
            version,
            items: checked,
        })
    }

    /// Replaces the canned replies whole, after checking them.
    pub fn replace_canned_replies(
        &self,
        replies: Vec<CannedReply>,
        read_version: Option<i64>,
        actor: &str,
        now: Timestamp,
    ) -> Result<Versioned<CannedReply>> {
        check_canned(&replies).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let version = self.replace_part("canned", &replies, read_version, actor, now)?;
        Ok(Versioned {
            version,
            items: replies,
        })
    }

    fn replace_part<T: serde::Serialize>(
        &self,
        part: &'static str,
        items: &[T],
        read_version: Option<i64>,
        actor: &str,
        now: Timestamp,
    ) -> Result<i64> {
        let body = serde_json::to_string(items).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let what = if part == "faq" {
            "FAQ rules"
        } else {
            "canned replies"
        };
        self.write(|tx| {
            let current: i64 = tx
                .query_row("SELECT version FROM reply_book WHERE part = ?1", [part], |r| r.get(0))
                .optional()?
                .unwrap_or(0);
            check_replacement(what, items.len(), read_version, current).map_err(|e| match e {
                BookError::Stale { .. } => StoreError::Conflict(e.to_string()),
                _ => StoreError::Invalid(e.to_string()),
            })?;
            let version: i64 = tx.query_row(
                "INSERT INTO reply_book (part, body, version, updated_at, updated_by) VALUES (?1, ?2, 1, ?3, ?4)
                 ON CONFLICT (part) DO UPDATE SET body = excluded.body, version = version + 1,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by
                 RETURNING version",
                params![part, body, micros(now), actor],
                |r| r.get(0),
            )?;
            audit(tx, &AuditWrite {
                at: now,
                actor,
                action: "reply_book.replace",
                entity_kind: "reply_book",
                entity_id: part,
                detail: json!({ "version": version, "entries": items.len() }),
            })?;
            Ok(version)
        })
    }
}
