//! Customer service on the wire: messages in, tickets, their conversation and the
//! customer's story, agents' changes, returns, refunds, satisfaction and the reply book.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{MoneyBody, OrderDetail, OrderSummary};

/// A customer's message from the storefront or the mail gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageIn {
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^.\\s]\\S*\\.\\S*$")]
    pub customer_email: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub customer_name: Option<String>,
    /// `SO-000123`; otherwise an order number in the text, or the customer's latest order.
    #[serde(default)]
    #[schema(pattern = "^(([Ss][Oo]-)?[0-9]{1,19})?$", max_length = 24)]
    pub order_number: Option<String>,
    /// The ticket this answers (`TK-000012`); a `[TK-…]` in the subject works too.
    #[serde(default)]
    #[schema(
        pattern = "^([Tt][Kk]-)?(?=[0-9]{1,12}$)0*[1-9][0-9]*$",
        max_length = 16
    )]
    pub ticket_number: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub subject: String,
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = "\\S",
        format = "multi-line"
    )]
    pub body: String,
    /// inquiry, complaint or return_request; guessed from the words when absent.
    #[serde(default)]
    #[schema(pattern = "^(inquiry|complaint|return_request)$", max_length = 20)]
    pub kind: Option<String>,
    /// low, normal, high or urgent; complaints default to high.
    #[serde(default)]
    #[schema(pattern = "^(low|normal|high|urgent)$", max_length = 10)]
    pub priority: Option<String>,
}

/// What became of a message. It says nothing about orders or the customer: whoever holds
/// the gateway's key could otherwise learn any customer's orders by their e-mail address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MessageReceipt {
    /// opened, appended, reopened or follow_up.
    pub outcome: String,
    /// `TK-000012`: the ticket the message opened or joined.
    pub ticket_number: String,
    /// Whether an FAQ rule answered it; the answer is on the ticket.
    pub auto_answered: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutoReplyBody {
    pub rule: String,
    pub body: String,
    /// The ticket stays open for an agent.
    pub keep_open: bool,
}

/// Try the FAQ rules against a message without sending anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyTestIn {
    /// Whose order data fills the reply; without it, only replies that need no order fit.
    #[serde(default)]
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^.\\s]\\S*\\.\\S*$")]
    pub customer_email: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^(([Ss][Oo]-)?[0-9]{1,19})?$", max_length = 24)]
    pub order_number: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub subject: String,
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = "\\S",
        format = "multi-line"
    )]
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AutoReplyTest {
    /// The rules whose keywords or patterns match, in the order they are tried.
    pub matched: Vec<String>,
    /// What would be sent: the first matching rule whose variables are all known.
    pub reply: Option<AutoReplyBody>,
}

/// A ticket in a queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketSummary {
    pub id: String,
    /// `TK-000012`.
    pub number: String,
    /// inquiry, complaint or return_request.
    pub kind: String,
    /// open (an agent's turn), waiting (the customer's turn) or resolved.
    pub status: String,
    pub priority: String,
    /// message, agent, carrier_exception or late_delivery.
    pub source: String,
    pub subject: String,
    pub customer_email: String,
    pub customer_name: String,
    pub order_number: Option<String>,
    /// User name.
    pub assignee: Option<String>,
    pub first_response_due: String,
    pub resolution_due: String,
    pub first_responded_at: Option<String>,
    /// The deadline that matters now (RFC 3339) and which one it is.
    pub due_at: String,
    /// first response or resolution.
    pub due_is: String,
    /// ok, near or breached, as of the server's clock.
    pub sla: String,
    pub escalated_at: Option<String>,
    pub escalation_reason: Option<String>,
    pub resolved_at: Option<String>,
    pub resolution_code: Option<String>,
    pub reopened: i64,
    pub follow_up_of: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketMessage {
    pub at: String,
    /// customer, agent, auto (an FAQ answer), note (internal) or system (internal).
    pub author_kind: String,
    pub author: String,
    pub body: String,
}

/// A ticket with the customer's whole story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TicketDetailBody {
    pub ticket: TicketSummary,
    pub messages: Vec<TicketMessage>,
    /// The order the ticket is about, with its shipment and tracking.
    pub order: Option<OrderDetail>,
    /// The customer's latest orders.
    pub customer_orders: Vec<OrderSummary>,
    /// The customer's other tickets.
    pub past_tickets: Vec<TicketSummary>,
    /// Values for canned-reply variables (`order.number`, `tracking.url`, …); absent ones
    /// are unknown for this ticket.
    pub values: BTreeMap<String, String>,
    pub returns: Vec<ReturnBody>,
    pub refunds: Vec<RefundBody>,
    pub csat: Option<CsatBody>,
    /// When the server composed this view (its clock), for "time left".
    pub now: String,
}

/// Text of an answer or internal note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketTextIn {
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = "\\S",
        format = "multi-line"
    )]
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// A user name; null leaves the ticket unassigned.
    #[schema(max_length = 64)]
    pub assignee: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriorityIn {
    #[schema(pattern = "^(low|normal|high|urgent)$", max_length = 10)]
    pub priority: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveIn {
    /// answered, refunded, replaced, returned, no_fault, duplicate or no_reply.
    #[schema(
        pattern = "^(answered|refunded|replaced|returned|no_fault|duplicate|no_reply)$",
        max_length = 20
    )]
    pub code: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub note: Option<String>,
}

