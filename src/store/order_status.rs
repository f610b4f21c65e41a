//! Changing an order's status by hand or by the floor: only along the lifecycle, with the
//! stock following (released on cancel, taken out on shipping, reserved again on release).

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::Transaction;
use serde_json::json;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::{
    IdempotencyKey, Idempotent, record_change, release_all, remember, remembered, reserve_all,
};
use super::orders::load_detail;
use super::{OrderDetailRow, Result, Store, StoreError, micros};
use crate::domain::lifecycle::check_transition;
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::routing::Queue;

impl Store {
    /// The current status of an order by id or number, if it exists.
    pub fn order_status(&self, key: &str) -> Result<Option<OrderStatus>> {
        self.read(|c| Ok(find(c, key)?.map(|(_, s)| s)))
    }

    /// `expected`: the status the caller's permission was checked against; if the order has
    /// moved since, the change is refused rather than made under the wrong permission.
    pub fn change_order_status(
        &self,
        key: &str,
        expected: Option<OrderStatus>,
        to: OrderStatus,
        reason: Option<&str>,
        actor: &str,
        now: Timestamp,
    ) -> Result<OrderDetailRow> {
        self.write(|tx| change(tx, key, expected, to, reason, actor, now))
    }

    /// A status change at most once per idempotency key: a retry gets the first answer.
    #[allow(clippy::too_many_arguments)]
    pub fn change_order_status_once(
        &self,
        once: &IdempotencyKey,
        key: &str,
        expected: Option<OrderStatus>,
        to: OrderStatus,
        reason: Option<&str>,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&OrderDetailRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write(|tx| {
            if let Some(seen) = remembered(tx, once)? {
                return Ok(seen);
            }
            let changed = change(tx, key, expected, to, reason, actor, now)?;
            let (status, body) = respond(&changed);
            remember(tx, once, status, &body, now)?;
            Ok(Idempotent::Fresh { status, body })
        })
    }
}

fn change(
    tx: &Transaction,
    key: &str,
    expected: Option<OrderStatus>,
    to: OrderStatus,
    reason: Option<&str>,
    actor: &str,
    now: Timestamp,
) -> Result<OrderDetailRow> {
    let (id, from) =
        find(tx, key)?.ok_or_else(|| StoreError::NotFound(format!("order {key:?}")))?;
    unmoved(expected, from)?;
    check_transition(from, to, reason)?;
    match to {
        OrderStatus::Cancelled => release_all(tx, &id)?,
        OrderStatus::Shipped => {
            ship(tx, &id, actor, now)?;
            super::shipments::create_for(tx, &id, now)?;
        }
        OrderStatus::ReadyToPick => reserved_for_picking(tx, &id)?,
        _ => {}
    }
    let queue = Queue::of_status(to).map(Queue::as_str);
    tx.execute(
        "UPDATE orders SET status = ?2, queue = COALESCE(?3, queue), updated_at = ?4 WHERE id = ?1",
        params![id, to.as_str(), queue, micros(now)],
    )?;
    record_change(tx, &id, Some(from), to, actor, reason, now)?;
    audit(
        tx,
        &AuditWrite {
            at: now,
            actor,
            action: "order.status",
            entity_kind: "order",
            entity_id: &id,
            detail: json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason }),
        },
    )?;
    event(
        tx,
        now,
        "order.status",
        &id,
        &json!({ "from": from.as_str(), "to": to.as_str() }),
    )?;
    load_detail(tx, &id)
}

fn find(c: &rusqlite::Connection, key: &str) -> Result<Option<(String, OrderStatus)>> {
    let number = OrderNumber::parse(key).map(|n| n.0 as i64).unwrap_or(-1);
    let row: Option<(String, String)> = c
        .query_row(
            "SELECT id, status FROM orders WHERE id = ?1 OR number = ?2",
            params![key, number],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    row.map(|(id, status)| {
        let status = status
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("order {id}: {e}")))?;
        Ok((id, status))
    })
    .transpose()
}

/// Refuses a change checked against a status the order no longer has.
fn unmoved(expected: Option<OrderStatus>, from: OrderStatus) -> Result<()> {
    match expected {
        Some(expected) if expected != from => Err(StoreError::Conflict(format!(
            "the order changed meanwhile: it was {}, it is now {}",
            expected.label(),
            from.label()
        ))),
        _ => Ok(()),
    }
}

