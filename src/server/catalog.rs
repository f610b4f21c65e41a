//! Products, locations and stock levels.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::blind::{Blind, seen};
use super::error::ApiError;
use super::extract::{PathParams, QueryParams, page_size};
use super::location_codes::LocationCodes;
use super::{AppState, blocking};
use crate::api::{
    CatalogChanges, CatalogProduct, Location, MoneyBody, Page, Problem, Product, ProductDetail,
    StockLevel,
};
use crate::domain::location::LocationKind;
use crate::domain::role::Permission;
use crate::store::{LocationRow, ProductRow, ProductSearch, StockFilter, StockRow, StockTotalRow};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    /// SKU prefix, part of the name, or an exact barcode.
    q: Option<String>,
    category: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

fn product(row: ProductRow) -> Product {
    Product {
        id: row.id,
        sku: row.sku,
        name: row.name,
        category: row.category,
        barcode: row.barcode,
        price: MoneyBody::from(row.price),
        safety_stock: row.safety_stock,
        on_hand: row.on_hand,
        available: row.on_hand - row.reserved,
    }
}

fn stock_level(row: StockRow) -> StockLevel {
    StockLevel {
        available: row.on_hand - row.reserved,
        sku: row.sku,
        product_name: row.product_name,
        barcode: row.barcode,
        location: Some(row.location),
        on_hand: row.on_hand,
        reserved: row.reserved,
    }
}

#[utoipa::path(get, path = "/api/v1/products", tag = "catalog",
    params(ProductQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Product>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_products(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<ProductQuery>,
) -> Result<Json<Page<Product>>, ApiError> {
    caller.require(Permission::CatalogRead)?;
    let limit = page_size(query.limit)?;
    let me = caller.user.username.clone();
    let (rows, blind) = blocking(&state, move |s| {
        let rows = s.search_products(&ProductSearch {
            text: query.q.as_deref(),
            category: query.category.as_deref(),
            after_sku: query.cursor.as_deref(),
            limit: limit + 1,
        })?;
        Ok((rows, Blind::read_with_stock(s, &me)?))
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| r.sku.clone(),
        |r| product(blind.product(r)),
    )))
}

#[utoipa::path(get, path = "/api/v1/products/{key}", tag = "catalog",
    params(("key" = String, Path, description = "SKU, id or barcode")),
    security(("bearer" = [])),
    responses((status = 200, body = ProductDetail),
        (status = 404, body = Problem, content_type = "application/problem+json")))]
