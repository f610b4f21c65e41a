//! Help-desk tickets: opened from customers' messages, by agents and by carrier trouble;
//! answered, noted, assigned, escalated, resolved and reopened. Every change writes the
//! conversation, the event feed and the audit log in one transaction.

use std::collections::BTreeMap;

use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::Transaction;
use serde_json::json;
use uuid::Uuid;

use super::audit::{AuditWrite, append as audit};
use super::events::append as event;
use super::orders::{OrderDetailRow, OrderRow, customer_orders, load_detail};
use super::reply_book::faq_book;
use super::{
    IdempotencyKey, Idempotent, Result, Store, StoreError, micros, next_number, timestamp,
};
use crate::domain::carrier::CarrierSettings;
use crate::domain::order::OrderNumber;
use crate::domain::reply_template::{TemplateValues, fill};
use crate::domain::routing::Priority;
use crate::domain::service_policy::ServicePolicy;
use crate::domain::stock::Document;
use crate::domain::ticket::{
    AuthorKind, ResolutionCode, SlaClock, TicketKind, TicketSource, TicketStatus, is_customer_of,
};

/// What the help desk works by: the service policy and the carriers (for names, tracking
/// links and transit days in replies).
#[derive(Clone, Copy)]
pub struct DeskRules<'a> {
    pub policy: &'a ServicePolicy,
    pub carriers: &'a BTreeMap<String, CarrierSettings>,
}

/// A customer's message as the storefront or mail gateway hands it over.
#[derive(Debug, Clone)]
pub struct IncomingMessage<'a> {
    pub customer_email: &'a str,
    pub customer_name: Option<&'a str>,
    pub order_number: Option<OrderNumber>,
    /// The ticket the customer answers, when the gateway knows it.
    pub ticket_number: Option<i64>,
    pub subject: &'a str,
    pub body: &'a str,
    pub kind: Option<TicketKind>,
    pub priority: Option<Priority>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageOutcome {
    /// A new ticket.
    Opened,
    /// Added to the open ticket it answers.
    Appended,
    /// Answered a resolved ticket within the reopen window: open again.
    Reopened,
    /// Answered a ticket resolved too long ago: a new ticket pointing back to it.
    FollowUp,
}

impl MessageOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageOutcome::Opened => "opened",
            MessageOutcome::Appended => "appended",
            MessageOutcome::Reopened => "reopened",
            MessageOutcome::FollowUp => "follow_up",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoReply {
    pub rule: String,
    pub body: String,
    pub keep_open: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageTaken {
    pub ticket: TicketRow,
    pub outcome: MessageOutcome,
    pub auto_reply: Option<AutoReply>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketRow {
    pub id: String,
    pub number: i64,
    pub kind: TicketKind,
    pub status: TicketStatus,
    pub priority: Priority,
    pub source: TicketSource,
    pub subject: String,
    pub customer_email: String,
    pub customer_name: String,
    pub customer_id: Option<String>,
    pub order_id: Option<String>,
    pub order_number: Option<OrderNumber>,
    pub assignee: Option<String>,
    pub follow_up_of: Option<i64>,
    pub clock: SlaClock,
    pub escalated_at: Option<Timestamp>,
    pub escalation_reason: Option<String>,
    pub resolved_at: Option<Timestamp>,
    pub resolution_code: Option<ResolutionCode>,
    pub reopened: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TicketMessageRow {
    pub at: Timestamp,
    pub author_kind: AuthorKind,
    pub author: String,
    pub body: String,
}

/// A ticket with everything an agent needs on one screen.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketDetail {
    pub ticket: TicketRow,
    pub messages: Vec<TicketMessageRow>,
    /// The linked order, with its lines, shipment and tracking events.
    pub order: Option<OrderDetailRow>,
    /// The customer's latest orders.
    pub customer_orders: Vec<OrderRow>,
    /// The customer's other tickets, newest first.
    pub past_tickets: Vec<TicketRow>,
    /// What canned replies may say about this ticket.
    pub values: TemplateValues,
    pub returns: Vec<super::ReturnRow>,
    pub refunds: Vec<super::RefundRow>,
    pub csat: Option<CsatRow>,
}

/// A customer's answer to the satisfaction survey of a ticket.
#[derive(Debug, Clone, Copy)]
pub struct CsatAnswer<'a> {
    pub ticket: &'a str,
    /// Who answers: only the ticket's customer may.
    pub customer_email: &'a str,
    pub score: i64,
    pub comment: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsatRow {
    pub agent: String,
    pub requested_at: Timestamp,
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub answered_at: Option<Timestamp>,
}

/// Which tickets a queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketView {
    /// Everything still open or waiting.
    All,
    /// Assigned to this user (id).
    Mine(String),
    Unassigned,
    /// The supervisor queue: escalated and not resolved.
    Escalated,
    /// Resolved tickets, newest first.
    Resolved,
}

#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub view: TicketView,
    pub kind: Option<TicketKind>,
    /// Where the page before ended.
    pub after: Option<TicketCursor>,
    pub limit: usize,
}

/// Position after the last ticket of a page: the key its queue sorts by (the deadline that
/// matters now, or when it was resolved in the resolved queue, in microseconds) and its
/// number, which breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketCursor {
    pub resolved: bool,
    pub key: i64,
    pub number: i64,
}

impl TicketCursor {
    /// The cursor after `ticket` in the queue `view`.
    pub fn after(ticket: &TicketRow, view: &TicketView) -> TicketCursor {
        let resolved = *view == TicketView::Resolved;
        let key = if resolved {
            ticket.resolved_at.map_or(0, |t| t.as_microsecond())
        } else {
            ticket.clock.next_due().as_microsecond()
        };
        TicketCursor {
            resolved,
            key,
            number: ticket.number,
        }
    }

