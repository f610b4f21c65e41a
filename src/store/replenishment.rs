//! Replenishment: one alert per product while its available stock is below safety stock,
//! raised and cleared by the store itself after any write that moved stock; purchase
//! requests from alerts, suggested → ordered → received.

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::{IdempotencyKey, Idempotent};
use super::{Result, Store, StoreError, micros, next_number, timestamp};
use crate::domain::replenishment::{RecentSales, SALES_WINDOW_DAYS, StockPosition};
use crate::domain::stock::Document;

#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: String,
    pub number: i64,
    pub sku: String,
    pub name: String,
    pub state: String,
    pub raised_at: Timestamp,
    /// Available when raised, and now.
    pub available_then: i64,
    pub available_now: i64,
    pub on_order: i64,
    pub safety_stock: i64,
    pub suggested_qty: i64,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    pub cleared_at: Option<Timestamp>,
    /// The purchase request made from it.
    pub request: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseRequestRow {
    pub id: String,
    pub number: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub received_qty: i64,
    pub state: String,
    pub supplier: Option<String>,
    pub alert: Option<i64>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub ordered_at: Option<Timestamp>,
    pub received_at: Option<Timestamp>,
    pub reason: Option<String>,
}

/// Reviews the products whose stock changed in this transaction: raises an alert for one
/// that fell below safety stock and has none, clears the alert of one that recovered.
pub(super) fn review_touched(tx: &Transaction, now: Timestamp) -> Result<()> {
    let touched: Vec<String> = tx
        .prepare_cached("SELECT product_id FROM stock_touched")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if touched.is_empty() {
        return Ok(());
    }
    tx.execute("DELETE FROM stock_touched", [])?;
    for product_id in touched {
        review(tx, &product_id, now)?;
    }
    Ok(())
}

