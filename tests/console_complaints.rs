//! The complaints pane driven by keys, the server's answers given by hand: the queue by SLA,
//! a ticket with the customer's story, a reply built from a canned reply, and resolving,
//! with renders at 80×24 and 40×16.

mod console_support;

use std::collections::BTreeMap;

use backroom::api::{
    CannedReplies, CannedReplyBody, TicketDetailBody, TicketMessage, TicketSummary,
};
use backroom::client::{Applied, Change, DeskChange, Loaded, Lookup};
use backroom::console::app::{App, Effect, Msg, PaneKind, Reply};
use backroom::domain::role::Role;
use console_support::{app_with, key, me, render};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn ticket(
    number: &str,
    kind: &str,
    priority: &str,
    status: &str,
    sla: &str,
    due_at: &str,
    subject: &str,
) -> TicketSummary {
    TicketSummary {
        id: format!("id-{number}"),
        number: number.into(),
        kind: kind.into(),
        status: status.into(),
        priority: priority.into(),
        source: "message".into(),
        subject: subject.into(),
        customer_email: "mei.lin@example.tw".into(),
        customer_name: "林美玲".into(),
        order_number: Some("SO-000032".into()),
        assignee: None,
        first_response_due: due_at.into(),
        resolution_due: "2026-11-26T10:00:00Z".into(),
        first_responded_at: None,
        due_at: due_at.into(),
        due_is: "first response".into(),
        sla: sla.into(),
        escalated_at: (sla == "breached").then(|| "2026-11-24T23:00:00Z".into()),
        escalation_reason: None,
        resolved_at: None,
        resolution_code: None,
        reopened: 0,
        follow_up_of: None,
        created_at: "2026-11-24T20:00:00Z".into(),
        updated_at: "2026-11-24T20:00:00Z".into(),
    }
}

fn queue() -> Vec<TicketSummary> {
    vec![
        ticket(
            "TK-000001",
            "complaint",
            "high",
            "open",
            "breached",
            "2026-11-24T22:00:00Z",
            "Teapot arrived broken",
        ),
        ticket(
            "TK-000003",
            "inquiry",
            "normal",
            "open",
            "near",
            "2026-11-24T23:50:00Z",
            "Where is my order?",
        ),
        ticket(
            "TK-000004",
            "return_request",
            "normal",
            "open",
            "ok",
            "2026-11-25T06:00:00Z",
            "退貨",
        ),
    ]
}

fn canned() -> CannedReplies {
    let reply = |key: &str, title: &str, body: &str| CannedReplyBody {
        key: key.into(),
        title: title.into(),
        body: body.into(),
    };
    CannedReplies {
        version: 0,
        replies: vec![
            reply(
                "track",
                "Where the parcel is (tracking link)",
                "Hello {customer.name},\n\nyour order {order.number} is on its way: {tracking.url}\n\nKind regards,\n{agent.name}",
            ),
            reply(
                "sorry",
                "Apology for a damaged item",
                "Hello {customer.name}, I am sorry about {order.number}.",
            ),
            reply(
                "refund",
                "Refund issued",
                "We have refunded {order.number}.",
            ),
        ],
        variables: BTreeMap::new(),
    }
}

fn detail(with_tracking: bool) -> TicketDetailBody {
    let mut values = BTreeMap::new();
    for (k, v) in [
        ("customer.name", "林美玲"),
        ("order.number", "SO-000032"),
        ("agent.name", "Morgan Reyes"),
        ("ticket.number", "TK-000003"),
    ] {
        values.insert(k.to_string(), v.to_string());
    }
    if with_tracking {
        values.insert(
            "tracking.url".into(),
            "https://www.t-cat.com.tw/Inquire/Trace.aspx?no=BR000000032".into(),
        );
    }
    TicketDetailBody {
        ticket: queue()[1].clone(),
        messages: vec![
            TicketMessage {
                at: "2026-11-24T21:50:00Z".into(),
                author_kind: "customer".into(),
                author: "mei.lin@example.tw".into(),
                body: "Hi, where is my order SO-000032? I need it by Friday.".into(),
            },
            TicketMessage {
                at: "2026-11-24T21:55:00Z".into(),
                author_kind: "note".into(),
                author: "cs".into(),
                body: "Carrier says the sorting hub is late this week.".into(),
            },
        ],
        order: None,
        customer_orders: Vec::new(),
        past_tickets: vec![ticket(
            "TK-000002",
            "inquiry",
            "normal",
            "resolved",
            "ok",
            "2026-11-01T10:00:00Z",
            "Gift wrapping?",
        )],
        values,
        returns: Vec::new(),
        refunds: Vec::new(),
        csat: None,
        now: "2026-11-24T23:30:00Z".into(),
    }
}

