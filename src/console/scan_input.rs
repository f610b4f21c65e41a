//! Tells keyboard-wedge scans from typing. A wedge scanner types each code as keys; in front
//! of the keymap, this turns them into one [`Input::Scan`] per code and lets everything else
//! through as [`Input::Key`], in the order it came.
//!
//! Two ways to tell, either or both as [`KeyboardWedge`] says:
//! - timing: printable keys are held back while they come fast. A burst ended by the suffix
//!   key, long enough and fast enough on average, is a scan; otherwise the held keys are given
//!   back as typed, once the next key or [`ScanInput::deadline`] shows the burst is over.
//! - prefix: the scanner sends a prefix key before each code, and everything up to the suffix
//!   is the scan however late or clumped the keys come, as they do over SSH.
//!
//! Pure logic: the caller passes in the time each key was read, so tests can feed synthetic
//! key streams.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::keymap::Key;
use crate::domain::barcode::{KeyboardWedge, PasteMode};

/// The group separator (ASCII 0x1D), which GS1 codes use for FNC1 between fields.
pub const GS: char = '\u{1d}';

/// A prefix scan that waits this long for its suffix lost it; the prefix proved the keys came
/// from the scanner, so they are still a scan.
const PREFIX_TIMEOUT: Duration = Duration::from_secs(2);

/// No code is this long (a QR code holds at most 4296 characters, GS1 codes far fewer): a
/// stuck or held-down key. Held keys are then given back as typed (a prefix scan ends as a
/// scan), so memory stays bounded and the keys show up.
const MAX_HELD: usize = 4096;

/// What the app sees, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Key(KeyEvent),
    /// What the scanner typed, GS as [`GS`], untrimmed and unparsed.
    Scan(String),
}

type Chord = (KeyCode, KeyModifiers);

#[derive(Debug, Default)]
enum Pending {
    #[default]
    Nothing,
    Burst(Burst),
    /// Keys after the prefix key; only the text is kept, as they never go back as keys. Esc
    /// drops it; any other key that types nothing ends it early, since scanners send none.
    Prefixed {
        text: String,
        last: Instant,
    },
}

/// Printable keys that came fast, held until it is clear whether they are a scan.
#[derive(Debug)]
struct Burst {
    /// Releases too, so that typing comes back exactly as it came.
    keys: Vec<KeyEvent>,
    text: String,
    first: Instant,
    last: Instant,
}

/// Sits in front of the keymap; the caller calls `expire` at `deadline` when no key comes.
#[derive(Debug)]
pub struct ScanInput {
    suffix: Chord,
    prefix: Option<Chord>,
    timing: bool,
    max_average_gap: Duration,
    max_key_gap: Duration,
    min_length: usize,
    paste: PasteMode,
    pending: Pending,
}

impl ScanInput {
    /// `suffix` and `prefix` are the settings' keys, already parsed.
    pub fn new(
        settings: &KeyboardWedge,
        suffix: (KeyCode, KeyModifiers),
        prefix: Option<(KeyCode, KeyModifiers)>,
    ) -> ScanInput {
        ScanInput {
            suffix: chord(suffix.0, suffix.1),
            prefix: prefix.map(|(code, mods)| chord(code, mods)),
            timing: settings.timing,
            max_average_gap: Duration::from_millis(settings.max_average_gap_ms.into()),
            max_key_gap: Duration::from_millis(settings.max_key_gap_ms.into()),
            min_length: settings.min_length as usize,
            paste: settings.paste,
            pending: Pending::Nothing,
        }
    }

    /// From the config file's `[scanner.keyboard]`; a key that is no key is refused.
    pub fn from_settings(settings: &KeyboardWedge) -> Result<ScanInput, String> {
        settings.validate()?;
        let key = |name: &str, spec: &str| {
            Key::parse(spec)
                .map(|k| (k.code, k.mods))
                .map_err(|e| format!("scanner.keyboard.{name}: {e}"))
        };
        let suffix = key("suffix", &settings.suffix)?;
        let prefix = settings
            .prefix
            .as_deref()
            .map(|p| key("prefix", p))
            .transpose()?;
        if Some(suffix) == prefix {
            return Err("scanner.keyboard: prefix and suffix must be different keys".into());
        }
        Ok(ScanInput::new(settings, suffix, prefix))
    }

