//! What `backroom barcode DATA…` prints for each scan: one JSON object.

use serde::Serialize;

use super::gtin::GtinKind;
use super::scan::{Reading, Scan, ScanKind};

/// One element of an element string as a person reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldReport {
    pub ai: String,
    pub title: &'static str,
    /// Dates as `2027-05-31`, measures with their decimal point, anything else as scanned.
    pub value: String,
}

/// Every key is always present (`null` or `[]` when it does not apply), so that scripts
/// reading the output need not guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    pub input: String,
    pub valid: bool,
    pub kind: ScanKind,
    /// The symbology named by the scan's AIM identifier, e.g. `GS1-128`.
    pub symbology: Option<String>,
    pub gtin14: Option<String>,
    pub gtin_kind: Option<GtinKind>,
    /// Each AI with its data as scanned, in order: `[["01", "…"], …]`.
    pub ais: Vec<(String, String)>,
    pub fields: Vec<FieldReport>,
    /// The label text, for location, order, pick list and tote labels.
    pub label: Option<String>,
    pub error: Option<String>,
}

impl ScanReport {
    pub fn new(input: &str, scan: &Scan) -> ScanReport {
        let gtin = scan.gtin();
        let elements = match &scan.reading {
            Ok(Reading::ElementString(es)) => es.elements(),
            _ => &[],
        };
        ScanReport {
            input: input.to_string(),
            valid: scan.reading.is_ok(),
            kind: scan.kind(),
            symbology: scan.symbology.as_ref().map(ToString::to_string),
            gtin14: gtin.map(|g| g.gtin14().to_string()),
            gtin_kind: gtin.map(|g| g.kind()),
            ais: elements
                .iter()
                .map(|e| (e.ai.clone(), e.value.clone()))
                .collect(),
            fields: elements
                .iter()
                .map(|e| FieldReport {
                    ai: e.ai.clone(),
                    title: e.title,
                    value: e.reading(),
                })
                .collect(),
            label: match &scan.reading {
                Ok(Reading::Label(label)) => Some(label.text.clone()),
                _ => None,
            },
            error: scan.reading.as_ref().err().map(ToString::to_string),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{ScanSettings, read_scan};
    use super::*;

    fn report(input: &str) -> serde_json::Value {
        let scan = read_scan(input, &ScanSettings::default(), 2026);
        serde_json::to_value(ScanReport::new(input, &scan)).unwrap_or_default()
    }

    #[test]
    fn element_string_report() {
        assert_eq!(
            report("]C10109501101530003172705003102001234"),
            serde_json::json!({
                "input": "]C10109501101530003172705003102001234",
                "valid": true,
                "kind": "gs1",
                "symbology": "GS1-128",
                "gtin14": "09501101530003",
                "gtin_kind": "gtin-14",
                "ais": [["01", "09501101530003"], ["17", "270500"], ["3102", "001234"]],
                "fields": [
                    {"ai": "01", "title": "GTIN", "value": "09501101530003"},
                    {"ai": "17", "title": "expiry date", "value": "2027-05-31"},
                    {"ai": "3102", "title": "net weight (kg)", "value": "12.34"}
                ],
                "label": null,
                "error": null
            })
        );
    }

    #[test]
    fn gtin_label_and_fault_reports() {
        let gtin = report("036000291452");
        assert_eq!(gtin["gtin14"], "00036000291452");
        assert_eq!(gtin["gtin_kind"], "upc-a");
        assert_eq!(gtin["ais"], serde_json::json!([]));
        let label = report("A-03-02");
        assert_eq!(
            (&label["kind"], &label["label"]),
            (&"location".into(), &"A-03-02".into())
        );
        let bad = report("]Q3\u{1d}00123456789012345670");
        assert_eq!(bad["valid"], false);
        assert_eq!(bad["kind"], "gs1");
        assert_eq!(bad["symbology"], "GS1 QR Code");
        assert_eq!(bad["error"], "AI 00: check digit should be 5, not 0");
    }
}
