//! The reply book over HTTP: ops read it, and replace a part whole with JSON or with the
//! same TOML file they keep (`content-type: application/toml`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};

use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{read_json, sent_as_json};
use super::{AppState, blocking};
use crate::api::{CannedReplies, CannedReplyBody, FaqRuleBody, FaqRules, Problem};
use crate::domain::reply_book::{CannedReply, FaqRule, ReplyBook};
use crate::domain::reply_template::VARIABLES;
use crate::domain::role::{Permission, READ_TICKETS};
use crate::domain::settings_file::SettingsSource;
use crate::store::Versioned;

fn faq_rules(v: Versioned<FaqRule>) -> FaqRules {
    FaqRules {
        version: v.version,
        rules: v
            .items
            .into_iter()
            .map(|r| FaqRuleBody {
                name: r.name,
                keywords: r.keywords,
                patterns: r.patterns,
                reply: r.reply,
                keep_open: r.keep_open,
            })
            .collect(),
    }
}

fn canned_replies(v: Versioned<CannedReply>) -> CannedReplies {
    CannedReplies {
        version: v.version,
        replies: v
            .items
            .into_iter()
            .map(|r| CannedReplyBody {
                key: r.key,
                title: r.title,
                body: r.body,
            })
            .collect(),
        variables: VARIABLES
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// A part of the reply book from a request body, with the version the edit was made on:
/// TOML (the file format, no version) or JSON (what `GET` answers).
fn book_from<T, Json: DeserializeOwned + ToSchema + 'static>(
    headers: &HeaderMap,
    body: &Bytes,
    from_json: impl FnOnce(Json) -> (T, i64),
    from_toml: impl FnOnce(ReplyBook) -> T,
) -> Result<(T, Option<i64>), ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match essence.as_str() {
        "application/toml" | "text/toml" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::MalformedBody("the TOML body is not UTF-8".into()))?;
            let source = SettingsSource {
                origin: "request body".into(),
                text: text.to_string(),
            };
            ReplyBook::parse(&source)
                .map(|book| (from_toml(book), None))
                .map_err(|e| ApiError::InvalidInput(e.to_string()))
        }
        _ if sent_as_json(headers) => {
            let (part, _) = read_json::<Json>(body)?;
            let (part, version) = from_json(part);
            Ok((part, Some(version)))
        }
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "send application/json or application/toml, not {content_type:?}"
        ))),
    }
}

#[utoipa::path(get, path = "/api/v1/faq-rules", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = FaqRules, description = "In the order they are tried")))]
pub async fn get_faq_rules(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<FaqRules>, ApiError> {
    if caller.require(Permission::RepliesManage).is_err() {
        caller.require_any(READ_TICKETS)?;
    }
    Ok(Json(faq_rules(blocking(&state, |s| s.faq_rules()).await?)))
}

#[utoipa::path(put, path = "/api/v1/faq-rules", tag = "service", security(("bearer" = [])),
    request_body(content = FaqRules, description = "What `GET` answered, edited (its `version` is the one read), or a reply book file (`[[faq]]` tables) as application/toml"),
    responses((status = 200, body = FaqRules, description = "In force from the next message"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Someone changed the rules since the version sent was read"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "What is wrong; nothing changed")))]
pub async fn put_faq_rules(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<FaqRules>, ApiError> {
    caller.require(Permission::RepliesManage)?;
    let (rules, read_version) = book_from(
        &headers,
        &body,
        |sent: FaqRules| {
            let rules = sent
                .rules
                .into_iter()
                .map(|r| FaqRule {
                    name: r.name,
                    keywords: r.keywords,
                    patterns: r.patterns,
                    reply: r.reply,
                    keep_open: r.keep_open,
                })
                .collect::<Vec<_>>();
            (rules, sent.version)
        },
        |book| book.faq,
    )?;
    let actor = caller.user.username.clone();
    let now = state.now();
    Ok(Json(faq_rules(
        blocking(&state, move |s| {
            s.replace_faq_rules(rules, read_version, &actor, now)
        })
        .await?,
    )))
}

#[utoipa::path(get, path = "/api/v1/canned-replies", tag = "service", security(("bearer" = [])),
    responses((status = 200, body = CannedReplies)))]
pub async fn get_canned_replies(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<CannedReplies>, ApiError> {
    caller.require_any(READ_TICKETS)?;
    Ok(Json(canned_replies(
        blocking(&state, |s| s.canned_replies()).await?,
    )))
}

#[utoipa::path(put, path = "/api/v1/canned-replies", tag = "service", security(("bearer" = [])),
    request_body(content = CannedReplies, description = "What `GET` answered, edited (its `version` is the one read), or a reply book file (`[[canned]]` tables) as application/toml"),
    responses((status = 200, body = CannedReplies),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Someone changed the replies since the version sent was read"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "What is wrong; nothing changed")))]
pub async fn put_canned_replies(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<CannedReplies>, ApiError> {
    caller.require(Permission::RepliesManage)?;
    let (replies, read_version) = book_from(
        &headers,
        &body,
        |sent: CannedReplies| {
            let replies = sent
                .replies
                .into_iter()
                .map(|r| CannedReply {
                    key: r.key,
                    title: r.title,
                    body: r.body,
                })
                .collect::<Vec<_>>();
            (replies, sent.version)
        },
        |book| book.canned,
    )?;
    let actor = caller.user.username.clone();
    let now = state.now();
    Ok(Json(canned_replies(
        blocking(&state, move |s| {
            s.replace_canned_replies(replies, read_version, &actor, now)
        })
        .await?,
    )))
}
