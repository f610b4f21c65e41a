//! Pick lists: built from orders ready to pick, claimed by one picker, confirmed line by
//! line. A short pick writes off what was not there, takes the rest from another bin if
//! stock exists, and otherwise flags the order for ops.

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

use super::Transaction;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::{IdempotencyKey, Idempotent, record_change};
use super::ledger::{self, Movement, Units};
use super::{Result, Store, StoreError, micros, next_number, timestamp};
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::picking::{
    ListCaps, PickListNumber, PickMode, ShortReason, Waiting, WalkKey, next_list,
};
use crate::domain::stock::MovementKind;

#[derive(Debug, Clone, PartialEq)]
pub struct PickListRow {
    pub id: String,
    pub number: PickListNumber,
    pub mode: PickMode,
    pub state: String,
    pub picker: Option<String>,
    pub created_at: Timestamp,
    pub claimed_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    pub orders: Vec<PickListOrderRow>,
    pub lines: Vec<PickLineRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickListOrderRow {
    pub order_id: String,
    pub number: OrderNumber,
    pub slot: i64,
    pub status: String,
    pub tote: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PickLineRow {
    pub seq: i64,
    pub order_number: OrderNumber,
    pub slot: i64,
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub lot_tracked: bool,
    pub location: String,
    pub qty: i64,
    pub picked: i64,
    pub short: i64,
    pub state: String,
    pub lots: Vec<PickedLot>,
}

/// Units of one lot taken for a line; the expiry as `YYYY-MM-DD` when the label had one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PickedLot {
    pub lot: String,
    #[serde(default)]
    pub expiry: Option<String>,
    pub qty: i64,
}

/// A confirmation from the floor, keyed by the console's mutation id.
pub struct PickWrite<'a> {
    pub list: &'a str,
    pub seq: i64,
    pub picker: &'a str,
    pub now: Timestamp,
}

const PRIORITY_RANK: &str =
    "CASE o.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END";

impl Store {
    /// Plans the next list from the orders waiting, for a supervisor to hand out; `None`
    /// when no order waits.
    pub fn create_pick_list(
        &self,
        mode: PickMode,
        caps: ListCaps,
        actor: &str,
        now: Timestamp,
    ) -> Result<Option<PickListRow>> {
        self.write(|tx| {
            build(tx, mode, caps, actor, now)?
                .map(|id| load(tx, &id))
                .transpose()
        })
    }

    /// The picker's list: the one they already hold, else the oldest planned one, else a
    /// new one from the orders waiting. One writer at a time, so two pickers never get the
    /// same list. `None` when there is nothing to pick.
    pub fn claim_pick_list(
        &self,
        picker: &str,
        mode: PickMode,
        caps: ListCaps,
        now: Timestamp,
    ) -> Result<Option<PickListRow>> {
        self.write(|tx| {
            let held: Option<String> = tx
                .query_row(
                    "SELECT id FROM pick_lists WHERE state = 'claimed' AND picker = ?1 ORDER BY number LIMIT 1",
                    [picker],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(id) = held {
                return load(tx, &id).map(Some);
            }
            let id = match planned(tx)? {
                Some(id) => id,
                None => match build(tx, mode, caps, picker, now)? {
                    Some(id) => id,
                    None => return Ok(None),
                },
            };
            claim(tx, &id, picker, now)?;
            load(tx, &id).map(Some)
        })
    }

    pub fn pick_list(&self, key: &str) -> Result<Option<PickListRow>> {
        self.read(|c| find(c, key)?.map(|id| load(c, &id)).transpose())
    }

    /// Lists in `state` (`open`, `claimed`, `done`), oldest first; only `picker`'s when
    /// given; after the list numbered `after` when a page went before.
    pub fn pick_lists(
        &self,
        state: &str,
        picker: Option<&str>,
        after: Option<i64>,
        limit: usize,
    ) -> Result<Vec<PickListRow>> {
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare_cached(
                    "SELECT id FROM pick_lists WHERE state = ?1 AND (?2 IS NULL OR picker = ?2)
                       AND (?3 IS NULL OR number > ?3)
                     ORDER BY number LIMIT ?4",
                )?
                .query_map(params![state, picker, after, limit as i64], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            ids.iter().map(|id| load(c, id)).collect()
        })
    }

