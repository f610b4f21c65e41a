//! Playing cues on a thread of their own, so the UI never waits for a sound.
//!
//! At most one cue waits while another plays, and the more urgent one wins that place (a
//! newer one if equally urgent). A scanner firing ten scans a second therefore hears the
//! current cue and then the latest (or the worst) of what came meanwhile, never a backlog
//! seconds behind the screen; an error is never pushed out by the "ok"s after it.

use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;

use super::alsa::Pcm;
use super::bell::BellPattern;
use super::output::{AudioEnv, CueOutput};
use super::render::{RATE, RenderError, render};
use super::{Cue, CueSink, CueSounds};

/// Where the sound device is; the defaults suit every Linux desktop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    /// The ALSA library to load at run time.
    pub library: String,
    /// The ALSA device name ("default" follows the user's PulseAudio/PipeWire/ALSA setup).
    pub device: String,
}

impl Default for Speaker {
    fn default() -> Speaker {
        Speaker {
            library: "libasound.so.2".into(),
            device: "default".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CueError {
    #[error("sound for {:?}: {reason}", cue.name())]
    Sound {
        cue: Cue,
        #[source]
        reason: RenderError,
    },
    #[error("cannot start the sound thread: {0}")]
    Thread(#[from] std::io::Error),
}

pub struct CuePlayer {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    waiting: Option<Cue>,
    muted: bool,
    closed: bool,
}

impl Shared {
    /// The state is a few plain fields, consistent after any panic, so poison is ignored.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl CuePlayer {
    /// Renders every cue (so a broken WAV file is reported now, before the console takes the
    /// screen) and starts the player thread. The device is opened when the first cue needs
    /// it; `bell` (the terminal, normally stdout) gets the BELs when there is no device.
    pub fn start(
        sounds: &CueSounds,
        env: AudioEnv,
        speaker: Speaker,
        bell: impl Write + Send + 'static,
    ) -> Result<CuePlayer, CueError> {
        let mut samples: [Vec<i16>; 4] = Default::default();
        for cue in Cue::ALL {
            samples[cue.index()] =
                render(sounds.get(cue)).map_err(|reason| CueError::Sound { cue, reason })?;
        }
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            shared: Arc::clone(&shared),
            samples,
            env,
            speaker,
            bell,
        };
        thread::Builder::new()
            .name("cue-player".into())
            .spawn(move || worker.run())?;
        Ok(CuePlayer { shared })
    }

    /// Queues `cue` and returns at once; the lock is only held to set a field.
    pub fn play(&self, cue: Cue) {
        let mut state = self.shared.lock();
        // Nothing is kept while muted, so unmuting never plays an old cue.
        if state.muted {
            return;
        }
        state.waiting = Some(keep(state.waiting, cue));
        drop(state);
        self.shared.wake.notify_one();
    }

    /// Muting also drops the cue waiting; the one playing (at most two seconds) ends.
    pub fn set_muted(&self, muted: bool) {
        let mut state = self.shared.lock();
        state.muted = muted;
        if muted {
            state.waiting = None;
        }
    }

    pub fn is_muted(&self) -> bool {
        self.shared.lock().muted
    }
}

impl CueSink for CuePlayer {
    fn play(&self, cue: Cue) {
        CuePlayer::play(self, cue);
    }

    fn set_muted(&self, muted: bool) {
        CuePlayer::set_muted(self, muted);
    }
}

impl Drop for CuePlayer {
    /// Stops the thread after its current cue, without waiting for it: quitting must not
    /// wait for a sound.
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
    }
}

/// Which of a waiting cue and a new one keeps the single waiting place.
fn keep(waiting: Option<Cue>, new: Cue) -> Cue {
    match waiting {
        Some(old) if old.urgency() > new.urgency() => old,
        _ => new,
    }
}

enum Device {
    Untried,
    Open(Pcm),
    /// Not retried: a second failed open per cue would delay every bell.
    Unavailable,
}

impl Device {
    fn ready(&mut self, speaker: &Speaker) -> bool {
        if let Device::Untried = self {
            *self = match Pcm::open(&speaker.library, &speaker.device, RATE) {
                Ok(pcm) => Device::Open(pcm),
                Err(e) => {
                    tracing::info!("sound cues use the terminal bell: {e}");
                    Device::Unavailable
                }
            };
        }
        matches!(self, Device::Open(_))
    }
}

/// What the player thread is given.
struct Worker<W> {
    shared: Arc<Shared>,
    samples: [Vec<i16>; 4],
    env: AudioEnv,
    speaker: Speaker,
    bell: W,
}

impl<W: Write> Worker<W> {
    fn run(mut self) {
        // Made here, not passed in: ALSA is silenced per thread, so it is loaded and used on
        // this thread only.
        let mut device = Device::Untried;
        while let Some((cue, muted)) = self.next() {
            match CueOutput::choose(self.env, muted, || device.ready(&self.speaker)) {
                CueOutput::Sound => {
                    if let Device::Open(pcm) = &mut device
                        && let Err(e) = pcm.play(&self.samples[cue.index()])
                    {
                        tracing::warn!("sound device failed, cues use the terminal bell: {e}");
                        device = Device::Unavailable;
                        self.ring(cue);
                    }
                }
                CueOutput::Bell => self.ring(cue),
                CueOutput::Silent => {}
            }
        }
    }

    /// The next cue to play and whether sound is muted, or `None` once the player is gone.
    fn next(&self) -> Option<(Cue, bool)> {
        let mut state = self.shared.lock();
        loop {
            if state.closed {
                return None;
            }
            if let Some(cue) = state.waiting.take() {
                return Some((cue, state.muted));
            }
            state = self
                .shared
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn ring(&mut self, cue: Cue) {
        if let Err(e) = BellPattern::of(cue).ring(&mut self.bell, thread::sleep) {
            tracing::warn!("cannot ring the terminal bell: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn the_more_urgent_cue_keeps_the_waiting_place() {
        assert_eq!(keep(None, Cue::Ok), Cue::Ok);
        assert_eq!(keep(Some(Cue::Error), Cue::Ok), Cue::Error);
        assert_eq!(keep(Some(Cue::Ok), Cue::Error), Cue::Error);
        assert_eq!(keep(Some(Cue::Warn), Cue::Done), Cue::Warn);
        assert_eq!(keep(Some(Cue::Done), Cue::Ok), Cue::Done);
        assert_eq!(keep(Some(Cue::Ok), Cue::Ok), Cue::Ok);
    }

    /// A terminal in memory, shared with the player thread.
    #[derive(Clone, Default)]
    struct Screen(Arc<Mutex<Vec<u8>>>);

    impl Screen {
        fn bells(&self) -> usize {
            self.0
                .lock()
                .unwrap()
                .iter()
                .filter(|&&b| b == 0x07)
                .count()
        }

        /// Waits (up to five seconds) until `n` bells have rung.
        fn wait_for(&self, n: usize) {
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.bells() < n && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
        }
    }

    impl Write for Screen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A local console whose ALSA library is not there.
    fn player_without_alsa(screen: &Screen) -> CuePlayer {
        let speaker = Speaker {
            library: "libbackroom-no-such-alsa.so.2".into(),
            device: "default".into(),
        };
        CuePlayer::start(
            &CueSounds::default(),
            AudioEnv { over_ssh: false },
            speaker,
            screen.clone(),
        )
        .unwrap()
    }

    #[test]
    fn without_alsa_an_error_rings_three_bells() {
        let screen = Screen::default();
        let player = player_without_alsa(&screen);
        player.play(Cue::Error);
        screen.wait_for(3);
        assert_eq!(screen.bells(), 3);
        assert!(screen.0.lock().unwrap().iter().all(|&b| b == 0x07));
    }

    #[test]
    fn over_ssh_cues_ring_the_bell() {
        let screen = Screen::default();
        let player = CuePlayer::start(
            &CueSounds::default(),
            AudioEnv { over_ssh: true },
            Speaker::default(),
            screen.clone(),
        )
        .unwrap();
        player.play(Cue::Ok);
        screen.wait_for(1);
        thread::sleep(Duration::from_millis(100));
        assert_eq!(screen.bells(), 1);
    }

    #[test]
    fn play_returns_at_once_and_a_burst_does_not_pile_up() {
        let screen = Screen::default();
        let player = player_without_alsa(&screen);
        let started = Instant::now();
        player.play(Cue::Error);
        for _ in 0..20 {
            player.play(Cue::Ok);
        }
        assert!(started.elapsed() < Duration::from_millis(100));
        // The error's three bells, then at most the latest ok; not twenty oks.
        screen.wait_for(3);
        thread::sleep(Duration::from_millis(500));
        assert!((3..=4).contains(&screen.bells()), "{}", screen.bells());
    }

    #[test]
    fn muted_cues_are_dropped_not_kept_for_later() {
        let screen = Screen::default();
        let player = player_without_alsa(&screen);
        player.set_muted(true);
        assert!(player.is_muted());
        player.play(Cue::Error);
        thread::sleep(Duration::from_millis(200));
        assert_eq!(screen.bells(), 0);
        player.set_muted(false);
        player.play(Cue::Ok);
        screen.wait_for(1);
        thread::sleep(Duration::from_millis(400));
        assert_eq!(screen.bells(), 1);
    }

    #[test]
    fn a_broken_wav_file_is_reported_at_start_naming_the_cue() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("done.wav");
        std::fs::write(&path, "not audio").unwrap();
        let mut sounds = CueSounds::default();
        sounds.set(Cue::Done, super::super::Sound::Wav(path));
        let err = CuePlayer::start(
            &sounds,
            AudioEnv::default(),
            Speaker::default(),
            std::io::sink(),
        )
        .err()
        .expect("a broken WAV is refused");
        let text = err.to_string();
        assert!(text.starts_with("sound for \"done\": "), "{text}");
        assert!(text.contains("done.wav"), "{text}");
    }
}