    /// One key event read at `at`. Returns what the app should see now, in order.
    pub fn key(&mut self, ev: KeyEvent, at: Instant) -> Vec<Input> {
        let mut out = self.expire(at);
        let chord = chord(ev.code, ev.modifiers);
        if ev.kind != KeyEventKind::Press {
            // Windows reports a release for every key: were they to end bursts, no scan would
            // ever be one there. They go with their presses, back as keys or away with a scan.
            match &mut self.pending {
                Pending::Burst(burst) => {
                    burst.keys.push(ev);
                    if burst.keys.len() >= MAX_HELD {
                        self.close(None, &mut out);
                    }
                }
                Pending::Prefixed { .. } => {}
                Pending::Nothing => out.push(Input::Key(ev)),
            }
        } else if Some(chord) == self.prefix {
            self.close(None, &mut out);
            self.pending = Pending::Prefixed {
                text: String::new(),
                last: at,
            };
        } else if chord == self.suffix {
            if !self.close(Some(at), &mut out) {
                out.push(Input::Key(ev));
            }
        } else if ev.code == KeyCode::Esc && matches!(self.pending, Pending::Prefixed { .. }) {
            // What came so far is a scan cut short, not typing.
            self.pending = Pending::Nothing;
        } else {
            let held = scan_char(chord).is_some_and(|c| self.hold(ev, c, at, &mut out));
            if !held {
                self.close(None, &mut out);
                out.push(Input::Key(ev));
            }
        }
        out
    }

    /// Bracketed paste read at `at`.
    pub fn paste(&mut self, text: &str, at: Instant) -> Vec<Input> {
        let mut out = self.expire(at);
        self.close(None, &mut out);
        match self.paste {
            PasteMode::Scan => out.extend(
                text.split(['\r', '\n'])
                    .map(str::trim_end)
                    .filter(|line| !line.is_empty())
                    .map(|line| Input::Scan(line.to_string())),
            ),
            PasteMode::Text => out.extend(text.replace("\r\n", "\n").chars().map(|c| {
                let code = if matches!(c, '\n' | '\r') {
                    KeyCode::Enter
                } else {
                    KeyCode::Char(c)
                };
                Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
            })),
        }
        out
    }

    /// When `expire` must be called if no key comes first (keys are being held).
    pub fn deadline(&self) -> Option<Instant> {
        match &self.pending {
            Pending::Nothing => None,
            Pending::Burst(burst) => Some(burst.last + self.max_key_gap),
            Pending::Prefixed { last, .. } => Some(*last + PREFIX_TIMEOUT),
        }
    }

    /// Gives back held keys whose burst ended without a suffix, and prefix scans that lost it.
    pub fn expire(&mut self, now: Instant) -> Vec<Input> {
        let mut out = Vec::new();
        if self.deadline().is_some_and(|deadline| now >= deadline) {
            self.close(None, &mut out);
        }
        out
    }

    /// Gives back whatever is pending: the input has ended, so nothing more will come.
    pub fn finish(&mut self) -> Vec<Input> {
        let mut out = Vec::new();
        self.close(None, &mut out);
        out
    }

    /// Takes a character into what is pending, if that will have it; false when it is a key.
    fn hold(&mut self, ev: KeyEvent, c: char, at: Instant, out: &mut Vec<Input>) -> bool {
        let full = match &mut self.pending {
            Pending::Prefixed { text, last } => {
                text.push(c);
                *last = at;
                text.len() >= MAX_HELD
            }
            Pending::Burst(burst) => {
                burst.keys.push(ev);
                burst.text.push(c);
                burst.last = at;
                burst.keys.len() >= MAX_HELD
            }
            // A lone GS may be a bound key (Ctrl+5, Ctrl+]): it only ever joins a burst.
            Pending::Nothing if self.timing && c != GS => {
                let text = c.to_string();
                self.pending = Pending::Burst(Burst {
                    keys: vec![ev],
                    text,
                    first: at,
                    last: at,
                });
                false
            }
            Pending::Nothing => return false,
        };
        if full {
            self.close(None, out);
        }
        true
    }

