//! How intake treats an order, as ops configure it in the `[intake]` table of the rules
//! file: how far a price may differ from the catalogue, what to do when stock is short, and
//! the cut-offs that give each order its ship-by time.

use std::collections::BTreeMap;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp, ToSpan};
use serde::Deserialize;

use super::routing::Priority;

/// What to do when not every unit can be reserved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockPolicy {
    /// Reserve nothing and hold the order until stock comes.
    #[default]
    Hold,
    /// Reserve what is there and back-order the rest.
    Backorder,
}

impl StockPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            StockPolicy::Hold => "hold",
            StockPolicy::Backorder => "backorder",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IntakePolicy {
    /// Allowed difference from the catalogue price, in basis points (100 = 1 %).
    pub price_tolerance_bp: u32,
    pub stock: StockPolicy,
    pub ship_by: ShipByPolicy,
    /// The time zone the cut-offs are in, as configured; `None` means the server's own.
    /// Looking a name up needs the system's zone database, so the caller resolves it into
    /// `ship_by.tz`.
    pub timezone: Option<String>,
}

impl Default for IntakePolicy {
    fn default() -> Self {
        IntakePolicy {
            price_tolerance_bp: 100,
            stock: StockPolicy::Hold,
            ship_by: ShipByPolicy::standard(TimeZone::UTC),
            timezone: None,
        }
    }
}

/// When orders must leave: an order counts for today if it arrives by the later of its
/// priority's and its channel's cut-off (both are promises; the stricter deadline wins),
/// on a working day; otherwise for the next working day. Ship-by is when the last truck of
/// that day leaves.
#[derive(Debug, Clone, PartialEq)]
pub struct ShipByPolicy {
    pub tz: TimeZone,
    /// Cut-off per priority (low, normal, high, urgent).
    pub cutoffs: [Time; 4],
    /// Cut-offs promised to particular sales channels (e.g. a marketplace's same-day rule).
    pub channel_cutoffs: BTreeMap<String, Time>,
    /// When the last truck leaves.
    pub end_of_day: Time,
    pub working_days: Vec<Weekday>,
}

impl ShipByPolicy {
    pub fn standard(tz: TimeZone) -> ShipByPolicy {
        ShipByPolicy {
            tz,
            cutoffs: [
                Time::constant(12, 0, 0, 0),
                Time::constant(14, 0, 0, 0),
                Time::constant(15, 30, 0, 0),
                Time::constant(16, 30, 0, 0),
            ],
            channel_cutoffs: BTreeMap::new(),
            end_of_day: Time::constant(17, 30, 0, 0),
            working_days: vec![
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday,
                Weekday::Friday,
            ],
        }
    }

    pub fn ship_by(&self, received: Timestamp, priority: Priority, channel: &str) -> Timestamp {
        let local = received.to_zoned_datetime(self.tz.clone());
        let by_priority = self.cutoffs[Priority::ALL
            .iter()
            .position(|p| *p == priority)
            .unwrap_or(1)];
        let cutoff = match self.channel_cutoffs.get(channel) {
            Some(c) => by_priority.max(*c),
            None => by_priority,
        };
        let mut day = local.date();
        let today_counts = self.working_days.contains(&day.weekday()) && local.time() <= cutoff;
        if !today_counts {
            day = day.checked_add(1.day()).unwrap_or(day);
        }
        // A week has a working day unless the policy is empty; stop after a fortnight.
        for _ in 0..14 {
            if self.working_days.contains(&day.weekday()) {
                break;
            }
            day = day.checked_add(1.day()).unwrap_or(day);
        }
        day.to_datetime(self.end_of_day)
            .to_zoned_datetime(self.tz.clone())
            .map(|z| z.timestamp())
            .unwrap_or(received + SignedDuration::from_hours(24))
    }
}

/// The `[intake]` table as written; every key is optional and falls back to the default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IntakeTable {
    price_tolerance: Option<Percent>,
    when_short: Option<StockPolicy>,
    timezone: Option<String>,
    working_days: Option<Vec<DayName>>,
    last_truck: Option<ClockTime>,
    #[serde(default)]
    cutoff: CutoffTable,
    #[serde(default)]
    channel_cutoff: BTreeMap<String, ClockTime>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CutoffTable {
    low: Option<ClockTime>,
    normal: Option<ClockTime>,
    high: Option<ClockTime>,
    urgent: Option<ClockTime>,
}