    /// Sets how many units of a line are in the cart (not a delta: sending it twice is
    /// harmless), with their lots. The line is done when all are there.
    pub fn confirm_pick(
        &self,
        once: &IdempotencyKey,
        at: &PickWrite,
        picked: i64,
        lots: &[PickedLot],
        respond: impl FnOnce(&PickListRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.once(once, at.now, respond, |tx| {
            let line = held_line(tx, at)?;
            if line.state == "short" {
                return Err(StoreError::Conflict(format!(
                    "line {} was reported short already",
                    at.seq
                )));
            }
            if !(0..=line.qty).contains(&picked) {
                return Err(StoreError::Invalid(format!(
                    "line {} wants {} of {}; {picked} cannot be picked",
                    at.seq, line.qty, line.sku
                )));
            }
            check_lots(&line, picked, lots)?;
            carry(tx, &line, at, picked, lots)?;
            let state = if picked == line.qty { "picked" } else { "open" };
            let lots = serde_json::to_string(lots)
                .map_err(|e| StoreError::Corrupt(format!("lots: {e}")))?;
            tx.execute(
                "UPDATE pick_lines SET picked = ?3, state = ?4, lots = ?5, updated_at = ?6 WHERE list_id = ?1 AND seq = ?2",
                params![line.list_id, at.seq, picked, state, lots, micros(at.now)],
            )?;
            Ok(line.list_id)
        })
    }

    /// The picker found fewer than the line wants (`picked` of them). What was not there is
    /// written off at that bin; the rest of the line comes from other bins with free stock,
    /// as new lines at the end of the walk; what no bin has is back-ordered and the order
    /// flagged, to go to ops when the list is finished.
    pub fn report_short(
        &self,
        once: &IdempotencyKey,
        at: &PickWrite,
        picked: i64,
        reason: ShortReason,
        lots: &[PickedLot],
        respond: impl FnOnce(&PickListRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.once(once, at.now, respond, |tx| {
            let line = held_line(tx, at)?;
            if line.state != "open" {
                return Err(StoreError::Conflict(format!(
                    "line {} is {} already",
                    at.seq, line.state
                )));
            }
            if !(0..line.qty).contains(&picked) {
                return Err(StoreError::Invalid(format!(
                    "a short pick takes fewer than the {} line {} wants, not {picked}",
                    line.qty, at.seq
                )));
            }
            check_lots(&line, picked, lots)?;
            carry(tx, &line, at, picked, lots)?;
            short(tx, &line, at, picked, reason, lots)?;
            Ok(line.list_id)
        })
    }

    /// Closes a list whose lines are all picked or short. Orders with units no bin had go
    /// to hold for ops; the others wait for packing.
    pub fn finish_pick_list(
        &self,
        once: &IdempotencyKey,
        list: &str,
        picker: &str,
        now: Timestamp,
        respond: impl FnOnce(&PickListRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.once(once, now, respond, |tx| {
            let id = find(tx, list)?.ok_or_else(|| StoreError::NotFound(format!("pick list {list:?}")))?;
            let number = holder(tx, &id, picker)?;
            let open: Vec<i64> = tx
                .prepare_cached(
                    "SELECT l.seq FROM pick_lines l JOIN orders o ON o.id = l.order_id
                     WHERE l.list_id = ?1 AND l.state = 'open' AND o.status = 'picking' ORDER BY l.seq",
                )?
                .query_map([&id], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if !open.is_empty() {
                let seqs: Vec<String> = open.iter().map(i64::to_string).collect();
                return Err(StoreError::Conflict(format!(
                    "{number} still has lines to pick: {}; pick them or report them short",
                    seqs.join(", ")
                )));
            }
            let unfilled: Vec<(String, String)> = tx
                .prepare_cached(
                    "SELECT o.id, group_concat(ol.sku || ' short by ' || ol.backordered, ', ')
                     FROM pick_list_orders p JOIN orders o ON o.id = p.order_id
                     JOIN order_lines ol ON ol.order_id = o.id AND ol.backordered > 0
                     WHERE p.list_id = ?1 AND o.status = 'picking' AND instr(',' || o.flags || ',', ',short_pick,') > 0
                     GROUP BY o.id",
                )?
                .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?;
            for (order_id, what) in unfilled {
                let why = format!("short pick on {number}: {what}");
                tx.execute(
                    "UPDATE orders SET status = 'hold', queue = 'hold', updated_at = ?2 WHERE id = ?1",
                    params![order_id, micros(now)],
                )?;
                record_change(tx, &order_id, Some(OrderStatus::Picking), OrderStatus::Hold, picker, Some(&why), now)?;
                event(tx, now, "order.status", &order_id, &json!({ "from": "picking", "to": "hold" }))?;
            }
            tx.execute(
                "UPDATE pick_lists SET state = 'done', finished_at = ?2 WHERE id = ?1",
                params![id, micros(now)],
            )?;
            event(tx, now, "pick_list.finished", &id, &json!({ "number": number.to_string(), "picker": picker }))?;
            Ok(id)
        })
    }

    /// Puts the order in cart slot `slot` into tote `tote`. A tote holds one order until
    /// that order is packed; the same assignment again changes nothing.
    #[allow(clippy::too_many_arguments)]
    pub fn assign_tote(
        &self,
        once: &IdempotencyKey,
        list: &str,
        slot: i64,
        tote: &str,
        picker: &str,
        now: Timestamp,
        respond: impl FnOnce(&PickListRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.once(once, now, respond, |tx| {
            let id = find(tx, list)?.ok_or_else(|| StoreError::NotFound(format!("pick list {list:?}")))?;
            holder(tx, &id, picker)?;
            let in_use: Option<(i64, i64)> = tx
                .query_row(
                    "SELECT o.number, p.slot FROM pick_list_orders p JOIN orders o ON o.id = p.order_id
                     WHERE p.tote = ?1 AND o.status = 'picking' AND NOT (p.list_id = ?2 AND p.slot = ?3)",
                    params![tote, id, slot],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((number, _)) = in_use {
                return Err(StoreError::Conflict(format!(
                    "{tote} holds {} until it is packed; take another tote",
                    OrderNumber(number as u64)
                )));
            }
            let changed = tx.execute(
                "UPDATE pick_list_orders SET tote = ?3 WHERE list_id = ?1 AND slot = ?2",
                params![id, slot, tote],
            )?;
            if changed != 1 {
                return Err(StoreError::NotFound(format!("slot {slot} on {list}")));
            }
            Ok(id)
        })
    }

    /// A write at most once per idempotency key, answering with the list it changed.
    fn once(
        &self,
        key: &IdempotencyKey,
        now: Timestamp,
        respond: impl FnOnce(&PickListRow) -> (u16, String),
        change: impl FnOnce(&Transaction) -> Result<String>,
    ) -> Result<Idempotent> {
        self.write_once(
            key,
            now,
            |tx| {
                let id = change(tx)?;
                load(tx, &id)
            },
            respond,
        )
    }
}

fn find(c: &Connection, key: &str) -> Result<Option<String>> {
    let number = PickListNumber::parse(key).map(|n| n.0 as i64).unwrap_or(-1);
    Ok(c.query_row(
        "SELECT id FROM pick_lists WHERE id = ?1 OR number = ?2",
        params![key, number],
        |r| r.get(0),
    )
    .optional()?)
}

/// The oldest planned list with an order still waiting; lists whose orders all went
/// elsewhere (held, cancelled) meanwhile are closed on the way.
fn planned(tx: &Transaction) -> Result<Option<String>> {
    loop {
        let Some(id): Option<String> = tx
            .query_row(
                "SELECT id FROM pick_lists WHERE state = 'open' ORDER BY number LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?
        else {
            return Ok(None);
        };
        tx.execute(
            "DELETE FROM pick_lines WHERE list_id = ?1 AND order_id IN
               (SELECT p.order_id FROM pick_list_orders p JOIN orders o ON o.id = p.order_id
                WHERE p.list_id = ?1 AND o.status <> 'ready_to_pick')",
            [&id],
        )?;
        tx.execute(
            "DELETE FROM pick_list_orders WHERE list_id = ?1 AND order_id IN
               (SELECT id FROM orders WHERE status <> 'ready_to_pick')",
            [&id],
        )?;
        let left: i64 = tx.query_row(
            "SELECT count(*) FROM pick_list_orders WHERE list_id = ?1",
            [&id],
            |r| r.get(0),
        )?;
        if left > 0 {
            return Ok(Some(id));
        }
        // Nothing left to pick on it: closed, picked by nobody.
        tx.execute(
            "UPDATE pick_lists SET state = 'done', finished_at = created_at WHERE id = ?1",
            [&id],
        )?;
    }
}

/// What each reservation of a waiting order still needs picked, per bin.
struct Outstanding {
    order_id: String,
    line_no: i64,
    location_id: String,
    location: String,
    qty: i64,
}

/// Units of a reservation `r` that no list has picked yet.
const STILL_TO_PICK: &str = "r.qty - COALESCE((SELECT sum(p.picked) FROM pick_lines p
    WHERE p.order_id = r.order_id AND p.line_no = r.line_no AND p.location_id = r.location_id), 0)";

fn outstanding(tx: &Transaction, order_id: &str) -> Result<Vec<Outstanding>> {
    let rows = tx
        .prepare_cached(&format!(
            "SELECT r.line_no, r.location_id, loc.code, {STILL_TO_PICK}
             FROM order_reservations r JOIN locations loc ON loc.id = r.location_id
             WHERE r.order_id = ?1"
        ))?
        .query_map([order_id], |r| {
            Ok(Outstanding {
                order_id: order_id.to_string(),
                line_no: r.get(0)?,
                location_id: r.get(1)?,
                location: r.get(2)?,
                qty: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows.into_iter().filter(|o| o.qty > 0).collect())
}

/// How many waiting orders a new list is chosen from.
const WAITING_LOOKAHEAD: i64 = 500;

fn build(
    tx: &Transaction,
    mode: PickMode,
    caps: ListCaps,
    actor: &str,
    now: Timestamp,
) -> Result<Option<String>> {
    // Most urgent first: priority, then the soonest ship-by, then the oldest; each with the
    // number of lines it would add, counted in one statement.
    let waiting: Vec<Waiting> = tx
        .prepare_cached(&format!(
            "SELECT o.id, (SELECT count(*) FROM order_reservations r WHERE r.order_id = o.id AND {STILL_TO_PICK} > 0)
             FROM orders o
             WHERE o.status = 'ready_to_pick'
               AND NOT EXISTS (SELECT 1 FROM pick_list_orders p JOIN pick_lists l ON l.id = p.list_id
                               WHERE p.order_id = o.id AND l.state <> 'done')
             ORDER BY {PRIORITY_RANK}, o.ship_by IS NULL, o.ship_by, o.created_at, o.number
             LIMIT ?1"
        ))?
        .query_map([WAITING_LOOKAHEAD], |r| {
            Ok(Waiting {
                order_id: r.get(0)?,
                lines: r.get(1)?,
            })
        })?
        .filter(|w| w.as_ref().map_or(true, |w| w.lines > 0))
        .collect::<rusqlite::Result<_>>()?;
    let chosen: Vec<String> = next_list(&waiting, mode, caps)
        .into_iter()
        .map(|w| w.order_id.clone())
        .collect();
    if chosen.is_empty() {
        return Ok(None);
    }
    let id = Uuid::now_v7().to_string();
    let number = next_number(tx, "pick_lists")?;
    tx.execute(
        "INSERT INTO pick_lists (id, number, mode, state, created_by, created_at) VALUES (?1, ?2, ?3, 'open', ?4, ?5)",
        params![id, number, mode.as_str(), actor, micros(now)],
    )?;
    let mut walk: Vec<(WalkKey, i64, Outstanding)> = Vec::new();
    for (slot, order_id) in chosen.iter().enumerate() {
        let slot = slot as i64 + 1;
        tx.execute(
            "INSERT INTO pick_list_orders (list_id, order_id, slot) VALUES (?1, ?2, ?3)",
            params![id, order_id, slot],
        )?;
        walk.extend(
            outstanding(tx, order_id)?
                .into_iter()
                .map(|l| (WalkKey::of(&l.location), slot, l)),
        );
    }
    walk.sort_by(|a, b| (&a.0, a.1, a.2.line_no).cmp(&(&b.0, b.1, b.2.line_no)));
    for (seq, (_, _, line)) in walk.iter().enumerate() {
        tx.execute(
            "INSERT INTO pick_lines (list_id, seq, order_id, line_no, location_id, qty) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, seq as i64 + 1, line.order_id, line.line_no, line.location_id, line.qty],
        )?;
    }
    audit(
        tx,
        &AuditWrite {
            at: now,
            actor,
            action: "pick_list.create",
            entity_kind: "pick_list",
            entity_id: &id,
            detail: json!({ "number": number, "mode": mode.as_str(), "orders": chosen.len(), "lines": walk.len() }),
        },
    )?;
    Ok(Some(id))
}

fn claim(tx: &Transaction, id: &str, picker: &str, now: Timestamp) -> Result<()> {
    let changed = tx.execute(
        "UPDATE pick_lists SET state = 'claimed', picker = ?2, claimed_at = ?3 WHERE id = ?1 AND state = 'open'",
        params![id, picker, micros(now)],
    )?;
    if changed != 1 {
        return Err(StoreError::Conflict(
            "someone else took this pick list".into(),
        ));
    }
    let (number, orders): (i64, Vec<String>) = (
        tx.query_row("SELECT number FROM pick_lists WHERE id = ?1", [id], |r| {
            r.get(0)
        })?,
        tx.prepare_cached(
            "SELECT order_id FROM pick_list_orders WHERE list_id = ?1 ORDER BY slot",
        )?
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?,
    );
    let why = format!("on pick list {}", PickListNumber(number as u64));
    for order_id in &orders {
        tx.execute(
            "UPDATE orders SET status = 'picking', updated_at = ?2 WHERE id = ?1",
            params![order_id, micros(now)],
        )?;
        record_change(
            tx,
            order_id,
            Some(OrderStatus::ReadyToPick),
            OrderStatus::Picking,
            picker,
            Some(&why),
            now,
        )?;
        event(
            tx,
            now,
            "order.status",
            order_id,
            &json!({ "from": "ready_to_pick", "to": "picking" }),
        )?;
    }
    event(
        tx,
        now,
        "pick_list.claimed",
        id,
        &json!({ "number": PickListNumber(number as u64).to_string(), "picker": picker }),
    )?;
    audit(
        tx,
        &AuditWrite {
            at: now,
            actor: picker,
            action: "pick_list.claim",
            entity_kind: "pick_list",
            entity_id: id,
            detail: json!({ "number": number }),
        },
    )?;
    Ok(())
}

/// The list's number, refusing anyone but the picker who holds it.
fn holder(tx: &Transaction, id: &str, picker: &str) -> Result<PickListNumber> {
    let (number, state, holder): (i64, String, Option<String>) = tx.query_row(
        "SELECT number, state, picker FROM pick_lists WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let number = PickListNumber(number as u64);
    match (state.as_str(), holder) {
        ("claimed", Some(h)) if h == picker => Ok(number),
        ("claimed", Some(h)) => Err(StoreError::Conflict(format!(
            "{number} is being picked by {h}"
        ))),
        ("done", _) => Err(StoreError::Conflict(format!("{number} is finished"))),
        _ => Err(StoreError::Conflict(format!(
            "{number} has not been claimed; claim it first"
        ))),
    }
}

struct HeldLine {
    list_id: String,
    list_number: PickListNumber,
    order_id: String,
    order_number: OrderNumber,
    line_no: i64,
    product_id: String,
    sku: String,
    lot_tracked: bool,
    location_id: String,
    location: String,
    qty: i64,
    picked: i64,
    lots: Vec<PickedLot>,
    state: String,
}

/// The line to confirm, on a list the picker holds, of an order still being picked.
fn held_line(tx: &Transaction, at: &PickWrite) -> Result<HeldLine> {
    let id = find(tx, at.list)?
        .ok_or_else(|| StoreError::NotFound(format!("pick list {:?}", at.list)))?;
    let number = holder(tx, &id, at.picker)?;
    let line = tx
        .query_row(
            "SELECT l.order_id, o.number, l.line_no, ol.product_id, ol.sku, p.lot_tracked, l.location_id, loc.code,
                    l.qty, l.state, o.status, l.picked, l.lots
             FROM pick_lines l JOIN orders o ON o.id = l.order_id
             JOIN order_lines ol ON ol.order_id = l.order_id AND ol.line_no = l.line_no
             JOIN products p ON p.id = ol.product_id JOIN locations loc ON loc.id = l.location_id
             WHERE l.list_id = ?1 AND l.seq = ?2",
            params![id, at.seq],
            |r| {
                Ok((
                    HeldLine {
                        list_id: id.clone(),
                        list_number: number,
                        order_id: r.get(0)?,
                        order_number: OrderNumber(r.get::<_, i64>(1)? as u64),
                        line_no: r.get(2)?,
                        product_id: r.get(3)?,
                        sku: r.get(4)?,
                        lot_tracked: r.get(5)?,
                        location_id: r.get(6)?,
                        location: r.get(7)?,
                        qty: r.get(8)?,
                        picked: r.get(11)?,
                        lots: Vec::new(),
                        state: r.get(9)?,
                    },
                    r.get::<_, String>(10)?,
                    r.get::<_, String>(12)?,
                ))
            },
        )
        .optional()?;
    let (mut line, status, lots) =
        line.ok_or_else(|| StoreError::NotFound(format!("line {} on {number}", at.seq)))?;
    line.lots = serde_json::from_str(&lots)
        .map_err(|e| StoreError::Corrupt(format!("lots of line {}: {e}", at.seq)))?;
    if status != OrderStatus::Picking.as_str() {
        let label = status
            .parse::<OrderStatus>()
            .map_or_else(|_| "changed".to_string(), |s| s.label().to_lowercase());
        return Err(StoreError::Conflict(format!(
            "{} is {label} now; put its items back",
            line.order_number
        )));
    }
    Ok(line)
}

/// A lot-tracked product names the lot of every unit; others name none.
fn check_lots(line: &HeldLine, picked: i64, lots: &[PickedLot]) -> Result<()> {
    if !line.lot_tracked {
        if !lots.is_empty() {
            return Err(StoreError::Invalid(format!(
                "{} is not lot-tracked; send no lots",
                line.sku
            )));
        }
        return Ok(());
    }
    if lots.iter().any(|l| l.qty <= 0 || l.lot.trim().is_empty()) {
        return Err(StoreError::Invalid(
            "each lot needs a lot number and a quantity above 0".into(),
        ));
    }
    let total: i64 = lots.iter().map(|l| l.qty).sum();
    if total != picked {
        return Err(StoreError::Invalid(format!(
            "{} is lot-tracked: the lots add up to {total}, but {picked} were picked",
            line.sku
        )));
    }
    Ok(())
}

fn short(
    tx: &Transaction,
    line: &HeldLine,
    at: &PickWrite,
    picked: i64,
    reason: ShortReason,
    lots: &[PickedLot],
) -> Result<()> {
    let missing = line.qty - picked;
    let reference = line.list_number.to_string();
    let lots_json =
        serde_json::to_string(lots).map_err(|e| StoreError::Corrupt(format!("lots: {e}")))?;
    tx.execute(
        "UPDATE pick_lines SET picked = ?3, short = ?4, state = 'short', lots = ?5, updated_at = ?6 WHERE list_id = ?1 AND seq = ?2",
        params![line.list_id, at.seq, picked, missing, lots_json, micros(at.now)],
    )?;
    // The order no longer holds the missing units at this bin…
    tx.execute(
        "DELETE FROM order_reservations WHERE order_id = ?1 AND line_no = ?2 AND location_id = ?3 AND qty = ?4",
        params![line.order_id, line.line_no, line.location_id, missing],
    )?;
    tx.execute(
        "UPDATE order_reservations SET qty = qty - ?4 WHERE order_id = ?1 AND line_no = ?2 AND location_id = ?3 AND qty > ?4",
        params![line.order_id, line.line_no, line.location_id, missing],
    )?;
    // …and they are not there: the bin's figure is corrected so nobody else is sent for them.
    if missing > 0 {
        ledger::post(
            tx,
            &Movement {
                product_id: &line.product_id,
                from: Some(&line.location_id),
                to: None,
                qty: missing,
                units: Units::Reserved,
                kind: MovementKind::PickShort,
                reference: Some(&format!("{reference} {}", reason.as_str())),
                lot: None,
                expiry: None,
                actor: at.picker,
                at: at.now,
            },
        )?;
    }
    let mut needed = missing;
    let others: Vec<(String, i64)> = tx
        .prepare_cached(
            "SELECT b.location_id, b.on_hand - b.reserved FROM stock_balances b
             JOIN locations loc ON loc.id = b.location_id AND loc.kind = 'bin'
             WHERE b.product_id = ?1 AND b.location_id <> ?2 AND b.on_hand > b.reserved
             ORDER BY b.on_hand - b.reserved DESC, loc.code",
        )?
        .query_map(params![line.product_id, line.location_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    for (location_id, free) in others {
        if needed == 0 {
            break;
        }
        let take = free.min(needed);
        let updated = tx.execute(
            "UPDATE stock_balances SET reserved = reserved + ?3, version = version + 1
             WHERE product_id = ?1 AND location_id = ?2 AND on_hand - reserved >= ?3",
            params![line.product_id, location_id, take],
        )?;
        if updated != 1 {
            continue;
        }
        tx.execute(
            "INSERT INTO order_reservations (order_id, line_no, location_id, qty) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (order_id, line_no, location_id) DO UPDATE SET qty = qty + excluded.qty",
            params![line.order_id, line.line_no, location_id, take],
        )?;
        tx.execute(
            "INSERT INTO pick_lines (list_id, seq, order_id, line_no, location_id, qty)
             VALUES (?1, (SELECT max(seq) + 1 FROM pick_lines WHERE list_id = ?1), ?2, ?3, ?4, ?5)",
            params![line.list_id, line.order_id, line.line_no, location_id, take],
        )?;
        needed -= take;
    }
    if needed > 0 {
        tx.execute(
            "UPDATE order_lines SET backordered = backordered + ?3 WHERE order_id = ?1 AND line_no = ?2",
            params![line.order_id, line.line_no, needed],
        )?;
        tx.execute(
            "UPDATE orders SET flags = CASE WHEN flags = '' THEN 'short_pick'
                 WHEN instr(',' || flags || ',', ',short_pick,') > 0 THEN flags ELSE flags || ',short_pick' END,
               updated_at = ?2
             WHERE id = ?1",
            params![line.order_id, micros(at.now)],
        )?;
    }
    event(
        tx,
        at.now,
        "pick.short",
        &line.order_id,
        &json!({ "list": reference, "order": line.order_number.to_string(), "sku": line.sku, "location": line.location,
                 "missing": missing, "reallocated": missing - needed, "unfilled": needed, "reason": reason.as_str() }),
    )?;
    audit(
        tx,
        &AuditWrite {
            at: at.now,
            actor: at.picker,
            action: "pick.short",
            entity_kind: "order",
            entity_id: &line.order_id,
            detail: json!({ "list": reference, "sku": line.sku, "location": line.location, "missing": missing,
                            "reallocated": missing - needed, "reason": reason.as_str() }),
        },
    )?;
    Ok(())
}

fn load(c: &Connection, id: &str) -> Result<PickListRow> {
    let (number, mode, state, picker, created_at, claimed_at, finished_at): (
        i64,
        String,
        String,
        Option<String>,
        i64,
        Option<i64>,
        Option<i64>,
    ) = c.query_row(
        "SELECT number, mode, state, picker, created_at, claimed_at, finished_at FROM pick_lists WHERE id = ?1",
        [id],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)),
    )?;
    let orders = c
        .prepare_cached(
            "SELECT p.order_id, o.number, p.slot, o.status, p.tote FROM pick_list_orders p JOIN orders o ON o.id = p.order_id
             WHERE p.list_id = ?1 ORDER BY p.slot",
        )?
        .query_map([id], |r| {
            Ok(PickListOrderRow {
                order_id: r.get(0)?,
                number: OrderNumber(r.get::<_, i64>(1)? as u64),
                slot: r.get(2)?,
                status: r.get(3)?,
                tote: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let lines = c
        .prepare_cached(
            "SELECT l.seq, o.number, p.slot, l.line_no, ol.sku, ol.name, pr.barcode, pr.lot_tracked, loc.code,
                    l.qty, l.picked, l.short, l.state, l.lots
             FROM pick_lines l JOIN orders o ON o.id = l.order_id
             JOIN pick_list_orders p ON p.list_id = l.list_id AND p.order_id = l.order_id
             JOIN order_lines ol ON ol.order_id = l.order_id AND ol.line_no = l.line_no
             JOIN products pr ON pr.id = ol.product_id JOIN locations loc ON loc.id = l.location_id
             WHERE l.list_id = ?1 ORDER BY l.seq",
        )?
        .query_map([id], |r| {
            Ok((
                PickLineRow {
                    seq: r.get(0)?,
                    order_number: OrderNumber(r.get::<_, i64>(1)? as u64),
                    slot: r.get(2)?,
                    line_no: r.get(3)?,
                    sku: r.get(4)?,
                    name: r.get(5)?,
                    barcode: r.get(6)?,
                    lot_tracked: r.get(7)?,
                    location: r.get(8)?,
                    qty: r.get(9)?,
                    picked: r.get(10)?,
                    short: r.get(11)?,
                    state: r.get(12)?,
                    lots: Vec::new(),
                },
                r.get::<_, String>(13)?,
            ))
        })?
        .map(|row| {
            let (mut line, lots) = row?;
            line.lots = serde_json::from_str(&lots)
                .map_err(|e| StoreError::Corrupt(format!("lots of pick line {}: {e}", line.seq)))?;
            Ok(line)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(PickListRow {
        id: id.to_string(),
        number: PickListNumber(number as u64),
        mode: PickMode::parse(&mode)
            .ok_or_else(|| StoreError::Corrupt(format!("pick list mode {mode:?}")))?,
        state,
        picker,
        created_at: timestamp(created_at)?,
        claimed_at: claimed_at.map(timestamp).transpose()?,
        finished_at: finished_at.map(timestamp).transpose()?,
        orders,
        lines,
    })
}

/// Picked units leave the bin for the shipping dock as they go on the cart (and come back
/// if the picker lowers the count), still reserved for their order: the bin's figure is
/// true the moment the picker confirms, which is what a stocktake there compares with.
fn carry(
    tx: &Transaction,
    line: &HeldLine,
    at: &PickWrite,
    picked: i64,
    lots: &[PickedLot],
) -> Result<()> {
    if picked == line.picked {
        return Ok(());
    }
    let dock: String = tx
        .query_row(
            "SELECT id FROM locations WHERE kind = 'shipping' ORDER BY code LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .ok_or_else(|| {
            StoreError::Conflict("there is no shipping location to take picked units to".into())
        })?;
    // Per lot, what changed since the last confirmation; units without a lot make up the rest.
    let mut changes: Vec<(Option<&PickedLot>, i64)> = Vec::new();
    for lot in lots {
        let before: i64 = line
            .lots
            .iter()
            .filter(|l| l.lot == lot.lot)
            .map(|l| l.qty)
            .sum();
        changes.push((Some(lot), lot.qty - before));
    }
    for old in &line.lots {
        if !lots.iter().any(|l| l.lot == old.lot) {
            changes.push((Some(old), -old.qty));
        }
    }
    let by_lot: i64 = changes.iter().map(|(_, d)| d).sum();
    changes.push((None, picked - line.picked - by_lot));
    let reference = line.list_number.to_string();
    for (lot, delta) in changes.into_iter().filter(|(_, d)| *d != 0) {
        let (from, to) = if delta > 0 {
            (line.location_id.as_str(), dock.as_str())
        } else {
            (dock.as_str(), line.location_id.as_str())
        };
        let qty = delta.abs();
        ledger::post(
            tx,
            &Movement {
                product_id: &line.product_id,
                from: Some(from),
                to: Some(to),
                qty,
                units: Units::Reserved,
                kind: MovementKind::Pick,
                reference: Some(&reference),
                lot: lot.map(|l| l.lot.as_str()),
                expiry: lot.and_then(|l| l.expiry.as_deref()),
                actor: at.picker,
                at: at.now,
            },
        )?;
        move_reservation(tx, &line.order_id, line.line_no, from, to, qty)?;
    }
    Ok(())
}

/// The order's claim on `qty` units goes with them from one location to another.
fn move_reservation(
    tx: &Transaction,
    order_id: &str,
    line_no: i64,
    from: &str,
    to: &str,
    qty: i64,
) -> Result<()> {
    let held: i64 = tx
        .query_row(
            "SELECT qty FROM order_reservations WHERE order_id = ?1 AND line_no = ?2 AND location_id = ?3",
            params![order_id, line_no, from],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(0);
    if held < qty {
        return Err(StoreError::Conflict(format!(
            "the order holds {held} units there, not {qty}"
        )));
    }
    if held == qty {
        tx.execute(
            "DELETE FROM order_reservations WHERE order_id = ?1 AND line_no = ?2 AND location_id = ?3",
            params![order_id, line_no, from],
        )?;
    } else {
        tx.execute(
            "UPDATE order_reservations SET qty = qty - ?4 WHERE order_id = ?1 AND line_no = ?2 AND location_id = ?3",
            params![order_id, line_no, from, qty],
        )?;
    }
    tx.execute(
        "INSERT INTO order_reservations (order_id, line_no, location_id, qty) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (order_id, line_no, location_id) DO UPDATE SET qty = qty + excluded.qty",
        params![order_id, line_no, to, qty],
    )?;
    Ok(())
}
