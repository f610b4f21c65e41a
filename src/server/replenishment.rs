//! Replenishment alerts and purchase requests for purchasing.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::blind::Blind;
use super::catalog::{number_cursor, page};
use super::error::ApiError;
use super::extract::ChangeBody;
use super::extract::{PathParams, one_of};
use super::extract::{QueryParams, page_size};
use super::once::{once, stored};
use super::{AppState, blocking};
use crate::api::{
    AlertRequestIn, Page, Problem, PurchaseOrderIn, PurchaseRequest, PurchaseRequestIn, ReasonIn,
    ReplenishmentAlert,
};
use crate::domain::role::Permission;
use crate::domain::stock::Document;
use crate::store::{AlertDecision, AlertRow, PurchaseRequestRow, RequestStep};

fn alert(row: &AlertRow) -> ReplenishmentAlert {
    ReplenishmentAlert {
        id: row.id.clone(),
        number: Document::Alert.number(row.number),
        sku: row.sku.clone(),
        name: row.name.clone(),
        state: row.state.clone(),
        raised_at: row.raised_at.to_string(),
        available_when_raised: Some(row.available_then),
        available: row.available_now,
        on_order: row.on_order,
        safety_stock: row.safety_stock,
        suggested_qty: Some(row.suggested_qty),
        decided_by: row.decided_by.clone(),
        reason: row.reason.clone(),
        cleared_at: row.cleared_at.map(|t| t.to_string()),
        purchase_request: row.request.map(|n| Document::PurchaseRequest.number(n)),
    }
}

pub(super) fn purchase_request(row: &PurchaseRequestRow) -> PurchaseRequest {
    PurchaseRequest {
        id: row.id.clone(),
        number: Document::PurchaseRequest.number(row.number),
        sku: row.sku.clone(),
        name: row.name.clone(),
        qty: row.qty,
        received_qty: row.received_qty,
        state: row.state.clone(),
        supplier: row.supplier.clone(),
        alert: row.alert.map(|n| Document::Alert.number(n)),
        created_by: row.created_by.clone(),
        created_at: row.created_at.to_string(),
        ordered_at: row.ordered_at.map(|t| t.to_string()),
        received_at: row.received_at.map(|t| t.to_string()),
        reason: row.reason.clone(),
    }
}

/// A reason someone will read later: not blank, not a novel.
fn reason(body: &ReasonIn) -> Result<String, ApiError> {
    let r = body.reason.trim();
    if r.is_empty() || r.chars().count() > 200 {
        return Err(ApiError::InvalidInput(
            "give a reason of 1–200 characters".into(),
        ));
    }
    Ok(r.to_string())
}

