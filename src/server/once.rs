//! `Idempotency-Key` on mutating routes: a retry with the same key and body gets the first
//! answer; the same key with another body is refused.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use super::auth::Caller;
use super::error::ApiError;
use super::{AppState, blocking};
use crate::domain::idempotency::CANONICAL;
use crate::store::{IdempotencyKey, Idempotent, Store, StoreError, hex};

/// Keys are opaque to us but must be sane: printable ASCII, at most 255 characters.
pub fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers.get("idempotency-key").ok_or_else(|| {
        ApiError::InvalidInput("the Idempotency-Key header is required on this request".into())
    })?;
    let key = value.to_str().ok().and_then(sane_key).ok_or_else(|| {
        ApiError::InvalidInput("Idempotency-Key must be 1–255 printable ASCII characters".into())
    })?;
    Ok(key.to_string())
}

/// The key as used (trimmed), if it is 1–255 printable ASCII characters.
pub fn sane_key(key: &str) -> Option<&str> {
    let key = key.trim();
    (!key.is_empty() && key.len() <= 255 && key.bytes().all(|b| (0x21..0x7f).contains(&b)))
        .then_some(key)
}

/// What a change asked, as its idempotency record remembers it: a hash of the method, the
/// path and the body in canonical JSON, so a retry with its keys in another order, or the
/// same change sent again inside a batch, is the same request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    /// `route` is the method and path as sent (`POST /api/v1/…`); `canonical_body` the
    /// body's canonical JSON, empty for none.
    pub fn of(route: &str, canonical_body: &str) -> Fingerprint {
        let digest = Sha256::new()
            .chain_update(route.as_bytes())
            .chain_update(b"\n")
            .chain_update(canonical_body.as_bytes())
            .finalize();
        Fingerprint(format!("{CANONICAL}{}", hex(&digest)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An answer to store with its idempotency key: status and JSON body.
pub fn stored<T: serde::Serialize>(status: u16, body: &T) -> (u16, String) {
    (status, serde_json::to_string(body).unwrap_or_default())
}

/// The stored or fresh answer as a response.
pub fn answer(outcome: Idempotent, key: &str) -> Result<Response, ApiError> {
    match outcome {
        Idempotent::Fresh { status, body } | Idempotent::Replay { status, body } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Ok((status, [(header::CONTENT_TYPE, "application/json")], body).into_response())
        }
        Idempotent::Mismatch => Err(ApiError::IdempotencyKeyReused(key.to_string())),
    }
}

/// One change, at most once per Idempotency-Key: `request` is what is asked (a retry must
/// ask the same); `write` makes it as the caller, now.
pub async fn once(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    request: Fingerprint,
    write: impl FnOnce(&Store, &IdempotencyKey, &str, Timestamp) -> Result<Idempotent, StoreError>
    + Send
    + 'static,
) -> Result<Response, ApiError> {
    let key = idempotency_key(headers)?;
    let scope = caller.user.id.clone();
    let hash = request.0;
    let actor = caller.user.username.clone();
    let sent = key.clone();
    let now = state.now();
    let outcome = blocking(state, move |s| {
        let once = IdempotencyKey {
            scope: &scope,
            key: &sent,
            request_hash: &hash,
        };
        write(s, &once, &actor, now)
    })
    .await?;
    state.ring();
    answer(outcome, &key)
}
