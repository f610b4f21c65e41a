//! Reading orders: the queue (filtered, newest first, cursor-paged) and one order whole.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::{Result, Store, StoreError, like_escape, timestamp};
use crate::domain::money::{Currency, Money};
use crate::domain::order::{OrderNumber, OrderStatus};

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
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderLineRow {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub unit_price: Money,
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
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Any of these statuses; empty means all.
    pub statuses: Vec<OrderStatus>,
    /// Order number, customer name or e-mail, or channel order number.
    pub text: Option<String>,
}

/// Position after the last order of a page (the queue is newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderCursor {
    pub created_at_micros: i64,
    pub number: u64,
}

impl OrderCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at_micros, self.number)
    }

    pub fn decode(s: &str) -> Option<OrderCursor> {
        let (t, n) = s.split_once('.')?;
        Some(OrderCursor {
            created_at_micros: t.parse().ok()?,
            number: n.parse().ok()?,
        })
    }
}

const ORDER_SELECT: &str = "SELECT o.id, o.number, o.channel, c.name, o.status, o.item_count,
        o.total_minor, o.currency, o.created_at
    FROM orders o JOIN customers c ON c.id = o.customer_id";

type RawOrder = (String, i64, String, String, String, i64, i64, String, i64);

fn raw_order(r: &Row) -> rusqlite::Result<RawOrder> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        r.get(8)?,
    ))
}

fn currency(code: &str, what: &str) -> Result<Currency> {
    Currency::parse(code).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn into_order(raw: RawOrder) -> Result<OrderRow> {
    let (id, number, channel, customer_name, status, item_count, total, cur, created_at) = raw;
    Ok(OrderRow {
        status: status
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("order {number}: {e}")))?,
        total: Money::new(total, currency(&cur, &id)?),
        number: OrderNumber(number as u64),
        id,
        channel,
        customer_name,
        item_count,
        created_at: timestamp(created_at)?,
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
                sql.push_str(" AND (o.number = ? OR o.channel_order_no = ?)");
                args.push((number.0 as i64).into());
                args.push(text.to_string().into());
            } else {
                let pattern = format!("%{}%", like_escape(text));
                sql.push_str(
                    " AND (c.name LIKE ? ESCAPE '\\' OR c.email LIKE ? ESCAPE '\\' OR o.channel_order_no = ?)",
                );
                args.push(pattern.clone().into());
                args.push(pattern.into());
                args.push(text.to_string().into());
            }
        }
        if let Some(cursor) = after {
            sql.push_str(" AND (o.created_at < ? OR (o.created_at = ? AND o.number < ?))");
            args.push(cursor.created_at_micros.into());
            args.push(cursor.created_at_micros.into());
            args.push((cursor.number as i64).into());
        }
        sql.push_str(" ORDER BY o.created_at DESC, o.number DESC LIMIT ?");
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
            let raw = c
                .query_row(
                    &format!("{ORDER_SELECT} WHERE o.id = ?1 OR o.number = ?2"),
                    params![key, number],
                    raw_order,
                )
                .optional()?;
            let Some(raw) = raw else { return Ok(None) };
            let order = into_order(raw)?;
            detail(c, order).map(Some)
        })
    }

    pub fn order_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?))
    }
}

fn detail(c: &Connection, order: OrderRow) -> Result<OrderDetailRow> {
    let cur = order.total.currency;
    let mut detail = c.query_row(
        "SELECT c.email, c.phone, o.payment_method, o.ship_name, o.ship_line1, o.ship_line2,
                o.ship_city, o.ship_postal_code, o.ship_region, o.ship_country
         FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?1",
        [&order.id],
        |r| {
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
                lines: Vec::new(),
                history: Vec::new(),
            })
        },
    )?;
    detail.lines = c
        .prepare_cached(
            "SELECT line_no, sku, name, qty, unit_price_minor FROM order_lines
             WHERE order_id = ?1 ORDER BY line_no",
        )?
        .query_map([&order.id], |r| {
            Ok(OrderLineRow {
                line_no: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                qty: r.get(3)?,
                unit_price: Money::new(r.get(4)?, cur),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    detail.history = c
        .prepare_cached(
            "SELECT at, from_status, to_status, actor, reason FROM order_events
             WHERE order_id = ?1 ORDER BY at, id",
        )?
        .query_map([&order.id], |r| {
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
