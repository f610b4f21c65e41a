//! Stocktakes over HTTP. Blind counts: whoever may not see expected quantities gets none,
//! in any answer, including the stored answers of replayed requests.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::catalog::{number_cursor, page};
use super::error::ApiError;
use super::extract::{ChangeBody, NoBody};
use super::extract::{PathParams, one_of};
use super::extract::{QueryParams, page_size};
use super::once::{once, stored};
use super::{AppState, blocking};
use crate::api::{
    CloseIn, CountIn, CountLine, CountLocation, CounterFigures, LedgerLine, Page, Problem,
    ReviewIn, Stocktake, StocktakeIn, StocktakeReport,
};
use crate::domain::role::Permission;
use crate::domain::stock::Document;
use crate::domain::stocktake::{CountScope, CycleSchedule, Tolerance, self_approval_reason};
use crate::store::{
    Approver, CountEntry, LineKeys, NewStocktake, StocktakeReport as ReportRow, StocktakeRow,
};

/// Expected quantities are for supervisors and auditors, and for everyone on an open count.
fn sees_expected(caller: &Caller, blind: bool) -> bool {
    !blind
        || caller.user.role.allows(Permission::StocktakeManage)
        || caller.user.role.allows(Permission::AuditRead)
}

/// The stocktake as `viewer` may see it: expected quantities only with `expected`, and
/// never at a location the viewer is counting blind (in this stocktake or another).
fn wire(row: &StocktakeRow, expected: bool, viewer: &str) -> Stocktake {
    let kept_blind = |code: &str| {
        row.kept_blind
            .iter()
            .any(|(at, counter)| at == code && counter == viewer)
    };
    let shown_at = |code: &str| expected && !kept_blind(code);
    Stocktake {
        id: row.id.clone(),
        number: Document::Stocktake.number(row.number),
        scope: row.scope.clone(),
        scope_detail: row.scope_detail.clone(),
        blind: row.blind,
        state: row.state.clone(),
        tolerance_qty: row.tolerance.qty,
        tolerance_value: row.tolerance.value,
        recount_of: row.recount_of.map(|n| Document::Stocktake.number(n)),
        created_by: row.created_by.clone(),
        created_at: row.created_at.to_string(),
        finished_at: row.finished_at.map(|t| t.to_string()),
        counters: row.counters.clone(),
        locations: row
            .locations
            .iter()
            .map(|l| CountLocation {
                code: l.code.clone(),
                seq: l.seq,
                state: l.state.clone(),
                counter: l.counter.clone(),
                not_counter: l.not_counter.clone(),
                started_at: l.started_at.map(|t| t.to_string()),
                closed_at: l.closed_at.map(|t| t.to_string()),
                empty: l.empty,
                products: l.products.clone(),
            })
            .collect(),
        lines: row
            .lines
            .iter()
            // Where the viewer counts blind, what others counted there (a line "matched" is
            // the ledger's figure) is not shown: only the viewer's own count in progress.
            .filter(|l| {
                !kept_blind(&l.location)
                    || (l.state == "counting" && l.counted_by.as_deref() == Some(viewer))
            })
            .map(|l| {
                let shown = shown_at(&l.location).then_some(l.expected).flatten();
                CountLine {
                    location: l.location.clone(),
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    barcode: l.barcode.clone(),
                    counted: l.counted,
                    state: l.state.clone(),
                    counted_by: l.counted_by.clone(),
                    reviewed_by: l.reviewed_by.clone(),
                    expected: shown,
                    variance: shown.map(|e| l.counted - e),
                    value: shown.and_then(|e| Some((l.counted - e).saturating_mul(l.unit_value?))),
                }
            })
            .collect(),
        ledger: expected.then(|| {
            row.ledger
                .iter()
                .filter(|l| shown_at(&l.location))
                .map(|l| LedgerLine {
                    location: l.location.clone(),
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    barcode: l.barcode.clone(),
                    on_hand: l.on_hand,
                })
                .collect()
        }),
    }
}

