//! Barcode arithmetic. For now: the GS1 mod-10 check digit that EAN-8/EAN-13/UPC/GTIN share.

/// The GS1 check digit for the given digits (without the check digit itself).
/// Returns `None` if anything but ASCII digits is given.
pub fn gs1_check_digit(body: &str) -> Option<u8> {
    let mut sum = 0u32;
    // Weights alternate 3,1,3,… starting from the rightmost digit of the body.
    for (i, c) in body.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return None;
        }
        let d = u32::from(c - b'0');
        sum += if i % 2 == 0 { d * 3 } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
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
    let expected = gs1_check_digit(&code[..12]).ok_or_else(|| Ean13Error::Shape(code.into()))?;
    let found = code.as_bytes()[12] - b'0';
    if expected == found {
        Ok(())
    } else {
        Err(Ean13Error::CheckDigit { expected, found })
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
}
