//! What every scanning pane shares: the prompt line that answers each scan, digits typed
//! as a count, a code typed by hand, and what a GS1 scan carries besides the item.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Wrap};

use super::app::Effect;
use super::cue::Cue;
use super::keymap::{Action, Key};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::pane_block;
use crate::domain::barcode::{Meaning, Reading, Scan};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    pub is_error: bool,
}

impl Prompt {
    /// What happened last, red when it was refused, wrapped to the width it has.
    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let role = if self.is_error {
            ThemeRole::Error
        } else {
            ThemeRole::Ok
        };
        f.render_widget(
            Paragraph::new(Span::styled(self.text.clone(), theme.style(role)))
                .wrap(Wrap { trim: true }),
            area,
        );
    }
}

/// The frame of a scanning pane: its block, and inside it the body, the prompt that
/// answers each scan (room for two lines, three when narrow) and one line for typing.
pub fn floor_frame(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    active: bool,
    compact: bool,
) -> [Rect; 3] {
    let block = pane_block(theme, title, active, compact);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let prompt_height = if compact { 3 } else { 2 };
    Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(prompt_height),
        Constraint::Length(1),
    ])
    .areas(inner)
}

/// Tells the person on the floor what happened, by ear and on screen.
pub fn say(prompt: &mut Option<Prompt>, text: impl Into<String>, cue: Cue) -> Vec<Effect> {
    *prompt = Some(Prompt {
        text: text.into(),
        is_error: cue == Cue::Error,
    });
    vec![Effect::Cue(cue)]
}

/// Digits typed on the floor (a count, or a barcode read off a torn label) and their
/// correction; false for any other key.
pub fn entry_key(entry: &mut String, key: Key) -> bool {
    match key.code {
        crossterm::event::KeyCode::Char(c) if c.is_ascii_digit() && key.is_text() => {
            // The longest code typed by hand is a GTIN-14.
            if entry.len() < 14 {
                entry.push(c);
            }
            true
        }
        crossterm::event::KeyCode::Backspace => entry.pop().is_some(),
        _ => false,
    }
}

/// A key for the field where any code is typed by hand: `Some(Some(code))` when one was
/// entered, `Some(None)` when the key was the field's, `None` when it is not.
pub fn code_key(
    code: &mut TextInput,
    typing: &mut bool,
    input: Option<Action>,
    key: Key,
) -> Option<Option<String>> {
    match input {
        Some(Action::Submit) => {
            *typing = false;
            let text = code.text().trim().to_string();
            code.clear();
            Some((!text.is_empty()).then_some(text))
        }
        Some(Action::Cancel) => {
            *typing = false;
            code.clear();
            Some(None)
        }
        _ => code.edit(key).then_some(None),
    }
}

pub fn element(scan: &Scan, ai: &str) -> Option<String> {
    match &scan.reading {
        Ok(Reading::ElementString(es)) => es.get(ai).map(|e| e.value.clone()),
        _ => None,
    }
}

/// Best before (15) or expiry (17) as `YYYY-MM-DD`; expiry wins.
pub fn expiry_of(scan: &Scan) -> Option<String> {
    let Ok(Reading::ElementString(es)) = &scan.reading else {
        return None;
    };
    ["17", "15"]
        .iter()
        .find_map(|ai| match &es.get(ai)?.meaning {
            Meaning::Date(d) => Some(d.to_string()),
            _ => None,
        })
}

/// A GS1 label may say how many units it stands for (AI 30); one otherwise.
pub fn units_in(scan: &Scan) -> i64 {
    element(scan, "30")
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1)
}
