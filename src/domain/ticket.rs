//! Help-desk tickets: what kind of request, how urgent, where it is in its life, and the
//! SLA clock that says by when someone must answer and resolve it.

use jiff::{SignedDuration, Timestamp};

use super::order::OrderNumber;
use super::stock::Document;

/// What the customer wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketKind {
    Inquiry,
    Complaint,
    ReturnRequest,
}

/// Open: waiting for an agent. Waiting: an agent answered, the customer has the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketStatus {
    Open,
    Waiting,
    Resolved,
}

/// Where a ticket came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketSource {
    /// A customer's message from the storefront or the mail gateway.
    Message,
    /// Opened by an agent (a phone call, a chat).
    Agent,
    /// The carrier reported a problem with the parcel.
    CarrierException,
    /// The parcel is past its expected delivery date.
    LateDelivery,
}

/// Who wrote an entry of a ticket's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorKind {
    Customer,
    Agent,
    /// An auto-reply by an FAQ rule; the customer saw it.
    Auto,
    /// An internal note; the customer never sees it.
    Note,
    /// What the system did (escalated, reopened, assigned…); internal.
    System,
}

/// Why a ticket was closed; the KPI reports count these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolutionCode {
    Answered,
    Refunded,
    Replaced,
    Returned,
    NoFault,
    Duplicate,
    NoReply,
}

