//! Money as integer minor units with an ISO 4217 currency; never floats.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency {0:?} is not a three-letter ISO 4217 code")]
pub struct BadCurrency(pub String);

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
    fn currency_must_be_iso_shaped() {
        assert!(Currency::parse("eur").is_err());
        assert!(Currency::parse("EURO").is_err());
        assert_eq!(Currency::parse("USD").unwrap().as_str(), "USD");
    }
}
