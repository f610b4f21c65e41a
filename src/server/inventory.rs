//! The stock ledger over HTTP: movement history, moves and put-away, adjustments, and
//! purchase receipts.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::blind::{Blind, seen};
use super::catalog::page;
use super::error::ApiError;
use super::extract::{ChangeBody, NoBody};
use super::extract::{PathParams, one_of};
use super::extract::{QueryParams, page_size};
use super::location_codes::LocationCodes;
use super::once::{once, stored};
use super::replenishment::purchase_request;
use super::{AppState, blocking};
use crate::api::{
    AdjustmentIn, MoveIn, Page, Problem, Receipt, ReceiptIn, ReceiptLine, ReceiveIn, StockMovement,
};
use crate::domain::role::Permission;
use crate::domain::stock::{AdjustmentReason, Document, MovementKind};
use crate::domain::stocktake::counted_blind;
use crate::store::{
    Adjustment, MovementFilter, MovementRow, ReceiptRow, ReceivedItem, StockMove, StoreError,
};

fn movement(row: MovementRow) -> StockMovement {
    StockMovement {
        id: row.id,
        at: row.at.to_string(),
        sku: row.sku,
        product_name: row.product_name,
        from: row.from,
        to: row.to,
        qty: row.qty,
        kind: row.kind,
        reference: row.reference,
        lot: row.lot,
        expiry: row.expiry,
        actor: row.actor,
    }
}

/// A lot as scanned: trimmed, printable, at most 20 characters (GS1 AI 10's limit).
pub(super) fn lot(lot: Option<String>) -> Result<Option<String>, ApiError> {
    match lot.map(|l| l.trim().to_string()) {
        None => Ok(None),
        Some(l) if !l.is_empty() && l.chars().count() <= 20 && !l.chars().any(char::is_control) => {
            Ok(Some(l))
        }
        Some(l) => Err(ApiError::InvalidInput(format!(
            "lot {l:?} is not a lot number (1–20 printable characters)"
        ))),
    }
}

/// An expiry date must be a real `YYYY-MM-DD` date.
pub(super) fn expiry(expiry: Option<String>) -> Result<Option<String>, ApiError> {
    match expiry {
        None => Ok(None),
        Some(e) => e
            .trim()
            .parse::<jiff::civil::Date>()
            .map(|d| Some(d.to_string()))
            .map_err(|_| ApiError::InvalidInput(format!("expiry {e:?} is not a YYYY-MM-DD date"))),
    }
}

fn quantity(qty: i64) -> Result<i64, ApiError> {
    if (1..=1_000_000).contains(&qty) {
        Ok(qty)
    } else {
        Err(ApiError::InvalidInput(format!(
            "qty {qty} is not a number of units (1 to 1,000,000)"
        )))
    }
}

