//! What each cue sounds like: the built-in tones, or what a theme's `[sounds]` table says.
//!
//! A sound is written as text, one of:
//! - `tone:HZ:MS[,tone:HZ:MS…]`: up to 8 sine tones in a row, 50–8000 Hz, 10–1000 ms each,
//!   e.g. `error = "tone:220:90,tone:220:90,tone:220:90"`;
//! - `wav:PATH`: a WAV file, relative paths taken from the theme file's directory, e.g.
//!   `done = "wav:sounds/done.wav"` (played for at most two seconds).

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::DeValue;

use super::Cue;
use crate::domain::settings_file::{
    SettingsError, SettingsSource, expect_str, expect_table, in_file_order,
};

const HZ: RangeInclusive<u32> = 50..=8000;
const MS: RangeInclusive<u32> = 10..=1000;
const MAX_TONES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tone {
    pub hz: u32,
    pub ms: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sound {
    /// Played one after another with a short gap, so repeated tones stay countable.
    Tones(Vec<Tone>),
    Wav(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoundSpecError {
    #[error("no sound given; write e.g. \"tone:880:60\" or \"wav:done.wav\"")]
    Empty,
    #[error("an empty item (two commas in a row?)")]
    EmptyItem,
    #[error("{item:?} is neither tone:HZ:MS nor wav:PATH")]
    UnknownKind { item: String },
    #[error("{item:?} is not tone:HZ:MS (e.g. tone:880:60)")]
    ToneShape { item: String },
    #[error("{item:?}: {what} {text:?} is not a whole number")]
    NotANumber {
        item: String,
        what: &'static str,
        text: String,
    },
    #[error("{item:?}: {hz} Hz is outside {}–{} Hz", HZ.start(), HZ.end())]
    HzOutOfRange { item: String, hz: u32 },
    #[error("{item:?}: {ms} ms is outside {}–{} ms", MS.start(), MS.end())]
    MsOutOfRange { item: String, ms: u32 },
    #[error("{count} tones; a cue has at most {MAX_TONES}")]
    TooManyTones { count: usize },
    #[error("wav: stands alone; it cannot follow tones")]
    WavNotAlone,
    #[error("wav: needs a file path, e.g. wav:done.wav")]
    NoPath,
    #[error("{path:?} is relative, and a built-in theme has no directory to find it in")]
    RelativeInBuiltIn { path: PathBuf },
    #[error("no WAV file at {path:?}")]
    NoSuchFile { path: PathBuf },
}

impl Sound {
    /// Parses a sound as written in a theme. `theme_dir` resolves relative WAV paths; `None`
    /// for a theme that is not a file.
    pub fn parse(spec: &str, theme_dir: Option<&Path>) -> Result<Sound, SoundSpecError> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err(SoundSpecError::Empty);
        }
        // A path may hold commas, so a WAV spec is never split.
        if let Some(path) = spec.strip_prefix("wav:") {
            return wav(path.trim(), theme_dir);
        }
        let tones = spec
            .split(',')
            .map(|item| tone(item.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if tones.len() > MAX_TONES {
            return Err(SoundSpecError::TooManyTones { count: tones.len() });
        }
        Ok(Sound::Tones(tones))
    }
}

fn tone(item: &str) -> Result<Tone, SoundSpecError> {
    if item.is_empty() {
        return Err(SoundSpecError::EmptyItem);
    }
    if item.starts_with("wav:") {
        return Err(SoundSpecError::WavNotAlone);
    }
    let Some(numbers) = item.strip_prefix("tone:") else {
        return Err(SoundSpecError::UnknownKind { item: item.into() });
    };
    let Some((hz, ms)) = numbers.split_once(':') else {
        return Err(SoundSpecError::ToneShape { item: item.into() });
    };
    let number = |what: &'static str, text: &str| {
        text.trim()
            .parse::<u32>()
            .map_err(|_| SoundSpecError::NotANumber {
                item: item.into(),
                what,
                text: text.into(),
            })
    };
    let (hz, ms) = (number("frequency", hz)?, number("duration", ms)?);
    if !HZ.contains(&hz) {
        return Err(SoundSpecError::HzOutOfRange {
            item: item.into(),
            hz,
        });
    }
    if !MS.contains(&ms) {
        return Err(SoundSpecError::MsOutOfRange {
            item: item.into(),
            ms,
        });
    }
    Ok(Tone { hz, ms })
}

fn wav(path: &str, theme_dir: Option<&Path>) -> Result<Sound, SoundSpecError> {
    if path.is_empty() {
        return Err(SoundSpecError::NoPath);
    }
    let path = Path::new(path);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        theme_dir
            .ok_or_else(|| SoundSpecError::RelativeInBuiltIn { path: path.into() })?
            .join(path)
    };
    // Checked here so a typo is reported with the theme's line, not when the cue first plays.
    if !path.is_file() {
        return Err(SoundSpecError::NoSuchFile { path });
    }
    Ok(Sound::Wav(path))
}

/// The sound of every cue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CueSounds {
    by_cue: [Sound; 4],
}