    pub fn encode(&self) -> String {
        let queue = if self.resolved { "resolved" } else { "due" };
        format!("{queue}.{}.{}", self.key, self.number)
    }

    pub fn decode(s: &str) -> Option<TicketCursor> {
        let mut parts = s.split('.');
        let resolved = match parts.next()? {
            "resolved" => true,
            "due" => false,
            _ => return None,
        };
        let cursor = TicketCursor {
            resolved,
            key: parts.next()?.parse().ok()?,
            number: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(cursor)
    }

    /// Whether it came from a page of `view`: a resolved queue's position means nothing
    /// in a queue sorted by deadline.
    pub fn fits(&self, view: &TicketView) -> bool {
        self.resolved == (*view == TicketView::Resolved)
    }
}

/// Who is acting on a ticket.
#[derive(Debug, Clone, Copy)]
pub struct Agent<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub display_name: &'a str,
}

/// One change an agent makes to a ticket.
#[derive(Debug, Clone)]
pub enum TicketChange<'a> {
    Reply(&'a str),
    Note(&'a str),
    /// A user name, or `None` to leave it unassigned.
    Assign(Option<&'a str>),
    Escalate(&'a str),
    Prioritise(Priority),
    Resolve {
        code: ResolutionCode,
        note: Option<&'a str>,
    },
}

const TICKET_SELECT: &str = "SELECT t.id, t.number, t.kind, t.status, t.priority, t.source, t.subject,
        t.customer_email, t.customer_name, t.customer_id, o.number, u.username, f.number,
        t.first_response_due, t.resolution_due, t.first_responded_at, t.escalated_at,
        t.escalation_reason, t.resolved_at, t.resolution_code, t.reopened, t.created_at, t.updated_at,
        t.order_id
    FROM tickets t
    LEFT JOIN orders o ON o.id = t.order_id
    LEFT JOIN users u ON u.id = t.assignee_id
    LEFT JOIN tickets f ON f.id = t.follow_up_of";

/// The deadline that matters now, as SQL over `t`.
const NEXT_DUE: &str =
    "CASE WHEN t.first_responded_at IS NULL AND t.first_response_due < t.resolution_due
    THEN t.first_response_due ELSE t.resolution_due END";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("ticket {what} {value:?}"))
}

fn ticket_row(r: &Row) -> rusqlite::Result<Result<TicketRow>> {
    let kind: String = r.get(2)?;
    let status: String = r.get(3)?;
    let priority: String = r.get(4)?;
    let source: String = r.get(5)?;
    let code: Option<String> = r.get(19)?;
    let times = (
        r.get::<_, i64>(13)?,
        r.get::<_, i64>(14)?,
        r.get::<_, Option<i64>>(15)?,
        r.get::<_, Option<i64>>(16)?,
        r.get::<_, Option<i64>>(18)?,
        r.get::<_, i64>(21)?,
        r.get::<_, i64>(22)?,
    );
    let id: String = r.get(0)?;
    let number: i64 = r.get(1)?;
    let subject: String = r.get(6)?;
    let customer_email: String = r.get(7)?;
    let customer_name: String = r.get(8)?;
    let customer_id: Option<String> = r.get(9)?;
    let order_number: Option<i64> = r.get(10)?;
    let assignee: Option<String> = r.get(11)?;
    let follow_up_of: Option<i64> = r.get(12)?;
    let escalation_reason: Option<String> = r.get(17)?;
    let reopened: i64 = r.get(20)?;
    let order_id: Option<String> = r.get(23)?;
    Ok((|| {
        let (first_due, resolution_due, responded, escalated, resolved, created, updated) = times;
        Ok(TicketRow {
            kind: TicketKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
            status: TicketStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))?,
            source: TicketSource::parse(&source).ok_or_else(|| corrupt("source", &source))?,
            resolution_code: code
                .map(|c| ResolutionCode::parse(&c).ok_or_else(|| corrupt("resolution", &c)))
                .transpose()?,
            clock: SlaClock {
                first_response_due: timestamp(first_due)?,
                resolution_due: timestamp(resolution_due)?,
                first_responded_at: responded.map(timestamp).transpose()?,
            },
            escalated_at: escalated.map(timestamp).transpose()?,
            resolved_at: resolved.map(timestamp).transpose()?,
            created_at: timestamp(created)?,
            updated_at: timestamp(updated)?,
            id,
            number,
            subject,
            customer_email,
            customer_name,
            customer_id,
            order_id,
            order_number: order_number.map(|n| OrderNumber(n as u64)),
            assignee,
            follow_up_of,
            escalation_reason,
            reopened,
        })
    })())
}

fn tickets_where(
    c: &Connection,
    condition: &str,
    args: &[&dyn rusqlite::ToSql],
    order: &str,
    limit: usize,
) -> Result<Vec<TicketRow>> {
    let sql = format!("{TICKET_SELECT} WHERE {condition} ORDER BY {order} LIMIT {limit}");
    let rows = c
        .prepare_cached(&sql)?
        .query_map(args, ticket_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().collect()
}

/// A ticket by id or number (`TK-000012`, `12`).
pub(super) fn ticket_by_key(c: &Connection, key: &str) -> Result<TicketRow> {
    let number = Document::Ticket.parse(key).unwrap_or(-1);
    tickets_where(
        c,
        "t.id = ?1 OR t.number = ?2",
        &[&key, &number],
        "t.number",
        1,
    )?
    .pop()
    .ok_or_else(|| StoreError::NotFound(format!("ticket {key:?}")))
}

fn messages(c: &Connection, ticket_id: &str) -> Result<Vec<TicketMessageRow>> {
    let rows = c
        .prepare_cached("SELECT at, author_kind, author, body FROM ticket_messages WHERE ticket_id = ?1 ORDER BY id")?
        .query_map([ticket_id], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(at, kind, author, body)| {
            Ok(TicketMessageRow {
                at: timestamp(at)?,
                author_kind: AuthorKind::parse(&kind)
                    .ok_or_else(|| corrupt("author kind", &kind))?,
                author,
                body,
            })
        })
        .collect()
}

pub(super) fn say(
    tx: &Transaction,
    ticket_id: &str,
    at: Timestamp,
    kind: AuthorKind,
    author: &str,
    body: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO ticket_messages (ticket_id, at, author_kind, author, body) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ticket_id, micros(at), kind.as_str(), author, body],
    )?;
    tx.execute(
        "UPDATE tickets SET updated_at = ?2 WHERE id = ?1",
        params![ticket_id, micros(at)],
    )?;
    Ok(())
}

