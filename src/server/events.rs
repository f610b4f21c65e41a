//! `GET /api/v1/events`: server-sent events from the event feed. Events are read from the
//! store, which writes them in the same transaction as the change, so a client that
//! reconnects with `Last-Event-ID` gets exactly what it missed, in order.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::QueryParams;
use super::{AppState, blocking};
use crate::api::{FeedEvent, Problem};
use crate::domain::role::{Permission, Role};
use crate::store::EventRow;

/// Events per store read while catching up.
const BATCH: usize = 500;
/// Also look for new events this often, in case a write did not ring the bell (another
/// process on the same database, for instance).
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Resume after this event id (same as the `Last-Event-ID` header).
    after: Option<i64>,
}

/// The permission an event kind needs to be seen.
fn permission_for(kind: &str) -> Permission {
    match kind.split('.').next() {
        Some("stock" | "purchase" | "stocktake") => Permission::StockRead,
        // Tickets carry customers' e-mails and words: only the help desk hears them.
        Some("ticket" | "return" | "refund") => Permission::TicketsWork,
        _ => Permission::OrdersRead,
    }
}

fn to_event(row: EventRow) -> Event {
    let body = FeedEvent {
        id: row.id,
        at: row.at.to_string(),
        kind: row.kind.clone(),
        entity_id: row.entity_id,
        payload: row.payload,
    };
    Event::default()
        .id(row.id.to_string())
        .event(row.kind)
        .data(serde_json::to_string(&body).unwrap_or_default())
}

struct Feed {
    state: AppState,
    role: Role,
    last: i64,
    pending: std::collections::VecDeque<EventRow>,
    bell: tokio::sync::watch::Receiver<u64>,
    stopping: tokio::sync::watch::Receiver<bool>,
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(EventQuery, ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event")),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", body = FeedEvent, description = "One SSE event per change: `id` to resume from, `event` the kind (order.created, order.status, …), `data` the JSON"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<EventQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    caller.require(Permission::OrdersRead)?;
    let from_header = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<i64>().ok())
                .ok_or_else(|| {
                    ApiError::InvalidInput("Last-Event-ID must be an event id (a number)".into())
                })?,
        ),
    };
    // Without a position, start from now: new events only.
    let last = match from_header.or(query.after) {
        Some(id) => id.max(0),
        None => blocking(&state, |s| s.last_event_id()).await?,
    };
    let feed = Feed {
        bell: state.bell.subscribe(),
        stopping: state.stopping.subscribe(),
        role: caller.user.role,
        state,
        last,
        pending: Default::default(),
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        loop {
            if *feed.stopping.borrow() {
                return None;
            }
            if let Some(row) = feed.pending.pop_front() {
                feed.last = row.id;
                if feed.role.allows(permission_for(&row.kind)) {
                    return Some((Ok(to_event(row)), feed));
                }
                continue;
            }
            let after = feed.last;
            match blocking(&feed.state, move |s| s.events_after(after, BATCH)).await {
                Ok(rows) if !rows.is_empty() => {
                    feed.pending.extend(rows);
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event feed read failed; retrying"),
            }
            tokio::select! {
                _ = feed.bell.changed() => {}
                _ = feed.stopping.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_events_reach_only_the_help_desk() {
        assert_eq!(permission_for("ticket.created"), Permission::TicketsWork);
        assert_eq!(
            permission_for("refund.awaiting_approval"),
            Permission::TicketsWork
        );
        assert!(!Role::Warehouse.allows(permission_for("ticket.csat_requested")));
        assert!(Role::Cs.allows(permission_for("ticket.escalated")));
        assert_eq!(permission_for("order.created"), Permission::OrdersRead);
    }
}
