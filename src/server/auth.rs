//! Sign-in with opaque bearer tokens. Tokens are random, stored only as SHA-256 hashes,
//! expire, and can be revoked. Failed sign-ins lock the user name out for a growing time
//! and spend the client address's budget (`sign_in_throttle`).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};

use axum::Extension;
use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::extract::JsonBody;
use super::extract::NoBody;
use super::sign_in_throttle::{ClientKey, Refusal};
use super::{AppState, blocking};
use crate::api::{LoginRequest, LoginResponse, Me, Problem};
use crate::domain::role::Permission;
use crate::domain::user::{hash_password, normalize_username};
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

    /// For a route that any of `permissions` opens; a refusal names the first.
    pub fn require_any(&self, permissions: &[Permission]) -> Result<(), ApiError> {
        match permissions.first() {
            _ if self.user.role.allows_any(permissions) => Ok(()),
            Some(&first) => Err(ApiError::Forbidden(first)),
            // An empty list opens to nobody, not to everybody.
            None => Err(ApiError::Forbidden(Permission::UsersManage)),
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

/// A hash to verify against when the user does not exist, so that the answer takes as
/// long as for a real user and does not reveal which names exist.
fn decoy_hash() -> Arc<str> {
    static DECOY: OnceLock<Arc<str>> = OnceLock::new();
    DECOY
        .get_or_init(|| {
            hash_password("decoy password", &rand::random())
                .unwrap_or_default()
                .into()
        })
        .clone()
}

/// The address a request came from: the peer, or, when the peer is a trusted proxy, the
/// last address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &HeaderMap,
    trusted_proxies: &[IpAddr],
) -> Option<IpAddr> {
    // A dual-stack listener sees IPv4 peers as `::ffff:a.b.c.d`; they are the IPv4
    // addresses a `--trusted-proxy` names.
    let peer = peer?.to_canonical();
    let trusted = |a: &IpAddr| trusted_proxies.iter().any(|t| t.to_canonical() == *a);
    if !trusted(&peer) {
        return Some(peer);
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    // From the right: each trusted hop appended the address it saw. The first hop that is
    // not trusted is the client; what stands left of it the client wrote itself. An entry
    // that is no address where the client should be: the last trusted hop is the client.
    let mut client = peer;
    for entry in entries.into_iter().rev() {
        match entry.trim().parse::<IpAddr>().map(|a| a.to_canonical()) {
            Ok(hop) if trusted(&hop) => client = hop,
            Ok(hop) => return Some(hop),
            Err(_) => break,
        }
    }
    Some(client)
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
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<axum::Json<LoginResponse>, ApiError> {
    let address = client_address(
        peer.map(|Extension(ConnectInfo(p))| p.ip()),
        &headers,
        &state.config.trusted_proxies,
    )
    .unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let client = ClientKey::from(address);
    // A malformed name cannot exist; a failure like a wrong password, without a check.
    let Ok(username) = normalize_username(&req.username) else {
        state.throttle.fail_unchecked(client).map_err(too_many)?;
        return Err(ApiError::InvalidCredentials);
    };
    let attempt = state.throttle.begin(&username, client).map_err(too_many)?;
    let name = username.clone();
    let candidate = blocking(&state, move |s| s.login_candidate(&name)).await?;
    let (user, phc) = match candidate {
        Some((user, hash)) => (Some(user), Arc::from(hash)),
        None => (None, decoy_hash()),
    };
    let ok = state
        .password_checks
        .verify(req.password.expose().to_string(), phc)
        .await
        .map_err(|_| ApiError::Unavailable {
            detail: "too many sign-ins are being checked; try again in a moment".into(),
            retry_after_secs: 1,
        })?;
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
                s.record_failed_login(&name, reason, &address.to_string(), Timestamp::now())
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

fn too_many(refusal: Refusal) -> ApiError {
    // Whole seconds, rounded up: a client that waits as told is not refused again.
    let secs = |wait: std::time::Duration| {
        u64::try_from(wait.as_millis().div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1)
    };
    match refusal {
        Refusal::Name { retry_after } => ApiError::TooManyAttempts {
            retry_after_secs: secs(retry_after),
        },
        Refusal::Address { retry_after } => ApiError::TooManyFromAddress {
            retry_after_secs: secs(retry_after),
        },
    }
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses((status = 204, description = "Token revoked"),
        (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    _: NoBody,
) -> Result<StatusCode, ApiError> {
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
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let peer: IpAddr = [192, 0, 2, 5].into();
        assert_eq!(client_address(Some(peer), &headers, &[proxy]), Some(peer));
        assert_eq!(
            client_address(Some(proxy), &headers, &[proxy]),
            Some([198, 51, 100, 7].into()),
            "the address the proxy saw, not one the client wrote before it"
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(Some(proxy), &headers, &[proxy]), Some(proxy));
        headers.insert(
            "x-forwarded-for",
            "unknown, [2001:db8::1]:443, 198.51.100.7".parse().unwrap(),
        );
        assert_eq!(
            client_address(Some(proxy), &headers, &[proxy]),
            Some([198, 51, 100, 7].into()),
            "what the client wrote before the proxy's entry does not spoil it"
        );
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        headers.insert("x-forwarded-for", "203.0.113.9".parse().unwrap());
        assert_eq!(
            client_address(Some(mapped), &headers, &[proxy]),
            Some([203, 0, 113, 9].into()),
            "a dual-stack listener's view of an IPv4 proxy is that proxy"
        );
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
