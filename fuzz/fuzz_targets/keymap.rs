#![no_main]

use backroom::console::keymap::{Context, Keymap};
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
    match Keymap::from_toml("fuzz", &source, None) {
        Ok(keymap) => {
            // What help and the footer do with every loaded keymap.
            for context in Context::ALL {
                for binding in keymap.bindings(context) {
                    let _ = binding.label(true);
                    let _ = binding.key.to_string();
                    assert_eq!(keymap.action(context, binding.key), Some(binding.action));
                }
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
