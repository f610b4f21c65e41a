//! Finding keymaps and themes: built into the binary, overridable by a file of the same name
//! in the user's config directory, or any file by path.

use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::DeValue;

use crate::domain::settings_file::{SettingsError, SettingsSource, expect_str};

/// Reads a settings file; the error names the path.
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

/// Finds a keymap or theme by name: a path if it looks like one, else the user's override
/// in `<config>/<kind>/<name>.toml`, else the built-in file.
pub fn locate(
    kind: &str,
    name: &str,
    user_dir: Option<&Path>,
    built_ins: &[(&str, &str)],
) -> Result<SettingsSource, SettingsError> {
    if name.contains('/') || name.ends_with(".toml") {
        return read(Path::new(name));
    }
    if let Some(dir) = user_dir {
        let path: PathBuf = dir.join(kind).join(format!("{name}.toml"));
        if path.exists() {
            return read(&path);
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

#[cfg(test)]
mod tests {
    use super::*;

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
