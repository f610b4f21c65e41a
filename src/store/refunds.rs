//! Refunds and replacements decided on a ticket. Up to the service policy's limit they take
//! effect at once; above it they wait for a second person with the permission, never the
//! one who asked (maker-checker).

use jiff::Timestamp;
use rusqlite::{Connection, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::intake::place_replacement;
use super::tickets::{say, ticket_by_key};
use super::{
    IdempotencyKey, Idempotent, Result, Store, StoreError, micros, next_number, timestamp,
};
use crate::domain::money::{Currency, Money};
use crate::domain::order::{OrderNumber, OrderStatus};
use crate::domain::remedy::{self, RemedyRefusal};
use crate::domain::routing::RoutingRules;
use crate::domain::stock::Document;
use crate::domain::ticket::AuthorKind;

#[derive(Debug, Clone, PartialEq)]
pub struct RefundRow {
    pub id: String,
    pub number: i64,
    pub ticket_number: i64,
    pub order_number: OrderNumber,
    /// refund or replacement.
    pub kind: String,
    pub amount: Money,
    /// For a replacement: `(line_no, qty)` sent again.
    pub lines: Vec<(i64, i64)>,
    pub reason: String,
    /// awaiting_approval, approved or rejected.
    pub status: String,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
    pub created_at: Timestamp,
    /// The order that sends an approved replacement.
    pub replacement_order: Option<OrderNumber>,
}

/// What an agent asks for.
#[derive(Debug, Clone)]
pub enum RefundAsk<'a> {
    /// Money back, in the order's currency.
    Refund { amount_minor: i64 },
    /// The same goods again, at no charge: `(line_no, qty)`.
    Replacement { lines: &'a [(i64, i64)] },
}

const REFUND_SELECT: &str = "SELECT f.id, f.number, t.number, o.number, f.kind, f.amount_minor, f.currency, f.lines,
        f.reason, f.status, f.requested_by, f.decided_by, f.decided_at, f.decision_note, f.created_at, ro.number
    FROM refunds f JOIN tickets t ON t.id = f.ticket_id JOIN orders o ON o.id = f.order_id
    LEFT JOIN orders ro ON ro.id = f.replacement_order_id";

#[allow(clippy::type_complexity)]
/// Every refund and replacement on an order, as the limit and the cap judge them.
/// An order line as remedies judge it: units ordered, price paid, catalogue price.
struct LineFacts {
    ordered: i64,
    paid_minor: i64,
    catalogue_minor: Option<i64>,
}

fn order_lines(
    tx: &Transaction,
    order_id: &str,
) -> Result<std::collections::HashMap<i64, LineFacts>> {
    let mut stmt = tx.prepare_cached(
        "SELECT line_no, qty, unit_price_minor, catalogue_price_minor FROM order_lines WHERE order_id = ?1",
    )?;
    let lines = stmt
        .query_map([order_id], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                LineFacts {
                    ordered: r.get(1)?,
                    paid_minor: r.get(2)?,
                    catalogue_minor: r.get(3)?,
                },
            ))
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(lines)
}

/// What replacing `lines` is worth, paid and to the shop (`remedy::Worth`).
fn replacement_worth(
    lines: &[(i64, i64)],
    facts: &std::collections::HashMap<i64, LineFacts>,
) -> remedy::Worth {
    let (mut paid, mut shop) = (0i64, 0i64);
    for (line_no, qty) in lines {
        if let Some(f) = facts.get(line_no) {
            paid = paid.saturating_add(f.paid_minor.saturating_mul(*qty));
            let dearer = f.paid_minor.max(f.catalogue_minor.unwrap_or(0));
            shop = shop.saturating_add(dearer.saturating_mul(*qty));
        }
    }
    remedy::Worth {
        paid_minor: paid.max(1),
        shop_minor: shop.max(1),
    }
}

