//! Stock ledger, moves, adjustments, receipts, replenishment alerts and purchase requests.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One line of the stock ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StockMovement {
    /// Ledger position: larger is later.
    pub id: i64,
    pub at: String,
    pub sku: String,
    pub product_name: String,
    /// Location code the units left; absent when they came from outside (a receipt), and
    /// for callers without `locations.read`.
    pub from: Option<String>,
    /// Location code they went to; absent when they left the warehouse (shipped), and for
    /// callers without `locations.read`.
    pub to: Option<String>,
    pub qty: i64,
    /// receipt, put_away, move, pick, pick_short, ship, return, adjustment, count.
    pub kind: String,
    pub reference: Option<String>,
    pub lot: Option<String>,
    pub expiry: Option<String>,
    pub actor: String,
}

/// Move units between locations; from receiving into a bin it is a put-away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveIn {
    /// SKU or barcode.
    #[schema(max_length = 200)]
    pub product: String,
    #[schema(max_length = 40)]
    pub from: String,
    #[schema(max_length = 40)]
    pub to: String,
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub qty: i64,
    #[serde(default)]
    #[schema(
        pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]([^\\u0000-\\u001f\\u007f-\\u009f]{0,18}[^\\s\\u0000-\\u001f\\u007f-\\u009f])?$"
    )]
    #[schema(max_length = 20)]
    pub lot: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(format = Date, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", max_length = 10)]
    pub expiry: Option<String>,
}

/// Correct stock by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentIn {
    #[schema(max_length = 200)]
    pub product: String,
    #[schema(max_length = 40)]
    pub location: String,
    /// Units added (positive) or taken away (negative).
    #[schema(minimum = -1_000_000, maximum = 1_000_000)]
    pub delta: i64,
    /// damaged, expired, lost, found, sample or correction.
    #[schema(
        pattern = "^(damaged|expired|lost|found|sample|correction)$",
        max_length = 10
    )]
    pub reason: String,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub note: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]([^\\u0000-\\u001f\\u007f-\\u009f]{0,18}[^\\s\\u0000-\\u001f\\u007f-\\u009f])?$"
    )]
    #[schema(max_length = 20)]
    pub lot: Option<String>,
}

/// Open a receipt for a delivery.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptIn {
    /// A receiving location; the first one when absent.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub location: Option<String>,
    /// Purchase requests (`PR-000012`) the delivery is expected to bring.
    #[serde(default)]
    #[schema(max_length = 200, max_items = 500)]
    pub expected: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub supplier: Option<String>,
}

/// Units scanned in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveIn {
    #[schema(max_length = 200)]
    pub product: String,
    #[schema(minimum = 1, maximum = 1_000_000)]
    pub qty: i64,
    #[serde(default)]
    #[schema(
        pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]([^\\u0000-\\u001f\\u007f-\\u009f]{0,18}[^\\s\\u0000-\\u001f\\u007f-\\u009f])?$"
    )]
    #[schema(max_length = 20)]
    pub lot: Option<String>,
    #[serde(default)]
    #[schema(format = Date, pattern = "^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$", max_length = 10)]
    pub expiry: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Receipt {
    pub id: String,
    /// `RC-000001`.
    pub number: String,
    /// The receiving location; absent for callers without `locations.read`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// open or closed.
    pub state: String,
    pub supplier: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub closed_at: Option<String>,
    pub expected: Vec<PurchaseRequest>,
    pub lines: Vec<ReceiptLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReceiptLine {
    pub sku: String,
    pub name: String,
    pub received: i64,
    /// Still outstanding on the expected purchase requests.
    pub expected: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplenishmentAlert {
    pub id: String,
    /// `RA-000001`.
    pub number: String,
    pub sku: String,
    pub name: String,
    /// open, requested or dismissed.
    pub state: String,
    pub raised_at: String,
    /// Absent for a user counting a location blind: it was fixed with that location in.
    #[serde(default)]
    pub available_when_raised: Option<i64>,
    /// Free units in bins now; for a user counting a bin blind, without that bin.
    pub available: i64,
    pub on_order: i64,
    pub safety_stock: i64,
    /// Absent for a user counting a location blind, like `available_when_raised`.
    #[serde(default)]
    pub suggested_qty: Option<i64>,
    pub decided_by: Option<String>,
    pub reason: Option<String>,
    /// When stock recovered; absent while it is still below safety stock.
    pub cleared_at: Option<String>,
    /// The purchase request made from it (`PR-…`).
    pub purchase_request: Option<String>,
}

/// Turn an alert into a purchase request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRequestIn {
    /// The suggested quantity when absent.
    #[serde(default)]
    pub qty: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub supplier: Option<String>,
}

/// Why an alert or a request is set aside.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonIn {
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PurchaseRequest {
    pub id: String,
    /// `PR-000001`.
    pub number: String,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub received_qty: i64,
    /// suggested, ordered, received or cancelled.
    pub state: String,
    pub supplier: Option<String>,
    /// The alert it came from (`RA-…`).
    pub alert: Option<String>,
    pub created_by: String,
    pub created_at: String,
    pub ordered_at: Option<String>,
    pub received_at: Option<String>,
    pub reason: Option<String>,
}

/// A purchase request made by hand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseRequestIn {
    #[schema(max_length = 200)]
    pub product: String,
    #[schema(minimum = 1)]
    pub qty: i64,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub supplier: Option<String>,
}

/// Place a purchase request with the supplier.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderIn {
    #[serde(default)]
    #[schema(max_length = 100)]
    pub supplier: Option<String>,
}
