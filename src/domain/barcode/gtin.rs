//! Trade item numbers as printed under EAN/UPC and ITF-14 bars: EAN-8, UPC-E, UPC-A, EAN-13
//! and GTIN-14, all compared as the 14-digit GTIN the catalogue stores.

use std::fmt;

use serde::Serialize;

use super::check_digit::{check_digit_mismatch, gs1_check_digit};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum GtinKind {
    #[serde(rename = "ean-8")]
    Ean8,
    #[serde(rename = "upc-e")]
    UpcE,
    #[serde(rename = "upc-a")]
    UpcA,
    #[serde(rename = "ean-13")]
    Ean13,
    #[serde(rename = "gtin-14")]
    Gtin14,
}

impl fmt::Display for GtinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GtinKind::Ean8 => "EAN-8",
            GtinKind::UpcE => "UPC-E",
            GtinKind::UpcA => "UPC-A",
            GtinKind::Ean13 => "EAN-13",
            GtinKind::Gtin14 => "GTIN-14",
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GtinError {
    #[error("a GTIN has only digits, found {found:?}")]
    NotDigit { found: char },
    #[error("a GTIN has 8, 12, 13 or 14 digits, got {got}")]
    Length { got: usize },
    #[error("a UPC-E has 8 digits, got {got}")]
    UpcELength { got: usize },
    #[error("a UPC-E starts with number system 0 or 1, not {found}")]
    UpcENumberSystem { found: char },
    #[error("{kind} check digit should be {expected}, not {found}")]
    CheckDigit {
        kind: GtinKind,
        expected: u8,
        found: u8,
    },
}

/// A trade item number whose check digit is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gtin {
    kind: GtinKind,
    scanned: String,
    gtin14: String,
}

impl Gtin {
    /// Reads 8, 12, 13 or 14 digits. Eight digits are an EAN-8, or a UPC-E when only the
    /// UPC-E reading has a right check digit.
    pub fn parse(code: &str) -> Result<Gtin, GtinError> {
        only_digits(code)?;
        match code.len() {
            8 => Gtin::checked(GtinKind::Ean8, code, code).or_else(|as_ean8| {
                if code.starts_with(['0', '1']) {
                    Gtin::parse_upc_e(code).map_err(|_| as_ean8)
                } else {
                    Err(as_ean8)
                }
            }),
            12 => Gtin::checked(GtinKind::UpcA, code, code),
            13 => Gtin::checked(GtinKind::Ean13, code, code),
            14 => Gtin::checked(GtinKind::Gtin14, code, code),
            got => Err(GtinError::Length { got }),
        }
    }

    /// Reads an 8-digit UPC-E (number system, six digits, check digit); its check digit is
    /// that of the UPC-A it stands for.
    pub fn parse_upc_e(code: &str) -> Result<Gtin, GtinError> {
        only_digits(code)?;
        if code.len() != 8 {
            return Err(GtinError::UpcELength { got: code.len() });
        }
        let upc_a = expand_upc_e(code).ok_or_else(|| GtinError::UpcENumberSystem {
            found: code.chars().next().unwrap_or('?'),
        })?;
        Gtin::checked(GtinKind::UpcE, code, &upc_a)
    }

    fn checked(kind: GtinKind, scanned: &str, full: &str) -> Result<Gtin, GtinError> {
        if let Some(m) = check_digit_mismatch(full) {
            return Err(GtinError::CheckDigit {
                kind,
                expected: m.expected,
                found: m.found,
            });
        }
        Ok(Gtin {
            kind,
            scanned: scanned.to_string(),
            gtin14: format!("{full:0>14}"),
        })
    }

    pub fn kind(&self) -> GtinKind {
        self.kind
    }

    /// The digits as they were scanned.
    pub fn as_scanned(&self) -> &str {
        &self.scanned
    }

    /// The GTIN zero-padded to 14 digits (UPC-E expanded first), as the catalogue stores it.
    pub fn gtin14(&self) -> &str {
        &self.gtin14
    }

