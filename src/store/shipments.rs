//! Shipments and carrier tracking events.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::record_change;
use super::{Result, Store, StoreError, micros, timestamp};
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::service_policy::ServicePolicy;
use crate::domain::ticket::TicketSource;
use crate::domain::tracking::TrackingKind;

#[derive(Debug, Clone, PartialEq)]
pub struct ShipmentRow {
    pub id: String,
    pub order_id: String,
    pub carrier: String,
    pub tracking_no: String,
    pub state: String,
    pub events: Vec<TrackingRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrackingRow {
    pub at: Timestamp,
    pub kind: String,
    pub location: Option<String>,
    pub description: Option<String>,
}

pub struct TrackingIn<'a> {
    pub external_id: Option<&'a str>,
    pub at: Timestamp,
    pub kind: TrackingKind,
    pub location: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// What recording a tracking event did.
#[derive(Debug, Clone, PartialEq)]
pub enum Tracked {
    Recorded(Box<ShipmentRow>),
    /// The carrier sent this event before; nothing new was stored.
    AlreadyKnown(Box<ShipmentRow>),
}

/// Creates the shipment of an order as it leaves; the tracking number is ours until the
/// carrier integration supplies theirs.
pub(super) fn create_for(tx: &Transaction, order_id: &str, now: Timestamp) -> Result<()> {
    let (number, carrier): (i64, Option<String>) = tx.query_row(
        "SELECT number, carrier FROM orders WHERE id = ?1",
        [order_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    tx.execute(
        "INSERT INTO shipments (id, order_id, carrier, tracking_no, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'created', ?5, ?5) ON CONFLICT (order_id) DO NOTHING",
        params![
            Uuid::now_v7().to_string(),
            order_id,
            carrier.unwrap_or_else(|| "unassigned".into()),
            format!("BR{number:09}"),
            micros(now)
        ],
    )?;
    Ok(())
}

pub(super) fn shipment_of(c: &Connection, order_id: &str) -> Result<Option<ShipmentRow>> {
    let id: Option<String> = c
        .prepare_cached("SELECT id FROM shipments WHERE order_id = ?1")?
        .query_row([order_id], |r| r.get(0))
        .optional()?;
    id.map(|id| load(c, &id)).transpose()
}

fn load(c: &Connection, id: &str) -> Result<ShipmentRow> {
    let mut shipment = c.query_row(
        "SELECT id, order_id, carrier, tracking_no, state FROM shipments WHERE id = ?1",
        [id],
        |r| {
            Ok(ShipmentRow {
                id: r.get(0)?,
                order_id: r.get(1)?,
                carrier: r.get(2)?,
                tracking_no: r.get(3)?,
                state: r.get(4)?,
                events: Vec::new(),
            })
        },
    )?;
    shipment.events = c
        .prepare_cached("SELECT at, kind, location, description FROM tracking_events WHERE shipment_id = ?1 ORDER BY at, id")?
        .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|(at, kind, location, description)| Ok(TrackingRow { at: timestamp(at)?, kind, location, description }))
        .collect::<Result<_>>()?;
    Ok(shipment)
}

impl Store {
    /// The carrier of a shipment, to check the webhook's secret against.
    pub fn shipment_carrier(&self, id: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.query_row(
                "SELECT carrier FROM shipments WHERE id = ?1 OR tracking_no = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?)
        })
    }

    /// Records what the carrier says; delivery moves the order, an exception raises an alert
    /// and opens a ticket for customer service.
    pub fn record_tracking(
        &self,
        shipment: &str,
        event_in: &TrackingIn,
        service: &ServicePolicy,
        now: Timestamp,
    ) -> Result<Tracked> {
        self.write(|tx| {
            let (id, order_id, carrier): (String, String, String) = tx
                .query_row(
                    "SELECT id, order_id, carrier FROM shipments WHERE id = ?1 OR tracking_no = ?1",
                    [shipment],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("shipment {shipment:?}")))?;
            if let Some(external) = event_in.external_id {
                let known: Option<i64> = tx
                    .query_row("SELECT id FROM tracking_events WHERE shipment_id = ?1 AND external_id = ?2", params![id, external], |r| r.get(0))
                    .optional()?;
                if known.is_some() {
                    return Ok(Tracked::AlreadyKnown(Box::new(load(tx, &id)?)));
                }
            }
            let kind = event_in.kind.as_str();
            tx.execute(
                "INSERT INTO tracking_events (shipment_id, external_id, at, kind, location, description, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![id, event_in.external_id, micros(event_in.at), kind, event_in.location, event_in.description, micros(now)],
            )?;
            // A late report of something earlier must not overwrite what happened since.
            tx.execute(
                "UPDATE shipments SET state = ?2, updated_at = ?3 WHERE id = ?1
                 AND NOT EXISTS (SELECT 1 FROM tracking_events WHERE shipment_id = ?1 AND at > ?4)",
                params![id, kind, micros(now), micros(event_in.at)],
            )?;
            let actor = format!("carrier:{carrier}");
            if let Some(to) = event_in.kind.order_status() {
                let status: String = tx.query_row("SELECT status FROM orders WHERE id = ?1", [&order_id], |r| r.get(0))?;
                if status == OrderStatus::Shipped.as_str() {
                    tx.execute("UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1", params![order_id, to.as_str(), micros(now)])?;
                    record_change(tx, &order_id, Some(OrderStatus::Shipped), to, &actor, None, now)?;
                    event(tx, now, "order.status", &order_id, &json!({ "from": "shipped", "to": to.as_str() }))?;
                }
            }
            if event_in.kind == TrackingKind::Exception {
                let number: i64 = tx.query_row("SELECT number FROM orders WHERE id = ?1", [&order_id], |r| r.get(0))?;
                event(
                    tx,
                    now,
                    "alert.carrier_exception",
                    &order_id,
                    &json!({ "number": OrderNumber(number as u64).to_string(), "shipment": id, "carrier": carrier,
                            "description": event_in.description, "location": event_in.location }),
                )?;
                let what = event_in.description.map_or_else(
                    || "the carrier reported a problem".to_string(),
                    |d| format!("carrier exception: {d}"),
                );
                Store::open_parcel_ticket(tx, &order_id, TicketSource::CarrierException, &what, service, now)?;
            }
            event(tx, now, "shipment.tracking", &order_id, &json!({ "shipment": id, "kind": kind }))?;
            audit(tx, &AuditWrite {
                at: now,
                actor: &actor,
                action: "shipment.tracking",
                entity_kind: "shipment",
                entity_id: &id,
                detail: json!({ "kind": kind, "external_id": event_in.external_id }),
            })?;
            Ok(Tracked::Recorded(Box::new(load(tx, &id)?)))
        })
    }
}
