//! Properties over generated input: no input panics, check digits catch every single-digit
//! error, and element strings survive being written and read back.

use backroom::domain::barcode::{
    ElementString, GROUP_SEPARATOR, Gtin, ScanSettings, gs1_check_digit, read_scan,
};
use proptest::prelude::*;

fn with_check_digit(body: &str) -> String {
    format!("{body}{}", gs1_check_digit(body).unwrap_or(0))
}

/// A GTIN-8, -12, -13 or -14 with a right check digit.
fn gtin() -> impl Strategy<Value = String> {
    prop_oneof!["[0-9]{7}", "[0-9]{11}", "[0-9]{12}", "[0-9]{13}"]
        .prop_map(|body| with_check_digit(&body))
}

/// An AI with data it accepts, as (AI, data).
fn element() -> impl Strategy<Value = (String, String)> {
    let text = |n: usize| {
        proptest::string::string_regex(&format!("[A-Za-z0-9!%&()*+,./:;<=>?_-]{{1,{n}}}")).unwrap()
    };
    let date = (0u8..100, 1u8..13, 0u8..29).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"));
    prop_oneof![
        "[0-9]{17}".prop_map(|b| ("00".to_string(), with_check_digit(&b))),
        "[0-9]{13}".prop_map(|b| ("01".to_string(), with_check_digit(&b))),
        "[0-9]{13}".prop_map(|b| ("02".to_string(), with_check_digit(&b))),
        text(20).prop_map(|v| ("10".to_string(), v)),
        text(20).prop_map(|v| ("21".to_string(), v)),
        text(30).prop_map(|v| ("400".to_string(), v)),
        (
            prop_oneof![Just("11"), Just("13"), Just("15"), Just("17")],
            date
        )
            .prop_map(|(ai, d)| (ai.to_string(), d)),
        "[0-9]{1,8}".prop_map(|v| ("30".to_string(), v)),
        "[0-9]{1,8}".prop_map(|v| ("37".to_string(), v)),
        (310u16..317, 0u8..6, "[0-9]{6}").prop_map(|(ai, n, v)| (format!("{ai}{n}"), v)),
        "[0-9]{6}".prop_map(|v| ("8005".to_string(), v)),
    ]
}

proptest! {
    #[test]
    fn no_input_panics(input in any::<String>()) {
        let _ = read_scan(&input, &ScanSettings::default(), 2026);
    }

    #[test]
    fn no_barcode_like_input_panics(input in "(\\][A-Za-z][0-9])?[0-9A-Z\u{1d}<>^\\]é-]{0,60}") {
        let _ = read_scan(&input, &ScanSettings::default(), 2026);
        let _ = ElementString::parse(&input, 2026);
    }

    #[test]
    fn right_gtins_always_read(code in gtin()) {
        let gtin = Gtin::parse(&code).map_err(|e| TestCaseError::fail(format!("{code}: {e}")))?;
        prop_assert_eq!(gtin.gtin14(), format!("{code:0>14}"));
    }

    #[test]
    fn any_single_digit_change_is_caught(code in gtin(), position in any::<prop::sample::Index>(), bump in 1u8..10) {
        let mut digits = code.into_bytes();
        let i = position.index(digits.len());
        digits[i] = b'0' + (digits[i] - b'0' + bump) % 10;
        let changed = String::from_utf8(digits).unwrap_or_default();
        // Eight digits may turn into a right UPC-E, which is a different number, not a miss.
        if let Ok(gtin) = Gtin::parse(&changed) {
            prop_assert_eq!(changed.len(), 8, "{} read as {:?}", changed, gtin);
            prop_assert_eq!(gtin.kind(), backroom::domain::barcode::GtinKind::UpcE);
        }
    }

    #[test]
    fn element_strings_round_trip(elements in prop::collection::vec(element(), 1..6)) {
        // Every field ends with a separator, as the loosest printer would write it.
        let data: String = elements.iter().map(|(ai, v)| format!("{ai}{v}{GROUP_SEPARATOR}")).collect();
        let es = ElementString::parse(&data, 2026).map_err(|e| TestCaseError::fail(format!("{data:?}: {e}")))?;
        let read: Vec<(String, String)> = es.elements().iter().map(|e| (e.ai.clone(), e.value.clone())).collect();
        prop_assert_eq!(&read, &elements);
        // Written back the strict way, it reads the same again.
        let again = ElementString::parse(&es.to_string(), 2026).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, es);
    }
}
