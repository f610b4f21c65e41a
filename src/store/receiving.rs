//! Purchase receipts: a delivery scanned into a receiving location, against the purchase
//! requests it was expected to bring or without any; closing it settles those requests.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::{IdempotencyKey, Idempotent};
use super::inventory::{location, product_id, require_lot};
use super::ledger::{self, Movement, Units};
use super::replenishment::{PurchaseRequestRow, find_request, request_rows};
use super::{Result, Store, StoreError, micros, next_number, timestamp};
use crate::domain::location::LocationKind;
use crate::domain::stock::{Document, MovementKind};

#[derive(Debug, Clone, PartialEq)]
pub struct ReceiptRow {
    pub id: String,
    pub number: i64,
    pub location: String,
    pub state: String,
    pub supplier: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub closed_at: Option<Timestamp>,
    pub expected: Vec<PurchaseRequestRow>,
    /// Received so far per product.
    pub lines: Vec<ReceiptLineRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLineRow {
    pub sku: String,
    pub name: String,
    pub received: i64,
    /// Outstanding on the expected requests for this product.
    pub expected: i64,
}

/// Units scanned in.
pub struct ReceivedItem<'a> {
    pub product: &'a str,
    pub qty: i64,
    pub lot: Option<&'a str>,
    pub expiry: Option<&'a str>,
}

fn find(c: &Connection, key: &str) -> Result<String> {
    let number = Document::Receipt.parse(key).unwrap_or(-1);
    c.query_row(
        "SELECT id FROM receipts WHERE id = ?1 OR number = ?2",
        params![key, number],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("receipt {key:?}")))
}

fn load(c: &Connection, id: &str) -> Result<ReceiptRow> {
    let (number, location, state, supplier, created_by, created_at, closed_at): (
        i64,
        String,
        String,
        Option<String>,
        String,
        i64,
        Option<i64>,
    ) = c.query_row(
        "SELECT r.number, l.code, r.state, r.supplier, r.created_by, r.created_at, r.closed_at
         FROM receipts r JOIN locations l ON l.id = r.location_id WHERE r.id = ?1",
        [id],
        |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        },
    )?;
    let expected = request_rows(
        c,
        "JOIN receipt_expected e ON e.request_id = r.id WHERE e.receipt_id = ?1 ORDER BY r.number",
        &[&id],
    )?;
    let reference = Document::Receipt.number(number);
    let mut lines: BTreeMap<String, ReceiptLineRow> = BTreeMap::new();
    for r in &expected {
        let line = lines
            .entry(r.sku.clone())
            .or_insert_with(|| ReceiptLineRow {
                sku: r.sku.clone(),
                name: r.name.clone(),
                received: 0,
                expected: 0,
            });
        line.expected += (r.qty - r.received_qty).max(0);
    }
    let received: Vec<(String, String, i64)> = c
        .prepare_cached(
            "SELECT p.sku, p.name, sum(m.qty) FROM stock_movements m JOIN products p ON p.id = m.product_id
             WHERE m.reference = ?1 AND m.kind = 'receipt' GROUP BY p.sku, p.name",
        )?
        .query_map([&reference], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (sku, name, qty) in received {
        lines
            .entry(sku.clone())
            .or_insert_with(|| ReceiptLineRow {
                sku,
                name,
                received: 0,
                expected: 0,
            })
            .received += qty;
    }
    Ok(ReceiptRow {
        id: id.to_string(),
        number,
        location,
        state,
        supplier,
        created_by,
        created_at: timestamp(created_at)?,
        closed_at: closed_at.map(timestamp).transpose()?,
        expected,
        lines: lines.into_values().collect(),
    })
}

