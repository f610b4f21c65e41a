#![no_main]

//! Every JSON body the server accepts, read as it reads it, then put through the domain
//! checks the handler runs before the store sees it. One input is tried as every body:
//! the fuzzer finds its way into each type by coverage, and seeds stay plain bodies.

use backroom::api::*;
use backroom::domain::intake::{
    MAX_LINES, address_gaps, check_email, check_lines, country_ok, price_ok,
};
use backroom::domain::lifecycle::{check_transition, next_statuses};
use backroom::domain::order::{OrderNumber, OrderStatus};
use backroom::domain::picking::{ListCaps, PickMode, ShortReason};
use backroom::domain::reply_book::{CannedReply, FaqBook, FaqRule, check_canned};
use backroom::domain::routing::Priority;
use backroom::domain::stock::AdjustmentReason;
use backroom::domain::ticket::{
    ResolutionCode, TicketKind, guess_kind, order_number_in, ticket_number_in,
};
use backroom::domain::tracking::TrackingKind;
use backroom::server::order_from_wire;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn body<T: DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_json::from_slice(data).ok()
}

fn date(text: &Option<String>) {
    if let Some(t) = text {
        let _ = t.trim().parse::<jiff::civil::Date>();
    }
}

fn order(o: OrderIn) {
    let Ok(order) = order_from_wire(o) else {
        return;
    };
    let refusals = check_lines(&order.lines, |sku| !sku.is_empty());
    let _ = check_email(&order.customer.email);
    let _ = country_ok(&order.ship_to.country);
    let _ = address_gaps(&order.ship_to);
    if refusals.is_empty() {
        assert!(order.lines.len() <= MAX_LINES);
        let mut total: i64 = 0;
        for l in &order.lines {
            let _ = price_ok(1290, l.unit_price_minor, 200);
            // The store adds up accepted lines unchecked; the limits must keep it in range.
            let line = l.unit_price_minor.checked_mul(l.qty);
            total = line
                .and_then(|v| total.checked_add(v))
                .expect("total overflows");
        }
    }
}

fn message_text(subject: &str, text: &str) {
    let _ = guess_kind(text);
    let _ = order_number_in(subject);
    let _ = order_number_in(text);
    let _ = ticket_number_in(subject);
}

fn faq(rules: Vec<FaqRuleBody>) {
    let rules = rules
        .into_iter()
        .map(|r| FaqRule {
            name: r.name,
            keywords: r.keywords,
            patterns: r.patterns,
            reply: r.reply,
            keep_open: r.keep_open,
        })
        .collect();
    if let Ok(book) = FaqBook::new(rules) {
        let _ = book.matching("Where is my order SO-000012?").count();
    }
}

fuzz_target!(|data: &[u8]| {
    if let Some(o) = body::<OrderIn>(data) {
        order(o);
    }
    if let Some(s) = body::<StatusChangeIn>(data)
        && let Ok(to) = s.status.parse::<OrderStatus>()
    {
        for from in OrderStatus::ALL {
            let legal = check_transition(from, to, s.reason.as_deref()).is_ok();
            assert!(!legal || next_statuses(from).contains(&to));
        }
    }
    if let Some(t) = body::<TrackingEventIn>(data) {
        let _ = TrackingKind::parse(&t.kind);
        let _ = t.at.parse::<jiff::Timestamp>();
    }
    let _ = body::<LoginRequest>(data);
    if let Some(m) = body::<MoveIn>(data) {
        date(&m.expiry);
    }
    if let Some(a) = body::<AdjustmentIn>(data) {
        let _ = AdjustmentReason::parse(&a.reason);
    }
    let _ = body::<ReceiptIn>(data);
    if let Some(r) = body::<ReceiveIn>(data) {
        date(&r.expiry);
    }
    let _ = body::<AlertRequestIn>(data);
    let _ = body::<ReasonIn>(data);
    let _ = body::<PurchaseRequestIn>(data);
    let _ = body::<PurchaseOrderIn>(data);
    let _ = body::<PackIn>(data);
    if let Some(p) = body::<PickListRequest>(data) {
        if let Some(mode) = &p.mode {
            let _ = PickMode::parse(mode);
        }
        let defaults = ListCaps::default();
        let _ = ListCaps {
            max_orders: p.max_orders.unwrap_or(defaults.max_orders),
            max_lines: p.max_lines.unwrap_or(defaults.max_lines),
        }
        .check();
    }
    if let Some(p) = body::<PickIn>(data) {
        p.lots.iter().for_each(|l| date(&l.expiry));
    }
    if let Some(s) = body::<ShortIn>(data) {
        let _ = ShortReason::parse(&s.reason);
        s.lots.iter().for_each(|l| date(&l.expiry));
    }
    let _ = body::<ToteIn>(data);
    if let Some(m) = body::<MessageIn>(data) {
        let _ = check_email(&m.customer_email);
        message_text(&m.subject, &m.body);
        m.order_number.as_deref().map(OrderNumber::parse);
        m.kind.as_deref().map(TicketKind::parse);
        m.priority.as_deref().map(Priority::parse);
    }
    if let Some(t) = body::<AutoReplyTestIn>(data) {
        message_text(&t.subject, &t.body);
    }
    let _ = body::<TicketTextIn>(data);
    let _ = body::<AssignIn>(data);
    if let Some(p) = body::<PriorityIn>(data) {
        let _ = Priority::parse(p.priority.trim());
    }
    if let Some(r) = body::<ResolveIn>(data) {
        let _ = ResolutionCode::parse(&r.code);
    }
    if let Some(t) = body::<TicketIn>(data) {
        let _ = check_email(&t.customer_email);
        message_text(&t.subject, &t.body);
        t.order_number.as_deref().map(OrderNumber::parse);
        t.kind.as_deref().map(TicketKind::parse);
        t.priority.as_deref().map(Priority::parse);
    }
    let _ = body::<ReturnIn>(data);
    let _ = body::<ReturnReceiveIn>(data);
    let _ = body::<RefundIn>(data);
    let _ = body::<DecisionIn>(data);
    let _ = body::<CsatIn>(data);
    if let Some(rules) = body::<Vec<FaqRuleBody>>(data) {
        faq(rules);
    }
    if let Some(replies) = body::<Vec<CannedReplyBody>>(data) {
        let replies: Vec<CannedReply> = replies
            .into_iter()
            .map(|r| CannedReply {
                key: r.key,
                title: r.title,
                body: r.body,
            })
            .collect();
        let _ = check_canned(&replies);
    }
    let _ = body::<StocktakeIn>(data);
    let _ = body::<CountIn>(data);
    let _ = body::<CloseIn>(data);
    let _ = body::<ReviewIn>(data);
});
