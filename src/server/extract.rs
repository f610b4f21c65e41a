//! Body and query extractors whose rejections are problem+json, not axum's plain text.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(JsonBody(value)),
            Err(JsonRejection::MissingJsonContentType(e)) => {
                Err(ApiError::UnsupportedMediaType(e.body_text()))
            }
            Err(e) => Err(ApiError::MalformedBody(e.body_text())),
        }
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
