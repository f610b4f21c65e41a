//! Settings for keyboard-wedge scanners: scanners that type each code into the terminal as
//! keys, as in the config file's `[scanner.keyboard]` table:
//!
//! ```toml
//! [scanner.keyboard]
//! suffix = "enter"
//! prefix = "ctrl-b"       # if the scanner is set to send one; needed over SSH
//! timing = true
//! max_average_gap_ms = 30
//! max_key_gap_ms = 80
//! min_length = 4
//! paste = "scan"          # or "text"
//! ```
//!
//! Keys stay strings here so the domain knows nothing of the terminal; the console parses them.

use serde::Deserialize;

/// How bracketed paste is taken.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasteMode {
    /// One scan per non-empty line: scanner apps on phones and some Bluetooth scanners paste.
    #[default]
    Scan,
    /// Keys, as if typed.
    Text,
}

/// How a keyboard-wedge scanner types into the terminal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyboardWedge {
    /// Key the scanner sends after each code: "enter" (default) or "tab" (any key spec).
    pub suffix: String,
    /// Key the scanner sends before each code (e.g. "ctrl-b", "f12", "§"); the reliable mode
    /// over SSH, where key timing is lost. None by default.
    pub prefix: Option<String>,
    /// Tell scans from typing by how fast keys come (default true).
    pub timing: bool,
    /// A burst whose average gap between keys is at most this is a scan (default 30 ms;
    /// scanners type at 5–15 ms per key, people at 100+ ms).
    pub max_average_gap_ms: u32,
    /// A pause this long ends a burst (default 80 ms).
    pub max_key_gap_ms: u32,
    /// Shorter bursts are typing (default 4 characters).
    pub min_length: u32,
    /// How bracketed paste is taken: "scan" (default; one scan per non-empty line) or "text"
    /// (keys, as if typed).
    pub paste: PasteMode,
}

impl Default for KeyboardWedge {
    fn default() -> KeyboardWedge {
        KeyboardWedge {
            suffix: "enter".to_string(),
            prefix: None,
            timing: true,
            max_average_gap_ms: 30,
            max_key_gap_ms: 80,
            min_length: 4,
            paste: PasteMode::default(),
        }
    }
}

impl KeyboardWedge {
    /// Refuses numbers that would make every key a scan or no burst ever one.
    pub fn validate(&self) -> Result<(), String> {
        for (name, ms) in [
            ("max_average_gap_ms", self.max_average_gap_ms),
            ("max_key_gap_ms", self.max_key_gap_ms),
        ] {
            // Past a second, people typing read as scanning.
            if !(1..=1000).contains(&ms) {
                return Err(format!(
                    "scanner.keyboard.{name} must be 1 to 1000 ms, not {ms}"
                ));
            }
        }
        if self.max_average_gap_ms > self.max_key_gap_ms {
            let (average, key) = (self.max_average_gap_ms, self.max_key_gap_ms);
            return Err(format!(
                "scanner.keyboard.max_average_gap_ms ({average}) must not be more than \
                 max_key_gap_ms ({key})"
            ));
        }
        if self.min_length == 0 {
            return Err("scanner.keyboard.min_length must be at least 1".to_string());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<KeyboardWedge, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn an_empty_table_takes_the_defaults() {
        let wedge = read("").unwrap();
        assert_eq!(wedge, KeyboardWedge::default());
        assert_eq!(wedge.suffix, "enter");
        assert_eq!(wedge.prefix, None);
        assert!(wedge.timing);
        assert_eq!((wedge.max_average_gap_ms, wedge.max_key_gap_ms), (30, 80));
        assert_eq!(wedge.min_length, 4);
        assert_eq!(wedge.paste, PasteMode::Scan);
        assert_eq!(wedge.validate(), Ok(()));
    }

    #[test]
    fn every_field_is_read() {
        let wedge = read(
            r#"
            suffix = "tab"
            prefix = "ctrl-b"
            timing = false
            max_average_gap_ms = 20
            max_key_gap_ms = 50
            min_length = 8
            paste = "text"
            "#,
        )
        .unwrap();
        let expected = KeyboardWedge {
            suffix: "tab".to_string(),
            prefix: Some("ctrl-b".to_string()),
            timing: false,
            max_average_gap_ms: 20,
            max_key_gap_ms: 50,
            min_length: 8,
            paste: PasteMode::Text,
        };
        assert_eq!(wedge, expected);
    }

    #[test]
    fn unknown_fields_and_paste_modes_are_refused() {
        let err = read("sufix = \"tab\"").unwrap_err();
        assert!(err.to_string().contains("sufix"), "{err}");
        assert!(read("paste = \"keys\"").is_err());
    }

    #[test]
    fn validate_refuses_senseless_numbers() {
        let with = |change: fn(&mut KeyboardWedge)| {
            let mut wedge = KeyboardWedge::default();
            change(&mut wedge);
            wedge.validate()
        };
        assert!(with(|w| w.max_average_gap_ms = 0).is_err());
        assert!(with(|w| w.max_key_gap_ms = 0).is_err());
        assert!(with(|w| w.max_key_gap_ms = 1001).is_err());
        assert!(with(|w| w.max_average_gap_ms = 90).is_err());
        assert!(with(|w| w.min_length = 0).is_err());
        assert_eq!(with(|w| w.max_average_gap_ms = 80), Ok(()));
        assert_eq!(with(|w| w.max_key_gap_ms = 1000), Ok(()));
        assert_eq!(with(|w| w.min_length = 1), Ok(()));
    }
}
