//! AIM symbology identifiers (`]C1`, `]E0`, …) that scanners can put before the data, so
//! that the reader knows which kind of barcode was scanned.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Symbology {
    /// `]C1`
    Gs1Code128,
    /// `]e0`
    Gs1DataBar,
    /// `]d2`
    Gs1DataMatrix,
    /// `]Q3`
    Gs1Qr,
    /// `]E0`: EAN-13, UPC-A, or UPC-E.
    EanUpc,
    /// `]E4`
    Ean8,
    /// `]I0`, `]I1`: interleaved 2 of 5, as ITF-14 on cartons.
    Itf,
    /// Any other identifier, e.g. `]A0` (Code 39) or `]C0` (plain Code 128), as sent.
    Other(String),
}

impl Symbology {
    /// Splits a leading `]` + code letter + modifier off the scan.
    pub fn split(scan: &str) -> (Option<Symbology>, &str) {
        let mut chars = scan.chars();
        let (Some(']'), Some(code), Some(modifier)) = (chars.next(), chars.next(), chars.next())
        else {
            return (None, scan);
        };
        if !code.is_ascii_alphabetic() || !modifier.is_ascii_alphanumeric() {
            return (None, scan);
        }
        let symbology = match (code, modifier) {
            ('C', '1') => Symbology::Gs1Code128,
            ('e', '0') => Symbology::Gs1DataBar,
            ('d', '2') => Symbology::Gs1DataMatrix,
            ('Q', '3') => Symbology::Gs1Qr,
            ('E', '0') => Symbology::EanUpc,
            ('E', '4') => Symbology::Ean8,
            ('I', '0' | '1') => Symbology::Itf,
            _ => Symbology::Other(format!("]{code}{modifier}")),
        };
        (Some(symbology), chars.as_str())
    }

    /// Whether the data is a GS1 element string by definition of the symbology.
    pub fn carries_element_string(&self) -> bool {
        matches!(
            self,
            Symbology::Gs1Code128
                | Symbology::Gs1DataBar
                | Symbology::Gs1DataMatrix
                | Symbology::Gs1Qr
        )
    }

    /// Whether the data is a bare GTIN by definition of the symbology.
    pub fn carries_gtin(&self) -> bool {
        matches!(self, Symbology::EanUpc | Symbology::Ean8 | Symbology::Itf)
    }
}

impl fmt::Display for Symbology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Symbology::Gs1Code128 => "GS1-128",
            Symbology::Gs1DataBar => "GS1 DataBar",
            Symbology::Gs1DataMatrix => "GS1 DataMatrix",
            Symbology::Gs1Qr => "GS1 QR Code",
            Symbology::EanUpc => "EAN/UPC",
            Symbology::Ean8 => "EAN-8",
            Symbology::Itf => "ITF",
            Symbology::Other(aim) => aim,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_identifiers() {
        let cases = [
            ("]C1011234", Symbology::Gs1Code128),
            ("]e0011234", Symbology::Gs1DataBar),
            ("]d2011234", Symbology::Gs1DataMatrix),
            ("]Q3011234", Symbology::Gs1Qr),
            ("]E04006381333931", Symbology::EanUpc),
            ("]E496385074", Symbology::Ean8),
            ("]I110012345678902", Symbology::Itf),
            ("]A0TOTE-001", Symbology::Other("]A0".into())),
        ];
        for (scan, expected) in cases {
            let (symbology, rest) = Symbology::split(scan);
            assert_eq!(symbology, Some(expected), "{scan}");
            assert_eq!(rest, &scan[3..]);
        }
    }

    #[test]
    fn anything_else_is_data() {
        for scan in ["", "]", "]C", "C1011234", "]11", "]C-", "]é1", "]Cé"] {
            assert_eq!(Symbology::split(scan), (None, scan));
        }
        assert!(Symbology::Gs1Qr.carries_element_string());
        assert!(!Symbology::Other("]Q1".into()).carries_element_string());
        assert!(Symbology::Itf.carries_gtin());
        assert_eq!(Symbology::Other("]A0".into()).to_string(), "]A0");
        assert_eq!(Symbology::Gs1Code128.to_string(), "GS1-128");
    }
}
