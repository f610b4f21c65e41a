#![no_main]

use backroom::console::theme::{Theme, ThemeRole};
use backroom::domain::settings_file::SettingsSource;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // `inherits` may name any path; reading device files would hang the fuzzer, and the
    // path lookup itself is not the parser under test.
    if text.contains("inherits") && text.contains('/') {
        return;
    }
    let source = SettingsSource {
        origin: "fuzz.toml".into(),
        text: text.to_string(),
    };
    match Theme::from_toml("fuzz", &source, None) {
        Ok(theme) => {
            for role in ThemeRole::ALL {
                let _ = theme.style(role);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
