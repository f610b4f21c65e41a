//! `POST /api/v1/changes`: a batch of changes, each run through its own route as if sent
//! alone (same permission checks, same idempotency), in order, sharing durable commits.
//! Nothing in the batch is answered before all of it is on disk.

use std::net::SocketAddr;

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Request, header};
use serde_json::value::{RawValue, to_raw_value};
use tower::ServiceExt;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::JsonBody;
use super::once::sane_key;
use super::{AppState, api_routes, blocking};
use crate::api::{
    BatchAnswer, BatchAnswers, BatchedChange, ChangeBatch, MOST_CHANGES_IN_BATCH, PREFIX, Problem,
    no_body,
};
use crate::store::LaterCommits;

/// The longest answer a change's route gives (a stocktake with all its lines).
const LONGEST_ANSWER: usize = 16 * 1024 * 1024;

tokio::task_local! {
    /// Set while a batch runs its changes: their store writes owe their commits to it.
    pub(super) static BATCH_COMMITS: LaterCommits;
}

#[utoipa::path(post, path = "/api/v1/changes", tag = "changes",
    request_body = ChangeBatch, security(("bearer" = [])),
    responses(
        (status = 200, body = BatchAnswers, description = "One answer per change tried, in order"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "The batch itself is malformed: nothing was tried"),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn apply_changes(
    State(state): State<AppState>,
    _caller: Caller,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    JsonBody(batch): JsonBody<ChangeBatch>,
) -> Result<Json<BatchAnswers>, ApiError> {
    let requests = requests(&batch, &headers, peer.map(|Extension(p)| p))?;
    let later = LaterCommits::default();
    let mut settle = SettleIfDropped {
        state: state.clone(),
        later: Some(later.clone()),
    };
    let routes = api_routes().with_state(state.clone());
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        let answer = BATCH_COMMITS
            .scope(later.clone(), routes.clone().oneshot(request))
            .await
            .map_err(|never| ApiError::Internal(format!("{never:?}")))?;
        let status = answer.status();
        let bytes = axum::body::to_bytes(answer.into_body(), LONGEST_ANSWER)
            .await
            .map_err(|e| ApiError::Internal(format!("a change's answer could not be read: {e}")))?;
        let body = answer_body(&bytes)?;
        answers.push(BatchAnswer {
            status: status.as_u16(),
            body,
        });
        // What follows may depend on it: the rest waits for the batch to be sent again.
        if status.is_server_error() {
            break;
        }
    }
    settle.later = None;
    blocking(&state, move |s| s.wait_for_commits(&later)).await?;
    state.ring();
    Ok(Json(BatchAnswers { answers }))
}

/// A change's answer as JSON: as its route wrote it, or, should that not be JSON, as a
/// string.
fn answer_body(bytes: &[u8]) -> Result<Box<RawValue>, ApiError> {
    if bytes.is_empty() {
        return Ok(no_body());
    }
    let as_written = std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| RawValue::from_string(text.to_owned()).ok());
    match as_written {
        Some(body) => Ok(body),
        None => to_raw_value(&String::from_utf8_lossy(bytes))
            .map_err(|e| ApiError::Internal(format!("a change's answer could not be kept: {e}"))),
    }
}

/// Commits what a batch wrote if its request goes away half way (the client hung up): its
/// open transaction would otherwise hold the database's write lock until the next write.
/// None of it was answered, so a retry finds it by its keys.
struct SettleIfDropped {
    state: AppState,
    later: Option<LaterCommits>,
}

impl Drop for SettleIfDropped {
    fn drop(&mut self) {
        if let (Some(later), Ok(runtime)) =
            (self.later.take(), tokio::runtime::Handle::try_current())
        {
            let store = self.state.store.clone();
            runtime.spawn_blocking(move || {
                if let Err(e) = store.wait_for_commits(&later) {
                    tracing::warn!(error = %e, "an abandoned batch's changes were not saved");
                }
            });
        }
    }
}

/// Every change as the request its route expects, or why the batch is refused as a whole.
fn requests(
    batch: &ChangeBatch,
    headers: &HeaderMap,
    peer: Option<ConnectInfo<SocketAddr>>,
) -> Result<Vec<Request<Body>>, ApiError> {
    if batch.changes.is_empty() || batch.changes.len() > MOST_CHANGES_IN_BATCH {
        return Err(ApiError::InvalidInput(format!(
            "a batch holds 1 to {MOST_CHANGES_IN_BATCH} changes, not {}",
            batch.changes.len()
        )));
    }
    batch
        .changes
        .iter()
        .enumerate()
        .map(|(i, change)| {
            request(change, headers, peer).map_err(|why| {
                ApiError::InvalidInput(format!("change {} of the batch: {why}", i + 1))
            })
        })
        .collect()
}

fn request(
    change: &BatchedChange,
    headers: &HeaderMap,
    peer: Option<ConnectInfo<SocketAddr>>,
) -> Result<Request<Body>, String> {
    let method = match change.method.to_ascii_uppercase().as_str() {
        "POST" => Method::POST,
        "PUT" => Method::PUT,
        "PATCH" => Method::PATCH,
        "DELETE" => Method::DELETE,
        other => {
            return Err(format!(
                "{other:?} is not a change (POST, PUT, PATCH or DELETE)"
            ));
        }
    };
    let path = change.path.trim();
    if !path.starts_with(&format!("{PREFIX}/")) || path.starts_with(&format!("{PREFIX}/changes")) {
        return Err(format!(
            "{path:?} is not a route of the API (under {PREFIX}/, not a batch)"
        ));
    }
    // A batch of sign-ins would be hundreds of password checks behind one request.
    if path.starts_with(&format!("{PREFIX}/auth/")) {
        return Err(format!(
            "{path:?}: signing in and out are not changes; send them on their own"
        ));
    }
    if sane_key(&change.idempotency_key).is_none() {
        return Err("its idempotency_key must be 1–255 printable ASCII characters".into());
    }
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header("idempotency-key", &change.idempotency_key)
        .header(header::ACCEPT, "application/json");
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        request = request.header(header::AUTHORIZATION, auth);
    }
    let body = match &change.body {
        Some(body) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(body.to_string())
        }
        None => Body::empty(),
    };
    let mut request = request.body(body).map_err(|e| e.to_string())?;
    if let Some(peer) = peer {
        request.extensions_mut().insert(peer);
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_passed_on_as_its_route_wrote_it() {
        let written = br#"{"lines":[{"qty":3}],"note":"caf\u00e9 \u2713"}"#;
        let body = answer_body(written).expect("json");
        assert_eq!(
            body.get().as_bytes(),
            written,
            "not parsed and written again"
        );
        assert_eq!(answer_body(b"").expect("none").get(), "null");
        let text = answer_body(b"shipping note\n\xff").expect("text");
        assert_eq!(text.get(), "\"shipping note\\n\u{fffd}\"");
        let batch = serde_json::to_string(&BatchAnswers {
            answers: vec![BatchAnswer { status: 200, body }],
        })
        .expect("serialised");
        assert_eq!(
            batch,
            r#"{"answers":[{"status":200,"body":{"lines":[{"qty":3}],"note":"caf\u00e9 \u2713"}}]}"#
        );
        let without: BatchAnswer = serde_json::from_str(r#"{"status":204}"#).expect("read");
        assert_eq!(without.body.get(), "null");
    }
}
