//! Themes: a palette of named colours and a style for every semantic role on screen.

use std::collections::HashMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

use super::cue::CueSounds;
use super::settings_file::{
    SettingsError, SettingsSource, expect_str, expect_table, in_file_order,
};
use super::settings_lookup::{inherited, locate};

pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// What a piece of the screen means; themes style meanings, not widgets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThemeRole {
    Text,
    TextMuted,
    Title,
    Border,
    BorderActive,
    Header,
    HeaderOnline,
    HeaderOffline,
    Tab,
    TabActive,
    Selection,
    TableHeader,
    Footer,
    FooterKey,
    Input,
    InputFocus,
    InputPlaceholder,
    Error,
    Warning,
    Ok,
    StatusOpen,
    StatusAttention,
    StatusDone,
    StatusClosed,
    StockLow,
    StockOut,
    HelpSection,
    HelpKey,
    Popup,
}

impl ThemeRole {
    pub const ALL: [ThemeRole; 29] = [
        ThemeRole::Text,
        ThemeRole::TextMuted,
        ThemeRole::Title,
        ThemeRole::Border,
        ThemeRole::BorderActive,
        ThemeRole::Header,
        ThemeRole::HeaderOnline,
        ThemeRole::HeaderOffline,
        ThemeRole::Tab,
        ThemeRole::TabActive,
        ThemeRole::Selection,
        ThemeRole::TableHeader,
        ThemeRole::Footer,
        ThemeRole::FooterKey,
        ThemeRole::Input,
        ThemeRole::InputFocus,
        ThemeRole::InputPlaceholder,
        ThemeRole::Error,
        ThemeRole::Warning,
        ThemeRole::Ok,
        ThemeRole::StatusOpen,
        ThemeRole::StatusAttention,
        ThemeRole::StatusDone,
        ThemeRole::StatusClosed,
        ThemeRole::StockLow,
        ThemeRole::StockOut,
        ThemeRole::HelpSection,
        ThemeRole::HelpKey,
        ThemeRole::Popup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ThemeRole::Text => "text",
            ThemeRole::TextMuted => "text.muted",
            ThemeRole::Title => "title",
            ThemeRole::Border => "border",
            ThemeRole::BorderActive => "border.active",
            ThemeRole::Header => "header",
            ThemeRole::HeaderOnline => "header.online",
            ThemeRole::HeaderOffline => "header.offline",
            ThemeRole::Tab => "tab",
            ThemeRole::TabActive => "tab.active",
            ThemeRole::Selection => "selection",
            ThemeRole::TableHeader => "table.header",
            ThemeRole::Footer => "footer",
            ThemeRole::FooterKey => "footer.key",
            ThemeRole::Input => "input",
            ThemeRole::InputFocus => "input.focus",
            ThemeRole::InputPlaceholder => "input.placeholder",
            ThemeRole::Error => "error",
            ThemeRole::Warning => "warning",
            ThemeRole::Ok => "ok",
            ThemeRole::StatusOpen => "status.open",
            ThemeRole::StatusAttention => "status.attention",
            ThemeRole::StatusDone => "status.done",
            ThemeRole::StatusClosed => "status.closed",
            ThemeRole::StockLow => "stock.low",
            ThemeRole::StockOut => "stock.out",
            ThemeRole::HelpSection => "help.section",
            ThemeRole::HelpKey => "help.key",
            ThemeRole::Popup => "popup",
        }
    }

    fn parse(name: &str) -> Option<ThemeRole> {
        ThemeRole::ALL.into_iter().find(|r| r.name() == name)
    }
}

#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: HashMap<ThemeRole, Style>,
    /// The sound cues: built-in tones unless the theme (or one it inherits) has `[sounds]`.
    pub sounds: CueSounds,
}

/// A colour reference before the palette is known, with where it was written.
#[derive(Clone)]
struct ColourRef {
    text: String,
    at: SettingsError,
}

#[derive(Clone)]
struct RawStyle {
    fg: Option<ColourRef>,
    bg: Option<ColourRef>,
    modifiers: Modifier,
}

#[derive(Default)]
struct RawTheme {
    palette: HashMap<String, (Color, SettingsError)>,
    styles: HashMap<ThemeRole, RawStyle>,
    sounds: CueSounds,
}

impl Theme {
    /// Loads a theme by name (or path). `NO_COLOR` is the caller's business: it asks for "mono".
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme, SettingsError> {
        let source = locate("themes", name, user_dir, BUILT_IN)?;
        Theme::from_toml(name, &source, user_dir)
    }

