//! Warehouse locations and their printed label codes, e.g. `A-03-02` (zone A, aisle 3, bin 2).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocationKind {
    Bin,
    Receiving,
    Shipping,
    Returns,
    Damaged,
}

impl LocationKind {
    pub const ALL: [LocationKind; 5] = [
        LocationKind::Bin,
        LocationKind::Receiving,
        LocationKind::Shipping,
        LocationKind::Returns,
        LocationKind::Damaged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Bin => "bin",
            LocationKind::Receiving => "receiving",
            LocationKind::Shipping => "shipping",
            LocationKind::Returns => "returns",
            LocationKind::Damaged => "damaged",
        }
    }

    pub fn parse(s: &str) -> Option<LocationKind> {
        LocationKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A bin label: zone letter(s), aisle and bin, each two digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BinCode {
    pub zone: String,
    pub aisle: u8,
    pub bin: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a bin code like A-03-02 (zone letters, aisle, bin)")]
pub struct BadBinCode(pub String);

impl BinCode {
    pub fn parse(s: &str) -> Result<BinCode, BadBinCode> {
        let bad = || BadBinCode(s.to_string());
        let mut parts = s.trim().split('-');
        let (Some(zone), Some(aisle), Some(bin), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let two_digits = |p: &str| {
            (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse::<u8>().ok())
                .flatten()
        };
        if zone.is_empty() || zone.len() > 3 || !zone.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        Ok(BinCode {
            zone: zone.to_string(),
            aisle: two_digits(aisle).ok_or_else(bad)?,
            bin: two_digits(bin).ok_or_else(bad)?,
        })
    }
}

impl fmt::Display for BinCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:02}-{:02}", self.zone, self.aisle, self.bin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_codes() {
        let code = BinCode::parse("A-03-02").unwrap();
        assert_eq!((code.zone.as_str(), code.aisle, code.bin), ("A", 3, 2));
        assert_eq!(code.to_string(), "A-03-02");
        for bad in [
            "A-3-02",
            "a-03-02",
            "A-03",
            "A-03-02-01",
            "-03-02",
            "A-0x-02",
            "ABCD-01-01",
        ] {
            assert!(BinCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn kinds_round_trip() {
        for k in LocationKind::ALL {
            assert_eq!(LocationKind::parse(k.as_str()), Some(k));
        }
    }
}
