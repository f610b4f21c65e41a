//! Business hours of the help desk, and SLA due times counted in working time only.
//!
//! The desk works on some weekdays, with one opening span per day (`open` to `close`, the
//! same every working day), in one time zone, except on holidays. Days, weekdays, holidays
//! and opening times are all *local* to that time zone. Each day's span is turned into
//! instants with the zone's rules on that very date, so across a daylight-saving change the
//! desk still opens at its local opening time; a span that contains the change itself is
//! one hour shorter or longer that day. A local time that does not exist (skipped by the
//! clocks going forward) means the moment just after the gap; a local time that happens
//! twice means the first time.
//!
//! Spans are half-open: the desk is open at `open` and closed from `close` on. Work that is
//! used up exactly at closing time is due at closing time that same day (9 hours from
//! Monday 09:00 with 09:00–18:00 is due Monday 18:00, not Tuesday 09:00), while a ticket
//! that arrives exactly at closing time waits for the next opening.
//!
//! Every search is bounded. [`BusinessHours::add`] gives up once the desk has been closed
//! for more than [`GIVE_UP_AFTER_DAYS`] calendar days in a row (only possible with a holiday
//! list that covers about a decade) and then returns the midnight that ends that stretch,
//! an instant about ten years after the last opening seen, which stands for "never". Near
//! the end of the calendar (year 9999) results saturate at [`Timestamp::MAX`].

use std::collections::BTreeSet;

use jiff::{
    SignedDuration, Timestamp,
    civil::{Date, Time, Weekday},
    tz::TimeZone,
};
use thiserror::Error;

/// How many calendar days in a row the desk may be closed before [`BusinessHours::add`]
/// stops looking for the next opening.
pub const GIVE_UP_AFTER_DAYS: u32 = 3660;

/// When the help desk works: some weekdays, one opening span per day, in one time zone, minus holidays.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    tz: TimeZone,
    schedule: Schedule,
}

#[derive(Debug, Clone, PartialEq)]
enum Schedule {
    /// Open round the clock, every day, no holidays.
    Always,
    Hours(Hours),
}

#[derive(Debug, Clone, PartialEq)]
struct Hours {
    /// Working weekdays, indexed by days from Monday.
    days: [bool; 7],
    open: Time,
    close: Time,
    holidays: BTreeSet<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BusinessHoursError {
    #[error("Business hours need at least one working day.")]
    NoWorkingDays,
    #[error(
        "The desk must close after it opens: closing at {close} is not after opening at {open}. \
         Hours that run past midnight are not supported."
    )]
    CloseNotAfterOpen { open: Time, close: Time },
}

/// A day's opening span lies outside the instants jiff can represent.
struct OutOfRange;

/// The longest run of days [`BusinessHours::stretch`] counts in one go.
const STRETCH_DAYS: i32 = 364;

/// Whole days `[first, end)` in which the desk keeps its civil hours exactly.
struct Stretch {
    /// The day after the run.
    end: Date,
    /// How many days the run has.
    days: u32,
    /// Midnight at the start of the first day.
    starts: Timestamp,
    /// Midnight at the start of `end`.
    ends: Timestamp,
    /// Business time in the run.
    work: SignedDuration,
}

