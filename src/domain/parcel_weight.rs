//! Parcel weights as packers type them at the scale and as labels print them.
//!
//! Weights are kept in whole grams. Packers type kilograms ("1.25", "1,25", "2 kg") or
//! grams ("850g"); a bare number means kilograms because that is what scales show.

use thiserror::Error;

/// What one parcel may weigh at most, in grams.
pub const HEAVIEST_PARCEL: u64 = 70_000;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WeightError {
    #[error(
        "Type the weight as a number, such as 1.25 for kilograms or 850 g; \"{text}\" is not a weight."
    )]
    NotANumber { text: String },
    #[error("A weight cannot be negative.")]
    Negative,
    #[error("A parcel always weighs something, so 0 is not a weight.")]
    Zero,
    #[error("Kilograms take at most 3 decimals, because weights are kept in whole grams.")]
    TooManyDecimals,
    #[error("Grams are typed as a whole number, such as 850 g.")]
    FractionOfAGram,
    #[error("70 kg is the most one parcel may weigh.")]
    TooHeavy,
}

/// The weight in grams that a packer typed.
pub fn weight_from_text(text: &str) -> Result<u32, WeightError> {
    let typed = text.trim().to_lowercase();
    let (number, in_grams) = match typed.strip_suffix("kg") {
        Some(number) => (number, false),
        None => match typed.strip_suffix('g') {
            Some(number) => (number, true),
            None => (typed.as_str(), false),
        },
    };
    let number = number.trim_end();
    let (negative, number) = match number.strip_prefix('-') {
        Some(number) => (true, number),
        None => (false, number),
    };
    let (whole, fraction) = number.split_once(['.', ',']).unwrap_or((number, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return Err(WeightError::NotANumber {
            text: text.trim().to_owned(),
        });
    }
    if negative {
        return Err(WeightError::Negative);
    }
    let grams = if in_grams {
        if !fraction.is_empty() {
            return Err(WeightError::FractionOfAGram);
        }
        digits_value(whole)
    } else {
        if fraction.len() > 3 {
            return Err(WeightError::TooManyDecimals);
        }
        // "1.25" kg is 1250 g: the decimals padded to three digits are the grams.
        let grams_part = format!("{fraction:0<3}");
        digits_value(whole)
            .and_then(|kilograms| kilograms.checked_mul(1000))
            .zip(digits_value(&grams_part))
            .and_then(|(whole_grams, grams)| whole_grams.checked_add(grams))
    };
    match grams {
        Some(0) => Err(WeightError::Zero),
        Some(grams) if grams <= HEAVIEST_PARCEL => {
            u32::try_from(grams).map_err(|_| WeightError::TooHeavy)
        }
        _ => Err(WeightError::TooHeavy),
    }
}

/// The weight as printed on labels and offered for editing: grams below a kilogram,
/// otherwise kilograms with exactly as many decimals as the grams need.
pub fn weight_text(grams: u32) -> String {
    if grams < 1000 {
        return format!("{grams} g");
    }
    let decimals = format!("{:03}", grams % 1000);
    let decimals = decimals.trim_end_matches('0');
    if decimals.is_empty() {
        format!("{} kg", grams / 1000)
    } else {
        format!("{}.{decimals} kg", grams / 1000)
    }
}

/// The value of ASCII digits, or `None` when it is too large to be any parcel's weight.
fn digits_value(digits: &str) -> Option<u64> {
    digits.bytes().try_fold(0u64, |value, digit| {
        value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_what_packers_type() {
        let cases = [
            ("1.25", 1250),
            ("1,25", 1250),
            ("850g", 850),
            ("850 G", 850),
            ("0.85kg", 850),
            ("2 kg", 2000),
            (" 0,005 ", 5),
            (".5", 500),
            ("3.", 3000),
            ("070", 70_000),
        ];
        for (typed, grams) in cases {
            assert_eq!(weight_from_text(typed), Ok(grams), "{typed:?}");
        }
    }

    #[test]
    fn refuses_with_a_reason() {
        let cases = [
            ("0", WeightError::Zero),
            ("0,000 kg", WeightError::Zero),
            ("-1", WeightError::Negative),
            ("-850 g", WeightError::Negative),
            ("-0", WeightError::Negative),
            ("1.2345", WeightError::TooManyDecimals),
            ("850.5 g", WeightError::FractionOfAGram),
            ("70.001", WeightError::TooHeavy),
            ("99999999999999999999999 kg", WeightError::TooHeavy),
        ];
        for (typed, error) in cases {
            assert_eq!(weight_from_text(typed), Err(error), "{typed:?}");
        }
        for typed in [
            "", "kg", "-", "-abc", "abc", "1.2.3", "1 250", "1.5 lb", "½",
        ] {
            assert!(
                matches!(weight_from_text(typed), Err(WeightError::NotANumber { .. })),
                "{typed:?}"
            );
        }
        assert_eq!(
            weight_from_text("heavy").unwrap_err().to_string(),
            "Type the weight as a number, such as 1.25 for kilograms or 850 g; \"heavy\" is not a weight."
        );
        assert_eq!(
            weight_from_text("71").unwrap_err().to_string(),
            "70 kg is the most one parcel may weigh."
        );
    }

    #[test]
    fn prints_grams_below_a_kilogram_and_kilograms_above() {
        assert_eq!(weight_text(850), "850 g");
        assert_eq!(weight_text(1000), "1 kg");
        assert_eq!(weight_text(1250), "1.25 kg");
        assert_eq!(weight_text(1005), "1.005 kg");
    }

    proptest! {
        #[test]
        fn printed_weights_read_back(grams in 1u32..=70_000) {
            prop_assert_eq!(weight_from_text(&weight_text(grams)), Ok(grams));
            let kilograms = format!("{},{:03}", grams / 1000, grams % 1000);
            prop_assert_eq!(weight_from_text(&kilograms), Ok(grams));
        }

        #[test]
        fn any_text_is_read_or_refused(text in any::<String>()) {
            let _ = weight_from_text(&text);
        }
    }
}
