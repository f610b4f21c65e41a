//! The packing bench: what a scanned label stands for, packing a verified order with a
//! tracking number from its carrier's range, and its shipping label as ZPL or text.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::ChangeBody;
use super::extract::{PathParams, QueryParams};
use super::once::{answer, idempotency_key};
use super::orders::detail;
use super::{AppState, blocking};
use crate::api::{PackIn, PackItem, PackOrder, PackTask, Parcel, Problem};
use crate::domain::role::Permission;
use crate::domain::routing::RoutingRules;
use crate::domain::shipping_label::{Address, ShippingLabel};
use crate::store::{IdempotencyKey, PackTaskRow, PackWrite, ParcelRow};

fn task(row: PackTaskRow) -> PackTask {
    PackTask {
        list: row.list.map(|n| n.to_string()),
        orders: row
            .orders
            .into_iter()
            .map(|o| PackOrder {
                id: o.id,
                number: o.number.to_string(),
                slot: o.slot,
                status: o.status,
                carrier: o.carrier,
                ship_to_name: o.ship_to_name,
                items: o
                    .items
                    .into_iter()
                    .map(|i| PackItem {
                        sku: i.sku,
                        name: i.name,
                        barcode: i.barcode,
                        qty: i.qty,
                    })
                    .collect(),
            })
            .collect(),
    }
}

/// The parcel's label, as the carrier settings and the shop's sender address say.
fn label(parcel: &ParcelRow, rules: &RoutingRules) -> ShippingLabel {
    let d = &parcel.order;
    let carrier = rules.carriers.get(&parcel.carrier);
    let tz = &rules.intake.ship_by.tz;
    ShippingLabel {
        carrier: carrier.map_or_else(|| parcel.carrier.clone(), |c| c.name.clone()),
        service: carrier.and_then(|c| c.service.clone()),
        tracking_no: parcel.tracking_no.clone(),
        order_number: d.order.number.to_string(),
        ship_to: Address {
            name: d.ship_name.clone(),
            line1: d.ship_line1.clone(),
            line2: d.ship_line2.clone(),
            postal_code: d.ship_postal_code.clone(),
            city: d.ship_city.clone(),
            region: d.ship_region.clone(),
            country: d.ship_country.clone(),
        },
        ship_from: rules.shipping.sender.clone(),
        package: parcel.package.clone(),
        weight_grams: parcel.weight_grams,
        shipped_on: tz.to_datetime(parcel.packed_at).date().to_string(),
        parcel: (1, 1),
    }
}

fn wire(parcel: &ParcelRow, rules: &RoutingRules) -> Parcel {
    let label = label(parcel, rules);
    Parcel {
        order: detail(parcel.order.clone(), false),
        carrier: parcel.carrier.clone(),
        tracking_no: parcel.tracking_no.clone(),
        package: parcel.package.clone(),
        weight_grams: parcel.weight_grams,
        label_zpl: label.to_zpl(&rules.shipping.zpl_font),
        label_text: label.to_text(),
    }
}

#[utoipa::path(get, path = "/api/v1/pack/{code}", tag = "packing",
    params(("code" = String, Path, description = "A pick list (PL-000042) or an order (SO-000123, or its id)")),
    security(("bearer" = [])),
    responses((status = 200, body = PackTask),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn pack_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(code): PathParams<String>,
) -> Result<Json<PackTask>, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    let wanted = code.clone();
    let row = blocking(&state, move |s| s.pack_task(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("pick list or order {code:?}")))?;
    Ok(Json(task(row)))
}

#[utoipa::path(post, path = "/api/v1/orders/{key}/pack", tag = "packing",
    params(("key" = String, Path, description = "Order id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = PackIn, security(("bearer" = [])),
    responses((status = 200, body = Parcel, description = "Packed, with tracking number and label"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Not being picked, still on a list, or the items verified are not what the order holds")))]
pub async fn pack(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<PackIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersFulfil)?;
    let package = body.package.trim().to_string();
    if package.is_empty() || package.chars().count() > 40 {
        return Err(ApiError::InvalidInput(
            "package must name the parcel type in 1 to 40 characters".into(),
        ));
    }
    let heaviest = crate::domain::parcel_weight::HEAVIEST_PARCEL;
    if body.weight_grams == 0 || u64::from(body.weight_grams) > heaviest {
        return Err(ApiError::InvalidInput(format!(
            "weight_grams must be 1 to {heaviest}, not {}",
            body.weight_grams
        )));
    }
    let mut verified = BTreeMap::new();
    for item in &body.items {
        if item.qty <= 0 {
            return Err(ApiError::InvalidInput(format!(
                "{}: a verified quantity must be above 0",
                item.sku
            )));
        }
        *verified.entry(item.sku.trim().to_string()).or_insert(0) += item.qty;
    }
    let once = idempotency_key(&headers)?;
    let scope = caller.user.id.clone();
    let packer = caller.user.username.clone();
    let rules = state.rules();
    let sent = once.clone();
    let outcome = blocking(&state, move |s| {
        let default_carrier = rules.shipping.default_carrier.clone();
        s.pack_order(
            &IdempotencyKey {
                scope: &scope,
                key: &sent,
                request_hash: request.as_str(),
            },
            &PackWrite {
                order: &key,
                package: &package,
                weight_grams: body.weight_grams,
                verified: &verified,
                default_carrier: default_carrier.as_deref(),
                packer: &packer,
                now: Timestamp::now(),
            },
            |carrier, sequence| match rules.carriers.get(carrier) {
                Some(settings) => settings
                    .tracking
                    .number(sequence)
                    .map_err(|e| e.to_string()),
                None => Err(format!(
                    "carrier {carrier:?} has no [carriers.{carrier}] table in the rules file, so it has no tracking numbers"
                )),
            },
            |parcel| {
                (
                    200,
                    serde_json::to_string(&wire(parcel, &rules)).unwrap_or_default(),
                )
            },
        )
    })
    .await?;
    state.ring();
    answer(outcome, &once)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LabelQuery {
    /// `zpl` (default) or `text`.
    #[param(pattern = "^(zpl|text)$")]
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/orders/{key}/label", tag = "packing",
    params(("key" = String, Path, description = "Order id or number"), LabelQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The shipping label, to print again", content_type = "text/plain"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "Not packed yet")))]
pub async fn shipping_label(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    QueryParams(query): QueryParams<LabelQuery>,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersRead)?;
    let zpl = match query.format.as_deref() {
        None | Some("zpl") => true,
        Some("text") => false,
        Some(other) => {
            return Err(ApiError::InvalidInput(format!(
                "format {other:?} is not zpl or text"
            )));
        }
    };
    let wanted = key.clone();
    let parcel = blocking(&state, move |s| s.parcel(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("a parcel for order {key:?}")))?;
    let rules = state.rules();
    let label = label(&parcel, &rules);
    let (body, content_type) = if zpl {
        (
            label.to_zpl(&rules.shipping.zpl_font),
            "application/zpl; charset=utf-8",
        )
    } else {
        (label.to_text(), "text/plain; charset=utf-8")
    };
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
