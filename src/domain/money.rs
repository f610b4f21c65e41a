//! Money as integer minor units with an ISO 4217 currency; never floats.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency {0:?} is not a three-letter ISO 4217 code")]
pub struct BadCurrency(pub String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an amount in {currency} (e.g. {example})")]
pub struct BadAmount {
    pub text: String,
    pub currency: String,
    pub example: String,
}

impl Currency {
    pub const EUR: Currency = Currency(*b"EUR");

    pub fn parse(code: &str) -> Result<Currency, BadCurrency> {
        let bytes = code.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(BadCurrency(code.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters get in through `parse`.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Digits after the decimal point, per ISO 4217 for the currencies we sell in.
    pub fn minor_digits(&self) -> u32 {
        match self.as_str() {
            "JPY" | "KRW" | "TWD" => 0,
            _ => 2,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// The amount without currency, e.g. `1234.50`.
    pub fn amount(&self) -> String {
        let digits = self.currency.minor_digits();
        if digits == 0 {
            return self.minor.to_string();
        }
        let scale = 10i64.pow(digits);
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / scale as u64,
            abs % scale as u64,
            width = digits as usize
        )
    }
}

impl Money {
    /// An amount as a person types it: `12`, `12.5`, `12.50`, or `12,50`; never negative and
    /// never with more decimals than the currency has.
    pub fn parse_amount(text: &str, currency: Currency) -> Result<Money, BadAmount> {
        let bad = || BadAmount {
            text: text.to_string(),
            currency: currency.as_str().to_string(),
            example: Money::new(1250 * 10i64.pow(currency.minor_digits()) / 100, currency).amount(),
        };
        let digits = currency.minor_digits() as usize;
        let trimmed = text.trim();
        let (whole, fraction) = match trimmed.split_once(['.', ',']) {
            Some((w, f)) => (w, f),
            None => (trimmed, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > digits
        {
            return Err(bad());
        }
        let scale = 10i64.pow(digits as u32);
        let fraction_minor = format!("{fraction:0<digits$}");
        let minor = whole
            .parse::<i64>()
            .ok()
            .and_then(|w| w.checked_mul(scale))
            .and_then(|w| w.checked_add(fraction_minor.parse::<i64>().unwrap_or(0)))
            .ok_or_else(bad)?;
        Ok(Money::new(minor, currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount(), self.currency.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_minor_units() {
        assert_eq!(Money::new(123450, Currency::EUR).to_string(), "1234.50 EUR");
        assert_eq!(Money::new(-5, Currency::EUR).amount(), "-0.05");
        assert_eq!(
            Money::new(300, Currency::parse("TWD").unwrap()).amount(),
            "300"
        );
    }

    #[test]
    fn amounts_parse_as_people_type_them() {
        let eur = Currency::EUR;
        let twd = Currency::parse("TWD").unwrap();
        let minor = |t: &str, c| Money::parse_amount(t, c).map(|m| m.minor);
        assert_eq!(minor("12", eur), Ok(1200));
        assert_eq!(minor("12.5", eur), Ok(1250));
        assert_eq!(minor(" 12,05 ", eur), Ok(1205));
        assert_eq!(minor("0.01", eur), Ok(1));
        assert_eq!(minor("300", twd), Ok(300));
        for bad in [
            "",
            "-1",
            "1.234",
            "1.2.3",
            "abc",
            ".5",
            "1e3",
            "99999999999999999999",
        ] {
            assert!(Money::parse_amount(bad, eur).is_err(), "{bad:?}");
        }
        assert!(Money::parse_amount("3.5", twd).is_err());
        let e = Money::parse_amount("x", eur).unwrap_err();
        assert_eq!(e.to_string(), "\"x\" is not an amount in EUR (e.g. 12.50)");
    }

    #[test]
    fn currency_must_be_iso_shaped() {
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "USD");
    }
}
