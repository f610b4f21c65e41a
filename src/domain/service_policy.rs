//! How the help desk works, from the `[service]` table of the rules file: business hours,
//! SLA times per priority, when to escalate, how long a resolved ticket may be reopened,
//! the refund amount above which a second person approves, and the return policy.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use super::business_hours::BusinessHours;
use super::intake_policy::{ClockTime, DayName};
use super::routing::Priority;
use super::ticket::SlaClock;

/// First response and resolution, in business time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTimes {
    pub first_response: SignedDuration,
    pub resolution: SignedDuration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServicePolicy {
    days: Vec<Weekday>,
    open: Time,
    close: Time,
    holidays: Vec<Date>,
    /// The hours in the warehouse's time zone (set with [`ServicePolicy::set_zone`]).
    pub hours: BusinessHours,
    sla: BTreeMap<Priority, SlaTimes>,
    /// A ticket this close to a deadline goes to the supervisor queue.
    pub escalate_before: SignedDuration,
    /// A customer's reply this long after resolution reopens; later, it starts a new ticket.
    pub reopen_within: SignedDuration,
    /// Refunds and replacements worth more than this (minor units) wait for a second person.
    pub approval_above_minor: i64,
    /// Days after delivery in which a return is accepted.
    pub return_window_days: i64,
    /// Said by auto-replies and canned replies as `{return.policy}`.
    pub return_policy: String,
}

impl Default for ServicePolicy {
    fn default() -> Self {
        let days = vec![
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
        ];
        let (open, close) = (Time::constant(9, 0, 0, 0), Time::constant(18, 0, 0, 0));
        let hours = BusinessHours::new(TimeZone::UTC, &days, open, close, [])
            .unwrap_or_else(|_| BusinessHours::always(TimeZone::UTC));
        let times = |first: i64, resolution: i64| SlaTimes {
            first_response: SignedDuration::from_hours(first),
            resolution: SignedDuration::from_hours(resolution),
        };
        ServicePolicy {
            days,
            open,
            close,
            holidays: Vec::new(),
            hours,
            sla: BTreeMap::from([
                (Priority::Urgent, times(1, 4)),
                (Priority::High, times(2, 8)),
                (Priority::Normal, times(4, 24)),
                (Priority::Low, times(8, 40)),
            ]),
            escalate_before: SignedDuration::from_mins(30),
            reopen_within: SignedDuration::from_hours(7 * 24),
            approval_above_minor: 5_000,
            return_window_days: 30,
            return_policy: "Unused items can be returned within 30 days of delivery for a full refund; we send a prepaid return label.".into(),
        }
    }
}

impl ServicePolicy {
    pub fn sla(&self, priority: Priority) -> SlaTimes {
        self.sla.get(&priority).copied().unwrap_or(SlaTimes {
            first_response: SignedDuration::from_hours(4),
            resolution: SignedDuration::from_hours(24),
        })
    }

    /// The deadlines of a ticket the customer opened at `asked`.
    pub fn clock(&self, priority: Priority, asked: Timestamp) -> SlaClock {
        let times = self.sla(priority);
        SlaClock {
            first_response_due: self.hours.add(asked, times.first_response),
            resolution_due: self.hours.add(asked, times.resolution),
            first_responded_at: None,
        }
    }

    /// Business hours are kept in the warehouse's time zone, known only once the whole
    /// rules file is read.
    pub fn set_zone(&mut self, tz: TimeZone) {
        if let Ok(hours) = BusinessHours::new(
            tz,
            &self.days,
            self.open,
            self.close,
            self.holidays.iter().copied(),
        ) {
            self.hours = hours;
        }
    }
}

/// `[service]` as written; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceTable {
    days: Option<Vec<DayName>>,
    open: Option<ClockTime>,
    close: Option<ClockTime>,
    #[serde(default)]
    holidays: Vec<Date>,
    #[serde(default)]
    sla: BTreeMap<Priority, SlaTable>,
    escalate_before: Option<Duration>,
    reopen_within: Option<Duration>,
    approval_above: Option<i64>,
    return_window_days: Option<i64>,
    return_policy: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaTable {
    first_response: Duration,
    resolution: Duration,
}

/// A duration written as `"30m"`, `"4h"`, `"1h 30m"` or `"7d"`.
#[derive(Debug, Clone, Copy)]
struct Duration(SignedDuration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map(Duration).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{text:?} is not a duration like \"30m\", \"4h\", \"1h 30m\" or \"7d\""
            ))
        })
    }
}

