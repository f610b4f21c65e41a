//! The help desk's reply book: FAQ rules that answer common questions by themselves, and
//! canned replies agents insert by a short key. Ops keep them in one TOML file
//! (`[[faq]]` and `[[canned]]` tables) or edit them through the API; both are checked here.

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::reply_template::{self, TemplateError};
use super::settings_file::{SettingsError, SettingsSource};

const DEFAULT_BOOK: &str = include_str!("default_replies.toml");

/// One FAQ rule: when a message has any keyword or matches any pattern, the reply goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaqRule {
    pub name: String,
    /// Matched case-insensitively anywhere in the subject or body.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regular expressions (Rust `regex` syntax), e.g. `(?i)where.*(order|parcel)`.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// The template of the answer; a rule whose variables are unknown for the message is
    /// skipped and the next rule is tried.
    pub reply: String,
    /// After answering, the ticket stays open for an agent (otherwise it waits for the
    /// customer, who can reply to reopen it).
    #[serde(default)]
    pub keep_open: bool,
}

/// A reply agents insert with a short key and then edit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedReply {
    pub key: String,
    pub title: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("a rule has no name")]
    Unnamed,
    #[error("two entries are named {0:?}")]
    Duplicate(String),
    #[error("rule {0:?} has neither keywords nor patterns, so it would answer every message")]
    MatchesEverything(String),
    #[error("rule {rule:?}: a keyword is blank")]
    BlankKeyword { rule: String },
    #[error(
        "rule {rule:?}: pattern {pattern:?} matches empty text, so it would answer almost every message"
    )]
    PatternMatchesEverything { rule: String, pattern: String },
    #[error("rule {rule:?}: pattern {pattern:?} is not a valid regular expression: {reason}")]
    BadPattern {
        rule: String,
        pattern: String,
        reason: String,
    },
    #[error("{entry:?}: {error}")]
    Template { entry: String, error: TemplateError },
    #[error("{entry:?}: the text is empty")]
    Empty { entry: String },
    #[error("{entry:?}: {what} is longer than {max} characters")]
    TooLong {
        entry: String,
        what: &'static str,
        max: usize,
    },
    #[error("canned reply key {0:?} must be 1–12 characters of a–z, 0–9 and '-'")]
    BadKey(String),
    #[error("at most {0} entries")]
    TooMany(usize),
    #[error("the {0} would be empty; a reply book part is replaced, never emptied")]
    NothingLeft(&'static str),
    #[error(
        "the {part} changed since version {read} was read (it is at version {current}); read it again and make your change there"
    )]
    Stale {
        part: &'static str,
        read: i64,
        current: i64,
    },
}

/// Whether a part of the reply book (`what`: "FAQ rules", "canned replies") may be replaced
/// by `entries` entries: never by none, and, when the edit says which version it was made
/// on (`read`), only if that is still the one in force, so nobody's change is overwritten
/// unseen.
pub fn check_replacement(
    what: &'static str,
    entries: usize,
    read: Option<i64>,
    current: i64,
) -> Result<(), BookError> {
    if entries == 0 {
        return Err(BookError::NothingLeft(what));
    }
    match read {
        Some(read) if read != current => Err(BookError::Stale {
            part: what,
            read,
            current,
        }),
        _ => Ok(()),
    }
}

const MAX_ENTRIES: usize = 500;
const MAX_TEXT: usize = 4_000;

/// FAQ rules, checked and with their patterns compiled, in the order they are tried.
#[derive(Debug, Clone)]
pub struct FaqBook {
    rules: Vec<(FaqRule, Vec<Regex>)>,
}

impl FaqBook {
    /// Checks a book being written (a file, a request) and compiles it.
    pub fn new(rules: Vec<FaqRule>) -> Result<FaqBook, BookError> {
        FaqBook::compile(rules, true)
    }

    /// Compiles a book stored earlier. Books stored before patterns matching empty text were
    /// refused may hold one; they keep working as they did rather than stop every message.
    pub fn kept(rules: Vec<FaqRule>) -> Result<FaqBook, BookError> {
        FaqBook::compile(rules, false)
    }

