//! Stocktakes: what a count covers, how a counted figure is judged against the ledger,
//! which products a cycle count is due for, and how accurate the stock turned out to be.

use jiff::{SignedDuration, Timestamp};

use super::role::Role;

/// What a stocktake counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountScope {
    /// Every bin of a zone.
    Zone(String),
    /// These location codes.
    Locations(Vec<String>),
    /// These SKUs, wherever the ledger has them.
    Products(Vec<String>),
    /// The products the ABC schedule says are due.
    Cycle,
}

impl CountScope {
    pub fn kind(&self) -> &'static str {
        match self {
            CountScope::Zone(_) => "zone",
            CountScope::Locations(_) => "locations",
            CountScope::Products(_) => "products",
            CountScope::Cycle => "cycle",
        }
    }
}

/// How far a count may be off before someone else counts again: either limit exceeded is
/// enough. Value in minor units of the shop's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tolerance {
    pub qty: i64,
    pub value: i64,
}

impl Default for Tolerance {
    /// One unit either way, and nothing worth more than 20.00.
    fn default() -> Self {
        Tolerance {
            qty: 1,
            value: 2000,
        }
    }
}

impl Tolerance {
    pub fn exceeded(&self, variance_qty: i64, variance_value: i64) -> bool {
        variance_qty.abs() > self.qty || variance_value.abs() > self.value
    }
}

/// What a counted line says, set when its location is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Counted what the ledger says.
    Matched,
    /// Off by `qty` units worth `value`; `recount` when beyond tolerance.
    Variance { qty: i64, value: i64, recount: bool },
    /// Stock moved at the location while it was being counted: the figure proves nothing.
    Outdated,
}

/// Judges one count. `moved`: a movement touched this product at this location after
/// counting began there.
pub fn judge(
    expected: i64,
    counted: i64,
    unit_value: i64,
    moved: bool,
    tolerance: Tolerance,
) -> Verdict {
    if moved {
        return Verdict::Outdated;
    }
    let qty = counted - expected;
    if qty == 0 {
        return Verdict::Matched;
    }
    let value = qty.saturating_mul(unit_value);
    Verdict::Variance {
        qty,
        value,
        recount: tolerance.exceeded(qty, value),
    }
}

/// ABC class by share of sales value: A the few products that make most of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AbcClass {
    A,
    B,
    C,
}

impl AbcClass {
    pub fn as_str(self) -> &'static str {
        match self {
            AbcClass::A => "A",
            AbcClass::B => "B",
            AbcClass::C => "C",
        }
    }
}

/// Classes for products given their sales value over a period, in the same order: A up to
/// 80 % of the total value, B up to 95 %, C the rest and everything unsold.
pub fn classify(sales_value: &[i64]) -> Vec<AbcClass> {
    let total: i128 = sales_value.iter().map(|v| (*v).max(0) as i128).sum();
    let mut order: Vec<usize> = (0..sales_value.len()).collect();
    order.sort_by(|a, b| sales_value[*b].cmp(&sales_value[*a]).then(a.cmp(b)));
    let mut classes = vec![AbcClass::C; sales_value.len()];
    let mut before: i128 = 0;
    for i in order {
        let value = sales_value[i].max(0) as i128;
        if value == 0 || total == 0 {
            break;
        }
        // The class is decided by where the product starts: the one that crosses 80 %
        // is still an A.
        classes[i] = if before * 100 < total * 80 {
            AbcClass::A
        } else if before * 100 < total * 95 {
            AbcClass::B
        } else {
            AbcClass::C
        };
        before += value;
    }
    classes
}

/// How often each class is counted: fast movers more often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CycleSchedule {
    pub a_days: i64,
    pub b_days: i64,
    pub c_days: i64,
}

impl Default for CycleSchedule {
    fn default() -> Self {
        CycleSchedule {
            a_days: 30,
            b_days: 90,
            c_days: 180,
        }
    }
}

impl CycleSchedule {
    pub fn interval_days(&self, class: AbcClass) -> i64 {
        match class {
            AbcClass::A => self.a_days,
            AbcClass::B => self.b_days,
            AbcClass::C => self.c_days,
        }
    }

    /// Due when never counted, or counted longer ago than the class's interval.
    pub fn due(&self, class: AbcClass, last_counted: Option<Timestamp>, now: Timestamp) -> bool {
        match last_counted {
            None => true,
            Some(last) => {
                now.duration_since(last)
                    >= SignedDuration::from_hours(24 * self.interval_days(class))
            }
        }
    }

    /// How overdue, for choosing the most overdue first: never counted comes first.
    pub fn overdue_by(
        &self,
        class: AbcClass,
        last_counted: Option<Timestamp>,
        now: Timestamp,
    ) -> SignedDuration {
        match last_counted {
            None => SignedDuration::MAX,
            Some(last) => {
                now.duration_since(last)
                    - SignedDuration::from_hours(24 * self.interval_days(class))
            }
        }
    }
}