macro_rules! names {
    ($t:ident { $($v:ident = $s:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            pub fn as_str(self) -> &'static str {
                match self { $($t::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$t> {
                let s = s.trim();
                $t::ALL.iter().copied().find(|v| v.as_str().eq_ignore_ascii_case(s))
            }
            pub fn names() -> Vec<&'static str> {
                $t::ALL.iter().map(|v| v.as_str()).collect()
            }
        }
    };
}

names!(TicketKind { Inquiry = "inquiry", Complaint = "complaint", ReturnRequest = "return_request" });
names!(TicketStatus { Open = "open", Waiting = "waiting", Resolved = "resolved" });
names!(TicketSource {
    Message = "message",
    Agent = "agent",
    CarrierException = "carrier_exception",
    LateDelivery = "late_delivery",
});
names!(AuthorKind { Customer = "customer", Agent = "agent", Auto = "auto", Note = "note", System = "system" });
names!(ResolutionCode {
    Answered = "answered",
    Refunded = "refunded",
    Replaced = "replaced",
    Returned = "returned",
    NoFault = "no_fault",
    Duplicate = "duplicate",
    NoReply = "no_reply",
});

impl AuthorKind {
    /// Entries the customer sees (and that count as an answer when an agent wrote them).
    pub fn is_public(self) -> bool {
        matches!(
            self,
            AuthorKind::Customer | AuthorKind::Agent | AuthorKind::Auto
        )
    }
}

/// Words that say what a message is about, in English and Chinese (traditional and
/// simplified). A return beats a complaint: "broken, I want to send it back" is a return.
const RETURN_WORDS: &[&str] = &[
    "return",
    "send back",
    "send it back",
    "refund",
    "退貨",
    "退货",
    "退款",
    "退回",
];
const COMPLAINT_WORDS: &[&str] = &[
    "broken",
    "damaged",
    "defect",
    "wrong item",
    "missing",
    "complain",
    "terrible",
    "unacceptable",
    "壞",
    "坏",
    "破損",
    "破损",
    "投訴",
    "投诉",
    "錯誤",
    "错误",
    "少了",
];

/// The kind a customer's message most likely is, from its words.
pub fn guess_kind(text: &str) -> TicketKind {
    let lower = text.to_lowercase();
    if RETURN_WORDS.iter().any(|w| lower.contains(w)) {
        TicketKind::ReturnRequest
    } else if COMPLAINT_WORDS.iter().any(|w| lower.contains(w)) {
        TicketKind::Complaint
    } else {
        TicketKind::Inquiry
    }
}

/// The first `<PREFIX>-<digits>` in a text (case-insensitive), as its number.
fn number_after(text: &str, prefix: &str) -> Option<u64> {
    let upper = text.to_ascii_uppercase();
    let needle = format!("{prefix}-");
    let mut from = 0;
    while let Some(at) = upper[from..].find(&needle) {
        let start = from + at;
        let before_ok = upper[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        let digits: String = upper[start + needle.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if before_ok
            && !digits.is_empty()
            && digits.len() <= 12
            && let Some(n) = digits.parse().ok().filter(|n| *n > 0)
        {
            return Some(n);
        }
        from = start + needle.len();
    }
    None
}

/// An order number the customer wrote, e.g. "where is SO-000123?".
pub fn order_number_in(text: &str) -> Option<OrderNumber> {
    number_after(text, "SO").map(OrderNumber)
}

/// A ticket number in a reply's subject, e.g. "Re: [TK-000012] Broken mug".
pub fn ticket_number_in(text: &str) -> Option<i64> {
    number_after(text, Document::Ticket.prefix()).map(|n| n as i64)
}

/// How close a ticket is to breaking its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SlaState {
    Ok,
    /// Less than the warning time left.
    Near,
    Breached,
}

names!(SlaState { Ok = "ok", Near = "near", Breached = "breached" });

/// The deadlines of one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaClock {
    pub first_response_due: Timestamp,
    pub resolution_due: Timestamp,
    pub first_responded_at: Option<Timestamp>,
}

impl SlaClock {
    /// The deadline that matters now: the first answer until it is given, then resolution.
    pub fn next_due(&self) -> Timestamp {
        match self.first_responded_at {
            Some(_) => self.resolution_due,
            None => self.first_response_due.min(self.resolution_due),
        }
    }

    /// Which deadline `next_due` is, in words for the queue.
    pub fn next_due_is(&self) -> &'static str {
        if self.first_responded_at.is_none() && self.first_response_due <= self.resolution_due {
            "first response"
        } else {
            "resolution"
        }
    }

    pub fn state(&self, now: Timestamp, warn_before: SignedDuration) -> SlaState {
        let due = self.next_due();
        if now >= due {
            SlaState::Breached
        } else if due.duration_since(now) <= warn_before {
            SlaState::Near
        } else {
            SlaState::Ok
        }
    }
}

/// Whether an address someone gives is the ticket's customer's (as e-mail is compared
/// everywhere here: without regard to case or surrounding blanks).
pub fn is_customer_of(ticket_customer_email: &str, given: &str) -> bool {
    ticket_customer_email
        .trim()
        .eq_ignore_ascii_case(given.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_guessed_from_english_and_chinese_words() {
        assert_eq!(guess_kind("Where is my order?"), TicketKind::Inquiry);
        assert_eq!(guess_kind("我的訂單到哪了"), TicketKind::Inquiry);
        assert_eq!(guess_kind("The mug arrived BROKEN"), TicketKind::Complaint);
        assert_eq!(guess_kind("商品破損"), TicketKind::Complaint);
        assert_eq!(
            guess_kind("broken, I want to return it"),
            TicketKind::ReturnRequest
        );
        assert_eq!(guess_kind("我要退貨"), TicketKind::ReturnRequest);
    }

    #[test]
    fn order_and_ticket_numbers_are_found_in_text() {
        assert_eq!(
            order_number_in("where is so-000123?"),
            Some(OrderNumber(123))
        );
        assert_eq!(order_number_in("訂單SO-42到哪了"), Some(OrderNumber(42)));
        assert_eq!(order_number_in("訂單 SO-42 到哪了"), Some(OrderNumber(42)));
        assert_eq!(order_number_in("ALSO-12 is not one"), None);
        assert_eq!(order_number_in("SO- 12"), None);
        assert_eq!(ticket_number_in("Re: [TK-000012] Broken mug"), Some(12));
        assert_eq!(ticket_number_in("Re: Broken mug"), None);
    }

    #[test]
    fn the_clock_watches_first_response_then_resolution() {
        let t = |s: &str| s.parse::<Timestamp>().unwrap();
        let mut clock = SlaClock {
            first_response_due: t("2026-11-25T10:00:00Z"),
            resolution_due: t("2026-11-26T10:00:00Z"),
            first_responded_at: None,
        };
        let warn = SignedDuration::from_mins(30);
        assert_eq!(clock.state(t("2026-11-25T09:00:00Z"), warn), SlaState::Ok);
        assert_eq!(clock.state(t("2026-11-25T09:45:00Z"), warn), SlaState::Near);
        assert_eq!(
            clock.state(t("2026-11-25T10:00:00Z"), warn),
            SlaState::Breached
        );
        clock.first_responded_at = Some(t("2026-11-25T09:50:00Z"));
        assert_eq!(clock.state(t("2026-11-25T10:00:00Z"), warn), SlaState::Ok);
        assert_eq!(clock.next_due_is(), "resolution");
    }
}
