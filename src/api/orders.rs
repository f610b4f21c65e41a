use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::MoneyBody;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderSummary {
    pub id: String,
    /// Human-facing number, e.g. `SO-000123`.
    pub number: String,
    /// Sales channel, e.g. `web`, `marketplace`.
    pub channel: String,
    pub customer_name: String,
    /// One of the order statuses (`received`, `reserved`, `cs_review`, …).
    pub status: String,
    pub item_count: i64,
    pub total: MoneyBody,
    /// RFC 3339 UTC.
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub unit_price: MoneyBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Address {
    pub name: String,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub postal_code: String,
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StatusChange {
    pub at: String,
    pub from: Option<String>,
    pub to: String,
    pub actor: String,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderSummary,
    pub customer_email: String,
    pub customer_phone: Option<String>,
    pub payment_method: String,
    pub ship_to: Address,
    pub lines: Vec<OrderLine>,
    pub history: Vec<StatusChange>,
}