fn loads(effects: &[Effect]) -> Vec<(u64, Lookup)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Load { request, lookup } => Some((*request, lookup.clone())),
            _ => None,
        })
        .collect()
}

fn desk_changes(effects: &[Effect]) -> Vec<DeskChange> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(m) => match &m.change {
                Change::Desk(c) => Some(c.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    text.chars()
        .flat_map(|c| app.update(key(KeyCode::Char(c))))
        .collect()
}

/// Answers every load the effects ask for from the given queue, ticket and canned replies.
fn answer(app: &mut App, effects: Vec<Effect>, detail: &TicketDetailBody) -> Vec<Effect> {
    let mut more = Vec::new();
    for (request, lookup) in loads(&effects) {
        let loaded = match lookup {
            Lookup::Tickets { .. } => Loaded::Tickets(queue()),
            Lookup::Ticket(_) => Loaded::Ticket(Box::new(detail.clone())),
            Lookup::CannedReplies => Loaded::CannedReplies(Box::new(canned())),
            other => panic!("unexpected lookup {other:?}"),
        };
        more.extend(app.update(Msg::Reply(Reply::Loaded {
            request,
            result: Ok(loaded),
        })));
    }
    more
}

/// An agent signed in, at the queue, with the ticket TK-000003 open.
fn agent_at_ticket(with_tracking: bool) -> App {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Cs));
    assert_eq!(
        app.workspace().unwrap().active,
        PaneKind::Complaints,
        "agents start at their queue"
    );
    let d = detail(with_tracking);
    answer(&mut app, effects, &d);
    app.update(key(KeyCode::Down));
    let effects = app.update(key(KeyCode::Enter));
    assert!(matches!(loads(&effects).as_slice(), [(_, Lookup::Ticket(n))] if n == "TK-000003"));
    answer(&mut app, effects, &d);
    app
}

#[test]
fn the_queue_shows_time_left_most_urgent_first_at_both_sizes() {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Cs));
    let asked = loads(&effects);
    assert!(
        asked
            .iter()
            .any(|(_, l)| matches!(l, Lookup::Tickets { view, kind: None } if view == "all"))
    );
    assert!(asked.iter().any(|(_, l)| *l == Lookup::CannedReplies));
    answer(&mut app, effects, &detail(true));
    insta::assert_snapshot!("queue_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("queue_40x16", render(&app, 40, 16));
    // `f` moves to my tickets, `t` to complaints only: both ask the server again.
    let effects = app.update(key(KeyCode::Char('f')));
    assert!(
        matches!(loads(&effects).first(), Some((_, Lookup::Tickets { view, .. })) if view == "mine")
    );
    let effects = app.update(key(KeyCode::Char('t')));
    assert!(
        matches!(loads(&effects).first(), Some((_, Lookup::Tickets { view, kind: Some(k) })) if view == "mine" && k == "inquiry")
    );
}

#[test]
fn a_reply_built_from_a_canned_reply_is_sent_with_the_tickets_data() {
    let mut app = agent_at_ticket(true);
    insta::assert_snapshot!("ticket_80x24", render(&app, 80, 24));
    app.update(key(KeyCode::Char('r')));
    typed(&mut app, "Dear customer, ");
    app.update(ctrl('t'));
    // A fuzzy search: "trk" finds "track".
    typed(&mut app, "trk");
    insta::assert_snapshot!("canned_search_80x24", render(&app, 80, 24));
    app.update(key(KeyCode::Enter));
    insta::assert_snapshot!("reply_editor_80x24", render(&app, 80, 24));
    // Enter in the editor is a new line, not "send".
    assert!(desk_changes(&app.update(key(KeyCode::Enter))).is_empty());
    typed(&mut app, "P.S. Friday is fine.");
    let effects = app.update(ctrl('s'));
    let sent = desk_changes(&effects);
    let [DeskChange::Reply { ticket, body }] = sent.as_slice() else {
        panic!("expected one reply, got {sent:?}");
    };
    assert_eq!(ticket, "TK-000003");
    assert!(body.starts_with("Dear customer, Hello 林美玲,"), "{body}");
    assert!(
        body.contains(
            "SO-000032 is on its way: https://www.t-cat.com.tw/Inquire/Trace.aspx?no=BR000000032"
        ),
        "{body}"
    );
    assert!(
        body.ends_with("Morgan Reyes\nP.S. Friday is fine."),
        "{body}"
    );
    let mut answered = queue()[1].clone();
    answered.status = "waiting".into();
    let change = Change::Desk(sent[0].clone());
    let effects = app.update(Msg::Reply(Reply::Mutated {
        change,
        result: Ok(Applied::Ticket(Box::new(answered))),
    }));
    assert!(
        effects.iter().any(|e| matches!(
            e,
            Effect::Load {
                lookup: Lookup::Ticket(_),
                ..
            }
        )),
        "the ticket is read again"
    );
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Reply sent; TK-000003 waits for the customer"),
        "{screen}"
    );
}

