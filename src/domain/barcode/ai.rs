//! The application identifiers this warehouse reads, with the format of their data
//! (GS1 General Specifications, section 3).

/// How many characters of data follow the AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    Fixed(usize),
    /// Ends at a group separator (FNC1) or the end of the barcode.
    Variable {
        min: usize,
        max: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Digits,
    /// GS1 character set 82: letters, digits and `!"%&'()*+,-./:;<=>?_`.
    Cset82,
}

/// What the data means beyond its characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    Text,
    Gtin,
    /// An identifier ending in a GS1 check digit (SSCC, GLN).
    CheckDigit,
    Date,
    /// A family of four-digit AIs whose last digit (0–5) is the number of decimals.
    Measure,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ApplicationIdentifier {
    /// For a measure family the first three digits, e.g. `310` for 3100–3105.
    pub code: &'static str,
    pub title: &'static str,
    pub length: Length,
    pub charset: Charset,
    pub content: Content,
}

const fn ai(
    code: &'static str,
    title: &'static str,
    length: Length,
    charset: Charset,
    content: Content,
) -> ApplicationIdentifier {
    ApplicationIdentifier {
        code,
        title,
        length,
        charset,
        content,
    }
}

use Charset::{Cset82, Digits};
use Content::{CheckDigit, Date, Gtin, Measure, Text};
use Length::{Fixed, Variable};

const fn upto(max: usize) -> Length {
    Variable { min: 1, max }
}

/// AI codes are prefix-free, so the order of this table does not matter.
static TABLE: &[ApplicationIdentifier] = &[
    ai("00", "SSCC", Fixed(18), Digits, CheckDigit),
    ai("01", "GTIN", Fixed(14), Digits, Gtin),
    ai("02", "GTIN of contained items", Fixed(14), Digits, Gtin),
    ai("10", "batch/lot", upto(20), Cset82, Text),
    ai("11", "production date", Fixed(6), Digits, Date),
    ai("12", "due date", Fixed(6), Digits, Date),
    ai("13", "packaging date", Fixed(6), Digits, Date),
    ai("15", "best before date", Fixed(6), Digits, Date),
    ai("16", "sell by date", Fixed(6), Digits, Date),
    ai("17", "expiry date", Fixed(6), Digits, Date),
    ai("20", "variant", Fixed(2), Digits, Text),
    ai("21", "serial number", upto(20), Cset82, Text),
    ai("240", "additional product id", upto(30), Cset82, Text),
    ai("241", "customer part number", upto(30), Cset82, Text),
    // GS1's published pattern for AI 30 allows no digits at all (`\d{0,8}`), unlike AI 37.
    ai("30", "count", Variable { min: 0, max: 8 }, Digits, Text),
    ai("310", "net weight (kg)", Fixed(6), Digits, Measure),
    ai("311", "length (m)", Fixed(6), Digits, Measure),
    ai("312", "width (m)", Fixed(6), Digits, Measure),
    ai("313", "depth (m)", Fixed(6), Digits, Measure),
    ai("314", "area (m²)", Fixed(6), Digits, Measure),
    ai("315", "net volume (l)", Fixed(6), Digits, Measure),
    ai("316", "net volume (m³)", Fixed(6), Digits, Measure),
    ai("37", "count of contained items", upto(8), Digits, Text),
    ai("400", "customer order number", upto(30), Cset82, Text),
    ai("410", "ship to GLN", Fixed(13), Digits, CheckDigit),
    ai("420", "ship to postal code", upto(20), Cset82, Text),
    ai("8005", "price per unit of measure", Fixed(6), Digits, Text),
];

/// Element strings that are never followed by a group separator because their length is
/// known from the first two digits of the AI (GS1 General Specifications, figure 7.8.5-1):
/// prefix and length of AI plus data.
const PREDEFINED_LENGTH: &[(&str, usize)] = &[
    ("00", 20),
    ("01", 16),
    ("02", 16),
    ("03", 16),
    ("04", 18),
    ("11", 8),
    ("12", 8),
    ("13", 8),
    ("14", 8),
    ("15", 8),
    ("16", 8),
    ("17", 8),
    ("18", 8),
    ("19", 8),
    ("20", 4),
    ("31", 10),
    ("32", 10),
    ("33", 10),
    ("34", 10),
    ("35", 10),
    ("36", 10),
    ("41", 16),
];

impl ApplicationIdentifier {
    /// The AI at the start of `data` and its full code (e.g. `3102`), if it is one we know.
    pub fn at_start_of(data: &str) -> Option<(&'static ApplicationIdentifier, &str)> {
        TABLE.iter().find_map(|ai| {
            let rest = data.strip_prefix(ai.code)?;
            let code_len = match ai.content {
                Measure if rest.starts_with(['0', '1', '2', '3', '4', '5']) => ai.code.len() + 1,
                Measure => return None,
                _ => ai.code.len(),
            };
            Some((ai, data.get(..code_len)?))
        })
    }

    /// Whether a group separator must follow this element string when another one comes
    /// after it. Only AIs in the predefined-length table may do without.
    pub fn separator_required(code: &str) -> bool {
        !PREDEFINED_LENGTH
            .iter()
            .any(|(prefix, _)| code.starts_with(prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_two_three_and_four_digit_ais() {
        let code = |data| ApplicationIdentifier::at_start_of(data).map(|(_, code)| code);
        assert_eq!(code("0112345"), Some("01"));
        assert_eq!(code("400ABC"), Some("400"));
        assert_eq!(code("3102001234"), Some("3102"));
        assert_eq!(code("8005123456"), Some("8005"));
        assert_eq!(code("3106001234"), None, "only 0–5 decimals");
        assert_eq!(code("99"), None);
        assert_eq!(code("3"), None);
        assert_eq!(code("31é"), None);
        assert_eq!(code(""), None);
    }

    #[test]
    fn codes_are_prefix_free() {
        for a in TABLE {
            for b in TABLE {
                assert!(
                    a == b || !b.code.starts_with(a.code),
                    "{} {}",
                    a.code,
                    b.code
                );
            }
        }
    }

    #[test]
    fn table_agrees_with_the_predefined_lengths() {
        for ai in TABLE {
            let code_len = ai.code.len() + usize::from(ai.content == Measure);
            let predefined = PREDEFINED_LENGTH
                .iter()
                .find(|(prefix, _)| ai.code.starts_with(prefix));
            match (predefined, ai.length) {
                (Some((_, total)), Fixed(n)) => assert_eq!(code_len + n, *total, "{}", ai.code),
                (Some(_), Variable { .. }) => panic!("AI {} should be fixed", ai.code),
                (None, _) => {}
            }
        }
        assert!(!ApplicationIdentifier::separator_required("3103"));
        assert!(ApplicationIdentifier::separator_required("8005"));
        assert!(ApplicationIdentifier::separator_required("10"));
    }
}
