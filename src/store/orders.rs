//! Reading orders: the queue (filtered, newest first, cursor-paged) and one order whole.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, Store, StoreError, like_escape, timestamp};
use crate::domain::money::{Currency, Money};
use crate::domain::order::{OrderNumber, OrderSort, OrderStatus};
use crate::domain::tracking::TrackingKind;

#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub id: String,
    pub number: OrderNumber,
    pub channel: String,
    pub customer_name: String,
    pub status: OrderStatus,
    pub item_count: i64,
    pub total: Money,
    pub created_at: Timestamp,
    /// warehouse, cs_review or hold; `None` for orders from before routing.
    pub queue: Option<String>,
    pub priority: String,
    pub ship_by: Option<Timestamp>,
    /// Set by routing, e.g. `vip`.
    pub tags: Vec<String>,
    /// The carrier's last word on the parcel, once shipped (`in_transit`, `exception`, …).
    pub shipment_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderLineRow {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub unit_price: Money,
    pub catalogue_price: Option<Money>,
    pub backordered: i64,
    /// Where the reserved units are.
    pub pick_from: Vec<PickFrom>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickFrom {
    pub location: String,
    pub qty: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatusChangeRow {
    pub at: Timestamp,
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderDetailRow {
    pub order: OrderRow,
    pub customer_email: String,
    pub customer_phone: Option<String>,
    pub payment_method: String,
    pub ship_name: String,
    pub ship_line1: String,
    pub ship_line2: Option<String>,
    pub ship_city: String,
    pub ship_postal_code: String,
    pub ship_region: Option<String>,
    pub ship_country: String,
    pub lines: Vec<OrderLineRow>,
    pub history: Vec<StatusChangeRow>,
    pub carrier: Option<String>,
    pub tags: Vec<String>,
    /// The routing rule that decided, and why.
    pub rule: Option<String>,
    pub rule_why: Option<String>,
    pub flags: Vec<String>,
    pub shipment: Option<super::ShipmentRow>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OrderFilter {
    /// Any of these statuses; empty means all.
    pub statuses: Vec<OrderStatus>,
    /// Order number, customer name or e-mail, channel order number, or a SKU on a line.
    pub text: Option<String>,
    /// Routing gave the order this tag.
    pub tag: Option<String>,
    /// Only orders whose parcel the carrier reported a problem with (last event: exception).
    pub carrier_exception: bool,
    pub sort: OrderSort,
}

/// Position after the last order of a page: the sort it belongs to, the sort key of that
/// order and its number (which breaks ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrderCursor {
    pub sort: OrderSort,
    pub key: i64,
    pub number: u64,
}

impl OrderCursor {
    /// The cursor after `order` in `sort`.
    pub fn after(order: &OrderRow, sort: OrderSort) -> OrderCursor {
        let key = match sort {
            OrderSort::Newest | OrderSort::Oldest => order.created_at.as_microsecond(),
            OrderSort::ShipBy => order
                .ship_by
                .filter(|_| order.status.awaits_dispatch())
                .map(|t| t.as_microsecond())
                .unwrap_or(i64::MAX),
            OrderSort::Total => order.total.minor,
        };
        OrderCursor {
            sort,
            key,
            number: order.number.0,
        }
    }

    pub fn encode(&self) -> String {
        format!("{}.{}.{}", self.sort.as_str(), self.key, self.number)
    }

    pub fn decode(s: &str) -> Option<OrderCursor> {
        let mut parts = s.split('.');
        let cursor = OrderCursor {
            sort: OrderSort::parse(parts.next()?)?,
            key: parts.next()?.parse().ok()?,
            number: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(cursor)
    }
}

/// The SQL expression a sort orders by (the same key `OrderCursor::after` takes), and
/// whether it runs downwards.
fn sort_key(sort: OrderSort) -> (String, bool) {
    match sort {
        OrderSort::Newest => ("o.created_at".into(), true),
        OrderSort::Oldest => ("o.created_at".into(), false),
        // Orders gone or closed have kept or broken their promise: they sort last.
        OrderSort::ShipBy => {
            let gone: Vec<String> = OrderStatus::ALL
                .iter()
                .filter(|s| !s.awaits_dispatch())
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            let key = format!(
                "CASE WHEN o.status IN ({}) THEN {} ELSE COALESCE(o.ship_by, {}) END",
                gone.join(", "),
                i64::MAX,
                i64::MAX
            );
            (key, false)
        }
        OrderSort::Total => ("o.total_minor".into(), true),
    }
}

const ORDER_SELECT: &str = "SELECT o.id, o.number, o.channel, c.name, o.status, o.item_count,
        o.total_minor, o.currency, o.created_at, o.queue, o.priority, o.ship_by, o.tags, s.state
    FROM orders o JOIN customers c ON c.id = o.customer_id
    LEFT JOIN shipments s ON s.order_id = o.id";

struct RawOrder {
    id: String,
    number: i64,
    channel: String,
    customer_name: String,
    status: String,
    item_count: i64,
    total: i64,
    currency: String,
    created_at: i64,
    queue: Option<String>,
    priority: String,
    ship_by: Option<i64>,
    tags: String,
    shipment_state: Option<String>,
}

fn raw_order(r: &Row) -> rusqlite::Result<RawOrder> {
    Ok(RawOrder {
        id: r.get(0)?,
        number: r.get(1)?,
        channel: r.get(2)?,
        customer_name: r.get(3)?,
        status: r.get(4)?,
        item_count: r.get(5)?,
        total: r.get(6)?,
        currency: r.get(7)?,
        created_at: r.get(8)?,
        queue: r.get(9)?,
        priority: r.get(10)?,
        ship_by: r.get(11)?,
        tags: r.get(12)?,
        shipment_state: r.get(13)?,
    })
}

fn currency(code: &str, what: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn into_order(raw: RawOrder) -> Result<OrderRow> {
    Ok(OrderRow {
        status: raw
            .status
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("order {}: {e}", raw.number)))?,
        total: Money::new(raw.total, currency(&raw.currency, &raw.id)?),
        number: OrderNumber(raw.number as u64),
        created_at: timestamp(raw.created_at)?,
        ship_by: raw.ship_by.map(timestamp).transpose()?,
        id: raw.id,
        channel: raw.channel,
        customer_name: raw.customer_name,
        item_count: raw.item_count,
        queue: raw.queue,
        priority: raw.priority,
        tags: split_list(raw.tags),
        shipment_state: raw.shipment_state,
    })
}

impl Store {
    pub fn list_orders(
        &self,
        filter: &OrderFilter,
        after: Option<OrderCursor>,
        limit: usize,
    ) -> Result<Vec<OrderRow>> {
        let mut sql = format!("{ORDER_SELECT} WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if !filter.statuses.is_empty() {
            let marks = vec!["?"; filter.statuses.len()].join(", ");
            sql.push_str(&format!(" AND o.status IN ({marks})"));
            args.extend(
                filter
                    .statuses
                    .iter()
                    .map(|s| s.as_str().to_string().into()),
            );
        }
        if let Some(text) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            if let Some(number) = OrderNumber::parse(text) {
                sql.push_str(
                    " AND (o.number = ? OR o.channel_order_no = ?
                           OR o.id IN (SELECT order_id FROM order_lines WHERE sku = ? COLLATE NOCASE))",
                );
                args.push((number.0 as i64).into());
                args.push(text.to_string().into());
                args.push(text.to_string().into());
            } else {
                let pattern = format!("%{}%", like_escape(text));
                sql.push_str(
                    " AND (c.name LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\' OR o.channel_order_no = ?
                           OR o.id IN (SELECT order_id FROM order_lines WHERE sku = ? COLLATE NOCASE))",
                );
                args.push(pattern.clone().into());
                args.push(pattern.into());
                args.push(text.to_string().into());
                args.push(text.to_string().into());
            }
        }
        if let Some(tag) = filter
            .tag
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            sql.push_str(" AND (',' || o.tags || ',') LIKE ? ESCAPE '\\'");
            args.push(format!("%,{},%", like_escape(tag)).into());
        }
        if filter.carrier_exception {
            sql.push_str(" AND s.state = ?");
            args.push(TrackingKind::Exception.as_str().to_string().into());
        }
        let (key, down) = sort_key(filter.sort);
        if let Some(cursor) = after {
            let beyond = if down { '<' } else { '>' };
            sql.push_str(&format!(
                " AND ({key} {beyond} ? OR ({key} = ? AND o.number {beyond} ?))"
            ));
            args.push(cursor.key.into());
            args.push(cursor.key.into());
            args.push((cursor.number as i64).into());
        }
        let direction = if down { "DESC" } else { "ASC" };
        sql.push_str(&format!(
            " ORDER BY {key} {direction}, o.number {direction} LIMIT ?"
        ));
        args.push((limit as i64).into());
        self.read(|c| {
            let mut stmt = c.prepare_cached(&sql)?;
            let raws = stmt
                .query_map(rusqlite::params_from_iter(args), raw_order)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            raws.into_iter().map(into_order).collect()
        })
    }

    /// One order by id or number (`SO-000123`, `123`), with lines and status history.
    pub fn order_detail(&self, key: &str) -> Result<Option<OrderDetailRow>> {
        let number = OrderNumber::parse(key).map(|n| n.0 as i64).unwrap_or(-1);
        self.read(|c| {
            let id: Option<String> = c
                .query_row(
                    "SELECT id FROM orders WHERE id = ?1 OR number = ?2",
                    params![key, number],
                    |r| r.get(0),
                )
                .optional()?;
            id.map(|id| load_detail(c, &id)).transpose()
        })
    }

    pub fn order_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?))
    }
}