fn supplier(s: Option<String>) -> Result<Option<String>, ApiError> {
    match s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > 100 => Err(ApiError::InvalidInput(
            "a supplier name is at most 100 characters".into(),
        )),
        other => Ok(other),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertQuery {
    /// Include alerts whose stock recovered.
    all: Option<bool>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/replenishment/alerts", tag = "replenishment",
    params(AlertQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<ReplenishmentAlert>, description = "Newest first; by default only products still below safety stock"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_alerts(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<AlertQuery>,
) -> Result<Json<Page<ReplenishmentAlert>>, ApiError> {
    caller.require(Permission::StockRead)?;
    let limit = page_size(query.limit)?;
    let before = number_cursor(query.cursor.as_deref())?;
    let live = !query.all.unwrap_or(false);
    let me = caller.user.username.clone();
    let (rows, blind) = blocking(&state, move |s| {
        Ok((
            s.replenishment_alerts(live, before, limit + 1)?,
            Blind::read_with_stock(s, &me)?,
        ))
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| r.number.to_string(),
        |r| blind.alert(alert(&r)),
    )))
}

#[utoipa::path(get, path = "/api/v1/replenishment/alerts/{key}", tag = "replenishment",
    params(("key" = String, Path, description = "Alert id or number (RA-000001)")),
    security(("bearer" = [])),
    responses((status = 200, body = ReplenishmentAlert),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_alert(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<ReplenishmentAlert>, ApiError> {
    caller.require(Permission::StockRead)?;
    let me = caller.user.username.clone();
    let (row, blind) = blocking(&state, move |s| {
        Ok((
            s.replenishment_alert(&key)?,
            Blind::read_with_stock(s, &me)?,
        ))
    })
    .await?;
    Ok(Json(blind.alert(alert(&row))))
}

#[utoipa::path(post, path = "/api/v1/replenishment/alerts/{key}/request", tag = "replenishment",
    params(("key" = String, Path, description = "Alert id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = AlertRequestIn, security(("bearer" = [])),
    responses((status = 200, body = ReplenishmentAlert, description = "With the purchase request made from it"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Decided already")))]
pub async fn request_from_alert(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<AlertRequestIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::PurchasingManage)?;
    let supplier = supplier(body.supplier)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let decision = AlertDecision::Request {
                qty: body.qty,
                supplier: supplier.as_deref(),
            };
            let blind = Blind::read_with_stock(s, actor)?;
            s.decide_alert(once, &key, decision, actor, now, |row| {
                stored(200, &blind.alert(alert(row)))
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/replenishment/alerts/{key}/dismiss", tag = "replenishment",
    params(("key" = String, Path, description = "Alert id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReasonIn, security(("bearer" = [])),
    responses((status = 200, body = ReplenishmentAlert),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Decided already")))]
pub async fn dismiss_alert(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReasonIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::PurchasingManage)?;
    let reason = reason(&body)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let decision = AlertDecision::Dismiss { reason: &reason };
            let blind = Blind::read_with_stock(s, actor)?;
            s.decide_alert(once, &key, decision, actor, now, |row| {
                stored(200, &blind.alert(alert(row)))
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestQuery {
    /// suggested, ordered, received or cancelled; all when absent.
    #[param(pattern = "^(suggested|ordered|received|cancelled)$")]
    state: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/purchase-requests", tag = "replenishment",
    params(RequestQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<PurchaseRequest>, description = "Newest first"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<RequestQuery>,
) -> Result<Json<Page<PurchaseRequest>>, ApiError> {
    caller.require(Permission::StockRead)?;
    one_of(
        "state",
        query.state.as_deref(),
        &["suggested", "ordered", "received", "cancelled"],
    )?;
    let limit = page_size(query.limit)?;
    let before = number_cursor(query.cursor.as_deref())?;
    let rows = blocking(&state, move |s| {
        s.purchase_requests(query.state.as_deref(), before, limit + 1)
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| r.number.to_string(),
        |r| purchase_request(&r),
    )))
}

#[utoipa::path(get, path = "/api/v1/purchase-requests/{key}", tag = "replenishment",
    params(("key" = String, Path, description = "Request id or number (PR-000001)")),
    security(("bearer" = [])),
    responses((status = 200, body = PurchaseRequest),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_request(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<PurchaseRequest>, ApiError> {
    caller.require(Permission::StockRead)?;
    let row = blocking(&state, move |s| s.purchase_request(&key)).await?;
    Ok(Json(purchase_request(&row)))
}

#[utoipa::path(post, path = "/api/v1/purchase-requests", tag = "replenishment",
    params(("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = PurchaseRequestIn, security(("bearer" = [])),
    responses((status = 201, body = PurchaseRequest),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such product")))]
pub async fn create_request(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<PurchaseRequestIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::PurchasingManage)?;
    let supplier = supplier(body.supplier)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.create_purchase_request(
                once,
                &body.product,
                body.qty,
                supplier.as_deref(),
                actor,
                now,
                |row| stored(201, &purchase_request(row)),
            )
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/purchase-requests/{key}/order", tag = "replenishment",
    params(("key" = String, Path, description = "Request id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = PurchaseOrderIn, security(("bearer" = [])),
    responses((status = 200, body = PurchaseRequest, description = "Ordered: on order from now, and expected in a delivery"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn order_request(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<PurchaseOrderIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::PurchasingManage)?;
    let supplier = supplier(body.supplier)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let step = RequestStep::Order {
                supplier: supplier.as_deref(),
            };
            s.advance_purchase_request(once, &key, step, actor, now, |row| {
                stored(200, &purchase_request(row))
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/purchase-requests/{key}/cancel", tag = "replenishment",
    params(("key" = String, Path, description = "Request id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReasonIn, security(("bearer" = [])),
    responses((status = 200, body = PurchaseRequest),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel_request(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReasonIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::PurchasingManage)?;
    let reason = reason(&body)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let step = RequestStep::Cancel { reason: &reason };
            s.advance_purchase_request(once, &key, step, actor, now, |row| {
                stored(200, &purchase_request(row))
            })
        },
    )
    .await
}