#[test]
fn a_canned_reply_that_needs_unknown_data_is_not_inserted() {
    let mut app = agent_at_ticket(false);
    app.update(key(KeyCode::Char('r')));
    app.update(ctrl('t'));
    typed(&mut app, "track");
    app.update(key(KeyCode::Enter));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("\"track\" cannot be used here: nothing is known yet for {tracking.url}"),
        "{screen}"
    );
    // Esc leaves the search; the editor is still empty, so Esc closes it, and nothing is sent.
    app.update(key(KeyCode::Esc));
    assert!(desk_changes(&app.update(ctrl('s'))).is_empty());
}

#[test]
fn a_written_reply_is_only_thrown_away_on_a_second_esc() {
    let mut app = agent_at_ticket(true);
    app.update(key(KeyCode::Char('r')));
    typed(&mut app, "Half a reply");
    app.update(key(KeyCode::Esc));
    assert!(render(&app, 80, 24).contains("Esc again throws away what is written"));
    app.update(key(KeyCode::Esc));
    let pane = &app.workspace().unwrap().complaints;
    assert!(pane.writing.is_none() && pane.editor.borrow().is_blank());
}

#[test]
fn resolving_asks_for_the_code_and_sends_it() {
    let mut app = agent_at_ticket(true);
    app.update(key(KeyCode::Char('x')));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Right));
    insta::assert_snapshot!("resolve_80x24", render(&app, 80, 24));
    let sent = desk_changes(&app.update(key(KeyCode::Enter)));
    assert_eq!(
        sent,
        vec![DeskChange::Resolve {
            ticket: "TK-000003".into(),
            code: "returned".into(),
            note: None
        }]
    );
    let mut resolved = queue()[1].clone();
    resolved.status = "resolved".into();
    resolved.resolution_code = Some("returned".into());
    let change = Change::Desk(sent[0].clone());
    app.update(Msg::Reply(Reply::Mutated {
        change,
        result: Ok(Applied::Ticket(Box::new(resolved))),
    }));
    assert!(render(&app, 80, 24).contains("TK-000003 resolved: returned"));
}

#[test]
fn taking_and_escalating_go_to_the_server() {
    let mut app = agent_at_ticket(true);
    let sent = desk_changes(&app.update(key(KeyCode::Char('a'))));
    assert_eq!(
        sent,
        vec![DeskChange::Assign {
            ticket: "TK-000003".into(),
            assignee: Some("cs".into())
        }]
    );
    app.update(key(KeyCode::Char('e')));
    // A reason is needed.
    assert!(desk_changes(&app.update(key(KeyCode::Enter))).is_empty());
    typed(&mut app, "customer threatens chargeback");
    let sent = desk_changes(&app.update(key(KeyCode::Enter)));
    assert_eq!(
        sent,
        vec![DeskChange::Escalate {
            ticket: "TK-000003".into(),
            reason: "customer threatens chargeback".into()
        }]
    );
    insta::assert_snapshot!("ticket_40x16", render(&app, 40, 16));
}

