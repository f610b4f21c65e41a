//! RFC 9457 problem details. `type` values are stable: clients branch on them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Stable problem types. Each is a URI reference under `/problems/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    Unauthenticated,
    InvalidCredentials,
    TooManyAttempts,
    Forbidden,
    NotFound,
    MalformedBody,
    InvalidInput,
    BadCursor,
    Conflict,
    UnsupportedMediaType,
    MethodNotAllowed,
    NotAcceptable,
    OrderRefused,
    IllegalTransition,
    IdempotencyKeyReused,
    Internal,
    Unavailable,
    RequestTimeout,
    TooLarge,
    TooManyStreams,
    /// Not for the one asking, whatever their role: they did the work being checked.
    SecondPersonRequired,
    /// Allowed to the one asking only with a reason on record, which the request lacks:
    /// asking again with one will do (e.g. an admin approving their own count alone).
    ReasonRequired,
}

impl ProblemType {
    pub const ALL: [ProblemType; 22] = [
        ProblemType::Unauthenticated,
        ProblemType::InvalidCredentials,
        ProblemType::TooManyAttempts,
        ProblemType::Forbidden,
        ProblemType::NotFound,
        ProblemType::MalformedBody,
        ProblemType::InvalidInput,
        ProblemType::BadCursor,
        ProblemType::Conflict,
        ProblemType::UnsupportedMediaType,
        ProblemType::MethodNotAllowed,
        ProblemType::NotAcceptable,
        ProblemType::OrderRefused,
        ProblemType::IllegalTransition,
        ProblemType::IdempotencyKeyReused,
        ProblemType::Internal,
        ProblemType::Unavailable,
        ProblemType::RequestTimeout,
        ProblemType::TooLarge,
        ProblemType::TooManyStreams,
        ProblemType::SecondPersonRequired,
        ProblemType::ReasonRequired,
    ];

    pub fn uri(self) -> &'static str {
        match self {
            ProblemType::Unauthenticated => "/problems/unauthenticated",
            ProblemType::InvalidCredentials => "/problems/invalid-credentials",
            ProblemType::TooManyAttempts => "/problems/too-many-attempts",
            ProblemType::Forbidden => "/problems/forbidden",
            ProblemType::NotFound => "/problems/not-found",
            ProblemType::MalformedBody => "/problems/malformed-body",
            ProblemType::InvalidInput => "/problems/invalid-input",
            ProblemType::BadCursor => "/problems/bad-cursor",
            ProblemType::Conflict => "/problems/conflict",
            ProblemType::UnsupportedMediaType => "/problems/unsupported-media-type",
            ProblemType::MethodNotAllowed => "/problems/method-not-allowed",
            ProblemType::NotAcceptable => "/problems/not-acceptable",
            ProblemType::OrderRefused => "/problems/order-refused",
            ProblemType::IllegalTransition => "/problems/illegal-transition",
            ProblemType::IdempotencyKeyReused => "/problems/idempotency-key-reused",
            ProblemType::Internal => "/problems/internal",
            ProblemType::Unavailable => "/problems/unavailable",
            ProblemType::RequestTimeout => "/problems/request-timeout",
            ProblemType::TooLarge => "/problems/too-large",
            ProblemType::TooManyStreams => "/problems/too-many-streams",
            ProblemType::SecondPersonRequired => "/problems/second-person-required",
            ProblemType::ReasonRequired => "/problems/reason-required",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProblemType::Unauthenticated => "Sign-in required",
            ProblemType::InvalidCredentials => "Wrong user name or password",
            ProblemType::TooManyAttempts => "Too many failed sign-ins",
            ProblemType::Forbidden => "Your role may not do this",
            ProblemType::NotFound => "Not found",
            ProblemType::MalformedBody => "Request body is not valid JSON for this endpoint",
            ProblemType::InvalidInput => "Invalid input",
            ProblemType::BadCursor => "Invalid pagination cursor",
            ProblemType::Conflict => "Conflicts with the current state",
            ProblemType::UnsupportedMediaType => "Body must be application/json",
            ProblemType::MethodNotAllowed => "Method not allowed on this resource",
            ProblemType::NotAcceptable => "Cannot answer in the format asked for",
            ProblemType::OrderRefused => "The order cannot be accepted",
            ProblemType::IllegalTransition => "The order cannot move to that status",
            ProblemType::IdempotencyKeyReused => {
                "This Idempotency-Key was used for another request"
            }
            ProblemType::Internal => "Internal error",
            ProblemType::Unavailable => "Service unavailable",
            ProblemType::RequestTimeout => "The request took too long",
            ProblemType::TooLarge => "The request body is too large",
            ProblemType::TooManyStreams => "Too many event streams open",
            ProblemType::SecondPersonRequired => "Someone else must decide this",
            ProblemType::ReasonRequired => "Give a reason to do this",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            ProblemType::Unauthenticated | ProblemType::InvalidCredentials => 401,
            ProblemType::TooManyAttempts | ProblemType::TooManyStreams => 429,
            ProblemType::RequestTimeout => 408,
            ProblemType::TooLarge => 413,
            ProblemType::Forbidden
            | ProblemType::SecondPersonRequired
            | ProblemType::ReasonRequired => 403,
            ProblemType::NotFound => 404,
            ProblemType::MalformedBody | ProblemType::InvalidInput | ProblemType::BadCursor => 400,
            ProblemType::Conflict => 409,
            ProblemType::UnsupportedMediaType => 415,
            ProblemType::MethodNotAllowed => 405,
            ProblemType::NotAcceptable => 406,
            ProblemType::OrderRefused | ProblemType::IdempotencyKeyReused => 422,
            ProblemType::IllegalTransition => 409,
            ProblemType::Internal => 500,
            ProblemType::Unavailable => 503,
        }
    }

    pub fn from_uri(uri: &str) -> Option<ProblemType> {
        ProblemType::ALL.into_iter().find(|t| t.uri() == uri)
    }
}

/// An RFC 9457 problem details body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For `forbidden`: the permission that was missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permission: Option<String>,
    /// For `order-refused`: every reason, each naming its line or field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

impl Problem {
    pub fn new(kind: ProblemType, detail: impl Into<Option<String>>) -> Problem {
        Problem {
            kind: kind.uri().to_string(),
            title: kind.title().to_string(),
            status: kind.status(),
            detail: detail.into(),
            permission: None,
            errors: Vec::new(),
        }
    }

    pub fn problem_type(&self) -> Option<ProblemType> {
        ProblemType::from_uri(&self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_distinct_and_round_trip() {
        for t in ProblemType::ALL {
            assert_eq!(ProblemType::from_uri(t.uri()), Some(t));
        }
        let json = serde_json::to_value(Problem::new(ProblemType::Forbidden, None)).unwrap();
        assert_eq!(json["type"], "/problems/forbidden");
        assert_eq!(json["status"], 403);
        assert!(json.get("detail").is_none());
    }
}
