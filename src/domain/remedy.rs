//! Refunds and replacements on an order: how much may still be given, and when a second
//! person must approve.
//!
//! Both are judged against everything already given on the order, approved or waiting:
//! eight refunds of 50.00 under a limit of 50.00 are one remedy of 400.00, not eight small
//! ones. Two measures matter. What was *paid* caps what may be given back: refunds and
//! replacements together never pass what the customer paid. What it is *worth* to the shop
//! is what the limit judges: a replacement of a free gift costs the shop its goods, so it
//! counts at the catalogue price, not at the nothing that was paid for it. And no line is
//! replaced more often than it was ordered.

/// What a remedy is worth, both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Worth {
    /// Of what the customer paid, in the order's minor units.
    pub paid_minor: i64,
    /// To the shop: for a replacement, its goods at the higher of the price paid and the
    /// catalogue price; for a refund, the money.
    pub shop_minor: i64,
}

impl Worth {
    /// Money back: worth what it is.
    pub fn money(minor: i64) -> Worth {
        Worth {
            paid_minor: minor,
            shop_minor: minor,
        }
    }
}

/// A remedy already on the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Given {
    pub worth: Worth,
    /// Rejected remedies gave nothing.
    pub rejected: bool,
}

/// What a new remedy comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Judgement {
    /// True when the order's remedies, this one included, pass the limit.
    pub needs_approval: bool,
    /// What the order's remedies come to with this one, to the shop.
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
    #[error(
        "line {line_no}: {ordered} ordered, {replaced} replaced already, so {left} more at most, not {asked}"
    )]
    MoreUnitsThanOrdered {
        line_no: i64,
        ordered: i64,
        replaced: i64,
        left: i64,
        asked: i64,
    },
}

/// What is left of the order's total to refund or replace.
pub fn left_to_give(order_total_minor: i64, given: &[Given]) -> i64 {
    (order_total_minor - sum(given, |w| w.paid_minor)).max(0)
}

fn sum(given: &[Given], measure: impl Fn(&Worth) -> i64) -> i64 {
    given
        .iter()
        .filter(|g| !g.rejected)
        .map(|g| measure(&g.worth).max(0))
        .fold(0i64, i64::saturating_add)
}

/// Judges a new remedy on an order of `order_total_minor`, given what is already on it.
/// `limit_minor` is the most an agent may give on one order alone.
pub fn judge(
    asked: Worth,
    order_total_minor: i64,
    given: &[Given],
    limit_minor: i64,
) -> Result<Judgement, RemedyRefusal> {
    if asked.paid_minor < 1 && asked.shop_minor < 1 {
        return Err(RemedyRefusal::Nothing);
    }
    let left_minor = left_to_give(order_total_minor, given);
    if asked.paid_minor > left_minor {
        return Err(RemedyRefusal::MoreThanPaid {
            asked_minor: asked.paid_minor,
            left_minor,
        });
    }
    let total_given_minor = sum(given, |w| w.shop_minor).saturating_add(asked.shop_minor);
    Ok(Judgement {
        needs_approval: total_given_minor > limit_minor,
        total_given_minor,
    })
}

/// Units of an order line that may be replaced now: never more, over all replacements not
/// rejected, than were ordered.
pub fn check_units(
    line_no: i64,
    ordered: i64,
    replaced: i64,
    asked: i64,
) -> Result<(), RemedyRefusal> {
    let left = (ordered - replaced).max(0);
    if asked < 1 || asked > left {
        return Err(RemedyRefusal::MoreUnitsThanOrdered {
            line_no,
            ordered,
            replaced,
            left,
            asked,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(amounts: &[i64]) -> Vec<Given> {
        amounts
            .iter()
            .map(|&minor| Given {
                worth: Worth::money(minor),
                rejected: false,
            })
            .collect()
    }

    #[test]
    fn split_remedies_are_judged_together() {
        let mut on_order = Vec::new();
        let mut waiting = 0;
        for _ in 0..8 {
            let j = judge(Worth::money(5_000), 100_000, &on_order, 5_000)
                .expect("within what was paid");
            waiting += usize::from(j.needs_approval);
            on_order.push(Given {
                worth: Worth::money(5_000),
                rejected: false,
            });
        }
        assert_eq!(waiting, 7, "only the first stays within the limit");
        assert_eq!(
            judge(Worth::money(1), 100_000, &on_order, 5_000).map(|j| j.total_given_minor),
            Ok(40_001)
        );
    }

    #[test]
    fn waiting_remedies_count_and_rejected_ones_do_not() {
        let mut on_order = given(&[4_000]);
        let ask = Worth::money(2_000);
        assert!(
            judge(ask, 10_000, &on_order, 5_000)
                .expect("ok")
                .needs_approval
        );
        on_order[0].rejected = true;
        assert!(
            !judge(ask, 10_000, &on_order, 5_000)
                .expect("ok")
                .needs_approval
        );
    }

    #[test]
    fn refunds_and_replacements_never_exceed_what_was_paid() {
        assert_eq!(left_to_give(10_000, &given(&[3_000, 2_000])), 5_000);
        assert_eq!(
            judge(
                Worth::money(5_001),
                10_000,
                &given(&[3_000, 2_000]),
                1_000_000
            ),
            Err(RemedyRefusal::MoreThanPaid {
                asked_minor: 5_001,
                left_minor: 5_000
            })
        );
        assert!(
            judge(
                Worth::money(5_000),
                10_000,
                &given(&[3_000, 2_000]),
                1_000_000
            )
            .is_ok()
        );
        assert_eq!(
            judge(Worth::money(0), 10_000, &[], 0),
            Err(RemedyRefusal::Nothing)
        );
        assert_eq!(left_to_give(1_000, &given(&[5_000])), 0, "never below zero");
    }

    #[test]
    fn a_free_gift_replaced_counts_at_what_its_goods_are_worth() {
        // Five knives given away free: paid nothing, worth 609.00 to the shop.
        let gift = Worth {
            paid_minor: 1,
            shop_minor: 60_900,
        };
        let j = judge(gift, 3_110, &[], 5_000).expect("within what was paid");
        assert!(j.needs_approval, "a second person looks at it");
    }

    #[test]
    fn no_line_is_replaced_more_often_than_it_was_ordered() {
        assert_eq!(check_units(2, 5, 0, 5), Ok(()));
        assert_eq!(
            check_units(2, 5, 5, 5),
            Err(RemedyRefusal::MoreUnitsThanOrdered {
                line_no: 2,
                ordered: 5,
                replaced: 5,
                left: 0,
                asked: 5
            })
        );
        assert!(check_units(2, 5, 3, 3).is_err());
        assert!(check_units(2, 5, 3, 2).is_ok());
        assert!(check_units(2, 5, 0, 0).is_err());
    }
}
