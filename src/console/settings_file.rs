//! Settings files (keymaps, themes, config): built into the binary, overridable by a file of
//! the same name in the user's config directory, and refused with path:line:column and a
//! reason when broken.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

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

    pub fn read(path: &Path) -> Result<SettingsSource, SettingsError> {
        std::fs::read_to_string(path)
            .map(|text| SettingsSource {
                origin: path.display().to_string(),
                text,
            })
            .map_err(|e| SettingsError {
                origin: path.display().to_string(),
                line: 0,
                column: 0,
                message: format!("cannot read: {e}"),
            })
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

/// Finds a keymap or theme by name: a path if it looks like one, else the user's override
/// in `<config>/<kind>/<name>.toml`, else the built-in file.
pub fn locate(
    kind: &str,
    name: &str,
    user_dir: Option<&Path>,
    built_ins: &[(&str, &str)],
) -> Result<SettingsSource, SettingsError> {
    if name.contains('/') || name.ends_with(".toml") {
        return SettingsSource::read(Path::new(name));
    }
    if let Some(dir) = user_dir {
        let path: PathBuf = dir.join(kind).join(format!("{name}.toml"));
        if path.exists() {
            return SettingsSource::read(&path);
        }
    }
    built_ins
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| SettingsSource::built_in(kind, n, text))
        .ok_or_else(|| SettingsError {
            origin: format!("{kind} {name:?}"),
            line: 0,
            column: 0,
            message: format!(
                "no such {kind}; built in are: {}",
                built_ins
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// How many `inherits` steps a file may take; more is almost surely a cycle.
const MAX_INHERITANCE: usize = 4;

/// The file named by an `inherits` value, `depth` steps below the file the user chose.
/// A user file that overrides a built-in may inherit the built-in of the same name.
pub fn inherited<'a>(
    kind: &str,
    own_name: &str,
    source: &SettingsSource,
    parent: &Spanned<DeValue<'a>>,
    depth: usize,
    user_dir: Option<&Path>,
    built_ins: &[(&str, &str)],
) -> Result<(String, SettingsSource), SettingsError> {
    let parent_name = expect_str(source, parent, "inherits")?;
    if depth >= MAX_INHERITANCE {
        return Err(source.error_at(parent.span(), "inherits too deep (a cycle?)"));
    }
    let parent_source = if parent_name == own_name {
        built_ins
            .iter()
            .find(|(n, _)| *n == parent_name)
            .map(|(n, t)| SettingsSource::built_in(kind, n, t))
            .ok_or_else(|| {
                source.error_at(
                    parent.span(),
                    format!("{parent_name:?} cannot inherit itself"),
                )
            })?
    } else {
        locate(kind, parent_name, user_dir, built_ins)
            .map_err(|e| source.error_at(parent.span(), e.to_string()))?
    };
    Ok((parent_name.to_string(), parent_source))
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

    #[test]
    fn unknown_names_list_the_built_ins() {
        let err = locate("themes", "neon", None, &[("default", ""), ("mono", "")])
            .err()
            .unwrap();
        assert!(err.to_string().contains("default, mono"), "{err}");
    }

    #[test]
    fn user_file_overrides_built_in() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("themes")).unwrap();
        std::fs::write(dir.path().join("themes/mono.toml"), "# mine").unwrap();
        let src = locate("themes", "mono", Some(dir.path()), &[("mono", "# shipped")]).unwrap();
        assert_eq!(src.text, "# mine");
        assert!(src.origin.ends_with("themes/mono.toml"));
        let shipped = locate("themes", "mono", None, &[("mono", "# shipped")]).unwrap();
        assert_eq!(shipped.origin, "built-in themes/mono.toml");
    }
}
