//! Refunds and replacements on an order: how much may still be given, and when a second
//! person must approve.
//!
//! Both are judged against everything already given on the order, approved or waiting:
//! eight refunds of 50.00 under a limit of 50.00 are one remedy of 400.00, not eight small
//! ones, and a replacement is money's worth like a refund, so refunds and replacements
//! together never exceed what the customer paid.

/// A remedy already on the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Given {
    /// What it is worth, in the order's minor units.
    pub amount_minor: i64,
    /// Rejected remedies gave nothing.
    pub rejected: bool,
}

/// What a new remedy comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    /// True when the order's remedies, this one included, pass the limit.
    pub needs_approval: bool,
    /// What the order's remedies come to with this one.
    pub total_given_minor: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RemedyRefusal {
    #[error("a remedy must be worth something")]
    Nothing,
    #[error(
        "it is worth {asked_minor} minor units but only {left_minor} of what was paid is left to refund or replace"
    )]
    MoreThanPaid { asked_minor: i64, left_minor: i64 },
}

/// What is left of the order's total to refund or replace.
pub fn left_to_give(order_total_minor: i64, given: &[Given]) -> i64 {
    (order_total_minor - given_so_far(given)).max(0)
}

fn given_so_far(given: &[Given]) -> i64 {
    given
        .iter()
        .filter(|g| !g.rejected)
        .map(|g| g.amount_minor.max(0))
        .fold(0i64, i64::saturating_add)
}

/// Judges a new remedy worth `asked_minor` on an order of `order_total_minor`, given what
/// is already on it. `limit_minor` is the most an agent may give on one order alone.
pub fn judge(
    asked_minor: i64,
    order_total_minor: i64,
    given: &[Given],
    limit_minor: i64,
) -> Result<Judgement, RemedyRefusal> {
    if asked_minor < 1 {
        return Err(RemedyRefusal::Nothing);
    }
    let left_minor = left_to_give(order_total_minor, given);
    if asked_minor > left_minor {
        return Err(RemedyRefusal::MoreThanPaid {
            asked_minor,
            left_minor,
        });
    }
    let total_given_minor = given_so_far(given).saturating_add(asked_minor);
    Ok(Judgement {
        needs_approval: total_given_minor > limit_minor,
        total_given_minor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(amounts: &[i64]) -> Vec<Given> {
        amounts
            .iter()
            .map(|&amount_minor| Given {
                amount_minor,
                rejected: false,
            })
            .collect()
    }

    #[test]
    fn split_remedies_are_judged_together() {
        let mut on_order = Vec::new();
        let mut waiting = 0;
        for _ in 0..8 {
            let j = judge(5_000, 100_000, &on_order, 5_000).expect("within what was paid");
            waiting += usize::from(j.needs_approval);
            on_order.push(Given {
                amount_minor: 5_000,
                rejected: false,
            });
        }
        assert_eq!(waiting, 7, "only the first stays within the limit");
        assert_eq!(
            judge(1, 100_000, &on_order, 5_000).map(|j| j.total_given_minor),
            Ok(40_001)
        );
    }

    #[test]
    fn waiting_remedies_count_and_rejected_ones_do_not() {
        let mut on_order = given(&[4_000]);
        assert!(
            judge(2_000, 10_000, &on_order, 5_000)
                .expect("ok")
                .needs_approval
        );
        on_order[0].rejected = true;
        assert!(
            !judge(2_000, 10_000, &on_order, 5_000)
                .expect("ok")
                .needs_approval
        );
    }

    #[test]
    fn refunds_and_replacements_never_exceed_what_was_paid() {
        assert_eq!(left_to_give(10_000, &given(&[3_000, 2_000])), 5_000);
        assert_eq!(
            judge(5_001, 10_000, &given(&[3_000, 2_000]), 1_000_000),
            Err(RemedyRefusal::MoreThanPaid {
                asked_minor: 5_001,
                left_minor: 5_000
            })
        );
        assert!(judge(5_000, 10_000, &given(&[3_000, 2_000]), 1_000_000).is_ok());
        assert_eq!(judge(0, 10_000, &[], 0), Err(RemedyRefusal::Nothing));
        assert_eq!(left_to_give(1_000, &given(&[5_000])), 0, "never below zero");
    }
}
