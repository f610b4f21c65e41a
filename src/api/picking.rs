//! Pick lists on the wire.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PickList {
    pub id: String,
    /// Printed on the list's label, e.g. `PL-000042`.
    pub number: String,
    /// `single` or `batch`.
    pub mode: String,
    /// `open` (planned), `claimed` (being picked) or `done`.
    pub state: String,
    pub picker: Option<String>,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub claimed_at: Option<String>,
    pub finished_at: Option<String>,
    pub orders: Vec<PickListOrder>,
    /// In walk order.
    pub lines: Vec<PickLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickListOrder {
    pub id: String,
    pub number: String,
    /// Its place on the cart.
    pub slot: i64,
    pub status: String,
    /// The tote label the picker put it in.
    #[serde(default)]
    pub tote: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickLine {
    /// The line's place in the walk; confirmations name it.
    pub seq: i64,
    pub order: String,
    pub slot: i64,
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    /// The product's GTIN, to check scans against.
    pub barcode: Option<String>,
    /// The lot of every unit must be scanned (GS1 AI 10).
    pub lot_tracked: bool,
    pub location: String,
    pub qty: i64,
    pub picked: i64,
    pub short: i64,
    /// `open`, `picked` or `short`.
    pub state: String,
    #[serde(default)]
    pub lots: Vec<PickedLot>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickedLot {
    #[schema(max_length = 20)]
    pub lot: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", max_length = 10)]
    pub expiry: Option<String>,
    pub qty: i64,
}

/// What kind of list a picker wants when none is planned for them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickListRequest {
    /// `single` (default) or `batch`.
    #[serde(default)]
    #[schema(pattern = "^(single|batch)$", max_length = 6)]
    pub mode: Option<String>,
    /// Orders on one batch list (default 8).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 50)]
    pub max_orders: Option<u32>,
    /// Lines on one list (default 40).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 500)]
    pub max_lines: Option<u32>,
}

/// How many units of the line are in the cart now (not how many more).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickIn {
    #[schema(minimum = 0)]
    pub picked: i64,
    /// Lot-tracked products: which lots, adding up to `picked`.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub lots: Vec<PickedLot>,
}

/// Fewer than the line wants could be taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShortIn {
    /// Units taken, fewer than the line wants.
    #[schema(minimum = 0)]
    pub picked: i64,
    /// `empty`, `short` or `damaged`.
    #[schema(pattern = "^(empty|short|damaged)$", max_length = 7)]
    pub reason: String,
    #[serde(default)]
    #[schema(max_items = 100)]
    pub lots: Vec<PickedLot>,
}

/// The tote label scanned for a cart slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ToteIn {
    #[schema(pattern = "^[!-~]{1,40}$", max_length = 40)]
    pub tote: String,
}
