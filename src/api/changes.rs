//! A batch of changes in one request: how a console that was offline sends what it queued
//! without a round trip, and a commit, per change.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most changes in one batch; a console sends more as several.
pub const MOST_CHANGES_IN_BATCH: usize = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeBatch {
    /// Applied in this order, each as if sent alone with its own key.
    #[schema(max_items = 500)]
    pub changes: Vec<BatchedChange>,
}

/// One change as it would be sent alone: method, path under `/api/v1/`, key and body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchedChange {
    /// `POST`, `PUT`, `PATCH` or `DELETE`.
    #[schema(max_length = 10)]
    pub method: String,
    /// The route, e.g. `/api/v1/stocktakes/ST-000001/locations/A-01-01/counts`.
    #[schema(max_length = 2000)]
    pub path: String,
    /// Sent as its `Idempotency-Key`: a batch sent again changes nothing twice.
    #[schema(max_length = 255)]
    pub idempotency_key: String,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub body: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchAnswers {
    /// One per change, in order. Shorter than the batch when a change failed on the
    /// server's side (5xx): that one is the last answer, and those after it were not tried.
    pub answers: Vec<BatchAnswer>,
}

/// What the change's own route answered: its status and body (a problem for a refusal).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BatchAnswer {
    pub status: u16,
    /// The JSON as the route wrote it (`null` for none), passed on without being parsed.
    #[serde(default = "no_body")]
    #[schema(value_type = Object)]
    pub body: Box<serde_json::value::RawValue>,
}

/// The body of an answer without one.
pub fn no_body() -> Box<serde_json::value::RawValue> {
    serde_json::value::RawValue::NULL.to_owned()
}