    /// Ends what is pending. A burst is a scan only when the suffix read at `suffix_at` closes
    /// it and it qualifies; a prefix scan is one whenever it has text. True when the suffix
    /// was part of a scan and so is swallowed.
    fn close(&mut self, suffix_at: Option<Instant>, out: &mut Vec<Input>) -> bool {
        match std::mem::take(&mut self.pending) {
            Pending::Nothing => false,
            Pending::Burst(burst) => {
                let scan = suffix_at.is_some_and(|at| self.is_scan(&burst, at));
                if scan {
                    out.push(Input::Scan(burst.text));
                } else {
                    out.extend(burst.keys.into_iter().map(Input::Key));
                }
                scan
            }
            Pending::Prefixed { text, .. } => {
                if !text.is_empty() {
                    out.push(Input::Scan(text));
                }
                true
            }
        }
    }

    fn is_scan(&self, burst: &Burst, suffix_at: Instant) -> bool {
        let chars = burst.text.chars().count();
        // n characters and the suffix make n gaps.
        let span = suffix_at.saturating_duration_since(burst.first);
        let most = self
            .max_average_gap
            .saturating_mul(chars.try_into().unwrap_or(u32::MAX));
        chars >= self.min_length && span <= most
    }
}

/// Keys as the keymap compares them: shift is dropped for characters, as scanners send
/// capitals with it, and ctrl/alt letters are lower case, as terminals report either.
fn chord(code: KeyCode, mods: KeyModifiers) -> Chord {
    let key = Key::new(code, mods);
    (key.code, key.mods)
}

