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
    /// warehouse, cs_review or hold.
    pub queue: Option<String>,
    /// low, normal, high or urgent.
    pub priority: String,
    /// When it must leave the warehouse; RFC 3339 UTC.
    pub ship_by: Option<String>,
    /// Set by routing, e.g. `vip`.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The carrier's last word on the parcel once shipped: `in_transit`, `exception`, …
    #[serde(default)]
    pub shipment_state: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct OrderLine {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub unit_price: MoneyBody,
    /// The catalogue price when the order came in.
    pub catalogue_price: Option<MoneyBody>,
    /// Units that could not be reserved.
    pub backordered: i64,
    /// Where the reserved units are; absent for callers without `locations.read`, who
    /// see the units reserved or back-ordered but not the bins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pick_from: Option<Vec<PickLocation>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PickLocation {
    pub location: String,
    pub qty: i64,
}

/// Which routing rule decided where the order went, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Routing {
    pub rule: String,
    pub why: String,
    pub carrier: Option<String>,
    pub tags: Vec<String>,
    /// What validation noticed: price_mismatch, address_incomplete, customer_blocked, stock_short.
    pub flags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    #[schema(max_length = 200)]
    pub name: String,
    #[schema(max_length = 200)]
    pub line1: String,
    #[schema(max_length = 200)]
    pub line2: Option<String>,
    #[schema(max_length = 100)]
    pub city: String,
    #[schema(max_length = 20)]
    pub postal_code: String,
    #[schema(max_length = 100)]
    pub region: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(max_length = 8)]
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
    pub routing: Option<Routing>,
    /// Created when the order ships.
    pub shipment: Option<Shipment>,
    /// Always false here: a repeated delivery is answered with [`OrderExists`].
    #[serde(default)]
    pub duplicate: bool,
}

/// The answer to an order whose channel order number was delivered before: that it exists,
/// and nothing about its customer or contents, which the sender may not be allowed to read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderExists {
    /// Always true.
    pub duplicate: bool,
    pub order: ExistingOrder,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExistingOrder {
    /// `SO-000123`.
    pub number: String,
    pub status: String,
}

/// What placing an order answers a caller that may not read orders (a storefront): the
/// order's number and status and what could be reserved of each line. Nothing of what the
/// shop knows of the customer (their stored name and phone, tags, a block) comes back:
/// whoever holds the key could learn it of anyone by sending their e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderAccepted {
    /// Always false.
    pub duplicate: bool,
    pub order: AcceptedOrder,
    pub lines: Vec<AcceptedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AcceptedOrder {
    pub id: String,
    /// `SO-000123`.
    pub number: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AcceptedLine {
    pub line_no: i64,
    pub sku: String,
    pub qty: i64,
    /// Units that could not be reserved.
    pub backordered: i64,
}

/// A new order as its caller may see it: in full with `orders.read`, else as accepted.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum OrderCreated {
    Detail(Box<OrderDetail>),
    Accepted(OrderAccepted),
}

/// What placing an order answers: the new order (in full, or as accepted for a caller that
/// may not read orders), or that it was placed before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OrderPlaced {
    Created(Box<OrderDetail>),
    Accepted(OrderAccepted),
    Existing(OrderExists),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerIn {
    #[schema(max_length = 200)]
    pub name: String,
    #[schema(max_length = 254)]
    pub email: String,
    #[schema(max_length = 40)]
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLineIn {
    #[schema(max_length = 64)]
    pub sku: String,
    pub qty: i64,
    /// The price the customer was charged per unit, in minor units.
    pub unit_price_minor: i64,
}

/// An order from a storefront or marketplace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderIn {
    /// e.g. `web`, `marketplace`, `phone`.
    #[schema(max_length = 40)]
    pub channel: String,
    /// The channel's own order number; a repeat delivery is recognised as a duplicate.
    #[schema(max_length = 100)]
    pub channel_order_no: Option<String>,
    pub customer: CustomerIn,
    pub ship_to: Address,
    /// e.g. `card`, `paypal`, `cod`, `bank_transfer`.
    #[schema(max_length = 40)]
    pub payment_method: String,
    /// ISO 4217, e.g. `EUR`.
    #[schema(pattern = "^\\s*[A-Z]{3}\\s*$", max_length = 8)]
    pub currency: String,
    #[schema(max_items = 200)]
    pub lines: Vec<OrderLineIn>,
}

/// Move an order to another status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeIn {
    #[schema(max_length = 32)]
    pub status: String,
    /// Required for hold, cancelled, returned and cs_review.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

/// One event of `GET /api/v1/events`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FeedEvent {
    /// Resume after this id with `Last-Event-ID`.
    pub id: i64,
    pub at: String,
    /// `order.created`, `order.status`, …
    pub kind: String,
    pub entity_id: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Shipment {
    pub id: String,
    pub carrier: String,
    pub tracking_no: String,
    /// The last thing the carrier reported (`created` before that).
    pub state: String,
    pub events: Vec<TrackingEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrackingEvent {
    pub at: String,
    /// picked_up, in_transit, out_for_delivery, delivered or exception.
    pub kind: String,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// What a carrier's webhook posts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackingEventIn {
    /// The carrier's id for this event; a repeat delivery is stored once.
    #[schema(max_length = 200)]
    pub event_id: Option<String>,
    /// picked_up, in_transit, out_for_delivery, delivered or exception.
    #[schema(
        pattern = "^(picked_up|in_transit|out_for_delivery|delivered|exception)$",
        max_length = 32
    )]
    pub kind: String,
    /// When it happened, RFC 3339.
    #[schema(format = DateTime, max_length = 64)]
    pub at: String,
    #[schema(max_length = 200)]
    pub location: Option<String>,
    #[schema(max_length = 500)]
    pub description: Option<String>,
}
