//! Stock on the floor: movement history, moves and put-away between locations, and
//! adjustments with a reason. Every change goes through the ledger.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::audit::{AuditWrite, append as audit};
use super::intake::{IdempotencyKey, Idempotent};
use super::ledger::{self, Movement, Units};
use super::{Result, Store, StoreError, micros, timestamp};
use crate::domain::location::LocationKind;
use crate::domain::stock::{AdjustmentReason, MovementKind};

#[derive(Debug, Clone, PartialEq)]
pub struct MovementRow {
    pub id: i64,
    pub at: Timestamp,
    pub sku: String,
    pub product_name: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub qty: i64,
    pub kind: String,
    pub reference: Option<String>,
    pub lot: Option<String>,
    pub expiry: Option<String>,
    pub actor: String,
}

/// Which movements to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct MovementFilter<'a> {
    /// SKU, id or barcode.
    pub product: Option<&'a str>,
    /// Location code: movements into or out of it.
    pub location: Option<&'a str>,
    pub kind: Option<MovementKind>,
    pub reference: Option<&'a str>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    /// The id of the last movement of the previous page.
    pub before: Option<i64>,
    pub limit: usize,
}

/// Units to move from one location to another.
pub struct StockMove<'a> {
    pub product: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub qty: i64,
    pub lot: Option<&'a str>,
    pub expiry: Option<&'a str>,
}

/// A correction by hand: `delta` units (negative takes away) at a location.
pub struct Adjustment<'a> {
    pub product: &'a str,
    pub location: &'a str,
    pub delta: i64,
    pub reason: AdjustmentReason,
    pub note: Option<&'a str>,
    pub lot: Option<&'a str>,
}

/// A balance whose figure is not the sum of its movements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerGap {
    pub sku: String,
    pub location: String,
    pub on_hand: i64,
    pub movements: i64,
}

/// The product's id, from its SKU, id or barcode.
pub(super) fn product_id(c: &Connection, key: &str) -> Result<String> {
    c.prepare_cached(&format!(
        "SELECT p.id FROM products p WHERE {}",
        super::catalog::PRODUCT_KEY_MATCH
    ))?
    .query_row(
        rusqlite::params_from_iter(super::catalog::product_keys(key)),
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("product {key:?}")))
}

