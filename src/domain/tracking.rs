//! What carriers report about a parcel, and what it means for the order.

use super::order::OrderStatus;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingKind {
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    /// Damaged, lost, address problem, refused…: someone must act.
    Exception,
}

impl TrackingKind {
    pub const ALL: [TrackingKind; 5] = [
        TrackingKind::PickedUp,
        TrackingKind::InTransit,
        TrackingKind::OutForDelivery,
        TrackingKind::Delivered,
        TrackingKind::Exception,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrackingKind::PickedUp => "picked_up",
            TrackingKind::InTransit => "in_transit",
            TrackingKind::OutForDelivery => "out_for_delivery",
            TrackingKind::Delivered => "delivered",
            TrackingKind::Exception => "exception",
        }
    }

    pub fn parse(s: &str) -> Option<TrackingKind> {
        TrackingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The order status this event moves a shipped order to, if any.
    pub fn order_status(self) -> Option<OrderStatus> {
        (self == TrackingKind::Delivered).then_some(OrderStatus::Delivered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_only_delivery_moves_the_order() {
        for k in TrackingKind::ALL {
            assert_eq!(TrackingKind::parse(k.as_str()), Some(k));
            assert_eq!(k.order_status().is_some(), k == TrackingKind::Delivered);
        }
        assert_eq!(TrackingKind::parse("lost"), None);
    }
}
