//! Picking: which waiting orders go on the next pick list, and in which order a picker
//! walks the bins.

use std::cmp::Ordering;
use std::fmt;

use super::location::BinCode;

/// A pick list's human-facing number, as printed on its label: `PL-000042`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PickListNumber(pub u64);

impl fmt::Display for PickListNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PL-{:06}", self.0)
    }
}

impl PickListNumber {
    /// Accepts `PL-000042`, `pl-42` and `42`.
    pub fn parse(s: &str) -> Option<PickListNumber> {
        let s = s.trim();
        let digits = match s.get(..3) {
            Some(p) if p.eq_ignore_ascii_case("PL-") => &s[3..],
            _ => s,
        };
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok().map(PickListNumber)
    }
}

/// Why a picker could not take what the line asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortReason {
    /// Nothing at the location.
    Empty,
    /// Fewer there than the line needs.
    Short,
    /// There, but not fit to send.
    Damaged,
}

impl ShortReason {
    pub const ALL: [ShortReason; 3] =
        [ShortReason::Empty, ShortReason::Short, ShortReason::Damaged];

    pub fn as_str(self) -> &'static str {
        match self {
            ShortReason::Empty => "empty",
            ShortReason::Short => "short",
            ShortReason::Damaged => "damaged",
        }
    }

    pub fn parse(s: &str) -> Option<ShortReason> {
        ShortReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One order per list, or several orders picked in one walk (into one slot each on the cart).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PickMode {
    #[default]
    Single,
    Batch,
}

impl PickMode {
    pub fn parse(s: &str) -> Option<PickMode> {
        match s {
            "single" => Some(PickMode::Single),
            "batch" => Some(PickMode::Batch),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PickMode::Single => "single",
            PickMode::Batch => "batch",
        }
    }
}

/// How big one list may grow: a cart has so many slots, a walk should not take all shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListCaps {
    pub max_orders: u32,
    pub max_lines: u32,
}

impl Default for ListCaps {
    fn default() -> ListCaps {
        ListCaps {
            max_orders: 8,
            max_lines: 40,
        }
    }
}

impl ListCaps {
    pub fn check(self) -> Result<ListCaps, String> {
        if !(1..=50).contains(&self.max_orders) {
            return Err(format!(
                "max_orders must be 1 to 50 (slots on a cart), not {}",
                self.max_orders
            ));
        }
        if !(1..=500).contains(&self.max_lines) {
            return Err(format!(
                "max_lines must be 1 to 500, not {}",
                self.max_lines
            ));
        }
        Ok(self)
    }
}

/// An order waiting to be picked, with the number of pick lines it would add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub order_id: String,
    pub lines: u32,
}

/// The orders for the next list, from `waiting` in the order they should be picked (most
/// urgent first). An order never straddles two lists; an order bigger than the line cap
/// goes on a list of its own, or it would never be picked.
pub fn next_list(waiting: &[Waiting], mode: PickMode, caps: ListCaps) -> Vec<&Waiting> {
    let mut chosen = Vec::new();
    let mut lines = 0;
    for order in waiting {
        if chosen.is_empty() {
            lines = order.lines;
            chosen.push(order);
            if mode == PickMode::Single || order.lines >= caps.max_lines {
                break;
            }
            continue;
        }
        if chosen.len() as u32 >= caps.max_orders {
            break;
        }
        if lines + order.lines <= caps.max_lines {
            lines += order.lines;
            chosen.push(order);
        }
    }
    chosen
}

/// Where a location comes in the walk. Bins follow an S-shaped route: zone by zone, aisle
/// by aisle, up odd aisles and down even ones, so the picker never walks an aisle back
/// empty-handed. Locations that are not bins come after all bins, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkKey {
    bin: Option<(String, u8, i16)>,
    code: String,
}

