//! Packing: what a scanned pick list or order label stands for at the bench, and packing a
//! verified order into its parcel with a tracking number from the carrier's range.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::{IdempotencyKey, Idempotent, record_change, remember, remembered};
use super::orders::load_detail;
use super::{OrderDetailRow, Result, Store, StoreError, micros, timestamp};
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::picking::PickListNumber;

#[derive(Debug, Clone, PartialEq)]
pub struct PackTaskRow {
    pub list: Option<PickListNumber>,
    pub orders: Vec<PackOrderRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackOrderRow {
    pub id: String,
    pub number: OrderNumber,
    pub slot: Option<i64>,
    pub status: String,
    pub carrier: Option<String>,
    pub ship_to_name: String,
    pub items: Vec<PackItemRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PackItemRow {
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub qty: i64,
}

/// A packed order and its parcel.
#[derive(Debug, Clone)]
pub struct ParcelRow {
    pub order: OrderDetailRow,
    pub carrier: String,
    pub tracking_no: String,
    pub package: String,
    pub weight_grams: u32,
    pub packed_at: Timestamp,
}

/// What the packer asks for.
pub struct PackWrite<'a> {
    pub order: &'a str,
    pub package: &'a str,
    pub weight_grams: u32,
    /// SKU → units verified by scanning.
    pub verified: &'a BTreeMap<String, i64>,
    /// The carrier of orders routing gave none.
    pub default_carrier: Option<&'a str>,
    pub packer: &'a str,
    pub now: Timestamp,
}

impl Store {
    /// `PL-…` is a pick list (its orders waiting for packing), anything else an order.
    pub fn pack_task(&self, code: &str) -> Result<Option<PackTaskRow>> {
        self.read(|c| {
            let code = code.trim();
            let is_list = code.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("PL-"));
            if is_list {
                let Some(number) = PickListNumber::parse(code) else {
                    return Ok(None);
                };
                let id: Option<String> = c
                    .query_row("SELECT id FROM pick_lists WHERE number = ?1", [number.0 as i64], |r| r.get(0))
                    .optional()?;
                let Some(id) = id else {
                    return Ok(None);
                };
                let orders: Vec<(String, i64)> = c
                    .prepare_cached(
                        "SELECT p.order_id, p.slot FROM pick_list_orders p JOIN orders o ON o.id = p.order_id
                         WHERE p.list_id = ?1 AND o.status = 'picking' ORDER BY p.slot",
                    )?
                    .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let orders = orders
                    .into_iter()
                    .map(|(order_id, slot)| parcel_contents(c, &order_id, Some(slot)))
                    .collect::<Result<_>>()?;
                return Ok(Some(PackTaskRow {
                    list: Some(number),
                    orders,
                }));
            }
            let number = OrderNumber::parse(code).map(|n| n.0 as i64).unwrap_or(-1);
            // A tote stands for the order in it that waits for packing.
            let id: Option<String> = c
                .query_row(
                    "SELECT id FROM orders WHERE id = ?1 OR number = ?2
                     UNION ALL
                     SELECT p.order_id FROM pick_list_orders p JOIN orders o ON o.id = p.order_id
                     WHERE p.tote = ?1 AND o.status = 'picking'
                     LIMIT 1",
                    params![code, number],
                    |r| r.get(0),
                )
                .optional()?;
            id.map(|id| {
                Ok(PackTaskRow {
                    list: None,
                    orders: vec![parcel_contents(c, &id, None)?],
                })
            })
            .transpose()
        })
    }