/// How a stored answer looks to this caller.
fn responder(caller: &Caller) -> impl Fn(&StocktakeRow) -> (u16, String) + Send + 'static {
    let manager = sees_expected(caller, true);
    let viewer = caller.user.username.clone();
    move |row| {
        let body = wire(row, manager || !row.blind, &viewer);
        stored(200, &body)
    }
}

fn scope(body: &StocktakeIn) -> Result<CountScope, ApiError> {
    let listed = |items: &[String], what: &str| -> Result<Vec<String>, ApiError> {
        let items: Vec<String> = items
            .iter()
            .map(|i| i.trim().to_string())
            .filter(|i| !i.is_empty())
            .collect();
        if items.is_empty() || items.len() > 1000 {
            return Err(ApiError::InvalidInput(format!(
                "name 1–1000 {what} to count"
            )));
        }
        Ok(items)
    };
    match body.scope.as_str() {
        "zone" => match body
            .zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
        {
            Some(zone) => Ok(CountScope::Zone(zone.to_string())),
            None => Err(ApiError::InvalidInput("scope zone needs a zone".into())),
        },
        "locations" => Ok(CountScope::Locations(listed(&body.locations, "locations")?)),
        "products" => Ok(CountScope::Products(listed(&body.products, "products")?)),
        "cycle" => Ok(CountScope::Cycle),
        other => Err(ApiError::InvalidInput(format!(
            "scope {other:?} is not zone, locations, products or cycle"
        ))),
    }
}

#[utoipa::path(post, path = "/api/v1/stocktakes", tag = "stocktakes",
    params(("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = StocktakeIn, security(("bearer" = [])),
    responses((status = 201, body = Stocktake),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Nothing to count"),
        (status = 404, body = Problem, content_type = "application/problem+json", description = "No such location or product")))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<StocktakeIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StocktakeManage)?;
    let scope = scope(&body)?;
    let defaults = Tolerance::default();
    let tolerance = Tolerance {
        qty: body.tolerance_qty.unwrap_or(defaults.qty),
        value: body.tolerance_value.unwrap_or(defaults.value),
    };
    if tolerance.qty < 0 || tolerance.value < 0 {
        return Err(ApiError::InvalidInput("tolerances are 0 or more".into()));
    }
    let limit = body.limit.unwrap_or(20);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::InvalidInput(format!(
            "limit {limit} is not 1–500 products"
        )));
    }
    let counters: Vec<String> = body
        .counters
        .iter()
        .map(|c| c.trim().to_lowercase())
        .collect();
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let new = NewStocktake {
                scope: &scope,
                blind: body.blind.unwrap_or(true),
                counters: &counters,
                tolerance,
                cycle_limit: limit,
                schedule: CycleSchedule::default(),
            };
            s.create_stocktake(once, &new, actor, now, |row| {
                stored(201, &wire(row, true, actor))
            })
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StocktakeQuery {
    /// counting, review, done or cancelled; all when absent.
    #[param(pattern = "^(counting|review|done|cancelled)$")]
    state: Option<String>,
    /// Only counts the caller may work on.
    mine: Option<bool>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/stocktakes", tag = "stocktakes",
    params(StocktakeQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Stocktake>, description = "Newest first"),
        (status = 400, body = Problem, content_type = "application/problem+json")))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<StocktakeQuery>,
) -> Result<Json<Page<Stocktake>>, ApiError> {
    caller.require(Permission::StockRead)?;
    // A stocktake is counted location by location: without them it says nothing.
    caller.require(Permission::LocationsRead)?;
    one_of(
        "state",
        query.state.as_deref(),
        &["counting", "review", "done", "cancelled"],
    )?;
    let limit = page_size(query.limit)?;
    let before = number_cursor(query.cursor.as_deref())?;
    let me = query
        .mine
        .unwrap_or(false)
        .then(|| caller.user.username.clone());
    let rows = blocking(&state, move |s| {
        s.stocktakes(query.state.as_deref(), me.as_deref(), before, limit + 1)
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| r.number.to_string(),
        |r| wire(&r, sees_expected(&caller, r.blind), &caller.user.username),
    )))
}