impl BusinessHours {
    pub fn new(
        tz: TimeZone,
        days: &[Weekday],
        open: Time,
        close: Time,
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<BusinessHours, BusinessHoursError> {
        if close <= open {
            return Err(BusinessHoursError::CloseNotAfterOpen { open, close });
        }
        if days.is_empty() {
            return Err(BusinessHoursError::NoWorkingDays);
        }
        let mut working = [false; 7];
        for day in days {
            working[weekday_index(*day)] = true;
        }
        Ok(BusinessHours {
            tz,
            schedule: Schedule::Hours(Hours {
                days: working,
                open,
                close,
                holidays: holidays.into_iter().collect(),
            }),
        })
    }

    /// Round the clock, every day (for tests and for desks that never close).
    pub fn always(tz: TimeZone) -> BusinessHours {
        BusinessHours {
            tz,
            schedule: Schedule::Always,
        }
    }

    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// The instant at which `work` of business time has passed, counting from `start`.
    /// A start outside hours counts from the next opening. `work` <= 0 gives `start` itself.
    ///
    /// Work used up exactly at closing time is due at that closing time. See the module
    /// documentation for what happens when the desk stays closed for a decade.
    pub fn add(&self, start: Timestamp, work: SignedDuration) -> Timestamp {
        if work <= SignedDuration::ZERO {
            return start;
        }
        let hours = match &self.schedule {
            Schedule::Always => return start.saturating_add(work).unwrap_or(Timestamp::MAX),
            Schedule::Hours(hours) => hours,
        };
        let start_date = self.tz.to_datetime(start).date();
        // The day before too: its span may end after `start` only in freak zones, but
        // looking costs one step and never skips time.
        let mut day = start_date.yesterday().unwrap_or(start_date);
        let mut left = work;
        let mut closed_in_a_row = 0u32;
        // Days before this one are taken one at a time: the due time lies among them.
        let mut day_by_day_until = day;
        // Each pass moves `day` forward, and the calendar ends in 9999.
        loop {
            if day >= day_by_day_until
                && let Some(stretch) = self.stretch(hours, day, None)
                && stretch.starts >= start
            {
                if left > stretch.work {
                    left -= stretch.work;
                    closed_in_a_row = if stretch.work.is_zero() {
                        closed_in_a_row + stretch.days
                    } else {
                        0
                    };
                    day = stretch.end;
                    if closed_in_a_row > GIVE_UP_AFTER_DAYS {
                        return self.midnight(day).unwrap_or(Timestamp::MAX);
                    }
                    continue;
                }
                day_by_day_until = stretch.end;
            }
            match self.span_on(hours, day) {
                Ok(Some((open, close))) if close > open.max(start) => {
                    let from = open.max(start);
                    let available = close.duration_since(from);
                    if left <= available {
                        return from.saturating_add(left).unwrap_or(Timestamp::MAX);
                    }
                    left -= available;
                    closed_in_a_row = 0;
                }
                Err(OutOfRange) if day > start_date => return Timestamp::MAX,
                _ => closed_in_a_row += 1,
            }
            let Ok(next) = day.tomorrow() else {
                return Timestamp::MAX;
            };
            if closed_in_a_row > GIVE_UP_AFTER_DAYS {
                return self.midnight(next).unwrap_or(Timestamp::MAX);
            }
            day = next;
        }
    }

    /// Business time between two instants (negative when `to` is before `from`).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> SignedDuration {
        if to < from {
            return -self.between(to, from);
        }
        let hours = match &self.schedule {
            Schedule::Always => return to.duration_since(from),
            Schedule::Hours(hours) => hours,
        };
        let from_date = self.tz.to_datetime(from).date();
        let to_date = self.tz.to_datetime(to).date();
        let mut day = from_date.yesterday().unwrap_or(from_date);
        let mut total = SignedDuration::ZERO;
        // Bounded by the calendar days from `from` to `to`.
        while day <= to_date {
            if let Some(stretch) = self.stretch(hours, day, Some(to_date))
                && stretch.starts >= from
                && stretch.ends <= to
            {
                total += stretch.work;
                day = stretch.end;
                continue;
            }
            if let Ok(Some((open, close))) = self.span_on(hours, day) {
                let (lo, hi) = (open.max(from), close.min(to));
                if hi > lo {
                    total += hi.duration_since(lo);
                }
            }
            let Ok(next) = day.tomorrow() else { break };
            day = next;
        }
        total
    }

    /// Whether the desk is open at `at`.
    pub fn is_open(&self, at: Timestamp) -> bool {
        let hours = match &self.schedule {
            Schedule::Always => return true,
            Schedule::Hours(hours) => hours,
        };
        let date = self.tz.to_datetime(at).date();
        [date.yesterday().ok(), Some(date)]
            .into_iter()
            .flatten()
            .any(|day| {
                matches!(self.span_on(hours, day),
                    Ok(Some((open, close))) if open <= at && at < close)
            })
    }

    /// The opening span of local `day` as instants, or `None` when the desk is closed all day.
    fn span_on(
        &self,
        hours: &Hours,
        day: Date,
    ) -> Result<Option<(Timestamp, Timestamp)>, OutOfRange> {
        if !hours.days[weekday_index(day.weekday())] || hours.holidays.contains(&day) {
            return Ok(None);
        }
        let open = self.instant(day, hours.open)?;
        let close = self.instant(day, hours.close)?;
        Ok(Some((open, close)))
    }

