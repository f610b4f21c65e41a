//! The order queue and single orders (read side; intake comes with order automation).

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::catalog::page;
use super::error::ApiError;
use super::extract::{PathParams, QueryParams, page_size};
use super::location_codes::LocationCodes;
use super::{AppState, blocking};
use crate::api::{
    Address, MoneyBody, OrderDetail, OrderLine, OrderSummary, Page, Problem, StatusChange,
};
use crate::api::{PickLocation, Routing, Shipment, TrackingEvent};
use crate::domain::order::{OrderSort, OrderStatus};
use crate::domain::role::Permission;
use crate::store::{OrderCursor, OrderDetailRow, OrderFilter, OrderRow, ShipmentRow};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// Comma-separated statuses, e.g. `hold,cs_review`.
    status: Option<String>,
    /// Order number, customer name or e-mail, channel order number, or a SKU on a line.
    q: Option<String>,
    /// Only orders routing gave this tag, e.g. `vip`.
    tag: Option<String>,
    /// `true`: only orders whose parcel's last carrier event is an exception.
    carrier_exception: Option<bool>,
    /// `newest` (default), `oldest`, `ship_by` (soonest first) or `total` (largest first).
    #[param(pattern = "^(newest|oldest|ship_by|total)$")]
    sort: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

/// Everything a page of the order queue depends on, once the request is read and checked.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct OrderPageKey {
    filter: OrderFilter,
    cursor: Option<OrderCursor>,
    limit: usize,
}

pub(super) fn summary(row: OrderRow) -> OrderSummary {
    OrderSummary {
        id: row.id,
        number: row.number.to_string(),
        channel: row.channel,
        customer_name: row.customer_name,
        status: row.status.as_str().to_string(),
        item_count: row.item_count,
        total: MoneyBody::from(row.total),
        created_at: row.created_at.to_string(),
        queue: row.queue,
        priority: row.priority,
        ship_by: row.ship_by.map(|t| t.to_string()),
        tags: row.tags,
        shipment_state: row.shipment_state,
    }
}

pub fn shipment(s: ShipmentRow) -> Shipment {
    Shipment {
        id: s.id,
        carrier: s.carrier,
        tracking_no: s.tracking_no,
        state: s.state,
        events: s
            .events
            .into_iter()
            .map(|e| TrackingEvent {
                at: e.at.to_string(),
                kind: e.kind,
                location: e.location,
                description: e.description,
            })
            .collect(),
    }
}

pub fn detail(d: OrderDetailRow, duplicate: bool) -> OrderDetail {
    let routing = d.rule.map(|rule| Routing {
        rule,
        why: d.rule_why.unwrap_or_default(),
        carrier: d.carrier,
        tags: d.tags,
        flags: d.flags,
    });
    OrderDetail {
        customer_email: d.customer_email,
        customer_phone: d.customer_phone,
        payment_method: d.payment_method,
        ship_to: Address {
            name: d.ship_name,
            line1: d.ship_line1,
            line2: d.ship_line2,
            city: d.ship_city,
            postal_code: d.ship_postal_code,
            region: d.ship_region,
            country: d.ship_country,
        },
        lines: d
            .lines
            .into_iter()
            .map(|l| OrderLine {
                line_no: l.line_no,
                sku: l.sku,
                name: l.name,
                qty: l.qty,
                unit_price: MoneyBody::from(l.unit_price),
                catalogue_price: l.catalogue_price.map(MoneyBody::from),
                backordered: l.backordered,
                pick_from: Some(
                    l.pick_from
                        .into_iter()
                        .map(|p| PickLocation {
                            location: p.location,
                            qty: p.qty,
                        })
                        .collect(),
                ),
            })
            .collect(),
        history: d
            .history
            .into_iter()
            .map(|h| StatusChange {
                at: h.at.to_string(),
                from: h.from,
                to: h.to,
                actor: h.actor,
                reason: h.reason,
            })
            .collect(),
        order: summary(d.order),
        routing,
        shipment: d.shipment.map(shipment),
        duplicate,
    }
}

#[utoipa::path(get, path = "/api/v1/orders", tag = "orders",
    params(OrderQuery,
        ("If-None-Match" = Option<String>, Header, description = "The `ETag` of a page held: `304` if it is still the page")),
    security(("bearer" = [])),
    responses((status = 200, body = Page<OrderSummary>, description = "Newest first unless `sort` says otherwise",
            headers(("ETag" = String, description = "Names this page; send it back in `If-None-Match`"))),
        (status = 304, description = "The page is the one `If-None-Match` named",
            headers(("ETag" = String, description = "Names this page"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<OrderQuery>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersRead)?;
    let key = page_key(query)?;
    // Taken before the read: a commit that lands during it makes the page stale at once.
    let commits = state.store.commits();
    if let Some(answer) = state.order_pages.get(&key, commits) {
        return Ok(answer.respond(&headers));
    }
    let (filter, cursor, limit) = (key.filter.clone(), key.cursor, key.limit);
    let sort = filter.sort;
    let rows = blocking(&state, move |s| s.list_orders(&filter, cursor, limit + 1)).await?;
    let page = page(
        rows,
        limit,
        |r| OrderCursor::after(r, sort).encode(),
        summary,
    );
    let body = serde_json::to_vec(&page)
        .map_err(|e| ApiError::Internal(format!("order page not serialised: {e}")))?;
    Ok(state.order_pages.keep(key, commits, body).respond(&headers))
}

/// Reads and checks the query: what the page depends on, or why the request is wrong.
fn page_key(query: OrderQuery) -> Result<OrderPageKey, ApiError> {
    let limit = page_size(query.limit)?;
    let statuses = query
        .status
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<OrderStatus>()
                .map_err(|e| ApiError::InvalidInput(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let sort = match query.sort.as_deref() {
        None => OrderSort::default(),
        Some(s) => OrderSort::parse(s).ok_or_else(|| {
            ApiError::InvalidInput(format!(
                "sort {s:?} is not one of newest, oldest, ship_by, total"
            ))
        })?,
    };
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            OrderCursor::decode(c)
                .filter(|c| c.sort == sort)
                .ok_or_else(|| {
                    ApiError::BadCursor(format!(
                        "cursor {c:?} was not issued by this server for sort {}",
                        sort.as_str()
                    ))
                })?,
        ),
    };
    Ok(OrderPageKey {
        filter: OrderFilter {
            statuses,
            text: query.q,
            tag: query.tag,
            carrier_exception: query.carrier_exception.unwrap_or(false),
            sort,
        },
        cursor,
        limit,
    })
}

#[utoipa::path(get, path = "/api/v1/orders/{key}", tag = "orders",
    params(("key" = String, Path, description = "Order id or number (SO-000123)")),
    security(("bearer" = [])),
    responses((status = 200, body = OrderDetail),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_order(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<OrderDetail>, ApiError> {
    caller.require(Permission::OrdersRead)?;
    let codes = LocationCodes::for_caller(&caller);
    let wanted = key.clone();
    let d = blocking(&state, move |s| s.order_detail(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {key:?}")))?;
    Ok(Json(codes.applied(detail(d, false))))
}
