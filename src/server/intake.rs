//! Order intake and status changes: the mutating side of orders.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::PathParams;
use super::extract::{ChangeBody, NoBody};
use super::location_codes::LocationCodes;
use super::once::{answer, idempotency_key, stored};
use super::orders::detail;
use super::{AppState, blocking, placing};
use crate::api::{
    AcceptedLine, AcceptedOrder, ExistingOrder, OrderAccepted, OrderCreated, OrderDetail,
    OrderExists, OrderIn, Problem, StatusChangeIn,
};
use crate::domain::channel::{PublicChannel, may_post};
use crate::domain::intake::{AddressIn, LineIn};
use crate::domain::lifecycle::needs_reason;
use crate::domain::money::Currency;
use crate::domain::order::OrderStatus;
use crate::domain::role::Permission;
use crate::store::{CustomerIn, IdempotencyKey, NewOrder, OrderDetailRow, Placed, StoreError};

/// A wire order as the store takes it. Shared by the HTTP intake and the CSV import.
/// Internal channels (`replacement`, connectors') are refused here, so neither can post
/// into them.
pub fn order_from_wire(body: OrderIn) -> Result<NewOrder, String> {
    let currency = Currency::parse(body.currency.trim()).map_err(|e| e.to_string())?;
    let channel = PublicChannel::parse(&body.channel).map_err(|e| e.to_string())?;
    Ok(NewOrder {
        channel: channel.as_str().to_string(),
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
        (status = 201, body = OrderCreated, description = "Placed, validated, reserved and routed: the order in full, or, for a caller without `orders.read`, its number, status and backorders only"),
        (status = 200, body = OrderExists, description = "This channel order number was delivered before: its number and status only"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "The caller lacks orders.create, or is bound to other channels"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json", description = "Refused (every reason in `errors`), or the key was used with another body"),
    ))]
pub async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<OrderIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersCreate)?;
    let codes = LocationCodes::for_caller(&caller);
    let reads_orders = caller.user.role.allows(Permission::OrdersRead);
    let key = idempotency_key(&headers)?;
    let order = order_from_wire(body).map_err(ApiError::InvalidInput)?;
    may_post(caller.user.channels.as_deref(), &order.channel)
        .map_err(|e| ApiError::Store(StoreError::NotAllowed(e.to_string())))?;
    let scope = caller.user.id.clone();
    let actor = caller.user.username.clone();
    let rules = state.rules();
    let outcome = placing(&state, move |s| {
        s.place_order_once(
            &IdempotencyKey {
                scope: &scope,
                key: &key,
                request_hash: request.as_str(),
            },
            &order,
            &rules,
            &actor,
            Timestamp::now(),
            |placed| match placed {
                Placed::Created(d) if reads_orders => stored(
                    201,
                    &OrderCreated::Detail(Box::new(codes.applied(detail(*d, false)))),
                ),
                Placed::Created(d) => stored(201, &OrderCreated::Accepted(accepted(&d))),
                Placed::Duplicate(d) => stored(
                    200,
                    &OrderExists {
                        duplicate: true,
                        order: ExistingOrder {
                            number: d.order.number.to_string(),
                            status: d.order.status.as_str().to_string(),
                        },
                    },
                ),
            },
        )
    })
    .await?;
    state.ring();
    answer(outcome, &idempotency_key(&headers)?)
}

/// A new order as a caller that may not read orders is told of it.
fn accepted(d: &OrderDetailRow) -> OrderAccepted {
    OrderAccepted {
        duplicate: false,
        order: AcceptedOrder {
            id: d.order.id.clone(),
            number: d.order.number.to_string(),
            status: d.order.status.as_str().to_string(),
        },
        lines: d
            .lines
            .iter()
            .map(|l| AcceptedLine {
                line_no: l.line_no,
                sku: l.sku.clone(),
                qty: l.qty,
                backordered: l.backordered,
            })
            .collect(),
    }
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
    ChangeBody(body, request): ChangeBody<StatusChangeIn>,
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
    let codes = LocationCodes::for_caller(&caller);
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
        return Ok(Json(codes.applied(detail(changed, false))).into_response());
    }
    // With a key (the console sends one per mutation), a retry gets the first answer.
    let once = idempotency_key(&headers)?;
    let scope = caller.user.id.clone();
    let outcome = blocking(&state, move |s| {
        s.change_order_status_once(
            &IdempotencyKey {
                scope: &scope,
                key: &once,
                request_hash: request.as_str(),
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
                    serde_json::to_string(&codes.applied(detail(changed.clone(), false)))
                        .unwrap_or_default(),
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
    _: NoBody,
) -> Result<Json<OrderDetail>, ApiError> {
    caller.require(Permission::OrdersManage)?;
    let codes = LocationCodes::for_caller(&caller);
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
    Ok(Json(codes.applied(detail(routed, false))))
}