    /// Reads a theme from the text of a file already found; `inherits` is looked up as by
    /// `load` (built in, the user's directory, or a path).
    pub fn from_toml(
        name: &str,
        source: &SettingsSource,
        user_dir: Option<&Path>,
    ) -> Result<Theme, SettingsError> {
        let raw = parse_raw(name, source, user_dir, 0)?;
        let mut styles = HashMap::new();
        for (role, style) in raw.styles {
            let resolve = |c: &Option<ColourRef>| -> Result<Option<Color>, SettingsError> {
                let Some(c) = c else { return Ok(None) };
                if let Some((colour, _)) = raw.palette.get(&c.text) {
                    return Ok(Some(*colour));
                }
                parse_colour(&c.text)
                    .map(Some)
                    .ok_or_else(|| SettingsError {
                        message: format!("{:?} is neither a palette name nor a colour", c.text),
                        ..c.at.clone()
                    })
            };
            let mut s = Style::default().add_modifier(style.modifiers);
            if let Some(fg) = resolve(&style.fg)? {
                s = s.fg(fg);
            }
            if let Some(bg) = resolve(&style.bg)? {
                s = s.bg(bg);
            }
            styles.insert(role, s);
        }
        for role in ThemeRole::ALL {
            if !styles.contains_key(&role) {
                return Err(source.error(format!("no style for role {:?}", role.name())));
            }
        }
        Ok(Theme {
            name: name.to_string(),
            styles,
            sounds: raw.sounds,
        })
    }

    pub fn style(&self, role: ThemeRole) -> Style {
        self.styles.get(&role).copied().unwrap_or_default()
    }
}

fn parse_raw(
    name: &str,
    source: &SettingsSource,
    user_dir: Option<&Path>,
    depth: usize,
) -> Result<RawTheme, SettingsError> {
    let doc = source.parse()?;
    let mut raw = RawTheme::default();
    let root = doc.get_ref();
    if let Some(parent) = root.get("inherits") {
        let (parent_name, parent_source) =
            inherited("themes", name, source, parent, depth, user_dir, BUILT_IN)?;
        raw = parse_raw(&parent_name, &parent_source, user_dir, depth + 1)?;
    }
    for (key, value) in in_file_order(root) {
        match key.get_ref().as_ref() {
            "inherits" => {}
            "palette" => {
                for (colour_name, v) in in_file_order(expect_table(source, value, "[palette]")?) {
                    let text = expect_str(source, v, "a palette colour")?;
                    let colour = parse_colour(text).ok_or_else(|| {
                        source.error_at(
                            v.span(),
                            format!("{text:?} is not a colour (#rrggbb, an ANSI name or 0-255)"),
                        )
                    })?;
                    raw.palette.insert(
                        colour_name.get_ref().to_string(),
                        (colour, source.error_at(v.span(), "")),
                    );
                }
            }
            "styles" => {
                for (role_name, v) in in_file_order(expect_table(source, value, "[styles]")?) {
                    let role = ThemeRole::parse(role_name.get_ref()).ok_or_else(|| {
                        source.error_at(
                            role_name.span(),
                            format!(
                                "unknown role {:?}; roles are: {}",
                                role_name.get_ref(),
                                ThemeRole::ALL.map(|r| r.name()).join(", ")
                            ),
                        )
                    })?;
                    raw.styles.insert(role, parse_style(source, v)?);
                }
            }
            "sounds" => raw.sounds.read_table(source, value)?,
            other => {
                return Err(source.error_at(
                    key.span(),
                    format!(
                        "unknown section {other:?}; sections are palette, styles, sounds, inherits"
                    ),
                ));
            }
        }
    }
    Ok(raw)
}

fn parse_style(
    source: &SettingsSource,
    value: &toml::Spanned<toml::de::DeValue<'_>>,
) -> Result<RawStyle, SettingsError> {
    let table = expect_table(source, value, "a style")?;
    let mut style = RawStyle {
        fg: None,
        bg: None,
        modifiers: Modifier::empty(),
    };
    for (field, v) in in_file_order(table) {
        match field.get_ref().as_ref() {
            "fg" | "bg" => {
                let r = ColourRef {
                    text: expect_str(source, v, "a colour")?.to_string(),
                    at: source.error_at(v.span(), ""),
                };
                if field.get_ref() == "fg" {
                    style.fg = Some(r);
                } else {
                    style.bg = Some(r);
                }
            }
            "modifiers" => {
                let list = v.get_ref().as_array().ok_or_else(|| {
                    source.error_at(v.span(), "modifiers must be a list, e.g. [\"bold\"]")
                })?;
                for m in list.iter() {
                    let name = expect_str(source, m, "a modifier")?;
                    style.modifiers |= parse_modifier(name).ok_or_else(|| {
                        source.error_at(
                            m.span(),
                            format!("unknown modifier {name:?}; modifiers are bold, dim, italic, underlined, reversed, crossed-out"),
                        )
                    })?;
                }
            }
            other => {
                return Err(source.error_at(
                    field.span(),
                    format!("unknown field {other:?} in style; fields are fg, bg, modifiers"),
                ));
            }
        }
    }
    Ok(style)
}

