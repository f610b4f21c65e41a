//! Every change the console makes is a `Mutation`: typed, with a UUIDv7 id made where it is
//! created. The client sends the id as the `Idempotency-Key`, so a retry is applied once.
//! Panes never call HTTP themselves; this is the one path (and where an outbox will go).

use uuid::Uuid;

use crate::api::{OrderDetail, PackedItem, Parcel, PickList, PickedLot, Stocktake};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Move an order along its lifecycle: approve, hold, release, cancel, …
    OrderStatus {
        order: String,
        to: String,
        reason: Option<String>,
    },
    /// Route an order again with the rules in force.
    Reroute {
        order: String,
    },
    /// The list this picker holds, or the next one (`mode`: `single` or `batch`).
    ClaimPickList {
        mode: Option<String>,
    },
    /// How many units of a pick line are in the cart now, with their lots.
    Pick {
        list: String,
        seq: i64,
        picked: i64,
        lots: Vec<PickedLot>,
    },
    /// Fewer than the line wants were there.
    PickShort {
        list: String,
        seq: i64,
        picked: i64,
        reason: String,
        lots: Vec<PickedLot>,
    },
    FinishPickList {
        list: String,
    },
    /// The order in cart slot `slot` goes into the tote with this label.
    AssignTote {
        list: String,
        slot: i64,
        tote: String,
    },
    /// A verified order into its parcel: packed, with a tracking number and label.
    Pack {
        order: String,
        package: String,
        weight_grams: u32,
        items: Vec<PackedItem>,
    },
    /// The parcel handed over to the carrier.
    Ship {
        order: String,
    },
    /// Counting stock.
    Stock(StockChange),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StockChange {
    /// Begin counting a location of a stocktake.
    StartCount { stocktake: String, location: String },
    /// A scan (`qty` more) or a typed total (`set`) of a product at the location.
    Count {
        stocktake: String,
        location: String,
        product: String,
        qty: i64,
        set: bool,
    },
    /// Done with a location; `empty` confirms nothing was there.
    CloseCount {
        stocktake: String,
        location: String,
        empty: bool,
    },
    /// Approve variances (all of them when `lines` is empty), or send them to recount.
    Review {
        stocktake: String,
        lines: Vec<(String, String)>,
        approve: bool,
    },
}

/// What the server answered a change with.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    Order(Box<OrderDetail>),
    PickList(Box<PickList>),
    Parcel(Box<Parcel>),
    Stocktake(Box<Stocktake>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mutation {
    pub id: Uuid,
    pub change: Change,
}

impl Mutation {
    pub fn new(change: Change) -> Mutation {
        Mutation {
            id: Uuid::now_v7(),
            change,
        }
    }
}