/// A location's id and kind, from its code.
pub(super) fn location(c: &Connection, code: &str) -> Result<(String, LocationKind)> {
    let found: Option<(String, String)> = c
        .prepare_cached("SELECT id, kind FROM locations WHERE code = ?1 OR id = ?1")?
        .query_row([code.trim()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (id, kind) = found.ok_or_else(|| StoreError::NotFound(format!("location {code:?}")))?;
    let kind = LocationKind::parse(&kind)
        .ok_or_else(|| StoreError::Corrupt(format!("location {code}: kind {kind:?}")))?;
    Ok((id, kind))
}

fn lot_tracked(c: &Connection, product_id: &str) -> Result<(String, bool)> {
    Ok(c.query_row(
        "SELECT sku, lot_tracked FROM products WHERE id = ?1",
        [product_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// A lot-tracked product names its lot whenever units arrive.
pub(super) fn require_lot(c: &Connection, product_id: &str, lot: Option<&str>) -> Result<()> {
    let (sku, tracked) = lot_tracked(c, product_id)?;
    if tracked && lot.is_none_or(|l| l.trim().is_empty()) {
        return Err(StoreError::Invalid(format!(
            "{sku} is lot-tracked: scan the label with its lot (GS1 AI 10)"
        )));
    }
    Ok(())
}

fn movement_rows(c: &Connection, f: &MovementFilter) -> Result<Vec<MovementRow>> {
    let product = f.product.map(|p| product_id(c, p)).transpose()?;
    let location = f
        .location
        .map(|l| location(c, l).map(|(id, _)| id))
        .transpose()?;
    let mut stmt = c.prepare_cached(
        "SELECT m.id, m.at, p.sku, p.name, lf.code, lt.code, m.qty, m.kind, m.reference, m.lot, m.expiry, m.actor
         FROM stock_movements m JOIN products p ON p.id = m.product_id
         LEFT JOIN locations lf ON lf.id = m.from_location_id
         LEFT JOIN locations lt ON lt.id = m.to_location_id
         WHERE (?1 IS NULL OR m.product_id = ?1)
           AND (?2 IS NULL OR m.from_location_id = ?2 OR m.to_location_id = ?2)
           AND (?3 IS NULL OR m.kind = ?3)
           AND (?4 IS NULL OR m.reference = ?4)
           AND (?5 IS NULL OR m.at >= ?5) AND (?6 IS NULL OR m.at < ?6)
           AND m.id < ?7
         ORDER BY m.id DESC LIMIT ?8",
    )?;
    let raw = stmt
        .query_map(
            params![
                product,
                location,
                f.kind.map(|k| k.as_str()),
                f.reference,
                f.since.map(micros),
                f.until.map(micros),
                f.before.unwrap_or(i64::MAX),
                f.limit as i64
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(1)?,
                    MovementRow {
                        id: r.get(0)?,
                        at: Timestamp::UNIX_EPOCH,
                        sku: r.get(2)?,
                        product_name: r.get(3)?,
                        from: r.get(4)?,
                        to: r.get(5)?,
                        qty: r.get(6)?,
                        kind: r.get(7)?,
                        reference: r.get(8)?,
                        lot: r.get(9)?,
                        expiry: r.get(10)?,
                        actor: r.get(11)?,
                    },
                ))
            },
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(|(at, mut row)| {
            row.at = timestamp(at)?;
            Ok(row)
        })
        .collect()
}

impl Store {
    /// What kind of place a location is, by code or id.
    pub fn location_kind(&self, code: &str) -> Result<LocationKind> {
        self.read(|c| Ok(location(c, code)?.1))
    }

    pub fn stock_movements(&self, filter: &MovementFilter) -> Result<Vec<MovementRow>> {
        self.read(|c| movement_rows(c, filter))
    }

    /// Moves units between locations: a put-away when they come from receiving or
    /// returns into a bin, otherwise a move. Reserved units stay where they are.
    pub fn move_stock(
        &self,
        once: &IdempotencyKey,
        request: &StockMove,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&MovementRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let product_id = product_id(tx, request.product)?;
                let (from, from_kind) = location(tx, request.from)?;
                let (to, to_kind) = location(tx, request.to)?;
                let kind = match (from_kind, to_kind) {
                    (LocationKind::Receiving | LocationKind::Returns, LocationKind::Bin) => {
                        MovementKind::PutAway
                    }
                    _ => MovementKind::Move,
                };
                let id = ledger::post(
                    tx,
                    &Movement {
                        product_id: &product_id,
                        from: Some(&from),
                        to: Some(&to),
                        qty: request.qty,
                        units: Units::Free,
                        kind,
                        reference: None,
                        lot: request.lot,
                        expiry: request.expiry,
                        actor,
                        at: now,
                    },
                )?;
                one_movement(tx, id)
            },
            respond,
        )
    }

    /// A correction by hand with its reason; refuses a reason that goes the other way
    /// (nothing is "found" by taking it away).
    pub fn adjust_stock(
        &self,
        once: &IdempotencyKey,
        adjustment: &Adjustment,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&MovementRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let a = adjustment;
                if !a.reason.allows(a.delta) {
                    return Err(StoreError::Invalid(format!(
                        "{} cannot {} stock (delta {})",
                        a.reason.as_str(),
                        if a.delta > 0 { "add" } else { "take away" },
                        a.delta
                    )));
                }
                let product_id = product_id(tx, a.product)?;
                let (location_id, _) = location(tx, a.location)?;
                let place = Some(location_id.as_str());
                let (from, to) = if a.delta < 0 { (place, None) } else { (None, place) };
                let reference = match a.note.map(str::trim).filter(|n| !n.is_empty()) {
                    Some(note) => format!("{}: {note}", a.reason.as_str()),
                    None => a.reason.as_str().to_string(),
                };
                let id = ledger::post(
                    tx,
                    &Movement {
                        product_id: &product_id,
                        from,
                        to,
                        qty: a.delta.abs(),
                        units: Units::Free,
                        kind: MovementKind::Adjustment,
                        reference: Some(&reference),
                        lot: a.lot,
                        expiry: None,
                        actor,
                        at: now,
                    },
                )?;
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action: "stock.adjust",
                        entity_kind: "product",
                        entity_id: &product_id,
                        detail: json!({"location": a.location, "delta": a.delta, "reason": reference}),
                    },
                )?;
                one_movement(tx, id)
            },
            respond,
        )
    }

    /// Balances that are not the sum of their movements: empty when the ledger holds.
    pub fn ledger_gaps(&self) -> Result<Vec<LedgerGap>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "WITH flows AS (
                     SELECT product_id, to_location_id AS location_id, qty FROM stock_movements WHERE to_location_id IS NOT NULL
                     UNION ALL
                     SELECT product_id, from_location_id, -qty FROM stock_movements WHERE from_location_id IS NOT NULL),
                 sums AS (SELECT product_id, location_id, sum(qty) AS qty FROM flows GROUP BY product_id, location_id)
                 SELECT p.sku, l.code, COALESCE(b.on_hand, 0), COALESCE(s.qty, 0)
                 FROM sums s
                 FULL OUTER JOIN stock_balances b ON b.product_id = s.product_id AND b.location_id = s.location_id
                 JOIN products p ON p.id = COALESCE(b.product_id, s.product_id)
                 JOIN locations l ON l.id = COALESCE(b.location_id, s.location_id)
                 WHERE COALESCE(b.on_hand, 0) <> COALESCE(s.qty, 0)
                 ORDER BY p.sku, l.code",
            )?;
            let gaps = stmt
                .query_map([], |r| {
                    Ok(LedgerGap {
                        sku: r.get(0)?,
                        location: r.get(1)?,
                        on_hand: r.get(2)?,
                        movements: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(gaps)
        })
    }
}

pub(super) fn one_movement(c: &Connection, id: i64) -> Result<MovementRow> {
    movement_rows(
        c,
        &MovementFilter {
            before: Some(id + 1),
            limit: 1,
            ..MovementFilter::default()
        },
    )?
    .pop()
    .ok_or_else(|| StoreError::NotFound(format!("movement {id}")))
}
