//! Settings files (keymaps, themes, config, routing rules) as text: parsed with the position
//! of every key and value, so that a broken file is refused with path:line:column and a
//! reason. Finding and reading the files is the caller's business.

use std::fmt;
use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SettingsError {
    /// The file, or `built-in keymaps/default.toml` for a shipped one.
    pub origin: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.origin, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.origin, self.line, self.column, self.message
            )
        }
    }
}

/// The text of one settings file and where it came from.
pub struct SettingsSource {
    pub origin: String,
    pub text: String,
}

impl SettingsSource {
    pub fn built_in(kind: &str, name: &str, text: &str) -> SettingsSource {
        SettingsSource {
            origin: format!("built-in {kind}/{name}.toml"),
            text: text.to_string(),
        }
    }

    /// An error at a byte range of this file.
    pub fn error_at(&self, span: Range<usize>, message: impl Into<String>) -> SettingsError {
        let upto = &self.text[..span.start.min(self.text.len())];
        let line = upto.matches('\n').count() + 1;
        let column = upto
            .rsplit('\n')
            .next()
            .map(|l| l.chars().count())
            .unwrap_or(0)
            + 1;
        SettingsError {
            origin: self.origin.clone(),
            line,
            column,
            message: message.into(),
        }
    }

    pub fn error(&self, message: impl Into<String>) -> SettingsError {
        SettingsError {
            origin: self.origin.clone(),
            line: 0,
            column: 0,
            message: message.into(),
        }
    }

    /// Parses the TOML keeping the position of every key and value.
    pub fn parse(&self) -> Result<Spanned<DeTable<'_>>, SettingsError> {
        DeTable::parse(&self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.error_at(span, e.message().trim().to_string())
        })
    }

    /// Deserialises the whole file into `T` (for plain files such as the config).
    pub fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, SettingsError> {
        toml::from_str(&self.text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            self.error_at(span, e.message().trim().to_string())
        })
    }
}

/// Entries of a table in file order (the parser's map does not keep it).
pub fn in_file_order<'a, 'i>(
    table: &'a DeTable<'i>,
) -> Vec<(
    &'a Spanned<std::borrow::Cow<'i, str>>,
    &'a Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(k, _)| k.span().start);
    entries
}

/// The text of a string value, or an error naming what was expected.
pub fn expect_str<'a>(
    source: &SettingsSource,
    value: &'a Spanned<DeValue<'_>>,
    what: &str,
) -> Result<&'a str, SettingsError> {
    value
        .get_ref()
        .as_str()
        .ok_or_else(|| source.error_at(value.span(), format!("{what} must be a string")))
}

pub fn expect_table<'a, 'i>(
    source: &SettingsSource,
    value: &'a Spanned<DeValue<'i>>,
    what: &str,
) -> Result<&'a DeTable<'i>, SettingsError> {
    value
        .get_ref()
        .as_table()
        .ok_or_else(|| source.error_at(value.span(), format!("{what} must be a table")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_point_at_line_and_column() {
        let src = SettingsSource {
            origin: "x.toml".into(),
            text: "[a]\nb = \n".into(),
        };
        let err = src.parse().err().unwrap();
        assert_eq!((err.origin.as_str(), err.line), ("x.toml", 2), "{err}");
        assert!(err.to_string().starts_with("x.toml:2:"), "{err}");
    }
}
