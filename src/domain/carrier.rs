//! Tracking numbers for the parcels we hand over to carriers.
//!
//! Every carrier in the server configuration describes what its tracking numbers look
//! like. The store keeps one sequence counter per carrier and asks
//! [`TrackingFormat::number`] to turn the next sequence into a tracking number; at
//! handover the packer scans the parcel label and [`TrackingFormat::read_scan`] says
//! whether the scan is a tracking number of that carrier.
//!
//! Two check digits are supported: `mod10`, the GS1 check digit (weights 3 and 1 from
//! the right), and `s10`, the check digit of the UPU S10 standard for international
//! postal items such as `RR287043775IN`.

use serde::Deserialize;
use thiserror::Error;

/// One carrier as configured in a `[carriers.<code>]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CarrierSettings {
    /// Printed on the label, e.g. "DHL Express".
    pub name: String,
    /// Printed next to the name, e.g. "Paket".
    pub service: Option<String>,
    pub tracking: TrackingFormat,
    /// Where customers follow a parcel; `{tracking}` stands for the tracking number.
    pub tracking_url: Option<String>,
    /// Days a parcel usually travels, for the expected delivery date customers are told.
    #[serde(default = "default_transit_days")]
    pub transit_days: u8,
}

fn default_transit_days() -> u8 {
    2
}

/// The shape of a carrier's tracking numbers: prefix, serial, check digit, suffix.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingFormat {
    #[serde(default)]
    pub prefix: String,
    /// How many digits the zero-padded serial has; this fixes the carrier's range.
    pub digits: u8,
    #[serde(default)]
    pub check: CheckDigit,
    #[serde(default)]
    pub suffix: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
pub enum CheckDigit {
    #[default]
    #[serde(rename = "none")]
    None,
    /// GS1 mod 10 over the serial: weights 3 and 1, starting with 3 at the rightmost digit.
    #[serde(rename = "mod10")]
    Mod10,
    /// UPU S10: 2 capital letters, 8 digits, a mod 11 check digit, 2-letter country code.
    #[serde(rename = "s10")]
    Mod11S10,
}

/// A carrier configuration that cannot produce sensible tracking numbers.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CarrierConfigError {
    #[error("A carrier needs a name, because the name is printed on every parcel label.")]
    NameMissing,
    #[error("Tracking numbers need between 4 and 20 digits; {digits} digits are not possible.")]
    DigitsOutOfRange { digits: u8 },
    #[error(
        "The tracking number prefix \"{prefix}\" may only use the letters A to Z and the digits 0 to 9."
    )]
    PrefixNotAlphanumeric { prefix: String },
    #[error(
        "The tracking number suffix \"{suffix}\" may only use the letters A to Z and the digits 0 to 9."
    )]
    SuffixNotAlphanumeric { suffix: String },
    #[error(
        "s10 tracking numbers have a 2-letter prefix, 8 digits and a 2-letter country suffix, all letters capitals, as in RR287043775IN."
    )]
    NotS10Shape,
    #[error(
        "tracking_url {url:?} must start with https:// (or http://) and contain {{tracking}} where the tracking number goes"
    )]
    TrackingUrl { url: String },
    #[error("transit_days must be between 1 and 60, not {days}")]
    TransitDays { days: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TrackingError {
    #[error(
        "The carrier's range of tracking numbers, {first} to {last}, is used up: sequence {sequence} does not fit into {digits} digits. Ask the carrier for a new range."
    )]
    RangeUsedUp {
        sequence: u64,
        digits: u8,
        first: String,
        last: String,
    },
    #[error(transparent)]
    Misconfigured(#[from] CarrierConfigError),
}

impl CarrierSettings {
    /// The page where a customer follows this parcel.
    pub fn tracking_link(&self, tracking_no: &str) -> Option<String> {
        self.tracking_url
            .as_ref()
            .map(|u| u.replace("{tracking}", tracking_no))
    }