    /// Every way a catalogue may have written this GTIN (EAN-8, UPC-A, EAN-13, GTIN-14), as
    /// far as its leading zeros allow: a GS1-128 label's AI 01 finds the EAN-13 on file.
    pub fn catalogue_forms(&self) -> Vec<&str> {
        [8, 12, 13, 14]
            .into_iter()
            .filter(|n| self.gtin14[..14 - n].bytes().all(|b| b == b'0'))
            .map(|n| &self.gtin14[14 - n..])
            .collect()
    }

    /// Whether this scan is the trade item whose barcode the catalogue holds: an EAN-13 on
    /// the shelf and the same GTIN in a GS1-128 (AI 01) are one item.
    pub fn is_item(&self, catalogue_barcode: Option<&str>) -> bool {
        catalogue_barcode
            .and_then(|b| Gtin::parse(b).ok())
            .is_some_and(|g| g.gtin14 == self.gtin14)
    }
}

fn only_digits(code: &str) -> Result<(), GtinError> {
    match code.chars().find(|c| !c.is_ascii_digit()) {
        Some(found) => Err(GtinError::NotDigit { found }),
        None => Ok(()),
    }
}

/// The 12-digit UPC-A that an 8-digit UPC-E stands for (its check digit carried over), or
/// `None` unless given 8 digits starting with number system 0 or 1.
pub fn expand_upc_e(code: &str) -> Option<String> {
    let digits: [char; 8] = code.chars().collect::<Vec<_>>().try_into().ok()?;
    if !digits.iter().all(char::is_ascii_digit) {
        return None;
    }
    let [system @ ('0' | '1'), a, b, c, d, e, f, check] = digits else {
        return None;
    };
    // The last of the six digits says where the manufacturer code ends and which zeros
    // were suppressed (GS1 General Specifications, UPC-E).
    let middle = match f {
        '0'..='2' => [a, b, f, '0', '0', '0', '0', c, d, e],
        '3' => [a, b, c, '0', '0', '0', '0', '0', d, e],
        '4' => [a, b, c, d, '0', '0', '0', '0', '0', e],
        _ => [a, b, c, d, e, '0', '0', '0', '0', f],
    };
    Some(
        std::iter::once(system)
            .chain(middle)
            .chain([check])
            .collect(),
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Ean13Error {
    #[error("EAN-13 must be 13 digits, got {0:?}")]
    Shape(String),
    #[error("check digit should be {expected}, not {found}")]
    CheckDigit { expected: u8, found: u8 },
}

/// Validates a complete EAN-13 (12 digits + check digit).
pub fn validate_ean13(code: &str) -> Result<(), Ean13Error> {
    if code.len() != 13 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Ean13Error::Shape(code.to_string()));
    }
    match check_digit_mismatch(code) {
        Some(m) => Err(Ean13Error::CheckDigit {
            expected: m.expected,
            found: m.found,
        }),
        None => Ok(()),
    }
}

