//! The terminal bell standing in for sound: a cue is told by how many bells ring and how
//! far apart.
//!
//! | cue   | bells | gaps     |
//! |-------|-------|----------|
//! | ok    | 1     |          |
//! | warn  | 2     | 300 ms   |
//! | error | 3     | 300 ms   |
//! | done  | 2     | 800 ms   |
//!
//! 300 ms because xterm swallows a bell within 200 ms of the last one (`bellSuppressTime`)
//! and others rate-limit similarly; done's long gap tells it from warn's quick pair.

use std::io::{self, Write};
use std::time::Duration;

use super::Cue;

const BEL: &[u8] = b"\x07";
const SHORT: Duration = Duration::from_millis(300);
const LONG: Duration = Duration::from_millis(800);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BellPattern {
    /// The wait before each bell; the first is zero.
    delays: &'static [Duration],
}

impl BellPattern {
    pub fn of(cue: Cue) -> BellPattern {
        let delays: &'static [Duration] = match cue {
            Cue::Ok => &[Duration::ZERO],
            Cue::Warn => &[Duration::ZERO, SHORT],
            Cue::Error => &[Duration::ZERO, SHORT, SHORT],
            Cue::Done => &[Duration::ZERO, LONG],
        };
        BellPattern { delays }
    }

    pub fn bells(self) -> usize {
        self.delays.len()
    }

    /// Rings the pattern on `out`, waiting with `sleep` (injected so tests need not wait).
    /// Each bell is flushed on its own so the gaps are heard, not buffered away.
    pub fn ring(self, out: &mut impl Write, mut sleep: impl FnMut(Duration)) -> io::Result<()> {
        for &delay in self.delays {
            if !delay.is_zero() {
                sleep(delay);
            }
            out.write_all(BEL)?;
            out.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(cue: Cue) -> (Vec<u8>, Vec<Duration>) {
        let mut out = Vec::new();
        let mut waits = Vec::new();
        BellPattern::of(cue)
            .ring(&mut out, |d| waits.push(d))
            .unwrap();
        (out, waits)
    }

    #[test]
    fn each_cue_rings_its_own_count_and_gaps() {
        let ms = Duration::from_millis;
        assert_eq!(rung(Cue::Ok), (b"\x07".to_vec(), vec![]));
        assert_eq!(rung(Cue::Warn), (b"\x07\x07".to_vec(), vec![ms(300)]));
        assert_eq!(
            rung(Cue::Error),
            (b"\x07\x07\x07".to_vec(), vec![ms(300), ms(300)])
        );
        assert_eq!(rung(Cue::Done), (b"\x07\x07".to_vec(), vec![ms(800)]));
    }

    #[test]
    fn patterns_are_pairwise_distinct_and_never_too_close_for_xterm() {
        for a in Cue::ALL {
            for b in Cue::ALL {
                assert_eq!(a == b, BellPattern::of(a) == BellPattern::of(b));
            }
            let (bells, gaps) = rung(a);
            assert_eq!(BellPattern::of(a).bells(), bells.len());
            assert!(
                gaps.iter().all(|d| *d > Duration::from_millis(200)),
                "{a:?}"
            );
        }
        assert_eq!(BellPattern::of(Cue::Error).bells(), 3);
    }

    struct Broken;
    impl Write for Broken {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("terminal gone"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failing_writer_stops_the_pattern_with_its_error() {
        let mut waits = 0;
        let err = BellPattern::of(Cue::Error)
            .ring(&mut Broken, |_| waits += 1)
            .unwrap_err();
        assert_eq!(err.to_string(), "terminal gone");
        assert_eq!(waits, 0);
    }
}
