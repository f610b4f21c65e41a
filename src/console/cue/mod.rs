//! Sound cues: short, distinct sounds for ok, warn, error and done, so a picker hears the
//! result of a scan without looking at the screen.
//!
//! Each cue is a few synthesized tones (or a WAV file named by the theme), rendered once at
//! start-up and played on a background thread through ALSA, which is loaded at run time so
//! the build needs no ALSA headers. Over SSH, or where no sound device opens, the terminal
//! bell stands in, in a pattern per cue.

mod alsa;
mod bell;
mod output;
mod player;
mod render;
mod sounds;

pub use bell::BellPattern;
pub use output::{AudioEnv, CueOutput};
pub use player::{CueError, CuePlayer, Speaker};
pub use render::RenderError;
pub use sounds::{CueSounds, Sound, SoundSpecError, Tone};

/// Where the console sends its cues. The player makes them heard; whatever must know which
/// cue came and when (a test, a benchmark) can stand in for it.
pub trait CueSink: Send {
    /// Returns at once: the screen never waits for a sound.
    fn play(&self, cue: Cue);
    fn set_muted(&self, muted: bool);
}

/// What just happened, as far as the ear is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cue {
    /// A scan or step was accepted.
    Ok,
    /// Accepted, but look at the screen (e.g. short pick, expiry close).
    Warn,
    /// Refused: wrong item, unknown barcode, failed action.
    Error,
    /// A whole task is finished (order picked, count submitted).
    Done,
}

impl Cue {
    pub const ALL: [Cue; 4] = [Cue::Ok, Cue::Warn, Cue::Error, Cue::Done];

    /// The key naming this cue in a theme's `[sounds]` table.
    pub fn name(self) -> &'static str {
        match self {
            Cue::Ok => "ok",
            Cue::Warn => "warn",
            Cue::Error => "error",
            Cue::Done => "done",
        }
    }

    fn parse(name: &str) -> Option<Cue> {
        Cue::ALL.into_iter().find(|c| c.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// When cues arrive faster than they play, the more urgent one waiting is kept: a missed
    /// "ok" costs nothing, a missed "error" means a wrong item in a parcel.
    fn urgency(self) -> u8 {
        match self {
            Cue::Ok => 0,
            Cue::Done => 1,
            Cue::Warn => 2,
            Cue::Error => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for cue in Cue::ALL {
            assert_eq!(Cue::parse(cue.name()), Some(cue));
            assert_eq!(Cue::ALL[cue.index()], cue);
        }
        assert_eq!(Cue::parse("warning"), None);
    }

    #[test]
    fn error_is_the_most_urgent() {
        for cue in [Cue::Ok, Cue::Warn, Cue::Done] {
            assert!(Cue::Error.urgency() > cue.urgency());
        }
        assert!(Cue::Warn.urgency() > Cue::Ok.urgency());
    }
}
