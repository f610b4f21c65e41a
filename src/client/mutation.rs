//! Every change the console makes is a `Mutation`: typed, with a UUIDv7 id made where it is
//! created. The client sends the id as the `Idempotency-Key`, so a retry is applied once.
//! Panes never call HTTP themselves; this is the one path (and where an outbox will go).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::api::{
    OrderDetail, PackedItem, Parcel, PickList, PickedLot, PurchaseRequest, Receipt, RefundBody,
    ReplenishmentAlert, ReturnBody, StockMovement, Stocktake, StocktakeIn, TicketSummary,
};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    Count(CountChange),
    /// Receiving goods and moving them.
    Stock(StockChange),
    /// Deciding on replenishment alerts and purchase requests.
    Purchasing(PurchasingChange),
    /// An agent's change to a help-desk ticket.
    Desk(DeskChange),
}

/// What an agent does to a ticket (`TK-…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeskChange {
    Reply {
        ticket: String,
        body: String,
    },
    /// An internal note; the customer never sees it.
    Note {
        ticket: String,
        body: String,
    },
    /// A user name, or `None` to give the ticket back.
    Assign {
        ticket: String,
        assignee: Option<String>,
    },
    Escalate {
        ticket: String,
        reason: String,
    },
    Prioritise {
        ticket: String,
        priority: String,
    },
    Resolve {
        ticket: String,
        code: String,
        note: Option<String>,
    },
    /// A return (RMA) for `(line_no, qty)` of the ticket's order.
    AuthoriseReturn {
        ticket: String,
        lines: Vec<(i64, i64)>,
        reason: String,
    },
    /// Money back (`amount_minor`) or, when `None`, the `lines` sent again.
    AskRefund {
        ticket: String,
        amount_minor: Option<i64>,
        lines: Vec<(i64, i64)>,
        reason: String,
    },
    /// A supervisor's decision on a refund (`RF-…`) awaiting approval.
    DecideRefund {
        refund: String,
        approve: bool,
        note: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CountChange {
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
    /// A new stocktake, as a supervisor plans it.
    Plan(StocktakeIn),
    /// Approve variances (all of them when `lines` is empty), or send them to recount.
    Review {
        stocktake: String,
        lines: Vec<(String, String)>,
        approve: bool,
        /// Why an admin approves their own count, asked for only when the server says so.
        /// Defaulted so that changes kept by an older console still read.
        #[serde(default)]
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StockChange {
    /// Open a receipt for a delivery, against the purchase requests it should bring.
    OpenReceipt {
        expected: Vec<String>,
    },
    /// Units scanned into an open receipt.
    Receive {
        receipt: String,
        product: String,
        qty: i64,
        lot: Option<String>,
        expiry: Option<String>,
    },
    CloseReceipt {
        receipt: String,
    },
    /// Units of a return (`RMA-…`) scanned back in, into the returns location.
    ReceiveReturn {
        rma: String,
        product: String,
        qty: i64,
        lot: Option<String>,
    },
    /// Units from one location to another; out of receiving it is a put-away.
    Move {
        product: String,
        from: String,
        to: String,
        qty: i64,
        lot: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PurchasingChange {
    /// Turn an alert into a purchase request for `qty` (the suggestion when `None`).
    RequestFromAlert {
        alert: String,
        qty: Option<i64>,
    },
    DismissAlert {
        alert: String,
        reason: String,
    },
    /// Placed with the supplier: on order from now.
    OrderRequest {
        request: String,
    },
    CancelRequest {
        request: String,
        reason: String,
    },
}

impl Change {
    /// What a person calls this change, when it cannot be made without the server: it
    /// hands out work or numbers, decides on money or approvals, or its answer is needed
    /// to go on. `None` for the changes kept on this terminal and sent when it can.
    pub fn needs_server(&self) -> Option<&'static str> {
        match self {
            Change::Reroute { .. } => Some("Routing an order"),
            Change::ClaimPickList { .. } => Some("Taking a new pick list"),
            Change::Pack { .. } => Some("Packing (the carrier's label comes from the server)"),
            Change::Count(CountChange::Plan(_)) => Some("Planning a count"),
            Change::Count(CountChange::Review { approve: true, .. }) => Some("Approving counts"),
            Change::Count(CountChange::Review { .. }) => Some("Sending counts to recount"),
            Change::Stock(StockChange::OpenReceipt { .. }) => Some("Opening a receipt"),
            Change::Stock(StockChange::CloseReceipt { .. }) => Some("Closing a receipt"),
            Change::Purchasing(_) => Some("Purchasing"),
            Change::Desk(DeskChange::AuthoriseReturn { .. }) => Some("Authorising a return"),
            Change::Desk(DeskChange::AskRefund { .. }) => Some("Asking for a refund"),
            Change::Desk(DeskChange::DecideRefund { .. }) => Some("Deciding on a refund"),
            Change::OrderStatus { .. }
            | Change::Pick { .. }
            | Change::PickShort { .. }
            | Change::FinishPickList { .. }
            | Change::AssignTote { .. }
            | Change::Ship { .. }
            | Change::Count(_)
            | Change::Stock(_)
            | Change::Desk(_) => None,
        }
    }
}

/// What the server answered a change with.
#[derive(Debug, Clone, PartialEq)]
pub enum Applied {
    Ticket(Box<TicketSummary>),
    Return(Box<ReturnBody>),
    Refund(Box<RefundBody>),
    Order(Box<OrderDetail>),
    PickList(Box<PickList>),
    Parcel(Box<Parcel>),
    Stocktake(Box<Stocktake>),
    Receipt(Box<Receipt>),
    Movement(Box<StockMovement>),
    Alert(Box<ReplenishmentAlert>),
    PurchaseRequest(Box<PurchaseRequest>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_review_kept_before_reasons_existed_still_reads() {
        let kept = r#"{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","change":{"Count":{"Review":{"stocktake":"ST-000001","lines":[["A-01-01","TEA-1001"]],"approve":true}}}}"#;
        let m: Mutation = serde_json::from_str(kept).expect("reads");
        assert_eq!(
            m.change,
            Change::Count(CountChange::Review {
                stocktake: "ST-000001".into(),
                lines: vec![("A-01-01".into(), "TEA-1001".into())],
                approve: true,
                reason: None,
            })
        );
    }
}
