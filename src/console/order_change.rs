//! Changing an order from the console: the reason prompt (hold, cancel) and the
//! confirmation a cancellation needs. The change itself is a client `Mutation`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::keymap::{Action, Context, Key, Keymap};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::input_line;
use crate::client::{Change, Mutation};
use crate::domain::order::OrderStatus;

/// A change waiting for a reason or a yes.
#[derive(Debug)]
pub struct OrderChange {
    pub number: String,
    pub to: OrderStatus,
    pub reason: TextInput,
    /// Asking "are you sure?" (after the reason, for cancellations).
    pub confirming: bool,
}

pub enum Step {
    Stay,
    Close,
    /// A reason is needed before going on.
    NeedReason,
    Submit(Mutation),
    /// Not a key for the prompt.
    Pass,
}

impl OrderChange {
    pub fn new(number: &str, to: OrderStatus) -> OrderChange {
        OrderChange {
            number: number.to_string(),
            to,
            reason: TextInput::default(),
            confirming: false,
        }
    }

    fn verb(&self) -> &'static str {
        match self.to {
            OrderStatus::Hold => "Hold",
            OrderStatus::Cancelled => "Cancel",
            _ => "Change",
        }
    }

    fn mutation(&self) -> Mutation {
        Mutation::new(Change::OrderStatus {
            order: self.number.clone(),
            to: self.to.as_str().to_string(),
            reason: Some(self.reason.text().trim().to_string()),
        })
    }

    pub fn on_key(&mut self, keymap: &Keymap, key: Key) -> Step {
        let input = keymap.action(Context::Input, key);
        if self.confirming {
            return match (input, key.code) {
                (Some(Action::Submit), _) | (_, crossterm::event::KeyCode::Char('y')) => {
                    Step::Submit(self.mutation())
                }
                (Some(Action::Cancel), _) | (_, crossterm::event::KeyCode::Char('n')) => {
                    Step::Close
                }
                _ if key.is_text() => Step::Stay,
                _ => Step::Pass,
            };
        }
        match input {
            Some(Action::Submit) if self.reason.text().trim().is_empty() => Step::NeedReason,
            Some(Action::Submit) if self.to == OrderStatus::Cancelled => {
                self.confirming = true;
                Step::Stay
            }
            Some(Action::Submit) => Step::Submit(self.mutation()),
            Some(Action::Cancel) => Step::Close,
            _ if self.reason.edit(key) => Step::Stay,
            _ => Step::Pass,
        }
    }

    pub fn render(&self, f: &mut Frame, body: Rect, theme: &Theme) {
        let width = body.width.min(60);
        let height = 5.min(body.height);
        let area = Rect::new(
            body.x + (body.width - width) / 2,
            body.y + (body.height - height) / 2,
            width,
            height,
        );
        f.render_widget(Clear, area);
        let title = format!(" {} {} ", self.verb(), self.number);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(ThemeRole::BorderActive))
            .style(theme.style(ThemeRole::Popup))
            .title(Span::styled(title, theme.style(ThemeRole::Title)));
        let inner = block.inner(area);
        f.render_widget(block, area);
        if self.confirming {
            let text = format!(
                "Really cancel {}? Reserved stock goes back. Enter or y: cancel it · Esc or n: keep it",
                self.number
            );
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.style(ThemeRole::Warning)))
                    .wrap(Wrap { trim: true }),
                inner,
            );
            return;
        }
        input_line(
            f,
            Rect { height: 1, ..inner },
            theme,
            "Reason",
            7,
            &self.reason,
            true,
        );
        if inner.height > 1 {
            let hint = Line::from(Span::styled(
                "Enter: go on · Esc: leave the order as it is",
                theme.style(ThemeRole::TextMuted),
            ));
            f.render_widget(
                Paragraph::new(hint),
                Rect {
                    y: inner.y + 2.min(inner.height - 1),
                    height: 1,
                    ..inner
                },
            );
        }
    }
}