pub(super) fn announce(
    tx: &Transaction,
    now: Timestamp,
    what: &str,
    ticket: &TicketRow,
) -> Result<()> {
    event(
        tx,
        now,
        what,
        &ticket.id,
        &json!({
            "number": Document::Ticket.number(ticket.number),
            "status": ticket.status.as_str(),
            "kind": ticket.kind.as_str(),
            "priority": ticket.priority.as_str(),
            "assignee": ticket.assignee,
            "escalated": ticket.escalated_at.is_some(),
        }),
    )?;
    Ok(())
}

/// The customer on file with this e-mail address (case-insensitive): id and name.
fn customer_by_email(c: &Connection, email: &str) -> Result<Option<(String, String)>> {
    Ok(c.query_row(
        "SELECT id, name FROM customers WHERE email = ?1 COLLATE NOCASE",
        [email.trim()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .optional()?)
}

/// The order a message is about: the one it names if it is this customer's, else the
/// customer's latest. An order of someone else is never linked: an auto-reply would tell
/// a stranger where the parcel is.
fn order_for(
    c: &Connection,
    customer_id: Option<&str>,
    named: Option<OrderNumber>,
) -> Result<Option<String>> {
    let Some(customer) = customer_id else {
        return Ok(None);
    };
    if let Some(n) = named {
        let own: Option<String> = c
            .query_row(
                "SELECT id FROM orders WHERE number = ?1 AND customer_id = ?2",
                params![n.0 as i64, customer],
                |r| r.get(0),
            )
            .optional()?;
        if own.is_some() {
            return Ok(own);
        }
    }
    Ok(c.query_row(
        "SELECT id FROM orders WHERE customer_id = ?1 ORDER BY created_at DESC, number DESC LIMIT 1",
        [customer],
        |r| r.get(0),
    )
    .optional()?)
}

fn human(word: &str) -> String {
    word.replace('_', " ")
}

/// What replies may say about a customer's order and ticket, from live data.
fn template_values(
    c: &Connection,
    customer_name: &str,
    order_id: Option<&str>,
    ticket_number: Option<i64>,
    agent: Option<&str>,
    rules: DeskRules,
    now: Timestamp,
) -> Result<TemplateValues> {
    let mut v = TemplateValues::default();
    v.set("customer.name", customer_name);
    v.set("return.policy", rules.policy.return_policy.as_str());
    if let Some(n) = ticket_number {
        v.set("ticket.number", Document::Ticket.number(n));
    }
    if let Some(agent) = agent {
        v.set("agent.name", agent);
    }
    let Some(order_id) = order_id else {
        return Ok(v);
    };
    let order = load_detail(c, order_id)?;
    v.set("order.number", order.order.number.to_string());
    v.set("order.status", human(order.order.status.as_str()));
    let tz = rules.policy.hours.tz().clone();
    let date = |t: Timestamp| t.to_zoned_datetime(tz.clone()).date().to_string();
    let carrier_code = order
        .shipment
        .as_ref()
        .map(|s| s.carrier.clone())
        .or(order.carrier.clone());
    let carrier = carrier_code.as_deref().and_then(|c| rules.carriers.get(c));
    if let Some(code) = &carrier_code {
        v.set(
            "order.carrier",
            carrier.map_or(code.clone(), |c| c.name.clone()),
        );
    }
    let transit =
        jiff::SignedDuration::from_hours(24 * i64::from(carrier.map_or(2, |c| c.transit_days)));
    match &order.shipment {
        Some(shipment) => {
            v.set("tracking.number", shipment.tracking_no.as_str());
            if let Some(link) = carrier.and_then(|c| c.tracking_link(&shipment.tracking_no)) {
                v.set("tracking.url", link);
            }
            let latest = shipment.events.last();
            v.set(
                "tracking.latest",
                latest.map_or_else(
                    || "handed to the carrier".to_string(),
                    |e| {
                        let mut s = human(&e.kind);
                        for part in [&e.location, &e.description].into_iter().flatten() {
                            s.push_str(", ");
                            s.push_str(part);
                        }
                        s
                    },
                ),
            );
            let delivered = shipment.events.iter().rev().find(|e| e.kind == "delivered");
            let shipped_at: Option<i64> = c
                .query_row(
                    "SELECT created_at FROM shipments WHERE id = ?1",
                    [&shipment.id],
                    |r| r.get(0),
                )
                .optional()?;
            let expected = match (delivered, shipped_at) {
                (Some(d), _) => format!("delivered on {}", date(d.at)),
                (None, Some(at)) => date(timestamp(at)? + transit),
                (None, None) => date(order.order.created_at + transit),
            };
            v.set("order.expected", expected);
        }
        None => {
            // An order late to leave leaves as soon as it can, not on a day gone by.
            let leaves = order
                .order
                .ship_by
                .unwrap_or(order.order.created_at)
                .max(now);
            v.set("order.ships_by", date(leaves));
            v.set("order.expected", date(leaves + transit));
        }
    }
    Ok(v)
}

/// The first FAQ rule that matches the text and whose reply can be filled.
fn answer(c: &Connection, text: &str, values: &TemplateValues) -> Result<Option<AutoReply>> {
    let book = faq_book(c)?;
    Ok(book.matching(text).find_map(|rule| {
        fill(&rule.reply, values).ok().map(|body| AutoReply {
            rule: rule.name.clone(),
            body,
            keep_open: rule.keep_open,
        })
    }))
}

struct NewTicket<'a> {
    kind: TicketKind,
    priority: Priority,
    source: TicketSource,
    subject: &'a str,
    customer_email: &'a str,
    customer_name: &'a str,
    customer_id: Option<&'a str>,
    order_id: Option<&'a str>,
    follow_up_of: Option<&'a str>,
}

fn open_ticket(
    tx: &Transaction,
    new: &NewTicket,
    policy: &ServicePolicy,
    now: Timestamp,
) -> Result<String> {
    let id = Uuid::now_v7().to_string();
    let number = next_number(tx, "tickets")?;
    let clock = policy.clock(new.priority, now);
    tx.execute(
        "INSERT INTO tickets (id, number, kind, status, priority, source, subject, customer_email, customer_name,
            customer_id, order_id, follow_up_of, sla_from, first_response_due, resolution_due, created_at, updated_at)
         VALUES (?1, ?2, ?3, 'open', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?12, ?12)",
        params![
            id,
            number,
            new.kind.as_str(),
            new.priority.as_str(),
            new.source.as_str(),
            new.subject,
            new.customer_email,
            new.customer_name,
            new.customer_id,
            new.order_id,
            new.follow_up_of,
            micros(now),
            micros(clock.first_response_due),
            micros(clock.resolution_due),
        ],
    )?;
    Ok(id)
}