/// Days are 24 hours here: SLA and reopen windows are amounts of time, not dates.
fn parse_duration(text: &str) -> Option<SignedDuration> {
    let mut total = SignedDuration::ZERO;
    let mut any = false;
    for part in text.split_whitespace() {
        let unit_at = part.find(|c: char| !c.is_ascii_digit())?;
        let (number, unit) = part.split_at(unit_at);
        let n: i64 = number.parse().ok().filter(|n| *n <= 100_000)?;
        let one = match unit {
            "d" => SignedDuration::from_hours(24),
            "h" => SignedDuration::from_hours(1),
            "m" | "min" => SignedDuration::from_mins(1),
            _ => return None,
        };
        total = total.checked_add(one.checked_mul(i32::try_from(n).ok()?)?)?;
        any = true;
    }
    (any && total > SignedDuration::ZERO).then_some(total)
}

impl ServiceTable {
    pub(crate) fn policy(self) -> Result<ServicePolicy, String> {
        let mut policy = ServicePolicy::default();
        if let Some(days) = self.days {
            policy.days = days.into_iter().map(|DayName(d)| d).collect();
        }
        if let Some(ClockTime(t)) = self.open {
            policy.open = t;
        }
        if let Some(ClockTime(t)) = self.close {
            policy.close = t;
        }
        policy.holidays = self.holidays;
        policy.hours = BusinessHours::new(
            TimeZone::UTC,
            &policy.days,
            policy.open,
            policy.close,
            policy.holidays.iter().copied(),
        )
        .map_err(|e| format!("[service] {e}"))?;
        for (priority, times) in self.sla {
            if times.resolution.0 < times.first_response.0 {
                return Err(format!(
                    "[service] sla.{}: resolution must not come before the first response",
                    priority.as_str()
                ));
            }
            policy.sla.insert(
                priority,
                SlaTimes {
                    first_response: times.first_response.0,
                    resolution: times.resolution.0,
                },
            );
        }
        if let Some(Duration(d)) = self.escalate_before {
            policy.escalate_before = d;
        }
        if let Some(Duration(d)) = self.reopen_within {
            policy.reopen_within = d;
        }
        if let Some(limit) = self.approval_above {
            if limit < 0 {
                return Err(
                    "[service] approval_above must be 0 or more (minor units, e.g. cents)".into(),
                );
            }
            policy.approval_above_minor = limit;
        }
        if let Some(days) = self.return_window_days {
            if !(0..=3650).contains(&days) {
                return Err("[service] return_window_days must be between 0 and 3650".into());
            }
            policy.return_window_days = days;
        }
        if let Some(text) = self.return_policy {
            if text.trim().is_empty() {
                return Err("[service] return_policy is empty".into());
            }
            policy.return_policy = text.trim().to_string();
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Result<ServicePolicy, String> {
        let t: ServiceTable = toml::from_str(text).map_err(|e| e.message().to_string())?;
        t.policy()
    }

    #[test]
    fn durations_read_like_people_write_them() {
        assert_eq!(parse_duration("30m"), Some(SignedDuration::from_mins(30)));
        assert_eq!(
            parse_duration("1h 30m"),
            Some(SignedDuration::from_mins(90))
        );
        assert_eq!(parse_duration("7d"), Some(SignedDuration::from_hours(168)));
        for bad in ["", "0m", "h", "5 h", "-3h", "3w", "99999999999h"] {
            assert_eq!(parse_duration(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_table_overrides_defaults_and_refuses_nonsense() {
        let p = table(
            r#"
            open = "08:00"
            close = "17:00"
            approval_above = 10000
            [sla.urgent]
            first_response = "30m"
            resolution = "2h"
            "#,
        )
        .unwrap();
        assert_eq!(
            p.sla(Priority::Urgent).first_response,
            SignedDuration::from_mins(30)
        );
        assert_eq!(
            p.sla(Priority::Low).resolution,
            SignedDuration::from_hours(40)
        );
        assert_eq!(p.approval_above_minor, 10_000);
        let err = table("open = \"18:00\"\nclose = \"09:00\"").unwrap_err();
        assert!(err.contains("[service]"), "{err}");
        let err = table("[sla.high]\nfirst_response = \"4h\"\nresolution = \"1h\"").unwrap_err();
        assert!(err.contains("sla.high"), "{err}");
        assert!(table("days = []").is_err());
        assert!(table("approval_above = -1").is_err());
        assert!(table("nonsense = 1").is_err());
    }
}
