//! What every request passes through at the HTTP edge: a request id, a trace line without
//! the query string (it carries e-mail addresses), a body limit, per-route timeouts,
//! `no-store` and `nosniff`, and problem+json for whatever error the layers themselves
//! answer.

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::api::{PROBLEM_CONTENT_TYPE, Problem, ProblemType};

/// The largest request body any route takes.
pub const BODY_LIMIT: usize = 2 * 1024 * 1024;
/// How long a request may take, but for event streams and batches of changes.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a batch of changes may take (up to 500 changes, each a request's worth).
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(120);

/// A route layer that answers 408 once `limit` has passed.
pub fn timeout(limit: Duration) -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limit)
}

/// `app` behind the edge's layers.
pub fn layered(app: Router) -> Router {
    app.layer(DefaultBodyLimit::disable()).layer(
        ServiceBuilder::new()
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(TraceLayer::new_for_http().make_span_with(span))
            .layer(PropagateRequestIdLayer::x_request_id())
            // Answers carry customers' data: no shared cache keeps them (a route that wants
            // revalidation, the order list, says so itself), and none is read as another type.
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ))
            .layer(SetResponseHeaderLayer::overriding(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(axum::middleware::map_response(problem_for_bare_errors))
            .layer(RequestBodyLimitLayer::new(BODY_LIMIT)),
    )
}

/// A request's span: method, path and request id; never the query.
fn span(request: &Request<Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        id = %id,
    )
}

/// An error answered without a problem body (a layer's 408 or 413) gets one.
async fn problem_for_bare_errors<B>(response: Response<B>) -> Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(PROBLEM_CONTENT_TYPE.as_bytes()));
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response.map(Body::new);
    }
    let problem = match status {
        StatusCode::REQUEST_TIMEOUT => Problem::new(
            ProblemType::RequestTimeout,
            format!(
                "no answer within the request's time limit ({} s); a change with an Idempotency-Key may be sent again safely",
                REQUEST_TIMEOUT.as_secs()
            ),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            ProblemType::TooLarge,
            format!("the body may be at most {BODY_LIMIT} bytes"),
        ),
        StatusCode::NOT_FOUND => Problem::new(ProblemType::NotFound, None),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(ProblemType::MethodNotAllowed, None),
        StatusCode::SERVICE_UNAVAILABLE => Problem::new(ProblemType::Unavailable, None),
        other if other.is_server_error() => Problem::new(ProblemType::Internal, None),
        other => Problem {
            kind: "about:blank".into(),
            title: other.canonical_reason().unwrap_or("Error").into(),
            status: other.as_u16(),
            detail: None,
            permission: None,
            errors: Vec::new(),
        },
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(PROBLEM_CONTENT_TYPE),
    );
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    (parts, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn problem_of(status: StatusCode) -> (StatusCode, serde_json::Value, String) {
        let bare = Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("length limit exceeded"))
            .expect("response");
        let answered = problem_for_bare_errors(bare).await;
        let kind = answered.headers()[header::CONTENT_TYPE]
            .to_str()
            .expect("text")
            .to_string();
        let status = answered.status();
        let bytes = axum::body::to_bytes(answered.into_body(), 4096)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"), kind)
    }

    #[tokio::test]
    async fn a_layers_bare_timeout_or_limit_becomes_a_problem() {
        for (status, kind) in [
            (StatusCode::REQUEST_TIMEOUT, "/problems/request-timeout"),
            (StatusCode::PAYLOAD_TOO_LARGE, "/problems/too-large"),
            (StatusCode::IM_A_TEAPOT, "about:blank"),
        ] {
            let (answered, body, content_type) = problem_of(status).await;
            assert_eq!(answered, status);
            assert_eq!(content_type, PROBLEM_CONTENT_TYPE);
            assert_eq!(body["type"], kind, "{body}");
            assert_eq!(body["status"], status.as_u16());
        }
    }
}
