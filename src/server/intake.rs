//! Order intake and status changes: the mutating side of orders.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{JsonBody, PathParams, read_object};
use super::once::{answer, idempotency_key};
use super::orders::detail;
use super::{AppState, blocking, placing};
use crate::api::{OrderDetail, OrderIn, Problem, StatusChangeIn};
use crate::domain::intake::{AddressIn, LineIn};
use crate::domain::lifecycle::needs_reason;
use crate::domain::money::Currency;
use crate::domain::order::OrderStatus;
use crate::domain::role::Permission;
use crate::store::{CustomerIn, IdempotencyKey, NewOrder, Placed, hex};

/// A wire order as the store takes it. Shared by the HTTP intake and the CSV import.
pub fn order_from_wire(body: OrderIn) -> Result<NewOrder, String> {
    let currency = Currency::parse(body.currency.trim()).map_err(|e| e.to_string())?;
    Ok(NewOrder {
        channel: body.channel.trim().to_string(),
        channel_order_no: body
            .channel_order_no
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        customer: CustomerIn {
            name: body.customer.name,
            email: body.customer.email,
            phone: body.customer.phone,
        },
        ship_to: AddressIn {
            name: body.ship_to.name,
            line1: body.ship_to.line1,
            line2: body.ship_to.line2,
            city: body.ship_to.city,
            postal_code: body.ship_to.postal_code,
            region: body.ship_to.region,
            country: body.ship_to.country.trim().to_uppercase(),
        },
        payment_method: body.payment_method.trim().to_lowercase(),
        currency,
        lines: body
            .lines
            .into_iter()
            .map(|l| LineIn {
                sku: l.sku.trim().to_string(),
                qty: l.qty,
                unit_price_minor: l.unit_price_minor,
            })
            .collect(),
        free_of_charge: false,
    })
}

#[utoipa::path(post, path = "/api/v1/orders", tag = "orders",
    request_body = OrderIn,
    params(("Idempotency-Key" = String, Header, description = "Unique per order attempt; a retry with the same key and body gets the first answer")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = OrderDetail, description = "Placed, validated, reserved and routed"),
        (status = 200, body = OrderDetail, description = "This channel order number was delivered before (`duplicate: true`)"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Refused (every reason in `errors`), or the key was used with another body"),
    ))]
pub async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersCreate)?;
    let key = idempotency_key(&headers)?;
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return Err(ApiError::UnsupportedMediaType(
            "send the order as Content-Type: application/json".into(),
        ));
    }
    let parsed: OrderIn = serde_json::from_slice(&body)
        .map_err(|e| ApiError::MalformedBody(e.to_string()))
        .and_then(read_object)?;
    let order = order_from_wire(parsed).map_err(ApiError::InvalidInput)?;
    let request_hash = hex(&Sha256::digest(&body));
    let scope = caller.user.id.clone();
    let actor = caller.user.username.clone();
    let rules = state.rules();
    let outcome = placing(&state, move |s| {
        s.place_order_once(
            &IdempotencyKey {
                scope: &scope,
                key: &key,
                request_hash: &request_hash,
            },
            &order,
            &rules,
            &actor,
            Timestamp::now(),
            |placed| {
                let (status, d) = match placed {
                    Placed::Created(d) => (201, detail(*d, false)),
                    Placed::Duplicate(d) => (200, detail(*d, true)),
                };
                (status, serde_json::to_string(&d).unwrap_or_default())
            },
        )
    })
    .await?;
    state.ring();
    answer(outcome, &idempotency_key(&headers)?)
}

/// Warehouse moves belong to fulfilment; the rest is managing the order.
fn permission_for(from: OrderStatus, to: OrderStatus) -> Permission {
    use OrderStatus::*;
    match (from, to) {
        (_, Picking | Packed | Shipped | Delivered) | (Picking, ReadyToPick) => {
            Permission::OrdersFulfil
        }
        _ => Permission::OrdersManage,
    }
}

#[utoipa::path(post, path = "/api/v1/orders/{key}/status", tag = "orders",
    params(("key" = String, Path, description = "Order id or number (SO-000123)"),
        ("Idempotency-Key" = Option<String>, Header, description = "Optional: with it, a retry with the same key and body gets the first answer")),
    request_body = StatusChangeIn,
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderDetail),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not a legal change from the current status, or not enough stock to release"),
    ))]
pub async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<StatusChangeIn>,
) -> Result<Response, ApiError> {
    let to: OrderStatus = body
        .status
        .parse()
        .map_err(|e: crate::domain::order::UnknownStatus| ApiError::InvalidInput(e.to_string()))?;
    let reason = body
        .reason
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if needs_reason(to) && reason.is_none() {
        return Err(ApiError::InvalidInput(format!(
            "moving an order to {} needs a reason",
            to.label()
        )));
    }
    let wanted = key.clone();
    let from = blocking(&state, move |s| s.order_status(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {key:?}")))?;
    caller.require(permission_for(from, to))?;
    let actor = caller.user.username.clone();
    if !headers.contains_key("idempotency-key") {
        let changed = blocking(&state, move |s| {
            s.change_order_status(
                &key,
                Some(from),
                to,
                reason.as_deref(),
                &actor,
                Timestamp::now(),
            )
        })
        .await?;
        state.ring();
        return Ok(Json(detail(changed, false)).into_response());
    }
    // With a key (the console sends one per mutation), a retry gets the first answer.
    let once = idempotency_key(&headers)?;
    let request_hash = hex(&Sha256::digest(
        format!("{key}|{}|{}", to.as_str(), reason.as_deref().unwrap_or("")).as_bytes(),
    ));
    let scope = caller.user.id.clone();
    let outcome = blocking(&state, move |s| {
        s.change_order_status_once(
            &IdempotencyKey {
                scope: &scope,
                key: &once,
                request_hash: &request_hash,
            },
            &key,
            Some(from),
            to,
            reason.as_deref(),
            &actor,
            Timestamp::now(),
            |changed| {
                (
                    200,
                    serde_json::to_string(&detail(changed.clone(), false)).unwrap_or_default(),
                )
            },
        )
    })
    .await?;
    state.ring();
    answer(outcome, &idempotency_key(&headers)?)
}

#[utoipa::path(post, path = "/api/v1/orders/{key}/reroute", tag = "orders",
    params(("key" = String, Path, description = "Order id or number (SO-000123)")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OrderDetail, description = "Routed again with the rules in force"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Already picked, or not enough stock for picking"),
    ))]
pub async fn reroute(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    caller.require(Permission::OrdersManage)?;
    let wanted = key.clone();
    let from = blocking(&state, move |s| s.order_status(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {key:?}")))?;
    let rules = state.rules();
    let actor = caller.user.username.clone();
    let routed = blocking(&state, move |s| {
        s.reroute_order(&key, Some(from), &rules, &actor, Timestamp::now())
    })
    .await?;
    state.ring();
    Ok(Json(detail(routed, false)))
}