pub async fn get_product(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(key): PathParams<String>,
) -> Result<Json<ProductDetail>, ApiError> {
    caller.require(Permission::CatalogRead)?;
    let shows_stock = caller.require(Permission::StockRead).is_ok();
    let wanted = key.clone();
    let me = caller.user.username.clone();
    let (found, blind) = blocking(&state, move |s| {
        Ok((
            s.product_with_stock(&wanted)?,
            Blind::read_with_stock(s, &me)?,
        ))
    })
    .await?;
    let (row, stock) = found.ok_or_else(|| ApiError::NotFound(format!("product {key:?}")))?;
    let (row, stock) = (blind.product(row), blind.stock(stock));
    let stock = match (shows_stock, LocationCodes::for_caller(&caller)) {
        (false, _) => Vec::new(),
        (true, LocationCodes::Shown) => stock.into_iter().map(stock_level).collect(),
        (true, LocationCodes::Hidden) => product_total(stock).into_iter().collect(),
    };
    Ok(Json(ProductDetail {
        product: product(row),
        stock,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LocationQuery {
    zone: Option<String>,
    /// bin, receiving, shipping, returns or damaged.
    #[param(pattern = "^(bin|receiving|shipping|returns|damaged)$")]
    kind: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/locations", tag = "catalog",
    params(LocationQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<Location>),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_locations(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<LocationQuery>,
) -> Result<Json<Page<Location>>, ApiError> {
    caller.require(Permission::LocationsRead)?;
    let limit = page_size(query.limit)?;
    if let Some(kind) = query.kind.as_deref()
        && LocationKind::parse(kind).is_none()
    {
        return Err(ApiError::InvalidInput(format!(
            "kind {kind:?} is not one of bin, receiving, shipping, returns, damaged"
        )));
    }
    let rows = blocking(&state, move |s| {
        s.list_locations(
            query.zone.as_deref(),
            query.kind.as_deref(),
            query.cursor.as_deref(),
            limit + 1,
        )
    })
    .await?;
    Ok(Json(page(rows, limit, |r| r.code.clone(), location)))
}

fn location(r: LocationRow) -> Location {
    Location {
        id: r.id,
        code: r.code,
        zone: r.zone,
        kind: r.kind,
    }
}

/// The most a terminal gets in one answer of the catalogue feed.
const CATALOG_PAGE_MAX: u32 = 5_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CatalogChangesQuery {
    /// The cursor of the last answer; 0 (or absent) for the whole catalogue.
    #[param(minimum = 0)]
    after: Option<i64>,
    /// At most 5,000; 1,000 when absent.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 5000)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/catalog/changes", tag = "catalog",
    params(CatalogChangesQuery), security(("bearer" = [])),
    responses((status = 200, body = CatalogChanges, description = "What changed since `after`"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn catalog_changes(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<CatalogChangesQuery>,
) -> Result<Json<CatalogChanges>, ApiError> {
    caller.require(Permission::CatalogRead)?;
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::InvalidInput(format!(
            "after {after} is not a cursor (0 or more)"
        )));
    }
    let limit = match query.limit {
        None => 1_000,
        Some(n @ 1..=CATALOG_PAGE_MAX) => n,
        Some(n) => {
            return Err(ApiError::InvalidInput(format!(
                "limit {n} is not between 1 and {CATALOG_PAGE_MAX}"
            )));
        }
    };
    let codes = LocationCodes::for_caller(&caller);
    let rows = blocking(&state, move |s| s.catalog_changes(after, limit as usize)).await?;
    let changes = CatalogChanges {
        products: rows
            .products
            .into_iter()
            .map(|p| CatalogProduct {
                sku: p.sku,
                name: p.name,
                category: p.category,
                barcode: p.barcode,
                active: p.active,
            })
            .collect(),
        locations: rows.locations.into_iter().map(location).collect(),
        cursor: rows.cursor,
        more: rows.more,
    };
    Ok(Json(codes.applied(changes)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    sku: Option<String>,
    /// Location code, e.g. `A-03-02`; needs `locations.read`.
    location: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/stock", tag = "catalog",
    params(StockQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<StockLevel>, description = "By SKU, then location code; for callers without `locations.read`, one line per product with its totals and no location"),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json", description = "No `stock.read`, or a `location` filter without `locations.read`")))]
pub async fn list_stock(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<StockQuery>,
) -> Result<Json<Page<StockLevel>>, ApiError> {
    caller.require(Permission::StockRead)?;
    let codes = LocationCodes::for_caller(&caller);
    codes.may_filter_by(query.location.as_deref())?;
    let limit = page_size(query.limit)?;
    let after = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.rsplit_once('|')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| {
                    ApiError::BadCursor(format!("cursor {c:?} was not issued by this server"))
                })?,
        ),
    };
    let me = caller.user.username.clone();
    if !codes.shown() {
        return stock_totals(&state, &me, query.sku, after, limit).await;
    }
    let (rows, blind) = blocking(&state, move |s| {
        let rows = s.stock_levels(&StockFilter {
            sku: query.sku.as_deref(),
            location: query.location.as_deref(),
            after: after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            limit: limit + 1,
        })?;
        Ok((rows, Blind::read(s, &me)?))
    })
    .await?;
    Ok(Json(seen(page(
        rows,
        limit,
        |r| format!("{}|{}", r.sku, r.location),
        |r| (!blind.hides(&r.location)).then(|| stock_level(r)),
    ))))
}

/// A product's stock summed over its locations, for a caller who may not know which: one
/// line without a location, or none when no location holds a balance of it.
fn product_total(rows: Vec<StockRow>) -> Option<StockLevel> {
    let first = rows.first()?;
    let mut total = StockTotalRow {
        sku: first.sku.clone(),
        product_name: first.product_name.clone(),
        barcode: first.barcode.clone(),
        on_hand: 0,
        reserved: 0,
        locations: 0,
    };
    for row in &rows {
        total.on_hand += row.on_hand;
        total.reserved += row.reserved;
        total.locations += 1;
    }
    Some(stock_total(total))
}

fn stock_total(row: StockTotalRow) -> StockLevel {
    StockLevel {
        available: row.on_hand - row.reserved,
        sku: row.sku,
        product_name: row.product_name,
        barcode: row.barcode,
        location: None,
        on_hand: row.on_hand,
        reserved: row.reserved,
    }
}

/// The stock list for a caller without `locations.read`: a line per product, paged by SKU;
/// the totals leave out the locations the caller counts blind, as product totals do.
async fn stock_totals(
    state: &AppState,
    me: &str,
    sku: Option<String>,
    after: Option<(String, String)>,
    limit: usize,
) -> Result<Json<Page<StockLevel>>, ApiError> {
    let me = me.to_string();
    let (rows, blind) = blocking(state, move |s| {
        let rows = s.stock_totals(&StockFilter {
            sku: sku.as_deref(),
            location: None,
            after: after.as_ref().map(|(a, _)| (a.as_str(), "")),
            limit: limit + 1,
        })?;
        Ok((rows, Blind::read_with_stock(s, &me)?))
    })
    .await?;
    // The same cursor shape as the per-location list, so either reads the other's.
    Ok(Json(seen(page(
        rows,
        limit,
        |r| format!("{}|", r.sku),
        |r| blind.total(r).map(stock_total),
    ))))
}

/// Where a page of a list kept in document-number order ended: the last number it showed,
/// as the `cursor` it gave.
pub fn number_cursor(cursor: Option<&str>) -> Result<Option<i64>, ApiError> {
    cursor
        .map(|c| {
            c.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
                ApiError::BadCursor(format!("cursor {c:?} was not issued by this server"))
            })
        })
        .transpose()
}

/// Builds a page from `limit + 1` rows: the extra row only says that there is more.
pub fn page<R, T>(
    mut rows: Vec<R>,
    limit: usize,
    cursor_of: impl Fn(&R) -> String,
    map: impl Fn(R) -> T,
) -> Page<T> {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = if more {
        rows.last().map(&cursor_of)
    } else {
        None
    };
    Page {
        items: rows.into_iter().map(map).collect(),
        next_cursor,
    }
}