impl WalkKey {
    pub fn of(code: &str) -> WalkKey {
        let bin = BinCode::parse(code).ok().map(|b| {
            let along = if b.aisle % 2 == 1 {
                i16::from(b.bin)
            } else {
                -i16::from(b.bin)
            };
            (b.zone, b.aisle, along)
        });
        WalkKey {
            bin,
            code: code.to_string(),
        }
    }
}

impl Ord for WalkKey {
    fn cmp(&self, other: &WalkKey) -> Ordering {
        match (&self.bin, &other.bin) {
            (Some(a), Some(b)) => a.cmp(b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        }
        .then_with(|| self.code.cmp(&other.code))
    }
}

impl PartialOrd for WalkKey {
    fn partial_cmp(&self, other: &WalkKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn waiting(lines: &[u32]) -> Vec<Waiting> {
        lines
            .iter()
            .enumerate()
            .map(|(i, &lines)| Waiting {
                order_id: format!("o{i}"),
                lines,
            })
            .collect()
    }

    fn ids(chosen: &[&Waiting]) -> Vec<String> {
        chosen.iter().map(|w| w.order_id.clone()).collect()
    }

    #[test]
    fn pick_list_numbers() {
        assert_eq!(PickListNumber::parse("PL-000042"), Some(PickListNumber(42)));
        assert_eq!(PickListNumber::parse("pl-42"), Some(PickListNumber(42)));
        assert_eq!(PickListNumber(42).to_string(), "PL-000042");
        for bad in ["", "PL-", "SO-000042", "PL-4x", "PL-9999999999999"] {
            assert_eq!(PickListNumber::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_walk_snakes_through_the_aisles() {
        let mut codes = vec![
            "B-01-01", "A-02-01", "A-01-03", "RCV-01", "A-02-05", "A-01-01", "A-03-02",
        ];
        codes.sort_by_key(|c| WalkKey::of(c));
        assert_eq!(
            codes,
            [
                "A-01-01", "A-01-03", "A-02-05", "A-02-01", "A-03-02", "B-01-01", "RCV-01"
            ]
        );
    }

    #[test]
    fn single_lists_take_one_order() {
        let w = waiting(&[3, 2]);
        assert_eq!(
            ids(&next_list(&w, PickMode::Single, ListCaps::default())),
            ["o0"]
        );
    }

    #[test]
    fn batches_fill_up_to_the_caps_skipping_orders_that_do_not_fit() {
        let w = waiting(&[4, 5, 2, 1, 1]);
        let caps = ListCaps {
            max_orders: 3,
            max_lines: 7,
        };
        assert_eq!(
            ids(&next_list(&w, PickMode::Batch, caps)),
            ["o0", "o2", "o3"]
        );
    }

    #[test]
    fn an_order_above_the_line_cap_goes_alone() {
        let w = waiting(&[60, 1]);
        assert_eq!(
            ids(&next_list(&w, PickMode::Batch, ListCaps::default())),
            ["o0"]
        );
    }

    #[test]
    fn caps_out_of_range_are_refused() {
        for (o, l) in [(0, 10), (51, 10), (5, 0), (5, 501)] {
            let caps = ListCaps {
                max_orders: o,
                max_lines: l,
            };
            assert!(caps.check().is_err(), "{o} {l}");
        }
    }

    proptest! {
        #[test]
        fn lists_respect_the_caps(lines in proptest::collection::vec(1u32..30, 0..40),
                                  max_orders in 1u32..10, max_lines in 1u32..60) {
            let w = waiting(&lines);
            let caps = ListCaps { max_orders, max_lines };
            let chosen = next_list(&w, PickMode::Batch, caps);
            prop_assert_eq!(chosen.is_empty(), w.is_empty());
            prop_assert!(chosen.len() as u32 <= max_orders);
            let total: u32 = chosen.iter().map(|c| c.lines).sum();
            prop_assert!(chosen.len() == 1 || total <= max_lines);
            if let Some(first) = w.first() {
                prop_assert_eq!(&chosen[0].order_id, &first.order_id);
            }
        }
    }
}