    pub fn validate(&self) -> Result<(), CarrierConfigError> {
        if self.name.trim().is_empty() {
            return Err(CarrierConfigError::NameMissing);
        }
        if let Some(url) = &self.tracking_url
            && !((url.starts_with("https://") || url.starts_with("http://"))
                && url.contains("{tracking}"))
        {
            return Err(CarrierConfigError::TrackingUrl { url: url.clone() });
        }
        if !(1..=60).contains(&self.transit_days) {
            return Err(CarrierConfigError::TransitDays {
                days: self.transit_days,
            });
        }
        self.tracking.validate()
    }
}

impl TrackingFormat {
    pub fn validate(&self) -> Result<(), CarrierConfigError> {
        if !(4..=20).contains(&self.digits) {
            return Err(CarrierConfigError::DigitsOutOfRange {
                digits: self.digits,
            });
        }
        if !self.prefix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CarrierConfigError::PrefixNotAlphanumeric {
                prefix: self.prefix.clone(),
            });
        }
        if !self.suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CarrierConfigError::SuffixNotAlphanumeric {
                suffix: self.suffix.clone(),
            });
        }
        let two_capitals =
            |text: &str| text.len() == 2 && text.bytes().all(|b| b.is_ascii_uppercase());
        if self.check == CheckDigit::Mod11S10
            && !(two_capitals(&self.prefix) && self.digits == 8 && two_capitals(&self.suffix))
        {
            return Err(CarrierConfigError::NotS10Shape);
        }
        Ok(())
    }

    /// The tracking number for the carrier's `sequence`-th parcel.
    pub fn number(&self, sequence: u64) -> Result<String, TrackingError> {
        // Checked here as well, so a format that skipped config validation cannot hand out
        // numbers the carrier would reject.
        self.validate()?;
        // 10^20 does not fit into u64, but then every u64 fits into the serial.
        if let Some(capacity) = 10u64.checked_pow(u32::from(self.digits))
            && sequence >= capacity
        {
            return Err(TrackingError::RangeUsedUp {
                sequence,
                digits: self.digits,
                first: self.compose(&self.serial(0)),
                last: self.compose(&self.serial(capacity - 1)),
            });
        }
        Ok(self.compose(&self.serial(sequence)))
    }

    /// The tracking number in `scanned`, if it is one of this format.
    ///
    /// Scanners and typing packers add spaces, line ends and lower case letters, so those
    /// are forgiven; the number comes back spelled exactly as [`Self::number`] spells it.
    pub fn read_scan(&self, scanned: &str) -> Option<String> {
        let typed: String = scanned
            .chars()
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        if !typed.is_ascii() {
            return None;
        }
        let check_len = usize::from(self.check != CheckDigit::None);
        let serial_end = self.prefix.len() + usize::from(self.digits);
        if typed.len() != serial_end + check_len + self.suffix.len() {
            return None;
        }
        let (prefix, rest) = typed.split_at(self.prefix.len());
        let (serial, rest) = rest.split_at(usize::from(self.digits));
        let (check, suffix) = rest.split_at(check_len);
        let matches = prefix.eq_ignore_ascii_case(&self.prefix)
            && suffix.eq_ignore_ascii_case(&self.suffix)
            && serial.bytes().all(|b| b.is_ascii_digit())
            && self.check.of(serial).map(String::from).unwrap_or_default() == check;
        matches.then(|| self.compose(serial))
    }

    fn serial(&self, sequence: u64) -> String {
        format!("{sequence:0width$}", width = usize::from(self.digits))
    }

    fn compose(&self, serial: &str) -> String {
        let check = self.check.of(serial).map(String::from).unwrap_or_default();
        format!("{}{serial}{check}{}", self.prefix, self.suffix)
    }
}

