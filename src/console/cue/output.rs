//! Where a cue goes: the sound device, the terminal bell, or nowhere.

/// What the environment says about sound, read once at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AudioEnv {
    /// A sound device here would play in the server room, not at the user's terminal.
    pub over_ssh: bool,
}

impl AudioEnv {
    pub fn from_env() -> AudioEnv {
        AudioEnv {
            over_ssh: std::env::var_os("SSH_CONNECTION").is_some_and(|v| !v.is_empty()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CueOutput {
    Sound,
    Bell,
    Silent,
}

impl CueOutput {
    /// Muted beats everything; over SSH the bell is the only thing the user can hear; else
    /// sound if the device opens. `device_opens` is asked only when it matters, so a muted or
    /// remote console never touches ALSA.
    pub fn choose(env: AudioEnv, muted: bool, device_opens: impl FnOnce() -> bool) -> CueOutput {
        if muted {
            CueOutput::Silent
        } else if env.over_ssh || !device_opens() {
            CueOutput::Bell
        } else {
            CueOutput::Sound
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCAL: AudioEnv = AudioEnv { over_ssh: false };
    const REMOTE: AudioEnv = AudioEnv { over_ssh: true };

    /// The choice, and whether the device was asked.
    fn choose(env: AudioEnv, muted: bool, opens: bool) -> (CueOutput, bool) {
        let mut asked = false;
        let output = CueOutput::choose(env, muted, || {
            asked = true;
            opens
        });
        (output, asked)
    }

    #[test]
    fn local_with_a_device_plays_sound() {
        assert_eq!(choose(LOCAL, false, true), (CueOutput::Sound, true));
    }

    #[test]
    fn local_without_a_device_rings_the_bell() {
        assert_eq!(choose(LOCAL, false, false), (CueOutput::Bell, true));
    }

    #[test]
    fn over_ssh_rings_the_bell_without_touching_the_device() {
        assert_eq!(choose(REMOTE, false, true), (CueOutput::Bell, false));
        assert_eq!(choose(REMOTE, false, false), (CueOutput::Bell, false));
    }

    #[test]
    fn muted_is_silent_everywhere_without_touching_the_device() {
        for env in [LOCAL, REMOTE] {
            for opens in [true, false] {
                assert_eq!(choose(env, true, opens), (CueOutput::Silent, false));
            }
        }
    }
}