fn open_receipt(tx: &Transaction, key: &str) -> Result<(String, i64, String)> {
    let id = find(tx, key)?;
    let (number, state, location_id): (i64, String, String) = tx.query_row(
        "SELECT number, state, location_id FROM receipts WHERE id = ?1",
        [&id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    if state != "open" {
        return Err(StoreError::Conflict(format!(
            "{} is closed",
            Document::Receipt.number(number)
        )));
    }
    Ok((id, number, location_id))
}

impl Store {
    pub fn receipt(&self, key: &str) -> Result<ReceiptRow> {
        self.read(|c| load(c, &find(c, key)?))
    }

    /// Open receipts first, then the latest closed ones; after `after` (whether the last
    /// one shown was open, and its number) when a page went before.
    pub fn receipts(
        &self,
        state: Option<&str>,
        after: Option<(bool, i64)>,
        limit: usize,
    ) -> Result<Vec<ReceiptRow>> {
        let (open, number) = after.unzip();
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare_cached(
                    "SELECT id FROM receipts WHERE (?1 IS NULL OR state = ?1)
                       AND (?2 IS NULL OR (state = 'open') < ?2 OR ((state = 'open') = ?2 AND number < ?3))
                     ORDER BY state = 'open' DESC, number DESC LIMIT ?4",
                )?
                .query_map(params![state, open, number, limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            ids.iter().map(|id| load(c, id)).collect()
        })
    }

    /// Opens a receipt at a receiving location (the first one when none is named),
    /// expecting the named purchase requests, which must be ordered.
    #[allow(clippy::too_many_arguments)]
    pub fn open_receipt(
        &self,
        once: &IdempotencyKey,
        location_code: Option<&str>,
        expected: &[String],
        supplier: Option<&str>,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&ReceiptRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let location_id = match location_code {
                    Some(code) => {
                        let (id, kind) = location(tx, code)?;
                        if kind != LocationKind::Receiving {
                            return Err(StoreError::Invalid(format!(
                                "{code} is a {} location; goods are received at a receiving location",
                                kind.as_str()
                            )));
                        }
                        id
                    }
                    None => tx
                        .query_row(
                            "SELECT id FROM locations WHERE kind = 'receiving' ORDER BY code LIMIT 1",
                            [],
                            |r| r.get(0),
                        )
                        .optional()?
                        .ok_or_else(|| StoreError::Conflict("there is no receiving location".into()))?,
                };
                let id = Uuid::now_v7().to_string();
                let number = next_number(tx, "receipts")?;
                tx.execute(
                    "INSERT INTO receipts (id, number, location_id, state, supplier, created_by, created_at)
                     VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6)",
                    params![id, number, location_id, supplier, actor, micros(now)],
                )?;
                for key in expected {
                    let request = find_request(tx, key)?;
                    if request.state != "ordered" {
                        return Err(StoreError::Conflict(format!(
                            "{} is {}; only ordered requests are expected in a delivery",
                            Document::PurchaseRequest.number(request.number),
                            request.state
                        )));
                    }
                    tx.execute(
                        "INSERT OR IGNORE INTO receipt_expected (receipt_id, request_id) VALUES (?1, ?2)",
                        params![id, request.id],
                    )?;
                }
                load(tx, &id)
            },
            respond,
        )
    }

    /// Units scanned into the receipt's location, with their lot when tracked.
    pub fn receive_item(
        &self,
        once: &IdempotencyKey,
        key: &str,
        item: &ReceivedItem,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&ReceiptRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let (id, number, location_id) = open_receipt(tx, key)?;
                let product_id = product_id(tx, item.product)?;
                require_lot(tx, &product_id, item.lot)?;
                ledger::post(
                    tx,
                    &Movement {
                        product_id: &product_id,
                        from: None,
                        to: Some(&location_id),
                        qty: item.qty,
                        units: Units::Free,
                        kind: MovementKind::Receipt,
                        reference: Some(&Document::Receipt.number(number)),
                        lot: item.lot,
                        expiry: item.expiry,
                        actor,
                        at: now,
                    },
                )?;
                load(tx, &id)
            },
            respond,
        )
    }

    /// Closes the receipt: what came in settles the expected requests of each product
    /// (or, without expectations, the oldest ordered requests for it); a request that has
    /// all its units is received.
    pub fn close_receipt(
        &self,
        once: &IdempotencyKey,
        key: &str,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&ReceiptRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let (id, number, _) = open_receipt(tx, key)?;
                let reference = Document::Receipt.number(number);
                let has_expected: bool = tx
                    .prepare_cached("SELECT 1 FROM receipt_expected WHERE receipt_id = ?1")?
                    .exists([&id])?;
                let received: Vec<(String, i64)> = tx
                    .prepare_cached(
                        "SELECT product_id, sum(qty) FROM stock_movements WHERE reference = ?1 AND kind = 'receipt' GROUP BY product_id",
                    )?
                    .query_map([&reference], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                for (product_id, mut qty) in received {
                    let open: Vec<(String, i64, i64)> = tx
                        .prepare_cached(
                            "SELECT r.id, r.qty, r.received_qty FROM purchase_requests r
                             WHERE r.product_id = ?1 AND r.state = 'ordered'
                               AND (?3 = 0 OR r.id IN (SELECT request_id FROM receipt_expected WHERE receipt_id = ?2))
                             ORDER BY r.number",
                        )?
                        .query_map(params![product_id, id, has_expected], |r| {
                            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                        })?
                        .collect::<rusqlite::Result<_>>()?;
                    for (request_id, wanted, got) in open {
                        if qty == 0 {
                            break;
                        }
                        let take = qty.min(wanted - got);
                        qty -= take;
                        let complete = got + take >= wanted;
                        tx.execute(
                            "UPDATE purchase_requests SET received_qty = received_qty + ?2,
                                 state = CASE WHEN ?3 THEN 'received' ELSE state END,
                                 received_at = CASE WHEN ?3 THEN ?4 ELSE received_at END
                             WHERE id = ?1",
                            params![request_id, take, complete, micros(now)],
                        )?;
                        if complete {
                            event(tx, now, "purchase.received", &request_id, &json!({"receipt": reference}))?;
                        }
                    }
                }
                tx.execute(
                    "UPDATE receipts SET state = 'closed', closed_by = ?2, closed_at = ?3 WHERE id = ?1",
                    params![id, actor, micros(now)],
                )?;
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action: "receipt.close",
                        entity_kind: "receipt",
                        entity_id: &id,
                        detail: json!({"number": reference}),
                    },
                )?;
                load(tx, &id)
            },
            respond,
        )
    }
}