impl CheckDigit {
    /// The check digit of `serial`, which holds ASCII digits only.
    fn of(self, serial: &str) -> Option<char> {
        let digits = serial.bytes().map(|b| u32::from(b - b'0'));
        let check = match self {
            CheckDigit::None => return None,
            CheckDigit::Mod10 => {
                let sum: u32 = digits
                    .rev()
                    .zip([3, 1].into_iter().cycle())
                    .map(|(digit, weight)| digit * weight)
                    .sum();
                (10 - sum % 10) % 10
            }
            CheckDigit::Mod11S10 => {
                let sum: u32 = digits
                    .zip([8, 6, 4, 2, 3, 5, 9, 7])
                    .map(|(digit, weight)| digit * weight)
                    .sum();
                match 11 - sum % 11 {
                    10 => 0,
                    11 => 5,
                    check => check,
                }
            }
        };
        char::from_digit(check, 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as ValueError;

    fn format(prefix: &str, digits: u8, check: CheckDigit, suffix: &str) -> TrackingFormat {
        TrackingFormat {
            prefix: prefix.into(),
            digits,
            check,
            suffix: suffix.into(),
        }
    }

    fn india_post() -> TrackingFormat {
        format("RR", 8, CheckDigit::Mod11S10, "IN")
    }

    #[test]
    fn s10_matches_published_identifiers() {
        // RR287043775IN is the registered-mail label pictured in Wikipedia's S10 article;
        // its sum is 231, a multiple of 11, so it also covers the "11 becomes 5" rule.
        assert_eq!(india_post().number(28_704_377).unwrap(), "RR287043775IN");
        // The article's worked example: 47312482 sums to 200, check digit 11 - 2 = 9.
        assert_eq!(CheckDigit::Mod11S10.of("47312482"), Some('9'));
        // 4 × 3 = 12 leaves 1, so the check would be 10, which the standard writes as 0.
        assert_eq!(CheckDigit::Mod11S10.of("00004000"), Some('0'));
    }

    #[test]
    fn mod10_matches_published_gs1_numbers() {
        // EAN-13 of Wikipedia's article, and the example of GS1's check digit calculator.
        let ean = format("", 12, CheckDigit::Mod10, "");
        assert_eq!(ean.number(400_638_133_393).unwrap(), "4006381333931");
        assert_eq!(ean.number(629_104_150_021).unwrap(), "6291041500213");
    }

    #[test]
    fn numbers_are_zero_padded_between_prefix_and_suffix() {
        let plain = format("JD", 6, CheckDigit::None, "X1");
        assert_eq!(plain.number(42).unwrap(), "JD000042X1");
    }

    #[test]
    fn used_up_range_says_which_range() {
        let err = format("PK", 4, CheckDigit::Mod10, "")
            .number(10_000)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The carrier's range of tracking numbers, PK00000 to PK99998, is used up: \
             sequence 10000 does not fit into 4 digits. Ask the carrier for a new range."
        );
        assert!(
            format("", 20, CheckDigit::Mod10, "")
                .number(u64::MAX)
                .is_ok()
        );
    }

    #[test]
    fn validation_explains_what_is_wrong() {
        let s10_wrong = [
            format("R", 8, CheckDigit::Mod11S10, "IN"),
            format("RR", 9, CheckDigit::Mod11S10, "IN"),
            format("rr", 8, CheckDigit::Mod11S10, "IN"),
            format("RR", 8, CheckDigit::Mod11S10, "I1"),
        ];
        for tracking in s10_wrong {
            assert_eq!(tracking.validate(), Err(CarrierConfigError::NotS10Shape));
            assert!(matches!(
                tracking.number(1),
                Err(TrackingError::Misconfigured(
                    CarrierConfigError::NotS10Shape
                ))
            ));
        }
        for digits in [3, 21] {
            let err = format("", digits, CheckDigit::None, "")
                .validate()
                .unwrap_err();
            assert_eq!(err, CarrierConfigError::DigitsOutOfRange { digits });
        }
        let err = format("1Z-", 10, CheckDigit::None, "")
            .validate()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "The tracking number prefix \"1Z-\" may only use the letters A to Z and the digits 0 to 9."
        );
        let err = format("", 10, CheckDigit::None, "Ü")
            .validate()
            .unwrap_err();
        assert!(matches!(
            err,
            CarrierConfigError::SuffixNotAlphanumeric { .. }
        ));
        let nameless = CarrierSettings {
            name: "  ".into(),
            service: None,
            tracking: india_post(),
            tracking_url: None,
            transit_days: 2,
        };
        assert_eq!(nameless.validate(), Err(CarrierConfigError::NameMissing));
        let linked = CarrierSettings {
            name: "India Post".into(),
            tracking_url: Some("https://track.example/?n={tracking}".into()),
            ..nameless.clone()
        };
        assert_eq!(
            linked.tracking_link("RR287043775IN").as_deref(),
            Some("https://track.example/?n=RR287043775IN")
        );
        let unlinked = CarrierSettings {
            tracking_url: Some("https://track.example/".into()),
            ..linked.clone()
        };
        assert!(matches!(
            unlinked.validate(),
            Err(CarrierConfigError::TrackingUrl { .. })
        ));
    }

