//! What routing needs to know about stored orders, for replaying rules against them.

use rusqlite::params;

use super::{Result, Store};
use crate::domain::order::OrderNumber;
use crate::domain::routing::{Flag, OrderFacts};

/// An open order as routing saw it, and what it decided then.
#[derive(Debug, Clone)]
pub struct RoutedOrder {
    pub id: String,
    pub number: OrderNumber,
    pub status: String,
    pub facts: OrderFacts,
    pub rule: Option<String>,
    pub queue: Option<String>,
    pub priority: String,
}

impl Store {
    /// Orders not yet picked: those whose routing could still change.
    pub fn open_orders_for_routing(&self) -> Result<Vec<RoutedOrder>> {
        self.read(|c| routed_orders(c, None))
    }
}

/// Open orders with what routing knows about them; one order when `only` is its id.
pub(super) fn routed_orders(
    c: &rusqlite::Connection,
    only: Option<&str>,
) -> Result<Vec<RoutedOrder>> {
    let mut orders = c.prepare_cached(
                "SELECT o.id, o.number, o.status, o.total_minor, o.item_count, o.ship_country, o.ship_region,
                        o.payment_method, c.tags, o.flags, o.rule, o.queue, o.priority,
                        (SELECT count(*) FROM orders e WHERE e.customer_id = o.customer_id AND e.created_at < o.created_at)
                 FROM orders o JOIN customers c ON c.id = o.customer_id
                 WHERE o.status IN ('received', 'reserved', 'cs_review', 'hold', 'ready_to_pick')
                   AND (?1 IS NULL OR o.id = ?1)
                 ORDER BY o.number",
            )?;
    let mut lines = c.prepare_cached(
                "SELECT l.sku, p.category FROM order_lines l JOIN products p ON p.id = l.product_id WHERE l.order_id = ?1",
            )?;
    let rows = orders
        .query_map([only], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, String>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<String>>(11)?,
                r.get::<_, String>(12)?,
                r.get::<_, i64>(13)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut out = Vec::new();
    for (
        id,
        number,
        status,
        total,
        items,
        country,
        region,
        payment,
        tags,
        flags,
        rule,
        queue,
        priority,
        earlier,
    ) in rows
    {
        let (skus, categories): (Vec<String>, Vec<String>) = lines
            .query_map(params![id], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .unzip();
        let mut customer_tags: Vec<String> = tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
        if earlier == 0 {
            customer_tags.push("first_order".into());
        }
        out.push(RoutedOrder {
            id: id.clone(),
            number: OrderNumber(number as u64),
            status,
            facts: OrderFacts {
                total_minor: total,
                item_count: items,
                skus,
                categories,
                country,
                region,
                payment,
                customer_tags,
                flags: flags
                    .split(',')
                    .filter_map(|f| Flag::parse(f.trim()))
                    .collect(),
            },
            rule,
            queue,
            priority,
        });
    }
    Ok(out)
}