pub(super) fn split_list(s: String) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(String::from)
        .collect()
}

/// One order whole, by id.
/// A customer's latest orders, newest first.
pub(super) fn customer_orders(
    c: &Connection,
    customer_id: &str,
    limit: usize,
) -> Result<Vec<OrderRow>> {
    let raws = c
        .prepare_cached(&format!(
            "{ORDER_SELECT} WHERE o.customer_id = ?1 ORDER BY o.created_at DESC, o.number DESC LIMIT ?2"
        ))?
        .query_map(params![customer_id, limit as i64], raw_order)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter().map(into_order).collect()
}

/// Every placed order and every order screen reads this: its statements are kept.
pub(super) fn load_detail(c: &Connection, id: &str) -> Result<OrderDetailRow> {
    let raw = c
        .prepare_cached(&format!("{ORDER_SELECT} WHERE o.id = ?1"))?
        .query_row([id], raw_order)?;
    let order = into_order(raw)?;
    let cur = order.total.currency;
    let mut detail = c
        .prepare_cached(
            "SELECT c.email, c.phone, o.payment_method, o.ship_name, o.ship_line1, o.ship_line2,
                o.ship_city, o.ship_postal_code, o.ship_region, o.ship_country,
                o.carrier, o.tags, o.rule, o.rule_why, o.flags
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?1",
        )?
        .query_row([id], |r| {
            Ok(OrderDetailRow {
                order: order.clone(),
                customer_email: r.get(0)?,
                customer_phone: r.get(1)?,
                payment_method: r.get(2)?,
                ship_name: r.get(3)?,
                ship_line1: r.get(4)?,
                ship_line2: r.get(5)?,
                ship_city: r.get(6)?,
                ship_postal_code: r.get(7)?,
                ship_region: r.get(8)?,
                ship_country: r.get(9)?,
                carrier: r.get(10)?,
                tags: split_list(r.get(11)?),
                rule: r.get(12)?,
                rule_why: r.get(13)?,
                flags: split_list(r.get(14)?),
                lines: Vec::new(),
                history: Vec::new(),
                shipment: None,
            })
        })?;
    let mut picks: std::collections::HashMap<i64, Vec<PickFrom>> = std::collections::HashMap::new();
    for row in c
        .prepare_cached(
            "SELECT r.line_no, loc.code, r.qty FROM order_reservations r JOIN locations loc ON loc.id = r.location_id
             WHERE r.order_id = ?1 ORDER BY r.line_no, loc.code",
        )?
        .query_map([id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?
    {
        let (line, location, qty) = row?;
        picks.entry(line).or_default().push(PickFrom { location, qty });
    }
    detail.lines = c
        .prepare_cached(
            "SELECT line_no, sku, name, qty, unit_price_minor, catalogue_price_minor, backordered FROM order_lines
             WHERE order_id = ?1 ORDER BY line_no",
        )?
        .query_map([id], |r| {
            let line_no: i64 = r.get(0)?;
            Ok(OrderLineRow {
                line_no,
                sku: r.get(1)?,
                name: r.get(2)?,
                qty: r.get(3)?,
                unit_price: Money::new(r.get(4)?, cur),
                catalogue_price: r.get::<_, Option<i64>>(5)?.map(|m| Money::new(m, cur)),
                backordered: r.get(6)?,
                pick_from: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for line in &mut detail.lines {
        line.pick_from = picks.remove(&line.line_no).unwrap_or_default();
    }
    detail.shipment = super::shipments::shipment_of(c, id)?;
    detail.history = c
        .prepare_cached(
            "SELECT at, from_status, to_status, actor, reason FROM order_events
             WHERE order_id = ?1 ORDER BY at, id",
        )?
        .query_map([id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .map(|(at, from, to, actor, reason)| {
            Ok(StatusChangeRow {
                at: timestamp(at)?,
                from,
                to,
                actor,
                reason,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(detail)
}
