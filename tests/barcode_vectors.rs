//! The shared test vectors (computed with biip 5.2.0): validity, GTIN and AIs must agree;
//! error wording need not.

use backroom::domain::barcode::{BareDigits, ScanReport, ScanSettings, read_scan};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vector {
    input: String,
    valid: bool,
    gtin14: Option<String>,
    #[serde(default)]
    ais: Vec<(String, String)>,
    error: Option<String>,
}

/// The inputs whose reading differs from biip's under the given settings.
fn disagreements(settings: &ScanSettings) -> Vec<String> {
    let text = include_str!("data/gs1-examples.jsonl");
    let vectors: Vec<Vector> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("vector line"))
        .collect();
    assert_eq!(vectors.len(), 80);
    vectors
        .into_iter()
        .filter(|v| {
            let report = ScanReport::new(&v.input, &read_scan(&v.input, settings, 2026));
            (
                report.valid,
                &report.gtin14,
                &report.ais,
                report.error.is_some(),
            ) != (v.valid, &v.gtin14, &v.ais, v.error.is_some())
        })
        .map(|v| v.input)
        .collect()
}

#[test]
fn every_vector_reads_as_biip_reads_it() {
    let biip = ScanSettings {
        bare_digits: BareDigits::ElementStringFirst,
        ..ScanSettings::default()
    };
    assert_eq!(disagreements(&biip), Vec::<String>::new());
}

#[test]
fn by_default_only_the_ambiguous_carton_code_differs() {
    // A right GTIN-14 that also reads as AI 10 (batch 788526114919): read as the GTIN.
    assert_eq!(disagreements(&ScanSettings::default()), ["10788526114919"]);
}
