//! Turning a sound into the samples the device is fed: mono, 16-bit, 48 kHz, built with
//! rodio's sources and rendered once, so playing a cue is only a copy to the device.

use std::fs::File;
use std::io::BufReader;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rodio::source::{SineWave, UniformSourceIterator, from_iter};
use rodio::{Decoder, SampleRate, Source};

use super::sounds::{Sound, Tone};

pub const RATE: u32 = 48_000;
const RATE_NZ: SampleRate = NonZero::new(RATE).expect("48 kHz is not zero");

/// Silence between tones, so three equal tones are heard as three.
const GAP: Duration = Duration::from_millis(50);
/// Short enough to sound instant, long enough not to click.
const ATTACK: Duration = Duration::from_millis(4);
/// Leaves headroom: a cue should be heard over a warehouse, not startle.
const VOLUME: f32 = 0.5;
/// Two seconds: a cue longer than that is no longer a cue, and would hold up the next one.
const MAX_SAMPLES: usize = RATE as usize * 2;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot open {path:?}: {reason}")]
    Open {
        path: PathBuf,
        reason: std::io::Error,
    },
    #[error("cannot decode {path:?} as WAV: {reason}")]
    Decode {
        path: PathBuf,
        reason: rodio::decoder::DecoderError,
    },
}

/// Samples for the device: mono, signed 16-bit, [`RATE`] per second.
pub fn render(sound: &Sound) -> Result<Vec<i16>, RenderError> {
    Ok(match sound {
        Sound::Tones(tones) => to_pcm(tones_source(tones)),
        Sound::Wav(path) => to_pcm(wav_source(path)?),
    })
}

fn tones_source(tones: &[Tone]) -> impl Source + use<> {
    let tones = tones.to_vec();
    from_iter(tones.into_iter().enumerate().map(|(i, tone)| {
        let mut body =
            SineWave::new(tone.hz as f32).take_duration(Duration::from_millis(tone.ms.into()));
        // A decay over the whole tone: ends at zero (no click) and sounds like a blip.
        body.set_filter_fadeout();
        let lead = if i == 0 { Duration::ZERO } else { GAP };
        body.fade_in(ATTACK).amplify(VOLUME).delay(lead)
    }))
}

fn wav_source(path: &Path) -> Result<impl Source + use<>, RenderError> {
    let file = File::open(path).map_err(|reason| RenderError::Open {
        path: path.into(),
        reason,
    })?;
    Decoder::new_wav(BufReader::new(file)).map_err(|reason| RenderError::Decode {
        path: path.into(),
        reason,
    })
}

