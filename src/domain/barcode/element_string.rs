//! GS1 element strings, as GS1-128, GS1 DataMatrix, GS1 QR and DataBar carry them: AIs
//! with their data, one after the other, variable-length data ended by a group separator.

use std::fmt;

use super::ai::{ApplicationIdentifier, Charset, Content, Length};
use super::check_digit::check_digit_mismatch;
use super::date::{DateError, Gs1Date};
use super::gtin::{Gtin, GtinError};
use super::measure::Decimal;

/// The group separator (ASCII GS, 0x1D) that scanners send for FNC1.
pub const GROUP_SEPARATOR: char = '\u{1d}';

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ElementStringError {
    #[error("no AI in the barcode")]
    NoElements,
    #[error("unknown AI {start}…")]
    UnknownAi { start: String },
    #[error("AI {ai}: needs {needed} digits, got {got}")]
    TooShort {
        ai: String,
        needed: usize,
        got: usize,
    },
    #[error("AI {ai}: variable field longer than {max} (is a group separator missing?)")]
    TooLong { ai: String, max: usize },
    #[error("AI {ai}: value is missing")]
    Missing { ai: String },
    #[error("AI {ai}: only digits allowed, found {found:?}")]
    NotDigit { ai: String, found: char },
    #[error(
        "AI {ai}: character {found:?} is not allowed (letters, digits and !\"%&'()*+,-./:;<=>?_ are)"
    )]
    BadCharacter { ai: String, found: char },
    #[error("AI {ai}: check digit should be {expected}, not {found}")]
    CheckDigit { ai: String, expected: u8, found: u8 },
    #[error("AI {ai}: {fault}")]
    Gtin { ai: String, fault: GtinError },
    #[error("AI {ai}: {fault}")]
    Date { ai: String, fault: DateError },
}

/// What an element's data says, beyond its characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meaning {
    Text,
    Gtin(Gtin),
    Date(Gs1Date),
    Decimal(Decimal),
}

/// One AI with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// The full AI, e.g. `3102`.
    pub ai: String,
    pub title: &'static str,
    pub value: String,
    pub meaning: Meaning,
}

impl Element {
    /// The data as a person reads it: dates as `2027-05-31`, measures with their decimals.
    pub fn reading(&self) -> String {
        match &self.meaning {
            Meaning::Text | Meaning::Gtin(_) => self.value.clone(),
            Meaning::Date(date) => date.to_string(),
            Meaning::Decimal(decimal) => decimal.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementString {
    elements: Vec<Element>,
}

impl ElementString {
    /// Reads AIs and their data up to the end. `data` has no symbology identifier and
    /// uses [`GROUP_SEPARATOR`]; separators before an AI are skipped, since scanners send
    /// one for the leading FNC1 and some printers put one after fixed-length data too.
    /// `reference_year` decides the century of two-digit years (see [`Gs1Date::parse`]).
    pub fn parse(data: &str, reference_year: i32) -> Result<ElementString, ElementStringError> {
        let mut elements = Vec::new();
        let mut rest = data.trim_start_matches(GROUP_SEPARATOR);
        while !rest.is_empty() {
            let (ai, code) = ApplicationIdentifier::at_start_of(rest).ok_or_else(|| {
                ElementStringError::UnknownAi {
                    start: rest.chars().take(4).collect(),
                }
            })?;
            let after_ai = &rest[code.len()..];
            let field_end = after_ai.find(GROUP_SEPARATOR).unwrap_or(after_ai.len());
            let value = take_value(ai, code, &after_ai[..field_end])?;
            rest = after_ai[value.len()..].trim_start_matches(GROUP_SEPARATOR);
            elements.push(read_element(ai, code, value, reference_year)?);
        }
        if elements.is_empty() {
            return Err(ElementStringError::NoElements);
        }
        Ok(ElementString { elements })
    }

    pub fn elements(&self) -> &[Element] {
        &self.elements
    }

    /// The first element with this AI.
    pub fn get(&self, ai: &str) -> Option<&Element> {
        self.elements.iter().find(|e| e.ai == ai)
    }

    /// The trade item: AI 01, or else the contained items of AI 02.
    pub fn gtin(&self) -> Option<&Gtin> {
        ["01", "02"].into_iter().find_map(|ai| match self.get(ai) {
            Some(Element {
                meaning: Meaning::Gtin(gtin),
                ..
            }) => Some(gtin),
            _ => None,
        })
    }

    /// The logistic unit (pallet, parcel) this label is on.
    pub fn sscc(&self) -> Option<&str> {
        self.get("00").map(|e| e.value.as_str())
    }
}

/// Writes the element string as a printer encodes it: a group separator after every
/// element that needs one, except the last.
impl fmt::Display for ElementString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, element) in self.elements.iter().enumerate() {
            write!(f, "{}{}", element.ai, element.value)?;
            let last = i + 1 == self.elements.len();
            if !last && ApplicationIdentifier::separator_required(&element.ai) {
                write!(f, "{GROUP_SEPARATOR}")?;
            }
        }
        Ok(())
    }
}