/// A ticket opened by an agent for a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^.\\s]\\S*\\.\\S*$")]
    pub customer_email: String,
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub customer_name: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^(([Ss][Oo]-)?[0-9]{1,19})?$", max_length = 24)]
    pub order_number: Option<String>,
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    pub subject: String,
    /// What the customer said.
    #[schema(
        min_length = 1,
        max_length = 10000,
        pattern = "\\S",
        format = "multi-line"
    )]
    pub body: String,
    #[serde(default)]
    #[schema(pattern = "^(inquiry|complaint|return_request)$", max_length = 20)]
    pub kind: Option<String>,
    #[serde(default)]
    #[schema(pattern = "^(low|normal|high|urgent)$", max_length = 10)]
    pub priority: Option<String>,
}

/// Units of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineQty {
    pub line_no: i64,
    pub qty: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnIn {
    #[schema(min_items = 1, max_items = 200)]
    pub lines: Vec<LineQty>,
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnLine {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub received: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReturnBody {
    pub id: String,
    /// `RMA-000001`.
    pub number: String,
    pub ticket: String,
    pub order_number: String,
    /// authorised or received.
    pub status: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: String,
    pub lines: Vec<ReturnLine>,
    /// Where its latest received units were booked, to be put away from; absent before
    /// any is received, and for callers without `locations.read`.
    pub received_into: Option<String>,
}

/// A scanned item of a return.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnReceiveIn {
    /// SKU, barcode or GS1 label's GTIN.
    #[schema(max_length = 200)]
    pub product: String,
    #[serde(default = "one")]
    #[schema(minimum = 1, maximum = 100_000)]
    pub qty: i64,
    /// A returns location code; the first returns location when absent.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub location: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = "^[^\\s\\u0000-\\u001f\\u007f-\\u009f]([^\\u0000-\\u001f\\u007f-\\u009f]{0,18}[^\\s\\u0000-\\u001f\\u007f-\\u009f])?$"
    )]
    #[schema(max_length = 20)]
    pub lot: Option<String>,
}

fn one() -> i64 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundIn {
    /// refund or replacement.
    #[schema(pattern = "^(refund|replacement)$", max_length = 20)]
    pub kind: String,
    /// For a refund: minor units in the order's currency.
    #[serde(default)]
    pub amount_minor: Option<i64>,
    /// For a replacement: the lines and units to send again.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub lines: Vec<LineQty>,
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionIn {
    #[schema(min_length = 1, max_length = 500, pattern = "\\S")]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RefundBody {
    pub id: String,
    /// `RF-000001`.
    pub number: String,
    pub ticket: String,
    pub order_number: String,
    /// refund or replacement.
    pub kind: String,
    pub amount: MoneyBody,
    pub lines: Vec<LineQty>,
    pub reason: String,
    /// awaiting_approval, approved or rejected.
    pub status: String,
    pub requested_by: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    pub created_at: String,
    /// The order that sends an approved replacement.
    pub replacement_order: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CsatIn {
    /// The address the survey went to: the ticket's customer's. Any other is answered as
    /// for a ticket that does not exist, so a key cannot rate, or learn of, others' tickets.
    #[schema(max_length = 254, pattern = "^[^@\\s]+@[^.\\s]\\S*\\.\\S*$")]
    pub customer_email: String,
    /// 1 (very unhappy) to 5 (very happy).
    #[schema(minimum = 1, maximum = 5)]
    pub score: i64,
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = "\\S",
        format = "multi-line"
    )]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CsatBody {
    pub agent: String,
    pub requested_at: String,
    pub score: Option<i64>,
    pub comment: Option<String>,
    pub answered_at: Option<String>,
}

/// A customer's score, as taken: which ticket and what score, not who answered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CsatReceipt {
    /// `TK-000012`.
    pub ticket_number: String,
    pub score: i64,
}

/// Satisfaction of one agent, or of the whole team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CsatFigure {
    /// User name; `team` for everyone.
    pub agent: String,
    pub surveys: i64,
    pub answers: i64,
    /// Mean score of the answers, 1–5; absent without answers.
    pub average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CsatReport {
    pub from: String,
    pub to: String,
    pub agents: Vec<CsatFigure>,
    pub team: CsatFigure,
}

/// An FAQ rule of the reply book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqRuleBody {
    #[schema(min_length = 1, pattern = "\\S", max_length = 100)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 100, max_items = 50)]
    pub keywords: Vec<String>,
    /// Regular expressions.
    #[serde(default)]
    #[schema(max_length = 500, max_items = 50)]
    pub patterns: Vec<String>,
    /// Template; see `GET /api/v1/canned-replies` for the variables.
    #[schema(min_length = 1, max_length = 4000, format = "multi-line")]
    pub reply: String,
    #[serde(default)]
    pub keep_open: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedReplyBody {
    /// Short key agents type, e.g. `track`.
    #[schema(pattern = "^[a-z0-9-]{1,12}$", max_length = 12)]
    pub key: String,
    #[schema(min_length = 1, max_length = 80, pattern = "\\S")]
    pub title: String,
    #[schema(min_length = 1, max_length = 4000, format = "multi-line")]
    pub body: String,
}

/// The FAQ rules as `GET` answers them, and as `PUT` takes them back: `version` is the one
/// read, so an edit made meanwhile by someone else is not overwritten unseen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FaqRules {
    /// 0 while the built-in book is in force.
    pub version: i64,
    #[schema(min_items = 1, max_items = 500)]
    pub rules: Vec<FaqRuleBody>,
}

/// The canned replies as `GET` answers them, and as `PUT` takes them back (see [`FaqRules`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedReplies {
    pub version: i64,
    #[schema(min_items = 1, max_items = 500)]
    pub replies: Vec<CannedReplyBody>,
    /// Variables templates may use, with what they say. The server's own: what a `PUT`
    /// sends here is not read.
    #[serde(default)]
    #[schema(read_only)]
    pub variables: BTreeMap<String, String>,
}