/// One counted line's figures, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountedLine {
    pub expected: i64,
    pub counted: i64,
    pub unit_value: i64,
}

/// Inventory accuracy of a stocktake.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Accuracy {
    pub lines: usize,
    pub exact_lines: usize,
    /// Counted minus expected, summed (gains and losses cancel) and as absolute sums.
    pub variance_units: i64,
    pub variance_units_abs: i64,
    pub variance_value: i64,
    pub variance_value_abs: i64,
    pub expected_value: i64,
    /// Share of lines counted without variance, 0–1.
    pub line_accuracy: f64,
    /// 1 minus absolute variance value over expected value, 0–1.
    pub value_accuracy: f64,
}

pub fn accuracy(lines: &[CountedLine]) -> Accuracy {
    let mut a = Accuracy {
        lines: lines.len(),
        exact_lines: 0,
        variance_units: 0,
        variance_units_abs: 0,
        variance_value: 0,
        variance_value_abs: 0,
        expected_value: 0,
        line_accuracy: 1.0,
        value_accuracy: 1.0,
    };
    for l in lines {
        let qty = l.counted - l.expected;
        let value = qty.saturating_mul(l.unit_value);
        if qty == 0 {
            a.exact_lines += 1;
        }
        a.variance_units += qty;
        a.variance_units_abs += qty.abs();
        a.variance_value = a.variance_value.saturating_add(value);
        a.variance_value_abs = a.variance_value_abs.saturating_add(value.abs());
        a.expected_value = a
            .expected_value
            .saturating_add(l.expected.saturating_mul(l.unit_value));
    }
    if a.lines > 0 {
        a.line_accuracy = a.exact_lines as f64 / a.lines as f64;
    }
    a.value_accuracy = if a.expected_value > 0 {
        (1.0 - a.variance_value_abs as f64 / a.expected_value as f64).max(0.0)
    } else if a.variance_value_abs == 0 {
        1.0
    } else {
        0.0
    };
    a
}

/// How long the reason for approving one's own count may be, in characters.
pub const SELF_APPROVAL_REASON_MAX: usize = 500;

/// Who asks to approve a counted line, and what the store found out around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApprovalCase<'a> {
    /// Whose figure the line holds now (after a recount, the recounter's).
    pub counter: Option<&'a str>,
    pub approver: &'a str,
    pub approver_role: Role,
    /// Some active user other than the approver holds `stocktake.manage`.
    pub another_manager: bool,
    /// Why an admin approves a count of their own; needed only then.
    pub reason: Option<&'a str>,
}

/// A line the approver may approve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Someone else counted it: the usual second-person check.
    Approved,
    /// The approver's own count, by an admin because nobody else could: audited apart.
    SelfApproved { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefused {
    #[error("you counted it; another person with stocktake.manage must approve it")]
    OwnCount,
    #[error(
        "you counted it and nobody else who may approve counts is active; a second person with stocktake.manage must approve it (an admin may approve their own count only while nobody else can)"
    )]
    OwnCountNobodyElse,
    #[error(
        "you counted it, and nobody else who may approve counts is active: as admin you may approve it yourself, but only with a reason (it is audited as self-approval)"
    )]
    ReasonNeeded,
    #[error("{0}")]
    BadReason(String),
}

/// Nobody approves their own count. The one exception keeps a shop with a single manager
/// working: an admin, when no other active user could approve, with a reason on record.
pub fn may_approve(case: &ApprovalCase) -> Result<Approval, ApprovalRefused> {
    if case.counter != Some(case.approver) {
        return Ok(Approval::Approved);
    }
    if case.another_manager {
        return Err(ApprovalRefused::OwnCount);
    }
    if case.approver_role != Role::Admin {
        return Err(ApprovalRefused::OwnCountNobodyElse);
    }
    match self_approval_reason(case.reason).map_err(ApprovalRefused::BadReason)? {
        Some(reason) => Ok(Approval::SelfApproved { reason }),
        None => Err(ApprovalRefused::ReasonNeeded),
    }
}

/// A reason as given: trimmed, absent when blank; refused when too long or when it holds
/// control or bidi-override characters, which would garble the audit log on a terminal.
pub fn self_approval_reason(reason: Option<&str>) -> Result<Option<String>, String> {
    let Some(reason) = reason.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let length = reason.chars().count();
    if length > SELF_APPROVAL_REASON_MAX {
        return Err(format!(
            "the reason is {length} characters; at most {SELF_APPROVAL_REASON_MAX}"
        ));
    }
    super::text::check(reason, super::text::Layout::Line)
        .map_err(|refusal| format!("the reason {refusal}"))?;
    Ok(Some(reason.to_string()))
}

