//! Returns: an agent authorises what a customer may send back (an RMA); the warehouse
//! receives it by scanning into a returns location, and puts it away to stock or damaged
//! with an ordinary move.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::inventory::{location, product_id};
use super::ledger::{self, Movement, Units};
use super::tickets::{say, ticket_by_key};
use super::{
    IdempotencyKey, Idempotent, Result, Store, StoreError, micros, next_number, timestamp,
};
use crate::domain::location::LocationKind;
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::stock::{Document, MovementKind};
use crate::domain::ticket::AuthorKind;

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnLineRow {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub received: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReturnRow {
    pub id: String,
    pub number: i64,
    pub ticket_number: i64,
    pub order_number: OrderNumber,
    /// authorised or received.
    pub status: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: Timestamp,
    pub lines: Vec<ReturnLineRow>,
    /// Where its latest received units were booked, to be put away from.
    pub received_into: Option<String>,
}

/// A scanned item of a return.
pub struct ReturnedItem<'a> {
    pub product: &'a str,
    pub qty: i64,
    /// A returns location; the first one when absent.
    pub location: Option<&'a str>,
    pub lot: Option<&'a str>,
}

fn load(c: &Connection, id: &str) -> Result<ReturnRow> {
    let (number, ticket_number, order_number, status, reason, created_by, created_at): (i64, i64, i64, String, String, String, i64) = c
        .query_row(
            "SELECT r.number, t.number, o.number, r.status, r.reason, r.created_by, r.created_at
             FROM returns r JOIN tickets t ON t.id = r.ticket_id JOIN orders o ON o.id = r.order_id WHERE r.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
        )?;
    let lines = c
        .prepare_cached(
            "SELECT l.line_no, p.sku, p.name, l.qty, l.received FROM return_lines l JOIN products p ON p.id = l.product_id
             WHERE l.return_id = ?1 ORDER BY l.line_no",
        )?
        .query_map([id], |r| {
            Ok(ReturnLineRow { line_no: r.get(0)?, sku: r.get(1)?, name: r.get(2)?, qty: r.get(3)?, received: r.get(4)? })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let received_into = c
        .query_row(
            "SELECT l.code FROM stock_movements m JOIN locations l ON l.id = m.to_location_id
             WHERE m.reference = ?1 AND m.kind = 'return' ORDER BY m.id DESC LIMIT 1",
            [Document::Return.number(number)],
            |r| r.get(0),
        )
        .optional()?;
    Ok(ReturnRow {
        id: id.to_string(),
        number,
        ticket_number,
        order_number: OrderNumber(order_number as u64),
        status,
        reason,
        created_by,
        created_at: timestamp(created_at)?,
        lines,
        received_into,
    })
}

fn return_id(c: &Connection, key: &str) -> Result<String> {
    let number = Document::Return.parse(key).unwrap_or(-1);
    c.query_row(
        "SELECT id FROM returns WHERE id = ?1 OR number = ?2",
        params![key, number],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound(format!("return {key:?}")))
}

pub(super) fn returns_of(c: &Connection, ticket_id: &str) -> Result<Vec<ReturnRow>> {
    let ids = c
        .prepare_cached("SELECT id FROM returns WHERE ticket_id = ?1 ORDER BY number")?
        .query_map([ticket_id], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    ids.iter().map(|id| load(c, id)).collect()
}

impl Store {
    pub fn return_by_key(&self, key: &str) -> Result<ReturnRow> {
        self.read(|c| load(c, &return_id(c, key)?))
    }

    /// Authorises the return of some units of a ticket's order lines (`(line_no, qty)`),
    /// never more than were ordered and not already authorised.
    #[allow(clippy::too_many_arguments)]
    pub fn authorise_return(
        &self,
        once: &IdempotencyKey,
        ticket: &str,
        lines: &[(i64, i64)],
        reason: &str,
        window_days: i64,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&ReturnRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let found = ticket_by_key(tx, ticket)?;
                let (ticket_id, ticket_number, order_id) = (found.id, found.number, found.order_id);
                let tk = Document::Ticket.number(ticket_number);
                let order_id = order_id.ok_or_else(|| {
                    StoreError::Conflict(format!("{tk} has no order; link one before authorising a return"))
                })?;
                let (order_number, status): (i64, String) =
                    tx.query_row("SELECT number, status FROM orders WHERE id = ?1", [&order_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                let so = OrderNumber(order_number as u64);
                if status != OrderStatus::Shipped.as_str() && status != OrderStatus::Delivered.as_str() {
                    return Err(StoreError::Conflict(format!(
                        "{so} is {status}: only a shipped or delivered order can be returned (cancel it instead)"
                    )));
                }
                let delivered: Option<i64> = tx.query_row(
                    "SELECT max(at) FROM order_events WHERE order_id = ?1 AND to_status = 'delivered'",
                    [&order_id],
                    |r| r.get(0),
                )?;
                if let Some(at) = delivered
                    && now.duration_since(timestamp(at)?) > jiff::SignedDuration::from_hours(24 * window_days)
                {
                    return Err(StoreError::Conflict(format!(
                        "{so} was delivered more than {window_days} days ago, outside the return window"
                    )));
                }
                if lines.is_empty() {
                    return Err(StoreError::Invalid("choose at least one order line to return".into()));
                }
                let mut seen = std::collections::HashSet::new();
                let mut checked = Vec::new();
                for &(line_no, qty) in lines {
                    if !seen.insert(line_no) {
                        return Err(StoreError::Invalid(format!("line {line_no} is listed twice")));
                    }
                    let (product, ordered): (String, i64) = tx
                        .query_row(
                            "SELECT product_id, qty FROM order_lines WHERE order_id = ?1 AND line_no = ?2",
                            params![order_id, line_no],
                            |r| Ok((r.get(0)?, r.get(1)?)),
                        )
                        .optional()?
                        .ok_or_else(|| StoreError::Invalid(format!("{so} has no line {line_no}")))?;
                    let authorised: i64 = tx.query_row(
                        "SELECT COALESCE(sum(l.qty), 0) FROM return_lines l JOIN returns r ON r.id = l.return_id
                         WHERE r.order_id = ?1 AND l.line_no = ?2",
                        params![order_id, line_no],
                        |r| r.get(0),
                    )?;
                    let left = ordered - authorised;
                    if qty < 1 || qty > left {
                        return Err(StoreError::Invalid(format!(
                            "line {line_no} of {so}: {qty} cannot be returned; {left} of {ordered} may still be"
                        )));
                    }
                    checked.push((line_no, product, qty));
                }
                let id = Uuid::now_v7().to_string();
                let rma = next_number(tx, "returns")?;
                tx.execute(
                    "INSERT INTO returns (id, number, ticket_id, order_id, status, reason, created_by, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, 'authorised', ?5, ?6, ?7, ?7)",
                    params![id, rma, ticket_id, order_id, reason, actor, micros(now)],
                )?;
                for (line_no, product, qty) in &checked {
                    tx.execute(
                        "INSERT INTO return_lines (return_id, line_no, product_id, qty) VALUES (?1, ?2, ?3, ?4)",
                        params![id, line_no, product, qty],
                    )?;
                }
                let rma_no = Document::Return.number(rma);
                say(tx, &ticket_id, now, AuthorKind::System, "backroom", &format!("Return {rma_no} authorised by {actor}: {reason}."))?;
                event(tx, now, "return.authorised", &id, &json!({ "number": rma_no, "ticket": tk, "order": so.to_string() }))?;
                audit(tx, &AuditWrite {
                    at: now,
                    actor,
                    action: "return.authorise",
                    entity_kind: "return",
                    entity_id: &id,
                    detail: json!({ "number": rma_no, "lines": lines }),
                })?;
                load(tx, &id)
            },
            respond,
        )
    }

    /// Receives scanned units of a return into a returns location.
    pub fn receive_return(
        &self,
        once: &IdempotencyKey,
        key: &str,
        item: &ReturnedItem,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&ReturnRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let id = return_id(tx, key)?;
                let before = load(tx, &id)?;
                let rma_no = Document::Return.number(before.number);
                if before.status != "authorised" {
                    return Err(StoreError::Conflict(format!("{rma_no} is received in full already")));
                }
                if item.qty < 1 {
                    return Err(StoreError::Invalid("receive at least one unit".into()));
                }
                let product = product_id(tx, item.product)?;
                let line: Option<(i64, i64, i64)> = tx
                    .query_row(
                        "SELECT line_no, qty, received FROM return_lines WHERE return_id = ?1 AND product_id = ?2 AND received < qty
                         ORDER BY line_no LIMIT 1",
                        params![id, product],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                    )
                    .optional()?;
                let Some((line_no, qty, received)) = line else {
                    return Err(StoreError::Conflict(format!(
                        "{} is not expected on {rma_no} (or all of it is in): set it aside and tell customer service",
                        item.product
                    )));
                };
                if item.qty > qty - received {
                    return Err(StoreError::Conflict(format!(
                        "{rma_no} expects {} more of line {line_no}, not {}",
                        qty - received,
                        item.qty
                    )));
                }
                let (location_id, code) = match item.location {
                    Some(code) => {
                        let (id, kind) = location(tx, code)?;
                        if kind != LocationKind::Returns {
                            return Err(StoreError::Invalid(format!("{code} is not a returns location")));
                        }
                        (id, code.trim().to_string())
                    }
                    None => tx
                        .query_row("SELECT id, code FROM locations WHERE kind = 'returns' ORDER BY code LIMIT 1", [], |r| {
                            Ok((r.get(0)?, r.get(1)?))
                        })
                        .optional()?
                        .ok_or_else(|| StoreError::Conflict("there is no returns location; create one first".into()))?,
                };
                ledger::post(
                    tx,
                    &Movement {
                        product_id: &product,
                        from: None,
                        to: Some(&location_id),
                        qty: item.qty,
                        units: Units::Free,
                        kind: MovementKind::Return,
                        reference: Some(&rma_no),
                        lot: item.lot,
                        expiry: None,
                        actor,
                        at: now,
                    },
                )?;
                tx.execute(
                    "UPDATE return_lines SET received = received + ?3 WHERE return_id = ?1 AND line_no = ?2",
                    params![id, line_no, item.qty],
                )?;
                let open: i64 = tx.query_row("SELECT count(*) FROM return_lines WHERE return_id = ?1 AND received < qty", [&id], |r| r.get(0))?;
                if open == 0 {
                    tx.execute("UPDATE returns SET status = 'received', updated_at = ?2 WHERE id = ?1", params![id, micros(now)])?;
                    event(tx, now, "return.received", &id, &json!({ "number": rma_no }))?;
                }
                let ticket_id: String = tx.query_row("SELECT ticket_id FROM returns WHERE id = ?1", [&id], |r| r.get(0))?;
                let sku = &before.lines.iter().find(|l| l.line_no == line_no).map(|l| l.sku.clone()).unwrap_or_default();
                say(
                    tx,
                    &ticket_id,
                    now,
                    AuthorKind::System,
                    "backroom",
                    // The ticket is the help desk's, who do not work by bins: no location code.
                    &format!("{rma_no}: {} × {sku} received into returns by {actor}.", item.qty),
                )?;
                event(tx, now, "return.item_received", &id, &json!({ "number": rma_no, "sku": sku, "qty": item.qty, "location": code }))?;
                load(tx, &id)
            },
            respond,
        )
    }
}