impl IntakeTable {
    /// The policy this table describes, or what is inconsistent in it.
    pub(crate) fn policy(self) -> Result<IntakePolicy, String> {
        let mut policy = IntakePolicy::default();
        let ship = &mut policy.ship_by;
        if let Some(Percent(bp)) = self.price_tolerance {
            policy.price_tolerance_bp = bp;
        }
        if let Some(stock) = self.when_short {
            policy.stock = stock;
        }
        if let Some(days) = self.working_days {
            if days.is_empty() {
                return Err("[intake] working_days is empty: no order could ever ship".into());
            }
            ship.working_days = days.into_iter().map(|DayName(d)| d).collect();
        }
        if let Some(ClockTime(t)) = self.last_truck {
            ship.end_of_day = t;
        }
        let c = self.cutoff;
        for (slot, given) in ship
            .cutoffs
            .iter_mut()
            .zip([c.low, c.normal, c.high, c.urgent])
        {
            if let Some(ClockTime(t)) = given {
                *slot = t;
            }
        }
        ship.channel_cutoffs = self
            .channel_cutoff
            .into_iter()
            .map(|(channel, ClockTime(t))| (channel, t))
            .collect();
        if ship.cutoffs.windows(2).any(|w| w[0] > w[1]) {
            return Err(
                "[intake] cutoff: a higher priority must not have an earlier cut-off (low ≤ normal ≤ high ≤ urgent)"
                    .into(),
            );
        }
        let late = ship
            .cutoffs
            .iter()
            .zip(Priority::ALL)
            .map(|(t, p)| (format!("cutoff.{}", p.as_str()), *t))
            .chain(
                ship.channel_cutoffs
                    .iter()
                    .map(|(c, t)| (format!("channel_cutoff.{c}"), *t)),
            )
            .find(|(_, t)| *t > ship.end_of_day);
        if let Some((name, t)) = late {
            return Err(format!(
                "[intake] {name} is {}, after the last truck at {}",
                t.strftime("%H:%M"),
                ship.end_of_day.strftime("%H:%M")
            ));
        }
        policy.timezone = self.timezone;
        Ok(policy)
    }
}

/// A percentage written as `"1%"` or `"0.25%"`, kept in basis points.
#[derive(Debug)]
struct Percent(u32);

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_percent(&text).map(Percent).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a percentage between \"0%\" and \"100%\" (e.g. \"1.5%\")"
            ))
        })
    }
}

fn parse_percent(text: &str) -> Option<u32> {
    let number = text.trim().strip_suffix('%')?.trim();
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty()
        || whole.len() > 3
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let hundredths: u32 = format!("{fraction:0<2}").parse().ok()?;
    let bp = whole * 100 + hundredths;
    (bp <= 10_000).then_some(bp)
}

/// A time of day written as `"HH:MM"`.
#[derive(Debug)]
pub(crate) struct ClockTime(pub(crate) Time);

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let parsed = text.split_once(':').and_then(|(h, m)| {
            let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
            if !two_digits(h) || !two_digits(m) {
                return None;
            }
            Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
        });
        parsed.map(ClockTime).ok_or_else(|| {
            serde::de::Error::custom(format!("{text:?} is not a time of day like \"14:30\""))
        })
    }
}

/// A weekday written as `"mon"` … `"sun"`.
#[derive(Debug)]
pub(crate) struct DayName(pub(crate) Weekday);

