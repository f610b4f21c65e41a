//! The wire contract: request and response bodies, shared by server and client so the two
//! cannot drift. Times are RFC 3339 UTC strings; money is integer minor units.

pub mod auth;
pub mod catalog;
pub mod changes;
pub mod inventory;
pub mod order_csv;
pub mod orders;
pub mod packing;
pub mod picking;
pub mod problem;
pub mod service;
pub mod stocktake;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use auth::*;
pub use catalog::*;
pub use changes::*;
pub use inventory::*;
pub use orders::*;
pub use packing::*;
pub use picking::*;
pub use problem::*;
pub use service::*;
pub use stocktake::*;

/// Path prefix of every API route.
pub const PREFIX: &str = "/api/v1";

/// One page of a list. Pass `next_cursor` back as `cursor` to get the next page;
/// it is absent on the last page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MoneyBody {
    /// Integer minor units (cents).
    pub amount_minor: i64,
    /// ISO 4217 code.
    #[schema(value_type = String, example = "EUR")]
    pub currency: CurrencyCode,
}

/// A three-letter currency code on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CurrencyCode(pub crate::domain::money::Currency);

impl TryFrom<String> for CurrencyCode {
    type Error = crate::domain::money::BadCurrency;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        crate::domain::money::Currency::parse(&s).map(CurrencyCode)
    }
}

impl From<CurrencyCode> for String {
    fn from(c: CurrencyCode) -> String {
        c.0.as_str().to_string()
    }
}

impl From<crate::domain::money::Money> for MoneyBody {
    fn from(m: crate::domain::money::Money) -> Self {
        MoneyBody {
            amount_minor: m.minor,
            currency: CurrencyCode(m.currency),
        }
    }
}

impl From<MoneyBody> for crate::domain::money::Money {
    fn from(m: MoneyBody) -> Self {
        crate::domain::money::Money::new(m.amount_minor, m.currency.0)
    }
}

/// A password or token: on the wire the plain string, in `Debug` output never.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `presented` is this secret, in time that tells a caller neither where the two
    /// first differ nor whether their lengths agree: both sides are hashed to SHA-256 first,
    /// so the comparison always runs over 32 bytes, and `subtle` compares those without
    /// branching on them. An empty secret (one configured by mistake) matches nothing, not
    /// even an empty or missing header.
    pub fn matches(&self, presented: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        use subtle::ConstantTimeEq;
        let expected = Sha256::digest(self.0.as_bytes());
        let presented = Sha256::digest(presented);
        let same: bool = expected.as_slice().ct_eq(presented.as_slice()).into();
        same && !self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_travel_but_do_not_print() {
        let login = LoginRequest {
            username: "mei".into(),
            password: "hunter22".into(),
        };
        assert!(!format!("{login:?}").contains("hunter22"));
        let json = serde_json::to_value(&login).unwrap();
        assert_eq!(json["password"], "hunter22");
        let back: LoginRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back.password.expose(), "hunter22");
    }

    #[test]
    fn a_secret_matches_only_itself_whatever_the_length() {
        let secret = Secret::from("s3cret");
        assert!(secret.matches(b"s3cret"));
        assert!(!secret.matches(b"s3cres"), "differs in the last byte");
        assert!(!secret.matches(b"S3cret"), "differs in the first byte");
        assert!(!secret.matches(b"s3cre"), "a prefix");
        assert!(!secret.matches(b"s3cret!"), "longer");
        assert!(!secret.matches(b""));
        let utf8 = Secret::from("geheim-ß");
        assert!(utf8.matches("geheim-ß".as_bytes()));
        assert!(!utf8.matches(b"geheim-ss"));
    }

    #[test]
    fn an_empty_secret_matches_nothing() {
        let empty = Secret::from("");
        assert!(!empty.matches(b""));
        assert!(!empty.matches(b"anything"));
    }
}
