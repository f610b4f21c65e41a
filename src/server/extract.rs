//! Body and query extractors whose rejections are problem+json, not axum's plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};

use super::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<Value>::from_request(req, state).await {
            Ok(axum::Json(value)) => read_object(value).map(JsonBody),
            Err(JsonRejection::MissingJsonContentType(e)) => {
                Err(ApiError::UnsupportedMediaType(e.body_text()))
            }
            Err(e) if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::TooLarge(format!(
                    "the body may be at most {} bytes",
                    super::edge::BODY_LIMIT
                )))
            }
            Err(e) => Err(ApiError::MalformedBody(e.body_text())),
        }
    }
}

/// A JSON body read into its type as the OpenAPI document describes it: an object (serde
/// alone would also take an array of the fields in order, which no client means), where a
/// number like `2.0` is the integer JSON Schema says it is.
pub fn read_object<T: DeserializeOwned>(mut value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::MalformedBody(
            "the body must be a JSON object".into(),
        ));
    }
    whole_numbers_as_integers(&mut value);
    serde_json::from_value(value).map_err(|e| {
        ApiError::MalformedBody(format!(
            "Failed to deserialize the JSON body into the target type: {e}"
        ))
    })
}

fn whole_numbers_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0) {
                // The bounds are powers of two, exact as floats; beyond them the number
                // stays a float and the field's type refuses it.
                if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) {
                    *n = Number::from(f as i64);
                } else if (0.0..18_446_744_073_709_551_616.0).contains(&f) {
                    *n = Number::from(f as u64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// Path parameters; one of the wrong type (a line number that is not a number) is a
/// problem+json 400 like every other bad input.
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|e: PathRejection| ApiError::InvalidInput(e.body_text()))
    }
}

pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| QueryParams(q.0))
            .map_err(|e: QueryRejection| ApiError::InvalidInput(e.body_text()))
    }
}

/// Page size: `limit` defaults to 50 and is capped at 500.
pub fn page_size(limit: Option<u32>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(50),
        Some(0) => Err(ApiError::InvalidInput("limit must be at least 1".into())),
        Some(n) => Ok(n.min(500) as usize),
    }
}

/// A query value that must be one of a few words, when given.
pub fn one_of(name: &str, value: Option<&str>, allowed: &[&str]) -> Result<(), ApiError> {
    match value {
        Some(v) if !allowed.contains(&v) => Err(ApiError::InvalidInput(format!(
            "{name} {v:?} is not one of {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    }
}