#[utoipa::path(get, path = "/api/v1/stocktakes/{key}", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number (ST-000001)")),
    security(("bearer" = [])),
    responses((status = 200, body = Stocktake),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<Stocktake>, ApiError> {
    caller.require(Permission::StockRead)?;
    caller.require(Permission::LocationsRead)?;
    let row = blocking(&state, move |s| s.stocktake(&key)).await?;
    Ok(Json(wire(
        &row,
        sees_expected(&caller, row.blind),
        &caller.user.username,
    )))
}

#[utoipa::path(post, path = "/api/v1/stocktakes/{key}/locations/{code}/start", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number"),
        ("code" = String, Path, description = "Location code"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    security(("bearer" = [])),
    responses((status = 200, body = Stocktake),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Someone else counts it, it was counted, or you counted it before a recount")))]
pub async fn start(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((key, code)): PathParams<(String, String)>,
    headers: HeaderMap,
    NoBody(request): NoBody,
) -> Result<Response, ApiError> {
    caller.require(Permission::StocktakeCount)?;
    let respond = responder(&caller);
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| s.start_count(once, &key, &code, actor, now, respond),
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/stocktakes/{key}/locations/{code}/count", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number"),
        ("code" = String, Path, description = "Location code"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = CountIn, security(("bearer" = [])),
    responses((status = 200, body = Stocktake),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "The location is not being counted by you, or the product is not part of this count")))]
pub async fn count(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((key, code)): PathParams<(String, String)>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<CountIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StocktakeCount)?;
    let entry = match (body.set, body.qty) {
        (true, n) if (0..=1_000_000).contains(&n) => CountEntry::Set(n),
        (false, n) if (1..=1_000_000).contains(&n) => CountEntry::Add(n),
        (_, n) => {
            return Err(ApiError::InvalidInput(format!(
                "qty {n} is not a count (1 to 1,000,000 added, or 0 to 1,000,000 set)"
            )));
        }
    };
    let respond = responder(&caller);
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.count_entry(once, &key, &code, &body.product, entry, actor, now, respond)
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/stocktakes/{key}/locations/{code}/close", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number"),
        ("code" = String, Path, description = "Location code"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = CloseIn, security(("bearer" = [])),
    responses((status = 200, body = Stocktake, description = "Counted lines judged; variances beyond tolerance sent to a recount"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "Nothing counted and not confirmed empty")))]
pub async fn close(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((key, code)): PathParams<(String, String)>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<CloseIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StocktakeCount)?;
    let respond = responder(&caller);
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            s.close_count(once, &key, &code, body.empty, actor, now, respond)
        },
    )
    .await
}

fn line_keys(body: ReviewIn) -> LineKeys {
    body.lines
        .map(|lines| lines.into_iter().map(|l| (l.location, l.sku)).collect())
}

#[utoipa::path(post, path = "/api/v1/stocktakes/{key}/approve", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReviewIn, security(("bearer" = [])),
    responses((status = 200, body = Stocktake, description = "Each approved variance is now a count movement"),
        (status = 400, body = Problem, content_type = "application/problem+json", description = "The reason is too long or holds control characters"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "`/problems/forbidden`: the role lacks stocktake.manage. `/problems/second-person-required`: you counted a line yourself; another person with stocktake.manage must approve it (the detail names the line and whom to ask). An admin may approve their own count only while no other active user may approve counts, and then only with a `reason`: without one, `/problems/reason-required` (ask again with a `reason`)"),
        (status = 409, body = Problem, content_type = "application/problem+json", description = "A line is not a variance, or the units are reserved")))]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReviewIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StocktakeManage)?;
    let reason = self_approval_reason(body.reason.as_deref()).map_err(ApiError::InvalidInput)?;
    let lines = line_keys(body);
    let respond = responder(&caller);
    let role = caller.user.role;
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| {
            let approver = Approver {
                username: actor,
                role,
                reason: reason.as_deref(),
            };
            s.approve_variances(once, &key, &lines, &approver, now, respond)
        },
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/stocktakes/{key}/recount", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number"),
        ("Idempotency-Key" = String, Header, description = "The console's mutation id")),
    request_body = ReviewIn, security(("bearer" = [])),
    responses((status = 200, body = Stocktake, description = "The lines wait for a recount by someone else"),
        (status = 409, body = Problem, content_type = "application/problem+json")))]
