//! A one-line text field: typing, cursor movement, deletion; optionally masked.

use crossterm::event::{KeyCode, KeyModifiers};

use super::keymap::{Action, Key};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextInput {
    text: String,
    /// Cursor position in characters.
    cursor: usize,
    pub masked: bool,
    /// Most characters it takes, when not `MAX_CHARS`.
    limit: Option<usize>,
}

/// Longest text a field accepts; scanners and pastes must not grow it without bound.
const MAX_CHARS: usize = 200;

impl TextInput {
    pub fn masked() -> TextInput {
        TextInput {
            masked: true,
            ..TextInput::default()
        }
    }

    /// A field for longer text than most take; beyond `limit` characters, keys are dropped.
    pub fn with_limit(limit: usize) -> TextInput {
        TextInput {
            limit: Some(limit),
            ..TextInput::default()
        }
    }

    fn limit(&self) -> usize {
        self.limit.unwrap_or(MAX_CHARS)
    }

    pub fn with_text(text: &str) -> TextInput {
        let mut t = TextInput::default();
        t.set(text);
        t
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn cursor(&self) -> usize {
        self.cursor
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    pub fn set(&mut self, text: &str) {
        self.text = text.chars().take(self.limit()).collect();
        self.cursor = self.text.chars().count();
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cursor = 0;
    }

    /// What to draw: the text, or one bullet per character when masked.
    pub fn display(&self) -> String {
        if self.masked {
            "•".repeat(self.text.chars().count())
        } else {
            self.text.clone()
        }
    }

    fn byte_at(&self, chars: usize) -> usize {
        self.text
            .char_indices()
            .nth(chars)
            .map(|(i, _)| i)
            .unwrap_or(self.text.len())
    }

    /// Applies an editing key. Returns `true` if the key was an edit (handled), and whether
    /// the text changed is visible through `text()`.
    pub fn edit(&mut self, key: Key) -> bool {
        let ctrl = key.mods.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => self.clear(),
            KeyCode::Char(c) if key.is_text() && !c.is_control() => {
                if self.text.chars().count() < self.limit() {
                    let at = self.byte_at(self.cursor);
                    self.text.insert(at, c);
                    self.cursor += 1;
                }
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let at = self.byte_at(self.cursor - 1);
                self.text.remove(at);
                self.cursor -= 1;
            }
            KeyCode::Backspace => {}
            KeyCode::Delete if self.cursor < self.text.chars().count() => {
                let at = self.byte_at(self.cursor);
                self.text.remove(at);
            }
            KeyCode::Delete => {}
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(self.text.chars().count()),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = self.text.chars().count(),
            _ => return false,
        }
        true
    }
}

/// What a key did to a search field that has focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchEdit {
    /// The text changed: search again.
    Changed,
    Unchanged,
    /// Not a key for the field; let the bindings have it.
    NotAnEdit,
}

/// A key for a focused search field: `submit` keeps the text and leaves the field, `cancel`
/// clears it and leaves, editing keys edit.
pub fn search_key(
    field: &mut TextInput,
    focused: &mut bool,
    input: Option<Action>,
    key: Key,
) -> SearchEdit {
    match input {
        Some(Action::Submit) => {
            *focused = false;
            SearchEdit::Unchanged
        }
        Some(Action::Cancel) => {
            *focused = false;
            let had_text = !field.is_empty();
            field.clear();
            if had_text {
                SearchEdit::Changed
            } else {
                SearchEdit::Unchanged
            }
        }
        _ => {
            let before = field.text().to_string();
            if !field.edit(key) {
                SearchEdit::NotAnEdit
            } else if field.text() != before {
                SearchEdit::Changed
            } else {
                SearchEdit::Unchanged
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn edits_in_the_middle_with_wide_characters() {
        let mut t = TextInput::default();
        for c in ["林", "玲"] {
            t.edit(key(c));
        }
        t.edit(key("left"));
        t.edit(key("美"));
        assert_eq!(t.text(), "林美玲");
        t.edit(key("backspace"));
        assert_eq!(t.text(), "林玲");
        t.edit(key("home"));
        t.edit(key("delete"));
        assert_eq!((t.text(), t.cursor()), ("玲", 0));
        t.edit(key("backspace"));
        assert_eq!(t.text(), "玲");
        assert!(!t.edit(key("enter")));
        assert!(!t.edit(key("ctrl-x")));
        t.edit(key("ctrl-u"));
        assert!(t.is_empty());
    }

    #[test]
    fn search_keys_submit_cancel_and_edit() {
        let mut field = TextInput::with_text("ool");
        let mut focused = true;
        assert_eq!(
            search_key(&mut field, &mut focused, None, key("left")),
            SearchEdit::Unchanged
        );
        assert_eq!(
            search_key(&mut field, &mut focused, None, key("x")),
            SearchEdit::Changed
        );
        assert_eq!(
            search_key(&mut field, &mut focused, None, key("f5")),
            SearchEdit::NotAnEdit
        );
        assert_eq!(
            search_key(&mut field, &mut focused, Some(Action::Submit), key("enter")),
            SearchEdit::Unchanged
        );
        assert!(!focused && field.text() == "ooxl");
        focused = true;
        assert_eq!(
            search_key(&mut field, &mut focused, Some(Action::Cancel), key("esc")),
            SearchEdit::Changed
        );
        assert!(!focused && field.is_empty());
        assert_eq!(
            search_key(&mut field, &mut focused, Some(Action::Cancel), key("esc")),
            SearchEdit::Unchanged
        );
    }

    #[test]
    fn masked_shows_bullets_and_length_is_capped() {
        let mut t = TextInput::masked();
        for _ in 0..300 {
            t.edit(key("x"));
        }
        assert_eq!(t.text().len(), MAX_CHARS);
        assert_eq!(t.display().chars().count(), MAX_CHARS);
        assert!(t.display().chars().all(|c| c == '•'));
        let mut long = TextInput::with_limit(600);
        long.set(&"y".repeat(700));
        assert_eq!(long.text().len(), 600);
    }
}
