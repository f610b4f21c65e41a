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
use super::blind::Blind;
use super::error::ApiError;
use super::extract::QueryParams;
use super::location_codes::LocationCodes;
use super::{AppState, blocking};
use crate::api::{FeedEvent, Problem};
use crate::domain::role::{Permission, READ_TICKETS, Role};
use crate::store::EventRow;

/// Events per store read while catching up.
const BATCH: usize = 500;
/// Also look for new events this often, in case a write did not ring the bell (another
/// process on the same database, for instance).
const POLL: Duration = Duration::from_secs(2);
/// A stream asks again this often whether its session still stands (signed out, expired,
/// user disabled or given another role end it), so it ends within the second that sessions
/// changed by another process take to be seen elsewhere.
const SESSION_CHECK: Duration = Duration::from_secs(1);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventQuery {
    /// Resume after this event id (same as the `Last-Event-ID` header).
    after: Option<i64>,
}

/// The permissions of which an event kind needs one to be seen.
fn permission_for(kind: &str) -> &'static [Permission] {
    match kind.split('.').next() {
        Some("order" | "shipment" | "pick_list" | "pick" | "alert") => &[Permission::OrdersRead],
        Some("stock" | "purchase" | "replenishment" | "stocktake") => &[Permission::StockRead],
        // Tickets carry customers' e-mails and words: only the help desk hears them.
        Some("ticket" | "return" | "refund") => READ_TICKETS,
        // A kind nobody gave a rule may carry anything: only those who may read
        // everything hear it until it has one.
        _ => &[Permission::AuditRead],
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
    user_id: String,
    username: String,
    /// Where the user counts blind, read with each batch of events: what moves there is
    /// not theirs to hear about.
    blind: Blind,
    token_hash: String,
    session_checked: tokio::time::Instant,
    _slot: StreamSlot,
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
        (status = 429, body = Problem, content_type = "application/problem+json", description = "The user has as many streams open as one may"),
    ))]
