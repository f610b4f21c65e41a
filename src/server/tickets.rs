//! Customer service: customers' messages become tickets (with auto-replies); agents work
//! the queue; customers rate the help.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::catalog::page;
use super::error::ApiError;
use super::extract::ChangeBody;
use super::extract::{JsonBody, PathParams, QueryParams, one_of, page_size};
use super::location_codes::LocationCodes;
use super::once::{Fingerprint, once, stored};
use super::orders::{detail, summary};
use super::returns::{refund_body, return_body};
use super::{AppState, blocking};
use crate::api::Page;
use crate::api::{
    AssignIn, AutoReplyBody, AutoReplyTest, AutoReplyTestIn, CsatBody, CsatFigure, CsatIn,
    CsatReceipt, CsatReport, MessageIn, MessageReceipt, PriorityIn, Problem, ReasonIn, ResolveIn,
    TicketDetailBody, TicketIn, TicketMessage, TicketSummary, TicketTextIn,
};
use crate::domain::order::OrderNumber;
use crate::domain::role::{Permission, READ_TICKETS};
use crate::domain::routing::Priority;
use crate::domain::service_policy::ServicePolicy;
use crate::domain::stock::Document;
use crate::domain::ticket::{ResolutionCode, TicketKind};
use crate::store::{
    Agent, AutoReply, CsatAnswer, CsatRow, DeskRules, IncomingMessage, MessageOutcome,
    TicketChange, TicketCursor, TicketFilter, TicketRow, TicketView,
};

pub(super) fn ticket_summary(
    t: &TicketRow,
    policy: &ServicePolicy,
    now: Timestamp,
) -> TicketSummary {
    TicketSummary {
        id: t.id.clone(),
        number: Document::Ticket.number(t.number),
        kind: t.kind.as_str().into(),
        status: t.status.as_str().into(),
        priority: t.priority.as_str().into(),
        source: t.source.as_str().into(),
        subject: t.subject.clone(),
        customer_email: t.customer_email.clone(),
        customer_name: t.customer_name.clone(),
        order_number: t.order_number.map(|n| n.to_string()),
        assignee: t.assignee.clone(),
        first_response_due: t.clock.first_response_due.to_string(),
        resolution_due: t.clock.resolution_due.to_string(),
        first_responded_at: t.clock.first_responded_at.map(|x| x.to_string()),
        due_at: t.clock.next_due().to_string(),
        due_is: t.clock.next_due_is().into(),
        sla: match t.status {
            crate::domain::ticket::TicketStatus::Resolved => "ok".into(),
            _ => t.clock.state(now, policy.escalate_before).as_str().into(),
        },
        escalated_at: t.escalated_at.map(|x| x.to_string()),
        escalation_reason: t.escalation_reason.clone(),
        resolved_at: t.resolved_at.map(|x| x.to_string()),
        resolution_code: t.resolution_code.map(|c| c.as_str().into()),
        reopened: t.reopened,
        follow_up_of: t.follow_up_of.map(|n| Document::Ticket.number(n)),
        created_at: t.created_at.to_string(),
        updated_at: t.updated_at.to_string(),
    }
}

fn auto_reply(r: &AutoReply) -> AutoReplyBody {
    AutoReplyBody {
        rule: r.rule.clone(),
        body: r.body.clone(),
        keep_open: r.keep_open,
    }
}

fn csat_body(c: &CsatRow) -> CsatBody {
    CsatBody {
        agent: c.agent.clone(),
        requested_at: c.requested_at.to_string(),
        score: c.score,
        comment: c.comment.clone(),
        answered_at: c.answered_at.map(|t| t.to_string()),
    }
}

/// Text a person typed: trimmed, not blank, not unbounded.
fn text(what: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let t = value.trim();
    if t.is_empty() {
        return Err(ApiError::InvalidInput(format!("{what} is empty")));
    }
    if t.chars().count() > max {
        return Err(ApiError::InvalidInput(format!(
            "{what} is longer than {max} characters"
        )));
    }
    Ok(t.to_string())
}

fn email(value: &str) -> Result<String, ApiError> {
    let e = value.trim();
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !e.chars().any(char::is_whitespace);
    if !ok {
        return Err(ApiError::InvalidInput(format!(
            "customer_email {value:?} is not an e-mail address"
        )));
    }
    Ok(e.to_string())
}