/// An order going to picking holds its stock: if it holds none yet (it waited for stock),
/// it is reserved now.
fn reserved_for_picking(tx: &Transaction, id: &str) -> Result<()> {
    let reserved: i64 = tx.query_row(
        "SELECT COALESCE(sum(qty), 0) FROM order_reservations WHERE order_id = ?1",
        [id],
        |r| r.get(0),
    )?;
    if reserved == 0 {
        reserve_or_refuse(tx, id)
    } else {
        Ok(())
    }
}

/// An order released from hold needs its stock now; all of it, or it stays where it is.
fn reserve_or_refuse(tx: &Transaction, id: &str) -> Result<()> {
    reserve_all(tx, id)?;
    let short: Vec<String> = tx
        .prepare_cached(
            "SELECT sku, backordered FROM order_lines WHERE order_id = ?1 AND backordered > 0",
        )?
        .query_map([id], |r| {
            Ok(format!(
                "{} short by {}",
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let policy: Option<String> =
        tx.query_row("SELECT stock_policy FROM orders WHERE id = ?1", [id], |r| {
            r.get(0)
        })?;
    if !short.is_empty() && policy.as_deref() != Some("backorder") {
        // Returning the error rolls back the partial reservation with the transaction.
        return Err(StoreError::Conflict(format!(
            "still not enough stock: {}",
            short.join(", ")
        )));
    }
    Ok(())
}

/// Shipping takes the reserved units out of their bins, with a ledger movement each.
fn ship(tx: &Transaction, id: &str, actor: &str, now: Timestamp) -> Result<()> {
    let rows: Vec<(String, String, i64, i64)> = tx
        .prepare_cached(
            "SELECT l.product_id, r.location_id, r.qty, o.number FROM order_reservations r
             JOIN order_lines l ON l.order_id = r.order_id AND l.line_no = r.line_no
             JOIN orders o ON o.id = r.order_id WHERE r.order_id = ?1",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (product_id, location_id, qty, number) in rows {
        super::ledger::post(
            tx,
            &super::ledger::Movement {
                product_id: &product_id,
                from: Some(&location_id),
                to: None,
                qty,
                units: super::ledger::Units::Reserved,
                kind: crate::domain::stock::MovementKind::Ship,
                reference: Some(&format!("SO-{number:06}")),
                lot: None,
                expiry: None,
                actor,
                at: now,
            },
        )?;
    }
    tx.execute("DELETE FROM order_reservations WHERE order_id = ?1", [id])?;
    Ok(())
}

impl Store {
    /// Runs the rules in force on an order not yet picked (after the rules changed, say):
    /// it records the new rule, queue, priority, carrier and tags, and moves to the status
    /// its queue means, reserving stock if it now goes to picking.
    pub fn reroute_order(
        &self,
        key: &str,
        expected: Option<OrderStatus>,
        rules: &crate::domain::routing::RoutingRules,
        actor: &str,
        now: Timestamp,
    ) -> Result<OrderDetailRow> {
        self.write(|tx| {
            let (id, from) = find(tx, key)?.ok_or_else(|| StoreError::NotFound(format!("order {key:?}")))?;
            unmoved(expected, from)?;
            let Some(routed) = super::routing_facts::routed_orders(tx, Some(&id))?.into_iter().next() else {
                return Err(StoreError::Conflict(format!(
                    "an order that is {} is past routing; only orders not yet picked can be re-routed",
                    from.label()
                )));
            };
            let d = rules.route(&routed.facts);
            let to = d.queue.status();
            let why = format!("re-routed by {actor}: rule {:?}: {}", d.rule, d.why);
            if to != from {
                check_transition(from, to, Some(&why))?;
                if to == OrderStatus::ReadyToPick {
                    reserved_for_picking(tx, &id)?;
                }
                tx.execute("UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1", params![id, to.as_str(), micros(now)])?;
                record_change(tx, &id, Some(from), to, actor, Some(&why), now)?;
            }
            tx.execute(
                "UPDATE orders SET queue = ?2, priority = ?3, carrier = ?4, tags = ?5, rule = ?6, rule_why = ?7, updated_at = ?8
                 WHERE id = ?1",
                params![id, d.queue.as_str(), d.priority.as_str(), d.carrier, d.tags.join(","), d.rule, why, micros(now)],
            )?;
            audit(tx, &AuditWrite {
                at: now,
                actor,
                action: "order.reroute",
                entity_kind: "order",
                entity_id: &id,
                detail: json!({ "from": from.as_str(), "to": to.as_str(), "rule": d.rule }),
            })?;
            event(tx, now, "order.routed", &id, &json!({ "from": from.as_str(), "to": to.as_str(), "rule": d.rule }))?;
            load_detail(tx, &id)
        })
    }
}
