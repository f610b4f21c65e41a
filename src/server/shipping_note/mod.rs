//! The shipping note (發貨單) that goes into the parcel and guides the picker: order and
//! customer, lines with where to pick them, carrier. One content, two forms: plain text
//! (terminals, the console's preview) and PDF (printed on A4).
//!
//! The note is the customer's too (it travels in the parcel), so a caller without
//! `locations.read` (an agent reprinting it for a customer) gets it whole but for the
//! column of bins, rather than a refusal.

mod pdf;
mod text;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use jiff::tz::TimeZone;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{PathParams, QueryParams};
use super::location_codes::LocationCodes;
use super::{AppState, blocking};
use crate::api::Problem;
use crate::domain::order::OrderStatus;
use crate::domain::role::Permission;
use crate::store::OrderDetailRow;

use pdf::render_pdf;
use text::render_text;

/// What a shipping note says, formatted for people, in the warehouse's time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct ShippingNote {
    pub number: String,
    pub placed: String,
    pub ship_by: String,
    pub carrier: String,
    pub priority: String,
    pub channel: String,
    pub tracking_no: Option<String>,
    /// Name, street lines, postal code and city, country, phone.
    pub ship_to: Vec<String>,
    pub lines: Vec<NoteLine>,
    pub items: i64,
    /// Whether the note has the "Pick from" column: not for callers without
    /// `locations.read`.
    pub pick_column: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NoteLine {
    pub line_no: i64,
    pub sku: String,
    pub qty: i64,
    pub name: String,
    /// `A-03-09×2`, one per bin the units are reserved in.
    pub pick_from: Vec<String>,
    /// Units that ship later.
    pub backordered: i64,
}

impl ShippingNote {
    pub fn of(d: &OrderDetailRow, tz: &TimeZone) -> ShippingNote {
        let when = |t: jiff::Timestamp| tz.to_datetime(t).strftime("%Y-%m-%d %H:%M").to_string();
        let o = &d.order;
        let mut ship_to = vec![d.ship_name.clone(), d.ship_line1.clone()];
        ship_to.extend(d.ship_line2.clone());
        ship_to.push(format!("{} {}", d.ship_postal_code, d.ship_city));
        ship_to.push(d.ship_country.clone());
        ship_to.extend(d.customer_phone.clone());
        ShippingNote {
            number: o.number.to_string(),
            placed: when(o.created_at),
            ship_by: o.ship_by.map(when).unwrap_or_else(|| "-".into()),
            carrier: d.carrier.clone().unwrap_or_else(|| "-".into()),
            priority: o.priority.clone(),
            channel: o.channel.clone(),
            tracking_no: d.shipment.as_ref().map(|s| s.tracking_no.clone()),
            ship_to,
            lines: d
                .lines
                .iter()
                .map(|l| NoteLine {
                    line_no: l.line_no,
                    sku: l.sku.clone(),
                    qty: l.qty,
                    name: l.name.clone(),
                    pick_from: l
                        .pick_from
                        .iter()
                        .map(|p| format!("{}×{}", p.location, p.qty))
                        .collect(),
                    backordered: l.backordered,
                })
                .collect(),
            items: o.item_count,
            pick_column: true,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoteQuery {
    /// `pdf` or `text`; overrides the Accept header (handy in a browser).
    #[param(pattern = "^(pdf|text)$")]
    format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoteFormat {
    Text,
    Pdf,
}

/// The form asked for: `?format=` first, then the Accept header; text unless PDF is wanted.
fn chosen_format(query: Option<&str>, accept: Option<&str>) -> Result<NoteFormat, ApiError> {
    match query {
        Some("pdf") => return Ok(NoteFormat::Pdf),
        Some("text") => return Ok(NoteFormat::Text),
        Some(other) => {
            return Err(ApiError::InvalidInput(format!(
                "format {other:?} is not pdf or text"
            )));
        }
        None => {}
    }
    let Some(accept) = accept.map(str::to_ascii_lowercase) else {
        return Ok(NoteFormat::Text);
    };
    // Each media range with its quality (RFC 9110 §12.5.1).
    let ranges: Vec<(&str, f32)> = accept
        .split(',')
        .map(|part| {
            let mut params = part.split(';');
            let range = params.next().unwrap_or("").trim();
            let q = params
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            (range, q)
        })
        .collect();
    // The quality of a type is that of the most specific range that matches it.
    let quality = |exact: &str, family: &str| {
        [exact, family, "*/*"]
            .iter()
            .find_map(|m| ranges.iter().find(|(r, _)| r == m).map(|(_, q)| *q))
            .unwrap_or(0.0)
    };
    let (text, pdf) = (
        quality("text/plain", "text/*"),
        quality("application/pdf", "application/*"),
    );
    if text <= 0.0 && pdf <= 0.0 {
        Err(ApiError::NotAcceptable(
            "a shipping note comes as text/plain or application/pdf".into(),
        ))
    } else if pdf > text {
        Ok(NoteFormat::Pdf)
    } else {
        Ok(NoteFormat::Text)
    }
}

#[utoipa::path(get, path = "/api/v1/orders/{key}/shipping-note", tag = "orders",
    params(("key" = String, Path, description = "Order id or number (SO-000123)"), NoteQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The shipping note as text (72 columns) or as an A4 PDF; without the column of bins for callers without `locations.read`",
            content((String = "text/plain"), (Vec<u8> = "application/pdf"))),
        (status = 406, body = Problem, content_type = "application/problem+json", description = "Neither text nor PDF is acceptable"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The order is not ready to pick yet"),
    ))]
pub async fn shipping_note(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    QueryParams(query): QueryParams<NoteQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require(Permission::OrdersRead)?;
    let codes = LocationCodes::for_caller(&caller);
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let format = chosen_format(query.format.as_deref(), accept)?;
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
    let note = codes.applied(ShippingNote::of(&order, &state.rules().intake.ship_by.tz));
    match format {
        NoteFormat::Text => Ok((
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::VARY, "accept"),
            ],
            render_text(&note),
        )
            .into_response()),
        NoteFormat::Pdf => {
            // Shaping and subsetting a CJK font takes a few milliseconds: off the async workers.
            let bytes = tokio::task::spawn_blocking(move || render_pdf(&note))
                .await
                .map_err(|e| ApiError::Internal(format!("PDF task failed: {e}")))?
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let disposition = format!("inline; filename=\"{}.pdf\"", order.order.number);
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::VARY, "accept".to_string()),
                ],
                bytes,
            )
                .into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_format_follows_the_query_then_accept() {
        let pick = |q: Option<&str>, a: Option<&str>| chosen_format(q, a).ok();
        assert_eq!(pick(None, None), Some(NoteFormat::Text));
        assert_eq!(pick(None, Some("application/pdf")), Some(NoteFormat::Pdf));
        assert_eq!(
            pick(None, Some("text/plain, application/pdf")),
            Some(NoteFormat::Text)
        );
        assert_eq!(pick(None, Some("*/*")), Some(NoteFormat::Text));
        assert_eq!(pick(Some("pdf"), Some("text/plain")), Some(NoteFormat::Pdf));
        assert_eq!(pick(None, Some("image/png")), None);
        assert_eq!(
            pick(None, Some("application/pdf, */*;q=0.1")),
            Some(NoteFormat::Pdf)
        );
        assert_eq!(
            pick(None, Some("text/plain;q=0, application/pdf")),
            Some(NoteFormat::Pdf)
        );
        assert_eq!(pick(None, Some("text/plain;q=0")), None);
        assert_eq!(pick(Some("docx"), None), None);
    }
}
