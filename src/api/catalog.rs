use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MoneyBody;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Product {
    pub id: String,
    pub sku: String,
    pub name: String,
    pub category: String,
    /// EAN-13.
    pub barcode: Option<String>,
    pub price: MoneyBody,
    pub safety_stock: i64,
    /// Summed over all locations, less any the caller is counting blind right now.
    pub on_hand: i64,
    pub available: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProductDetail {
    pub product: Product,
    /// Stock of this product per location, by location code; for callers without
    /// `locations.read`, one line of totals without a location. Empty without `stock.read`.
    pub stock: Vec<StockLevel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Location {
    pub id: String,
    /// Label code, e.g. `A-03-02`.
    pub code: String,
    pub zone: String,
    /// bin, receiving, shipping, returns or damaged.
    pub kind: String,
}

/// A product as the catalogue feed serves it: enough for a terminal to tell a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogProduct {
    pub sku: String,
    pub name: String,
    pub category: String,
    /// EAN-13.
    pub barcode: Option<String>,
    pub active: bool,
}

/// What changed in the catalogue since a cursor: each product and location once, in its
/// latest form. Ask again from `cursor` while `more`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CatalogChanges {
    pub products: Vec<CatalogProduct>,
    /// Empty for callers who may not read locations.
    pub locations: Vec<Location>,
    pub cursor: i64,
    pub more: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockLevel {
    pub sku: String,
    pub product_name: String,
    /// The product's EAN-13, so a scanner can tell it here without another lookup.
    pub barcode: Option<String>,
    /// Location code; absent for callers without `locations.read`, whose answer holds one
    /// line per product with its totals over all locations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub on_hand: i64,
    pub reserved: i64,
    pub available: i64,
}
