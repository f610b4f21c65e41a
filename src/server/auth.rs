//! Sign-in with opaque bearer tokens. Tokens are random, stored only as SHA-256 hashes,
//! expire, and can be revoked. Failed sign-ins lock the user name out for a growing time.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::extract::JsonBody;
use super::{AppState, blocking};
use crate::api::{LoginRequest, LoginResponse, Me, Problem};
use crate::domain::role::Permission;
use crate::domain::user::{hash_password, normalize_username, verify_password};
use crate::store::User;

/// The signed-in caller of a request, resolved from the bearer token.
pub struct Caller {
    pub user: User,
    pub token_hash: String,
}

impl Caller {
    /// Every route calls this with the permission it needs.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if self.user.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(permission))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthenticated(
                "missing Authorization: Bearer header",
            ))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthenticated(
                "Authorization header must be Bearer <token>",
            ))?;
        let token_hash = token_hash(token);
        let user = match state.store.session_user_seen(&token_hash, Timestamp::now()) {
            Some(user) => user,
            None => {
                let lookup = token_hash.clone();
                blocking(state, move |s| s.session_user(&lookup, Timestamp::now()))
                    .await?
                    .ok_or(ApiError::Unauthenticated(
                        "token is unknown, expired or signed out",
                    ))?
            }
        };
        Ok(Caller { user, token_hash })
    }
}

pub fn token_hash(token: &str) -> String {
    crate::store::hex(&Sha256::digest(token.as_bytes()))
}

fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    crate::store::hex(&bytes)
}

pub fn me(user: &User) -> Me {
    Me {
        id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        role: user.role.as_str().to_string(),
        permissions: user
            .role
            .permissions()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    }
}

/// Counts failed sign-ins per user name. After `free_attempts` failures in a row the name
/// is locked for `base_lockout`, doubling with each further failure up to 15 minutes.
/// Attempts still being checked count too, so a burst of parallel guesses cannot slip
/// past the limit while the first ones are hashing.
pub struct LoginThrottle {
    free_attempts: u32,
    base_lockout: Duration,
    failures: Mutex<HashMap<String, Failures>>,
}

#[derive(Default)]
struct Failures {
    count: u32,
    in_flight: u32,
    locked_until: Option<Instant>,
}

const MAX_LOCKOUT: Duration = Duration::from_secs(15 * 60);

/// An attempt being checked; it must end as a success or a failure (dropping it unsettled
/// counts as neither).
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    username: String,
    settled: bool,
}

impl Attempt<'_> {
    pub fn succeeded(mut self) {
        self.settled = true;
        self.throttle
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.username);
    }

    pub fn failed(mut self) {
        self.settled = true;
        let t = self.throttle;
        let mut map = t.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(self.username.clone()).or_default();
        entry.in_flight = entry.in_flight.saturating_sub(1);
        entry.count += 1;
        if entry.count >= t.free_attempts {
            let doublings = (entry.count - t.free_attempts).min(16);
            let lock = t
                .base_lockout
                .saturating_mul(1 << doublings)
                .min(MAX_LOCKOUT);
            entry.locked_until = Some(Instant::now() + lock);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let mut map = self
                .throttle
                .failures
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = map.get_mut(&self.username) {
                entry.in_flight = entry.in_flight.saturating_sub(1);
            }
        }
    }
}

impl LoginThrottle {
    pub fn new(free_attempts: u32, base_lockout: Duration) -> LoginThrottle {
        LoginThrottle {
            free_attempts: free_attempts.max(1),
            base_lockout,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Starts an attempt, or says how many seconds to wait.
    pub fn begin(&self, username: &str) -> Result<Attempt<'_>, u64> {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let entry = map.entry(username.to_string()).or_default();
        if let Some(left) = entry
            .locked_until
            .and_then(|until| until.checked_duration_since(Instant::now()))
        {
            return Err(left.as_secs().max(1));
        }
        if entry.count + entry.in_flight >= self.free_attempts {
            // Earlier attempts are still being checked; their outcome decides.
            return Err(1);
        }
        entry.in_flight += 1;
        Ok(Attempt {
            throttle: self,
            username: username.to_string(),
            settled: false,
        })
    }
}

/// A hash to verify against when the user does not exist, so that the answer takes as
/// long as for a real user and does not reveal which names exist.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password", &rand::random()).unwrap_or_default())
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    State(state): State<AppState>,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, ApiError> {
    // A malformed name cannot exist; treat it like a wrong password, without a lookup.
    let Ok(username) = normalize_username(&req.username) else {
        return Err(ApiError::InvalidCredentials);
    };
    let attempt = state
        .throttle
        .begin(&username)
        .map_err(|retry_after_secs| ApiError::TooManyAttempts { retry_after_secs })?;
    let name = username.clone();
    let candidate = blocking(&state, move |s| s.login_candidate(&name)).await?;
    let password = req.password;
    // Each check takes ~19 MiB and a core for a while; a flood must queue, not fan out.
    let _permit = state
        .hashing
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let (user, ok) = tokio::task::spawn_blocking(move || match candidate {
        Some((user, hash)) => {
            let ok = verify_password(password.expose(), &hash);
            (Some(user), ok)
        }
        None => {
            verify_password(password.expose(), decoy_hash());
            (None, false)
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = match user {
        Some(user) if ok && !user.disabled => user,
        other => {
            attempt.failed();
            let reason = match other {
                None => "unknown user",
                Some(u) if u.disabled => "user disabled",
                Some(_) => "wrong password",
            };
            let name = username.clone();
            blocking(&state, move |s| {
                s.record_failed_login(&name, reason, Timestamp::now())
            })
            .await?;
            return Err(ApiError::InvalidCredentials);
        }
    };
    attempt.succeeded();
    let token = new_token();
    let hash = token_hash(&token);
    let now = Timestamp::now();
    let expires_at = now
        + SignedDuration::try_from(state.config.session_ttl)
            .unwrap_or(SignedDuration::from_hours(12));
    let session_user = user.clone();
    blocking(&state, move |s| {
        s.create_session(&session_user, &hash, now, expires_at)
    })
    .await?;
    Ok(axum::Json(LoginResponse {
        token: crate::api::Secret::new(token),
        expires_at: expires_at.to_string(),
        user: me(&user),
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Token revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    let actor = caller.user.username.clone();
    blocking(&state, move |s| {
        s.revoke_session(&caller.token_hash, &actor, Timestamp::now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Me),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn whoami(caller: Caller) -> axum::Json<Me> {
    axum::Json(me(&caller.user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_locks_after_free_attempts_and_doubles() {
        let t = LoginThrottle::new(3, Duration::from_secs(10));
        t.begin("mei").unwrap().failed();
        t.begin("mei").unwrap().failed();
        t.begin("mei").unwrap().failed();
        let first = t.begin("mei").err().unwrap();
        assert!((9..=10).contains(&first), "{first}");
        assert!(t.begin("other").is_ok());
    }

    #[test]
    fn parallel_attempts_count_while_they_are_checked() {
        let t = LoginThrottle::new(3, Duration::from_secs(10));
        let a = t.begin("mei").unwrap();
        let b = t.begin("mei").unwrap();
        let c = t.begin("mei").unwrap();
        assert_eq!(
            t.begin("mei").err(),
            Some(1),
            "a fourth guess must wait for the first three"
        );
        a.succeeded();
        drop(b);
        c.failed();
        // Success cleared the slate; the unsettled one no longer counts.
        assert!(t.begin("mei").is_ok());
    }

    #[test]
    fn tokens_are_random_and_hashes_fixed_length() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), a);
    }
}
