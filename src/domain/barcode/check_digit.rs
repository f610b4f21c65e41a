//! The GS1 mod-10 check digit that GTINs, SSCCs and GLNs share.

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

/// The check digit printed on a label and the one its other digits call for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDigitMismatch {
    pub expected: u8,
    pub found: u8,
}

/// Compares the last digit of `code` with the check digit of the digits before it.
/// Callers check the shape first: a code that is not all digits yields `None` here.
pub(super) fn check_digit_mismatch(code: &str) -> Option<CheckDigitMismatch> {
    let (body, last) = code.split_at_checked(code.len().checked_sub(1)?)?;
    let found = last.bytes().next()?.checked_sub(b'0').filter(|d| *d <= 9)?;
    let expected = gs1_check_digit(body)?;
    (expected != found).then_some(CheckDigitMismatch { expected, found })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatch_names_both_digits() {
        assert_eq!(check_digit_mismatch("4006381333931"), None);
        assert_eq!(
            check_digit_mismatch("4006381333932"),
            Some(CheckDigitMismatch {
                expected: 1,
                found: 2
            })
        );
    }

    #[test]
    fn malformed_codes_are_left_to_the_caller() {
        for code in ["", "12x4", "123é"] {
            assert_eq!(check_digit_mismatch(code), None, "{code}");
        }
        assert_eq!(gs1_check_digit("12a"), None);
        assert_eq!(gs1_check_digit(""), Some(0));
    }
}