    fn compile(rules: Vec<FaqRule>, refuse_empty_matches: bool) -> Result<FaqBook, BookError> {
        if rules.len() > MAX_ENTRIES {
            return Err(BookError::TooMany(MAX_ENTRIES));
        }
        let mut names = std::collections::HashSet::new();
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            let name = rule.name.trim();
            if name.is_empty() {
                return Err(BookError::Unnamed);
            }
            if !names.insert(name.to_string()) {
                return Err(BookError::Duplicate(name.to_string()));
            }
            if rule.keywords.is_empty() && rule.patterns.is_empty() {
                return Err(BookError::MatchesEverything(name.to_string()));
            }
            if rule.keywords.iter().any(|k| k.trim().is_empty()) {
                return Err(BookError::BlankKeyword {
                    rule: name.to_string(),
                });
            }
            text_ok(name, "the reply", &rule.reply)?;
            let regexes = rule
                .patterns
                .iter()
                .map(|p| {
                    RegexBuilder::new(p)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|e| BookError::BadPattern {
                            rule: name.to_string(),
                            pattern: p.clone(),
                            reason: e.to_string(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            // Matching "" needs no text at all: like a blank keyword, it fits (almost) any message.
            if let Some((p, _)) = rule
                .patterns
                .iter()
                .zip(&regexes)
                .find(|(_, r)| refuse_empty_matches && r.is_match(""))
            {
                return Err(BookError::PatternMatchesEverything {
                    rule: name.to_string(),
                    pattern: p.clone(),
                });
            }
            let rule = FaqRule {
                name: name.to_string(),
                keywords: rule
                    .keywords
                    .iter()
                    .map(|k| k.trim().to_lowercase())
                    .collect(),
                ..rule
            };
            compiled.push((rule, regexes));
        }
        Ok(FaqBook { rules: compiled })
    }

    pub fn rules(&self) -> impl Iterator<Item = &FaqRule> {
        self.rules.iter().map(|(r, _)| r)
    }

    /// The rules that match a message, in the order they are tried.
    pub fn matching<'a>(&'a self, text: &str) -> impl Iterator<Item = &'a FaqRule> + 'a {
        let lower = text.to_lowercase();
        let text = text.to_string();
        self.rules.iter().filter_map(move |(rule, regexes)| {
            let hit = rule.keywords.iter().any(|k| lower.contains(k.as_str()))
                || regexes.iter().any(|r| r.is_match(&text));
            hit.then_some(rule)
        })
    }
}

fn text_ok(entry: &str, what: &'static str, text: &str) -> Result<(), BookError> {
    if text.trim().is_empty() {
        return Err(BookError::Empty {
            entry: entry.to_string(),
        });
    }
    if text.chars().count() > MAX_TEXT {
        return Err(BookError::TooLong {
            entry: entry.to_string(),
            what,
            max: MAX_TEXT,
        });
    }
    reply_template::check(text).map_err(|error| BookError::Template {
        entry: entry.to_string(),
        error,
    })
}

/// Checks canned replies: unique short keys, a title, a well-formed template.
pub fn check_canned(replies: &[CannedReply]) -> Result<(), BookError> {
    if replies.len() > MAX_ENTRIES {
        return Err(BookError::TooMany(MAX_ENTRIES));
    }
    let mut keys = std::collections::HashSet::new();
    for r in replies {
        let key_ok = (1..=12).contains(&r.key.len())
            && r.key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !key_ok {
            return Err(BookError::BadKey(r.key.clone()));
        }
        if !keys.insert(r.key.as_str()) {
            return Err(BookError::Duplicate(r.key.clone()));
        }
        if r.title.trim().is_empty() {
            return Err(BookError::Empty {
                entry: r.key.clone(),
            });
        }
        if r.title.chars().count() > 80 {
            return Err(BookError::TooLong {
                entry: r.key.clone(),
                what: "the title",
                max: 80,
            });
        }
        text_ok(&r.key, "the body", &r.body)?;
    }
    Ok(())
}

/// A reply book file: `[[faq]]` rules and `[[canned]]` replies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyBook {
    #[serde(default)]
    pub faq: Vec<FaqRule>,
    #[serde(default)]
    pub canned: Vec<CannedReply>,
}

impl ReplyBook {
    /// Reads and checks a reply book file; errors say where.
    pub fn parse(source: &SettingsSource) -> Result<ReplyBook, SettingsError> {
        let book: ReplyBook = source.deserialize()?;
        FaqBook::new(book.faq.clone()).map_err(|e| source.error(e.to_string()))?;
        check_canned(&book.canned).map_err(|e| source.error(e.to_string()))?;
        Ok(book)
    }

