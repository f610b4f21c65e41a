//! The order lifecycle as a state machine: which status may follow which, and what a
//! change must carry (a reason, for the ones people must be able to explain later).

use super::order::OrderStatus;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("an order that is {} cannot become {}", .from.label(), .to.label())]
    Illegal { from: OrderStatus, to: OrderStatus },
    #[error("{} needs a reason", .0.label())]
    ReasonRequired(OrderStatus),
}

/// The statuses that may follow `from`.
pub fn next_statuses(from: OrderStatus) -> &'static [OrderStatus] {
    use OrderStatus::*;
    match from {
        Received => &[Reserved, CsReview, Hold, Cancelled],
        Reserved => &[ReadyToPick, CsReview, Hold, Cancelled],
        // CS approves (on to picking), holds it, or cancels.
        CsReview => &[ReadyToPick, Hold, Cancelled],
        // Released to picking or to CS, or cancelled.
        Hold => &[ReadyToPick, CsReview, Cancelled],
        // Pulled back for a look (a changed rule, a doubt) before anyone picks it.
        ReadyToPick => &[Picking, CsReview, Hold, Cancelled],
        // A pick can be abandoned (back to the queue) or stopped for a problem.
        Picking => &[Packed, ReadyToPick, Hold, Cancelled],
        Packed => &[Shipped, Hold, Cancelled],
        Shipped => &[Delivered, Returned],
        Delivered => &[Returned],
        Cancelled | Returned => &[],
    }
}

/// Whether moving `from` → `to` needs a reason recorded with it.
pub fn needs_reason(to: OrderStatus) -> bool {
    matches!(
        to,
        OrderStatus::Hold | OrderStatus::Cancelled | OrderStatus::Returned | OrderStatus::CsReview
    )
}

/// Checks one change of status.
pub fn check_transition(
    from: OrderStatus,
    to: OrderStatus,
    reason: Option<&str>,
) -> Result<(), TransitionError> {
    if !next_statuses(from).contains(&to) {
        return Err(TransitionError::Illegal { from, to });
    }
    if needs_reason(to) && reason.is_none_or(|r| r.trim().is_empty()) {
        return Err(TransitionError::ReasonRequired(to));
    }
    Ok(())
}

/// Whether stock reserved for the order is still held after moving to `to`. Leaving the
/// warehouse (shipped) consumes it; cancelling releases it.
pub fn keeps_reservation(to: OrderStatus) -> bool {
    !matches!(
        to,
        OrderStatus::Cancelled
            | OrderStatus::Shipped
            | OrderStatus::Delivered
            | OrderStatus::Returned
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;
    use proptest::prelude::*;

    #[test]
    fn the_happy_path_is_legal() {
        let path = [
            Received,
            Reserved,
            ReadyToPick,
            Picking,
            Packed,
            Shipped,
            Delivered,
        ];
        for pair in path.windows(2) {
            assert_eq!(check_transition(pair[0], pair[1], None), Ok(()), "{pair:?}");
        }
    }

    #[test]
    fn every_pair_is_either_legal_or_refused_with_both_names() {
        let mut legal = 0;
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                match check_transition(from, to, Some("because")) {
                    Ok(()) => legal += 1,
                    Err(e) => {
                        assert_eq!(e, TransitionError::Illegal { from, to });
                        let msg = e.to_string();
                        assert!(
                            msg.contains(from.label()) && msg.contains(to.label()),
                            "{msg}"
                        );
                    }
                }
            }
        }
        assert_eq!(
            legal,
            OrderStatus::ALL
                .iter()
                .map(|s| next_statuses(*s).len())
                .sum::<usize>()
        );
    }

    #[test]
    fn finished_orders_stay_finished_and_holds_need_reasons() {
        for to in OrderStatus::ALL {
            assert!(check_transition(Cancelled, to, Some("x")).is_err());
            assert!(check_transition(Returned, to, Some("x")).is_err());
        }
        assert_eq!(
            check_transition(Reserved, Hold, None),
            Err(TransitionError::ReasonRequired(Hold))
        );
        assert_eq!(
            check_transition(Reserved, Hold, Some("  ")),
            Err(TransitionError::ReasonRequired(Hold))
        );
        assert_eq!(
            check_transition(Reserved, Cancelled, Some("customer asked")),
            Ok(())
        );
        assert!(!keeps_reservation(Cancelled) && keeps_reservation(Hold));
    }

    proptest! {
        /// Random walks: a status only ever changes along a legal edge, a refused change
        /// leaves it where it was, and nothing leaves Cancelled or Returned.
        #[test]
        fn random_sequences_follow_the_graph(steps in proptest::collection::vec((0usize..11, any::<bool>()), 0..60)) {
            let mut status = Received;
            for (index, with_reason) in steps {
                let to = OrderStatus::ALL[index];
                let reason = with_reason.then_some("reason");
                let before = status;
                match check_transition(status, to, reason) {
                    Ok(()) => {
                        prop_assert!(next_statuses(before).contains(&to));
                        prop_assert!(!needs_reason(to) || with_reason);
                        status = to;
                    }
                    Err(_) => prop_assert_eq!(status, before),
                }
                if matches!(before, Cancelled | Returned) {
                    prop_assert_eq!(status, before);
                }
            }
        }
    }
}