/// The ticket with its order: two lines, delivered.
fn detail_with_order() -> TicketDetailBody {
    let mut d = detail(true);
    d.order = Some(
        serde_json::from_value(serde_json::json!({
            "order": {
                "id": "o32", "number": "SO-000032", "channel": "web", "customer_name": "林美玲",
                "status": "delivered", "item_count": 3,
                "total": { "amount_minor": 8900, "currency": "EUR" },
                "created_at": "2026-11-20T10:00:00Z", "queue": "warehouse", "priority": "normal",
                "ship_by": null, "tags": []
            },
            "customer_email": "mei.lin@example.tw", "customer_phone": null,
            "payment_method": "card",
            "ship_to": { "name": "林美玲", "line1": "No. 1 Xinyi Rd", "line2": null,
                         "city": "Taipei", "postal_code": "110", "region": null, "country": "TW" },
            "lines": [
                { "line_no": 1, "sku": "TEA-1001", "name": "Oolong tea 100 g", "qty": 2,
                  "unit_price": { "amount_minor": 1450, "currency": "EUR" },
                  "catalogue_price": null, "backordered": 0, "pick_from": [] },
                { "line_no": 2, "sku": "KIT-1001", "name": "Cast-iron teapot", "qty": 1,
                  "unit_price": { "amount_minor": 6000, "currency": "EUR" },
                  "catalogue_price": null, "backordered": 0, "pick_from": [] }
            ],
            "history": [], "routing": null, "shipment": null
        }))
        .expect("an order"),
    );
    d
}

fn agent_at_ticket_with_order() -> App {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Cs));
    let d = detail_with_order();
    answer(&mut app, effects, &d);
    app.update(key(KeyCode::Down));
    let effects = app.update(key(KeyCode::Enter));
    answer(&mut app, effects, &d);
    app
}

#[test]
fn a_return_is_authorised_from_the_ticket_for_chosen_units_with_a_reason() {
    let mut app = agent_at_ticket_with_order();
    app.update(key(KeyCode::Char('m')));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('2')));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char(' ')));
    app.update(key(KeyCode::Tab));
    typed(&mut app, "lid cracked");
    insta::assert_snapshot!("return_form_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("return_form_40x16", render(&app, 40, 16));
    let sent = desk_changes(&app.update(ctrl('s')));
    assert_eq!(
        sent,
        vec![DeskChange::AuthoriseReturn {
            ticket: "TK-000003".into(),
            lines: vec![(1, 2), (2, 1)],
            reason: "lid cracked".into(),
        }]
    );
    // Not taken by the server: the form comes back as it was, to be sent again.
    let change = Change::Desk(sent[0].clone());
    app.update(Msg::Reply(Reply::Mutated {
        change,
        result: Err(backroom::client::ClientError::Unreachable(
            "connection refused".into(),
        )),
    }));
    let pane = &app.workspace().unwrap().complaints;
    let form = pane.remedy.as_ref().expect("the form is back");
    assert_eq!(
        form.lines.iter().map(|l| l.chosen).collect::<Vec<_>>(),
        [2, 1]
    );
    assert!(render(&app, 80, 24).contains("cannot reach the server"));
}

#[test]
fn a_refund_is_an_amount_in_the_orders_currency() {
    let mut app = agent_at_ticket_with_order();
    app.update(key(KeyCode::Char('m')));
    app.update(key(KeyCode::Right));
    app.update(key(KeyCode::Down));
    typed(&mut app, "60");
    app.update(key(KeyCode::Enter));
    typed(&mut app, "goodwill");
    insta::assert_snapshot!("refund_form_80x24", render(&app, 80, 24));
    let sent = desk_changes(&app.update(key(KeyCode::Enter)));
    assert_eq!(
        sent,
        vec![DeskChange::AskRefund {
            ticket: "TK-000003".into(),
            amount_minor: Some(6000),
            lines: Vec::new(),
            reason: "goodwill".into(),
        }]
    );
    let waiting: backroom::api::RefundBody = serde_json::from_value(serde_json::json!({
        "id": "f1", "number": "RF-000004", "ticket": "TK-000003", "order_number": "SO-000032",
        "kind": "refund", "amount": { "amount_minor": 6000, "currency": "EUR" }, "lines": [],
        "reason": "goodwill", "status": "awaiting_approval", "requested_by": "cs",
        "decided_by": null, "decided_at": null, "decision_note": null,
        "created_at": "2026-11-24T23:30:00Z", "replacement_order": null
    }))
    .unwrap();
    app.update(Msg::Reply(Reply::Mutated {
        change: Change::Desk(sent[0].clone()),
        result: Ok(Applied::Refund(Box::new(waiting))),
    }));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("RF-000004 refund €60.00 waits for a supervisor's approval"),
        "{screen}"
    );
    assert!(app.workspace().unwrap().complaints.remedy.is_none());
}