    /// The book that ships in the binary (checked by a test).
    pub fn built_in() -> ReplyBook {
        ReplyBook::parse(&SettingsSource::built_in(
            "replies",
            "default",
            DEFAULT_BOOK,
        ))
        .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_part_is_replaced_by_something_on_the_version_in_force() {
        assert_eq!(check_replacement("FAQ rules", 3, Some(2), 2), Ok(()));
        assert_eq!(check_replacement("FAQ rules", 3, None, 7), Ok(()));
        assert_eq!(
            check_replacement("FAQ rules", 0, Some(2), 2),
            Err(BookError::NothingLeft("FAQ rules"))
        );
        assert_eq!(
            check_replacement("canned replies", 1, Some(1), 2),
            Err(BookError::Stale {
                part: "canned replies",
                read: 1,
                current: 2
            })
        );
    }

    #[test]
    fn the_shipped_book_is_valid() {
        let source = SettingsSource::built_in("replies", "default", DEFAULT_BOOK);
        let book = ReplyBook::parse(&source).unwrap();
        assert!(book.faq.len() >= 4 && book.canned.len() >= 4);
    }

    #[test]
    fn english_and_chinese_questions_find_their_rules() {
        let book = FaqBook::new(ReplyBook::built_in().faq).unwrap();
        let first = |text: &str| book.matching(text).next().map(|r| r.name.clone());
        assert_eq!(
            first("Hi, where is my order SO-000012?").as_deref(),
            Some("where-is-my-order-shipped")
        );
        assert_eq!(first("我的訂單到哪了").as_deref(), Some("訂單到哪-已出貨"));
        assert_eq!(first("我想退貨").as_deref(), Some("退貨"));
        assert_eq!(
            first("I'd like to return the mug").as_deref(),
            Some("returns")
        );
        assert_eq!(first("Do you sell gift cards?"), None);
    }

    #[test]
    fn bad_rules_are_refused_with_the_reason() {
        let rule = |name: &str, keywords: &[&str], patterns: &[&str], reply: &str| FaqRule {
            name: name.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            patterns: patterns.iter().map(|s| s.to_string()).collect(),
            reply: reply.into(),
            keep_open: false,
        };
        let err = |rules| FaqBook::new(rules).unwrap_err().to_string();
        assert!(err(vec![rule("a", &[], &[], "x")]).contains("every message"));
        assert!(
            err(vec![rule("a", &[], &["(unclosed"], "x")])
                .contains("not a valid regular expression")
        );
        assert!(err(vec![rule("a", &["x"], &[], "{nope}")]).contains("not a variable"));
        // Found by scripts/api-fuzz: these answered every message, like a blank keyword.
        for everything in ["", "x*", "(?i)|where"] {
            assert!(
                err(vec![rule("a", &[], &["where", everything], "x")])
                    .contains("matches empty text"),
                "{everything:?}"
            );
        }
        assert!(FaqBook::new(vec![rule("a", &[], &["   ", "where.*order"], "x")]).is_ok());
        assert!(FaqBook::kept(vec![rule("a", &[], &["x*"], "x")]).is_ok());
        assert!(
            err(vec![
                rule("a", &["x"], &[], "ok"),
                rule("a", &["y"], &[], "ok")
            ])
            .contains("two entries")
        );
        let canned = |key: &str| CannedReply {
            key: key.into(),
            title: "t".into(),
            body: "b".into(),
        };
        assert!(check_canned(&[canned("Bad Key")]).is_err());
        assert!(check_canned(&[canned("ok"), canned("ok")]).is_err());
        assert!(check_canned(&[canned("track-1")]).is_ok());
    }
}
