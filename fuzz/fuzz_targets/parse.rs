#![no_main]

use backroom::domain::barcode::{ElementString, ScanReport, ScanSettings, read_scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    let scan = read_scan(&input, &ScanSettings::default(), 2026);
    let _ = serde_json::to_string(&ScanReport::new(&input, &scan));
    let _ = ElementString::parse(&input, 2026);
});