impl Default for CueSounds {
    /// Told apart by count, pitch and direction even through a cheap speaker: ok one high
    /// blip, warn two mid, error three low, done a rising arpeggio.
    fn default() -> CueSounds {
        let tones = |list: &[(u32, u32)]| {
            Sound::Tones(list.iter().map(|&(hz, ms)| Tone { hz, ms }).collect())
        };
        CueSounds {
            by_cue: [
                tones(&[(1320, 70)]),
                tones(&[(660, 110), (660, 110)]),
                tones(&[(220, 90), (220, 90), (220, 90)]),
                tones(&[(523, 80), (659, 80), (784, 80), (1047, 160)]),
            ],
        }
    }
}

impl CueSounds {
    pub fn get(&self, cue: Cue) -> &Sound {
        &self.by_cue[cue.index()]
    }

    pub fn set(&mut self, cue: Cue, sound: Sound) {
        self.by_cue[cue.index()] = sound;
    }

    /// Applies a theme's `[sounds]` table over these sounds (a theme inheriting another
    /// changes only the cues it names).
    pub fn read_table(
        &mut self,
        source: &SettingsSource,
        value: &Spanned<DeValue<'_>>,
    ) -> Result<(), SettingsError> {
        let theme_dir = theme_dir(source);
        for (key, v) in in_file_order(expect_table(source, value, "[sounds]")?) {
            let cue = Cue::parse(key.get_ref()).ok_or_else(|| {
                source.error_at(
                    key.span(),
                    format!(
                        "unknown cue {:?}; cues are {}",
                        key.get_ref(),
                        Cue::ALL.map(Cue::name).join(", ")
                    ),
                )
            })?;
            let spec = expect_str(source, v, "a sound")?;
            let sound = Sound::parse(spec, theme_dir).map_err(|e| {
                source.error_at(v.span(), format!("sound for {:?}: {e}", cue.name()))
            })?;
            self.set(cue, sound);
        }
        Ok(())
    }
}