fn review(tx: &Transaction, product_id: &str, now: Timestamp) -> Result<()> {
    let position = position(tx, product_id)?;
    let live: Option<(String, i64)> = tx
        .prepare_cached(
            "SELECT id, number FROM replenishment_alerts WHERE product_id = ?1 AND cleared_at IS NULL",
        )?
        .query_row([product_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match (position.below_safety(), live) {
        (true, None) => raise(tx, product_id, &position, now),
        (false, Some((id, number))) => {
            tx.execute(
                "UPDATE replenishment_alerts SET cleared_at = ?2 WHERE id = ?1",
                params![id, micros(now)],
            )?;
            let sku = sku(tx, product_id)?;
            event(
                tx,
                now,
                "stock.alert_cleared",
                &id,
                &json!({"number": Document::Alert.number(number), "sku": sku, "available": position.available}),
            )?;
            Ok(())
        }
        _ => Ok(()),
    }
}

fn raise(
    tx: &Transaction,
    product_id: &str,
    position: &StockPosition,
    now: Timestamp,
) -> Result<()> {
    let since = now - SignedDuration::from_hours(24 * SALES_WINDOW_DAYS);
    let sold: i64 = tx
        .prepare_cached(
            "SELECT COALESCE(sum(l.qty), 0) FROM order_lines l JOIN orders o ON o.id = l.order_id
             WHERE l.product_id = ?1 AND o.created_at >= ?2 AND o.status <> 'cancelled'",
        )?
        .query_row(params![product_id, micros(since)], |r| r.get(0))?;
    let suggested = position.suggested_qty(RecentSales {
        units: sold,
        days: SALES_WINDOW_DAYS,
    });
    let id = Uuid::now_v7().to_string();
    let number = next_number(tx, "replenishment_alerts")?;
    tx.execute(
        "INSERT INTO replenishment_alerts (id, number, product_id, state, raised_at, available, safety_stock, suggested_qty)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7)",
        params![id, number, product_id, micros(now), position.available, position.safety_stock, suggested],
    )?;
    let sku = sku(tx, product_id)?;
    event(
        tx,
        now,
        "stock.alert_raised",
        &id,
        &json!({
            "number": Document::Alert.number(number),
            "sku": sku,
            "available": position.available,
            "safety_stock": position.safety_stock,
            "suggested_qty": suggested,
        }),
    )?;
    Ok(())
}

fn sku(c: &Connection, product_id: &str) -> Result<String> {
    Ok(c.query_row(
        "SELECT sku FROM products WHERE id = ?1",
        [product_id],
        |r| r.get(0),
    )?)
}

/// Available in bins, on order from suppliers, and the product's settings.
fn position(c: &Connection, product_id: &str) -> Result<StockPosition> {
    Ok(c.prepare_cached(
        "SELECT p.safety_stock, p.reorder_qty, p.max_level, p.lead_time_days,
                COALESCE((SELECT sum(b.on_hand - b.reserved) FROM stock_balances b
                          JOIN locations l ON l.id = b.location_id AND l.kind = 'bin'
                          WHERE b.product_id = p.id), 0),
                COALESCE((SELECT sum(max(r.qty - r.received_qty, 0)) FROM purchase_requests r
                          WHERE r.product_id = p.id AND r.state = 'ordered'), 0)
         FROM products p WHERE p.id = ?1",
    )?
    .query_row([product_id], |r| {
        Ok(StockPosition {
            safety_stock: r.get(0)?,
            reorder_qty: r.get(1)?,
            max_level: r.get(2)?,
            lead_time_days: r.get(3)?,
            available: r.get(4)?,
            on_order: r.get(5)?,
        })
    })?)
}

const ALERT_SELECT: &str = "SELECT a.id, a.number, p.sku, p.name, a.state, a.raised_at, a.available,
        COALESCE((SELECT sum(b.on_hand - b.reserved) FROM stock_balances b
                  JOIN locations l ON l.id = b.location_id AND l.kind = 'bin' WHERE b.product_id = p.id), 0),
        COALESCE((SELECT sum(max(r.qty - r.received_qty, 0)) FROM purchase_requests r
                  WHERE r.product_id = p.id AND r.state = 'ordered'), 0),
        a.safety_stock, a.suggested_qty, a.decided_by, a.reason, a.cleared_at,
        (SELECT r.number FROM purchase_requests r WHERE r.alert_id = a.id ORDER BY r.number DESC LIMIT 1)
     FROM replenishment_alerts a JOIN products p ON p.id = a.product_id";

fn alert_rows(
    c: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<AlertRow>> {
    let mut stmt = c.prepare(&format!("{ALERT_SELECT} {filter}"))?;
    let raw = stmt
        .query_map(args, |r| {
            Ok((
                AlertRow {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    sku: r.get(2)?,
                    name: r.get(3)?,
                    state: r.get(4)?,
                    raised_at: Timestamp::UNIX_EPOCH,
                    available_then: r.get(6)?,
                    available_now: r.get(7)?,
                    on_order: r.get(8)?,
                    safety_stock: r.get(9)?,
                    suggested_qty: r.get(10)?,
                    decided_by: r.get(11)?,
                    reason: r.get(12)?,
                    cleared_at: None,
                    request: r.get(14)?,
                },
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(13)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(|(mut row, raised, cleared)| {
            row.raised_at = timestamp(raised)?;
            row.cleared_at = cleared.map(timestamp).transpose()?;
            Ok(row)
        })
        .collect()
}

fn find_alert(c: &Connection, key: &str) -> Result<AlertRow> {
    let number = Document::Alert.parse(key).unwrap_or(-1);
    alert_rows(c, "WHERE a.id = ?1 OR a.number = ?2", &[&key, &number])?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("replenishment alert {key:?}")))
}

const REQUEST_SELECT: &str =
    "SELECT r.id, r.number, p.sku, p.name, r.qty, r.received_qty, r.state, r.supplier,
        (SELECT a.number FROM replenishment_alerts a WHERE a.id = r.alert_id),
        r.created_by, r.created_at, r.ordered_at, r.received_at, r.reason
     FROM purchase_requests r JOIN products p ON p.id = r.product_id";

pub(super) fn request_rows(
    c: &Connection,
    filter: &str,
    args: &[&dyn rusqlite::ToSql],
) -> Result<Vec<PurchaseRequestRow>> {
    let mut stmt = c.prepare(&format!("{REQUEST_SELECT} {filter}"))?;
    let raw = stmt
        .query_map(args, |r| {
            Ok((
                PurchaseRequestRow {
                    id: r.get(0)?,
                    number: r.get(1)?,
                    sku: r.get(2)?,
                    name: r.get(3)?,
                    qty: r.get(4)?,
                    received_qty: r.get(5)?,
                    state: r.get(6)?,
                    supplier: r.get(7)?,
                    alert: r.get(8)?,
                    created_by: r.get(9)?,
                    created_at: Timestamp::UNIX_EPOCH,
                    ordered_at: None,
                    received_at: None,
                    reason: r.get(13)?,
                },
                r.get::<_, i64>(10)?,
                r.get::<_, Option<i64>>(11)?,
                r.get::<_, Option<i64>>(12)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raw.into_iter()
        .map(|(mut row, created, ordered, received)| {
            row.created_at = timestamp(created)?;
            row.ordered_at = ordered.map(timestamp).transpose()?;
            row.received_at = received.map(timestamp).transpose()?;
            Ok(row)
        })
        .collect()
}

pub(super) fn find_request(c: &Connection, key: &str) -> Result<PurchaseRequestRow> {
    let number = Document::PurchaseRequest.parse(key).unwrap_or(-1);
    request_rows(c, "WHERE r.id = ?1 OR r.number = ?2", &[&key, &number])?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("purchase request {key:?}")))
}

/// What purchasing decides about an alert.
pub enum AlertDecision<'a> {
    /// Make a purchase request, of the suggested quantity unless another is given.
    Request {
        qty: Option<i64>,
        supplier: Option<&'a str>,
    },
    /// Not buying this time, and why.
    Dismiss { reason: &'a str },
}

/// What purchasing does with a request.
pub enum RequestStep<'a> {
    /// Placed with the supplier.
    Order {
        supplier: Option<&'a str>,
    },
    Cancel {
        reason: &'a str,
    },
}

impl Store {
    /// Alerts, newest first: `live` ones (stock still below safety), or all; older than the
    /// one numbered `before` when a page went before.
    pub fn replenishment_alerts(
        &self,
        live: bool,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AlertRow>> {
        self.read(|c| {
            alert_rows(
                c,
                "WHERE (?1 = 0 OR a.cleared_at IS NULL) AND (?2 IS NULL OR a.number < ?2)
                 ORDER BY a.number DESC LIMIT ?3",
                &[&live, &before, &(limit as i64)],
            )
        })
    }

    pub fn replenishment_alert(&self, key: &str) -> Result<AlertRow> {
        self.read(|c| find_alert(c, key))
    }

    pub fn decide_alert(
        &self,
        once: &IdempotencyKey,
        key: &str,
        decision: AlertDecision,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&AlertRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let alert = find_alert(tx, key)?;
                if alert.state != "open" {
                    return Err(StoreError::Conflict(format!(
                        "{} is {} already",
                        Document::Alert.number(alert.number),
                        alert.state
                    )));
                }
                let (state, reason, action) = match &decision {
                    AlertDecision::Request { qty, supplier } => {
                        let qty = qty.unwrap_or(alert.suggested_qty);
                        if qty <= 0 {
                            return Err(StoreError::Invalid(format!(
                                "a purchase request is for at least one unit, not {qty}"
                            )));
                        }
                        new_request(tx, &alert.sku, Some(&alert.id), qty, *supplier, actor, now)?;
                        ("requested", None, "replenishment.request")
                    }
                    AlertDecision::Dismiss { reason } => {
                        ("dismissed", Some(reason.to_string()), "replenishment.dismiss")
                    }
                };
                tx.execute(
                    "UPDATE replenishment_alerts SET state = ?2, decided_at = ?3, decided_by = ?4, reason = ?5 WHERE id = ?1",
                    params![alert.id, state, micros(now), actor, reason],
                )?;
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action,
                        entity_kind: "replenishment_alert",
                        entity_id: &alert.id,
                        detail: json!({"number": Document::Alert.number(alert.number), "reason": reason}),
                    },
                )?;
                event(tx, now, &format!("stock.alert_{state}"), &alert.id, &json!({"number": Document::Alert.number(alert.number), "sku": alert.sku}))?;
                find_alert(tx, &alert.id)
            },
            respond,
        )
    }

    /// Requests newest first, in one state or all; older than the one numbered `before`
    /// when a page went before.
    pub fn purchase_requests(
        &self,
        state: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<PurchaseRequestRow>> {
        self.read(|c| {
            request_rows(
                c,
                "WHERE (?1 IS NULL OR r.state = ?1) AND (?2 IS NULL OR r.number < ?2)
                 ORDER BY r.number DESC LIMIT ?3",
                &[&state, &before, &(limit as i64)],
            )
        })
    }

    pub fn purchase_request(&self, key: &str) -> Result<PurchaseRequestRow> {
        self.read(|c| find_request(c, key))
    }

    /// A request made by hand, not from an alert.
    #[allow(clippy::too_many_arguments)]
    pub fn create_purchase_request(
        &self,
        once: &IdempotencyKey,
        product: &str,
        qty: i64,
        supplier: Option<&str>,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&PurchaseRequestRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                if qty <= 0 {
                    return Err(StoreError::Invalid(format!(
                        "a purchase request is for at least one unit, not {qty}"
                    )));
                }
                let id = new_request(tx, product, None, qty, supplier, actor, now)?;
                find_request(tx, &id)
            },
            respond,
        )
    }

    pub fn advance_purchase_request(
        &self,
        once: &IdempotencyKey,
        key: &str,
        step: RequestStep,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&PurchaseRequestRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let request = find_request(tx, key)?;
                let number = Document::PurchaseRequest.number(request.number);
                let action = match step {
                    RequestStep::Order { supplier } => {
                        if request.state != "suggested" {
                            return Err(StoreError::Conflict(format!(
                                "{number} is {}; only a suggested request can be ordered",
                                request.state
                            )));
                        }
                        tx.execute(
                            "UPDATE purchase_requests SET state = 'ordered', ordered_by = ?2, ordered_at = ?3,
                                 supplier = COALESCE(?4, supplier) WHERE id = ?1",
                            params![request.id, actor, micros(now), supplier],
                        )?;
                        "purchase.order"
                    }
                    RequestStep::Cancel { reason } => {
                        if !["suggested", "ordered"].contains(&request.state.as_str()) {
                            return Err(StoreError::Conflict(format!(
                                "{number} is {} and cannot be cancelled",
                                request.state
                            )));
                        }
                        tx.execute(
                            "UPDATE purchase_requests SET state = 'cancelled', cancelled_at = ?2, reason = ?3 WHERE id = ?1",
                            params![request.id, micros(now), reason],
                        )?;
                        "purchase.cancel"
                    }
                };
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action,
                        entity_kind: "purchase_request",
                        entity_id: &request.id,
                        detail: json!({"number": number}),
                    },
                )?;
                event(tx, now, action, &request.id, &json!({"number": number, "sku": request.sku}))?;
                find_request(tx, &request.id)
            },
            respond,
        )
    }
}

fn new_request(
    tx: &Transaction,
    product: &str,
    alert_id: Option<&str>,
    qty: i64,
    supplier: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<String> {
    let product_id = super::inventory::product_id(tx, product)?;
    let id = Uuid::now_v7().to_string();
    let number = next_number(tx, "purchase_requests")?;
    tx.execute(
        "INSERT INTO purchase_requests (id, number, product_id, alert_id, qty, state, supplier, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'suggested', ?6, ?7, ?8)",
        params![id, number, product_id, alert_id, qty, supplier, actor, micros(now)],
    )?;
    audit(
        tx,
        &AuditWrite {
            at: now,
            actor,
            action: "purchase.request",
            entity_kind: "purchase_request",
            entity_id: &id,
            detail: json!({"number": Document::PurchaseRequest.number(number), "qty": qty}),
        },
    )?;
    event(
        tx,
        now,
        "purchase.requested",
        &id,
        &json!({"number": Document::PurchaseRequest.number(number), "qty": qty}),
    )?;
    Ok(id)
}
