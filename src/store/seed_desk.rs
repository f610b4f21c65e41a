//! The demo's help desk: a few customers' messages of every kind, some answered by the FAQ
//! rules, one resolved and rated, so the complaints pane has a story to show.

use jiff::{SignedDuration, Timestamp};
use rusqlite::OptionalExtension;

use super::{DeskRules, IdempotencyKey, IncomingMessage, Result, Store};
use crate::domain::order::OrderNumber;
use crate::domain::routing::RoutingRules;
use crate::domain::ticket::{ResolutionCode, TicketKind};

/// When, from whom, about which order, subject, body and kind.
type SampleMessage = (
    Timestamp,
    String,
    Option<OrderNumber>,
    &'static str,
    String,
    Option<TicketKind>,
);

/// The latest order in a status: its number and customer's e-mail. The latest, so a
/// delivered one is still inside the return window.
fn order_in(store: &Store, status: &str, skip: i64) -> Result<Option<(OrderNumber, String)>> {
    store.read(|c| {
        Ok(c.query_row(
            "SELECT o.number, c.email FROM orders o JOIN customers c ON c.id = o.customer_id
             WHERE o.status = ?1 ORDER BY o.created_at DESC, o.number DESC LIMIT 1 OFFSET ?2",
            rusqlite::params![status, skip],
            |r| Ok((OrderNumber(r.get::<_, i64>(0)? as u64), r.get(1)?)),
        )
        .optional()?)
    })
}

impl Store {
    pub(super) fn seed_tickets(&self, now: Timestamp) -> Result<()> {
        let rules = RoutingRules::default_rules();
        let desk = DeskRules {
            policy: &rules.service,
            carriers: &rules.carriers,
        };
        let shipped = order_in(self, "shipped", 0)?;
        let delivered = order_in(self, "delivered", 0)?;
        let returned = order_in(self, "delivered", 1)?;
        let waiting = order_in(self, "ready_to_pick", 0)?;
        let hours = |h: i64| now - SignedDuration::from_hours(h);
        let mut messages: Vec<SampleMessage> = Vec::new();
        if let Some((n, email)) = &delivered {
            messages.push((hours(30), email.clone(), Some(*n), "Teapot arrived broken", "The lid of the teapot was in pieces when I opened the box. The box itself looked fine. What can you do?".into(), None));
            messages.push((
                hours(400),
                email.clone(),
                None,
                "Gift wrapping?",
                "Can you gift-wrap an order?".into(),
                Some(TicketKind::Inquiry),
            ));
        }
        if let Some((n, email)) = &shipped {
            messages.push((
                hours(2),
                email.clone(),
                Some(*n),
                "Where is my order?",
                format!("Hi, where is my order {n}? I need it by Friday."),
                None,
            ));
        }
        if let Some((n, email)) = &returned {
            messages.push((
                hours(5),
                email.clone(),
                Some(*n),
                "退貨",
                "尺寸不合，我想退貨。".into(),
                None,
            ));
        }
        if let Some((n, email)) = &waiting {
            messages.push((
                hours(1),
                email.clone(),
                Some(*n),
                "我的訂單到哪了",
                "請問我的訂單到哪了？".into(),
                None,
            ));
        }
        messages.push((
            hours(3),
            "mika.tanaka@example.jp".into(),
            None,
            "Shipping to Japan",
            "Do you ship to Japan, and how long does it take?".into(),
            None,
        ));
        for (i, (at, email, order, subject, body, kind)) in messages.iter().enumerate() {
            let key = format!("sample-message-{i}");
            let once = IdempotencyKey {
                scope: "seed",
                key: &key,
                request_hash: "",
            };
            let msg = IncomingMessage {
                customer_email: email,
                customer_name: None,
                order_number: *order,
                ticket_number: None,
                subject,
                body,
                kind: *kind,
                priority: None,
            };
            self.take_message(&once, &msg, desk, *at, |_| (201, String::new()))?;
        }
        // The gift-wrap question was answered and rated long ago: a past ticket with a score.
        let (agent_id, agent): (String, String) = self.read(|c| {
            Ok(c.query_row(
                "SELECT id, username FROM users WHERE role = 'cs' LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })?;
        let old: Option<(String, String)> = self.read(|c| {
            Ok(c.query_row(
                "SELECT id, customer_email FROM tickets WHERE subject = 'Gift wrapping?'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })?;
        if let Some((id, customer_email)) = old {
            let who = super::Agent {
                id: &agent_id,
                username: &agent,
                display_name: &agent,
            };
            let steps = [
                super::TicketChange::Reply("Yes: tick \"gift wrap\" at checkout, it is free."),
                super::TicketChange::Resolve {
                    code: ResolutionCode::Answered,
                    note: None,
                },
            ];
            for (i, step) in steps.iter().enumerate() {
                let key = format!("sample-gift-{i}");
                let once = IdempotencyKey {
                    scope: "seed",
                    key: &key,
                    request_hash: "",
                };
                self.change_ticket(&once, &id, step, who, desk.policy, hours(399), |_| {
                    (200, String::new())
                })?;
            }
            let once = IdempotencyKey {
                scope: "seed",
                key: "sample-gift-csat",
                request_hash: "",
            };
            self.record_csat(
                &once,
                &super::CsatAnswer {
                    ticket: &id,
                    customer_email: &customer_email,
                    score: 5,
                    comment: Some("Quick and friendly"),
                },
                hours(390),
                |_, _| (201, String::new()),
            )?;
        }
        Ok(())
    }
}
