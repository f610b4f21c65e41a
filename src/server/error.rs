//! Errors at the HTTP edge, each answered as RFC 9457 problem+json with a stable `type`.

use crate::domain::text::shown_in_a_line;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{PROBLEM_CONTENT_TYPE, Problem, ProblemType};
use crate::domain::role::Permission;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("user name or password is wrong, or the user is disabled")]
    InvalidCredentials,
    #[error("too many failed sign-ins for this user; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    #[error(
        "too many failed sign-ins from this address; try again in {retry_after_secs} s (a user who signed in from here lately still may)"
    )]
    TooManyFromAddress { retry_after_secs: u64 },
    #[error("you have {0} event streams open, the most one user may; close one first")]
    TooManyStreams(usize),
    /// The server cannot take this now, but will soon: answered with `Retry-After`.
    #[error("{detail}")]
    Unavailable {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("your role lacks the permission {0}")]
    Forbidden(Permission),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    MalformedBody(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    BadCursor(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("Idempotency-Key {0:?} was used before with a different body")]
    IdempotencyKeyReused(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn problem_type(&self) -> ProblemType {
        match self {
            ApiError::Unauthenticated(_) => ProblemType::Unauthenticated,
            ApiError::InvalidCredentials => ProblemType::InvalidCredentials,
            ApiError::TooManyAttempts { .. } | ApiError::TooManyFromAddress { .. } => {
                ProblemType::TooManyAttempts
            }
            ApiError::TooManyStreams(_) => ProblemType::TooManyStreams,
            ApiError::Unavailable { .. } => ProblemType::Unavailable,
            ApiError::Forbidden(_) | ApiError::Store(StoreError::NotAllowed(_)) => {
                ProblemType::Forbidden
            }
            ApiError::NotFound(_) | ApiError::Store(StoreError::NotFound(_)) => {
                ProblemType::NotFound
            }
            ApiError::MalformedBody(_) => ProblemType::MalformedBody,
            ApiError::TooLarge(_) => ProblemType::TooLarge,
            ApiError::UnsupportedMediaType(_) => ProblemType::UnsupportedMediaType,
            ApiError::InvalidInput(_) | ApiError::Store(StoreError::Invalid(_)) => {
                ProblemType::InvalidInput
            }
            ApiError::BadCursor(_) => ProblemType::BadCursor,
            ApiError::MethodNotAllowed(_) => ProblemType::MethodNotAllowed,
            ApiError::NotAcceptable(_) => ProblemType::NotAcceptable,
            ApiError::Store(StoreError::Conflict(_)) => ProblemType::Conflict,
            ApiError::Store(StoreError::SecondPersonRequired(_)) => {
                ProblemType::SecondPersonRequired
            }
            ApiError::Store(StoreError::ReasonRequired(_)) => ProblemType::ReasonRequired,
            ApiError::Store(StoreError::Refused(_)) => ProblemType::OrderRefused,
            ApiError::Store(StoreError::Transition(_)) => ProblemType::IllegalTransition,
            ApiError::IdempotencyKeyReused(_) => ProblemType::IdempotencyKeyReused,
            ApiError::Store(StoreError::Sqlite(e)) if is_busy(e) => ProblemType::Unavailable,
            ApiError::Store(_) | ApiError::Internal(_) => ProblemType::Internal,
        }
    }
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = self.problem_type();
        // Internal details go to the log, not to the caller.
        let detail = match kind {
            ProblemType::Internal => {
                tracing::error!(error = %self, "request failed");
                None
            }
            ProblemType::Unavailable => match &self {
                ApiError::Unavailable { detail, .. } => Some(detail.clone()),
                _ => {
                    tracing::warn!(error = %self, "database busy");
                    Some("the database is busy; retry shortly".to_string())
                }
            },
            _ => Some(self.to_string()),
        };
        // A detail may quote what the client sent (a field's name, a value).
        let detail = detail.map(|d| shown_in_a_line(&d));
        let mut problem = Problem::new(kind, detail);
        if let ApiError::Forbidden(p) = &self {
            problem.permission = Some(p.as_str().to_string());
        }
        if let ApiError::Store(StoreError::Refused(refusals)) = &self {
            problem.errors = refusals
                .iter()
                .map(|r| shown_in_a_line(&r.to_string()))
                .collect();
        }
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
        );
        match &self {
            ApiError::TooManyAttempts { retry_after_secs }
            | ApiError::TooManyFromAddress { retry_after_secs }
            | ApiError::Unavailable {
                retry_after_secs, ..
            } => {
                if let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    headers.insert(header::RETRY_AFTER, v);
                }
            }
            ApiError::Unauthenticated(_) | ApiError::InvalidCredentials => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}