    /// Packs an order whose parcel holds exactly what it should: it gets the next tracking
    /// number of its carrier (`tracking` turns a carrier's sequence into its number) and
    /// becomes packed. Once per idempotency key.
    pub fn pack_order(
        &self,
        once: &IdempotencyKey,
        pack: &PackWrite,
        tracking: impl FnOnce(&str, u64) -> std::result::Result<String, String>,
        respond: impl FnOnce(&ParcelRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write(|tx| {
            if let Some(seen) = remembered(tx, once)? {
                return Ok(seen);
            }
            let number = OrderNumber::parse(pack.order).map(|n| n.0 as i64).unwrap_or(-1);
            let (id, status, carrier): (String, String, Option<String>) = tx
                .query_row(
                    "SELECT id, status, carrier FROM orders WHERE id = ?1 OR number = ?2",
                    params![pack.order, number],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?
                .ok_or_else(|| StoreError::NotFound(format!("order {:?}", pack.order)))?;
            let task = parcel_contents(tx, &id, None)?;
            if status != OrderStatus::Picking.as_str() {
                return Err(StoreError::Conflict(format!(
                    "{} is {}; only orders being picked are packed",
                    task.number,
                    status.replace('_', " ")
                )));
            }
            let unpicked: Option<i64> = tx
                .query_row(
                    "SELECT l.number FROM pick_lines p JOIN pick_lists l ON l.id = p.list_id
                     WHERE p.order_id = ?1 AND p.state = 'open' AND l.state <> 'done' LIMIT 1",
                    [&id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(list) = unpicked {
                return Err(StoreError::Conflict(format!(
                    "{} is still being picked on {}",
                    task.number,
                    PickListNumber(list as u64)
                )));
            }
            let expected: BTreeMap<String, i64> =
                task.items.iter().map(|i| (i.sku.clone(), i.qty)).collect();
            if &expected != pack.verified {
                let say = |m: &BTreeMap<String, i64>| {
                    m.iter().map(|(s, q)| format!("{q}× {s}")).collect::<Vec<_>>().join(", ")
                };
                return Err(StoreError::Conflict(format!(
                    "the parcel for {} must hold {}; verified were {}",
                    task.number,
                    say(&expected),
                    if pack.verified.is_empty() { "none".into() } else { say(pack.verified) }
                )));
            }
            let carrier = carrier
                .or_else(|| pack.default_carrier.map(str::to_string))
                .ok_or_else(|| {
                    StoreError::Conflict(format!(
                        "{} has no carrier and none is set as default; re-route it",
                        task.number
                    ))
                })?;
            let sequence: i64 = tx.query_row(
                "INSERT INTO carrier_sequences (carrier, last) VALUES (?1, 1)
                 ON CONFLICT (carrier) DO UPDATE SET last = last + 1 RETURNING last",
                [&carrier],
                |r| r.get(0),
            )?;
            let tracking_no = tracking(&carrier, sequence as u64).map_err(StoreError::Conflict)?;
            tx.execute(
                "INSERT INTO parcels (order_id, package, weight_grams, packed_by, packed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, pack.package, pack.weight_grams, pack.packer, micros(pack.now)],
            )?;
            tx.execute(
                "INSERT INTO shipments (id, order_id, carrier, tracking_no, state, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'created', ?5, ?5)",
                params![Uuid::now_v7().to_string(), id, carrier, tracking_no, micros(pack.now)],
            )?;
            tx.execute(
                "UPDATE orders SET status = 'packed', carrier = ?2, updated_at = ?3 WHERE id = ?1",
                params![id, carrier, micros(pack.now)],
            )?;
            record_change(tx, &id, Some(OrderStatus::Picking), OrderStatus::Packed, pack.packer, None, pack.now)?;
            event(tx, pack.now, "order.status", &id, &json!({ "from": "picking", "to": "packed" }))?;
            audit(
                tx,
                &AuditWrite {
                    at: pack.now,
                    actor: pack.packer,
                    action: "order.pack",
                    entity_kind: "order",
                    entity_id: &id,
                    detail: json!({ "package": pack.package, "weight_grams": pack.weight_grams,
                                    "carrier": carrier, "tracking_no": tracking_no }),
                },
            )?;
            let parcel = ParcelRow {
                order: load_detail(tx, &id)?,
                carrier,
                tracking_no,
                package: pack.package.to_string(),
                weight_grams: pack.weight_grams,
                packed_at: pack.now,
            };
            let (status, body) = respond(&parcel);
            remember(tx, once, status, &body, pack.now)?;
            Ok(Idempotent::Fresh { status, body })
        })
    }

    /// The parcel of a packed (or shipped) order, for printing its label again.
    pub fn parcel(&self, key: &str) -> Result<Option<ParcelRow>> {
        self.read(|c| {
            let number = OrderNumber::parse(key).map(|n| n.0 as i64).unwrap_or(-1);
            let row: Option<(String, String, String, String, u32, i64)> = c
                .query_row(
                    "SELECT o.id, s.carrier, s.tracking_no, p.package, p.weight_grams, p.packed_at
                     FROM orders o JOIN parcels p ON p.order_id = o.id JOIN shipments s ON s.order_id = o.id
                     WHERE o.id = ?1 OR o.number = ?2",
                    params![key, number],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
                )
                .optional()?;
            row.map(|(id, carrier, tracking_no, package, weight_grams, packed_at)| {
                Ok(ParcelRow {
                    order: load_detail(c, &id)?,
                    carrier,
                    tracking_no,
                    package,
                    weight_grams,
                    packed_at: timestamp(packed_at)?,
                })
            })
            .transpose()
        })
    }
}

/// What goes into an order's parcel: every line, less what is back-ordered.
fn parcel_contents(c: &Connection, order_id: &str, slot: Option<i64>) -> Result<PackOrderRow> {
    let (number, status, carrier, ship_to_name): (i64, String, Option<String>, String) = c
        .query_row(
            "SELECT number, status, carrier, ship_name FROM orders WHERE id = ?1",
            [order_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
    let items = c
        .prepare_cached(
            "SELECT l.sku, l.name, p.barcode, sum(l.qty - l.backordered) FROM order_lines l
             JOIN products p ON p.id = l.product_id
             WHERE l.order_id = ?1 GROUP BY l.sku HAVING sum(l.qty - l.backordered) > 0 ORDER BY min(l.line_no)",
        )?
        .query_map([order_id], |r| {
            Ok(PackItemRow {
                sku: r.get(0)?,
                name: r.get(1)?,
                barcode: r.get(2)?,
                qty: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(PackOrderRow {
        id: order_id.to_string(),
        number: OrderNumber(number as u64),
        slot,
        status,
        carrier,
        ship_to_name,
        items,
    })
}
