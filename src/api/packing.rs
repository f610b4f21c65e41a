//! Packing on the wire: what to verify for a pick list, tote or order, and the parcel made.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::OrderDetail;

/// The orders a scanned label stands for, with what goes in each parcel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackTask {
    /// The pick list scanned, if it was one.
    pub list: Option<String>,
    /// In slot order for a list; orders not waiting for packing are left out of a list.
    pub orders: Vec<PackOrder>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackOrder {
    pub id: String,
    pub number: String,
    /// Its slot on the pick list's cart.
    pub slot: Option<i64>,
    pub status: String,
    pub carrier: Option<String>,
    pub ship_to_name: String,
    pub items: Vec<PackItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackItem {
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackIn {
    /// Package type, e.g. `box-m`.
    #[schema(min_length = 1, max_length = 40, pattern = "\\S")]
    pub package: String,
    #[schema(minimum = 1, maximum = 70_000)]
    pub weight_grams: u32,
    /// What the packer verified by scanning; must be exactly what the order holds.
    #[schema(max_items = 200)]
    pub items: Vec<PackedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PackedItem {
    #[schema(max_length = 200)]
    pub sku: String,
    #[schema(minimum = 1)]
    pub qty: i64,
}

/// A packed order's parcel and its shipping label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Parcel {
    pub order: OrderDetail,
    pub carrier: String,
    pub tracking_no: String,
    pub package: String,
    pub weight_grams: u32,
    /// The label for thermal printers (ZPL II, 4×6 in at 203 dpi).
    pub label_zpl: String,
    /// The same label as plain text, for screens and printers without ZPL.
    pub label_text: String,
}