fn order_number(value: Option<&str>) -> Result<Option<OrderNumber>, ApiError> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| {
            OrderNumber::parse(v).ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "order_number {v:?} is not an order number like SO-000123"
                ))
            })
        })
        .transpose()
}

fn kind(value: Option<&str>) -> Result<Option<TicketKind>, ApiError> {
    value
        .map(|k| {
            TicketKind::parse(k).ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "kind {k:?} is not one of {}",
                    TicketKind::names().join(", ")
                ))
            })
        })
        .transpose()
}

fn priority(value: Option<&str>) -> Result<Option<Priority>, ApiError> {
    value
        .map(|p| {
            Priority::parse(p.trim()).ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "priority {p:?} is not one of low, normal, high, urgent"
                ))
            })
        })
        .transpose()
}

/// The parts of a message, checked.
struct Message {
    email: String,
    name: Option<String>,
    order: Option<OrderNumber>,
    ticket: Option<i64>,
    subject: String,
    body: String,
    kind: Option<TicketKind>,
    priority: Option<Priority>,
}

impl Message {
    fn checked(m: &MessageIn) -> Result<Message, ApiError> {
        Ok(Message {
            email: email(&m.customer_email)?,
            name: m
                .customer_name
                .as_deref()
                .map(|n| text("customer_name", n, 200))
                .transpose()?,
            order: order_number(m.order_number.as_deref())?,
            ticket: m
                .ticket_number
                .as_deref()
                .map(|t| {
                    Document::Ticket.parse(t).ok_or_else(|| {
                        ApiError::InvalidInput(format!(
                            "ticket_number {t:?} is not a ticket number like TK-000012"
                        ))
                    })
                })
                .transpose()?,
            subject: text("subject", &m.subject, 200)?,
            body: text("body", &m.body, 10_000)?,
            kind: kind(m.kind.as_deref())?,
            priority: priority(m.priority.as_deref())?,
        })
    }

    fn incoming(&self) -> IncomingMessage<'_> {
        IncomingMessage {
            customer_email: &self.email,
            customer_name: self.name.as_deref(),
            order_number: self.order,
            ticket_number: self.ticket,
            subject: &self.subject,
            body: &self.body,
            kind: self.kind,
            priority: self.priority,
        }
    }
}