/// Every refund and replacement on an order, as the limit and the cap judge them, and the
/// units of each line replaced so far.
fn given_on_order(
    tx: &Transaction,
    order_id: &str,
    facts: &std::collections::HashMap<i64, LineFacts>,
) -> Result<(Vec<remedy::Given>, std::collections::HashMap<i64, i64>)> {
    let mut stmt = tx.prepare_cached(
        "SELECT kind, amount_minor, status, lines FROM refunds WHERE order_id = ?1",
    )?;
    let rows = stmt
        .query_map([order_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut given = Vec::with_capacity(rows.len());
    let mut replaced: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    for (kind, amount, status, lines) in rows {
        let rejected = status == "rejected";
        let worth = if kind == "replacement" {
            let lines: Vec<(i64, i64)> = serde_json::from_str(&lines)
                .map_err(|e| StoreError::Corrupt(format!("a replacement's lines: {e}")))?;
            if !rejected {
                for (line_no, qty) in &lines {
                    *replaced.entry(*line_no).or_default() += qty;
                }
            }
            remedy::Worth {
                paid_minor: amount,
                shop_minor: replacement_worth(&lines, facts).shop_minor.max(amount),
            }
        } else {
            remedy::Worth::money(amount)
        };
        given.push(remedy::Given { worth, rejected });
    }
    Ok((given, replaced))
}

fn refunds_where(
    c: &Connection,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
    limit: usize,
) -> Result<Vec<RefundRow>> {
    let raws = c
        .prepare_cached(&format!(
            "{REFUND_SELECT} WHERE {condition} ORDER BY f.number DESC LIMIT {limit}"
        ))?
        .query_map(args, |r| {
            Ok((
                (
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ),
                (
                    r.get::<_, i64>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, String>(9)?,
                ),
                (
                    r.get::<_, String>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    r.get::<_, Option<i64>>(12)?,
                    r.get::<_, Option<String>>(13)?,
                    r.get::<_, i64>(14)?,
                ),
                r.get::<_, Option<i64>>(15)?,
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter()
        .map(
            |(
                (id, number, ticket, order, kind),
                (amount, currency, lines, reason, status),
                (requested_by, decided_by, decided_at, note, created),
                replacement,
            )| {
                let currency = Currency::parse(&currency)
                    .map_err(|e| StoreError::Corrupt(format!("refund {number}: {e}")))?;
                Ok(RefundRow {
                    id,
                    number,
                    ticket_number: ticket,
                    order_number: OrderNumber(order as u64),
                    kind,
                    amount: Money::new(amount, currency),
                    lines: serde_json::from_str(&lines)
                        .map_err(|e| StoreError::Corrupt(format!("refund {number} lines: {e}")))?,
                    reason,
                    status,
                    requested_by,
                    decided_by,
                    decided_at: decided_at.map(timestamp).transpose()?,
                    decision_note: note,
                    created_at: timestamp(created)?,
                    replacement_order: replacement.map(|n| OrderNumber(n as u64)),
                })
            },
        )
        .collect()
}

pub(super) fn refunds_of(c: &Connection, ticket_id: &str) -> Result<Vec<RefundRow>> {
    refunds_where(c, "f.ticket_id = ?1", &[&ticket_id], 100)
}

fn refund_by_key(c: &Connection, key: &str) -> Result<RefundRow> {
    let number = Document::Refund.parse(key).unwrap_or(-1);
    refunds_where(c, "f.id = ?1 OR f.number = ?2", &[&key, &number], 1)?
        .pop()
        .ok_or_else(|| StoreError::NotFound(format!("refund {key:?}")))
}

/// Once a replacement is approved, its goods go out as an order of their own.
fn send_replacement(
    tx: &Transaction,
    refund_id: &str,
    rules: &RoutingRules,
    actor: &str,
    now: Timestamp,
) -> Result<Option<OrderNumber>> {
    let row = refund_by_key(tx, refund_id)?;
    if row.kind != "replacement" {
        return Ok(None);
    }
    let order_id: String = tx.query_row(
        "SELECT order_id FROM refunds WHERE id = ?1",
        [refund_id],
        |r| r.get(0),
    )?;
    let rf_no = Document::Refund.number(row.number);
    let placed = place_replacement(tx, &order_id, &row.lines, &rf_no, rules, actor, now)?;
    tx.execute(
        "UPDATE refunds SET replacement_order_id = ?2 WHERE id = ?1",
        params![refund_id, placed.order.id],
    )?;
    Ok(Some(placed.order.number))
}

fn sent_text(sent: Option<OrderNumber>) -> String {
    sent.map(|so| format!("; replacement order {so} placed"))
        .unwrap_or_default()
}

impl Store {
    pub fn refund(&self, key: &str) -> Result<RefundRow> {
        self.read(|c| refund_by_key(c, key))
    }

    /// Refunds and replacements, newest first; `status` filters; older than the one
    /// numbered `before` when a page went before.
    pub fn refunds(
        &self,
        status: Option<&str>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<RefundRow>> {
        let status = status.unwrap_or("");
        self.read(|c| {
            refunds_where(
                c,
                "(?1 = '' OR f.status = ?1) AND (?2 IS NULL OR f.number < ?2)",
                &[&status, &before],
                limit,
            )
        })
    }

    /// Asks for a refund or replacement on a ticket's order. While everything given on the
    /// order, this included, stays within `limit_minor` it is approved at once; above, it
    /// waits for a second person.
    #[allow(clippy::too_many_arguments)]
    pub fn request_refund(
        &self,
        once: &IdempotencyKey,
        ticket: &str,
        ask: &RefundAsk,
        reason: &str,
        actor: &str,
        limit_minor: i64,
        rules: &RoutingRules,
        now: Timestamp,
        respond: impl FnOnce(&RefundRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let found = ticket_by_key(tx, ticket)?;
                let (ticket_id, ticket_number, order_id) = (found.id, found.number, found.order_id);
                let tk = Document::Ticket.number(ticket_number);
                let order_id = order_id
                    .ok_or_else(|| StoreError::Conflict(format!("{tk} has no order to refund or replace")))?;
                let (order_number, status, total, currency): (i64, String, i64, String) = tx.query_row(
                    "SELECT number, status, total_minor, currency FROM orders WHERE id = ?1",
                    [&order_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )?;
                let so = OrderNumber(order_number as u64);
                if status == OrderStatus::Cancelled.as_str() {
                    return Err(StoreError::Conflict(format!("{so} is cancelled; nothing was charged to refund")));
                }
                let currency_of = |minor: i64| -> Result<Money> {
                    Ok(Money::new(minor, Currency::parse(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?))
                };
                let facts = order_lines(tx, &order_id)?;
                let (given, replaced) = given_on_order(tx, &order_id, &facts)?;
                let (kind, worth, lines) = match ask {
                    RefundAsk::Refund { amount_minor } => ("refund", remedy::Worth::money(*amount_minor), Vec::new()),
                    RefundAsk::Replacement { lines } => {
                        if lines.is_empty() {
                            return Err(StoreError::Invalid("choose at least one order line to replace".into()));
                        }
                        let mut seen = std::collections::HashSet::new();
                        for &(line_no, qty) in lines.iter() {
                            if !seen.insert(line_no) {
                                return Err(StoreError::Invalid(format!("line {line_no} is listed twice")));
                            }
                            let line = facts
                                .get(&line_no)
                                .ok_or_else(|| StoreError::Invalid(format!("{so} has no line {line_no}")))?;
                            let replaced_before = replaced.get(&line_no).copied().unwrap_or(0);
                            remedy::check_units(line_no, line.ordered, replaced_before, qty)
                                .map_err(|e| StoreError::Invalid(format!("{so}: {e}")))?;
                        }
                        ("replacement", replacement_worth(lines, &facts), lines.to_vec())
                    }
                };
                let amount = worth.paid_minor;
                let judgement = remedy::judge(worth, total, &given, limit_minor).map_err(|refusal| match refusal {
                    RemedyRefusal::Nothing => StoreError::Invalid(format!("{so}: a refund must be at least 0.01")),
                    RemedyRefusal::MoreThanPaid { asked_minor, left_minor } => match (currency_of(asked_minor), currency_of(left_minor)) {
                        (Ok(asked), Ok(left)) => StoreError::Invalid(format!(
                            "{so}: this {kind} is worth {asked}, but only {left} of what the customer paid is left to refund or replace"
                        )),
                        (Err(e), _) | (_, Err(e)) => e,
                    },
                    other @ RemedyRefusal::MoreUnitsThanOrdered { .. } => {
                        StoreError::Invalid(format!("{so}: {other}"))
                    }
                })?;
                let needs_approval = judgement.needs_approval;
                let status = if needs_approval { "awaiting_approval" } else { "approved" };
                let id = Uuid::now_v7().to_string();
                let rf = next_number(tx, "refunds")?;
                let lines_json = serde_json::to_string(&lines).map_err(|e| StoreError::Invalid(e.to_string()))?;
                tx.execute(
                    "INSERT INTO refunds (id, number, ticket_id, order_id, kind, amount_minor, currency, lines, reason, status,
                        requested_by, decided_at, decision_note, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                    params![
                        id,
                        rf,
                        ticket_id,
                        order_id,
                        kind,
                        amount,
                        currency,
                        lines_json,
                        reason,
                        status,
                        actor,
                        (!needs_approval).then_some(micros(now)),
                        (!needs_approval).then_some("within the agent's limit"),
                        micros(now)
                    ],
                )?;
                let rf_no = Document::Refund.number(rf);
                let sent = if needs_approval { None } else { send_replacement(tx, &id, rules, actor, now)? };
                let row = refund_by_key(tx, &id)?;
                let said = if needs_approval {
                    format!(
                        "{rf_no}: {kind} of {} asked by {actor}; with all else given on {so} it comes to {}, above the limit, so it waits for a second person's approval.",
                        row.amount,
                        currency_of(judgement.total_given_minor)?
                    )
                } else {
                    format!("{rf_no}: {kind} of {} by {actor}, in effect{}.", row.amount, sent_text(sent))
                };
                say(tx, &ticket_id, now, AuthorKind::System, "backroom", &said)?;
                let what = if needs_approval { "refund.awaiting_approval" } else { "refund.approved" };
                event(tx, now, what, &id, &json!({ "number": rf_no, "kind": kind, "amount_minor": amount, "currency": currency, "order": so.to_string() }))?;
                audit(tx, &AuditWrite {
                    at: now,
                    actor,
                    action: "refund.request",
                    entity_kind: "refund",
                    entity_id: &id,
                    detail: json!({ "number": rf_no, "kind": kind, "amount_minor": amount, "status": status }),
                })?;
                Ok(row)
            },
            respond,
        )
    }

    /// Approves or rejects a refund waiting for a second person. The one who asked cannot.
    #[allow(clippy::too_many_arguments)]
    pub fn decide_refund(
        &self,
        once: &IdempotencyKey,
        key: &str,
        approve: bool,
        note: &str,
        actor: &str,
        rules: &RoutingRules,
        now: Timestamp,
        respond: impl FnOnce(&RefundRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let row = refund_by_key(tx, key)?;
                let rf_no = Document::Refund.number(row.number);
                if row.status != "awaiting_approval" {
                    return Err(StoreError::Conflict(format!("{rf_no} is {} already", row.status.replace('_', " "))));
                }
                if row.requested_by == actor {
                    return Err(StoreError::NotAllowed(format!(
                        "{rf_no} was asked for by you; a second person must approve or reject it"
                    )));
                }
                let status = if approve { "approved" } else { "rejected" };
                tx.execute(
                    "UPDATE refunds SET status = ?2, decided_by = ?3, decided_at = ?4, decision_note = ?5 WHERE id = ?1",
                    params![row.id, status, actor, micros(now), note],
                )?;
                let sent = if approve { send_replacement(tx, &row.id, rules, actor, now)? } else { None };
                let ticket_id: String = tx.query_row("SELECT ticket_id FROM refunds WHERE id = ?1", [&row.id], |r| r.get(0))?;
                say(tx, &ticket_id, now, AuthorKind::System, "backroom", &format!("{rf_no} {status} by {actor}: {note}{}.", sent_text(sent)))?;
                event(tx, now, &format!("refund.{status}"), &row.id, &json!({ "number": rf_no, "kind": row.kind, "amount_minor": row.amount.minor }))?;
                audit(tx, &AuditWrite {
                    at: now,
                    actor,
                    action: if approve { "refund.approve" } else { "refund.reject" },
                    entity_kind: "refund",
                    entity_id: &row.id,
                    detail: json!({ "number": rf_no, "note": note }),
                })?;
                refund_by_key(tx, &row.id)
            },
            respond,
        )
    }
}
