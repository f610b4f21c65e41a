//! The sign-in form: user name and masked password.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::app::Effect;
use super::keymap::{Action, Context, Key, Keymap};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::input_line;
use crate::api::ProblemType;
use crate::client::ClientError;
use crossterm::event::KeyCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Username,
    Password,
}

#[derive(Debug)]
pub struct SignIn {
    pub username: TextInput,
    pub password: TextInput,
    pub focus: Field,
    pub error: Option<String>,
    pub busy: bool,
}

impl SignIn {
    pub fn new(username: Option<&str>) -> SignIn {
        let username = TextInput::with_text(username.unwrap_or(""));
        let focus = if username.is_empty() {
            Field::Username
        } else {
            Field::Password
        };
        SignIn {
            username,
            password: TextInput::masked(),
            focus,
            error: None,
            busy: false,
        }
    }

    fn field(&mut self) -> &mut TextInput {
        match self.focus {
            Field::Username => &mut self.username,
            Field::Password => &mut self.password,
        }
    }

    /// `None` when the key is not the form's (the caller then tries global keys).
    pub fn on_key(&mut self, keymap: &Keymap, key: Key) -> Option<Vec<Effect>> {
        if self.busy {
            return (keymap.action(Context::Global, key) != Some(Action::Quit)).then(Vec::new);
        }
        match keymap.action(Context::Input, key) {
            Some(Action::Submit) => return Some(self.submit()),
            Some(Action::Cancel) => {
                self.password.clear();
                self.error = None;
                return Some(Vec::new());
            }
            _ => {}
        }
        match key.code {
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.focus = match self.focus {
                    Field::Username => Field::Password,
                    Field::Password => Field::Username,
                };
                return Some(Vec::new());
            }
            _ => {}
        }
        self.field().edit(key).then(Vec::new)
    }

    fn submit(&mut self) -> Vec<Effect> {
        if self.username.text().trim().is_empty() {
            self.focus = Field::Username;
            self.error = Some("enter your user name".into());
            return Vec::new();
        }
        if self.focus == Field::Username || self.password.is_empty() {
            self.focus = Field::Password;
            return Vec::new();
        }
        self.busy = true;
        self.error = None;
        vec![Effect::SignIn {
            username: self.username.text().trim().to_string(),
            password: self.password.text().into(),
        }]
    }

    pub fn failed(&mut self, err: &ClientError) {
        self.busy = false;
        self.password.clear();
        self.focus = Field::Password;
        self.error = Some(match err.problem_type() {
            Some(ProblemType::InvalidCredentials) => "wrong user name or password".to_string(),
            _ => err.to_string(),
        });
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, server: &str, compact: bool) {
        let width = area.width.min(52);
        let height = area.height.min(12);
        let x = area.x + (area.width - width) / 2;
        let y = area.y + (area.height - height) / 2;
        let form = Rect::new(x, y, width, height);
        let block = if compact {
            Block::default()
        } else {
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.style(ThemeRole::BorderActive))
                .title(Span::styled(
                    " Sign in to backroom ",
                    theme.style(ThemeRole::Title),
                ))
        };
        let inner = block.inner(form);
        f.render_widget(block, form);
        let rows = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .split(inner);
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                server.to_string(),
                theme.style(ThemeRole::TextMuted),
            ))),
            rows[0],
        );
        let label_width = if compact { 5 } else { 10 };
        let (user_label, pass_label) = if compact {
            ("User", "Pass")
        } else {
            ("User name", "Password")
        };
        input_line(
            f,
            rows[2],
            theme,
            user_label,
            label_width,
            &self.username,
            self.focus == Field::Username,
        );
        input_line(
            f,
            rows[3],
            theme,
            pass_label,
            label_width,
            &self.password,
            self.focus == Field::Password,
        );
        let message = if self.busy {
            Line::from(Span::styled(
                "signing in…",
                theme.style(ThemeRole::TextMuted),
            ))
        } else if let Some(err) = &self.error {
            Line::from(Span::styled(err.clone(), theme.style(ThemeRole::Error)))
        } else {
            Line::from(Span::styled(
                "Enter to continue",
                theme.style(ThemeRole::TextMuted),
            ))
        };
        f.render_widget(Paragraph::new(message).wrap(Wrap { trim: true }), rows[5]);
    }
}
