//! Measures on variable-measure labels (AIs 310n–316n): six digits, of which the last
//! digit of the AI says how many are decimals.

use std::fmt;

/// `mantissa` × 10^−`places`, kept exact: weights are money-relevant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal {
    pub mantissa: u64,
    pub places: u8,
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let places = usize::from(self.places);
        let digits = format!("{:0width$}", self.mantissa, width = places + 1);
        let (whole, fraction) = digits.split_at(digits.len() - places);
        if fraction.is_empty() {
            f.write_str(whole)
        } else {
            write!(f, "{whole}.{fraction}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_move_the_point() {
        let cases = [
            (361341, 0, "361341"),
            (361341, 2, "3613.41"),
            (201, 3, "0.201"),
            (5, 5, "0.00005"),
            (0, 1, "0.0"),
        ];
        for (mantissa, places, text) in cases {
            assert_eq!(Decimal { mantissa, places }.to_string(), text);
        }
    }
}