/// The directory of a theme read from a file; built-in themes (origin `built-in …`, see
/// `SettingsSource::built_in`) have none.
fn theme_dir(source: &SettingsSource) -> Option<&Path> {
    if source.origin.starts_with("built-in ") {
        return None;
    }
    Path::new(&source.origin).parent()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tones(list: &[(u32, u32)]) -> Sound {
        Sound::Tones(list.iter().map(|&(hz, ms)| Tone { hz, ms }).collect())
    }

    #[test]
    fn tone_specs() {
        assert_eq!(Sound::parse("tone:880:60", None), Ok(tones(&[(880, 60)])));
        assert_eq!(
            Sound::parse(" tone:220:90, tone:220:90 ,tone:220:90 ", None),
            Ok(tones(&[(220, 90), (220, 90), (220, 90)]))
        );
        assert_eq!(
            Sound::parse("tone:50:10,tone:8000:1000", None),
            Ok(tones(&[(50, 10), (8000, 1000)]))
        );
    }

    #[test]
    fn defaults_are_distinct_and_writable_as_specs() {
        let d = CueSounds::default();
        assert_eq!(
            Sound::parse("tone:220:90,tone:220:90,tone:220:90", None).as_ref(),
            Ok(d.get(Cue::Error)),
            "the DESIGN example is the default error cue"
        );
        assert_eq!(
            Sound::parse("tone:1320:70", None).as_ref(),
            Ok(d.get(Cue::Ok))
        );
        assert_eq!(
            Sound::parse("tone:660:110,tone:660:110", None).as_ref(),
            Ok(d.get(Cue::Warn))
        );
        assert_eq!(
            Sound::parse("tone:523:80,tone:659:80,tone:784:80,tone:1047:160", None).as_ref(),
            Ok(d.get(Cue::Done))
        );
        for a in Cue::ALL {
            for b in Cue::ALL {
                assert_eq!(a == b, d.get(a) == d.get(b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn bad_specs_say_what_is_wrong() {
        use SoundSpecError::*;
        let cases: &[(&str, SoundSpecError)] = &[
            ("", Empty),
            ("   ", Empty),
            ("tone:880:60,,tone:880:60", EmptyItem),
            ("tone:880:60,", EmptyItem),
            (
                "beep",
                UnknownKind {
                    item: "beep".into(),
                },
            ),
            (
                "sine:880:60",
                UnknownKind {
                    item: "sine:880:60".into(),
                },
            ),
            (
                "tone:880",
                ToneShape {
                    item: "tone:880".into(),
                },
            ),
            (
                "tone:880:60:3",
                NotANumber {
                    item: "tone:880:60:3".into(),
                    what: "duration",
                    text: "60:3".into(),
                },
            ),
            (
                "tone:high:60",
                NotANumber {
                    item: "tone:high:60".into(),
                    what: "frequency",
                    text: "high".into(),
                },
            ),
            (
                "tone:880:-5",
                NotANumber {
                    item: "tone:880:-5".into(),
                    what: "duration",
                    text: "-5".into(),
                },
            ),
            (
                "tone:880.5:60",
                NotANumber {
                    item: "tone:880.5:60".into(),
                    what: "frequency",
                    text: "880.5".into(),
                },
            ),
            (
                "tone:49:60",
                HzOutOfRange {
                    item: "tone:49:60".into(),
                    hz: 49,
                },
            ),
            (
                "tone:8001:60",
                HzOutOfRange {
                    item: "tone:8001:60".into(),
                    hz: 8001,
                },
            ),
            (
                "tone:880:9",
                MsOutOfRange {
                    item: "tone:880:9".into(),
                    ms: 9,
                },
            ),
            (
                "tone:880:1001",
                MsOutOfRange {
                    item: "tone:880:1001".into(),
                    ms: 1001,
                },
            ),
            ("tone:880:60,wav:/x.wav", WavNotAlone),
            ("wav:", NoPath),
            ("wav:  ", NoPath),
            (
                "wav:done.wav",
                RelativeInBuiltIn {
                    path: "done.wav".into(),
                },
            ),
            (
                "wav:/no/such/dir/done.wav",
                NoSuchFile {
                    path: "/no/such/dir/done.wav".into(),
                },
            ),
        ];
        for (spec, expected) in cases {
            assert_eq!(Sound::parse(spec, None).as_ref(), Err(expected), "{spec:?}");
        }
        let nine = ["tone:880:60"; 9].join(",");
        assert_eq!(Sound::parse(&nine, None), Err(TooManyTones { count: 9 }));
        let msg = Sound::parse("tone:20:60", None).unwrap_err().to_string();
        assert!(msg.contains("50–8000 Hz"), "{msg}");
        let msg = Sound::parse("tone:440:5000", None).unwrap_err().to_string();
        assert!(msg.contains("10–1000 ms"), "{msg}");
    }

    #[test]
    fn wav_paths_resolve_against_the_theme_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sounds")).unwrap();
        std::fs::write(dir.path().join("sounds/done, loud.wav"), b"RIFF").unwrap();
        assert_eq!(
            Sound::parse("wav:sounds/done, loud.wav", Some(dir.path())),
            Ok(Sound::Wav(dir.path().join("sounds/done, loud.wav")))
        );
        let absolute = dir.path().join("sounds/done, loud.wav");
        assert_eq!(
            Sound::parse(&format!("wav:{}", absolute.display()), None),
            Ok(Sound::Wav(absolute))
        );
        assert_eq!(
            Sound::parse("wav:sounds/missing.wav", Some(dir.path())),
            Err(SoundSpecError::NoSuchFile {
                path: dir.path().join("sounds/missing.wav")
            })
        );
    }

    fn read(origin: &str, text: &str) -> Result<CueSounds, SettingsError> {
        let source = SettingsSource {
            origin: origin.into(),
            text: text.into(),
        };
        let doc = source.parse()?;
        let mut sounds = CueSounds::default();
        for (key, value) in in_file_order(doc.get_ref()) {
            if key.get_ref() == "sounds" {
                sounds.read_table(&source, value)?;
            }
        }
        Ok(sounds)
    }

    #[test]
    fn a_theme_table_overrides_only_the_cues_it_names() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("done.wav"), b"RIFF").unwrap();
        let theme = dir.path().join("mine.toml");
        let sounds = read(
            theme.to_str().unwrap(),
            "[sounds]\nok = \"tone:880:60\"\ndone = \"wav:done.wav\"\n",
        )
        .unwrap();
        let defaults = CueSounds::default();
        assert_eq!(sounds.get(Cue::Ok), &tones(&[(880, 60)]));
        assert_eq!(
            sounds.get(Cue::Done),
            &Sound::Wav(dir.path().join("done.wav"))
        );
        assert_eq!(sounds.get(Cue::Warn), defaults.get(Cue::Warn));
        assert_eq!(sounds.get(Cue::Error), defaults.get(Cue::Error));
    }

    #[test]
    fn bad_tables_name_path_line_cue_and_reason() {
        let cases = [
            (
                "[sounds]\nok = \"tone:880:60\"\nbeep = \"tone:880:60\"\n",
                3,
                1,
                "unknown cue \"beep\"; cues are ok, warn, error, done",
            ),
            ("[sounds]\n\nwarn = 440\n", 3, 8, "a sound must be a string"),
            (
                "[sounds]\nerror = \"tone:220:90,tone:20:90\"\n",
                2,
                9,
                "sound for \"error\": \"tone:20:90\": 20 Hz is outside 50–8000 Hz",
            ),
            (
                "[sounds]\ndone = \"wav:nope.wav\"\n",
                2,
                8,
                "sound for \"done\": no WAV file at",
            ),
            ("sounds = \"loud\"\n", 1, 10, "[sounds] must be a table"),
        ];
        for (text, line, column, needle) in cases {
            let err = read("/themes/mine.toml", text).unwrap_err();
            assert_eq!((err.line, err.column), (line, column), "{err}");
            assert_eq!(err.origin, "/themes/mine.toml");
            assert!(
                err.to_string().contains(needle),
                "{err} should say {needle}"
            );
        }
    }

    #[test]
    fn built_in_themes_cannot_name_relative_wavs() {
        let err = read(
            "built-in themes/default.toml",
            "[sounds]\nok = \"wav:ok.wav\"\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("built-in theme has no directory"),
            "{err}"
        );
    }
}