pub async fn stream(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    QueryParams(query): QueryParams<EventQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Any signed-in user may follow: each event is filtered by its kind's permission below.
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
    let slot = StreamSlot::take(&state, &caller.user.id)?;
    let feed = Feed {
        bell: state.bell.subscribe(),
        stopping: state.stopping.subscribe(),
        role: caller.user.role,
        user_id: caller.user.id,
        username: caller.user.username,
        blind: Blind::default(),
        token_hash: caller.token_hash,
        session_checked: tokio::time::Instant::now(),
        _slot: slot,
        state,
        last,
        pending: Default::default(),
    };
    let events = futures_util::stream::unfold(feed, |mut feed| async move {
        loop {
            if *feed.stopping.borrow() || !feed.session_stands().await {
                return None;
            }
            if let Some(row) = feed.pending.pop_front() {
                feed.last = row.id;
                if feed.role.allows_any(permission_for(&row.kind))
                    && !feed.blind.hides_event(&row.payload)
                {
                    let mut row = row;
                    LocationCodes::for_role(feed.role)
                        .applied_to_event(&row.kind, &mut row.payload);
                    feed.blind.applied_to_event(&row.kind, &mut row.payload);
                    return Some((Ok(to_event(row)), feed));
                }
                continue;
            }
            let after = feed.last;
            let me = feed.username.clone();
            let read = move |s: &crate::store::Store| {
                Ok((s.events_after(after, BATCH)?, Blind::read(s, &me)?))
            };
            match blocking(&feed.state, read).await {
                Ok((rows, blind)) if !rows.is_empty() => {
                    feed.blind = blind;
                    feed.pending.extend(rows);
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "event feed read failed; retrying"),
            }
            let check_due = feed.session_checked + SESSION_CHECK;
            tokio::select! {
                _ = feed.bell.changed() => {}
                _ = feed.stopping.changed() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = tokio::time::sleep_until(check_due) => {}
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

impl Feed {
    /// Whether the stream's session still stands for the same user in the same role; asked
    /// of the database once a [`SESSION_CHECK`].
    async fn session_stands(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        if now < self.session_checked + SESSION_CHECK {
            return true;
        }
        self.session_checked = now;
        let token = self.token_hash.clone();
        match blocking(&self.state, move |s| {
            s.session_user(&token, jiff::Timestamp::now())
        })
        .await
        {
            Ok(Some(user)) => user.id == self.user_id && user.role == self.role && !user.disabled,
            Ok(None) => false,
            // A database that cannot be read now says nothing about the session.
            Err(e) => {
                tracing::warn!(error = %e, "an event stream could not check its session");
                true
            }
        }
    }
}

/// One of a user's open event streams; the count goes down when the stream ends.
struct StreamSlot {
    open: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, usize>>>,
    user_id: String,
}

impl StreamSlot {
    fn take(state: &AppState, user_id: &str) -> Result<StreamSlot, ApiError> {
        let most = state.config.max_streams_per_user;
        let mut open = state.streams.lock().unwrap_or_else(|p| p.into_inner());
        // Streams are never closed to make room for new connections: all users' together
        // may hold half the connections the server can have.
        if open.values().sum::<usize>() >= state.most_streams {
            return Err(ApiError::Unavailable {
                detail: "the server holds as many event streams as it may; try again shortly"
                    .into(),
                retry_after_secs: 5,
            });
        }
        let count = open.entry(user_id.to_string()).or_default();
        if *count >= most {
            return Err(ApiError::TooManyStreams(most));
        }
        *count += 1;
        Ok(StreamSlot {
            open: state.streams.clone(),
            user_id: user_id.to_string(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.user_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_events_reach_only_the_help_desk() {
        assert_eq!(permission_for("ticket.created"), READ_TICKETS);
        assert_eq!(permission_for("refund.awaiting_approval"), READ_TICKETS);
        assert!(!Role::Warehouse.allows_any(permission_for("ticket.csat_requested")));
        assert!(Role::Cs.allows_any(permission_for("ticket.escalated")));
        assert!(Role::Auditor.allows_any(permission_for("ticket.escalated")));
        assert_eq!(permission_for("order.created"), [Permission::OrdersRead]);
    }

    /// Every kind the store writes, with who must hear it; a new kind belongs here.
    const KINDS: [(&str, &[Permission]); 22] = [
        ("order.created", &[Permission::OrdersRead]),
        ("order.status", &[Permission::OrdersRead]),
        ("order.routed", &[Permission::OrdersRead]),
        ("shipment.tracking", &[Permission::OrdersRead]),
        ("alert.carrier_exception", &[Permission::OrdersRead]),
        ("pick_list.claimed", &[Permission::OrdersRead]),
        ("pick_list.finished", &[Permission::OrdersRead]),
        ("pick.short", &[Permission::OrdersRead]),
        ("stock.alert_raised", &[Permission::StockRead]),
        ("stock.alert_cleared", &[Permission::StockRead]),
        ("purchase.requested", &[Permission::StockRead]),
        ("purchase.order", &[Permission::StockRead]),
        ("purchase.cancel", &[Permission::StockRead]),
        ("purchase.received", &[Permission::StockRead]),
        ("stocktake.created", &[Permission::StockRead]),
        ("stocktake.closed", &[Permission::StockRead]),
        ("ticket.created", READ_TICKETS),
        ("ticket.csat", READ_TICKETS),
        ("ticket.csat_requested", READ_TICKETS),
        ("return.authorised", READ_TICKETS),
        ("return.item_received", READ_TICKETS),
        ("refund.approved", READ_TICKETS),
    ];

    #[test]
    fn every_kind_has_its_rule_and_an_unknown_kind_reaches_only_who_reads_everything() {
        for (kind, permissions) in KINDS {
            assert_eq!(permission_for(kind), permissions, "{kind}");
        }
        // Purchasing hears of alerts and its requests, never of customers' orders.
        let hears = |role: Role, kind: &str| role.allows_any(permission_for(kind));
        assert!(hears(Role::Purchasing, "stock.alert_raised"));
        assert!(hears(Role::Purchasing, "purchase.requested"));
        assert!(!hears(Role::Purchasing, "order.created"));
        assert!(!hears(Role::Purchasing, "ticket.created"));
        for kind in ["customer.merged", "orderx.created", "nothing"] {
            assert_eq!(permission_for(kind), [Permission::AuditRead], "{kind}");
        }
        let hear: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| hears(*r, "customer.merged"))
            .collect();
        assert_eq!(hear, [Role::Admin, Role::Auditor]);
    }
}