/// One location of a stocktake, as far as whether someone may see its stock matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountAt<'a> {
    pub blind: bool,
    /// counting, review, done or cancelled.
    pub stocktake_state: &'a str,
    /// pending, counting or closed.
    pub location_state: &'a str,
    pub counter: Option<&'a str>,
}

/// A blind counter moves no stock at a location they are counting: the answer (or its
/// refusal, "A-01-01 has 103") would tell them the figure they are to find, and the move
/// would change what they count. The location of `touched` they count blind, if any.
pub fn counted_blind<'a>(
    counting_blind: &std::collections::BTreeSet<String>,
    touched: &[&'a str],
) -> Option<&'a str> {
    touched
        .iter()
        .copied()
        .find(|code| counting_blind.contains(*code))
}

/// Blind stays blind: whoever is counting a location in an open blind count sees no
/// on-hand figure for it anywhere, until they close it or the stocktake ends. Their role
/// does not matter; a supervisor counting is a counter.
pub fn hides_on_hand(count: &CountAt, viewer: &str) -> bool {
    count.blind
        && count.stocktake_state == "counting"
        && count.location_state == "counting"
        && count.counter == Some(viewer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case<'a>(counter: &'a str, approver: &'a str, role: Role) -> ApprovalCase<'a> {
        ApprovalCase {
            counter: Some(counter),
            approver,
            approver_role: role,
            another_manager: true,
            reason: None,
        }
    }

    #[test]
    fn nobody_approves_their_own_count() {
        let other = case("warehouse", "supervisor", Role::Supervisor);
        assert_eq!(may_approve(&other), Ok(Approval::Approved));
        // A line nobody is named on (an old row) is nobody's own.
        let unnamed = ApprovalCase {
            counter: None,
            ..other
        };
        assert_eq!(may_approve(&unnamed), Ok(Approval::Approved));
        let own = case("supervisor", "supervisor", Role::Supervisor);
        assert_eq!(may_approve(&own), Err(ApprovalRefused::OwnCount));
        // A reason changes nothing while someone else could approve, for an admin too.
        let with_reason = ApprovalCase {
            reason: Some("short-staffed"),
            ..own
        };
        assert_eq!(may_approve(&with_reason), Err(ApprovalRefused::OwnCount));
        let admin = ApprovalCase {
            reason: Some("short-staffed"),
            ..case("admin", "admin", Role::Admin)
        };
        assert_eq!(may_approve(&admin), Err(ApprovalRefused::OwnCount));
    }

    #[test]
    fn an_admin_alone_approves_their_own_count_with_a_reason() {
        let alone = ApprovalCase {
            another_manager: false,
            ..case("admin", "admin", Role::Admin)
        };
        assert_eq!(may_approve(&alone), Err(ApprovalRefused::ReasonNeeded));
        let blank = ApprovalCase {
            reason: Some("   "),
            ..alone
        };
        assert_eq!(may_approve(&blank), Err(ApprovalRefused::ReasonNeeded));
        let given = ApprovalCase {
            reason: Some("  only manager on the night shift "),
            ..alone
        };
        assert_eq!(
            may_approve(&given),
            Ok(Approval::SelfApproved {
                reason: "only manager on the night shift".into()
            })
        );
        let long = "x".repeat(SELF_APPROVAL_REASON_MAX + 1);
        let too_long = ApprovalCase {
            reason: Some(&long),
            ..alone
        };
        assert!(matches!(
            may_approve(&too_long),
            Err(ApprovalRefused::BadReason(_))
        ));
        for bad in [
            "night\u{7}shift",
            "night\nshift",
            "\u{202E}tfihs thgin",
            "a\u{2066}b",
        ] {
            let refused = ApprovalCase {
                reason: Some(bad),
                ..alone
            };
            assert!(
                matches!(may_approve(&refused), Err(ApprovalRefused::BadReason(_))),
                "{bad:?}"
            );
        }
        // Only an admin: a supervisor alone still needs a second person.
        let supervisor_alone = ApprovalCase {
            another_manager: false,
            reason: Some("only manager"),
            ..case("supervisor", "supervisor", Role::Supervisor)
        };
        assert_eq!(
            may_approve(&supervisor_alone),
            Err(ApprovalRefused::OwnCountNobodyElse)
        );
        // Someone else's count needs no reason, alone or not.
        let others = ApprovalCase {
            another_manager: false,
            ..case("warehouse", "admin", Role::Admin)
        };
        assert_eq!(may_approve(&others), Ok(Approval::Approved));
    }

    #[test]
    fn a_blind_counter_moves_nothing_where_they_count() {
        let counting: std::collections::BTreeSet<String> = ["A-01-01".to_string()].into();
        assert_eq!(
            counted_blind(&counting, &["B-02-02", "A-01-01"]),
            Some("A-01-01")
        );
        assert_eq!(counted_blind(&counting, &["B-02-02"]), None);
        assert_eq!(counted_blind(&Default::default(), &["A-01-01"]), None);
    }

    #[test]
    fn only_the_counter_of_an_open_blind_location_is_kept_from_its_stock() {
        let counting = CountAt {
            blind: true,
            stocktake_state: "counting",
            location_state: "counting",
            counter: Some("warehouse"),
        };
        assert!(hides_on_hand(&counting, "warehouse"));
        assert!(!hides_on_hand(&counting, "warehouse2"), "someone else");
        let open_count = CountAt {
            blind: false,
            ..counting
        };
        assert!(!hides_on_hand(&open_count, "warehouse"));
        let closed = CountAt {
            location_state: "closed",
            ..counting
        };
        assert!(!hides_on_hand(&closed, "warehouse"));
        let pending = CountAt {
            location_state: "pending",
            counter: None,
            ..counting
        };
        assert!(!hides_on_hand(&pending, "warehouse"));
        for over in ["review", "done", "cancelled"] {
            let ended = CountAt {
                stocktake_state: over,
                ..counting
            };
            assert!(!hides_on_hand(&ended, "warehouse"), "{over}");
        }
    }

    #[test]
    fn a_count_is_matched_off_or_outdated() {
        let t = Tolerance {
            qty: 1,
            value: 1000,
        };
        assert_eq!(judge(10, 10, 500, false, t), Verdict::Matched);
        assert_eq!(
            judge(10, 9, 500, false, t),
            Verdict::Variance {
                qty: -1,
                value: -500,
                recount: false
            }
        );
        assert_eq!(
            judge(10, 8, 500, false, t),
            Verdict::Variance {
                qty: -2,
                value: -1000,
                recount: true
            }
        );
        // One unit, but worth more than the value limit.
        assert_eq!(
            judge(10, 11, 2500, false, t),
            Verdict::Variance {
                qty: 1,
                value: 2500,
                recount: true
            }
        );
        // Stock moved while counting: no verdict on the figure.
        assert_eq!(judge(10, 3, 500, true, t), Verdict::Outdated);
        assert_eq!(judge(10, 10, 500, true, t), Verdict::Outdated);
    }

    #[test]
    fn abc_classes_follow_the_share_of_sales_value() {
        // 700 + 150 + 100 + 50 = 1000: A starts below 80 %, B below 95 %.
        let classes = classify(&[150, 700, 0, 100, 50]);
        assert_eq!(
            classes,
            vec![
                AbcClass::A,
                AbcClass::A,
                AbcClass::C,
                AbcClass::B,
                AbcClass::C
            ]
        );
        assert_eq!(classify(&[0, 0]), vec![AbcClass::C, AbcClass::C]);
        assert!(classify(&[]).is_empty());
    }

    #[test]
    fn fast_movers_fall_due_sooner() {
        let schedule = CycleSchedule::default();
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let forty_days_ago: Timestamp = "2026-10-16T10:00:00Z".parse().unwrap();
        assert!(schedule.due(AbcClass::A, Some(forty_days_ago), now));
        assert!(!schedule.due(AbcClass::B, Some(forty_days_ago), now));
        assert!(schedule.due(AbcClass::C, None, now));
        assert!(
            schedule.overdue_by(AbcClass::C, None, now)
                > schedule.overdue_by(AbcClass::A, Some(forty_days_ago), now)
        );
    }

    #[test]
    fn accuracy_counts_exact_lines_and_value() {
        let lines = [
            CountedLine {
                expected: 10,
                counted: 10,
                unit_value: 100,
            },
            CountedLine {
                expected: 10,
                counted: 8,
                unit_value: 100,
            },
            CountedLine {
                expected: 0,
                counted: 1,
                unit_value: 300,
            },
            CountedLine {
                expected: 20,
                counted: 20,
                unit_value: 50,
            },
        ];
        let a = accuracy(&lines);
        assert_eq!(a.lines, 4);
        assert_eq!(a.exact_lines, 2);
        assert_eq!(a.variance_units, -1);
        assert_eq!(a.variance_units_abs, 3);
        assert_eq!(a.variance_value, 100);
        assert_eq!(a.variance_value_abs, 500);
        assert_eq!(a.expected_value, 3000);
        assert!((a.line_accuracy - 0.5).abs() < 1e-9);
        assert!((a.value_accuracy - (1.0 - 500.0 / 3000.0)).abs() < 1e-9);
        let empty = accuracy(&[]);
        assert_eq!(empty.line_accuracy, 1.0);
        assert_eq!(empty.value_accuracy, 1.0);
    }
}
