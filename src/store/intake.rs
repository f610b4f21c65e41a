//! Placing an order: in one transaction, refuse what is unacceptable, recognise a repeated
//! delivery, store the order, reserve stock with conditional updates, route it, and record
//! every status change, the audit record and the event.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use jiff::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::orders::{OrderLineRow, OrderRow, PickFrom, StatusChangeRow, load_detail, split_list};
use super::{OrderDetailRow, Result, Store, StoreError, micros, next_number, timestamp};
use crate::domain::idempotency::same_request;
use crate::domain::intake::{
    AddressIn, LineIn, Refusal, address_gaps, check_email, check_lines, country_ok, price_ok,
};
use crate::domain::intake_policy::StockPolicy;
use crate::domain::lifecycle::check_transition;
use crate::domain::money::{Currency, Money};
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::routing::{Decision, Flag, OrderFacts, Queue, RoutingRules};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerIn {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    pub channel: String,
    /// The channel's own order number; a second delivery of it is a duplicate.
    pub channel_order_no: Option<String>,
    pub customer: CustomerIn,
    pub ship_to: AddressIn,
    pub payment_method: String,
    pub currency: Currency,
    pub lines: Vec<LineIn>,
    /// A replacement sent at no charge: its zero prices are meant, not a mismatch.
    pub free_of_charge: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Placed {
    Created(Box<OrderDetailRow>),
    /// The channel sent this order before; nothing new was stored.
    Duplicate(Box<OrderDetailRow>),
}

struct CatalogueItem {
    id: String,
    name: String,
    category: String,
    price_minor: i64,
    currency: String,
}

impl Store {
    /// What would make each order unacceptable, without placing any (one snapshot).
    pub fn check_orders(&self, orders: &[NewOrder]) -> Result<Vec<Vec<Refusal>>> {
        self.read(|c| {
            orders
                .iter()
                .map(|o| refusals(c, o).map(|(_, r)| r))
                .collect()
        })
    }

    /// Places all the orders in one transaction: all of them, or (on any error) none.
    pub fn place_orders(
        &self,
        orders: &[NewOrder],
        rules: &RoutingRules,
        actor: &str,
        now: Timestamp,
    ) -> Result<Vec<Placed>> {
        self.write(|tx| {
            orders
                .iter()
                .map(|o| place(tx, o, rules, actor, now))
                .collect()
        })
    }

    /// What placing these orders would do (refusals, reservations, routing) worked out in
    /// full and then rolled back: nothing is stored.
    pub fn rehearse_orders(
        &self,
        orders: &[NewOrder],
        rules: &RoutingRules,
        now: Timestamp,
    ) -> Result<Vec<Placed>> {
        self.rehearse(|tx| {
            orders
                .iter()
                .map(|o| place(tx, o, rules, "rehearsal", now))
                .collect()
        })
    }

    pub fn place_order(
        &self,
        order: &NewOrder,
        rules: &RoutingRules,
        actor: &str,
        now: Timestamp,
    ) -> Result<Placed> {
        self.write(|tx| place(tx, order, rules, actor, now))
    }
}

fn place(
    tx: &Transaction,
    order: &NewOrder,
    rules: &RoutingRules,
    actor: &str,
    now: Timestamp,
) -> Result<Placed> {
    let intake = decide(tx, order, rules, now)?;
    write_order(tx, order, intake, actor, now)
}

/// What an order comes to, worked out by reading alone.
enum Intake {
    /// The channel sent this order before: the order it was.
    Duplicate(String),
    New(Box<Decided>),
}

/// An acceptable new order: everything about it decided, nothing written yet.
struct Decided {
    catalogue: HashMap<String, CatalogueItem>,
    customer: Customer,
    /// Not stored yet: added with the order.
    new_customer: bool,
    status: OrderStatus,
    reserves: bool,
    shortages: Vec<String>,
    /// Per product id, its bins as [`bins_of`] read them.
    bins: HashMap<String, Vec<BinStock>>,
    decision: Decision,
    why: String,
    ship_by: Timestamp,
    flags: Vec<Flag>,
    stock_policy: StockPolicy,
}

/// Refuses what is unacceptable, recognises a repeated delivery, and decides reservation
/// and routing (each status change checked against the lifecycle), writing nothing.
fn decide(
    tx: &Transaction,
    order: &NewOrder,
    rules: &RoutingRules,
    now: Timestamp,
) -> Result<Intake> {
    if let Some(no) = order.channel_order_no.as_deref() {
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM orders WHERE channel = ?1 AND channel_order_no = ?2",
                params![order.channel, no],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = existing {
            return Ok(Intake::Duplicate(id));
        }
    }
    let (catalogue, refusals) = refusals(tx, order)?;
    if !refusals.is_empty() {
        return Err(StoreError::Refused(refusals));
    }
    decide_checked(tx, order, rules, now, catalogue).map(|d| Intake::New(Box::new(d)))
}

/// Stores what [`decide`] found: the order, its lines, reservations, history, audit entry
/// and event (a repeated delivery: nothing).
fn write_order(
    tx: &Transaction,
    order: &NewOrder,
    intake: Intake,
    actor: &str,
    now: Timestamp,
) -> Result<Placed> {
    match intake {
        Intake::Duplicate(id) => Ok(Placed::Duplicate(Box::new(load_detail(tx, &id)?))),
        Intake::New(decided) => write_decided(tx, order, *decided, actor, now),
    }
}

/// Places a free replacement for chosen `(line_no, qty)` of an order: same customer and
/// address, channel `replacement`, the refund's number as the channel's order number (so it
/// is never placed twice). It is reserved and routed like any order.
pub(super) fn place_replacement(
    tx: &Transaction,
    order_id: &str,
    lines: &[(i64, i64)],
    refund_number: &str,
    rules: &RoutingRules,
    actor: &str,
    now: Timestamp,
) -> Result<OrderDetailRow> {
    let original = load_detail(tx, order_id)?;
    let mut wanted = Vec::with_capacity(lines.len());
    for &(line_no, qty) in lines {
        let line = original
            .lines
            .iter()
            .find(|l| l.line_no == line_no)
            .ok_or_else(|| {
                StoreError::Invalid(format!("{} has no line {line_no}", original.order.number))
            })?;
        wanted.push(LineIn {
            sku: line.sku.clone(),
            qty,
            unit_price_minor: 0,
        });
    }
    let replacement = NewOrder {
        channel: "replacement".into(),
        channel_order_no: Some(refund_number.to_string()),
        customer: CustomerIn {
            name: original.order.customer_name.clone(),
            email: original.customer_email.clone(),
            phone: original.customer_phone.clone(),
        },
        ship_to: AddressIn {
            name: original.ship_name.clone(),
            line1: original.ship_line1.clone(),
            line2: original.ship_line2.clone(),
            city: original.ship_city.clone(),
            postal_code: original.ship_postal_code.clone(),
            region: original.ship_region.clone(),
            country: original.ship_country.clone(),
        },
        payment_method: "replacement".into(),
        currency: original.order.total.currency,
        lines: wanted,
        free_of_charge: true,
    };
    // The refund's number is new, so a replacement under it can only exist if something
    // else put it there: that is never the customer's replacement.
    match place(tx, &replacement, rules, actor, now)? {
        Placed::Created(row) => Ok(*row),
        Placed::Duplicate(row) => Err(StoreError::Conflict(format!(
            "a replacement order for {refund_number} already exists ({}); nothing was placed",
            row.order.number
        ))),
    }
}

/// Everything that makes an order unacceptable, with the catalogue entries it names.
fn refusals(
    c: &rusqlite::Connection,
    order: &NewOrder,
) -> Result<(HashMap<String, CatalogueItem>, Vec<Refusal>)> {
    let catalogue = load_catalogue(c, &order.lines)?;
    let mut refusals = check_lines(&order.lines, |sku| catalogue.contains_key(sku));
    for (field, value) in [
        ("channel", &order.channel),
        ("customer name", &order.customer.name),
        ("payment method", &order.payment_method),
    ] {
        if value.trim().is_empty() {
            refusals.push(Refusal::Missing { field });
        }
    }
    refusals.extend(check_email(&order.customer.email));
    if !country_ok(&order.ship_to.country) {
        refusals.push(Refusal::Country(order.ship_to.country.clone()));
    }
    if let Some(item) = catalogue
        .values()
        .find(|i| i.currency != order.currency.as_str())
    {
        refusals.push(Refusal::Currency {
            expected: item.currency.clone(),
            got: order.currency.as_str().to_string(),
        });
    }
    Ok((catalogue, refusals))
}

fn decide_checked(
    tx: &Transaction,
    order: &NewOrder,
    rules: &RoutingRules,
    now: Timestamp,
    catalogue: HashMap<String, CatalogueItem>,
) -> Result<Decided> {
    let policy = &rules.intake;
    let email = order.customer.email.trim().to_lowercase();
    let (customer, new_customer) = match find_customer(tx, &email)? {
        Some(found) => (found, false),
        None => (
            Customer {
                id: Uuid::now_v7().to_string(),
                name: order.customer.name.trim().to_string(),
                email,
                phone: order.customer.phone.clone(),
                tags: Vec::new(),
                blocked: false,
            },
            true,
        ),
    };
    let earlier_orders: i64 = if new_customer {
        0
    } else {
        tx.query_row(
            "SELECT count(*) FROM orders WHERE customer_id = ?1",
            [&customer.id],
            |r| r.get(0),
        )?
    };
    let mut customer_tags = customer.tags.clone();
    if earlier_orders == 0 {
        customer_tags.push("first_order".into());
    }
    let blocked = customer.blocked;

    let mut flags = Vec::new();
    if blocked {
        flags.push(Flag::CustomerBlocked);
    }
    let gaps = address_gaps(&order.ship_to);
    if !gaps.is_empty() {
        flags.push(Flag::AddressIncomplete);
    }
    let mismatches: Vec<String> = order
        .lines
        .iter()
        .filter(|l| {
            !order.free_of_charge
                && !price_ok(
                    catalogue[&l.sku].price_minor,
                    l.unit_price_minor,
                    policy.price_tolerance_bp,
                )
        })
        .map(|l| {
            format!(
                "{} at {} instead of {}",
                l.sku, l.unit_price_minor, catalogue[&l.sku].price_minor
            )
        })
        .collect();
    if !mismatches.is_empty() {
        flags.push(Flag::PriceMismatch);
    }

    // Reservation and routing are decided before the order is written, so its row goes in
    // once with its final status and queue instead of being rewritten (with every index it
    // is in) within the same request.
    // Read once: the shortage is worked out from them, and reservation takes from them.
    let mut bins = HashMap::new();
    for l in &order.lines {
        let product = &catalogue[&l.sku].id;
        if let Entry::Vacant(unread) = bins.entry(product.clone()) {
            unread.insert(bins_of(tx, product)?);
        }
    }
    let shortages = shortages(order, &catalogue, &bins);
    let short_text: Vec<String> = shortages
        .iter()
        .map(|(sku, short)| format!("{sku} short by {short}"))
        .collect();
    let reserves = shortages.is_empty() || policy.stock == StockPolicy::Backorder;
    let status = if reserves {
        if !shortages.is_empty() {
            flags.push(Flag::Backordered);
        }
        OrderStatus::Reserved
    } else {
        flags.push(Flag::StockShort);
        OrderStatus::Received
    };

    let total: i64 = order.lines.iter().map(|l| l.unit_price_minor * l.qty).sum();
    let items: i64 = order.lines.iter().map(|l| l.qty).sum();
    let a = &order.ship_to;
    let facts = OrderFacts {
        total_minor: total,
        item_count: items,
        skus: order.lines.iter().map(|l| l.sku.clone()).collect(),
        categories: order
            .lines
            .iter()
            .map(|l| catalogue[&l.sku].category.clone())
            .collect(),
        country: a.country.clone(),
        region: a.region.clone(),
        payment: order.payment_method.clone(),
        customer_tags,
        flags: flags.clone(),
    };
    let mut decision = rules.route(&facts);
    let mut why = decision.why.clone();
    if !gaps.is_empty() && decision.queue != Queue::Warehouse {
        why.push_str(&format!(" ({})", gaps.join(", ")));
    }
    if !mismatches.is_empty() && decision.queue != Queue::Warehouse {
        why.push_str(&format!(" ({})", mismatches.join(", ")));
    }
    // Nothing reserved cannot go to picking, whatever the rules say.
    if status == OrderStatus::Received && decision.queue == Queue::Warehouse {
        decision.queue = Queue::Hold;
        why = format!("{why}; held: {}", short_text.join(", "));
    }
    let ship_by = policy
        .ship_by
        .ship_by(now, decision.priority, &order.channel);
    // The history `write_decided` records, checked now, before anything is written.
    if reserves {
        check_transition(
            OrderStatus::Received,
            OrderStatus::Reserved,
            Some("automatic"),
        )?;
    }
    check_transition(status, decision.queue.status(), Some("automatic"))?;
    Ok(Decided {
        catalogue,
        customer,
        new_customer,
        status,
        reserves,
        shortages: short_text,
        bins,
        decision,
        why,
        ship_by,
        flags,
        stock_policy: policy.stock,
    })
}

fn write_decided(
    tx: &Transaction,
    order: &NewOrder,
    decided: Decided,
    actor: &str,
    now: Timestamp,
) -> Result<Placed> {
    if decided.new_customer {
        add_customer(tx, order, &decided.customer, now)?;
    }
    // As stored (to the microsecond), so that the answer is what reading it back gives.
    let now = timestamp(micros(now))?;
    let ship_by = timestamp(micros(decided.ship_by))?;
    let target = decided.decision.queue.status();
    let total: i64 = order.lines.iter().map(|l| l.unit_price_minor * l.qty).sum();
    let items: i64 = order.lines.iter().map(|l| l.qty).sum();
    let a = &order.ship_to;
    let flag_text = decided
        .flags
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(",");
    let tag_text = decided.decision.tags.join(",");
    let id = Uuid::now_v7().to_string();
    let number = next_number(tx, "orders")?;
    tx.execute(
        "INSERT INTO orders (id, number, channel, channel_order_no, customer_id, status, currency, total_minor,
            item_count, payment_method, ship_name, ship_line1, ship_line2, ship_city, ship_postal_code,
            ship_region, ship_country, created_at, updated_at, stock_policy, queue, priority, carrier, tags,
            rule, rule_why, flags, ship_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19,
            ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
        params![
            id, number, order.channel, order.channel_order_no, decided.customer.id, target.as_str(),
            order.currency.as_str(), total, items, order.payment_method, a.name, a.line1, a.line2, a.city,
            a.postal_code, a.region, a.country, micros(now), decided.stock_policy.as_str(), decided.decision.queue.as_str(),
            decided.decision.priority.as_str(), decided.decision.carrier, tag_text, decided.decision.rule, decided.why,
            flag_text, micros(ship_by)
        ],
    )?;
    let mut lines = Vec::with_capacity(order.lines.len());
    for (i, l) in order.lines.iter().enumerate() {
        let item = &decided.catalogue[&l.sku];
        let line_no = i as i64 + 1;
        tx.execute(
            "INSERT INTO order_lines (order_id, line_no, product_id, sku, name, qty, unit_price_minor, catalogue_price_minor)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![id, line_no, item.id, l.sku, item.name, l.qty, l.unit_price_minor, item.price_minor],
        )?;
        lines.push(OrderLineRow {
            line_no,
            sku: l.sku.clone(),
            name: item.name.clone(),
            qty: l.qty,
            unit_price: Money::new(l.unit_price_minor, order.currency),
            catalogue_price: Some(Money::new(item.price_minor, order.currency)),
            backordered: 0,
            pick_from: Vec::new(),
        });
    }
    let mut history = Vec::with_capacity(3);
    let mut change = |from: Option<OrderStatus>, to, actor: &str, reason: Option<String>| {
        record_change(tx, &id, from, to, actor, reason.as_deref(), now)?;
        history.push(StatusChangeRow {
            at: now,
            from: from.map(|s| s.as_str().to_string()),
            to: to.as_str().to_string(),
            actor: actor.to_string(),
            reason,
        });
        Ok::<_, StoreError>(())
    };
    change(None, OrderStatus::Received, actor, None)?;
    if decided.reserves {
        let wanted = lines
            .iter()
            .map(|l| (l.line_no, decided.catalogue[&l.sku].id.clone(), l.qty))
            .collect();
        for (line, reserved) in lines
            .iter_mut()
            .zip(reserve_lines(tx, &id, wanted, decided.bins)?)
        {
            line.backordered = reserved.backordered;
            line.pick_from = reserved.pick_from;
        }
        let reason = (!decided.shortages.is_empty())
            .then(|| format!("back-ordered: {}", decided.shortages.join(", ")));
        change(
            Some(OrderStatus::Received),
            OrderStatus::Reserved,
            "system",
            reason,
        )?;
    }
    let routed = format!("rule {:?}: {}", decided.decision.rule, decided.why);
    change(Some(decided.status), target, "system", Some(routed))?;
    audit(
        tx,
        &AuditWrite {
            at: now,
            actor,
            action: "order.create",
            entity_kind: "order",
            entity_id: &id,
            detail: json!({ "number": number, "channel": order.channel, "status": target.as_str(), "rule": decided.decision.rule }),
        },
    )?;
    event(
        tx,
        now,
        "order.created",
        &id,
        &json!({ "number": format!("SO-{number:06}"), "status": target.as_str(), "queue": decided.decision.queue.as_str() }),
    )?;
    // What reading the order back would give, without reading it back.
    Ok(Placed::Created(Box::new(OrderDetailRow {
        order: OrderRow {
            id,
            number: OrderNumber(number as u64),
            channel: order.channel.clone(),
            customer_name: decided.customer.name,
            status: target,
            item_count: items,
            total: Money::new(total, order.currency),
            created_at: now,
            queue: Some(decided.decision.queue.as_str().to_string()),
            priority: decided.decision.priority.as_str().to_string(),
            ship_by: Some(ship_by),
            tags: split_list(tag_text.clone()),
            shipment_state: None,
        },
        customer_email: decided.customer.email,
        customer_phone: decided.customer.phone,
        payment_method: order.payment_method.clone(),
        ship_name: a.name.clone(),
        ship_line1: a.line1.clone(),
        ship_line2: a.line2.clone(),
        ship_city: a.city.clone(),
        ship_postal_code: a.postal_code.clone(),
        ship_region: a.region.clone(),
        ship_country: a.country.clone(),
        lines,
        history,
        carrier: decided.decision.carrier,
        tags: split_list(tag_text),
        rule: Some(decided.decision.rule),
        rule_why: Some(decided.why),
        flags: split_list(flag_text),
        shipment: None,
    })))
}

fn load_catalogue(
    tx: &rusqlite::Connection,
    lines: &[LineIn],
) -> Result<HashMap<String, CatalogueItem>> {
    let mut stmt = tx.prepare_cached("SELECT id, name, category, price_minor, currency FROM products WHERE sku = ?1 AND active = 1")?;
    let mut out = HashMap::new();
    for l in lines.iter().take(crate::domain::intake::MAX_LINES) {
        let item = stmt
            .query_row([&l.sku], |r| {
                Ok(CatalogueItem {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    category: r.get(2)?,
                    price_minor: r.get(3)?,
                    currency: r.get(4)?,
                })
            })
            .optional()?;
        if let Some(item) = item {
            out.insert(l.sku.clone(), item);
        }
    }
    Ok(out)
}

/// A customer as stored.
struct Customer {
    id: String,
    name: String,
    email: String,
    phone: Option<String>,
    tags: Vec<String>,
    blocked: bool,
}

/// The customer by e-mail.
fn find_customer(tx: &Transaction, email: &str) -> Result<Option<Customer>> {
    Ok(tx
        .query_row(
            "SELECT id, name, email, phone, tags, blocked FROM customers WHERE email = ?1 COLLATE NOCASE",
            [email],
            |r| {
                Ok(Customer {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    email: r.get(2)?,
                    phone: r.get(3)?,
                    tags: split_list(r.get(4)?),
                    blocked: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// Adds the customer `decide_checked` did not find.
fn add_customer(tx: &Transaction, order: &NewOrder, c: &Customer, now: Timestamp) -> Result<()> {
    let a = &order.ship_to;
    tx.execute(
        "INSERT INTO customers (id, name, email, phone, address_line1, address_line2, city, postal_code, region, country, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![c.id, c.name, c.email, c.phone, a.line1, a.line2, a.city, a.postal_code, a.region, a.country, micros(now)],
    )?;
    Ok(())
}

/// A bin holding a product, and how many of its units are free (not reserved).
struct BinStock {
    location_id: String,
    code: String,
    available: i64,
}

/// The product's bins, most free first, then by code: the order reservation takes them in.
fn bins_of(tx: &Transaction, product_id: &str) -> Result<Vec<BinStock>> {
    Ok(tx
        .prepare_cached(
            "SELECT b.location_id, loc.code, b.on_hand - b.reserved FROM stock_balances b
             JOIN locations loc ON loc.id = b.location_id AND loc.kind = 'bin'
             WHERE b.product_id = ?1
             ORDER BY b.on_hand - b.reserved DESC, loc.code",
        )?
        .query_map([product_id], |r| {
            Ok(BinStock {
                location_id: r.get(0)?,
                code: r.get(1)?,
                available: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?)
}

/// Per SKU, how many units of the order cannot be reserved from the bins now.
fn shortages(
    order: &NewOrder,
    catalogue: &HashMap<String, CatalogueItem>,
    bins: &HashMap<String, Vec<BinStock>>,
) -> Vec<(String, i64)> {
    order
        .lines
        .iter()
        .filter_map(|l| {
            let free: i64 = bins[&catalogue[&l.sku].id]
                .iter()
                .map(|b| b.available)
                .sum();
            (l.qty > free).then(|| (l.sku.clone(), l.qty - free))
        })
        .collect()
}

/// Reserves each line from the bins with most available first; what cannot be reserved is
/// recorded as back-ordered. The conditional update means a unit is never reserved twice.
pub(super) fn reserve_all(tx: &Transaction, order_id: &str) -> Result<()> {
    let lines: Vec<(i64, String, i64)> = tx
        .prepare_cached(
            "SELECT l.line_no, l.product_id, l.qty - COALESCE((SELECT sum(qty) FROM order_reservations r
                 WHERE r.order_id = l.order_id AND r.line_no = l.line_no), 0)
             FROM order_lines l WHERE l.order_id = ?1 ORDER BY l.line_no",
        )?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    reserve_lines(tx, order_id, lines, HashMap::new())?;
    Ok(())
}

/// What one line got from [`reserve_lines`].
struct LineReserved {
    backordered: i64,
    /// The bins reserved from, by code.
    pick_from: Vec<PickFrom>,
}

/// Reserves `(line_no, product_id, units still wanted)` of the order, line by line, from
/// `bins` (per product, as [`bins_of`] read them in this transaction; read here if absent).
fn reserve_lines(
    tx: &Transaction,
    order_id: &str,
    lines: Vec<(i64, String, i64)>,
    mut bins: HashMap<String, Vec<BinStock>>,
) -> Result<Vec<LineReserved>> {
    let mut reserved = Vec::with_capacity(lines.len());
    for (line_no, product_id, mut wanted) in lines {
        let held = match bins.entry(product_id.clone()) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(unread) => unread.insert(bins_of(tx, &product_id)?),
        };
        // An earlier line of the same product may have taken from them.
        held.sort_by(|a, b| {
            b.available
                .cmp(&a.available)
                .then_with(|| a.code.cmp(&b.code))
        });
        let mut pick_from = Vec::new();
        for bin in held.iter_mut().filter(|b| b.available > 0) {
            if wanted <= 0 {
                break;
            }
            let take = wanted.min(bin.available);
            let changed = tx.execute(
                "UPDATE stock_balances SET reserved = reserved + ?3, version = version + 1
                 WHERE product_id = ?1 AND location_id = ?2 AND on_hand - reserved >= ?3",
                params![product_id, bin.location_id, take],
            )?;
            if changed == 1 {
                tx.execute(
                    "INSERT INTO order_reservations (order_id, line_no, location_id, qty) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (order_id, line_no, location_id) DO UPDATE SET qty = qty + excluded.qty",
                    params![order_id, line_no, bin.location_id, take],
                )?;
                pick_from.push(PickFrom {
                    location: bin.code.clone(),
                    qty: take,
                });
                bin.available -= take;
                wanted -= take;
            }
        }
        let backordered = wanted.max(0);
        // Mostly unchanged (a new line starts at 0): a row left alone costs no page write.
        tx.execute(
            "UPDATE order_lines SET backordered = ?3
             WHERE order_id = ?1 AND line_no = ?2 AND backordered <> ?3",
            params![order_id, line_no, backordered],
        )?;
        pick_from.sort_by(|a, b| a.location.cmp(&b.location));
        reserved.push(LineReserved {
            backordered,
            pick_from,
        });
    }
    Ok(reserved)
}

/// Gives back every unit reserved for the order.
pub(super) fn release_all(tx: &Transaction, order_id: &str) -> Result<()> {
    let rows: Vec<(String, String, i64)> = tx
        .prepare_cached(
            "SELECT l.product_id, r.location_id, r.qty FROM order_reservations r
             JOIN order_lines l ON l.order_id = r.order_id AND l.line_no = r.line_no WHERE r.order_id = ?1",
        )?
        .query_map([order_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (product_id, location_id, qty) in rows {
        tx.execute(
            "UPDATE stock_balances SET reserved = reserved - ?3, version = version + 1
             WHERE product_id = ?1 AND location_id = ?2",
            params![product_id, location_id, qty],
        )?;
    }
    tx.execute(
        "DELETE FROM order_reservations WHERE order_id = ?1",
        [order_id],
    )?;
    tx.execute(
        "UPDATE order_lines SET backordered = 0 WHERE order_id = ?1",
        [order_id],
    )?;
    Ok(())
}

/// One status change in the history, checked against the lifecycle.
pub(super) fn record_change(
    tx: &Transaction,
    order_id: &str,
    from: Option<OrderStatus>,
    to: OrderStatus,
    actor: &str,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<()> {
    if let Some(from) = from {
        check_transition(from, to, reason.or(Some("automatic")))?;
    }
    tx.execute(
        "INSERT INTO order_events (order_id, at, from_status, to_status, actor, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![order_id, micros(now), from.map(|s| s.as_str()), to.as_str(), actor, reason],
    )?;
    Ok(())
}

/// The outcome of an intake request carrying an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Idempotent {
    /// First time: the order was placed and this answer stored with the key.
    Fresh { status: u16, body: String },
    /// Seen before with the same body: the stored answer, nothing placed.
    Replay { status: u16, body: String },
    /// Seen before with another body.
    Mismatch,
}

/// An idempotency key: who sent it, the key, and a hash of the request body.
pub struct IdempotencyKey<'a> {
    pub scope: &'a str,
    pub key: &'a str,
    pub request_hash: &'a str,
}

impl Store {
    /// Places an order at most once per key. `respond` turns the result into the answer
    /// to store; it runs inside the transaction, so the key, the order and the answer
    /// commit together or not at all. Everything that can refuse the order is read and
    /// decided first; the order's writes then need no undo of their own (see
    /// `Writer::write_checked`), which was a tenth of an order's cost.
    #[allow(clippy::too_many_arguments)]
    pub fn place_order_once(
        &self,
        key: &IdempotencyKey,
        order: &NewOrder,
        rules: &RoutingRules,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(Placed) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_checked(
            |tx| match remembered(tx, key)? {
                Some(seen) => Ok(Err(seen)),
                None => decide(tx, order, rules, now).map(Ok),
            },
            |tx, found| match found {
                Err(seen) => Ok(seen),
                Ok(intake) => {
                    let (status, body) = respond(write_order(tx, order, intake, actor, now)?);
                    remember(tx, key, status, &body, now)?;
                    Ok(Idempotent::Fresh { status, body })
                }
            },
        )
    }
}

impl Store {
    /// Makes `change` at most once per key: a replay gets the stored answer. `respond`
    /// turns what the change returns into the answer, inside the transaction, so the key,
    /// the change and the answer commit together or not at all.
    pub(super) fn write_once<T>(
        &self,
        key: &IdempotencyKey,
        now: Timestamp,
        change: impl FnOnce(&Transaction) -> Result<T>,
        respond: impl FnOnce(&T) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write(|tx| {
            if let Some(seen) = remembered(tx, key)? {
                return Ok(seen);
            }
            let done = change(tx)?;
            let (status, body) = respond(&done);
            remember(tx, key, status, &body, now)?;
            Ok(Idempotent::Fresh { status, body })
        })
    }
}

/// The stored answer for a key seen before: a replay for the same request, a mismatch for another.
pub(super) fn remembered(tx: &Transaction, key: &IdempotencyKey) -> Result<Option<Idempotent>> {
    let seen: Option<(String, u16, String)> = tx
        .query_row(
            "SELECT request_hash, status, response FROM idempotency_keys WHERE scope = ?1 AND key = ?2",
            params![key.scope, key.key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(seen.map(|(hash, status, body)| {
        if same_request(&hash, key.request_hash) {
            Idempotent::Replay { status, body }
        } else {
            Idempotent::Mismatch
        }
    }))
}

/// Stores the answer under the key, in the transaction of the change it answers.
pub(super) fn remember(
    tx: &Transaction,
    key: &IdempotencyKey,
    status: u16,
    body: &str,
    now: Timestamp,
) -> Result<()> {
    tx.execute(
        "INSERT INTO idempotency_keys (scope, key, request_hash, status, response, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            key.scope,
            key.key,
            key.request_hash,
            status,
            body,
            micros(now)
        ],
    )?;
    Ok(())
}
