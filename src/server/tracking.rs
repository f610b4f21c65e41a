//! The carriers' webhook: tracking events for a shipment, authenticated by the shared
//! secret of the shipment's carrier (not by a user's token).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jiff::Timestamp;

use super::error::ApiError;
use super::extract::{JsonBody, PathParams};
use super::orders::shipment;
use super::{AppState, blocking};
use crate::api::{Problem, Shipment, TrackingEventIn};
use crate::domain::tracking::TrackingKind;
use crate::store::{Tracked, TrackingIn};

/// The header carrying the carrier's shared secret.
pub const SECRET_HEADER: &str = "x-carrier-secret";

#[utoipa::path(post, path = "/api/v1/shipments/{id}/tracking-events", tag = "shipments",
    params(
        ("id" = String, Path, description = "Shipment id or tracking number"),
        ("X-Carrier-Secret" = String, Header, description = "The shared secret of the shipment's carrier"),
    ),
    request_body = TrackingEventIn,
    responses(
        (status = 201, body = Shipment, description = "Recorded; `delivered` moves the order, `exception` raises an alert"),
        (status = 200, body = Shipment, description = "This event_id was received before; nothing new stored"),
        (status = 401, body = Problem, content_type = "application/problem+json", description = "Missing or wrong secret; nothing recorded"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn post_event(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<TrackingEventIn>,
) -> Result<(StatusCode, Json<Shipment>), ApiError> {
    // Who is calling is decided by the secret alone, before anything about shipments is
    // revealed: unknown callers cannot probe which tracking numbers exist.
    let presented = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let Some(carrier) = state
        .config
        .carrier_secrets
        .iter()
        .find(|(_, secret)| secret.matches(presented))
        .map(|(carrier, _)| carrier.clone())
    else {
        tracing::warn!(shipment = %id, "tracking event with a wrong or missing carrier secret");
        return Err(ApiError::Unauthenticated(
            "wrong or missing X-Carrier-Secret",
        ));
    };
    let wanted = id.clone();
    let owner = blocking(&state, move |s| s.shipment_carrier(&wanted)).await?;
    // Another carrier's shipment is as unknown to this one as a missing one.
    if owner.as_deref() != Some(carrier.as_str()) {
        return Err(ApiError::NotFound(format!(
            "shipment {id:?} for carrier {carrier}"
        )));
    }
    let kind = TrackingKind::parse(body.kind.trim()).ok_or_else(|| {
        ApiError::InvalidInput(format!(
            "kind {:?} is not one of picked_up, in_transit, out_for_delivery, delivered, exception",
            body.kind
        ))
    })?;
    let at: Timestamp = body.at.parse().map_err(|e| {
        ApiError::InvalidInput(format!("at {:?} is not an RFC 3339 time: {e}", body.at))
    })?;
    let rules = state.rules();
    let now = state.now();
    let recorded = blocking(&state, move |s| {
        s.record_tracking(
            &id,
            &TrackingIn {
                external_id: body.event_id.as_deref(),
                at,
                kind,
                location: body.location.as_deref(),
                description: body.description.as_deref(),
            },
            &rules.service,
            now,
        )
    })
    .await?;
    state.ring();
    Ok(match recorded {
        Tracked::Recorded(s) => (StatusCode::CREATED, Json(shipment(*s))),
        Tracked::AlreadyKnown(s) => (StatusCode::OK, Json(shipment(*s))),
    })
}
