//! Reading the audit log.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::catalog::page;
use super::error::ApiError;
use super::extract::{QueryParams, page_size};
use super::{AppState, blocking};
use crate::api::{AuditEntry, Page, Problem};
use crate::domain::role::Permission;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/audit", tag = "audit",
    params(AuditQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<AuditEntry>, description = "Newest first"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<AuditQuery>,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    caller.require(Permission::AuditRead)?;
    let limit = page_size(query.limit)?;
    let before = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(c.parse::<i64>().map_err(|_| {
            ApiError::BadCursor(format!("cursor {c:?} was not issued by this server"))
        })?),
    };
    let rows = blocking(&state, move |s| s.audit_entries(before, limit + 1)).await?;
    Ok(Json(page(
        rows,
        limit,
        |r| r.id.to_string(),
        |r| AuditEntry {
            id: r.id,
            at: r.at.to_string(),
            actor: r.actor,
            action: r.action,
            entity_kind: r.entity_kind,
            entity_id: r.entity_id,
            detail: r.detail,
        },
    )))
}
