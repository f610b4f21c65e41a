//! Orders: lifecycle states and human-facing order numbers.

use std::fmt;
use std::str::FromStr;

/// Where an order is in its life. The order-automation work adds the transition rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderStatus {
    Received,
    Reserved,
    CsReview,
    Hold,
    ReadyToPick,
    Picking,
    Packed,
    Shipped,
    Delivered,
    Cancelled,
    Returned,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown order status {0:?}; expected one of: {list}", list = OrderStatus::names().join(", "))]
pub struct UnknownStatus(pub String);

/// How the order queue is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSort {
    #[default]
    Newest,
    Oldest,
    /// Soonest ship-by first among orders still to leave; the rest after them.
    ShipBy,
    /// Largest total first.
    Total,
}

impl OrderSort {
    pub const ALL: [OrderSort; 4] = [
        OrderSort::Newest,
        OrderSort::Oldest,
        OrderSort::ShipBy,
        OrderSort::Total,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderSort::Newest => "newest",
            OrderSort::Oldest => "oldest",
            OrderSort::ShipBy => "ship_by",
            OrderSort::Total => "total",
        }
    }

    pub fn parse(s: &str) -> Option<OrderSort> {
        OrderSort::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderSort::Newest => "newest first",
            OrderSort::Oldest => "oldest first",
            OrderSort::ShipBy => "ship-by first",
            OrderSort::Total => "largest first",
        }
    }
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 11] = [
        OrderStatus::Received,
        OrderStatus::Reserved,
        OrderStatus::CsReview,
        OrderStatus::Hold,
        OrderStatus::ReadyToPick,
        OrderStatus::Picking,
        OrderStatus::Packed,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Received => "received",
            OrderStatus::Reserved => "reserved",
            OrderStatus::CsReview => "cs_review",
            OrderStatus::Hold => "hold",
            OrderStatus::ReadyToPick => "ready_to_pick",
            OrderStatus::Picking => "picking",
            OrderStatus::Packed => "packed",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
        }
    }

    /// Words for people, e.g. in the order queue.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Received => "Received",
            OrderStatus::Reserved => "Reserved",
            OrderStatus::CsReview => "CS review",
            OrderStatus::Hold => "On hold",
            OrderStatus::ReadyToPick => "Ready to pick",
            OrderStatus::Picking => "Picking",
            OrderStatus::Packed => "Packed",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Returned => "Returned",
        }
    }

    /// At most four characters, for RF terminals and narrow screens.
    pub fn short_label(self) -> &'static str {
        match self {
            OrderStatus::Received => "RECV",
            OrderStatus::Reserved => "RSVD",
            OrderStatus::CsReview => "CS",
            OrderStatus::Hold => "HOLD",
            OrderStatus::ReadyToPick => "PICK",
            OrderStatus::Picking => "PKNG",
            OrderStatus::Packed => "PACK",
            OrderStatus::Shipped => "SHIP",
            OrderStatus::Delivered => "DLVD",
            OrderStatus::Cancelled => "CANC",
            OrderStatus::Returned => "RETN",
        }
    }

    pub fn names() -> Vec<&'static str> {
        OrderStatus::ALL.iter().map(|s| s.as_str()).collect()
    }

    /// Finished orders need nobody's attention any more.
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            OrderStatus::Delivered | OrderStatus::Cancelled | OrderStatus::Returned
        )
    }

    /// Still to leave the warehouse: its ship-by time is a promise yet to keep.
    pub fn awaits_dispatch(self) -> bool {
        !self.is_closed() && self != OrderStatus::Shipped
    }

    /// Orders that hold reserved stock in the warehouse.
    pub fn holds_reservation(self) -> bool {
        matches!(
            self,
            OrderStatus::Reserved
                | OrderStatus::ReadyToPick
                | OrderStatus::Picking
                | OrderStatus::Packed
        )
    }

    /// A person must look at it: CS review or on hold.
    pub fn needs_attention(self) -> bool {
        matches!(self, OrderStatus::CsReview | OrderStatus::Hold)
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OrderStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().replace(['-', ' '], "_");
        OrderStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// The number people say on the phone: `SO-000123`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrderNumber(pub u64);

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SO-{:06}", self.0)
    }
}

impl OrderNumber {
    /// Accepts `SO-000123`, `so-123` and `123`.
    pub fn parse(s: &str) -> Option<OrderNumber> {
        let s = s.trim();
        let digits = match s.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("SO-") => &s[3..],
            _ => s,
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(OrderNumber)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_accept_human_spelling() {
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>(), Ok(s));
            assert!(s.short_label().len() <= 4);
        }
        assert_eq!("ready to pick".parse(), Ok(OrderStatus::ReadyToPick));
        assert_eq!("CS-Review".parse(), Ok(OrderStatus::CsReview));
        assert!("lost".parse::<OrderStatus>().is_err());
    }

    #[test]
    fn order_numbers() {
        assert_eq!(OrderNumber(123).to_string(), "SO-000123");
        assert_eq!(OrderNumber(1234567).to_string(), "SO-1234567");
        assert_eq!(OrderNumber::parse("so-000123"), Some(OrderNumber(123)));
        assert_eq!(OrderNumber::parse("42"), Some(OrderNumber(42)));
        assert_eq!(OrderNumber::parse("SO-"), None);
        assert_eq!(OrderNumber::parse("SO-12a"), None);
        assert_eq!(OrderNumber::parse("99999999999999999999999"), None);
    }
}
