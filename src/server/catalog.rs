//! Products, locations and stock levels.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Caller;
use super::error::ApiError;
use super::extract::{PathParams, QueryParams, page_size};
use super::{AppState, blocking};
use crate::api::{
    CatalogChanges, CatalogProduct, Location, MoneyBody, Page, Problem, Product, ProductDetail,
    StockLevel,
};
use crate::domain::location::LocationKind;
use crate::domain::role::Permission;
use crate::store::{LocationRow, ProductRow, ProductSearch, StockFilter, StockRow};

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
        location: row.location,
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
    let rows = blocking(&state, move |s| {
        s.search_products(&ProductSearch {
            text: query.q.as_deref(),
            category: query.category.as_deref(),
            after_sku: query.cursor.as_deref(),
            limit: limit + 1,
        })
    })
    .await?;
    Ok(Json(page(rows, limit, |r| r.sku.clone(), product)))
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
    let (row, stock) = blocking(&state, move |s| s.product_with_stock(&wanted))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("product {key:?}")))?;
    let stock = if shows_stock {
        stock.into_iter().map(stock_level).collect()
    } else {
        Vec::new()
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
    let shows_locations = caller.require(Permission::LocationsRead).is_ok();
    let rows = blocking(&state, move |s| s.catalog_changes(after, limit as usize)).await?;
    Ok(Json(CatalogChanges {
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
        locations: if shows_locations {
            rows.locations.into_iter().map(location).collect()
        } else {
            Vec::new()
        },
        cursor: rows.cursor,
        more: rows.more,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StockQuery {
    sku: Option<String>,
    /// Location code, e.g. `A-03-02`.
    location: Option<String>,
    cursor: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295_u32)]
    limit: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/stock", tag = "catalog",
    params(StockQuery), security(("bearer" = [])),
    responses((status = 200, body = Page<StockLevel>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_stock(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<StockQuery>,
) -> Result<Json<Page<StockLevel>>, ApiError> {
    caller.require(Permission::StockRead)?;
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
    let rows = blocking(&state, move |s| {
        s.stock_levels(&StockFilter {
            sku: query.sku.as_deref(),
            location: query.location.as_deref(),
            after: after.as_ref().map(|(a, b)| (a.as_str(), b.as_str())),
            limit: limit + 1,
        })
    })
    .await?;
    Ok(Json(page(
        rows,
        limit,
        |r| format!("{}|{}", r.sku, r.location),
        stock_level,
    )))
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
