//! The console's configuration file, `config.toml` in the XDG config directory
//! (`~/.config/backroom/`). Environment variables and flags override it.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::label_printer::PrinterSettings;
use super::settings_file::SettingsError;
use crate::domain::barcode::ScanSettings;

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Server URL, e.g. `http://127.0.0.1:8080`.
    pub server: Option<String>,
    /// User name to preselect on the sign-in screen.
    pub user: Option<String>,
    /// Keymap name (`default`, `vim`, `rf`) or path.
    pub keymap: Option<String>,
    /// Theme name (`default`, `light`, `high-contrast`, `mono`) or path.
    pub theme: Option<String>,
    /// How scans are read: label shapes, group-separator stand-ins, bare digits, and
    /// (`[scanner.keyboard]`) how the scanner types.
    #[serde(default)]
    pub scanner: ScanSettings,
    #[serde(default)]
    pub picking: PickingSettings,
    #[serde(default)]
    pub packing: PackingSettings,
    /// Where shipping labels go.
    #[serde(default)]
    pub printer: PrinterSettings,
}

/// `[picking]`: the kind of list this terminal asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PickingSettings {
    /// `single` (one order per list) or `batch` (several orders, one walk).
    pub mode: Option<String>,
}

/// `[packing]`: the parcel types this bench offers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackingSettings {
    pub packages: Option<Vec<String>>,
}

/// The keymap and theme names to load. Flags (with their `BACKROOM_*` variables, which
/// clap folds in) beat the config file; a non-empty `NO_COLOR` beats everything for the theme.
pub fn chosen_look(
    file: &ConfigFile,
    keymap_flag: Option<&str>,
    theme_flag: Option<&str>,
    no_color: Option<&std::ffi::OsStr>,
) -> (String, String) {
    let keymap = keymap_flag.or(file.keymap.as_deref()).unwrap_or("default");
    let theme = if no_color.is_some_and(|v| !v.is_empty()) {
        "mono"
    } else {
        theme_flag.or(file.theme.as_deref()).unwrap_or("default")
    };
    (keymap.to_string(), theme.to_string())
}

/// `~/.config/backroom`: config.toml, keymaps/, themes/.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "backroom").map(|d| d.config_dir().to_path_buf())
}

/// Where the console writes its log (never the screen it draws on).
pub fn log_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "backroom")
        .map(|d| d.state_dir().unwrap_or_else(|| d.cache_dir()).to_path_buf())
}

/// Reads the config file. An explicit path must exist; the default one may be absent.
pub fn load(explicit: Option<&Path>) -> Result<ConfigFile, SettingsError> {
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => match config_dir() {
            Some(dir) if dir.join("config.toml").exists() => dir.join("config.toml"),
            _ => return Ok(ConfigFile::default()),
        },
    };
    let source = super::settings_lookup::read(&path)?;
    let file: ConfigFile = source.deserialize()?;
    super::scan_input::ScanInput::from_settings(&file.scanner.keyboard)
        .map_err(|e| source.error(e))?;
    super::label_printer::LabelPrinter::from_settings(&file.printer)
        .map_err(|e| source.error(e))?;
    if let Some(mode) = &file.picking.mode
        && crate::domain::picking::PickMode::parse(mode).is_none()
    {
        return Err(source.error(format!("picking.mode {mode:?} is not single or batch")));
    }
    if file
        .packing
        .packages
        .as_ref()
        .is_some_and(|p| p.is_empty() || p.iter().any(|p| p.trim().is_empty()))
    {
        return Err(source.error("packing.packages must name at least one parcel type, none empty"));
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_no_color_beats_all() {
        let file = ConfigFile {
            keymap: Some("vim".into()),
            theme: Some("light".into()),
            ..ConfigFile::default()
        };
        let look = |k, t, nc: Option<&str>| chosen_look(&file, k, t, nc.map(std::ffi::OsStr::new));
        assert_eq!(look(None, None, None), ("vim".into(), "light".into()));
        assert_eq!(
            look(Some("rf"), Some("high-contrast"), None),
            ("rf".into(), "high-contrast".into())
        );
        assert_eq!(
            look(None, Some("light"), Some("1")),
            ("vim".into(), "mono".into())
        );
        // An empty NO_COLOR does not count, as the convention says.
        assert_eq!(look(None, None, Some("")), ("vim".into(), "light".into()));
        let empty = ConfigFile::default();
        assert_eq!(
            chosen_look(&empty, None, None, None),
            ("default".into(), "default".into())
        );
    }

    #[test]
    fn reads_known_keys_and_refuses_unknown_ones_with_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "server = \"http://h:1\"\ntheme = \"mono\"\n").unwrap();
        let cfg = load(Some(&path)).unwrap();
        assert_eq!(cfg.server.as_deref(), Some("http://h:1"));
        assert_eq!(cfg.theme.as_deref(), Some("mono"));

        std::fs::write(&path, "server = \"http://h:1\"\ncolour = \"red\"\n").unwrap();
        let err = load(Some(&path)).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.to_string().contains("colour"), "{err}");

        let err = load(Some(&dir.path().join("missing.toml"))).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