/// The AI's data from the front of `field` (everything up to the next separator).
fn take_value<'a>(
    ai: &ApplicationIdentifier,
    code: &str,
    field: &'a str,
) -> Result<&'a str, ElementStringError> {
    let chars = field.chars().count();
    match ai.length {
        Length::Fixed(needed) => match field.char_indices().nth(needed) {
            Some((end, _)) => Ok(&field[..end]),
            None if chars == needed => Ok(field),
            None => Err(ElementStringError::TooShort {
                ai: code.to_string(),
                needed,
                got: chars,
            }),
        },
        Length::Variable { max, .. } if chars > max => Err(ElementStringError::TooLong {
            ai: code.to_string(),
            max,
        }),
        Length::Variable { min, .. } if chars < min => Err(ElementStringError::Missing {
            ai: code.to_string(),
        }),
        Length::Variable { .. } => Ok(field),
    }
}

fn read_element(
    ai: &'static ApplicationIdentifier,
    code: &str,
    value: &str,
    reference_year: i32,
) -> Result<Element, ElementStringError> {
    let named = || code.to_string();
    let allowed = |c: char| match ai.charset {
        Charset::Digits => c.is_ascii_digit(),
        Charset::Cset82 => c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c),
    };
    if let Some(found) = value.chars().find(|c| !allowed(*c)) {
        return Err(match ai.charset {
            Charset::Digits => ElementStringError::NotDigit { ai: named(), found },
            Charset::Cset82 => ElementStringError::BadCharacter { ai: named(), found },
        });
    }
    let meaning = match ai.content {
        Content::Text => Meaning::Text,
        Content::CheckDigit => match check_digit_mismatch(value) {
            Some(m) => {
                return Err(ElementStringError::CheckDigit {
                    ai: named(),
                    expected: m.expected,
                    found: m.found,
                });
            }
            None => Meaning::Text,
        },
        Content::Gtin => Meaning::Gtin(
            Gtin::parse(value).map_err(|fault| ElementStringError::Gtin { ai: named(), fault })?,
        ),
        Content::Date => Meaning::Date(
            Gs1Date::parse(value, reference_year)
                .map_err(|fault| ElementStringError::Date { ai: named(), fault })?,
        ),
        Content::Measure => Meaning::Decimal(Decimal {
            mantissa: value
                .bytes()
                .fold(0, |n, b| n * 10 + u64::from(b.wrapping_sub(b'0'))),
            places: code.bytes().last().map_or(0, |b| b.wrapping_sub(b'0')),
        }),
    };
    Ok(Element {
        ai: code.to_string(),
        title: ai.title,
        value: value.to_string(),
        meaning,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(data: &str) -> Result<ElementString, ElementStringError> {
        ElementString::parse(&data.replace('|', "\u{1d}"), 2026)
    }

    fn pairs(data: &str) -> Vec<(String, String)> {
        read(data)
            .unwrap_or_else(|e| panic!("{data}: {e}"))
            .elements()
            .iter()
            .map(|e| (e.ai.clone(), e.value.clone()))
            .collect()
    }

    fn fault(data: &str) -> String {
        read(data).map(|es| es.to_string()).unwrap_err().to_string()
    }

    #[test]
    fn fixed_fields_need_no_separator_and_variable_ones_end_at_one() {
        assert_eq!(
            pairs("010950110153000317270531|10ABC-1|2112|8005000150400PO"),
            [
                ("01".into(), "09501101530003".into()),
                ("17".into(), "270531".into()),
                ("10".into(), "ABC-1".into()),
                ("21".into(), "12".into()),
                ("8005".into(), "000150".into()),
                ("400".into(), "PO".into()),
            ]
        );
        // Separators at the start, doubled, or after fixed-length data are harmless.
        assert_eq!(pairs("|0109501101530003|"), pairs("0109501101530003"));
        assert_eq!(
            pairs("10A||21B"),
            [("10".into(), "A".into()), ("21".into(), "B".into())]
        );
        // AI 30 may be empty (GS1's own pattern says so); AI 37 may not.
        assert_eq!(pairs("30|10A")[0], ("30".into(), String::new()));
        assert_eq!(fault("37|10A"), "AI 37: value is missing");
    }

    #[test]
    fn meanings() {
        let es = read("0109501101530003172703003102036134|15240229").unwrap();
        assert_eq!(es.gtin().map(Gtin::gtin14), Some("09501101530003"));
        assert_eq!(es.sscc(), None);
        let reading = |ai| es.get(ai).map(Element::reading);
        assert_eq!(reading("17").as_deref(), Some("2027-03-31"));
        assert_eq!(reading("3102").as_deref(), Some("361.34"));
        assert_eq!(reading("15").as_deref(), Some("2024-02-29"));
        assert_eq!(es.get("3102").map(|e| e.title), Some("net weight (kg)"));
    }

    #[test]
    fn decimals_of_every_measure_family() {
        for (ai, title) in [
            ("310", "net weight (kg)"),
            ("311", "length (m)"),
            ("312", "width (m)"),
            ("313", "depth (m)"),
            ("314", "area (m²)"),
            ("315", "net volume (l)"),
            ("316", "net volume (m³)"),
        ] {
            for (places, value) in [
                "123450", "12345.0", "1234.50", "123.450", "12.3450", "1.23450",
            ]
            .iter()
            .enumerate()
            {
                let es = read(&format!("{ai}{places}123450")).unwrap();
                let element = &es.elements()[0];
                assert_eq!(element.title, title);
                assert_eq!(element.reading(), *value, "{ai}{places}");
                assert_eq!(
                    element.meaning,
                    Meaning::Decimal(Decimal {
                        mantissa: 123450,
                        places: places as u8
                    })
                );
            }
            assert!(fault(&format!("{ai}6123450")).starts_with("unknown AI"));
        }
    }

    #[test]
    fn day_00_and_leap_years_in_element_strings() {
        let es = read("1725020015240229").unwrap();
        let date = |ai| match es.get(ai).map(|e| &e.meaning) {
            Some(Meaning::Date(d)) => *d,
            other => panic!("{other:?}"),
        };
        assert_eq!((date("17").day, date("17").whole_month), (28, true));
        assert_eq!(date("15").to_string(), "2024-02-29");
        assert_eq!(fault("17250229"), "AI 17: day 29 does not exist in 2025-02");
    }

    #[test]
    fn every_fault_is_named() {
        let cases = [
            ("", "no AI in the barcode"),
            ("|||", "no AI in the barcode"),
            ("9912345", "unknown AI 9912…"),
            ("0109501101530003SO-1", "unknown AI SO-1…"),
            ("01095011015300", "AI 01: needs 14 digits, got 12"),
            ("010950110153|0003", "AI 01: needs 14 digits, got 10"),
            (
                "10ABCDEFGHIJKLMNOPQRSTU",
                "AI 10: variable field longer than 20 (is a group separator missing?)",
            ),
            (
                "30123456789",
                "AI 30: variable field longer than 8 (is a group separator missing?)",
            ),
            ("10", "AI 10: value is missing"),
            ("1725x231", "AI 17: only digits allowed, found 'x'"),
            (
                "10AB#C",
                "AI 10: character '#' is not allowed (letters, digits and !\"%&'()*+,-./:;<=>?_ are)",
            ),
            (
                "21Straße",
                "AI 21: character 'ß' is not allowed (letters, digits and !\"%&'()*+,-./:;<=>?_ are)",
            ),
            (
                "00123456789012345670",
                "AI 00: check digit should be 5, not 0",
            ),
            ("4101234567890120", "AI 410: check digit should be 8, not 0"),
            (
                "0109501101530004",
                "AI 01: GTIN-14 check digit should be 3, not 4",
            ),
            ("17251301", "AI 17: month 13 does not exist"),
            ("11250431", "AI 11: day 31 does not exist in 2025-04"),
        ];
        for (data, message) in cases {
            assert_eq!(fault(data), message, "{data}");
        }
    }

    #[test]
    fn written_back_with_separators_only_where_needed() {
        for data in [
            "010950110153000310ABC|17270531",
            "00123456789012345675400PO-7|8005000150|3102001234",
            "01095011015300033102001234",
        ] {
            assert_eq!(read(data).unwrap().to_string(), data.replace('|', "\u{1d}"));
        }
    }
}