    /// The longest run of whole days from `first` (up to [`STRETCH_DAYS`], and ending no
    /// later than the start of `last`) with no holiday and no change of UTC offset, so that
    /// every working day in it is open for exactly its civil span. `None` when there is no
    /// such run of at least one day. This lets long periods be counted a run at a time
    /// rather than a day at a time.
    fn stretch(&self, hours: &Hours, first: Date, last: Option<Date>) -> Option<Stretch> {
        let mut end = first
            .checked_add(jiff::Span::new().days(STRETCH_DAYS))
            .ok()?;
        if let Some(last) = last {
            end = end.min(last);
        }
        if let Some(holiday) = hours.holidays.range(first..).next() {
            end = end.min(*holiday);
        }
        if end <= first {
            return None;
        }
        let starts = self.midnight(first).ok()?;
        // Midnight must exist as such (not be skipped by a clock change) ...
        if self.tz.to_datetime(starts) != first.to_datetime(Time::midnight()) {
            return None;
        }
        let mut ends = self.midnight(end).ok()?;
        // ... and the offset must not change before the run ends.
        if let Some(change) = self.tz.following(starts).next().map(|t| t.timestamp())
            && change < ends
        {
            end = self.tz.to_datetime(change).date();
            if end <= first {
                return None;
            }
            ends = self.midnight(end).ok()?;
            if change < ends {
                return None;
            }
        }
        let days = u32::try_from(first.duration_until(end).as_hours() / 24).ok()?;
        let first_index = weekday_index(first.weekday());
        let working = |range: std::ops::Range<usize>| -> u32 {
            range
                .filter(|i| hours.days[(first_index + i) % 7])
                .count()
                .try_into()
                .unwrap_or(u32::MAX)
        };
        let working_days = (days / 7) * working(0..7) + working(0..(days % 7) as usize);
        let work = hours
            .open
            .duration_until(hours.close)
            .checked_mul(i32::try_from(working_days).ok()?)?;
        Some(Stretch {
            end,
            days,
            starts,
            ends,
            work,
        })
    }

    fn midnight(&self, day: Date) -> Result<Timestamp, OutOfRange> {
        self.instant(day, Time::midnight())
    }

    /// Local `time` on local `day`, with the zone's rules for that date.
    fn instant(&self, day: Date, time: Time) -> Result<Timestamp, OutOfRange> {
        self.tz
            .to_ambiguous_timestamp(day.to_datetime(time))
            .compatible()
            .map_err(|_| OutOfRange)
    }
}