/// The priority a new ticket gets when nobody says: unhappy customers first.
fn default_priority(kind: TicketKind, source: TicketSource) -> Priority {
    match (kind, source) {
        (_, TicketSource::CarrierException) | (TicketKind::Complaint, _) => Priority::High,
        _ => Priority::Normal,
    }
}

/// Auto-replies, then decides whether the ticket waits for the customer: only questions
/// are closed by a machine's answer, never a complaint or a return.
fn reply_automatically(
    tx: &Transaction,
    ticket: &TicketRow,
    text: &str,
    rules: DeskRules,
    now: Timestamp,
) -> Result<Option<AutoReply>> {
    let order_id = ticket.order_id.clone();
    let values = template_values(
        tx,
        &ticket.customer_name,
        order_id.as_deref(),
        Some(ticket.number),
        None,
        rules,
        now,
    )?;
    let Some(reply) = answer(tx, text, &values)? else {
        return Ok(None);
    };
    say(
        tx,
        &ticket.id,
        now,
        AuthorKind::Auto,
        &reply.rule,
        &reply.body,
    )?;
    if !reply.keep_open && ticket.kind == TicketKind::Inquiry {
        tx.execute(
            "UPDATE tickets SET status = 'waiting', first_responded_at = COALESCE(first_responded_at, ?2) WHERE id = ?1",
            params![ticket.id, micros(now)],
        )?;
    }
    Ok(Some(reply))
}