fn parse_modifier(name: &str) -> Option<Modifier> {
    Some(match name {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" => Modifier::UNDERLINED,
        "reversed" => Modifier::REVERSED,
        "crossed-out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

fn parse_colour(text: &str) -> Option<Color> {
    if let Some(hex) = text.strip_prefix('#') {
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let v = u32::from_str_radix(hex, 16).ok()?;
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(index) = text.parse::<u8>() {
        return Some(Color::Indexed(index));
    }
    Some(match text {
        "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "dark-gray" | "dark-grey" => Color::DarkGray,
        "light-red" => Color::LightRed,
        "light-green" => Color::LightGreen,
        "light-yellow" => Color::LightYellow,
        "light-blue" => Color::LightBlue,
        "light-magenta" => Color::LightMagenta,
        "light-cyan" => Color::LightCyan,
        "white" => Color::White,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_text(text: &str) -> Result<Theme, SettingsError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.toml");
        std::fs::write(&path, text).unwrap();
        Theme::load(path.to_str().unwrap(), None)
    }

    #[test]
    fn every_shipped_theme_loads_with_every_role() {
        for (name, _) in BUILT_IN {
            let theme = Theme::load(name, None).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(theme.styles.len(), ThemeRole::ALL.len(), "{name}");
        }
    }

    #[test]
    fn mono_has_no_colour_and_selection_is_reverse_video() {
        let mono = Theme::load("mono", None).unwrap();
        for role in ThemeRole::ALL {
            let s = mono.style(role);
            assert!(
                s.fg.is_none() && s.bg.is_none(),
                "{} has colour",
                role.name()
            );
        }
        assert!(
            mono.style(ThemeRole::Selection)
                .add_modifier
                .contains(Modifier::REVERSED)
        );
    }

    #[test]
    fn light_inherits_styles_but_uses_its_own_palette() {
        let light = Theme::load("light", None).unwrap();
        let dark = Theme::load("default", None).unwrap();
        assert_eq!(
            light.style(ThemeRole::Text).fg,
            Some(Color::Rgb(0x24, 0x29, 0x2f))
        );
        assert_ne!(light.style(ThemeRole::Text), dark.style(ThemeRole::Text));
    }

    #[test]
    fn broken_themes_name_path_line_and_reason() {
        let cases = [
            (
                "inherits = \"default\"\n[styles]\n\"selection\" = { fg = \"chartreuse\" }\n",
                3,
                "neither a palette name nor a colour",
            ),
            (
                "inherits = \"default\"\n[palette]\nink = \"#12345\"\n",
                3,
                "not a colour",
            ),
            (
                "inherits = \"default\"\n[styles]\n\"selected\" = {}\n",
                3,
                "unknown role \"selected\"",
            ),
            (
                "inherits = \"default\"\n[styles]\n\"text\" = { modifiers = [\"blink\"] }\n",
                3,
                "unknown modifier \"blink\"",
            ),
            (
                "inherits = \"default\"\n\n[colours]\n",
                3,
                "unknown section",
            ),
            (
                "inherits = \"default\"\n[sounds]\nerror = \"tone:5:90\"\n",
                3,
                "sound for \"error\": \"tone:5:90\": 5 Hz is outside 50–8000 Hz",
            ),
            (
                "[styles]\n\"text\" = {}\n",
                0,
                "no style for role \"text.muted\"",
            ),
        ];
        for (text, line, needle) in cases {
            let err = load_text(text)
                .err()
                .unwrap_or_else(|| panic!("accepted {text}"));
            assert_eq!(err.line, line, "{err}");
            assert!(
                err.to_string().contains(needle),
                "{err} should say {needle}"
            );
            assert!(err.origin.ends_with("mine.toml"), "{err}");
        }
    }

    #[test]
    fn sounds_come_from_the_theme_over_its_parents() {
        use crate::console::cue::{Cue, CueSounds, Sound, Tone};
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("done.wav"), b"RIFF").unwrap();
        let parent = dir.path().join("parent.toml");
        std::fs::write(
            &parent,
            "inherits = \"default\"\n[sounds]\nok = \"tone:440:50\"\ndone = \"wav:done.wav\"\n",
        )
        .unwrap();
        let child = dir.path().join("child.toml");
        std::fs::write(
            &child,
            format!(
                "inherits = {:?}\n[sounds]\nok = \"tone:880:60\"\n",
                parent.to_str().unwrap()
            ),
        )
        .unwrap();
        let theme = Theme::load(child.to_str().unwrap(), None).unwrap();
        assert_eq!(
            theme.sounds.get(Cue::Ok),
            &Sound::Tones(vec![Tone { hz: 880, ms: 60 }])
        );
        assert_eq!(
            theme.sounds.get(Cue::Done),
            &Sound::Wav(dir.path().join("done.wav"))
        );
        assert_eq!(
            theme.sounds.get(Cue::Error),
            CueSounds::default().get(Cue::Error)
        );
        for (name, _) in BUILT_IN {
            let theme = Theme::load(name, None).unwrap();
            assert_eq!(theme.sounds, CueSounds::default(), "{name}");
        }
    }

    #[test]
    fn colours() {
        assert_eq!(parse_colour("#ff8000"), Some(Color::Rgb(255, 128, 0)));
        assert_eq!(parse_colour("208"), Some(Color::Indexed(208)));
        assert_eq!(parse_colour("light-cyan"), Some(Color::LightCyan));
        assert_eq!(parse_colour("#ff80"), None);
        assert_eq!(parse_colour("256"), None);
    }
}