pub async fn recount(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    headers: HeaderMap,
    ChangeBody(body, request): ChangeBody<ReviewIn>,
) -> Result<Response, ApiError> {
    caller.require(Permission::StocktakeManage)?;
    let lines = line_keys(body);
    let respond = responder(&caller);
    once(
        &state,
        &caller,
        &headers,
        request,
        move |s, once, actor, now| s.recount_lines(once, &key, &lines, actor, now, respond),
    )
    .await
}

fn report(row: ReportRow, viewer: &str) -> StocktakeReport {
    let a = row.accuracy;
    let minutes_taken = match (row.started_at, row.finished_at) {
        (Some(s), Some(f)) => Some(f.duration_since(s).as_secs() / 60),
        _ => None,
    };
    StocktakeReport {
        stocktake: wire(&row.stocktake, true, viewer),
        locations_total: row.locations_total,
        locations_counted: row.locations_counted,
        lines_counted: a.lines,
        lines_without_variance: a.exact_lines,
        variance_units: a.variance_units,
        variance_units_abs: a.variance_units_abs,
        variance_value: a.variance_value,
        variance_value_abs: a.variance_value_abs,
        expected_value: a.expected_value,
        line_accuracy: a.line_accuracy,
        value_accuracy: a.value_accuracy,
        started_at: row.started_at.map(|t| t.to_string()),
        finished_at: row.finished_at.map(|t| t.to_string()),
        minutes_taken,
        counters: row
            .counters
            .into_iter()
            .map(|(counter, locations, lines)| CounterFigures {
                counter,
                locations,
                lines,
            })
            .collect(),
    }
}

/// The lines as CSV, one row per counted product and location.
fn report_csv(report: &StocktakeReport) -> Result<String, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| ApiError::Internal(format!("writing CSV: {e}"));
    out.write_record([
        "stocktake",
        "location",
        "sku",
        "name",
        "expected",
        "counted",
        "variance",
        "value_minor",
        "state",
        "counted_by",
        "reviewed_by",
    ])
    .map_err(internal)?;
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for l in &report.stocktake.lines {
        out.write_record([
            report.stocktake.number.as_str(),
            &l.location,
            &l.sku,
            &l.name,
            &opt(l.expected),
            &l.counted.to_string(),
            &opt(l.variance),
            &opt(l.value),
            &l.state,
            l.counted_by.as_deref().unwrap_or(""),
            l.reviewed_by.as_deref().unwrap_or(""),
        ])
        .map_err(internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ApiError::Internal(format!("writing CSV: {e}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// json (default) or csv: the lines, one row each.
    #[param(pattern = "^(json|csv)$")]
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/stocktakes/{key}/report", tag = "stocktakes",
    params(("key" = String, Path, description = "Stocktake id or number"), ReportQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "The report as JSON, or its lines as CSV with format=csv",
            content((StocktakeReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
    QueryParams(query): QueryParams<ReportQuery>,
) -> Result<Response, ApiError> {
    if !sees_expected(&caller, true) {
        return Err(ApiError::Forbidden(Permission::StocktakeManage));
    }
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::InvalidInput(format!(
                "format {other:?} is not json or csv"
            )));
        }
    };
    let viewer = caller.user.username.clone();
    let row = blocking(&state, move |s| s.stocktake_report(&key, &viewer)).await?;
    let report = report(row, &caller.user.username);
    if csv {
        let name = format!("attachment; filename=\"{}.csv\"", report.stocktake.number);
        let body = report_csv(&report)?;
        Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, name),
            ],
            body,
        )
            .into_response())
    } else {
        Ok(Json(report).into_response())
    }
}
