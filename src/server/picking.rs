//! Pick lists: planned by a supervisor or built when a picker asks for the next one;
//! confirmed line by line from the floor, each confirmation once per Idempotency-Key.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::catalog::{number_cursor, page};
use super::error::ApiError;
use super::extract::{ChangeBody, NoBody};
use super::extract::{JsonBody, PathParams, QueryParams, page_size};
use super::once::once;
use super::{AppState, blocking};
use crate::api::{
    Page, PickIn, PickLine, PickList, PickListOrder, PickListRequest, PickedLot, Problem, ShortIn,
    ToteIn,
};
use crate::domain::picking::{ListCaps, PickMode, ShortReason};
use crate::domain::role::Permission;
use crate::store::{PickListRow, PickWrite, PickedLot as StoredLot, StoreError};

fn wire(list: PickListRow) -> PickList {
    PickList {
        id: list.id,
        number: list.number.to_string(),
        mode: list.mode.as_str().to_string(),
        state: list.state,
        picker: list.picker,
        created_at: list.created_at.to_string(),
        claimed_at: list.claimed_at.map(|t| t.to_string()),
        finished_at: list.finished_at.map(|t| t.to_string()),
        orders: list
            .orders
            .into_iter()
            .map(|o| PickListOrder {
                id: o.order_id,
                number: o.number.to_string(),
                slot: o.slot,
                status: o.status,
                tote: o.tote,
            })
            .collect(),
        lines: list
            .lines
            .into_iter()
            .map(|l| PickLine {
                seq: l.seq,
                order: l.order_number.to_string(),
                slot: l.slot,
                line_no: l.line_no,
                sku: l.sku,
                name: l.name,
                barcode: l.barcode,
                lot_tracked: l.lot_tracked,
                location: l.location,
                qty: l.qty,
                picked: l.picked,
                short: l.short,
                state: l.state,
                lots: l
                    .lots
                    .into_iter()
                    .map(|p| PickedLot {
                        lot: p.lot,
                        expiry: p.expiry,
                        qty: p.qty,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn respond(list: &PickListRow) -> (u16, String) {
    (
        200,
        serde_json::to_string(&wire(list.clone())).unwrap_or_default(),
    )
}

fn plan(body: &PickListRequest) -> Result<(PickMode, ListCaps), ApiError> {
    let mode = match body.mode.as_deref() {
        None => PickMode::default(),
        Some(m) => PickMode::parse(m)
            .ok_or_else(|| ApiError::InvalidInput(format!("mode {m:?} is not single or batch")))?,
    };
    let defaults = ListCaps::default();
    let caps = ListCaps {
        max_orders: body.max_orders.unwrap_or(defaults.max_orders),
        max_lines: body.max_lines.unwrap_or(defaults.max_lines),
    }
    .check()
    .map_err(ApiError::InvalidInput)?;
    Ok((mode, caps))
}

fn nothing_waiting() -> ApiError {
    ApiError::Store(StoreError::Conflict(
        "no orders are waiting to be picked".into(),
    ))
}

/// Lots as the store keeps them; expiry dates must be real dates.
fn stored_lots(lots: Vec<PickedLot>) -> Result<Vec<StoredLot>, ApiError> {
    lots.into_iter()
        .map(|l| {
            if let Some(e) = &l.expiry {
                e.parse::<jiff::civil::Date>().map_err(|_| {
                    ApiError::InvalidInput(format!(
                        "lot {}: expiry {e:?} is not a YYYY-MM-DD date",
                        l.lot
                    ))
                })?;
            }
            Ok(StoredLot {
                lot: l.lot.trim().to_string(),
                expiry: l.expiry,
                qty: l.qty,
            })
        })
        .collect()
}

#[utoipa::path(post, path = "/api/v1/pick-lists", tag = "picking",
    request_body = PickListRequest, security(("bearer" = [])),
    responses((status = 201, body = PickList, description = "Planned from the most urgent waiting orders"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "No order waits")))]
pub async fn create_list(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<PickListRequest>,
) -> Result<(StatusCode, Json<PickList>), ApiError> {
    caller.require(Permission::OrdersManage)?;
    // A pick list is a walk through bins: without them it says nothing.
    caller.require(Permission::LocationsRead)?;
    let (mode, caps) = plan(&body)?;
    let actor = caller.user.username.clone();
    let list = blocking(&state, move |s| {
        s.create_pick_list(mode, caps, &actor, Timestamp::now())
    })
    .await?
    .ok_or_else(nothing_waiting)?;
    Ok((StatusCode::CREATED, Json(wire(list))))
}

#[utoipa::path(post, path = "/api/v1/pick-lists/claim", tag = "picking",
    request_body = PickListRequest, security(("bearer" = [])),
    responses((status = 200, body = PickList, description = "The list the picker holds, the oldest planned one, or a new one"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Nothing to pick")))]
pub async fn claim_list(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<PickListRequest>,
) -> Result<Json<PickList>, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    let (mode, caps) = plan(&body)?;
    let picker = caller.user.username.clone();
    let list = blocking(&state, move |s| {
        s.claim_pick_list(&picker, mode, caps, Timestamp::now())
    })
    .await?
    .ok_or_else(nothing_waiting)?;
    state.ring();
    Ok(Json(wire(list)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `open` (default), `claimed` or `done`.
    #[param(pattern = "^(open|claimed|done)$")]
    state: Option<String>,
    /// Only lists the caller holds (with `state=claimed`: the one in their cart).
    #[serde(default)]
    mine: bool,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/pick-lists", tag = "picking",
    params(ListQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<PickList>, description = "Oldest first"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list_lists(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<Page<PickList>>, ApiError> {
    caller.require(Permission::OrdersRead)?;
    caller.require(Permission::LocationsRead)?;
    let wanted = query.state.unwrap_or_else(|| "open".into());
    if !["open", "claimed", "done"].contains(&wanted.as_str()) {
        return Err(ApiError::InvalidInput(format!(
            "state {wanted:?} is not open, claimed or done"
        )));
    }
    let limit = page_size(query.limit)?;
    let after = number_cursor(query.cursor.as_deref())?;
    let picker = query.mine.then(|| caller.user.username.clone());
    let lists = blocking(&state, move |s| {
        s.pick_lists(&wanted, picker.as_deref(), after, limit + 1)
    })
    .await?;
    Ok(Json(page(lists, limit, |l| l.number.0.to_string(), wire)))
}

#[utoipa::path(get, path = "/api/v1/pick-lists/{key}", tag = "picking",
    params(("key" = String, Path, description = "Pick list id or number (PL-000042)")),
    security(("bearer" = [])),
    responses((status = 200, body = PickList),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<PickList>, ApiError> {
    caller.require(Permission::OrdersRead)?;
    caller.require(Permission::LocationsRead)?;
    let wanted = key.clone();
    let list = blocking(&state, move |s| s.pick_list(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("pick list {key:?}")))?;
    Ok(Json(wire(list)))
}

#[utoipa::path(post, path = "/api/v1/pick-lists/{key}/lines/{seq}/pick", tag = "picking",
    params(("key" = String, Path, description = "Pick list id or number"),
        ("seq" = i64, Path, description = "The line's place in the walk"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = PickIn, security(("bearer" = [])),
    responses((status = 200, body = PickList),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not your list, the line was reported short, or the order changed")))]
pub async fn pick_line(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((key, seq)): PathParams<(String, i64)>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<PickIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    let lots = stored_lots(body.lots)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, picker, now| {
            let at = PickWrite {
                list: &key,
                seq,
                picker,
                now,
            };
            s.confirm_pick(once, &at, body.picked, &lots, respond)
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/pick-lists/{key}/lines/{seq}/short", tag = "picking",
    params(("key" = String, Path, description = "Pick list id or number"),
        ("seq" = i64, Path, description = "The line's place in the walk"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ShortIn, security(("bearer" = [])),
    responses((status = 200, body = PickList, description = "With lines from other bins added at the end of the walk when stock was found"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn short_line(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((key, seq)): PathParams<(String, i64)>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ShortIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    let reason = ShortReason::parse(&body.reason).ok_or_else(|| {
        ApiError::InvalidInput(format!(
            "reason {:?} is not empty, short or damaged",
            body.reason
        ))
    })?;
    let lots = stored_lots(body.lots)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, picker, now| {
            let at = PickWrite {
                list: &key,
                seq,
                picker,
                now,
            };
            s.report_short(once, &at, body.picked, reason, &lots, respond)
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/pick-lists/{key}/finish", tag = "picking",
    params(("key" = String, Path, description = "Pick list id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    security(("bearer" = [])),
    responses((status = 200, body = PickList, description = "Done; orders with units no bin had are on hold"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Lines are still open")))]
pub async fn finish_list(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    NoBody(request): NoBody,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, picker, now| s.finish_pick_list(once, &key, picker, now, respond),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/pick-lists/{key}/slots/{slot}/tote", tag = "picking",
    params(("key" = String, Path, description = "Pick list id or number"),
        ("slot" = i64, Path, description = "The cart slot"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ToteIn, security(("bearer" = [])),
    responses((status = 200, body = PickList),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The tote holds another order still to be packed")))]
pub async fn assign_tote(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((key, slot)): PathParams<(String, i64)>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ToteIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    let tote = body.tote.trim().to_string();
    if tote.is_empty() || tote.len() > 40 || !tote.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::InvalidInput(format!(
            "tote {tote:?} is not a tote label (1–40 printable characters)"
        )));
    }
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, picker, now| s.assign_tote(once, &key, slot, &tote, picker, now, respond),
    )
    .await
}