fn time(name: &str, value: Option<String>) -> Result<Option<Timestamp>, ApiError> {
    value
        .map(|v| {
            v.parse::<Timestamp>().map_err(|_| {
                ApiError::InvalidInput(format!("{name} {v:?} is not an RFC 3339 time"))
            })
        })
        .transpose()
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MovementQuery {
    /// SKU or barcode.
    product: Option<String>,
    /// Location code: movements into or out of it; needs `locations.read`.
    location: Option<String>,
    /// receipt, put_away, move, pick, pick_short, ship, return, adjustment or count.
    #[param(pattern = "^(receipt|put_away|move|pick|pick_short|ship|return|adjustment|count)$")]
    kind: Option<String>,
    /// E.g. `SO-001234`, `PL-000012`, `RC-000003`, `ST-000002`.
    reference: Option<String>,
    /// From this time (RFC 3339), inclusive.
    #[param(format = DateTime)]
    since: Option<String>,
    /// Before this time, exclusive.
    #[param(format = DateTime)]
    until: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/stock/movements", tag = "inventory",
    params(MovementQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<StockMovement>, description = "Newest first; without `from` and `to` for callers without `locations.read`"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "No `stock.read`, or a `location` filter without `locations.read`"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such product or location"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_movements(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<MovementQuery>,
) -> Result<Json<Page<StockMovement>>, ApiError> {
    caller.require(Permission::StockRead)?;
    let codes = LocationCodes::for_caller(&caller);
    codes.may_filter_by(query.location.as_deref())?;
    let limit = page_size(query.limit)?;
    let kind = query
        .kind
        .as_deref()
        .map(|k| {
            MovementKind::parse(k).ok_or_else(|| {
                ApiError::InvalidInput(format!(
                    "kind {k:?} is not one of {}",
                    MovementKind::names().join(", ")
                ))
            })
        })
        .transpose()?;
    let before = query
        .cursor
        .as_deref()
        .map(|c| {
            c.parse::<i64>().map_err(|_| {
                ApiError::BadCursor(format!("cursor {c:?} was not issued by this server"))
            })
        })
        .transpose()?;
    let since = time("since", query.since)?;
    let until = time("until", query.until)?;
    let me = caller.user.username.clone();
    let (rows, blind) = blocking(&state, move |s| {
        let rows = s.stock_movements(&MovementFilter {
            product: query.product.as_deref(),
            location: query.location.as_deref(),
            kind,
            reference: query.reference.as_deref(),
            since,
            until,
            before,
            limit: limit + 1,
        })?;
        Ok((rows, Blind::read(s, &me)?))
    })
    .await?;
    Ok(Json(seen(super::catalog::page(
        rows,
        limit,
        |r| r.id.to_string(),
        |r| (!blind.hides_movement(&r)).then(|| codes.applied(movement(r))),
    ))))
}

/// Refuses a change of stock at a location the caller is counting blind.
async fn not_counting_blind(
    state: &AppState,
    caller: &Caller,
    touched: &[&str],
) -> Result<(), ApiError> {
    let user = caller.user.username.clone();
    let counting = blocking(state, move |s| s.blind_locations(&user)).await?;
    match counted_blind(&counting, touched) {
        Some(code) => Err(ApiError::Store(StoreError::Conflict(format!(
            "you are counting {code} blind: close your count of it before moving stock there"
        )))),
        None => Ok(()),
    }
}

#[utoipa::path(post, path = "/api/v1/stock/moves", tag = "inventory",
    params(("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = MoveIn, security(("bearer" = [])),
    responses((status = 201, body = StockMovement, description = "A put-away from receiving or returns into a bin, otherwise a move"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The source does not hold that many free units"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such product or location")))]
pub async fn move_stock(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<MoveIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StockMove)?;
    let qty = quantity(body.qty)?;
    let lot = lot(body.lot)?;
    let expiry = expiry(body.expiry)?;
    not_counting_blind(&state, &caller, &[&body.from, &body.to]).await?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let m = StockMove {
                product: &body.product,
                from: &body.from,
                to: &body.to,
                qty,
                lot: lot.as_deref(),
                expiry: expiry.as_deref(),
            };
            s.move_stock(once, &m, actor, now, |row| {
                stored(201, &movement(row.clone()))
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/stock/adjustments", tag = "inventory",
    params(("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = AdjustmentIn, security(("bearer" = [])),
    responses((status = 201, body = StockMovement),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "Unknown reason, or a reason that goes the other way"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such product or location")))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<AdjustmentIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StockAdjust)?;
    let reason = AdjustmentReason::parse(&body.reason).ok_or_else(|| {
        ApiError::InvalidInput(format!(
            "reason {:?} is not one of {}",
            body.reason,
            AdjustmentReason::names().join(", ")
        ))
    })?;
    if body.delta == 0 || body.delta.abs() > 1_000_000 {
        return Err(ApiError::InvalidInput(format!(
            "delta {} is not a change of stock",
            body.delta
        )));
    }
    let lot = lot(body.lot)?;
    not_counting_blind(&state, &caller, &[&body.location]).await?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let a = Adjustment {
                product: &body.product,
                location: &body.location,
                delta: body.delta,
                reason,
                note: body.note.as_deref(),
                lot: lot.as_deref(),
            };
            s.adjust_stock(once, &a, actor, now, |row| {
                stored(201, &movement(row.clone()))
            })
        },
    )
    .await
}

pub(super) fn receipt(row: &ReceiptRow) -> Receipt {
    Receipt {
        id: row.id.clone(),
        number: Document::Receipt.number(row.number),
        location: Some(row.location.clone()),
        state: row.state.clone(),
        supplier: row.supplier.clone(),
        created_by: row.created_by.clone(),
        created_at: row.created_at.to_string(),
        closed_at: row.closed_at.map(|t| t.to_string()),
        expected: row.expected.iter().map(purchase_request).collect(),
        lines: row
            .lines
            .iter()
            .map(|l| ReceiptLine {
                sku: l.sku.clone(),
                name: l.name.clone(),
                received: l.received,
                expected: l.expected,
            })
            .collect(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReceiptQuery {
    /// open or closed; both when absent.
    #[param(pattern = "^(open|closed)$")]
    state: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/receipts", tag = "inventory",
    params(ReceiptQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Receipt>, description = "Open ones first, then newest"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_receipts(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ReceiptQuery>,
) -> Result<Json<Page<Receipt>>, ApiError> {
    caller.require(Permission::StockRead)?;
    one_of("state", query.state.as_deref(), &["open", "closed"])?;
    let limit = page_size(query.limit)?;
    // Open ones come first, so a position says which part it is in: `open.12`, `closed.9`.
    let after = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.split_once('.')
                .and_then(|(part, n)| {
                    let open = match part {
                        "open" => true,
                        "closed" => false,
                        _ => return None,
                    };
                    Some((open, n.parse::<i64>().ok().filter(|n| *n > 0)?))
                })
                .ok_or_else(|| {
                    ApiError::BadCursor(format!("cursor {c:?} was not issued by this server"))
                })?,
        ),
    };
    let codes = LocationCodes::for_caller(&caller);
    let rows = blocking(&state, move |s| {
        s.receipts(query.state.as_deref(), after, limit + 1)
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| {
            let part = if r.state == "open" { "open" } else { "closed" };
            format!("{part}.{}", r.number)
        },
        |r| codes.applied(receipt(&r)),
    )))
}

#[utoipa::path(get, path = "/api/v1/receipts/{key}", tag = "inventory",
    params(("key" = String, Path, description = "Receipt id or number (RC-000001)")),
    security(("bearer" = [])),
    responses((status = 200, body = Receipt),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_receipt(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<Receipt>, ApiError> {
    caller.require(Permission::StockRead)?;
    let codes = LocationCodes::for_caller(&caller);
    let row = blocking(&state, move |s| s.receipt(&key)).await?;
    Ok(Json(codes.applied(receipt(&row))))
}

#[utoipa::path(post, path = "/api/v1/receipts", tag = "inventory",
    params(("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReceiptIn, security(("bearer" = [])),
    responses((status = 201, body = Receipt),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "An expected request is not ordered"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such location or purchase request")))]
pub async fn open_receipt(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReceiptIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StockMove)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.open_receipt(
                once,
                body.location.as_deref(),
                &body.expected,
                body.supplier.as_deref(),
                actor,
                now,
                |row| stored(201, &receipt(row)),
            )
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/receipts/{key}/items", tag = "inventory",
    params(("key" = String, Path, description = "Receipt id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReceiveIn, security(("bearer" = [])),
    responses((status = 200, body = Receipt),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "A lot-tracked product without its lot"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The receipt is closed")))]
pub async fn receive_item(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReceiveIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StockMove)?;
    let qty = quantity(body.qty)?;
    let lot = lot(body.lot)?;
    let expiry = expiry(body.expiry)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let item = ReceivedItem {
                product: &body.product,
                qty,
                lot: lot.as_deref(),
                expiry: expiry.as_deref(),
            };
            s.receive_item(once, &key, &item, actor, now, |row| {
                stored(200, &receipt(row))
            })
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/receipts/{key}/close", tag = "inventory",
    params(("key" = String, Path, description = "Receipt id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    security(("bearer" = [])),
    responses((status = 200, body = Receipt, description = "Closed; the purchase requests it settled are received"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn close_receipt(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    NoBody(request): NoBody,
) -> Result<Response, ApiError> {
    caller.require(Permission::StockMove)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.close_receipt(once, &key, actor, now, |row| stored(200, &receipt(row)))
        },
    )
    .await
}