/// The character a key puts into a scan. GS comes raw, as Ctrl+] (Windows) or as Ctrl+5
/// (Unix terminals turn bytes 0x1C–0x1F into Ctrl+4–7).
fn scan_char((code, mods): Chord) -> Option<char> {
    match code {
        KeyCode::Char(GS) => Some(GS),
        KeyCode::Char(']' | '5') if mods == KeyModifiers::CONTROL => Some(GS),
        KeyCode::Char(c) if mods.is_empty() => Some(c),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use proptest::collection::vec;
    use proptest::prelude::*;
    use proptest::sample::select;

    use super::*;

    type Stream = Vec<(KeyEvent, u64)>;

    const ENTER: Chord = (KeyCode::Enter, KeyModifiers::NONE);
    const CTRL_B: Chord = (KeyCode::Char('b'), KeyModifiers::CONTROL);

    fn at(ms: u64) -> Instant {
        static START: OnceLock<Instant> = OnceLock::new();
        *START.get_or_init(Instant::now) + Duration::from_millis(ms)
    }

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    /// As a scanner types it: capitals come with shift.
    fn ch(c: char) -> KeyEvent {
        let shift = c.is_uppercase().then_some(KeyModifiers::SHIFT);
        KeyEvent::new(KeyCode::Char(c), shift.unwrap_or(KeyModifiers::NONE))
    }

    fn ctrl(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)
    }

    fn release(ev: KeyEvent) -> KeyEvent {
        KeyEvent {
            kind: KeyEventKind::Release,
            ..ev
        }
    }

    /// `text` typed from `from` ms on, one key every `gap` ms.
    fn typed(text: &str, from: u64, gap: u64) -> Stream {
        (0..)
            .zip(text.chars())
            .map(|(i, c)| (ch(c), from + i * gap))
            .collect()
    }

    /// `text` typed, then Enter after one more `gap`.
    fn entered(text: &str, from: u64, gap: u64) -> Stream {
        let mut stream = typed(text, from, gap);
        stream.push((press(KeyCode::Enter), from + gap * text.len() as u64));
        stream
    }

    fn keys(text: &str) -> Vec<Input> {
        text.chars().map(|c| Input::Key(ch(c))).collect()
    }

    fn key(code: KeyCode) -> Input {
        Input::Key(press(code))
    }

    fn scan(text: &str) -> Input {
        Input::Scan(text.to_string())
    }

    fn with_releases(stream: Stream) -> Stream {
        let both = |(ev, t)| [(ev, t), (release(ev), t + 1)];
        stream.into_iter().flat_map(both).collect()
    }

    fn scanner() -> ScanInput {
        ScanInput::new(&KeyboardWedge::default(), ENTER, None)
    }

    fn feed(scanner: &mut ScanInput, stream: &[(KeyEvent, u64)]) -> Vec<Input> {
        let keys = stream.iter().flat_map(|&(ev, ms)| scanner.key(ev, at(ms)));
        keys.collect()
    }

    /// Feeds the stream, then lets anything still held come out.
    fn run(scanner: &mut ScanInput, stream: &[(KeyEvent, u64)]) -> Vec<Input> {
        let mut out = feed(scanner, stream);
        out.extend(scanner.expire(at(stream.last().map_or(0, |e| e.1) + 10_000)));
        out
    }

    fn split(out: Vec<Input>) -> (Vec<String>, Vec<KeyEvent>) {
        let (mut scans, mut keys) = (Vec::new(), Vec::new());
        for input in out {
            match input {
                Input::Scan(text) => scans.push(text),
                Input::Key(ev) => keys.push(ev),
            }
        }
        (scans, keys)
    }

    #[test]
    fn a_fast_burst_with_the_suffix_is_one_scan() {
        let out = run(&mut scanner(), &entered("4006381333931", 0, 8));
        assert_eq!(out, [scan("4006381333931")]);
        let out = run(&mut scanner(), &entered("]E04006381333931", 0, 8));
        assert_eq!(out, [scan("]E04006381333931")]);
    }

    #[test]
    fn human_typing_comes_back_as_keys() {
        let mut s = scanner();
        assert_eq!(feed(&mut s, &typed("1234", 0, 120)), keys("123"));
        assert_eq!(s.deadline(), Some(at(360 + 80)));
        assert_eq!(s.expire(at(439)), []);
        assert_eq!(s.expire(at(440)), keys("4"));
        assert_eq!(s.deadline(), None);
        assert_eq!(s.key(press(KeyCode::Enter), at(480)), [key(KeyCode::Enter)]);
    }

    #[test]
    fn a_fast_typist_with_rollover_is_not_a_scan() {
        let mut stream: Stream = "4711"
            .chars()
            .zip([0, 70, 80, 150])
            .map(|(c, t)| (ch(c), t))
            .collect();
        stream.push((press(KeyCode::Enter), 210));
        let expected = [keys("4711"), vec![key(KeyCode::Enter)]].concat();
        assert_eq!(run(&mut scanner(), &stream), expected);
    }

    #[test]
    fn a_burst_shorter_than_min_length_is_typing() {
        let expected = [keys("123"), vec![key(KeyCode::Enter)]].concat();
        assert_eq!(run(&mut scanner(), &entered("123", 0, 8)), expected);
    }

    #[test]
    fn a_scan_amid_slow_typing_is_told_apart() {
        let stream = [
            typed("ab", 0, 150),
            entered("4006381333931", 400, 8),
            typed("c", 700, 1),
        ];
        let expected = [keys("ab"), vec![scan("4006381333931")], keys("c")].concat();
        assert_eq!(run(&mut scanner(), &stream.concat()), expected);
    }

    #[test]
    fn group_separators_inside_a_burst_are_gs() {
        for gs in [ctrl(']'), ctrl('5'), ch(GS)] {
            let mut stream = typed("]C101095012345678903", 0, 8);
            stream.push((gs, 160));
            stream.extend(entered("10ABC", 168, 8));
            let expected = scan("]C101095012345678903\u{1d}10ABC");
            assert_eq!(run(&mut scanner(), &stream), [expected]);
        }
    }

    #[test]
    fn a_lone_group_separator_is_a_key() {
        assert_eq!(scanner().key(ctrl('5'), at(0)), [Input::Key(ctrl('5'))]);
    }

    #[test]
    fn a_prefix_scan_ignores_timing() {
        let mut s = ScanInput::new(&KeyboardWedge::default(), ENTER, Some(CTRL_B));
        let stream = [
            vec![(ctrl('b'), 5)],
            entered("40063813", 5, 0),
            typed("ab", 300, 10),
            vec![(ctrl('b'), 320)],
            entered("4006381333931", 1000, 300),
        ];
        let expected = [
            vec![scan("40063813")],
            keys("ab"),
            vec![scan("4006381333931")],
        ];
        assert_eq!(run(&mut s, &stream.concat()), expected.concat());
    }

    #[test]
    fn a_prefix_scan_ends_at_esc_or_after_two_seconds() {
        let mut s = ScanInput::new(&KeyboardWedge::default(), ENTER, Some(CTRL_B));
        let stream = [
            vec![(ctrl('b'), 0)],
            typed("123", 5, 5),
            vec![(press(KeyCode::Esc), 20)],
        ];
        assert_eq!(run(&mut s, &stream.concat()), []);
        assert_eq!(s.key(ctrl('b'), at(0)), []);
        assert_eq!(s.key(ch('4'), at(10)), []);
        assert_eq!(s.deadline(), Some(at(10 + 2000)));
        assert_eq!(s.expire(at(2009)), []);
        assert_eq!(s.expire(at(2010)), [scan("4")]);
    }

    #[test]
    fn paste_is_scans_or_text() {
        let pasted = "4006381333931\r\n]C10109501234567890\u{1d}10AB \n\n  \r 9780201379624\n";
        let expected = [
            "4006381333931",
            "]C10109501234567890\u{1d}10AB",
            " 9780201379624",
        ];
        assert_eq!(scanner().paste(pasted, at(0)), expected.map(scan));
        let text = KeyboardWedge {
            paste: PasteMode::Text,
            ..KeyboardWedge::default()
        };
        let mut s = ScanInput::new(&text, ENTER, None);
        let expected = [
            keys("ab"),
            vec![key(KeyCode::Enter)],
            keys("c"),
            vec![key(KeyCode::Enter)],
        ];
        assert_eq!(s.paste("ab\r\nc\n", at(0)), expected.concat());
    }

    #[test]
    fn back_to_back_scans_all_come_out_in_order() {
        // 14 keys at 8 ms take 112 ms: as fast as the scanner can go, about 9 scans a second.
        let codes: Vec<String> = (0..100).map(|i| format!("4006381{i:06}")).collect();
        let stream: Stream = (0..)
            .zip(&codes)
            .flat_map(|(i, code)| entered(code, i * 112, 8))
            .collect();
        let out = run(&mut scanner(), &with_releases(stream));
        let (scans, keys) = split(out);
        assert_eq!(scans, codes);
        assert!(
            keys.iter()
                .all(|ev| ev.kind == KeyEventKind::Release && ev.code == KeyCode::Enter)
        );
    }

    #[test]
    fn tab_can_be_the_suffix() {
        let tab = KeyboardWedge {
            suffix: "tab".to_string(),
            ..KeyboardWedge::default()
        };
        let mut s = ScanInput::new(&tab, (KeyCode::Tab, KeyModifiers::NONE), None);
        let mut stream = typed("4006381333931", 0, 8);
        stream.push((press(KeyCode::Tab), 104));
        assert_eq!(run(&mut s, &stream), [scan("4006381333931")]);
        let expected = [keys("4006"), vec![key(KeyCode::Enter)]].concat();
        assert_eq!(run(&mut s, &entered("4006", 1000, 8)), expected);
    }

    #[test]
    fn releases_and_repeats_pass_and_go_with_their_presses() {
        let repeat = KeyEvent {
            kind: KeyEventKind::Repeat,
            ..ch('x')
        };
        assert_eq!(scanner().key(repeat, at(0)), [Input::Key(repeat)]);
        assert_eq!(
            scanner().key(release(ch('x')), at(0)),
            [Input::Key(release(ch('x')))]
        );
        // As Windows reports keys: each press followed by its release.
        let out = run(
            &mut scanner(),
            &with_releases(entered("4006381333931", 0, 8)),
        );
        assert_eq!(
            out,
            [
                scan("4006381333931"),
                Input::Key(release(press(KeyCode::Enter)))
            ]
        );
        let out = run(&mut scanner(), &with_releases(typed("ab", 0, 30)));
        assert_eq!(
            out,
            [ch('a'), release(ch('a')), ch('b'), release(ch('b'))].map(Input::Key)
        );
    }

    #[test]
    fn a_stuck_key_is_given_back_at_the_cap() {
        let stuck = "1".repeat(MAX_HELD);
        assert_eq!(feed(&mut scanner(), &typed(&stuck, 0, 1)), keys(&stuck));
        // After a prefix it is the scanner's, so still a scan.
        let mut s = ScanInput::new(&KeyboardWedge::default(), ENTER, Some(CTRL_B));
        let stream = [vec![(ctrl('b'), 0)], typed(&stuck, 0, 1)].concat();
        assert_eq!(feed(&mut s, &stream), [scan(&stuck)]);
    }

    /// Someone typing (text, then Enter or not) or a scan, with the scanner's key gap and the
    /// pause before it, which is also the typist's gap: no one types faster than 100 ms a key.
    fn act() -> impl Strategy<Value = (Option<bool>, String, u64, u64)> {
        let typing =
            ("[a-z0-9 ]{1,8}", any::<bool>()).prop_map(|(text, enter)| (Some(enter), text));
        let scan = "[0-9A-Z]{4,30}".prop_map(|code| (None, code));
        (prop_oneof![typing, scan], 3u64..=15, 100u64..1000)
            .prop_map(|((enter, text), gap, pause)| (enter, text, gap, pause))
    }

    fn any_key() -> impl Strategy<Value = KeyEvent> {
        let other = [
            ctrl(']'),
            ctrl('5'),
            ch(GS),
            ch('A'),
            ctrl('b'),
            release(ch('1')),
        ];
        let codes = [KeyCode::Enter, KeyCode::Tab, KeyCode::Esc, KeyCode::Left].map(press);
        prop_oneof![
            (b'0'..=b'9').prop_map(|d| ch(char::from(d))),
            select(other.to_vec()),
            select(codes.to_vec())
        ]
    }

    /// Printable characters, GS included, and other keys, which the suffix and prefix are.
    fn count<'a>(keys: impl Iterator<Item = &'a KeyEvent>) -> (usize, usize) {
        let presses = keys.filter(|ev| ev.kind == KeyEventKind::Press);
        let (chars, others): (Vec<&KeyEvent>, Vec<_>) =
            presses.partition(|ev| scan_char(chord(ev.code, ev.modifiers)).is_some());
        (chars.len(), others.len())
    }

    proptest! {
        #[test]
        fn scans_and_typing_interleaved_all_come_out(
            acts in vec(act(), 1..20),
            releases: bool,
        ) {
            let (mut stream, mut t) = (Vec::new(), 0);
            let (mut scans, mut text, mut enters) = (Vec::new(), String::new(), 0);
            for (typing, chars, scan_gap, pause) in acts {
                t += pause;
                let gap = match typing {
                    Some(enter) => {
                        text.push_str(&chars);
                        enters += usize::from(enter);
                        let keys = if enter { entered } else { typed };
                        stream.extend(keys(&chars, t, pause));
                        pause
                    }
                    None => {
                        stream.extend(entered(&chars, t, scan_gap));
                        scans.push(chars.clone());
                        scan_gap
                    }
                };
                t += gap * chars.len() as u64;
            }
            let stream = if releases { with_releases(stream) } else { stream };
            let (got_scans, keys) = split(run(&mut scanner(), &stream));
            let presses: Vec<_> =
                keys.iter().filter(|ev| ev.kind == KeyEventKind::Press).collect();
            let got_text: String = presses.iter().filter_map(|ev| ev.code.as_char()).collect();
            prop_assert_eq!(got_scans, scans);
            prop_assert_eq!(presses.len(), text.len() + enters);
            prop_assert_eq!(got_text, text);
        }

        #[test]
        fn no_char_is_lost_or_made_up(
            events in vec((any_key(), -20i64..200), 0..300),
            prefixed: bool,
        ) {
            let prefix = prefixed.then_some(CTRL_B);
            let mut s = ScanInput::new(&KeyboardWedge::default(), ENTER, prefix);
            let (mut t, mut out) = (0u64, Vec::new());
            for &(ev, gap) in &events {
                t = t.saturating_add_signed(gap);
                out.extend(s.key(ev, at(t)));
            }
            out.extend(s.expire(at(t + 10_000)));
            prop_assert_eq!(s.deadline(), None);
            let (chars_in, others_in) = count(events.iter().map(|(ev, _)| ev));
            let (scans, keys) = split(out);
            let (key_chars, others_out) = count(keys.iter());
            let scan_chars: usize = scans.iter().map(|code| code.chars().count()).sum();
            let chars_out = key_chars + scan_chars;
            prop_assert!(scans.iter().all(|code| !code.is_empty()));
            if prefixed {
                // Esc throws away a prefix scan cut short.
                prop_assert!(chars_out <= chars_in);
                prop_assert!(others_out + scans.len() <= others_in);
            } else {
                prop_assert_eq!(chars_out, chars_in);
                prop_assert_eq!(others_out + scans.len(), others_in);
            }
        }
    }
}
