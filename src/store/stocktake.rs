//! Stocktakes: counts are observations. A counter starts a location (the ledger's position
//! is noted), scans what is there, and closes it; the store then judges each line against
//! the ledger. Stock that moved there meanwhile makes a line outdated; a variance beyond
//! tolerance goes to another counter; nothing changes stock until a supervisor approves.

use std::collections::{BTreeMap, BTreeSet};

use jiff::{SignedDuration, Timestamp};
use rusqlite::{Connection, OptionalExtension, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::{IdempotencyKey, Idempotent};
use super::inventory::{location, product_id};
use super::ledger::{self, Movement, Units};
use super::{Result, Store, StoreError, micros, next_number, timestamp};
use crate::domain::picking::WalkKey;
use crate::domain::role::{Permission, Role};
use crate::domain::stock::{Document, MovementKind};
use crate::domain::stocktake::{
    AbcClass, Accuracy, Approval, ApprovalCase, ApprovalRefused, CountAt, CountScope, CountedLine,
    CycleSchedule, Tolerance, Verdict, accuracy, classify, hides_on_hand, judge, may_approve,
};

/// What a supervisor asks for.
pub struct NewStocktake<'a> {
    pub scope: &'a CountScope,
    pub blind: bool,
    pub counters: &'a [String],
    pub tolerance: Tolerance,
    /// For a cycle count: at most this many products, the most overdue first.
    pub cycle_limit: usize,
    pub schedule: CycleSchedule,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StocktakeRow {
    pub id: String,
    pub number: i64,
    pub scope: String,
    pub scope_detail: Vec<String>,
    pub blind: bool,
    pub state: String,
    pub tolerance: Tolerance,
    pub recount_of: Option<i64>,
    pub created_by: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub counters: Vec<String>,
    pub locations: Vec<CountLocationRow>,
    pub lines: Vec<CountLineRow>,
    /// What the ledger holds now at the stocktake's locations (limited to its products
    /// where it has any): for open counts and for supervisors, never for blind counters.
    pub ledger: Vec<LedgerLineRow>,
    /// (location code, user): who is counting which of these locations blind right now,
    /// in this stocktake or another, and so may see no on-hand figure for it.
    pub kept_blind: Vec<(String, String)>,
}

/// Who approves, as the server knows them.
#[derive(Debug, Clone, Copy)]
pub struct Approver<'a> {
    pub username: &'a str,
    pub role: Role,
    /// Why an admin approves their own count; see `domain::stocktake::may_approve`.
    pub reason: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CountLocationRow {
    pub code: String,
    pub seq: i64,
    pub state: String,
    pub counter: Option<String>,
    pub not_counter: Option<String>,
    pub started_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub empty: bool,
    /// SKUs this location's count is limited to (empty: everything there).
    pub products: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountLineRow {
    pub location: String,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub counted: i64,
    pub expected: Option<i64>,
    pub unit_value: Option<i64>,
    pub state: String,
    pub counted_by: Option<String>,
    pub reviewed_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLineRow {
    pub location: String,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub on_hand: i64,
}

/// How a scan changes the running count of a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountEntry {
    /// One more scan: `n` more units.
    Add(i64),
    /// A typed quantity: the count is `n`.
    Set(i64),
}

/// Which lines of a stocktake a review decision is about; all in question when `None`.
pub type LineKeys = Option<Vec<(String, String)>>;

#[derive(Debug, Clone, PartialEq)]
pub struct StocktakeReport {
    pub stocktake: StocktakeRow,
    pub accuracy: Accuracy,
    pub locations_total: usize,
    pub locations_counted: usize,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// Counter, locations closed, lines counted (recounts included).
    pub counters: Vec<(String, usize, usize)>,
}

/// Whether balance `b` is part of the count at location `sl`: every product there,
/// unless the count is limited to some.
const IN_SCOPE: &str = "(NOT EXISTS (SELECT 1 FROM stocktake_products sp
                         WHERE sp.stocktake_id = sl.stocktake_id AND sp.location_id = sl.location_id)
      OR EXISTS (SELECT 1 FROM stocktake_products sp WHERE sp.stocktake_id = sl.stocktake_id
                 AND sp.location_id = sl.location_id AND sp.product_id = b.product_id))";

pub(super) fn find(c: &Connection, key: &str) -> Result<String> {
    let number = Document::Stocktake.parse(key).unwrap_or(-1);
    // Every scan names its stocktake: the statement is kept, not parsed each time.
    c.prepare_cached("SELECT id FROM stocktakes WHERE id = ?1 OR number = ?2")?
        .query_row(params![key, number], |r| r.get(0))
        .optional()?
        .ok_or_else(|| StoreError::NotFound(format!("stocktake {key:?}")))
}