    #[test]
    fn scans_are_forgiving_about_spacing_and_case_only() {
        let tracking = india_post();
        let read = |scan: &str| tracking.read_scan(scan);
        assert_eq!(read("RR287043775IN").as_deref(), Some("RR287043775IN"));
        assert_eq!(
            read(" rr 287 043 775 in\r\n").as_deref(),
            Some("RR287043775IN")
        );
        assert_eq!(read("RR287043776IN"), None, "wrong check digit");
        assert_eq!(read("RR287043775DE"), None, "other country");
        assert_eq!(read("RB287043775IN"), None, "other service");
        assert_eq!(read("RR28704377IN"), None, "check digit missing");
        assert_eq!(read("RR2870437７5IN"), None, "full-width digit");
        assert_eq!(read(""), None);
    }

    #[test]
    fn check_digit_names_in_configuration() {
        fn parse(name: &str) -> Result<CheckDigit, ValueError> {
            CheckDigit::deserialize(name.into_deserializer())
        }
        assert_eq!(parse("none").unwrap(), CheckDigit::None);
        assert_eq!(parse("mod10").unwrap(), CheckDigit::Mod10);
        assert_eq!(parse("s10").unwrap(), CheckDigit::Mod11S10);
        assert!(parse("mod11").is_err());
    }

    fn any_check() -> impl Strategy<Value = CheckDigit> {
        prop_oneof![
            Just(CheckDigit::None),
            Just(CheckDigit::Mod10),
            Just(CheckDigit::Mod11S10)
        ]
    }

    proptest! {
        #[test]
        fn every_number_handed_out_reads_back(check in any_check(), sequence in 0u64..100_000_000) {
            let tracking = match check {
                CheckDigit::Mod11S10 => india_post(),
                _ => format("JJD", 14, check, "DE"),
            };
            let number = tracking.number(sequence).unwrap();
            prop_assert_eq!(tracking.read_scan(&number), Some(number));
        }

        #[test]
        fn mod10_catches_every_single_mistyped_digit(
            sequence in 0u64..10_000_000_000,
            position in 0usize..10,
            change in 1u8..10,
        ) {
            let tracking = format("", 10, CheckDigit::Mod10, "");
            let mut typed = tracking.number(sequence).unwrap().into_bytes();
            typed[position] = b'0' + (typed[position] - b'0' + change) % 10;
            let typed = String::from_utf8(typed).unwrap();
            prop_assert_eq!(tracking.read_scan(&typed), None);
        }

        #[test]
        fn arbitrary_scans_never_panic(scan in any::<String>(), check in any_check()) {
            let _ = format("AB", 8, check, "CD").read_scan(&scan);
        }
    }
}
