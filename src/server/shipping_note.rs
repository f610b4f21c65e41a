//! The shipping note (發貨單) that goes into the parcel and guides the picker: order and
//! customer, lines with where to pick them, carrier. Plain text; PDF comes later.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use std::fmt::Write;

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::api::Problem;
use crate::domain::order::OrderStatus;
use crate::domain::role::Permission;
use crate::store::OrderDetailRow;

#[utoipa::path(get, path = "/api/v1/orders/{key}/shipping-note", tag = "orders",
    params(("key" = String, Path, description = "Order id or number (SO-000123)")),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/plain", body = String, description = "The shipping note"),
        (status = 406, body = Problem, content_type = "application/problem+json", description = "PDF is not available yet"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The order is not ready to pick yet"),
    ))]
pub async fn shipping_note(
    State(state): State<AppState>,
    caller: Caller,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersRead)?;
    let wants_pdf = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/pdf") && !a.contains("text/plain"));
    if wants_pdf {
        return Err(ApiError::NotAcceptable(
            "shipping notes are plain text for now; ask for text/plain".into(),
        ));
    }
    let wanted = key.clone();
    let order = blocking(&state, move |s| s.order_detail(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {key:?}")))?;
    let status = order.order.status;
    if matches!(
        status,
        OrderStatus::Received
            | OrderStatus::Reserved
            | OrderStatus::CsReview
            | OrderStatus::Hold
            | OrderStatus::Cancelled
    ) {
        return Err(ApiError::Store(crate::store::StoreError::Conflict(
            format!(
                "{} is {}: a shipping note exists once it is ready to pick",
                order.order.number,
                status.label()
            ),
        )));
    }
    let text = render(&order, &state.rules().intake.ship_by.tz);
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// The note as text, 72 columns, in the warehouse's time zone.
pub fn render(d: &OrderDetailRow, tz: &TimeZone) -> String {
    let when = |t: jiff::Timestamp| tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string();
    let o = &d.order;
    let mut out = String::new();
    let _ = writeln!(out, "SHIPPING NOTE 發貨單{:>52}", o.number.to_string());
    let _ = writeln!(out, "{}", "=".repeat(72));
    let ship_by = o.ship_by.map(when).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "Placed   {}    Ship by {}",
        when(o.created_at),
        ship_by
    );
    let _ = writeln!(
        out,
        "Carrier  {}    Priority {}    Channel {}",
        d.carrier.as_deref().unwrap_or("-"),
        o.priority,
        o.channel
    );
    if let Some(sh) = &d.shipment {
        let _ = writeln!(out, "Tracking {}", sh.tracking_no);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Ship to");
    for line in [
        Some(d.ship_name.as_str()),
        Some(d.ship_line1.as_str()),
        d.ship_line2.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        let _ = writeln!(out, "  {line}");
    }
    let _ = writeln!(out, "  {} {}", d.ship_postal_code, d.ship_city);
    let _ = writeln!(out, "  {}", d.ship_country);
    if let Some(phone) = &d.customer_phone {
        let _ = writeln!(out, "  {phone}");
    }
    let _ = writeln!(out);
    let _ = writeln!(out, " #  SKU        Qty  Pick from           Item");
    let _ = writeln!(out, "{}", "-".repeat(72));
    for l in &d.lines {
        let picks: Vec<String> = l
            .pick_from
            .iter()
            .map(|p| format!("{}×{}", p.location, p.qty))
            .collect();
        let picks = if picks.is_empty() {
            "-".to_string()
        } else {
            picks.join(" ")
        };
        let _ = writeln!(
            out,
            "{:>2}  {:<9} {:>4}  {:<18}  {}",
            l.line_no, l.sku, l.qty, picks, l.name
        );
        if l.backordered > 0 {
            let _ = writeln!(
                out,
                "{:>18}  {} back-ordered: ships later",
                "", l.backordered
            );
        }
    }
    let _ = writeln!(out, "{}", "-".repeat(72));
    let _ = writeln!(out, "Items {}", o.item_count);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "Picked by ____________   Packed by ____________   Checked by ____________"
    );
    out
}