fn refund(
    number: &str,
    requested_by: &str,
    amount_minor: i64,
    reason: &str,
) -> backroom::api::RefundBody {
    serde_json::from_value(serde_json::json!({
        "id": format!("id-{number}"), "number": number, "ticket": "TK-000001",
        "order_number": "SO-000032", "kind": "refund",
        "amount": { "amount_minor": amount_minor, "currency": "EUR" }, "lines": [],
        "reason": reason, "status": "awaiting_approval", "requested_by": requested_by,
        "decided_by": null, "decided_at": null, "decision_note": null,
        "created_at": "2026-11-24T23:30:00Z", "replacement_order": null
    }))
    .unwrap()
}

#[test]
fn supervisors_approve_others_refunds_from_their_approvals_queue() {
    let mut app = app_with("default", "default");
    app.signed_in(me(Role::Supervisor));
    let mut effects = app.update(key(KeyCode::F(8)));
    // An agent's queues stop at escalated; a supervisor's go on to approvals.
    for _ in 0..4 {
        effects = app.update(key(KeyCode::Char('f')));
    }
    let asked = loads(&effects);
    let [(request, Lookup::RefundsAwaitingApproval), ..] = asked.as_slice() else {
        panic!("expected the approvals, got {asked:?}");
    };
    app.update(Msg::Reply(Reply::Loaded {
        request: *request,
        result: Ok(Loaded::Refunds(vec![
            refund("RF-000007", "supervisor", 5200, "second parcel lost"),
            refund("RF-000006", "cs", 6000, "goodwill: late parcel"),
        ])),
    }));
    insta::assert_snapshot!("approvals_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("approvals_40x16", render(&app, 40, 16));
    // One's own request is for someone else to decide.
    assert!(desk_changes(&app.update(key(KeyCode::Char('y')))).is_empty());
    assert!(render(&app, 80, 24).contains("RF-000007 was asked for by you"));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('d')));
    // A rejection says why.
    assert!(desk_changes(&app.update(key(KeyCode::Enter))).is_empty());
    typed(&mut app, "tracking shows it delivered");
    let sent = desk_changes(&app.update(key(KeyCode::Enter)));
    assert_eq!(
        sent,
        vec![DeskChange::DecideRefund {
            refund: "RF-000006".into(),
            approve: false,
            note: "tracking shows it delivered".into(),
        }]
    );
}

#[test]
fn agents_have_no_approvals_queue() {
    let mut app = agent_at_ticket(true);
    app.update(key(KeyCode::Esc));
    let mut views = Vec::new();
    for _ in 0..4 {
        for (_, lookup) in loads(&app.update(key(KeyCode::Char('f')))) {
            match lookup {
                Lookup::Tickets { view, .. } => views.push(view),
                Lookup::RefundsAwaitingApproval => views.push("approvals".into()),
                _ => {}
            }
        }
    }
    assert_eq!(views, ["mine", "unassigned", "escalated", "all"]);
}

#[test]
fn an_auditor_reads_tickets_and_changes_none() {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Auditor));
    let d = detail(true);
    // Only the desk's loads are answered here; the other panes' wait.
    for (request, lookup) in loads(&effects) {
        let loaded = match lookup {
            Lookup::Tickets { .. } => Loaded::Tickets(queue()),
            Lookup::CannedReplies => Loaded::CannedReplies(Box::new(canned())),
            _ => continue,
        };
        app.update(Msg::Reply(Reply::Loaded {
            request,
            result: Ok(loaded),
        }));
    }
    assert!(
        app.workspace()
            .unwrap()
            .panes
            .contains(&PaneKind::Complaints)
    );
    app.update(key(KeyCode::F(8)));
    assert_eq!(app.workspace().unwrap().active, PaneKind::Complaints);
    app.update(key(KeyCode::Down));
    let effects = app.update(key(KeyCode::Enter));
    answer(&mut app, effects, &d);
    insta::assert_snapshot!("ticket_read_only_80x24", render(&app, 80, 24));

    for c in ['r', 'n', 'a', 'e', 'p', 'x', 'm'] {
        let effects = app.update(key(KeyCode::Char(c)));
        assert!(desk_changes(&effects).is_empty(), "{c}");
        assert!(!app.workspace().unwrap().complaints.is_typing(), "{c}");
    }
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Your role reads tickets; it cannot change them"),
        "{screen}"
    );
    // Reading goes on: back to the queue and on to another ticket.
    app.update(key(KeyCode::Esc));
    let effects = app.update(key(KeyCode::Enter));
    assert!(
        loads(&effects)
            .iter()
            .any(|(_, l)| matches!(l, Lookup::Ticket(_)))
    );
}