fn weekday_index(day: Weekday) -> usize {
    // 0 for Monday through 6 for Sunday.
    day.to_monday_zero_offset().unsigned_abs() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    const WEEKDAYS: [Weekday; 5] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
    ];
    const EVERY_DAY: [Weekday; 7] = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ];

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap()
    }

    fn time(hour: i8, minute: i8) -> Time {
        Time::new(hour, minute, 0, 0).unwrap()
    }

    /// Local wall-clock time in `tz` as an instant.
    fn at(tz: &TimeZone, y: i16, m: i8, d: i8, hour: i8, minute: i8) -> Timestamp {
        date(y, m, d)
            .at(hour, minute, 0, 0)
            .to_zoned_datetime(tz.clone())
            .unwrap()
            .timestamp()
    }

    fn hours(h: i64) -> SignedDuration {
        SignedDuration::from_hours(h)
    }

    fn mins(m: i64) -> SignedDuration {
        SignedDuration::from_mins(m)
    }

    /// Mon–Fri 09:00–18:00 in Taipei, with the given holidays.
    fn taipei_office(holidays: &[Date]) -> BusinessHours {
        BusinessHours::new(
            zone("Asia/Taipei"),
            &WEEKDAYS,
            time(9, 0),
            time(18, 0),
            holidays.iter().copied(),
        )
        .unwrap()
    }

    fn berlin_office() -> BusinessHours {
        BusinessHours::new(
            zone("Europe/Berlin"),
            &WEEKDAYS,
            time(9, 0),
            time(18, 0),
            [],
        )
        .unwrap()
    }

    // 2026-06-01 is a Monday.

    #[test]
    fn friday_afternoon_ticket_is_due_monday_morning() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        assert_eq!(
            bh.add(at(&tz, 2026, 6, 5, 17, 0), hours(2)),
            at(&tz, 2026, 6, 8, 10, 0)
        );
    }

    #[test]
    fn weekend_ticket_counts_from_monday_opening() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        assert_eq!(
            bh.add(at(&tz, 2026, 6, 6, 11, 0), hours(1)),
            at(&tz, 2026, 6, 8, 10, 0)
        );
    }

    #[test]
    fn early_ticket_counts_from_opening() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        assert_eq!(
            bh.add(at(&tz, 2026, 6, 2, 8, 0), mins(30)),
            at(&tz, 2026, 6, 2, 9, 30)
        );
    }

    #[test]
    fn work_used_up_exactly_at_close_is_due_at_close_that_day() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        assert_eq!(
            bh.add(at(&tz, 2026, 6, 1, 9, 0), hours(9)),
            at(&tz, 2026, 6, 1, 18, 0)
        );
        assert_eq!(
            bh.add(at(&tz, 2026, 6, 5, 17, 0), hours(1)),
            at(&tz, 2026, 6, 5, 18, 0)
        );
        // One nanosecond more spills into the next opening.
        assert_eq!(
            bh.add(
                at(&tz, 2026, 6, 1, 9, 0),
                hours(9) + SignedDuration::from_nanos(1)
            ),
            at(&tz, 2026, 6, 2, 9, 0) + SignedDuration::from_nanos(1)
        );
    }

    #[test]
    fn ticket_arriving_at_close_waits_for_next_opening() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        assert_eq!(
            bh.add(at(&tz, 2026, 6, 1, 18, 0), mins(30)),
            at(&tz, 2026, 6, 2, 9, 30)
        );
    }

    #[test]
    fn no_work_is_due_at_the_start_even_when_closed() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        let saturday = at(&tz, 2026, 6, 6, 11, 0);
        assert_eq!(bh.add(saturday, SignedDuration::ZERO), saturday);
        assert_eq!(bh.add(saturday, hours(-3)), saturday);
        assert_eq!(bh.add(saturday, SignedDuration::MIN), saturday);
    }

    #[test]
    fn holidays_are_skipped() {
        // 2026-12-25 is a Friday.
        let bh = taipei_office(&[date(2026, 12, 25)]);
        let tz = bh.tz().clone();
        assert_eq!(
            bh.add(at(&tz, 2026, 12, 24, 17, 0), hours(2)),
            at(&tz, 2026, 12, 28, 10, 0)
        );
        assert!(!bh.is_open(at(&tz, 2026, 12, 25, 10, 0)));
        assert_eq!(
            bh.between(at(&tz, 2026, 12, 24, 0, 0), at(&tz, 2026, 12, 29, 0, 0)),
            hours(18)
        );
        // Without the holiday, Friday counts.
        let plain = taipei_office(&[]);
        assert_eq!(
            plain.add(at(&tz, 2026, 12, 24, 17, 0), hours(2)),
            at(&tz, 2026, 12, 25, 10, 0)
        );
    }

    #[test]
    fn dst_keeps_local_opening_hours() {
        // Berlin moves from +01:00 to +02:00 on Sunday 2026-03-29.
        let bh = berlin_office();
        let tz = bh.tz().clone();
        let friday = at(&tz, 2026, 3, 27, 17, 0);
        let due = bh.add(friday, hours(2));
        assert_eq!(due, at(&tz, 2026, 3, 30, 10, 0));
        assert_eq!(due.to_string(), "2026-03-30T08:00:00Z");
        assert_eq!(bh.between(friday, due), hours(2));
        assert!(bh.is_open("2026-03-30T07:00:00Z".parse().unwrap()));
        assert!(!bh.is_open("2026-03-30T06:59:59Z".parse().unwrap()));
        // And back to +01:00 on Sunday 2026-10-25.
        let due = bh.add(at(&tz, 2026, 10, 23, 17, 0), hours(2));
        assert_eq!(due.to_string(), "2026-10-26T09:00:00Z");
    }

    #[test]
    fn a_span_containing_the_clock_change_is_shorter_or_longer() {
        // Open 01:00–05:00 every day; the clocks jump 02:00 -> 03:00 on 2026-03-29 and
        // fall back 03:00 -> 02:00 on 2026-10-25.
        let tz = zone("Europe/Berlin");
        let bh = BusinessHours::new(tz.clone(), &EVERY_DAY, time(1, 0), time(5, 0), []).unwrap();
        let day = |m, d| bh.between(at(&tz, 2026, m, d, 0, 0), at(&tz, 2026, m, d, 23, 0));
        assert_eq!(day(3, 28), hours(4));
        assert_eq!(day(3, 29), hours(3));
        assert_eq!(day(3, 30), hours(4));
        assert_eq!(day(10, 25), hours(5));
        assert_eq!(
            bh.add(at(&tz, 2026, 3, 29, 1, 0), hours(3)),
            at(&tz, 2026, 3, 29, 5, 0)
        );
        assert_eq!(
            bh.add(at(&tz, 2026, 3, 29, 1, 0), hours(4)),
            at(&tz, 2026, 3, 30, 2, 0)
        );
    }

    #[test]
    fn is_open_follows_the_half_open_span() {
        let bh = taipei_office(&[date(2026, 6, 3)]);
        let tz = bh.tz().clone();
        assert!(!bh.is_open(at(&tz, 2026, 6, 1, 8, 59)));
        assert!(bh.is_open(at(&tz, 2026, 6, 1, 9, 0)));
        assert!(bh.is_open(at(&tz, 2026, 6, 1, 18, 0) - SignedDuration::from_nanos(1)));
        assert!(!bh.is_open(at(&tz, 2026, 6, 1, 18, 0)));
        assert!(!bh.is_open(at(&tz, 2026, 6, 3, 12, 0)));
        assert!(!bh.is_open(at(&tz, 2026, 6, 6, 12, 0)));
    }

    #[test]
    fn between_counts_only_open_time_and_is_signed() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        let friday = at(&tz, 2026, 6, 5, 17, 0);
        let monday = at(&tz, 2026, 6, 8, 10, 0);
        assert_eq!(bh.between(friday, monday), hours(2));
        assert_eq!(bh.between(monday, friday), hours(-2));
        assert_eq!(bh.between(friday, friday), SignedDuration::ZERO);
        // A whole week is five days of nine hours.
        assert_eq!(
            bh.between(at(&tz, 2026, 6, 1, 0, 0), at(&tz, 2026, 6, 8, 0, 0)),
            hours(45)
        );
    }

    #[test]
    fn always_is_plain_addition_across_dst() {
        let tz = zone("Europe/Berlin");
        let bh = BusinessHours::always(tz.clone());
        for start in [
            at(&tz, 2026, 3, 28, 12, 0),
            at(&tz, 2026, 10, 24, 23, 30),
            at(&tz, 2026, 6, 6, 3, 0),
        ] {
            for work in [
                mins(1),
                hours(24),
                hours(200),
                SignedDuration::from_nanos(7),
            ] {
                assert_eq!(bh.add(start, work), start + work);
                assert_eq!(bh.between(start, start + work), work);
                assert_eq!(bh.between(start + work, start), -work);
            }
            assert!(bh.is_open(start));
        }
        // 24 hours after Saturday noon is 13:00 local on the short Sunday.
        let start = at(&tz, 2026, 3, 28, 12, 0);
        assert_eq!(bh.add(start, hours(24)), at(&tz, 2026, 3, 29, 13, 0));
        assert_eq!(
            bh.add(Timestamp::MAX, hours(1)),
            Timestamp::MAX,
            "saturates"
        );
    }

    #[test]
    fn close_must_be_after_open() {
        let tz = zone("Asia/Taipei");
        for (open, close) in [(time(9, 0), time(9, 0)), (time(22, 0), time(6, 0))] {
            let err = BusinessHours::new(tz.clone(), &WEEKDAYS, open, close, []).unwrap_err();
            assert_eq!(err, BusinessHoursError::CloseNotAfterOpen { open, close });
            assert!(
                err.to_string().contains("must close after it opens"),
                "{err}"
            );
        }
    }

    #[test]
    fn at_least_one_working_day() {
        let err =
            BusinessHours::new(zone("Asia/Taipei"), &[], time(9, 0), time(18, 0), []).unwrap_err();
        assert_eq!(err, BusinessHoursError::NoWorkingDays);
        assert_eq!(
            err.to_string(),
            "Business hours need at least one working day."
        );
    }

    #[test]
    fn repeated_weekdays_are_harmless() {
        let tz = zone("Asia/Taipei");
        let twice = BusinessHours::new(
            tz.clone(),
            &[Weekday::Monday, Weekday::Monday],
            time(9, 0),
            time(18, 0),
            [],
        )
        .unwrap();
        let once = BusinessHours::new(tz, &[Weekday::Monday], time(9, 0), time(18, 0), []).unwrap();
        assert_eq!(twice, once);
    }

    #[test]
    fn a_desk_closed_for_a_decade_gives_up_far_in_the_future() {
        let tz = zone("Asia/Taipei");
        let first = date(2026, 6, 1);
        let closed: Vec<Date> = first.series(jiff::ToSpan::days(1)).take(4000).collect();
        let bh =
            BusinessHours::new(tz.clone(), &EVERY_DAY, time(9, 0), time(18, 0), closed).unwrap();
        let start = at(&tz, 2026, 6, 1, 10, 0);
        let due = bh.add(start, hours(1));
        assert!(due >= start + hours(24 * 3650), "{due}");
        assert!(due < at(&tz, 2037, 1, 1, 0, 0), "{due}");
        assert!(bh.add(start, hours(2)) >= due);
    }

    #[test]
    fn a_long_closure_under_the_limit_still_finds_the_opening() {
        let tz = zone("Asia/Taipei");
        let first = date(2026, 6, 1);
        let closed: Vec<Date> = first.series(jiff::ToSpan::days(1)).take(3000).collect();
        let reopening = first.checked_add(jiff::ToSpan::days(3000)).unwrap();
        let bh =
            BusinessHours::new(tz.clone(), &EVERY_DAY, time(9, 0), time(18, 0), closed).unwrap();
        let due = bh.add(at(&tz, 2026, 6, 1, 10, 0), hours(1));
        assert_eq!(
            due,
            at(
                &tz,
                reopening.year(),
                reopening.month(),
                reopening.day(),
                10,
                0
            )
        );
    }

    #[test]
    fn the_end_of_the_calendar_saturates() {
        let bh = taipei_office(&[]);
        let tz = bh.tz().clone();
        let start = at(&tz, 9999, 12, 1, 10, 0);
        assert_eq!(bh.add(start, hours(10_000)), Timestamp::MAX);
        // 9999-12-01 is a Wednesday; the last instant is 06:00 on Friday the 31st in Taipei,
        // so 8 hours that Wednesday and 21 full days after it.
        assert_eq!(bh.between(start, Timestamp::MAX), hours(8 + 9 * 21));
        let early = Timestamp::MIN + hours(24 * 30);
        assert!(bh.between(Timestamp::MIN, early) > SignedDuration::ZERO);
        assert!(!bh.is_open(Timestamp::MIN));
        assert!(!bh.is_open(Timestamp::MAX));
    }

    #[test]
    fn absurd_amounts_of_time_still_finish() {
        let tz = zone("Europe/Berlin");
        let bh = BusinessHours::new(
            tz,
            &[Weekday::Monday, Weekday::Friday],
            time(9, 0),
            time(18, 0),
            [date(2026, 12, 25)],
        )
        .unwrap();
        assert_eq!(bh.add(Timestamp::MIN, SignedDuration::MAX), Timestamp::MAX);
        let all = bh.between(Timestamp::MIN, Timestamp::MAX);
        assert!(all > hours(18_000_000), "{all:?}");
        assert_eq!(bh.between(Timestamp::MAX, Timestamp::MIN), -all);
    }

    /// Business time counted one day at a time, the slow obvious way.
    fn between_by_days(bh: &BusinessHours, from: Timestamp, to: Timestamp) -> SignedDuration {
        let Schedule::Hours(hours) = &bh.schedule else {
            return to.duration_since(from);
        };
        let mut day = bh.tz.to_datetime(from).date().yesterday().unwrap();
        let mut total = SignedDuration::ZERO;
        while day <= bh.tz.to_datetime(to).date() {
            if let Ok(Some((open, close))) = bh.span_on(hours, day) {
                let (lo, hi) = (open.max(from), close.min(to));
                if hi > lo {
                    total += hi.duration_since(lo);
                }
            }
            day = day.tomorrow().unwrap();
        }
        total
    }

    /// A start within ±60 days of 2026-06-01 (seconds and nanoseconds from then).
    fn around_june() -> impl Strategy<Value = SignedDuration> {
        (-60i64 * 86_400..60 * 86_400, 0i32..1_000_000_000)
            .prop_map(|(secs, nanos)| SignedDuration::new(secs, nanos))
    }

    /// Up to 200 hours of work, to the nanosecond.
    fn some_work() -> impl Strategy<Value = SignedDuration> {
        (0i64..200 * 3600, 0i32..1_000_000_000)
            .prop_map(|(secs, nanos)| SignedDuration::new(secs, nanos))
    }

    fn june_first(bh: &BusinessHours) -> Timestamp {
        at(bh.tz(), 2026, 6, 1, 0, 0)
    }

    proptest! {
        #[test]
        fn between_inverts_add_from_a_start_inside_hours(
            day in -60i64..=60,
            into_span in 0i64..9 * 3600,
            work in some_work(),
        ) {
            let bh = taipei_office(&[date(2026, 6, 19), date(2026, 4, 3)]);
            let d = date(2026, 6, 1).checked_add(jiff::ToSpan::days(day)).unwrap();
            let start = at(bh.tz(), d.year(), d.month(), d.day(), 9, 0)
                + SignedDuration::from_secs(into_span);
            prop_assume!(bh.is_open(start));
            let due = bh.add(start, work);
            prop_assert_eq!(bh.between(start, due), work);
            prop_assert_eq!(bh.between(due, start), -work);
        }

        #[test]
        fn between_inverts_add_from_any_start(start in around_june(), work in some_work()) {
            let bh = taipei_office(&[date(2026, 6, 19)]);
            let start = june_first(&bh) + start;
            let due = bh.add(start, work);
            prop_assert!(due >= start);
            prop_assert_eq!(bh.between(start, due), work);
            if work > SignedDuration::ZERO {
                // Work is due while open or exactly at a closing time.
                prop_assert!(bh.is_open(due - SignedDuration::from_nanos(1)));
            }
        }

        #[test]
        fn add_is_monotonic_in_work(start in around_june(), a in some_work(), b in some_work()) {
            let bh = taipei_office(&[date(2026, 6, 19)]);
            let start = june_first(&bh) + start;
            let (less, more) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(bh.add(start, less) <= bh.add(start, more));
        }

        #[test]
        fn counting_in_runs_matches_counting_by_days(
            zone_index in 0usize..4,
            opening in 0i8..12,
            length in 1i8..12,
            start in -800i64 * 86_400..800 * 86_400,
            range in 0i64..1000 * 86_400,
            holiday in 0i64..500,
            work in some_work(),
        ) {
            // Zones whose clocks change at 02:00, at midnight and at 24:00 and one that
            // never changes; spans that do and do not contain the change.
            let names = ["Europe/Berlin", "America/Havana", "America/Santiago", "Asia/Taipei"];
            let tz = zone(names[zone_index]);
            let holiday = date(2025, 6, 1).checked_add(jiff::ToSpan::days(holiday)).unwrap();
            let bh = BusinessHours::new(
                tz.clone(),
                &[Weekday::Monday, Weekday::Wednesday, Weekday::Thursday, Weekday::Sunday],
                time(opening, 0),
                time(opening + length, 30),
                [holiday],
            )
            .unwrap();
            let from = at(&tz, 2026, 1, 1, 0, 0) + SignedDuration::from_secs(start);
            let to = from + SignedDuration::from_secs(range);
            prop_assert_eq!(bh.between(from, to), between_by_days(&bh, from, to));
            let due = bh.add(from, work);
            prop_assert_eq!(between_by_days(&bh, from, due), work);
            if work > SignedDuration::ZERO {
                prop_assert!(bh.is_open(due - SignedDuration::from_nanos(1)));
            }
        }

        #[test]
        fn between_inverts_add_across_clock_changes(
            start in -400i64 * 86_400..400 * 86_400,
            work in some_work(),
        ) {
            // The span 01:00–05:00 contains Berlin's clock changes.
            let tz = zone("Europe/Berlin");
            let bh = BusinessHours::new(tz.clone(), &EVERY_DAY, time(1, 0), time(5, 0), [])
                .unwrap();
            let start = at(&tz, 2026, 6, 1, 0, 0) + SignedDuration::from_secs(start);
            let due = bh.add(start, work);
            prop_assert_eq!(bh.between(start, due), work);
        }
    }
}
