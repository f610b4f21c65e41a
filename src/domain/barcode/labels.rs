//! The warehouse's own labels — bins, orders, pick lists, totes — recognised by the shapes
//! configured for them.
//!
//! A shape is the label text with placeholders: `#` a digit, `@` a capital letter A–Z,
//! `*` a capital letter or a digit; a placeholder may be followed by `{n}` (exactly n) or
//! `{n,m}` (n to m of them). Every other character stands for itself, case and all, since
//! scanners send what is printed. `@{1,3}-##-##` matches `A-03-02`; `SO-#{6,9}` matches
//! `SO-000123`.

use std::fmt;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LabelKind {
    Location,
    Order,
    PickList,
    Tote,
}

impl fmt::Display for LabelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LabelKind::Location => "location",
            LabelKind::Order => "order number",
            LabelKind::PickList => "pick list",
            LabelKind::Tote => "tote",
        })
    }
}

/// A scanned label of one of the configured kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub kind: LabelKind,
    pub text: String,
}

/// A scan that starts like a label of some kind but has the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{kind} labels look like {shapes} (# digit, @ capital letter, * either), this one does not"
)]
pub struct LabelError {
    pub kind: LabelKind,
    pub shapes: String,
}

/// A shape in the configuration that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("label shape {shape:?}: {reason}")]
pub struct BadLabelShape {
    pub shape: String,
    pub reason: &'static str,
}

/// Repeats are capped so that a shape cannot make matching slow.
const MAX_REPEAT: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit,
    Letter,
    LetterOrDigit,
}

impl Class {
    fn matches(self, c: char) -> bool {
        match self {
            Class::Digit => c.is_ascii_digit(),
            Class::Letter => c.is_ascii_uppercase(),
            Class::LetterOrDigit => c.is_ascii_digit() || c.is_ascii_uppercase(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    Literal(char),
    Run {
        class: Class,
        min: usize,
        max: usize,
    },
}

/// One configured label shape, e.g. `SO-#{6,9}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct LabelShape {
    text: String,
    pieces: Vec<Piece>,
}

impl TryFrom<String> for LabelShape {
    type Error = BadLabelShape;

    fn try_from(text: String) -> Result<LabelShape, BadLabelShape> {
        let bad = |reason| BadLabelShape {
            shape: text.clone(),
            reason,
        };
        let mut pieces = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let class = match c {
                '#' => Class::Digit,
                '@' => Class::Letter,
                '*' => Class::LetterOrDigit,
                '{' | '}' => return Err(bad("{…} must follow #, @ or *")),
                _ => {
                    pieces.push(Piece::Literal(c));
                    continue;
                }
            };
            let (min, max) = if chars.next_if_eq(&'{').is_some() {
                let mut repeat = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    repeat.push(c);
                }
                closed
                    .then(|| read_repeat(&repeat))
                    .flatten()
                    .ok_or_else(|| bad("write a repeat as {n} or {n,m}, n ≤ m ≤ 64"))?
            } else {
                (1, 1)
            };
            pieces.push(Piece::Run { class, min, max });
        }
        if pieces.is_empty() {
            return Err(bad("a shape cannot be empty"));
        }
        Ok(LabelShape { text, pieces })
    }
}

fn read_repeat(repeat: &str) -> Option<(usize, usize)> {
    let number = |s: &str| s.trim().parse::<usize>().ok();
    let (min, max) = match repeat.split_once(',') {
        Some((min, max)) => (number(min)?, number(max)?),
        None => (number(repeat)?, number(repeat)?),
    };
    (min <= max && max <= MAX_REPEAT && max > 0).then_some((min, max))
}

impl LabelShape {
    pub fn matches(&self, text: &str) -> bool {
        let longest: usize = self
            .pieces
            .iter()
            .map(|p| match p {
                Piece::Literal(_) => 1,
                Piece::Run { max, .. } => *max,
            })
            .sum();
        let chars: Vec<char> = text.chars().take(longest + 1).collect();
        if chars.len() > longest {
            return false;
        }
        // Walk the pieces keeping every position the text could have reached so far.
        let mut reached = vec![false; chars.len() + 1];
        reached[0] = true;
        for piece in &self.pieces {
            let mut next = vec![false; chars.len() + 1];
            for start in (0..=chars.len()).filter(|i| reached[*i]) {
                match *piece {
                    Piece::Literal(c) => {
                        if chars.get(start) == Some(&c) {
                            next[start + 1] = true;
                        }
                    }
                    Piece::Run { class, min, max } => {
                        let run = chars[start..]
                            .iter()
                            .take(max)
                            .take_while(|c| class.matches(**c))
                            .count();
                        for taken in min..=run {
                            next[start + taken] = true;
                        }
                    }
                }
            }
            reached = next;
        }
        reached[chars.len()]
    }

    /// The literal text before the first placeholder, e.g. `SO-`.
    fn prefix(&self) -> String {
        self.pieces
            .iter()
            .map_while(|p| match p {
                Piece::Literal(c) => Some(*c),
                Piece::Run { .. } => None,
            })
            .collect()
    }
}

impl fmt::Display for LabelShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The label shapes of the warehouse, per kind, as in the settings file:
///
/// ```toml
/// location = ["@{1,3}-##-##", "RCV-##", "SHP-##", "RET-##", "DMG-##"]
/// order = ["SO-#{6,9}"]
/// pick_list = ["PL-#{6,9}"]
/// tote = ["TOTE-#{3,6}"]
/// ```
///
/// A kind left out keeps its default shapes; an empty list turns the kind off.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelPatterns {
    pub location: Vec<LabelShape>,
    pub order: Vec<LabelShape>,
    pub pick_list: Vec<LabelShape>,
    pub tote: Vec<LabelShape>,
}

