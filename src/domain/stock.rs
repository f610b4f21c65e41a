//! The stock ledger's vocabulary: what kind of movement changed stock, and why a person
//! adjusted it by hand.

/// Every change of stock is one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// Goods arriving from a supplier into a receiving location.
    Receipt,
    /// From a receiving location into a bin.
    PutAway,
    /// From one bin to another.
    Move,
    /// Out of a bin onto the picker's cart (to the shipping dock), or back.
    Pick,
    /// Units a picker did not find, written off at that bin.
    PickShort,
    /// Handed to the carrier.
    Ship,
    /// Customer returns arriving.
    Return,
    /// Corrected by hand, with a reason.
    Adjustment,
    /// Corrected by an approved stocktake variance.
    Count,
}

impl MovementKind {
    pub const ALL: [MovementKind; 9] = [
        MovementKind::Receipt,
        MovementKind::PutAway,
        MovementKind::Move,
        MovementKind::Pick,
        MovementKind::PickShort,
        MovementKind::Ship,
        MovementKind::Return,
        MovementKind::Adjustment,
        MovementKind::Count,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::PutAway => "put_away",
            MovementKind::Move => "move",
            MovementKind::Pick => "pick",
            MovementKind::PickShort => "pick_short",
            MovementKind::Ship => "ship",
            MovementKind::Return => "return",
            MovementKind::Adjustment => "adjustment",
            MovementKind::Count => "count",
        }
    }

    pub fn parse(s: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn names() -> Vec<&'static str> {
        MovementKind::ALL.iter().map(|k| k.as_str()).collect()
    }
}

/// Why stock was adjusted by hand. Stocktake differences are not adjusted by hand: they go
/// through a count and its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AdjustmentReason {
    Damaged,
    Expired,
    Lost,
    Found,
    /// Samples, photos for the shop, marketing.
    Sample,
    /// A booking mistake put right.
    Correction,
}

impl AdjustmentReason {
    pub const ALL: [AdjustmentReason; 6] = [
        AdjustmentReason::Damaged,
        AdjustmentReason::Expired,
        AdjustmentReason::Lost,
        AdjustmentReason::Found,
        AdjustmentReason::Sample,
        AdjustmentReason::Correction,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AdjustmentReason::Damaged => "damaged",
            AdjustmentReason::Expired => "expired",
            AdjustmentReason::Lost => "lost",
            AdjustmentReason::Found => "found",
            AdjustmentReason::Sample => "sample",
            AdjustmentReason::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Option<AdjustmentReason> {
        AdjustmentReason::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
    }

    pub fn names() -> Vec<&'static str> {
        AdjustmentReason::ALL.iter().map(|r| r.as_str()).collect()
    }

    /// Whether the reason can only take units away (damaged, lost …) or only add them
    /// (found). A correction goes either way.
    pub fn allows(self, delta: i64) -> bool {
        match self {
            AdjustmentReason::Found => delta > 0,
            AdjustmentReason::Correction => delta != 0,
            _ => delta < 0,
        }
    }
}

/// The numbered papers of the stock side, printed and scanned as `ST-000012`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    Alert,
    PurchaseRequest,
    Receipt,
    Stocktake,
    Ticket,
    /// A return merchandise authorisation: what the customer may send back.
    Return,
    /// A refund or replacement decided on a ticket.
    Refund,
}

impl Document {
    pub fn prefix(self) -> &'static str {
        match self {
            Document::Alert => "RA",
            Document::PurchaseRequest => "PR",
            Document::Receipt => "RC",
            Document::Stocktake => "ST",
            Document::Ticket => "TK",
            Document::Return => "RMA",
            Document::Refund => "RF",
        }
    }

    pub fn number(self, n: i64) -> String {
        format!("{}-{n:06}", self.prefix())
    }

    /// The number in `ST-000012`, `st-12` or a bare `12`.
    pub fn parse(self, s: &str) -> Option<i64> {
        let s = s.trim();
        let digits = match s.split_once('-') {
            Some((prefix, digits)) if prefix.eq_ignore_ascii_case(self.prefix()) => digits,
            Some(_) => return None,
            None => s,
        };
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().filter(|n| *n > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_numbers_print_and_parse() {
        assert_eq!(Document::Stocktake.number(12), "ST-000012");
        assert_eq!(Document::Stocktake.parse("ST-000012"), Some(12));
        assert_eq!(Document::Stocktake.parse("st-12"), Some(12));
        assert_eq!(Document::Receipt.parse("7"), Some(7));
        assert_eq!(Document::Receipt.parse("ST-000012"), None);
        assert_eq!(Document::Alert.parse("RA-"), None);
        assert_eq!(Document::Alert.parse("RA-0"), None);
        assert_eq!(Document::PurchaseRequest.parse("PR-12a"), None);
    }

    #[test]
    fn names_round_trip() {
        for k in MovementKind::ALL {
            assert_eq!(MovementKind::parse(k.as_str()), Some(k));
        }
        for r in AdjustmentReason::ALL {
            assert_eq!(AdjustmentReason::parse(r.as_str()), Some(r));
        }
        assert_eq!(
            AdjustmentReason::parse(" Lost "),
            Some(AdjustmentReason::Lost)
        );
        assert_eq!(AdjustmentReason::parse("stolen"), None);
    }

    #[test]
    fn a_reason_says_which_way_stock_may_go() {
        assert!(AdjustmentReason::Damaged.allows(-2));
        assert!(!AdjustmentReason::Damaged.allows(2));
        assert!(AdjustmentReason::Found.allows(1));
        assert!(!AdjustmentReason::Found.allows(-1));
        assert!(AdjustmentReason::Correction.allows(-1) && AdjustmentReason::Correction.allows(1));
        assert!(!AdjustmentReason::Correction.allows(0));
    }
}
