//! Returns (RMAs) and refunds/replacements decided on tickets.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::catalog::{number_cursor, page};
use super::error::ApiError;
use super::extract::ChangeBody;
use super::extract::{PathParams, QueryParams, one_of, page_size};
use super::location_codes::LocationCodes;
use super::once::{once, stored};
use super::{AppState, blocking};
use crate::api::Page;
use crate::api::{
    DecisionIn, LineQty, MoneyBody, Problem, RefundBody, RefundIn, ReturnBody, ReturnIn,
    ReturnLine, ReturnReceiveIn,
};
use crate::domain::role::{Permission, READ_TICKETS};
use crate::domain::stock::Document;
use crate::store::{RefundAsk, RefundRow, ReturnRow, ReturnedItem};

pub(super) fn return_body(r: &ReturnRow) -> ReturnBody {
    ReturnBody {
        id: r.id.clone(),
        number: Document::Return.number(r.number),
        ticket: Document::Ticket.number(r.ticket_number),
        order_number: r.order_number.to_string(),
        status: r.status.clone(),
        reason: r.reason.clone(),
        created_by: r.created_by.clone(),
        received_into: r.received_into.clone(),
        created_at: r.created_at.to_string(),
        lines: r
            .lines
            .iter()
            .map(|l| ReturnLine {
                line_no: l.line_no,
                sku: l.sku.clone(),
                name: l.name.clone(),
                qty: l.qty,
                received: l.received,
            })
            .collect(),
    }
}

pub(super) fn refund_body(r: &RefundRow) -> RefundBody {
    RefundBody {
        id: r.id.clone(),
        number: Document::Refund.number(r.number),
        ticket: Document::Ticket.number(r.ticket_number),
        order_number: r.order_number.to_string(),
        kind: r.kind.clone(),
        amount: MoneyBody::from(r.amount),
        lines: r
            .lines
            .iter()
            .map(|&(line_no, qty)| LineQty { line_no, qty })
            .collect(),
        reason: r.reason.clone(),
        status: r.status.clone(),
        requested_by: r.requested_by.clone(),
        decided_by: r.decided_by.clone(),
        decided_at: r.decided_at.map(|t| t.to_string()),
        decision_note: r.decision_note.clone(),
        created_at: r.created_at.to_string(),
        replacement_order: r.replacement_order.map(|n| n.to_string()),
    }
}

