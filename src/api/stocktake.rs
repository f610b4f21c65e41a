//! Stocktakes: planned by a supervisor, counted location by location, reviewed.
//!
//! A blind count's expected quantities never reach its counters: `expected`, `variance`,
//! `value` and `ledger` are absent for them, whatever the screen shows.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Plan a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StocktakeIn {
    /// zone, locations, products or cycle.
    #[schema(pattern = "^(zone|locations|products|cycle)$", max_length = 9)]
    pub scope: String,
    /// For scope zone.
    #[serde(default)]
    #[schema(max_length = 10)]
    pub zone: Option<String>,
    /// For scope locations: location codes.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub locations: Vec<String>,
    /// For scope products: SKUs or barcodes.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub products: Vec<String>,
    /// For scope cycle: at most this many products, the most overdue first (default 20).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Hide expected quantities from counters; true when absent.
    #[serde(default)]
    pub blind: Option<bool>,
    /// User names who may count; anyone with the permission when empty.
    #[serde(default)]
    #[schema(max_length = 64)]
    pub counters: Vec<String>,
    /// Units either way before a recount (default 1).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub tolerance_qty: Option<i64>,
    /// Value in minor units either way before a recount (default 2000).
    #[serde(default)]
    #[schema(minimum = 0)]
    pub tolerance_value: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stocktake {
    pub id: String,
    /// `ST-000001`.
    pub number: String,
    /// zone, locations, products, cycle or recount.
    pub scope: String,
    pub scope_detail: Vec<String>,
    pub blind: bool,
    /// counting, review, done or cancelled.
    pub state: String,
    pub tolerance_qty: i64,
    pub tolerance_value: i64,
    /// For a recount: the stocktake whose lines it counts again.
    pub recount_of: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    pub counters: Vec<String>,
    pub locations: Vec<CountLocation>,
    pub lines: Vec<CountLine>,
    /// What the ledger holds at these locations now; absent for blind counters, and
    /// without the locations the caller is counting blind now (in any stocktake), whatever
    /// their role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger: Option<Vec<LedgerLine>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountLocation {
    pub code: String,
    pub seq: i64,
    /// pending, counting or closed.
    pub state: String,
    pub counter: Option<String>,
    /// Who may not count it: the first counter of a recounted line.
    pub not_counter: Option<String>,
    pub started_at: Option<String>,
    pub closed_at: Option<String>,
    /// Closed as confirmed empty.
    pub empty: bool,
    /// SKUs the count is limited to here; everything found when empty.
    pub products: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CountLine {
    pub location: String,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub counted: i64,
    /// counting, matched, variance, outdated, recount, approved, or recounted (a recount's
    /// line, judged in the stocktake it counts again).
    pub state: String,
    pub counted_by: Option<String>,
    pub reviewed_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<i64>,
    /// Counted minus expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variance: Option<i64>,
    /// The variance's value in minor units (at cost, or price when no cost is kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
}

impl CountLine {
    /// A line being counted: nobody has counted it as theirs or judged it yet.
    pub fn counting(
        location: String,
        sku: String,
        name: String,
        barcode: Option<String>,
        counted: i64,
    ) -> CountLine {
        CountLine {
            location,
            sku,
            name,
            barcode,
            counted,
            state: "counting".into(),
            counted_by: None,
            reviewed_by: None,
            expected: None,
            variance: None,
            value: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LedgerLine {
    pub location: String,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    pub on_hand: i64,
}

/// A scan or a typed quantity at the location being counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountIn {
    /// SKU or barcode.
    #[schema(max_length = 200)]
    pub product: String,
    /// Units scanned (added), or the counted total when `set`.
    pub qty: i64,
    #[serde(default)]
    pub set: bool,
}

/// Close a location.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIn {
    /// Nothing was there: required when nothing was counted.
    #[serde(default)]
    pub empty: bool,
}

/// Lines a review decision is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewIn {
    /// Every line in question when absent.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub lines: Option<Vec<LineKey>>,
    /// Approving only: why an admin approves a line they counted themselves, allowed only
    /// while no other active user may approve counts. Audited as `stocktake.self_approved`.
    /// Plain text: control and bidi characters are refused.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineKey {
    #[schema(max_length = 40)]
    pub location: String,
    #[schema(max_length = 64)]
    pub sku: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct StocktakeReport {
    pub stocktake: Stocktake,
    pub locations_total: usize,
    pub locations_counted: usize,
    pub lines_counted: usize,
    pub lines_without_variance: usize,
    pub variance_units: i64,
    pub variance_units_abs: i64,
    pub variance_value: i64,
    pub variance_value_abs: i64,
    pub expected_value: i64,
    /// Share of lines with no variance, 0–1.
    pub line_accuracy: f64,
    /// 1 − absolute variance value / expected value, 0–1.
    pub value_accuracy: f64,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub minutes_taken: Option<i64>,
    pub counters: Vec<CounterFigures>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CounterFigures {
    pub counter: String,
    pub locations: usize,
    pub lines: usize,
}