#[utoipa::path(post, path = "/api/v1/messages", tag = "service",
    params(("Idempotency-Key" = String, Header, description = "The gateway's message id")),
    request_body = MessageIn, security(("bearer" = [])),
    responses((status = 201, body = MessageReceipt, description = "A new ticket"),
        (status = 200, body = MessageReceipt, description = "Added to (or reopened) the ticket it answers"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn post_message(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<MessageIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::MessagesPost)?;
    let msg = Message::checked(&body)?;
    let rules = state.rules();
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, _actor, now| {
            let desk = DeskRules {
                policy: &rules.service,
                carriers: &rules.carriers,
            };
            s.take_message(once, &msg.incoming(), desk, now, |taken| {
                let status = match taken.outcome {
                    MessageOutcome::Opened | MessageOutcome::FollowUp => 201,
                    _ => 200,
                };
                stored(
                    status,
                    &MessageReceipt {
                        outcome: taken.outcome.as_str().into(),
                        ticket_number: Document::Ticket.number(taken.ticket.number),
                        auto_answered: taken.auto_reply.is_some(),
                    },
                )
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/auto-replies/test", tag = "service",
    request_body = AutoReplyTestIn, security(("bearer" = [])),
    responses((status = 200, body = AutoReplyTest, description = "What would be answered; nothing is sent or stored")))]
pub async fn test_auto_reply(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<AutoReplyTestIn>,
) -> Result<Json<AutoReplyTest>, ApiError> {
    if caller.require(Permission::RepliesManage).is_err() {
        caller.require(Permission::TicketsWork)?;
    }
    let text_in = format!("{}\n{}", body.subject, text("body", &body.body, 10_000)?);
    let customer = body.customer_email.as_deref().map(email).transpose()?;
    let order = order_number(body.order_number.as_deref())?;
    let rules = state.rules();
    let now = state.now();
    let (matched, reply) = blocking(&state, move |s| {
        let desk = DeskRules {
            policy: &rules.service,
            carriers: &rules.carriers,
        };
        s.preview_auto_reply(
            customer.as_deref().unwrap_or(""),
            order,
            &text_in,
            desk,
            now,
        )
    })
    .await?;
    Ok(Json(AutoReplyTest {
        matched,
        reply: reply.as_ref().map(auto_reply),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// all (open and waiting; default), mine, unassigned, escalated (the supervisor queue) or resolved.
    #[param(pattern = "^(all|mine|unassigned|escalated|resolved)$")]
    view: Option<String>,
    /// inquiry, complaint or return_request.
    #[param(pattern = "^(inquiry|complaint|return_request)$")]
    kind: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "service",
    params(TicketQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<TicketSummary>, description = "Soonest SLA deadline first (resolved: newest first)"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_tickets(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<TicketQuery>,
) -> Result<Json<Page<TicketSummary>>, ApiError> {
    caller.require_any(READ_TICKETS)?;
    one_of(
        "view",
        query.view.as_deref(),
        &["all", "mine", "unassigned", "escalated", "resolved"],
    )?;
    let view = match query.view.as_deref() {
        Some("mine") => TicketView::Mine(caller.user.id.clone()),
        Some("unassigned") => TicketView::Unassigned,
        Some("escalated") => TicketView::Escalated,
        Some("resolved") => TicketView::Resolved,
        _ => TicketView::All,
    };
    let kind = kind(query.kind.as_deref())?;
    let limit = page_size(query.limit)?;
    let after = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            TicketCursor::decode(c)
                .filter(|a| a.fits(&view))
                .ok_or_else(|| {
                    ApiError::BadCursor(format!(
                        "cursor {c:?} was not issued by this server for this queue"
                    ))
                })?,
        ),
    };
    let filter = TicketFilter {
        view: view.clone(),
        kind,
        after,
        limit: limit + 1,
    };
    let rules = state.rules();
    let now = state.now();
    let policy = rules.service.clone();
    let (escalated, rows) = blocking(&state, move |s| {
        // The queue never shows a deadline as fine that the sweep has not caught yet.
        let escalated = s.escalate_due(&policy, now)?;
        Ok((escalated, s.tickets(&filter)?))
    })
    .await?;
    if !escalated.is_empty() {
        state.ring();
    }
    Ok(Json(page(
        rows,
        limit,
        |t| TicketCursor::after(t, &view).encode(),
        |t| ticket_summary(&t, &rules.service, now),
    )))
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "service",
    params(("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = TicketIn, security(("bearer" = [])),
    responses((status = 201, body = TicketSummary),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn open_ticket(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<TicketIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let msg = Message::checked(&MessageIn {
        customer_email: body.customer_email,
        customer_name: body.customer_name,
        order_number: body.order_number,
        ticket_number: None,
        subject: body.subject,
        body: body.body,
        kind: body.kind,
        priority: body.priority,
    })?;
    let rules = state.rules();
    let user = caller.user.clone();
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, _actor, now| {
            let desk = DeskRules {
                policy: &rules.service,
                carriers: &rules.carriers,
            };
            let agent = Agent {
                id: &user.id,
                username: &user.username,
                display_name: &user.display_name,
            };
            s.open_ticket_for(once, &msg.incoming(), agent, desk, now, |t| {
                stored(201, &ticket_summary(t, &rules.service, now))
            })
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/tickets/{key}", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number (TK-000012)")),
    security(("bearer" = [])),
    responses((status = 200, body = TicketDetailBody),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_ticket(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<TicketDetailBody>, ApiError> {
    caller.require_any(READ_TICKETS)?;
    let rules = state.rules();
    let now = state.now();
    let agent = caller.user.display_name.clone();
    let desk_rules = rules.clone();
    let d = blocking(&state, move |s| {
        let desk = DeskRules {
            policy: &desk_rules.service,
            carriers: &desk_rules.carriers,
        };
        s.ticket_detail(&key, Some(&agent), desk, now)
    })
    .await?;
    let policy = &rules.service;
    let body = TicketDetailBody {
        ticket: ticket_summary(&d.ticket, policy, now),
        messages: d
            .messages
            .iter()
            .map(|m| TicketMessage {
                at: m.at.to_string(),
                author_kind: m.author_kind.as_str().into(),
                author: m.author.clone(),
                body: m.body.clone(),
            })
            .collect(),
        order: d.order.map(|o| detail(o, false)),
        customer_orders: d.customer_orders.into_iter().map(summary).collect(),
        past_tickets: d
            .past_tickets
            .iter()
            .map(|t| ticket_summary(t, policy, now))
            .collect(),
        values: crate::domain::reply_template::VARIABLES
            .iter()
            .filter_map(|(name, _)| {
                d.values
                    .get(name)
                    .map(|v| (name.to_string(), v.to_string()))
            })
            .collect(),
        returns: d.returns.iter().map(return_body).collect(),
        refunds: d.refunds.iter().map(refund_body).collect(),
        csat: d.csat.as_ref().map(csat_body),
        now: now.to_string(),
    };
    Ok(Json(LocationCodes::for_caller(&caller).applied(body)))
}

/// One agent change through the idempotent path, answered with the ticket.
async fn change(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    key: String,
    request: Fingerprint,
    make: fn(&Owned) -> TicketChange<'_>,
    owned: Owned,
) -> Result<Response, ApiError> {
    let rules = state.rules();
    let user = caller.user.clone();
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, _actor, now| {
            let agent = Agent {
                id: &user.id,
                username: &user.username,
                display_name: &user.display_name,
            };
            s.change_ticket(once, &key, &make(&owned), agent, &rules.service, now, |t| {
                stored(200, &ticket_summary(t, &rules.service, now))
            })
        },
    )
    .await
}

/// What a change carries, owned so it can move to the store's thread.
#[derive(Default)]
pub(super) struct Owned {
    text: String,
    user: Option<String>,
    priority: Option<Priority>,
    code: Option<ResolutionCode>,
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/replies", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = TicketTextIn, security(("bearer" = [])),
    responses((status = 200, body = TicketSummary, description = "Answered: the customer's turn"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Resolved")))]
pub async fn reply(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<TicketTextIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let owned = Owned {
        text: text("the reply", &body.body, 10_000)?,
        ..Owned::default()
    };
    change(
        state,
        caller,
        headers,
        key,
        request,
        |o| TicketChange::Reply(&o.text),
        owned,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/notes", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = TicketTextIn, security(("bearer" = [])),
    responses((status = 200, body = TicketSummary, description = "An internal note; the customer never sees it"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The ticket is resolved")))]
pub async fn note(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<TicketTextIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let owned = Owned {
        text: text("the note", &body.body, 10_000)?,
        ..Owned::default()
    };
    change(
        state,
        caller,
        headers,
        key,
        request,
        |o| TicketChange::Note(&o.text),
        owned,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/assign", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = AssignIn, security(("bearer" = [])),
    responses((status = 200, body = TicketSummary),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "Assigning others needs tickets.supervise"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The ticket is resolved")))]
pub async fn assign(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<AssignIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let assignee = body
        .assignee
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    // Agents take tickets or give them back; handing work to others is a supervisor's call.
    if assignee
        .as_deref()
        .is_some_and(|a| a != caller.user.username)
    {
        caller.require(Permission::TicketsSupervise)?;
    }
    if assignee.is_none() && caller.require(Permission::TicketsSupervise).is_err() {
        let wanted = key.clone();
        let current = blocking(&state, move |s| s.ticket_assignee(&wanted)).await?;
        if current
            .as_deref()
            .is_some_and(|c| c != caller.user.username)
        {
            caller.require(Permission::TicketsSupervise)?;
        }
    }
    let owned = Owned {
        user: assignee,
        ..Owned::default()
    };
    change(
        state,
        caller,
        headers,
        key,
        request,
        |o| TicketChange::Assign(o.user.as_deref()),
        owned,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/escalate", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReasonIn, security(("bearer" = [])),
    responses((status = 200, body = TicketSummary, description = "In the supervisor queue"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn escalate(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReasonIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let owned = Owned {
        text: text("the reason", &body.reason, 200)?,
        ..Owned::default()
    };
    change(
        state,
        caller,
        headers,
        key,
        request,
        |o| TicketChange::Escalate(&o.text),
        owned,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/priority", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = PriorityIn, security(("bearer" = [])),
    responses((status = 200, body = TicketSummary, description = "With deadlines for the new priority, counted from when the customer asked"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The ticket is resolved")))]
pub async fn set_priority(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<PriorityIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let owned = Owned {
        priority: priority(Some(&body.priority))?,
        ..Owned::default()
    };
    change(
        state,
        caller,
        headers,
        key,
        request,
        |o| TicketChange::Prioritise(o.priority.unwrap_or_default()),
        owned,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/resolve", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ResolveIn, security(("bearer" = [])),
    responses((status = 200, body = TicketSummary, description = "Resolved; a satisfaction survey is recorded"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn resolve(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ResolveIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let code = ResolutionCode::parse(&body.code).ok_or_else(|| {
        ApiError::InvalidInput(format!(
            "code {:?} is not one of {}",
            body.code,
            ResolutionCode::names().join(", ")
        ))
    })?;
    let note = body
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .map(|n| text("the note", n, 500))
        .transpose()?;
    let owned = Owned {
        code: Some(code),
        text: note.unwrap_or_default(),
        ..Owned::default()
    };
    change(
        state,
        caller,
        headers,
        key,
        request,
        |o| TicketChange::Resolve {
            code: o.code.unwrap_or(ResolutionCode::Answered),
            note: (!o.text.is_empty()).then_some(o.text.as_str()),
        },
        owned,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/csat", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The storefront's survey answer id")),
    request_body = CsatIn, security(("bearer" = [])),
    responses((status = 201, body = CsatReceipt),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not resolved, or rated already")))]
pub async fn post_csat(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<CsatIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::MessagesPost)?;
    if !(1..=5).contains(&body.score) {
        return Err(ApiError::InvalidInput(format!(
            "score must be 1 to 5, not {}",
            body.score
        )));
    }
    let comment = body
        .comment
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| text("comment", c, 2_000))
        .transpose()?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, _actor, now| {
            let said = body.customer_email.clone();
            let answer = CsatAnswer {
                ticket: &key,
                customer_email: &said,
                score: body.score,
                comment: comment.as_deref(),
            };
            s.record_csat(once, &answer, now, |number, c| {
                stored(
                    201,
                    &CsatReceipt {
                        ticket_number: number.to_string(),
                        score: c.score.unwrap_or(body.score),
                    },
                )
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CsatQuery {
    /// RFC 3339; default 30 days before `to`.
    #[param(format = DateTime)]
    from: Option<String>,
    /// RFC 3339; default now.
    #[param(format = DateTime)]
    to: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/reports/csat", tag = "reports",
    params(CsatQuery), security(("bearer" = [])),
    responses((status = 200, body = CsatReport, description = "Surveys sent in the period, per agent and for the team")))]
pub async fn csat_report(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<CsatQuery>,
) -> Result<Json<CsatReport>, ApiError> {
    // Not for agents, who work tickets: the auditor's read-only grant opens it.
    caller.require_any(&[Permission::ReportsRead, Permission::TicketsRead])?;
    let at = |name: &str, v: Option<&str>| {
        v.map(|v| {
            v.parse::<Timestamp>().map_err(|e| {
                ApiError::InvalidInput(format!("{name} {v:?} is not an RFC 3339 time: {e}"))
            })
        })
        .transpose()
    };
    let to = at("to", query.to.as_deref())?.unwrap_or_else(|| state.now());
    let from = match at("from", query.from.as_deref())? {
        Some(from) => from,
        // Checked: `to` may be as early as a timestamp can be, with no 30 days before it.
        None => to
            .checked_sub(jiff::SignedDuration::from_hours(30 * 24))
            .map_err(|_| {
                ApiError::InvalidInput(format!(
                    "to {to} leaves no 30 days before it for the default from; give from"
                ))
            })?,
    };
    if from >= to {
        return Err(ApiError::InvalidInput("from must be before to".into()));
    }
    let rows = blocking(&state, move |s| s.csat_by_agent(from, to)).await?;
    let figure = |agent: String, answers: i64, sum: i64, surveys: i64| CsatFigure {
        agent,
        surveys,
        answers,
        average: (answers > 0).then(|| (sum as f64 / answers as f64 * 100.0).round() / 100.0),
    };
    let (answers, sum, surveys) = rows
        .iter()
        .fold((0, 0, 0), |(a, s, n), r| (a + r.1, s + r.2, n + r.3));
    Ok(Json(CsatReport {
        from: from.to_string(),
        to: to.to_string(),
        agents: rows
            .into_iter()
            .map(|(agent, a, s, n)| figure(agent, a, s, n))
            .collect(),
        team: figure("team".into(), answers, sum, surveys),
    }))
}