impl Default for LabelPatterns {
    fn default() -> LabelPatterns {
        let shapes = |texts: &[&str]| {
            texts
                .iter()
                .filter_map(|t| LabelShape::try_from(t.to_string()).ok())
                .collect()
        };
        LabelPatterns {
            // Bins as in location::BinCode, then the docks outside the bin grid.
            location: shapes(&["@{1,3}-##-##", "RCV-##", "SHP-##", "RET-##", "DMG-##"]),
            // order::OrderNumber prints at least six digits.
            order: shapes(&["SO-#{6,9}"]),
            pick_list: shapes(&["PL-#{6,9}"]),
            tote: shapes(&["TOTE-#{3,6}"]),
        }
    }
}

impl LabelPatterns {
    fn kinds(&self) -> [(LabelKind, &[LabelShape]); 4] {
        [
            (LabelKind::Location, &self.location),
            (LabelKind::Order, &self.order),
            (LabelKind::PickList, &self.pick_list),
            (LabelKind::Tote, &self.tote),
        ]
    }

    /// The label `text` is, if it has one of the configured shapes.
    pub fn read(&self, text: &str) -> Option<Label> {
        self.kinds().into_iter().find_map(|(kind, shapes)| {
            shapes.iter().any(|s| s.matches(text)).then(|| Label {
                kind,
                text: text.to_string(),
            })
        })
    }

    /// For text that is no label: the kind whose literal prefix it starts with, to say
    /// which shape it misses. Prefixes shorter than two characters say too little.
    pub fn near_miss(&self, text: &str) -> Option<LabelError> {
        self.kinds().into_iter().find_map(|(kind, shapes)| {
            shapes
                .iter()
                .any(|s| {
                    let prefix = s.prefix();
                    prefix.chars().count() >= 2 && text.starts_with(&prefix)
                })
                .then(|| LabelError {
                    kind,
                    shapes: shapes
                        .iter()
                        .map(LabelShape::to_string)
                        .collect::<Vec<_>>()
                        .join(" or "),
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> LabelShape {
        LabelShape::try_from(text.to_string()).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn shapes_match_whole_labels() {
        let bin = shape("@{1,3}-##-##");
        for good in ["A-03-02", "ABC-99-00"] {
            assert!(bin.matches(good), "{good}");
        }
        for bad in [
            "A-3-02",
            "a-03-02",
            "A-03",
            "A-03-02-01",
            "-03-02",
            "ABCD-01-01",
            "",
        ] {
            assert!(!bin.matches(bad), "{bad}");
        }
        let order = shape("SO-#{6,9}");
        assert!(order.matches("SO-000123") && order.matches("SO-123456789"));
        assert!(!order.matches("SO-12345") && !order.matches("SO-1234567890"));
        let tote = shape("TOTE-*{3}");
        assert!(tote.matches("TOTE-A1B") && !tote.matches("TOTE-a1b"));
        // A run that could swallow what a later piece needs gives it back.
        assert!(shape("#{1,4}1").matches("1111"));
        assert!(!shape("#{1,4}1").matches("11111x"));
        assert!(!order.matches(&"9".repeat(1 << 20)));
    }

    #[test]
    fn bad_shapes_are_refused_with_a_reason() {
        for (text, reason) in [
            ("", "a shape cannot be empty"),
            ("SO-{6}", "{…} must follow #, @ or *"),
            ("SO-#{6", "write a repeat as {n} or {n,m}, n ≤ m ≤ 64"),
            ("SO-#{9,6}", "write a repeat as {n} or {n,m}, n ≤ m ≤ 64"),
            ("SO-#{x}", "write a repeat as {n} or {n,m}, n ≤ m ≤ 64"),
            ("SO-#{0}", "write a repeat as {n} or {n,m}, n ≤ m ≤ 64"),
            ("SO-#{65}", "write a repeat as {n} or {n,m}, n ≤ m ≤ 64"),
            ("SO-#}", "{…} must follow #, @ or *"),
        ] {
            let err = LabelShape::try_from(text.to_string()).unwrap_err();
            assert_eq!(err.reason, reason, "{text}");
        }
    }

    #[test]
    fn default_patterns_know_the_warehouse_labels() {
        let patterns = LabelPatterns::default();
        let kind = |text| patterns.read(text).map(|l| l.kind);
        assert_eq!(kind("A-03-02"), Some(LabelKind::Location));
        assert_eq!(kind("RCV-01"), Some(LabelKind::Location));
        assert_eq!(kind("SO-000123"), Some(LabelKind::Order));
        assert_eq!(kind("PL-004711"), Some(LabelKind::PickList));
        assert_eq!(kind("TOTE-0042"), Some(LabelKind::Tote));
        assert_eq!(kind("4006381333931"), None);
        let miss = patterns.near_miss("SO-12").unwrap();
        assert_eq!(miss.kind, LabelKind::Order);
        assert_eq!(
            miss.to_string(),
            "order number labels look like SO-#{6,9} (# digit, @ capital letter, * either), this one does not"
        );
        assert_eq!(
            patterns.near_miss("A-3-2"),
            None,
            "one letter says too little"
        );
        assert_eq!(patterns.near_miss("4006381333931"), None);
    }
}