/// Completes 12 digits into an EAN-13 by appending the check digit.
pub fn complete_ean13(body12: &str) -> Option<String> {
    if body12.len() != 12 {
        return None;
    }
    gs1_check_digit(body12).map(|d| format!("{body12}{d}"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn catalogue_forms_follow_the_leading_zeros() {
        let ean13 = Gtin::parse("04712345000008").unwrap();
        assert_eq!(ean13.catalogue_forms(), ["4712345000008", "04712345000008"]);
        let upc = Gtin::parse("036000291452").unwrap();
        assert_eq!(
            upc.catalogue_forms(),
            ["036000291452", "0036000291452", "00036000291452"]
        );
        let case = Gtin::parse("14712345000005").unwrap();
        assert_eq!(case.catalogue_forms(), ["14712345000005"]);
    }

    use super::*;

    #[test]
    fn known_ean13_codes() {
        // Published examples.
        assert_eq!(validate_ean13("4006381333931"), Ok(()));
        assert_eq!(validate_ean13("9780201379624"), Ok(()));
        assert_eq!(
            validate_ean13("4006381333932"),
            Err(Ean13Error::CheckDigit {
                expected: 1,
                found: 2
            })
        );
        assert!(matches!(
            validate_ean13("40063813339"),
            Err(Ean13Error::Shape(_))
        ));
        assert!(matches!(
            validate_ean13("400638133393x"),
            Err(Ean13Error::Shape(_))
        ));
    }

    #[test]
    fn completes_bodies() {
        assert_eq!(
            complete_ean13("400638133393").as_deref(),
            Some("4006381333931")
        );
        assert_eq!(complete_ean13("12"), None);
        // EAN-8 uses the same rule.
        assert_eq!(gs1_check_digit("9638507"), Some(4));
    }

    fn read(code: &str) -> (GtinKind, String) {
        let gtin = Gtin::parse(code).unwrap_or_else(|e| panic!("{code}: {e}"));
        assert_eq!(gtin.as_scanned(), code);
        (gtin.kind(), gtin.gtin14().to_string())
    }

    #[test]
    fn every_kind_is_padded_to_fourteen_digits() {
        assert_eq!(read("96385074"), (GtinKind::Ean8, "00000096385074".into()));
        assert_eq!(
            read("036000291452"),
            (GtinKind::UpcA, "00036000291452".into())
        );
        assert_eq!(
            read("4006381333931"),
            (GtinKind::Ean13, "04006381333931".into())
        );
        assert_eq!(
            read("10012345678902"),
            (GtinKind::Gtin14, "10012345678902".into())
        );
        // 01234565 is a right EAN-8 as well as a right UPC-E; EAN-8 wins.
        assert_eq!(read("01234565"), (GtinKind::Ean8, "00000001234565".into()));
    }

    #[test]
    fn upc_e_is_read_through_its_upc_a() {
        let gtin = Gtin::parse_upc_e("01234565").unwrap();
        assert_eq!(
            (gtin.kind(), gtin.gtin14()),
            (GtinKind::UpcE, "00012345000065")
        );
        // Not a right EAN-8, but a right UPC-E.
        let upc_e = Gtin::parse("04252614").unwrap();
        assert_eq!(upc_e.kind(), GtinKind::UpcE);
        assert_eq!(upc_e.gtin14(), "00042100005264");
    }

    #[test]
    fn upc_e_expansion_follows_the_last_digit() {
        for (upc_e, upc_a) in [
            ("01234505", "012000003455"),
            ("01234515", "012100003455"),
            ("01234525", "012200003455"),
            ("01234535", "012300000455"),
            ("01234545", "012340000055"),
            ("01234555", "012345000055"),
            ("11234595", "112345000095"),
        ] {
            assert_eq!(expand_upc_e(upc_e).as_deref(), Some(upc_a), "{upc_e}");
        }
        for bad in ["21234565", "0123456", "012345678", "0123456x", "０1234565"] {
            assert_eq!(expand_upc_e(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_fault_is_named() {
        assert_eq!(
            Gtin::parse("4006381333932"),
            Err(GtinError::CheckDigit {
                kind: GtinKind::Ean13,
                expected: 1,
                found: 2
            })
        );
        assert_eq!(
            Gtin::parse("4006 38"),
            Err(GtinError::NotDigit { found: ' ' })
        );
        assert_eq!(Gtin::parse(""), Err(GtinError::Length { got: 0 }));
        assert_eq!(Gtin::parse("123456789"), Err(GtinError::Length { got: 9 }));
        assert_eq!(
            Gtin::parse_upc_e("0123456"),
            Err(GtinError::UpcELength { got: 7 })
        );
        assert_eq!(
            Gtin::parse_upc_e("21234565"),
            Err(GtinError::UpcENumberSystem { found: '2' })
        );
        assert_eq!(
            Gtin::parse_upc_e("01234566").map_err(|e| e.to_string()),
            Err("UPC-E check digit should be 5, not 6".into())
        );
        assert_eq!(
            Gtin::parse("72159010").map_err(|e| e.to_string()),
            Err("EAN-8 check digit should be 9, not 0".into())
        );
    }
}