fn load(c: &Connection, id: &str) -> Result<StocktakeRow> {
    type Head = (
        i64,
        String,
        String,
        bool,
        String,
        i64,
        i64,
        Option<i64>,
        String,
        i64,
        Option<i64>,
    );
    // Every scan's answer is the whole stocktake: its statements are kept.
    let head: Head = c.prepare_cached(
        "SELECT s.number, s.scope, s.scope_detail, s.blind, s.state, s.tolerance_qty, s.tolerance_value,
                (SELECT p.number FROM stocktakes p WHERE p.id = s.recount_of), s.created_by, s.created_at, s.finished_at
         FROM stocktakes s WHERE s.id = ?1",
    )?.query_row(
        [id],
        |r| {
            Ok((
                r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?,
                r.get(8)?, r.get(9)?, r.get(10)?,
            ))
        },
    )?;
    let (
        number,
        scope,
        detail,
        blind,
        state,
        tol_qty,
        tol_value,
        recount_of,
        created_by,
        created_at,
        finished_at,
    ) = head;
    let scope_detail: Vec<String> = serde_json::from_str(&detail)
        .map_err(|e| StoreError::Corrupt(format!("stocktake scope {detail:?}: {e}")))?;
    let counters: Vec<String> = c
        .prepare_cached(
            "SELECT username FROM stocktake_counters WHERE stocktake_id = ?1 ORDER BY username",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut limited: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let pairs: Vec<(String, String)> = c
        .prepare_cached(
            "SELECT l.code, p.sku FROM stocktake_products sp JOIN locations l ON l.id = sp.location_id
             JOIN products p ON p.id = sp.product_id WHERE sp.stocktake_id = ?1 ORDER BY p.sku",
        )?
        .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (code, sku) in pairs {
        limited.entry(code).or_default().push(sku);
    }
    type Place = (
        String,
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        Option<i64>,
        bool,
    );
    let places: Vec<Place> = c
        .prepare_cached(
            "SELECT l.code, sl.seq, sl.state, sl.counter, sl.not_counter, sl.started_at, sl.closed_at, sl.empty
             FROM stocktake_locations sl JOIN locations l ON l.id = sl.location_id
             WHERE sl.stocktake_id = ?1 ORDER BY sl.seq",
        )?
        .query_map([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut locations = Vec::with_capacity(places.len());
    for (code, seq, state, counter, not_counter, started, closed, empty) in places {
        locations.push(CountLocationRow {
            products: limited.remove(&code).unwrap_or_default(),
            code,
            seq,
            state,
            counter,
            not_counter,
            started_at: started.map(timestamp).transpose()?,
            closed_at: closed.map(timestamp).transpose()?,
            empty,
        });
    }
    let lines: Vec<CountLineRow> = c
        .prepare_cached(
            "SELECT l.code, p.sku, p.name, p.barcode, cl.counted, cl.expected, cl.unit_value, cl.state,
                    cl.counted_by, cl.reviewed_by
             FROM stocktake_lines cl JOIN locations l ON l.id = cl.location_id JOIN products p ON p.id = cl.product_id
             JOIN stocktake_locations sl ON sl.stocktake_id = cl.stocktake_id AND sl.location_id = cl.location_id
             WHERE cl.stocktake_id = ?1 ORDER BY sl.seq, p.sku",
        )?
        .query_map([id], |r| {
            Ok(CountLineRow {
                location: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                barcode: r.get(3)?,
                counted: r.get(4)?,
                expected: r.get(5)?,
                unit_value: r.get(6)?,
                state: r.get(7)?,
                counted_by: r.get(8)?,
                reviewed_by: r.get(9)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let ledger: Vec<LedgerLineRow> = c
        .prepare_cached(&format!(
            "SELECT l.code, p.sku, p.name, p.barcode, b.on_hand
             FROM stocktake_locations sl JOIN stock_balances b ON b.location_id = sl.location_id
             JOIN locations l ON l.id = sl.location_id JOIN products p ON p.id = b.product_id
             WHERE sl.stocktake_id = ?1 AND b.on_hand > 0
               AND {IN_SCOPE}
             ORDER BY sl.seq, p.sku"
        ))?
        .query_map([id], |r| {
            Ok(LedgerLineRow {
                location: r.get(0)?,
                sku: r.get(1)?,
                name: r.get(2)?,
                barcode: r.get(3)?,
                on_hand: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let kept_blind = kept_blind(c, id)?;
    Ok(StocktakeRow {
        id: id.to_string(),
        number,
        scope,
        scope_detail,
        blind,
        state,
        tolerance: Tolerance {
            qty: tol_qty,
            value: tol_value,
        },
        recount_of,
        created_by,
        created_at: timestamp(created_at)?,
        finished_at: finished_at.map(timestamp).transpose()?,
        counters,
        locations,
        lines,
        ledger,
        kept_blind,
    })
}

/// Counts at a location, as `hides_on_hand` weighs them: (code, blind, stocktake state,
/// location state, counter).
type CountAtRow = (String, bool, String, String, Option<String>);

fn count_at(r: &rusqlite::Row) -> rusqlite::Result<CountAtRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn hides(row: &CountAtRow, viewer: &str) -> bool {
    let (_, blind, stocktake_state, location_state, counter) = row;
    let at = CountAt {
        blind: *blind,
        stocktake_state,
        location_state,
        counter: counter.as_deref(),
    };
    hides_on_hand(&at, viewer)
}

/// Who counts this stocktake's locations blind now, here or in another stocktake (a
/// recount of the same bin, for one). Only open stocktakes are read: a count that is over
/// hides nothing.
fn kept_blind(c: &Connection, stocktake_id: &str) -> Result<Vec<(String, String)>> {
    let rows: Vec<CountAtRow> = c
        .prepare_cached(
            "SELECT l.code, s.blind, s.state, sl.state, sl.counter
             FROM stocktakes s JOIN stocktake_locations sl ON sl.stocktake_id = s.id
             JOIN stocktake_locations here ON here.stocktake_id = ?1 AND here.location_id = sl.location_id
             JOIN locations l ON l.id = sl.location_id
             WHERE s.state = 'counting' AND sl.counter IS NOT NULL",
        )?
        .query_map([stocktake_id], count_at)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .iter()
        .filter_map(|row| {
            let counter = row.4.as_deref()?;
            hides(row, counter).then(|| (row.0.clone(), counter.to_string()))
        })
        .collect())
}

/// Active users other than `approver` who may approve counts.
fn other_managers(tx: &Transaction, approver: &str) -> Result<Vec<String>> {
    let users: Vec<(String, String)> = tx
        .prepare_cached("SELECT username, role FROM users WHERE disabled = 0 AND username <> ?1 ORDER BY username")?
        .query_map([approver], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut managers = Vec::new();
    for (username, role) in users {
        let role: Role = role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("user {username}: {e}")))?;
        if role.allows(Permission::StocktakeManage) {
            managers.push(username);
        }
    }
    Ok(managers)
}

/// "SKU at CODE", for telling which line is meant.
fn line_name(tx: &Transaction, location_id: &str, product_id: &str) -> Result<(String, String)> {
    Ok(tx.query_row(
        "SELECT p.sku, l.code FROM products p, locations l WHERE p.id = ?1 AND l.id = ?2",
        params![product_id, location_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?)
}

/// Bins holding any of the products, each with the products it holds.
fn where_products_are(
    tx: &Transaction,
    product_ids: &[String],
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut places: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut stmt = tx.prepare_cached(
        "SELECT b.location_id FROM stock_balances b JOIN locations l ON l.id = b.location_id AND l.kind = 'bin'
         WHERE b.product_id = ?1 AND b.on_hand > 0",
    )?;
    for product in product_ids {
        let here: Vec<String> = stmt
            .query_map([product], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for location_id in here {
            places.entry(location_id).or_default().push(product.clone());
        }
    }
    Ok(places)
}

/// Products due for a cycle count, the most overdue first: classes from the last 90 days'
/// sales value.
fn due_products(
    tx: &Transaction,
    schedule: &CycleSchedule,
    limit: usize,
    now: Timestamp,
) -> Result<Vec<String>> {
    let since = now - SignedDuration::from_hours(24 * 90);
    let rows: Vec<(String, i64, Option<i64>)> = tx
        .prepare_cached(
            "SELECT p.id,
                    COALESCE((SELECT sum(l.qty * l.unit_price_minor) FROM order_lines l JOIN orders o ON o.id = l.order_id
                              WHERE l.product_id = p.id AND o.created_at >= ?1 AND o.status <> 'cancelled'), 0),
                    (SELECT c.last_counted_at FROM product_counts c WHERE c.product_id = p.id)
             FROM products p WHERE p.active = 1
               AND EXISTS (SELECT 1 FROM stock_balances b JOIN locations l ON l.id = b.location_id AND l.kind = 'bin'
                           WHERE b.product_id = p.id AND b.on_hand > 0)
             ORDER BY p.sku",
        )?
        .query_map([micros(since)], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let values: Vec<i64> = rows.iter().map(|r| r.1).collect();
    let classes = classify(&values);
    let mut due: Vec<(SignedDuration, AbcClass, &String)> = Vec::new();
    for ((id, _, last), class) in rows.iter().zip(classes) {
        let last = last.map(timestamp).transpose()?;
        if schedule.due(class, last, now) {
            due.push((schedule.overdue_by(class, last, now), class, id));
        }
    }
    due.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    Ok(due
        .into_iter()
        .take(limit)
        .map(|(_, _, id)| id.clone())
        .collect())
}

fn add_location(
    tx: &Transaction,
    stocktake_id: &str,
    location_id: &str,
    seq: i64,
    not_counter: Option<&str>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO stocktake_locations (stocktake_id, location_id, seq, not_counter) VALUES (?1, ?2, ?3, ?4)",
        params![stocktake_id, location_id, seq, not_counter],
    )?;
    Ok(())
}

/// Locations in walking order.
fn walk(tx: &Transaction, location_ids: impl IntoIterator<Item = String>) -> Result<Vec<String>> {
    let mut keyed = Vec::new();
    for id in location_ids {
        let code: String =
            tx.query_row("SELECT code FROM locations WHERE id = ?1", [&id], |r| {
                r.get(0)
            })?;
        keyed.push((WalkKey::of(&code), id));
    }
    keyed.sort();
    Ok(keyed.into_iter().map(|(_, id)| id).collect())
}

/// What a new stocktake row says about itself.
struct Heading<'a> {
    scope: &'a str,
    detail: &'a [String],
    blind: bool,
    tolerance: Tolerance,
    recount_of: Option<&'a str>,
    counters: &'a [String],
}

fn insert_stocktake(
    tx: &Transaction,
    h: &Heading,
    actor: &str,
    now: Timestamp,
) -> Result<(String, i64)> {
    let id = Uuid::now_v7().to_string();
    let number = next_number(tx, "stocktakes")?;
    let detail = serde_json::to_string(h.detail).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO stocktakes (id, number, scope, scope_detail, blind, state, tolerance_qty, tolerance_value, recount_of, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'counting', ?6, ?7, ?8, ?9, ?10)",
        params![id, number, h.scope, detail, h.blind, h.tolerance.qty, h.tolerance.value, h.recount_of, actor, micros(now)],
    )?;
    for counter in h.counters {
        tx.execute(
            "INSERT OR IGNORE INTO stocktake_counters (stocktake_id, username) VALUES (?1, ?2)",
            params![id, counter],
        )?;
    }
    Ok((id, number))
}

struct Place {
    id: String,
    stocktake_id: String,
    number: i64,
    code: String,
    state: String,
    counter: Option<String>,
    started_mark: Option<i64>,
    recount_of: Option<String>,
    tolerance: Tolerance,
}

fn place(tx: &Transaction, key: &str, code: &str) -> Result<Place> {
    let stocktake_id = find(tx, key)?;
    let (location_id, _) = location(tx, code)?;
    type Raw = (
        i64,
        String,
        Option<String>,
        i64,
        i64,
        String,
        String,
        Option<String>,
        Option<i64>,
    );
    let raw: Option<Raw> = tx
        .query_row(
            "SELECT s.number, s.state, s.recount_of, s.tolerance_qty, s.tolerance_value, l.code, sl.state, sl.counter, sl.started_mark
             FROM stocktakes s JOIN stocktake_locations sl ON sl.stocktake_id = s.id
             JOIN locations l ON l.id = sl.location_id WHERE s.id = ?1 AND sl.location_id = ?2",
            params![stocktake_id, location_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?)),
        )
        .optional()?;
    let number_of = |n| Document::Stocktake.number(n);
    let Some((number, stocktake_state, recount_of, qty, value, code, state, counter, started_mark)) =
        raw
    else {
        let number: i64 = tx.query_row(
            "SELECT number FROM stocktakes WHERE id = ?1",
            [&stocktake_id],
            |r| r.get(0),
        )?;
        return Err(StoreError::Conflict(format!(
            "{code} is not part of {}",
            number_of(number)
        )));
    };
    if stocktake_state != "counting" {
        return Err(StoreError::Conflict(format!(
            "{} is {stocktake_state}: counting is over",
            number_of(number)
        )));
    }
    Ok(Place {
        id: location_id,
        stocktake_id,
        number,
        code,
        state,
        counter,
        started_mark,
        recount_of,
        tolerance: Tolerance { qty, value },
    })
}

/// The counter must be counting this location now.
fn counting_here(place: &Place, counter: &str) -> Result<()> {
    match (place.state.as_str(), place.counter.as_deref()) {
        ("counting", Some(c)) if c == counter => Ok(()),
        ("counting", Some(other)) => Err(StoreError::Conflict(format!(
            "{other} is counting {}",
            place.code
        ))),
        ("closed", _) => Err(StoreError::Conflict(format!(
            "{} was counted already",
            place.code
        ))),
        _ => Err(StoreError::Conflict(format!(
            "start {} first: scan its label",
            place.code
        ))),
    }
}

fn unit_value(tx: &Transaction, product_id: &str) -> Result<i64> {
    Ok(tx.query_row(
        "SELECT COALESCE(cost_minor, price_minor) FROM products WHERE id = ?1",
        [product_id],
        |r| r.get(0),
    )?)
}

/// The stocktake moves on when its work is done: counting → review → done.
fn settle(tx: &Transaction, stocktake_id: &str, now: Timestamp) -> Result<()> {
    let open: bool = tx
        .prepare_cached(
            "SELECT 1 FROM stocktake_locations WHERE stocktake_id = ?1 AND state <> 'closed'
             UNION ALL SELECT 1 FROM stocktake_lines WHERE stocktake_id = ?1 AND state IN ('counting', 'recount') LIMIT 1",
        )?
        .exists([stocktake_id])?;
    let to_review: bool = tx
        .prepare_cached("SELECT 1 FROM stocktake_lines WHERE stocktake_id = ?1 AND state IN ('variance', 'outdated') LIMIT 1")?
        .exists([stocktake_id])?;
    let state = if open {
        "counting"
    } else if to_review {
        "review"
    } else {
        "done"
    };
    let (before, number): (String, i64) = tx.query_row(
        "SELECT state, number FROM stocktakes WHERE id = ?1",
        [stocktake_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if before != state && before != "cancelled" {
        tx.execute(
            "UPDATE stocktakes SET state = ?2, finished_at = CASE WHEN ?2 = 'done' THEN ?3 ELSE NULL END WHERE id = ?1",
            params![stocktake_id, state, micros(now)],
        )?;
        event(
            tx,
            now,
            &format!("stocktake.{state}"),
            stocktake_id,
            &json!({"number": Document::Stocktake.number(number)}),
        )?;
    }
    Ok(())
}

/// Puts lines (location id, product id, who counted them) into a recount: a stocktake that
/// counts them again, at each location by someone other than who counted it before.
fn send_to_recount(
    tx: &Transaction,
    parent_id: &str,
    lines: &[(String, String, Option<String>)],
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    if lines.is_empty() {
        return Ok(());
    }
    let (blind, qty, value): (bool, i64, i64) = tx.query_row(
        "SELECT blind, tolerance_qty, tolerance_value FROM stocktakes WHERE id = ?1",
        [parent_id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    // The counters assigned before, less whoever counted these lines: with nobody left,
    // anyone may recount.
    let mut counters: Vec<String> = tx
        .prepare_cached("SELECT username FROM stocktake_counters WHERE stocktake_id = ?1")?
        .query_map([parent_id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    counters.retain(|c| {
        !lines
            .iter()
            .any(|(_, _, by)| by.as_deref() == Some(c.as_str()))
    });
    for (location_id, product_id, _) in lines {
        tx.execute(
            "UPDATE stocktake_lines SET state = 'recount' WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
            params![parent_id, location_id, product_id],
        )?;
    }
    // An open recount of this stocktake takes more lines at locations it has not started.
    let open: Option<String> = tx
        .query_row(
            "SELECT id FROM stocktakes WHERE recount_of = ?1 AND state = 'counting' ORDER BY number DESC LIMIT 1",
            [parent_id],
            |r| r.get(0),
        )
        .optional()?;
    let recount = Heading {
        scope: "recount",
        detail: &[],
        blind,
        tolerance: Tolerance { qty, value },
        recount_of: Some(parent_id),
        counters: &counters,
    };
    let child = match open {
        Some(id) => id,
        None => insert_stocktake(tx, &recount, actor, now)?.0,
    };
    let mut seq: i64 = tx.query_row(
        "SELECT COALESCE(max(seq), 0) FROM stocktake_locations WHERE stocktake_id = ?1",
        [&child],
        |r| r.get(0),
    )?;
    for (location_id, product_id, counted_by) in lines {
        let state: Option<String> = tx
            .query_row(
                "SELECT state FROM stocktake_locations WHERE stocktake_id = ?1 AND location_id = ?2",
                params![child, location_id],
                |r| r.get(0),
            )
            .optional()?;
        match state.as_deref() {
            None => {
                seq += 1;
                add_location(tx, &child, location_id, seq, counted_by.as_deref())?;
            }
            Some("pending") => {}
            Some(_) => {
                // Started already: this line waits for a fresh recount.
                let later = insert_stocktake(tx, &recount, actor, now)?.0;
                add_location(tx, &later, location_id, 1, counted_by.as_deref())?;
                tx.execute(
                    "INSERT INTO stocktake_products (stocktake_id, location_id, product_id) VALUES (?1, ?2, ?3)",
                    params![later, location_id, product_id],
                )?;
                continue;
            }
        }
        tx.execute(
            "INSERT OR IGNORE INTO stocktake_products (stocktake_id, location_id, product_id) VALUES (?1, ?2, ?3)",
            params![child, location_id, product_id],
        )?;
    }
    Ok(())
}

/// Mark of the product as counted now, for the cycle schedule.
fn counted(tx: &Transaction, product_id: &str, now: Timestamp) -> Result<()> {
    tx.execute(
        "INSERT INTO product_counts (product_id, last_counted_at) VALUES (?1, ?2)
         ON CONFLICT (product_id) DO UPDATE SET last_counted_at = max(last_counted_at, excluded.last_counted_at)",
        params![product_id, micros(now)],
    )?;
    Ok(())
}

fn line_keys(
    tx: &Transaction,
    stocktake_id: &str,
    states: &[&str],
    keys: &LineKeys,
) -> Result<Vec<(String, String, Option<String>)>> {
    let all: Vec<(String, String, String, String, String, Option<String>)> = tx
        .prepare_cached(
            "SELECT cl.location_id, cl.product_id, l.code, p.sku, cl.state, cl.counted_by FROM stocktake_lines cl
             JOIN locations l ON l.id = cl.location_id JOIN products p ON p.id = cl.product_id
             WHERE cl.stocktake_id = ?1",
        )?
        .query_map([stocktake_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)))?
        .collect::<rusqlite::Result<_>>()?;
    match keys {
        None => Ok(all
            .into_iter()
            .filter(|l| states.contains(&l.4.as_str()))
            .map(|l| (l.0, l.1, l.5))
            .collect()),
        Some(keys) => {
            let mut chosen = Vec::new();
            for (code, sku) in keys {
                let line = all
                    .iter()
                    .find(|l| {
                        l.2.eq_ignore_ascii_case(code.trim())
                            && l.3.eq_ignore_ascii_case(sku.trim())
                    })
                    .ok_or_else(|| StoreError::NotFound(format!("line {sku} at {code}")))?;
                if !states.contains(&line.4.as_str()) {
                    return Err(StoreError::Conflict(format!(
                        "{sku} at {code} is {}; only {} lines can be",
                        line.4,
                        states.join(" or ")
                    )));
                }
                chosen.push((line.0.clone(), line.1.clone(), line.5.clone()));
            }
            Ok(chosen)
        }
    }
}

impl Store {
    pub fn stocktake(&self, key: &str) -> Result<StocktakeRow> {
        self.read(|c| load(c, &find(c, key)?))
    }

    /// Codes of the locations `username` is counting blind now: no route shows them an
    /// on-hand figure there.
    pub fn blind_locations(&self, username: &str) -> Result<BTreeSet<String>> {
        self.read(|c| {
            let rows: Vec<CountAtRow> = c
                .prepare_cached(
                    "SELECT l.code, s.blind, s.state, sl.state, sl.counter
                     FROM stocktakes s JOIN stocktake_locations sl ON sl.stocktake_id = s.id
                     JOIN locations l ON l.id = sl.location_id
                     WHERE s.state = 'counting' AND sl.counter = ?1",
                )?
                .query_map([username], count_at)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows
                .iter()
                .filter(|row| hides(row, username))
                .map(|row| row.0.clone())
                .collect())
        })
    }

    /// Stocktakes newest first, in one state or all; with `counter`, only those that
    /// counter may work on; older than the one numbered `before` when a page went before.
    pub fn stocktakes(
        &self,
        state: Option<&str>,
        counter: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<StocktakeRow>> {
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare_cached(
                    "SELECT s.id FROM stocktakes s WHERE (?1 IS NULL OR s.state = ?1)
                       AND (?2 IS NULL OR NOT EXISTS (SELECT 1 FROM stocktake_counters sc WHERE sc.stocktake_id = s.id)
                            OR EXISTS (SELECT 1 FROM stocktake_counters sc WHERE sc.stocktake_id = s.id AND sc.username = ?2))
                       AND (?3 IS NULL OR s.number < ?3)
                     ORDER BY s.number DESC LIMIT ?4",
                )?
                .query_map(params![state, counter, before, limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            ids.iter().map(|id| load(c, id)).collect()
        })
    }

    pub fn create_stocktake(
        &self,
        once: &IdempotencyKey,
        new: &NewStocktake,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&StocktakeRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                for counter in new.counters {
                    let known: bool = tx
                        .prepare_cached("SELECT 1 FROM users WHERE username = ?1 AND disabled = 0")?
                        .exists([counter])?;
                    if !known {
                        return Err(StoreError::Invalid(format!("counter {counter:?} is not an active user")));
                    }
                }
                // Location ids, and per location the products it is limited to.
                let (detail, places): (Vec<String>, BTreeMap<String, Vec<String>>) = match new.scope {
                    CountScope::Zone(zone) => {
                        let bins: Vec<String> = tx
                            .prepare_cached("SELECT id FROM locations WHERE zone = ?1 AND kind = 'bin'")?
                            .query_map([zone.trim()], |r| r.get(0))?
                            .collect::<rusqlite::Result<_>>()?;
                        if bins.is_empty() {
                            return Err(StoreError::Invalid(format!("zone {zone:?} has no bins")));
                        }
                        (vec![zone.trim().to_string()], bins.into_iter().map(|b| (b, Vec::new())).collect())
                    }
                    CountScope::Locations(codes) => {
                        let mut places = BTreeMap::new();
                        for code in codes {
                            places.insert(location(tx, code)?.0, Vec::new());
                        }
                        (codes.clone(), places)
                    }
                    CountScope::Products(skus) => {
                        let ids = skus.iter().map(|s| product_id(tx, s)).collect::<Result<Vec<_>>>()?;
                        (skus.clone(), where_products_are(tx, &ids)?)
                    }
                    CountScope::Cycle => {
                        let ids = due_products(tx, &new.schedule, new.cycle_limit, now)?;
                        let skus = ids
                            .iter()
                            .map(|id| Ok(tx.query_row("SELECT sku FROM products WHERE id = ?1", [id], |r| r.get(0))?))
                            .collect::<Result<Vec<String>>>()?;
                        (skus, where_products_are(tx, &ids)?)
                    }
                };
                if places.is_empty() {
                    return Err(StoreError::Conflict(
                        "nothing to count: no bin holds those products".into(),
                    ));
                }
                let heading = Heading {
                    scope: new.scope.kind(),
                    detail: &detail,
                    blind: new.blind,
                    tolerance: new.tolerance,
                    recount_of: None,
                    counters: new.counters,
                };
                let (id, _) = insert_stocktake(tx, &heading, actor, now)?;
                let limited = matches!(new.scope, CountScope::Products(_) | CountScope::Cycle);
                for (seq, location_id) in walk(tx, places.keys().cloned())?.into_iter().enumerate() {
                    add_location(tx, &id, &location_id, seq as i64 + 1, None)?;
                    if limited {
                        for product in &places[&location_id] {
                            tx.execute(
                                "INSERT INTO stocktake_products (stocktake_id, location_id, product_id) VALUES (?1, ?2, ?3)",
                                params![id, location_id, product],
                            )?;
                        }
                    }
                }
                let row = load(tx, &id)?;
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action: "stocktake.create",
                        entity_kind: "stocktake",
                        entity_id: &id,
                        detail: json!({"number": Document::Stocktake.number(row.number), "scope": row.scope, "locations": row.locations.len()}),
                    },
                )?;
                event(tx, now, "stocktake.created", &id, &json!({"number": Document::Stocktake.number(row.number)}))?;
                Ok(row)
            },
            respond,
        )
    }

    /// The counter begins a location: from now, stock moving there makes the count outdated.
    pub fn start_count(
        &self,
        once: &IdempotencyKey,
        key: &str,
        code: &str,
        counter: &str,
        now: Timestamp,
        respond: impl FnOnce(&StocktakeRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let place = place(tx, key, code)?;
                let assigned: Vec<String> = tx
                    .prepare_cached("SELECT username FROM stocktake_counters WHERE stocktake_id = ?1 ORDER BY username")?
                    .query_map([&place.stocktake_id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                if !assigned.is_empty() && !assigned.iter().any(|a| a == counter) {
                    return Err(StoreError::Conflict(format!(
                        "{} is assigned to {}",
                        Document::Stocktake.number(place.number),
                        assigned.join(", ")
                    )));
                }
                let not_counter: Option<String> = tx.query_row(
                    "SELECT not_counter FROM stocktake_locations WHERE stocktake_id = ?1 AND location_id = ?2",
                    params![place.stocktake_id, place.id],
                    |r| r.get(0),
                )?;
                if not_counter.as_deref() == Some(counter) {
                    return Err(StoreError::Conflict(format!(
                        "you counted {} before; the recount needs another counter",
                        place.code
                    )));
                }
                match place.state.as_str() {
                    "pending" => {
                        let mark = ledger::mark(tx)?;
                        tx.execute(
                            "UPDATE stocktake_locations SET state = 'counting', counter = ?3, started_at = ?4, started_mark = ?5
                             WHERE stocktake_id = ?1 AND location_id = ?2",
                            params![place.stocktake_id, place.id, counter, micros(now), mark],
                        )?;
                    }
                    // Coming back to a location one is counting resumes it.
                    _ => counting_here(&place, counter)?,
                }
                load(tx, &place.stocktake_id)
            },
            respond,
        )
    }

    /// A scan (or a typed quantity) at a location being counted.
    #[allow(clippy::too_many_arguments)]
    pub fn count_entry(
        &self,
        once: &IdempotencyKey,
        key: &str,
        code: &str,
        product: &str,
        entry: CountEntry,
        counter: &str,
        now: Timestamp,
        respond: impl FnOnce(&StocktakeRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let place = place(tx, key, code)?;
                counting_here(&place, counter)?;
                let product_id = product_id(tx, product)?;
                let limited: bool = tx
                    .prepare_cached("SELECT 1 FROM stocktake_products WHERE stocktake_id = ?1 AND location_id = ?2")?
                    .exists(params![place.stocktake_id, place.id])?;
                if limited {
                    let wanted: bool = tx
                        .prepare_cached("SELECT 1 FROM stocktake_products WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3")?
                        .exists(params![place.stocktake_id, place.id, product_id])?;
                    if !wanted {
                        return Err(StoreError::Conflict(format!(
                            "{product} is not part of this count at {}",
                            place.code
                        )));
                    }
                }
                let (add, set) = match entry {
                    CountEntry::Add(n) if n > 0 => (n, None),
                    CountEntry::Set(n) if (0..=1_000_000).contains(&n) => (0, Some(n)),
                    CountEntry::Add(n) | CountEntry::Set(n) => {
                        return Err(StoreError::Invalid(format!("{n} is not a quantity to count")));
                    }
                };
                tx.execute(
                    "INSERT INTO stocktake_lines (stocktake_id, location_id, product_id, counted, counted_by, counted_at)
                     VALUES (?1, ?2, ?3, COALESCE(?5, ?4), ?6, ?7)
                     ON CONFLICT (stocktake_id, location_id, product_id) DO UPDATE SET
                        counted = COALESCE(?5, counted + ?4), counted_by = ?6, counted_at = ?7",
                    params![place.stocktake_id, place.id, product_id, add, set, counter, micros(now)],
                )?;
                load(tx, &place.stocktake_id)
            },
            respond,
        )
    }

    /// Closes a counted location and judges its lines against the ledger. A location with
    /// nothing counted must be confirmed `empty`.
    #[allow(clippy::too_many_arguments)]
    pub fn close_count(
        &self,
        once: &IdempotencyKey,
        key: &str,
        code: &str,
        empty: bool,
        counter: &str,
        now: Timestamp,
        respond: impl FnOnce(&StocktakeRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let place = place(tx, key, code)?;
                counting_here(&place, counter)?;
                let mark = place
                    .started_mark
                    .ok_or_else(|| StoreError::Corrupt(format!("{} has no start mark", place.code)))?;
                let total: i64 = tx.query_row(
                    "SELECT COALESCE(sum(counted), 0) FROM stocktake_lines WHERE stocktake_id = ?1 AND location_id = ?2",
                    params![place.stocktake_id, place.id],
                    |r| r.get(0),
                )?;
                if total == 0 && !empty {
                    return Err(StoreError::Conflict(format!(
                        "nothing was counted at {}: confirm that it is empty",
                        place.code
                    )));
                }
                if total > 0 && empty {
                    return Err(StoreError::Conflict(format!(
                        "{total} units were counted at {}; it is not empty",
                        place.code
                    )));
                }
                // What the ledger has here and nobody scanned was counted as none.
                tx.execute(
                    &format!(
                        "INSERT INTO stocktake_lines (stocktake_id, location_id, product_id, counted, counted_by, counted_at)
                         SELECT sl.stocktake_id, sl.location_id, b.product_id, 0, ?3, ?4
                         FROM stocktake_locations sl JOIN stock_balances b ON b.location_id = sl.location_id
                         WHERE sl.stocktake_id = ?1 AND sl.location_id = ?2 AND b.on_hand > 0 AND {IN_SCOPE}
                         ON CONFLICT DO NOTHING"
                    ),
                    params![place.stocktake_id, place.id, counter, micros(now)],
                )?;
                let lines: Vec<(String, i64)> = tx
                    .prepare_cached("SELECT product_id, counted FROM stocktake_lines WHERE stocktake_id = ?1 AND location_id = ?2")?
                    .query_map(params![place.stocktake_id, place.id], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut to_recount = Vec::new();
                for (product_id, counted_qty) in lines {
                    let expected: i64 = tx
                        .query_row(
                            "SELECT on_hand FROM stock_balances WHERE product_id = ?1 AND location_id = ?2",
                            params![product_id, place.id],
                            |r| r.get(0),
                        )
                        .optional()?
                        .unwrap_or(0);
                    let value = unit_value(tx, &product_id)?;
                    let moved = ledger::moved_since(tx, &product_id, &place.id, mark)?;
                    let verdict = judge(expected, counted_qty, value, moved, place.tolerance);
                    let state = match verdict {
                        Verdict::Matched => "matched",
                        Verdict::Outdated => "outdated",
                        // A first count beyond tolerance is counted again by someone else;
                        // a recount's figure goes to review whatever it says.
                        Verdict::Variance { recount: true, .. } if place.recount_of.is_none() => {
                            to_recount.push((place.id.clone(), product_id.clone(), Some(counter.to_string())));
                            "variance"
                        }
                        Verdict::Variance { .. } => "variance",
                    };
                    tx.execute(
                        "UPDATE stocktake_lines SET expected = ?4, unit_value = ?5, state = ?6
                         WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
                        params![place.stocktake_id, place.id, product_id, expected, value, state],
                    )?;
                    if verdict != Verdict::Outdated {
                        counted(tx, &product_id, now)?;
                    }
                    if let Some(parent) = &place.recount_of {
                        // The recount's figure replaces the first count's, and is reviewed there.
                        tx.execute(
                            "UPDATE stocktake_lines SET state = 'recounted'
                             WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
                            params![place.stocktake_id, place.id, product_id],
                        )?;
                        tx.execute(
                            "UPDATE stocktake_lines SET counted = ?4, expected = ?5, unit_value = ?6, state = ?7, counted_by = ?8, counted_at = ?9
                             WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
                            params![parent, place.id, product_id, counted_qty, expected, value, state, counter, micros(now)],
                        )?;
                    }
                }
                tx.execute(
                    "UPDATE stocktake_locations SET state = 'closed', closed_at = ?3, empty = ?4 WHERE stocktake_id = ?1 AND location_id = ?2",
                    params![place.stocktake_id, place.id, micros(now), empty],
                )?;
                send_to_recount(tx, &place.stocktake_id, &to_recount, counter, now)?;
                settle(tx, &place.stocktake_id, now)?;
                if let Some(parent) = &place.recount_of {
                    settle(tx, parent, now)?;
                }
                load(tx, &place.stocktake_id)
            },
            respond,
        )
    }

    /// Approves variances: each becomes a count movement at its location, and stock
    /// changes only now. Nobody approves a line they counted, save an admin whom nobody
    /// else could relieve, with a reason that is audited.
    pub fn approve_variances(
        &self,
        once: &IdempotencyKey,
        key: &str,
        lines: &LineKeys,
        approver: &Approver,
        now: Timestamp,
        respond: impl FnOnce(&StocktakeRow) -> (u16, String),
    ) -> Result<Idempotent> {
        let actor = approver.username;
        self.write_once(
            once,
            now,
            |tx| {
                let id = find(tx, key)?;
                let (number, state, recount_of): (i64, String, Option<String>) = tx.query_row(
                    "SELECT number, state, recount_of FROM stocktakes WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )?;
                if state == "cancelled" {
                    return Err(StoreError::Conflict(format!("{} was cancelled", Document::Stocktake.number(number))));
                }
                // A recount's figures replaced the lines of the stocktake it belongs to and
                // are approved there; approving them here too would post them twice.
                if recount_of.is_some() {
                    return Err(StoreError::Conflict(
                        "review the stocktake this recount belongs to".into(),
                    ));
                }
                let chosen = line_keys(tx, &id, &["variance"], lines)?;
                let reference = Document::Stocktake.number(number);
                let managers = other_managers(tx, actor)?;
                let mut own = Vec::new();
                let mut self_reason = None;
                for (location_id, product_id, counted_by) in &chosen {
                    let case = ApprovalCase {
                        counter: counted_by.as_deref(),
                        approver: actor,
                        approver_role: approver.role,
                        another_manager: !managers.is_empty(),
                        reason: approver.reason,
                    };
                    match may_approve(&case) {
                        Ok(Approval::Approved) => {}
                        Ok(Approval::SelfApproved { reason }) => {
                            let (sku, code) = line_name(tx, location_id, product_id)?;
                            own.push(json!({"location": code, "sku": sku}));
                            self_reason = Some(reason);
                        }
                        Err(ApprovalRefused::BadReason(why)) => return Err(StoreError::Invalid(why)),
                        Err(refused) => {
                            let (sku, code) = line_name(tx, location_id, product_id)?;
                            let ask = match managers.len() {
                                0 => String::new(),
                                1..=3 => format!(" (ask {})", managers.join(" or ")),
                                n => format!(" (ask {}, or one of {} others)", managers[..3].join(", "), n - 3),
                            };
                            let detail = format!("{sku} at {code} in {reference}: {refused}{ask}");
                            // Asking again with a reason will do: clients tell it by type.
                            return Err(if refused == ApprovalRefused::ReasonNeeded {
                                StoreError::ReasonRequired(detail)
                            } else {
                                StoreError::SecondPersonRequired(detail)
                            });
                        }
                    }
                }
                for (location_id, product_id, _) in &chosen {
                    let (counted, expected): (i64, i64) = tx.query_row(
                        "SELECT counted, expected FROM stocktake_lines WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
                        params![id, location_id, product_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    let delta = counted - expected;
                    let here = Some(location_id.as_str());
                    let (from, to) = if delta < 0 { (here, None) } else { (None, here) };
                    if delta != 0 {
                        ledger::post(
                            tx,
                            &Movement {
                                product_id,
                                from,
                                to,
                                qty: delta.abs(),
                                units: Units::Free,
                                kind: MovementKind::Count,
                                reference: Some(&reference),
                                lot: None,
                                expiry: None,
                                actor,
                                at: now,
                            },
                        )?;
                    }
                    tx.execute(
                        "UPDATE stocktake_lines SET state = 'approved', reviewed_by = ?4, reviewed_at = ?5
                         WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
                        params![id, location_id, product_id, actor, micros(now)],
                    )?;
                }
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor,
                        action: "stocktake.approve",
                        entity_kind: "stocktake",
                        entity_id: &id,
                        detail: json!({"number": reference, "lines": chosen.len()}),
                    },
                )?;
                if let Some(reason) = self_reason {
                    audit(
                        tx,
                        &AuditWrite {
                            at: now,
                            actor,
                            action: "stocktake.self_approved",
                            entity_kind: "stocktake",
                            entity_id: &id,
                            detail: json!({"number": reference, "reason": reason, "lines": own}),
                        },
                    )?;
                }
                settle(tx, &id, now)?;
                load(tx, &id)
            },
            respond,
        )
    }

    /// Sends variances or outdated lines to be counted again.
    pub fn recount_lines(
        &self,
        once: &IdempotencyKey,
        key: &str,
        lines: &LineKeys,
        actor: &str,
        now: Timestamp,
        respond: impl FnOnce(&StocktakeRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let id = find(tx, key)?;
                let recount_of: Option<String> =
                    tx.query_row("SELECT recount_of FROM stocktakes WHERE id = ?1", [&id], |r| r.get(0))?;
                if recount_of.is_some() {
                    return Err(StoreError::Conflict(
                        "review the stocktake this recount belongs to".into(),
                    ));
                }
                let chosen = line_keys(tx, &id, &["variance", "outdated"], lines)?;
                if chosen.is_empty() {
                    return Err(StoreError::Conflict("no line waits for review".into()));
                }
                // An outdated count says nothing about its counter: anyone may count again.
                let mut sent = Vec::new();
                for (location_id, product_id, counted_by) in chosen {
                    let state: String = tx.query_row(
                        "SELECT state FROM stocktake_lines WHERE stocktake_id = ?1 AND location_id = ?2 AND product_id = ?3",
                        params![id, location_id, product_id],
                        |r| r.get(0),
                    )?;
                    let not = if state == "outdated" { None } else { counted_by };
                    sent.push((location_id, product_id, not));
                }
                send_to_recount(tx, &id, &sent, actor, now)?;
                settle(tx, &id, now)?;
                load(tx, &id)
            },
            respond,
        )
    }

    /// The report as `viewer` may read it: the figures leave out lines at locations the
    /// viewer is counting blind, which would otherwise give their expected quantities away.
    pub fn stocktake_report(&self, key: &str, viewer: &str) -> Result<StocktakeReport> {
        self.read(|c| {
            let id = find(c, key)?;
            let stocktake = load(c, &id)?;
            let finals: Vec<CountedLine> = stocktake
                .lines
                .iter()
                .filter(|l| ["matched", "variance", "approved"].contains(&l.state.as_str()))
                .filter(|l| {
                    !stocktake
                        .kept_blind
                        .iter()
                        .any(|(at, counter)| *at == l.location && counter == viewer)
                })
                .filter_map(|l| {
                    Some(CountedLine {
                        expected: l.expected?,
                        counted: l.counted,
                        unit_value: l.unit_value?,
                    })
                })
                .collect();
            // The first count and its recounts together.
            type Visit = (Option<i64>, Option<i64>, Option<String>, String);
            let family: Vec<Visit> = c
                .prepare_cached(
                    "SELECT sl.started_at, sl.closed_at, sl.counter, sl.state FROM stocktake_locations sl
                     JOIN stocktakes s ON s.id = sl.stocktake_id WHERE s.id = ?1 OR s.recount_of = ?1",
                )?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let started_at = family.iter().filter_map(|f| f.0).min().map(timestamp).transpose()?;
            let finished_at = match stocktake.state.as_str() {
                "counting" => None,
                _ => family.iter().filter_map(|f| f.1).max().map(timestamp).transpose()?,
            };
            let line_counts: Vec<(String, i64)> = c
                .prepare_cached(
                    "SELECT cl.counted_by, count(*) FROM stocktake_lines cl JOIN stocktakes s ON s.id = cl.stocktake_id
                     WHERE (s.id = ?1 AND s.recount_of IS NULL OR s.recount_of = ?1) AND cl.counted_by IS NOT NULL
                       AND cl.state <> 'counting' GROUP BY cl.counted_by",
                )?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            let mut counters: BTreeMap<String, (usize, usize)> = BTreeMap::new();
            for (_, _, counter, state) in &family {
                if let (Some(counter), "closed") = (counter, state.as_str()) {
                    counters.entry(counter.clone()).or_default().0 += 1;
                }
            }
            for (counter, lines) in line_counts {
                counters.entry(counter).or_default().1 = lines as usize;
            }
            let closed: BTreeSet<&str> = stocktake
                .locations
                .iter()
                .filter(|l| l.state == "closed")
                .map(|l| l.code.as_str())
                .collect();
            Ok(StocktakeReport {
                accuracy: accuracy(&finals),
                locations_total: stocktake.locations.len(),
                locations_counted: closed.len(),
                started_at,
                finished_at,
                counters: counters.into_iter().map(|(c, (l, n))| (c, l, n)).collect(),
                stocktake,
            })
        })
    }
}