impl<'de> Deserialize<'de> for DayName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        let day = match text.to_ascii_lowercase().as_str() {
            "mon" => Weekday::Monday,
            "tue" => Weekday::Tuesday,
            "wed" => Weekday::Wednesday,
            "thu" => Weekday::Thursday,
            "fri" => Weekday::Friday,
            "sat" => Weekday::Saturday,
            "sun" => Weekday::Sunday,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "{text:?} is not a weekday; use mon, tue, wed, thu, fri, sat or sun"
                )));
            }
        };
        Ok(DayName(day))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<IntakePolicy, String> {
        let t: IntakeTable = toml::from_str(text).map_err(|e| e.message().to_string())?;
        t.policy()
    }

    #[test]
    fn ship_by_respects_cutoffs_and_weekends() {
        let policy = ShipByPolicy::standard(TimeZone::UTC);
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        // Tuesday before the cut-off: same day.
        assert_eq!(
            policy.ship_by(at("2026-11-24T10:00:00Z"), Priority::Normal, "web"),
            at("2026-11-24T17:30:00Z")
        );
        // Tuesday after the normal cut-off: Wednesday; but high priority still makes it.
        assert_eq!(
            policy.ship_by(at("2026-11-24T15:00:00Z"), Priority::Normal, "web"),
            at("2026-11-25T17:30:00Z")
        );
        assert_eq!(
            policy.ship_by(at("2026-11-24T15:00:00Z"), Priority::High, "web"),
            at("2026-11-24T17:30:00Z")
        );
        // Friday evening and Saturday: Monday.
        assert_eq!(
            policy.ship_by(at("2026-11-27T18:00:00Z"), Priority::Urgent, "web"),
            at("2026-11-30T17:30:00Z")
        );
        assert_eq!(
            policy.ship_by(at("2026-11-28T09:00:00Z"), Priority::Normal, "web"),
            at("2026-11-30T17:30:00Z")
        );
    }

    #[test]
    fn a_channel_cutoff_extends_the_day_for_that_channel_only() {
        let policy = table("channel_cutoff = { marketplace = \"16:00\" }")
            .unwrap()
            .ship_by;
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let late = at("2026-11-24T15:00:00Z");
        assert_eq!(
            policy.ship_by(late, Priority::Normal, "marketplace"),
            at("2026-11-24T17:30:00Z")
        );
        assert_eq!(
            policy.ship_by(late, Priority::Normal, "web"),
            at("2026-11-25T17:30:00Z")
        );
        // An urgent order keeps its own, later cut-off on that channel too.
        assert_eq!(
            policy.ship_by(at("2026-11-24T16:20:00Z"), Priority::Urgent, "marketplace"),
            at("2026-11-24T17:30:00Z")
        );
    }

    #[test]
    fn the_table_sets_every_part_of_the_policy() {
        let p = table(
            r#"
            price_tolerance = "2.5%"
            when_short = "backorder"
            timezone = "Asia/Taipei"
            working_days = ["mon", "tue", "wed", "thu", "fri", "sat"]
            last_truck = "18:00"
            cutoff = { normal = "13:00" }
            "#,
        )
        .unwrap();
        assert_eq!(p.price_tolerance_bp, 250);
        assert_eq!(p.stock, StockPolicy::Backorder);
        assert_eq!(p.timezone.as_deref(), Some("Asia/Taipei"));
        assert_eq!(p.ship_by.working_days.len(), 6);
        assert_eq!(p.ship_by.end_of_day, Time::constant(18, 0, 0, 0));
        assert_eq!(p.ship_by.cutoffs[1], Time::constant(13, 0, 0, 0));
        assert_eq!(p.ship_by.cutoffs[0], Time::constant(12, 0, 0, 0));
        assert_eq!(table("").unwrap(), IntakePolicy::default());
    }

    #[test]
    fn bad_values_are_refused_with_the_reason() {
        for (text, expect) in [
            ("price_tolerance = \"1\"", "not a percentage"),
            ("price_tolerance = \"101%\"", "not a percentage"),
            ("price_tolerance = \"1.234%\"", "not a percentage"),
            ("price_tolerance = \"-1%\"", "not a percentage"),
            ("when_short = \"wait\"", "unknown variant"),
            ("last_truck = \"25:00\"", "not a time of day"),
            ("last_truck = \"5pm\"", "not a time of day"),
            ("working_days = [\"monday\"]", "not a weekday"),
            ("working_days = []", "working_days is empty"),
            (
                "cutoff = { high = \"18:00\", urgent = \"18:00\" }",
                "after the last truck",
            ),
            (
                "channel_cutoff = { shop = \"19:00\" }",
                "channel_cutoff.shop",
            ),
            ("cutoff = { asap = \"10:00\" }", "unknown field"),
            (
                "cutoff = { urgent = \"10:00\" }",
                "must not have an earlier cut-off",
            ),
            ("tolerance = \"1%\"", "unknown field"),
        ] {
            let err = table(text).unwrap_err();
            assert!(err.contains(expect), "{text}: {err}");
        }
    }

    #[test]
    fn percentages_parse_exactly() {
        assert_eq!(parse_percent("0%"), Some(0));
        assert_eq!(parse_percent("1%"), Some(100));
        assert_eq!(parse_percent(" 0.5 %"), Some(50));
        assert_eq!(parse_percent("100%"), Some(10_000));
        assert_eq!(parse_percent(".5%"), None);
        assert_eq!(parse_percent("1e2%"), None);
    }
}