impl Store {
    /// Takes a customer's message: threads it onto the ticket it answers (reopening a
    /// recently resolved one), or opens a ticket linked to the customer and order; then
    /// answers it from the FAQ rules if one fits.
    pub fn take_message(
        &self,
        once: &IdempotencyKey,
        msg: &IncomingMessage,
        rules: DeskRules,
        now: Timestamp,
        respond: impl FnOnce(&MessageTaken) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let email = msg.customer_email.trim();
                let customer = customer_by_email(tx, email)?;
                let name = msg
                    .customer_name
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_string)
                    .or(customer.as_ref().map(|(_, n)| n.clone()))
                    .unwrap_or_else(|| email.to_string());
                let text = format!("{}\n{}", msg.subject, msg.body);
                let answered = msg
                    .ticket_number
                    .or_else(|| crate::domain::ticket::ticket_number_in(msg.subject))
                    .map(|n| ticket_by_key(tx, &n.to_string()))
                    .transpose()
                    .or_else(|e| match e {
                        StoreError::NotFound(_) => Ok(None),
                        e => Err(e),
                    })?
                    .filter(|t| t.customer_email.eq_ignore_ascii_case(email));
                let (ticket_id, outcome) = match answered {
                    Some(t) if t.status != TicketStatus::Resolved => {
                        tx.execute("UPDATE tickets SET status = 'open' WHERE id = ?1", [&t.id])?;
                        (t.id, MessageOutcome::Appended)
                    }
                    Some(t) if t.resolved_at.is_some_and(|r| now.duration_since(r) <= rules.policy.reopen_within) => {
                        let clock = rules.policy.clock(t.priority, now);
                        tx.execute(
                            "UPDATE tickets SET status = 'open', resolved_at = NULL, resolution_code = NULL,
                                reopened = reopened + 1, sla_from = ?2, first_response_due = ?3, resolution_due = ?4,
                                first_responded_at = NULL, escalated_at = NULL, escalation_reason = NULL
                             WHERE id = ?1",
                            params![t.id, micros(now), micros(clock.first_response_due), micros(clock.resolution_due)],
                        )?;
                        say(tx, &t.id, now, AuthorKind::System, "backroom", "Reopened: the customer replied after resolution.")?;
                        (t.id, MessageOutcome::Reopened)
                    }
                    earlier => {
                        let named = msg.order_number.or_else(|| crate::domain::ticket::order_number_in(&text));
                        // A follow-up is about what the ticket it follows was about.
                        let followed: Option<String> = match (&earlier, named) {
                            (Some(t), None) => t.order_id.clone(),
                            _ => None,
                        };
                        let order_id = match followed {
                            Some(id) => Some(id),
                            None => order_for(tx, customer.as_ref().map(|(id, _)| id.as_str()), named)?,
                        };
                        let kind = msg.kind.unwrap_or_else(|| crate::domain::ticket::guess_kind(&text));
                        let source = TicketSource::Message;
                        let id = open_ticket(
                            tx,
                            &NewTicket {
                                kind,
                                priority: msg.priority.unwrap_or(default_priority(kind, source)),
                                source,
                                subject: msg.subject.trim(),
                                customer_email: email,
                                customer_name: &name,
                                customer_id: customer.as_ref().map(|(id, _)| id.as_str()),
                                order_id: order_id.as_deref(),
                                follow_up_of: earlier.as_ref().map(|t| t.id.as_str()),
                            },
                            rules.policy,
                            now,
                        )?;
                        let outcome = if earlier.is_some() { MessageOutcome::FollowUp } else { MessageOutcome::Opened };
                        (id, outcome)
                    }
                };
                say(tx, &ticket_id, now, AuthorKind::Customer, email, msg.body.trim())?;
                let ticket = ticket_by_key(tx, &ticket_id)?;
                let auto_reply = reply_automatically(tx, &ticket, &text, rules, now)?;
                let ticket = ticket_by_key(tx, &ticket_id)?;
                let what = if outcome == MessageOutcome::Opened || outcome == MessageOutcome::FollowUp {
                    "ticket.created"
                } else {
                    "ticket.updated"
                };
                announce(tx, now, what, &ticket)?;
                Ok(MessageTaken { ticket, outcome, auto_reply })
            },
            respond,
        )
    }

    /// The FAQ rules that match a message and what they would answer, changing nothing.
    pub fn preview_auto_reply(
        &self,
        customer_email: &str,
        order_number: Option<OrderNumber>,
        text: &str,
        rules: DeskRules,
        now: Timestamp,
    ) -> Result<(Vec<String>, Option<AutoReply>)> {
        self.read(|c| {
            let customer = customer_by_email(c, customer_email)?;
            let order_id = order_for(
                c,
                customer.as_ref().map(|(id, _)| id.as_str()),
                order_number.or_else(|| crate::domain::ticket::order_number_in(text)),
            )?;
            let name = customer.map_or_else(|| customer_email.trim().to_string(), |(_, n)| n);
            let values = template_values(c, &name, order_id.as_deref(), None, None, rules, now)?;
            let matched = faq_book(c)?
                .matching(text)
                .map(|r| r.name.clone())
                .collect();
            Ok((matched, answer(c, text, &values)?))
        })
    }

    /// A ticket an agent opens for a customer (a phone call, a chat): the customer's words
    /// are the first message; no auto-reply.
    #[allow(clippy::too_many_arguments)]
    pub fn open_ticket_for(
        &self,
        once: &IdempotencyKey,
        msg: &IncomingMessage,
        agent: Agent,
        rules: DeskRules,
        now: Timestamp,
        respond: impl FnOnce(&TicketRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let email = msg.customer_email.trim();
                let customer = customer_by_email(tx, email)?;
                let name = msg
                    .customer_name
                    .map(str::to_string)
                    .or(customer.as_ref().map(|(_, n)| n.clone()))
                    .unwrap_or_else(|| email.to_string());
                let customer_id = customer.as_ref().map(|(id, _)| id.as_str());
                let order_id = match msg.order_number {
                    Some(n) => {
                        let found = order_for(tx, customer_id, Some(n))?;
                        let own: Option<i64> = match &found {
                            Some(id) => tx
                                .query_row("SELECT number FROM orders WHERE id = ?1", [id], |r| {
                                    r.get(0)
                                })
                                .optional()?,
                            None => None,
                        };
                        if own != Some(n.0 as i64) {
                            return Err(StoreError::Invalid(format!(
                                "{n} is not an order of {email}"
                            )));
                        }
                        found
                    }
                    None => order_for(tx, customer_id, None)?,
                };
                let kind = msg.kind.unwrap_or(TicketKind::Inquiry);
                let id = open_ticket(
                    tx,
                    &NewTicket {
                        kind,
                        priority: msg
                            .priority
                            .unwrap_or(default_priority(kind, TicketSource::Agent)),
                        source: TicketSource::Agent,
                        subject: msg.subject.trim(),
                        customer_email: email,
                        customer_name: &name,
                        customer_id,
                        order_id: order_id.as_deref(),
                        follow_up_of: None,
                    },
                    rules.policy,
                    now,
                )?;
                tx.execute(
                    "UPDATE tickets SET assignee_id = ?2 WHERE id = ?1",
                    params![id, agent.id],
                )?;
                say(tx, &id, now, AuthorKind::Customer, email, msg.body.trim())?;
                let ticket = ticket_by_key(tx, &id)?;
                announce(tx, now, "ticket.created", &ticket)?;
                audit(
                    tx,
                    &AuditWrite {
                        at: now,
                        actor: agent.username,
                        action: "ticket.open",
                        entity_kind: "ticket",
                        entity_id: &id,
                        detail: json!({ "number": Document::Ticket.number(ticket.number) }),
                    },
                )?;
                Ok(ticket)
            },
            respond,
        )
    }

    /// Opens a ticket about an order's parcel (carrier exception, late delivery), unless
    /// one from the same cause is still open. Returns the ticket number if one was opened.
    pub(super) fn open_parcel_ticket(
        tx: &Transaction,
        order_id: &str,
        source: TicketSource,
        what: &str,
        policy: &ServicePolicy,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let open: Option<i64> = tx
            .query_row(
                "SELECT number FROM tickets WHERE order_id = ?1 AND source = ?2 AND status <> 'resolved'",
                params![order_id, source.as_str()],
                |r| r.get(0),
            )
            .optional()?;
        if open.is_some() {
            return Ok(None);
        }
        let (customer_id, email, name, number): (String, String, String, i64) = tx.query_row(
            "SELECT c.id, c.email, c.name, o.number FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?1",
            [order_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        let subject = format!("{}: {what}", OrderNumber(number as u64));
        let kind = TicketKind::Inquiry;
        let id = open_ticket(
            tx,
            &NewTicket {
                kind,
                priority: default_priority(kind, source),
                source,
                subject: &subject,
                customer_email: &email,
                customer_name: &name,
                customer_id: Some(&customer_id),
                order_id: Some(order_id),
                follow_up_of: None,
            },
            policy,
            now,
        )?;
        say(tx, &id, now, AuthorKind::System, "backroom", &subject)?;
        let ticket = ticket_by_key(tx, &id)?;
        announce(tx, now, "ticket.created", &ticket)?;
        Ok(Some(ticket.number))
    }

    /// Opens a late-delivery ticket for every shipped parcel past its expected delivery
    /// (shipment date plus the carrier's transit days, plus a day of grace).
    pub fn open_late_delivery_tickets(&self, rules: DeskRules, now: Timestamp) -> Result<Vec<i64>> {
        let candidates: Vec<(String, String, i64)> = self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT s.order_id, s.carrier, s.created_at FROM shipments s JOIN orders o ON o.id = s.order_id
                 WHERE o.status = 'shipped' AND s.state <> 'delivered'
                   AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.order_id = s.order_id AND t.source = 'late_delivery')",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })?;
        let late: Vec<String> = candidates
            .into_iter()
            .filter(|(_, carrier, shipped)| {
                let days = rules.carriers.get(carrier).map_or(2, |c| c.transit_days);
                let due = *shipped + (i64::from(days) + 1) * 86_400_000_000;
                micros(now) > due
            })
            .map(|(order, _, _)| order)
            .collect();
        if late.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut opened = Vec::new();
            for order in &late {
                if let Some(n) = Store::open_parcel_ticket(
                    tx,
                    order,
                    TicketSource::LateDelivery,
                    "parcel is late",
                    rules.policy,
                    now,
                )? {
                    opened.push(n);
                }
            }
            Ok(opened)
        })
    }

    /// Moves open tickets near or past a deadline to the supervisor queue. Returns the
    /// numbers escalated now.
    pub fn escalate_due(&self, policy: &ServicePolicy, now: Timestamp) -> Result<Vec<i64>> {
        let horizon = micros(now + policy.escalate_before);
        let due_sql = format!("t.status = 'open' AND t.escalated_at IS NULL AND {NEXT_DUE} <= ?1");
        let due = self.read(|c| tickets_where(c, &due_sql, &[&horizon], "t.number", 1000))?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.write(|tx| {
            let mut escalated = Vec::new();
            for t in tickets_where(tx, &due_sql, &[&horizon], "t.number", 1000)? {
                let state = t.clock.state(now, policy.escalate_before);
                let at = t.clock.next_due().to_zoned_datetime(policy.hours.tz().clone()).strftime("%Y-%m-%d %H:%M");
                let reason = match state {
                    crate::domain::ticket::SlaState::Breached => format!("{} was due {at}: breached", t.clock.next_due_is()),
                    _ => format!("{} due {at}: near breach", t.clock.next_due_is()),
                };
                tx.execute(
                    "UPDATE tickets SET escalated_at = ?2, escalation_reason = ?3, updated_at = ?2 WHERE id = ?1",
                    params![t.id, micros(now), reason],
                )?;
                say(tx, &t.id, now, AuthorKind::System, "backroom", &format!("Escalated to a supervisor: {reason}."))?;
                let t = ticket_by_key(tx, &t.id)?;
                announce(tx, now, "ticket.escalated", &t)?;
                escalated.push(t.number);
            }
            Ok(escalated)
        })
    }

    /// A queue of tickets, the most urgent deadline first (resolved: newest first), after
    /// `filter.after` when a page went before.
    pub fn tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketRow>> {
        let limit = filter.limit;
        let kind = filter.kind.map(|k| k.as_str()).unwrap_or("");
        let (key, number) = filter.after.map(|a| (a.key, a.number)).unzip();
        // ?1 kind, ?2 and ?3 the position after which the page starts, ?4 the assignee.
        let kind_sql = "(?1 = '' OR t.kind = ?1)";
        let due_after =
            format!("(?2 IS NULL OR {NEXT_DUE} > ?2 OR ({NEXT_DUE} = ?2 AND t.number > ?3))");
        let open = format!("t.status <> 'resolved' AND {kind_sql} AND {due_after}");
        let order = format!("{NEXT_DUE}, t.number");
        self.read(|c| match &filter.view {
            TicketView::All => tickets_where(c, &open, &[&kind, &key, &number], &order, limit),
            TicketView::Mine(user) => tickets_where(
                c,
                &format!("{open} AND t.assignee_id = ?4"),
                &[&kind, &key, &number, user],
                &order,
                limit,
            ),
            TicketView::Unassigned => tickets_where(
                c,
                &format!("{open} AND t.assignee_id IS NULL"),
                &[&kind, &key, &number],
                &order,
                limit,
            ),
            TicketView::Escalated => tickets_where(
                c,
                &format!("{open} AND t.escalated_at IS NOT NULL"),
                &[&kind, &key, &number],
                &order,
                limit,
            ),
            TicketView::Resolved => tickets_where(
                c,
                &format!(
                    "t.status = 'resolved' AND {kind_sql} AND (?2 IS NULL
                     OR coalesce(t.resolved_at, 0) < ?2 OR (coalesce(t.resolved_at, 0) = ?2 AND t.number < ?3))"
                ),
                &[&kind, &key, &number],
                "coalesce(t.resolved_at, 0) DESC, t.number DESC",
                limit,
            ),
        })
    }

    /// Who has a ticket now (user name).
    pub fn ticket_assignee(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| Ok(ticket_by_key(c, key)?.assignee))
    }

    /// One ticket with its conversation, order, the customer's orders and other tickets.
    pub fn ticket_detail(
        &self,
        key: &str,
        agent: Option<&str>,
        rules: DeskRules,
        now: Timestamp,
    ) -> Result<TicketDetail> {
        self.read(|c| {
            let ticket = ticket_by_key(c, key)?;
            let order_id = ticket.order_id.clone();
            let order = order_id.as_deref().map(|id| load_detail(c, id)).transpose()?;
            let customer_orders = match &ticket.customer_id {
                Some(id) => customer_orders(c, id, 10)?,
                None => Vec::new(),
            };
            let past_tickets = tickets_where(
                c,
                "t.customer_email = ?1 COLLATE NOCASE AND t.id <> ?2",
                &[&ticket.customer_email, &ticket.id],
                "t.created_at DESC",
                20,
            )?;
            let values = template_values(c, &ticket.customer_name, order_id.as_deref(), Some(ticket.number), agent, rules, now)?;
            let csat = c
                .query_row(
                    "SELECT agent, requested_at, score, comment, answered_at FROM csat WHERE ticket_id = ?1",
                    [&ticket.id],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?, r.get(3)?, r.get::<_, Option<i64>>(4)?)),
                )
                .optional()?
                .map(|(agent, requested, score, comment, answered)| {
                    Ok::<_, StoreError>(CsatRow {
                        agent,
                        requested_at: timestamp(requested)?,
                        score,
                        comment,
                        answered_at: answered.map(timestamp).transpose()?,
                    })
                })
                .transpose()?;
            Ok(TicketDetail {
                messages: messages(c, &ticket.id)?,
                returns: super::returns::returns_of(c, &ticket.id)?,
                refunds: super::refunds::refunds_of(c, &ticket.id)?,
                ticket,
                order,
                customer_orders,
                past_tickets,
                values,
                csat,
            })
        })
    }

    /// One change by an agent. Permission to make it is the caller's business; the store
    /// refuses what the ticket's state does not allow.
    #[allow(clippy::too_many_arguments)]
    pub fn change_ticket(
        &self,
        once: &IdempotencyKey,
        key: &str,
        change: &TicketChange,
        agent: Agent,
        policy: &ServicePolicy,
        now: Timestamp,
        respond: impl FnOnce(&TicketRow) -> (u16, String),
    ) -> Result<Idempotent> {
        self.write_once(
            once,
            now,
            |tx| {
                let t = ticket_by_key(tx, key)?;
                let number = Document::Ticket.number(t.number);
                let resolved = t.status == TicketStatus::Resolved;
                let refuse_resolved = |what: &str| {
                    StoreError::Conflict(format!(
                        "{number} is resolved; {what} once the customer writes again and it reopens"
                    ))
                };
                let (action, detail) = match change {
                    TicketChange::Reply(body) => {
                        if resolved {
                            return Err(refuse_resolved("answer it"));
                        }
                        say(tx, &t.id, now, AuthorKind::Agent, agent.username, body)?;
                        tx.execute(
                            "UPDATE tickets SET status = 'waiting', first_responded_at = COALESCE(first_responded_at, ?2),
                                assignee_id = COALESCE(assignee_id, ?3) WHERE id = ?1",
                            params![t.id, micros(now), agent.id],
                        )?;
                        ("ticket.reply", json!({ "chars": body.chars().count() }))
                    }
                    TicketChange::Note(body) => {
                        say(tx, &t.id, now, AuthorKind::Note, agent.username, body)?;
                        ("ticket.note", json!({}))
                    }
                    TicketChange::Assign(who) => {
                        let user: Option<(String, String)> = match who {
                            Some(name) => Some(
                                tx.query_row(
                                    "SELECT id, username FROM users WHERE username = ?1 AND disabled = 0",
                                    [name],
                                    |r| Ok((r.get(0)?, r.get(1)?)),
                                )
                                .optional()?
                                .ok_or_else(|| StoreError::NotFound(format!("user {name:?}")))?,
                            ),
                            None => None,
                        };
                        tx.execute(
                            "UPDATE tickets SET assignee_id = ?2, updated_at = ?3 WHERE id = ?1",
                            params![t.id, user.as_ref().map(|(id, _)| id), micros(now)],
                        )?;
                        let said = match &user {
                            Some((_, name)) => format!("Assigned to {name} by {}.", agent.username),
                            None => format!("Unassigned by {}.", agent.username),
                        };
                        say(tx, &t.id, now, AuthorKind::System, "backroom", &said)?;
                        ("ticket.assign", json!({ "assignee": user.map(|(_, n)| n) }))
                    }
                    TicketChange::Escalate(reason) => {
                        if resolved {
                            return Err(refuse_resolved("escalate it"));
                        }
                        if t.escalated_at.is_some() {
                            return Err(StoreError::Conflict(format!("{number} is escalated already")));
                        }
                        let reason = format!("{} asked: {reason}", agent.username);
                        tx.execute(
                            "UPDATE tickets SET escalated_at = ?2, escalation_reason = ?3 WHERE id = ?1",
                            params![t.id, micros(now), reason],
                        )?;
                        say(tx, &t.id, now, AuthorKind::System, "backroom", &format!("Escalated to a supervisor: {reason}."))?;
                        ("ticket.escalate", json!({ "reason": reason }))
                    }
                    TicketChange::Prioritise(p) => {
                        if resolved {
                            return Err(refuse_resolved("change its priority"));
                        }
                        let from: i64 = tx.query_row("SELECT sla_from FROM tickets WHERE id = ?1", [&t.id], |r| r.get(0))?;
                        let clock = policy.clock(*p, timestamp(from)?);
                        tx.execute(
                            "UPDATE tickets SET priority = ?2, first_response_due = ?3, resolution_due = ?4 WHERE id = ?1",
                            params![t.id, p.as_str(), micros(clock.first_response_due), micros(clock.resolution_due)],
                        )?;
                        say(
                            tx,
                            &t.id,
                            now,
                            AuthorKind::System,
                            "backroom",
                            &format!("Priority {} → {} by {}.", t.priority.as_str(), p.as_str(), agent.username),
                        )?;
                        ("ticket.priority", json!({ "from": t.priority.as_str(), "to": p.as_str() }))
                    }
                    TicketChange::Resolve { code, note } => {
                        if resolved {
                            return Err(StoreError::Conflict(format!("{number} is resolved already")));
                        }
                        tx.execute(
                            "UPDATE tickets SET status = 'resolved', resolved_at = ?2, resolution_code = ?3 WHERE id = ?1",
                            params![t.id, micros(now), code.as_str()],
                        )?;
                        let mut said = format!("Resolved by {}: {}.", agent.username, human(code.as_str()));
                        if let Some(note) = note {
                            said.push(' ');
                            said.push_str(note);
                        }
                        say(tx, &t.id, now, AuthorKind::System, "backroom", &said)?;
                        // The survey goes to whoever owned the ticket, or the one closing it.
                        let owner = t.assignee.as_deref().unwrap_or(agent.username);
                        tx.execute(
                            "INSERT INTO csat (ticket_id, agent, requested_at) VALUES (?1, ?2, ?3)
                             ON CONFLICT (ticket_id) DO UPDATE SET agent = excluded.agent, requested_at = excluded.requested_at
                             WHERE csat.score IS NULL",
                            params![t.id, owner, micros(now)],
                        )?;
                        event(
                            tx,
                            now,
                            "ticket.csat_requested",
                            &t.id,
                            &json!({ "number": number, "customer_email": t.customer_email, "agent": owner }),
                        )?;
                        ("ticket.resolve", json!({ "code": code.as_str() }))
                    }
                };
                let ticket = ticket_by_key(tx, &t.id)?;
                announce(tx, now, "ticket.updated", &ticket)?;
                audit(tx, &AuditWrite {
                    at: now,
                    actor: agent.username,
                    action,
                    entity_kind: "ticket",
                    entity_id: &t.id,
                    detail,
                })?;
                Ok(ticket)
            },
            respond,
        )
    }

    /// The customer's score (1–5) and comment for a resolved ticket, once.
    pub fn record_csat(
        &self,
        once: &IdempotencyKey,
        answer: &CsatAnswer,
        now: Timestamp,
        respond: impl FnOnce(&str, &CsatRow) -> (u16, String),
    ) -> Result<Idempotent> {
        let CsatAnswer {
            ticket: key,
            customer_email,
            score,
            comment,
        } = *answer;
        self.write_once(
            once,
            now,
            |tx| {
                let t = ticket_by_key(tx, key)?;
                if !is_customer_of(&t.customer_email, customer_email) {
                    return Err(StoreError::NotFound(format!("ticket {key:?}")));
                }
                let number = Document::Ticket.number(t.number);
                if t.status != TicketStatus::Resolved {
                    return Err(StoreError::Conflict(format!(
                        "{number} is not resolved (or open again); it is rated once resolved"
                    )));
                }
                let asked: Option<Option<i64>> = tx
                    .query_row("SELECT score FROM csat WHERE ticket_id = ?1", [&t.id], |r| r.get(0))
                    .optional()?;
                match asked {
                    None => return Err(StoreError::Conflict(format!("{number} has not been resolved, so no score was asked for"))),
                    Some(Some(_)) => return Err(StoreError::Conflict(format!("{number} has a score already; a score is given once"))),
                    Some(None) => {}
                }
                tx.execute(
                    "UPDATE csat SET score = ?2, comment = ?3, answered_at = ?4 WHERE ticket_id = ?1",
                    params![t.id, score, comment, micros(now)],
                )?;
                say(tx, &t.id, now, AuthorKind::System, "backroom", &format!("The customer rated the help {score}/5."))?;
                event(tx, now, "ticket.csat", &t.id, &json!({ "number": number, "score": score }))?;
                let (agent, requested): (String, i64) =
                    tx.query_row("SELECT agent, requested_at FROM csat WHERE ticket_id = ?1", [&t.id], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok((
                    number,
                    CsatRow {
                        agent,
                        requested_at: timestamp(requested)?,
                        score: Some(score),
                        comment: comment.map(str::to_string),
                        answered_at: Some(now),
                    },
                ))
            },
            |(number, row)| respond(number, row),
        )
    }

    /// Satisfaction per agent for surveys sent in `[from, to)`: (agent, answers, sum of
    /// scores, surveys sent).
    pub fn csat_by_agent(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(String, i64, i64, i64)>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT agent, count(score), COALESCE(sum(score), 0), count(*) FROM csat
                 WHERE requested_at >= ?1 AND requested_at < ?2
                 GROUP BY agent ORDER BY agent",
            )?
            .query_map(params![micros(from), micros(to)], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }
}
