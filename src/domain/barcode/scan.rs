//! One scan from a barcode scanner (or typed at the keyboard), read for what it is: a
//! GTIN, a GS1 element string, or one of the warehouse's own labels.

use serde::{Deserialize, Serialize};

use super::element_string::{ElementString, ElementStringError, GROUP_SEPARATOR};
use super::gtin::{Gtin, GtinError};
use super::labels::{Label, LabelError, LabelKind, LabelPatterns};
use super::symbology::Symbology;
use super::wedge::KeyboardWedge;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScanError {
    #[error("nothing was scanned")]
    Empty,
    #[error("not a GTIN, a GS1 barcode or a label this warehouse uses")]
    Unrecognised,
    #[error(transparent)]
    Gtin(#[from] GtinError),
    #[error(transparent)]
    ElementString(#[from] ElementStringError),
    #[error(transparent)]
    Label(#[from] LabelError),
}

/// How to read digits that come without a symbology identifier when they read both as a
/// GTIN and as an element string: `4006381333931` is an EAN-13 and also AI 400 (order
/// number `6381333931`); `10012345678902` is an ITF-14 and also AI 10 (batch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BareDigits {
    /// Products are scanned far more often than stand-alone batch or order barcodes, and
    /// whole GS1 prefixes (400–440 Germany, 10–13 US) would otherwise read as AIs.
    #[default]
    GtinFirst,
    /// As biip (GS1 reading software in Python) and the shared test vectors do.
    ElementStringFirst,
}

/// How scans are read, as in the settings file:
///
/// ```toml
/// separator_stand_ins = ["<GS>", "^]", "\\x1d", "␝"]
/// bare_digits = "gtin-first"   # or "element-string-first"
///
/// [labels]
/// location = ["@{1,3}-##-##", "RCV-##"]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScanSettings {
    pub labels: LabelPatterns,
    /// Text that stands for the group separator (FNC1) where the scanner or keyboard
    /// cannot send ASCII 0x1D. `<GS>` could in theory be part of a batch number (`<`, `G`,
    /// `S` and `>` are all allowed there); the others cannot.
    pub separator_stand_ins: Vec<String>,
    pub bare_digits: BareDigits,
    /// How the scanner types into the console: suffix, prefix, timing, paste.
    pub keyboard: KeyboardWedge,
}

impl Default for ScanSettings {
    fn default() -> ScanSettings {
        ScanSettings {
            labels: LabelPatterns::default(),
            // How scanner manuals write it, caret notation for Ctrl+] as terminals echo it,
            // the C escape, and the Unicode picture of the character.
            separator_stand_ins: ["<GS>", "^]", "\\x1d", "\u{241d}"].map(String::from).into(),
            bare_digits: BareDigits::default(),
            keyboard: KeyboardWedge::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanKind {
    Gtin,
    Gs1,
    /// An element string with AI 00: the label of a pallet or parcel.
    Sscc,
    Location,
    Order,
    PickList,
    Tote,
    Unknown,
}

/// What a scan turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    Gtin(Gtin),
    ElementString(ElementString),
    Label(Label),
}

/// One scan: the symbology the scanner reported, and what the data reads as, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scan {
    pub symbology: Option<Symbology>,
    pub reading: Result<Reading, ScanError>,
}

impl Scan {
    /// What was scanned; for a faulty scan, what it was read as when the fault was found.
    pub fn kind(&self) -> ScanKind {
        match &self.reading {
            Ok(Reading::Gtin(_)) | Err(ScanError::Gtin(_)) => ScanKind::Gtin,
            Ok(Reading::ElementString(es)) if es.sscc().is_some() => ScanKind::Sscc,
            Ok(Reading::ElementString(_)) | Err(ScanError::ElementString(_)) => ScanKind::Gs1,
            Ok(Reading::Label(Label { kind, .. }))
            | Err(ScanError::Label(LabelError { kind, .. })) => match kind {
                LabelKind::Location => ScanKind::Location,
                LabelKind::Order => ScanKind::Order,
                LabelKind::PickList => ScanKind::PickList,
                LabelKind::Tote => ScanKind::Tote,
            },
            Err(ScanError::Empty | ScanError::Unrecognised) => ScanKind::Unknown,
        }
    }

    /// The trade item scanned: the GTIN itself, or AI 01 (else 02) of an element string.
    pub fn gtin(&self) -> Option<&Gtin> {
        match &self.reading {
            Ok(Reading::Gtin(gtin)) => Some(gtin),
            Ok(Reading::ElementString(es)) => es.gtin(),
            _ => None,
        }
    }
}

/// Reads one scan. `reference_year` (the current year) decides the century of label dates.
pub fn read_scan(input: &str, settings: &ScanSettings, reference_year: i32) -> Scan {
    // Scanners end a scan with Enter or Tab; none of these belong to any barcode data.
    let input = input.trim_matches([' ', '\t', '\r', '\n']);
    let (symbology, data) = Symbology::split(input);
    let data = settings
        .separator_stand_ins
        .iter()
        .filter(|s| !s.is_empty())
        .fold(data.to_string(), |data, stand_in| {
            data.replace(stand_in.as_str(), &GROUP_SEPARATOR.to_string())
        });
    let reading = if data.trim_matches(GROUP_SEPARATOR).is_empty() {
        Err(ScanError::Empty)
    } else {
        match &symbology {
            Some(s) if s.carries_element_string() => ElementString::parse(&data, reference_year)
                .map(Reading::ElementString)
                .map_err(ScanError::from),
            // An ]E0 with eight digits can only be a UPC-E: EAN-8 has its own ]E4.
            Some(Symbology::EanUpc) if data.len() == 8 => Gtin::parse_upc_e(&data)
                .map(Reading::Gtin)
                .map_err(ScanError::from),
            Some(s) if s.carries_gtin() => Gtin::parse(&data)
                .map(Reading::Gtin)
                .map_err(ScanError::from),
            _ => read_unmarked(&data, settings, reference_year),
        }
    };
    Scan { symbology, reading }
}

/// Data whose symbology does not say what it holds: tried as a label, an element string
/// and a GTIN. When all fail, the fault reported is from the reading the data looks most
/// like: a label it starts like, a GTIN if it has a GTIN's length, else an element string.
fn read_unmarked(
    data: &str,
    settings: &ScanSettings,
    reference_year: i32,
) -> Result<Reading, ScanError> {
    if let Some(label) = settings.labels.read(data) {
        return Ok(Reading::Label(label));
    }
    let gtin_length = !data.contains(GROUP_SEPARATOR)
        && [8, 12, 13, 14].contains(&data.chars().count())
        && data.starts_with(|c: char| c.is_ascii_digit());
    let all_digits = data.chars().all(|c| c.is_ascii_digit());
    // A product code with a misread check digit must be refused, not taken for a customer
    // order number (AI 400) or a batch (AI 10) that happens to fit.
    let element_like = data.starts_with(|c: char| c.is_ascii_digit() || c == GROUP_SEPARATOR)
        && !(settings.bare_digits == BareDigits::GtinFirst && gtin_length && all_digits);
    let as_gtin = gtin_length.then(|| Gtin::parse(data));
    let as_element_string = element_like.then(|| ElementString::parse(data, reference_year));
    match (settings.bare_digits, as_gtin, as_element_string) {
        (BareDigits::GtinFirst, Some(Ok(gtin)), _) | (_, Some(Ok(gtin)), None | Some(Err(_))) => {
            Ok(Reading::Gtin(gtin))
        }
        (_, _, Some(Ok(element_string))) => Ok(Reading::ElementString(element_string)),
        (_, as_gtin, as_element_string) => Err(settings
            .labels
            .near_miss(data)
            .map(ScanError::from)
            .or_else(|| as_gtin.and_then(Result::err).map(ScanError::from))
            .or_else(|| as_element_string.and_then(Result::err).map(ScanError::from))
            .unwrap_or(ScanError::Unrecognised)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(input: &str) -> Scan {
        read_scan(input, &ScanSettings::default(), 2026)
    }

    fn kind_and_gtin(input: &str) -> (ScanKind, Option<String>) {
        let s = scan(input);
        assert!(s.reading.is_ok(), "{input}: {:?}", s.reading);
        (s.kind(), s.gtin().map(|g| g.gtin14().to_string()))
    }

    fn fault(input: &str) -> String {
        match scan(input).reading {
            Ok(reading) => panic!("{input} read as {reading:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn aim_identifiers_are_stripped_and_recorded() {
        let cases = [
            ("]C10109501101530003", Symbology::Gs1Code128, ScanKind::Gs1),
            ("]e00109501101530003", Symbology::Gs1DataBar, ScanKind::Gs1),
            (
                "]d200123456789012345675",
                Symbology::Gs1DataMatrix,
                ScanKind::Sscc,
            ),
            ("]Q30109501101530003", Symbology::Gs1Qr, ScanKind::Gs1),
            ("]E04006381333931", Symbology::EanUpc, ScanKind::Gtin),
            ("]E496385074", Symbology::Ean8, ScanKind::Gtin),
            ("]I110012345678902", Symbology::Itf, ScanKind::Gtin),
            (
                "]A0TOTE-0042",
                Symbology::Other("]A0".into()),
                ScanKind::Tote,
            ),
            (
                "]C04006381333931",
                Symbology::Other("]C0".into()),
                ScanKind::Gtin,
            ),
        ];
        for (input, symbology, kind) in cases {
            let s = scan(input);
            assert_eq!(s.symbology.as_ref(), Some(&symbology), "{input}");
            assert_eq!(s.kind(), kind, "{input}: {:?}", s.reading);
        }
    }

    #[test]
    fn the_symbology_decides_how_data_is_read() {
        // An ITF-14 carton code that also reads as batch 012345678902.
        assert_eq!(kind_and_gtin("]I110012345678902").0, ScanKind::Gtin);
        assert_eq!(kind_and_gtin("]C110012345678902").0, ScanKind::Gs1);
        // ]E0 with eight digits is a UPC-E even where EAN-8 would read too.
        let upc_e = scan("]E001234565");
        assert_eq!(
            upc_e.gtin().map(Gtin::kind),
            Some(super::super::GtinKind::UpcE)
        );
        assert_eq!(upc_e.gtin().map(Gtin::gtin14), Some("00012345000065"));
        assert_eq!(fault("]C196385074"), "unknown AI 9638…");
        assert!(fault("]E0SO-000123").starts_with("a GTIN has only digits"));
    }

    #[test]
    fn bare_digits_setting() {
        let gtin_first = ScanSettings {
            bare_digits: BareDigits::GtinFirst,
            ..ScanSettings::default()
        };
        let read = |input| read_scan(input, &gtin_first, 2026);
        assert_eq!(read("10012345678902").kind(), ScanKind::Gtin);
        let misread = read("10012345678903");
        assert_eq!(
            misread.kind(),
            ScanKind::Gtin,
            "a GTIN with a bad check digit"
        );
        assert!(misread.reading.is_err());
        assert!(read("4006381333932").reading.is_err(), "not AI 400");
        assert_eq!(read("0109501101530003").kind(), ScanKind::Gs1);
    }

    #[test]
    fn group_separator_stand_ins() {
        let expected = scan("0109501101530003\u{1d}10AB\u{1d}21X").reading;
        for input in [
            "0109501101530003<GS>10AB<GS>21X",
            "0109501101530003^]10AB^]21X",
            "0109501101530003\\x1d10AB\\x1d21X",
            "0109501101530003\u{241d}10AB\u{241d}21X",
            "]d2<GS>0109501101530003^]10AB\u{1d}21X\r\n",
        ] {
            assert_eq!(scan(input).reading, expected, "{input}");
        }
        let none = ScanSettings {
            separator_stand_ins: vec![String::new()],
            ..ScanSettings::default()
        };
        assert_eq!(
            read_scan("10AB<GS>21X", &none, 2026).reading,
            Ok(Reading::ElementString(
                ElementString::parse("10AB<GS>21X", 2026).unwrap()
            ))
        );
    }

    #[test]
    fn labels() {
        for (input, kind) in [
            ("A-03-02", ScanKind::Location),
            ("RET-01", ScanKind::Location),
            ("SO-000123", ScanKind::Order),
            ("PL-000042", ScanKind::PickList),
            ("TOTE-0042\r\n", ScanKind::Tote),
        ] {
            let s = scan(input);
            assert_eq!(s.kind(), kind, "{input}");
            assert!(matches!(s.reading, Ok(Reading::Label(_))), "{input}");
        }
        let s = scan("SO-12");
        assert_eq!(s.kind(), ScanKind::Order);
        assert!(matches!(s.reading, Err(ScanError::Label(_))));
    }

    #[test]
    fn every_fault_is_named() {
        assert_eq!(fault(""), "nothing was scanned");
        assert_eq!(fault(" \r\n"), "nothing was scanned");
        assert_eq!(fault("]C1"), "nothing was scanned");
        assert_eq!(fault("<GS>"), "nothing was scanned");
        assert_eq!(
            fault("hello"),
            "not a GTIN, a GS1 barcode or a label this warehouse uses"
        );
        assert_eq!(
            fault("7511637265164"),
            "EAN-13 check digit should be 6, not 4"
        );
        assert_eq!(fault("751163726516x"), "a GTIN has only digits, found 'x'");
        assert_eq!(fault("]E0123"), "a GTIN has 8, 12, 13 or 14 digits, got 3");
        assert_eq!(
            fault("0109501101530003\u{1d}17251301"),
            "AI 17: month 13 does not exist"
        );
        assert!(fault("TOTE-1").starts_with("tote labels look like TOTE-#{3,6}"));
        assert_eq!(scan("").kind(), ScanKind::Unknown);
        assert_eq!(scan("7511637265164").kind(), ScanKind::Gtin);
        assert_eq!(
            scan("17251301").kind(),
            ScanKind::Gtin,
            "has a GTIN's length"
        );
        assert_eq!(scan("0117251301").kind(), ScanKind::Gs1);
    }

    #[test]
    fn settings_from_toml() {
        let settings: ScanSettings = toml::from_str(
            r#"
            separator_stand_ins = ["{GS}"]
            bare_digits = "element-string-first"

            [labels]
            location = ["@-###"]
            tote = []
            "#,
        )
        .unwrap();
        assert_eq!(settings.bare_digits, BareDigits::ElementStringFirst);
        assert_eq!(settings.labels.order, LabelPatterns::default().order);
        let read = |input| read_scan(input, &settings, 2026).kind();
        assert_eq!(read("B-123"), ScanKind::Location);
        assert_eq!(read("A-03-02"), ScanKind::Unknown);
        assert_eq!(read("TOTE-0042"), ScanKind::Unknown);
        assert_eq!(read("10AB{GS}21X"), ScanKind::Gs1);
        assert_eq!(read("10AB<GS>21X"), ScanKind::Gs1, "<GS> is batch text now");

        let bad = toml::from_str::<ScanSettings>("[labels]\norder = [\"SO-#{6\"]").unwrap_err();
        assert!(
            bad.message().contains("write a repeat as {n} or {n,m}"),
            "{bad}"
        );
        assert!(toml::from_str::<ScanSettings>("colour = 1").is_err());
        assert_eq!(
            toml::from_str::<ScanSettings>("").unwrap(),
            ScanSettings::default()
        );
    }
}