fn reason(what: &str, value: &str) -> Result<String, ApiError> {
    let r = value.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(ApiError::InvalidInput(format!(
            "give {what} of 1–500 characters"
        )));
    }
    Ok(r.to_string())
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/returns", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReturnIn, security(("bearer" = [])),
    responses((status = 201, body = ReturnBody, description = "The return authorisation (RMA)"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No order, or the order has not shipped"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn authorise_return(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReturnIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let why = reason("a reason", &body.reason)?;
    let lines: Vec<(i64, i64)> = body.lines.iter().map(|l| (l.line_no, l.qty)).collect();
    let window = state.rules().service.return_window_days;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.authorise_return(once, &key, &lines, &why, window, actor, now, |r| {
                stored(201, &return_body(r))
            })
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/returns/{key}", tag = "service",
    params(("key" = String, Path, description = "Return id or number (RMA-000001)")),
    security(("bearer" = [])),
    responses((status = 200, body = ReturnBody),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_return(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<ReturnBody>, ApiError> {
    if caller.require(Permission::StockMove).is_err() {
        caller.require_any(READ_TICKETS)?;
    }
    let codes = LocationCodes::for_caller(&caller);
    let row = blocking(&state, move |s| s.return_by_key(&key)).await?;
    Ok(Json(codes.applied(return_body(&row))))
}

#[utoipa::path(post, path = "/api/v1/returns/{key}/receive", tag = "service",
    params(("key" = String, Path, description = "Return id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReturnReceiveIn, security(("bearer" = [])),
    responses((status = 200, body = ReturnBody, description = "The units are in the returns location; put them away with a move to a bin or to damaged"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not on this return, or more than expected")))]
pub async fn receive_return(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReturnReceiveIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StockMove)?;
    if !(1..=100_000).contains(&body.qty) {
        return Err(ApiError::InvalidInput(format!(
            "qty must be 1 to 100000, not {}",
            body.qty
        )));
    }
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let item = ReturnedItem {
                product: body.product.trim(),
                qty: body.qty,
                location: body.location.as_deref(),
                lot: body.lot.as_deref(),
            };
            s.receive_return(once, &key, &item, actor, now, |r| {
                stored(200, &return_body(r))
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/tickets/{key}/refunds", tag = "service",
    params(("key" = String, Path, description = "Ticket id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = RefundIn, security(("bearer" = [])),
    responses((status = 201, body = RefundBody, description = "approved at once up to the limit; above it awaiting_approval"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No order, or nothing was charged to refund")))]
pub async fn request_refund(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<RefundIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsWork)?;
    let why = reason("a reason", &body.reason)?;
    let lines: Vec<(i64, i64)> = body.lines.iter().map(|l| (l.line_no, l.qty)).collect();
    let amount = match body.kind.as_str() {
        "refund" => Some(
            body.amount_minor
                .ok_or_else(|| ApiError::InvalidInput("a refund needs amount_minor".into()))?,
        ),
        "replacement" => {
            if body.amount_minor.is_some() {
                return Err(ApiError::InvalidInput(
                    "a replacement is worth its lines; leave amount_minor out".into(),
                ));
            }
            None
        }
        other => {
            return Err(ApiError::InvalidInput(format!(
                "kind {other:?} is not refund or replacement"
            )));
        }
    };
    let rules = state.rules();
    let limit = rules.service.approval_above_minor;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let ask = match amount {
                Some(amount_minor) => RefundAsk::Refund { amount_minor },
                None => RefundAsk::Replacement { lines: &lines },
            };
            s.request_refund(once, &key, &ask, &why, actor, limit, &rules, now, |r| {
                stored(201, &refund_body(r))
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RefundQuery {
    /// awaiting_approval, approved or rejected; all when absent.
    #[param(pattern = "^(awaiting_approval|approved|rejected)$")]
    status: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/refunds", tag = "service",
    params(RefundQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<RefundBody>, description = "Newest first"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_refunds(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<RefundQuery>,
) -> Result<Json<Page<RefundBody>>, ApiError> {
    caller.require_any(READ_TICKETS)?;
    one_of(
        "status",
        query.status.as_deref(),
        &["awaiting_approval", "approved", "rejected"],
    )?;
    let limit = page_size(query.limit)?;
    let before = number_cursor(query.cursor.as_deref())?;
    let rows = blocking(&state, move |s| {
        s.refunds(query.status.as_deref(), before, limit + 1)
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| r.number.to_string(),
        |r| refund_body(&r),
    )))
}

async fn decide(
    state: AppState,
    caller: Caller,
    key: String,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<DecisionIn>,
    approve: bool,
) -> Result<Response, ApiError> {
    caller.require(Permission::TicketsSupervise)?;
    let note = reason("a note", &body.note)?;
    let rules = state.rules();
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.decide_refund(once, &key, approve, &note, actor, &rules, now, |r| {
                stored(200, &refund_body(r))
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/refunds/{key}/approve", tag = "service",
    params(("key" = String, Path, description = "Refund id or number (RF-000001)"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = DecisionIn, security(("bearer" = [])),
    responses((status = 200, body = RefundBody),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The one who asked cannot approve"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Decided already")))]
pub async fn approve_refund(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    body: ChangeBody<DecisionIn>,
) -> Result<Response, ApiError> {
    decide(state, caller, key, headers, body, true).await
}

#[utoipa::path(post, path = "/api/v1/refunds/{key}/reject", tag = "service",
    params(("key" = String, Path, description = "Refund id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = DecisionIn, security(("bearer" = [])),
    responses((status = 200, body = RefundBody),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The one who asked cannot reject"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Decided already")))]
pub async fn reject_refund(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    body: ChangeBody<DecisionIn>,
) -> Result<Response, ApiError> {
    decide(state, caller, key, headers, body, false).await
}
