//! Dates on GS1 labels (AIs 11, 12, 13, 15, 16, 17): `YYMMDD` with a two-digit year.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("a date is 6 digits, YYMMDD")]
    Shape,
    #[error("month {0:02} does not exist")]
    Month(u8),
    #[error("day {day:02} does not exist in {year}-{month:02}")]
    Day { year: i32, month: u8, day: u8 },
}

/// A label date. Day `00` on a label means "some day that month", which counts as the
/// last day of it (best before end of month); `whole_month` remembers that it was `00`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gs1Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub whole_month: bool,
}

impl Gs1Date {
    /// Reads `YYMMDD`. The century is the one that puts the year within 49 years before
    /// and 50 years after `reference_year` (GS1 General Specifications, 7.12); the caller
    /// passes the current year, which keeps this module free of clocks.
    pub fn parse(yymmdd: &str, reference_year: i32) -> Result<Gs1Date, DateError> {
        let digits: [u8; 6] = yymmdd
            .bytes()
            .map(|b| b.wrapping_sub(b'0'))
            .collect::<Vec<_>>()
            .try_into()
            .map_err(|_| DateError::Shape)?;
        if digits.iter().any(|d| *d > 9) {
            return Err(DateError::Shape);
        }
        let [y1, y2, m1, m2, d1, d2] = digits;
        let year = full_year(y1 * 10 + y2, reference_year);
        let month = m1 * 10 + m2;
        let day = d1 * 10 + d2;
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        let last = last_day_of_month(year, month);
        if day > last {
            return Err(DateError::Day { year, month, day });
        }
        Ok(Gs1Date {
            year,
            month,
            day: if day == 0 { last } else { day },
            whole_month: day == 0,
        })
    }
}

impl fmt::Display for Gs1Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn full_year(yy: u8, reference_year: i32) -> i32 {
    let century = reference_year.saturating_sub(reference_year.rem_euclid(100));
    let diff = i32::from(yy) - reference_year.rem_euclid(100);
    let century = match diff {
        51.. => century.saturating_sub(100),
        ..=-50 => century.saturating_add(100),
        _ => century,
    };
    century.saturating_add(i32::from(yy))
}

fn last_day_of_month(year: i32, month: u8) -> u8 {
    match month {
        2 if year.rem_euclid(4) == 0
            && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0) =>
        {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(yymmdd: &str) -> Result<Gs1Date, DateError> {
        Gs1Date::parse(yymmdd, 2026)
    }

    #[test]
    fn century_window_is_49_back_and_50_ahead() {
        assert_eq!(date("760101").unwrap().year, 2076);
        assert_eq!(date("770101").unwrap().year, 1977);
        assert_eq!(date("000101").unwrap().year, 2000);
        assert_eq!(Gs1Date::parse("300101", 2080).unwrap().year, 2130);
        assert_eq!(Gs1Date::parse("310101", 2080).unwrap().year, 2031);
        assert_eq!(Gs1Date::parse("320101", 2080).unwrap().year, 2032);
        assert_eq!(Gs1Date::parse("990101", 2000).unwrap().year, 1999);
        // Nonsense reference years give nonsense years, not a crash.
        assert!(Gs1Date::parse("990101", i32::MAX).is_ok());
        assert!(Gs1Date::parse("010101", i32::MIN).is_ok());
    }

    #[test]
    fn day_00_is_the_last_day_of_the_month() {
        let d = date("250200").unwrap();
        assert_eq!((d.year, d.month, d.day, d.whole_month), (2025, 2, 28, true));
        assert_eq!(date("240200").unwrap().day, 29);
        assert_eq!(date("250400").unwrap().day, 30);
        assert_eq!(date("251200").unwrap().to_string(), "2025-12-31");
        assert!(!date("251231").unwrap().whole_month);
    }

    #[test]
    fn leap_years() {
        assert!(date("240229").is_ok());
        assert!(date("000229").is_ok(), "2000 is a leap year");
        assert_eq!(
            date("250229"),
            Err(DateError::Day {
                year: 2025,
                month: 2,
                day: 29
            })
        );
        // 2100 is not a leap year.
        assert!(Gs1Date::parse("000229", 2090).is_err());
    }

    #[test]
    fn faults() {
        assert_eq!(date("251301"), Err(DateError::Month(13)));
        assert_eq!(date("250001"), Err(DateError::Month(0)));
        assert_eq!(
            date("250431").unwrap_err().to_string(),
            "day 31 does not exist in 2025-04"
        );
        assert_eq!(
            date("251132").unwrap_err().to_string(),
            "day 32 does not exist in 2025-11"
        );
        assert_eq!(
            date("251301").unwrap_err().to_string(),
            "month 13 does not exist"
        );
        for bad in ["", "25010", "2501011", "25o101", "２５0101"] {
            assert_eq!(date(bad), Err(DateError::Shape), "{bad}");
        }
    }
}