fn to_pcm(source: impl Source) -> Vec<i16> {
    // Downmixed here by averaging: rodio's own conversion to mono keeps only the first
    // channel, which would lose whatever a stereo file puts on the right.
    let channels = source.channels();
    let width = usize::from(channels.get());
    let interleaved: Vec<f32> = UniformSourceIterator::new(source, channels, RATE_NZ)
        .take(MAX_SAMPLES * width)
        .collect();
    interleaved
        .chunks_exact(width)
        .map(|frame| frame.iter().sum::<f32>() / f32::from(channels.get()))
        .map(|s| (s.clamp(-1.0, 1.0) * f32::from(i16::MAX)) as i16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::cue::{Cue, CueSounds};

    fn samples_per_ms(ms: u32) -> usize {
        RATE as usize * ms as usize / 1000
    }

    fn tones(list: &[(u32, u32)]) -> Sound {
        Sound::Tones(list.iter().map(|&(hz, ms)| Tone { hz, ms }).collect())
    }

    fn peak(samples: &[i16]) -> i16 {
        samples
            .iter()
            .map(|s| s.saturating_abs())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_tone_lasts_as_long_as_written_and_is_not_silent() {
        let samples = render(&tones(&[(880, 60)])).unwrap();
        assert_eq!(samples.len(), samples_per_ms(60));
        assert!(peak(&samples) > i16::MAX / 4, "peak {}", peak(&samples));
        assert!(peak(&samples) <= (f32::from(i16::MAX) * VOLUME) as i16 + 1);
    }

    #[test]
    fn tones_start_and_end_quietly() {
        let samples = render(&tones(&[(440, 100)])).unwrap();
        assert!(samples[0].abs() < 200, "starts at {}", samples[0]);
        assert!(samples[samples.len() - 1].abs() < 200);
    }

    #[test]
    fn tones_are_separated_by_silence() {
        let samples = render(&tones(&[(220, 90), (220, 90), (220, 90)])).unwrap();
        let tone = samples_per_ms(90);
        let gap = samples_per_ms(50);
        assert_eq!(samples.len(), 3 * tone + 2 * gap);
        assert_eq!(peak(&samples[tone..tone + gap]), 0);
        assert!(peak(&samples[tone + gap..2 * tone + gap]) > i16::MAX / 4);
    }

    #[test]
    fn the_default_cues_render_differently() {
        let sounds = CueSounds::default();
        let rendered: Vec<Vec<i16>> = Cue::ALL
            .iter()
            .map(|&cue| render(sounds.get(cue)).unwrap())
            .collect();
        for (i, a) in rendered.iter().enumerate() {
            assert!(peak(a) > i16::MAX / 4, "{:?} is silent", Cue::ALL[i]);
            for b in &rendered[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let ok = &rendered[Cue::Ok.index()];
        assert_eq!(ok.len(), samples_per_ms(70));
        let error = &rendered[Cue::Error.index()];
        assert_eq!(error.len(), 3 * samples_per_ms(90) + 2 * samples_per_ms(50));
    }

    #[test]
    fn higher_tones_cross_zero_more_often() {
        let crossings = |samples: &[i16]| {
            samples
                .windows(2)
                .filter(|w| (w[0] < 0) != (w[1] < 0))
                .count()
        };
        let low = crossings(&render(&tones(&[(220, 100)])).unwrap());
        let high = crossings(&render(&tones(&[(1320, 100)])).unwrap());
        // Two crossings per cycle: 220 Hz for 0.1 s is 44, 1320 Hz is 264.
        assert!((40..=48).contains(&low), "{low}");
        assert!((258..=270).contains(&high), "{high}");
    }

    /// A mono 16-bit PCM WAV file of `samples` at `rate`.
    fn wav_bytes(rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
        let data_len = (samples.len() * 2) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data_len).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * 2 * u32::from(channels)).to_le_bytes());
        b.extend_from_slice(&(2 * channels).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&data_len.to_le_bytes());
        for s in samples {
            b.extend_from_slice(&s.to_le_bytes());
        }
        b
    }

    #[test]
    fn a_wav_file_is_decoded_to_the_device_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("done.wav");
        let square: Vec<i16> = (0..4800)
            .map(|i| if i % 48 < 24 { 8000 } else { -8000 })
            .collect();
        std::fs::write(&path, wav_bytes(48_000, 1, &square)).unwrap();
        let samples = render(&Sound::Wav(path)).unwrap();
        assert_eq!(samples.len(), 4800);
        assert!((samples[10] - 8000).abs() < 16, "{}", samples[10]);
        assert!((samples[30] + 8000).abs() < 16, "{}", samples[30]);
    }

    #[test]
    fn a_stereo_44k1_wav_is_resampled_to_mono_48k() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ok.wav");
        let frames = 4410; // 0.1 s
        let stereo: Vec<i16> = (0..frames * 2)
            .map(|i| if i % 2 == 0 { 6000 } else { 2000 })
            .collect();
        std::fs::write(&path, wav_bytes(44_100, 2, &stereo)).unwrap();
        let samples = render(&Sound::Wav(path)).unwrap();
        let expected = samples_per_ms(100);
        assert!(samples.len().abs_diff(expected) <= 2, "{}", samples.len());
        assert!((samples[1000] - 4000).abs() < 16, "{}", samples[1000]);
    }

    #[test]
    fn long_wav_files_are_cut_to_two_seconds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("long.wav");
        std::fs::write(&path, wav_bytes(48_000, 1, &vec![1000; 48_000 * 3])).unwrap();
        assert_eq!(render(&Sound::Wav(path)).unwrap().len(), MAX_SAMPLES);
    }

    #[test]
    fn a_file_that_is_not_a_wav_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.wav");
        std::fs::write(&path, "not audio at all").unwrap();
        let err = render(&Sound::Wav(path.clone())).unwrap_err();
        assert!(matches!(err, RenderError::Decode { .. }), "{err}");
        assert!(err.to_string().contains("notes.wav"), "{err}");
        let gone = dir.path().join("gone.wav");
        let err = render(&Sound::Wav(gone)).unwrap_err();
        assert!(matches!(err, RenderError::Open { .. }), "{err}");
    }
}
