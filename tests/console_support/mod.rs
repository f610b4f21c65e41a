//! An app as the console builds it, with a fixed clock, and renders of it on a test backend.

#![allow(dead_code)]

use backroom::api::Me;
use backroom::console::app::{App, Msg};
use backroom::console::keymap::Keymap;
use backroom::console::theme::Theme;
use backroom::domain::role::Role;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn me(role: Role) -> Me {
    Me {
        id: "u1".into(),
        username: role.as_str().into(),
        display_name: "Morgan Reyes".into(),
        role: role.as_str().into(),
        permissions: role
            .permissions()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    }
}

pub fn app_with(keymap: &str, theme: &str) -> App {
    let mut app = App::new(
        Keymap::load(keymap, None).unwrap(),
        Theme::load(theme, None).unwrap(),
        "http://127.0.0.1:8080",
        None,
    );
    app.tz = jiff::tz::TimeZone::UTC;
    app.frozen_now = Some("2026-11-24T23:30:00Z".parse().unwrap());
    app
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn render(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|f| backroom::console::ui::draw(f, app))
        .unwrap();
    terminal.backend().to_string()
}
