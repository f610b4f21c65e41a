//! A console run through the real event loop on a test terminal, against a test server,
//! driven by scripted keys: what the end-to-end console tests share.

#![allow(dead_code)]

use std::io;
use std::time::Duration;

use backroom::client::Client;
use backroom::console::app::App;
use backroom::console::keymap::Keymap;
use backroom::console::run::{LoopOptions, Runner, event_loop};
use backroom::console::scan_input::ScanInput;
use backroom::console::theme::Theme;
use backroom::domain::barcode::KeyboardWedge;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::common::TestServer;

/// Longer than the scan detector's longest gap between a scan's keys (80 ms by default).
pub const PAUSE: Duration = Duration::from_millis(200);

/// The keys in `script` as fast as they can come, except that `KeyCode::Null` is a pause:
/// what comes before it stands alone, as a key a person pressed.
pub fn paced(script: Vec<KeyCode>) -> impl futures_util::Stream<Item = io::Result<Event>> + Unpin {
    Box::pin(
        futures_util::stream::iter(script).filter_map(|code| async move {
            if code == KeyCode::Null {
                tokio::time::sleep(PAUSE).await;
                None
            } else {
                Some(Ok(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))))
            }
        }),
    )
}

pub fn typed(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

/// A user's name and demo password, typed into the sign-in screen.
pub fn sign_in(user: &str) -> Vec<KeyCode> {
    let mut keys = typed(user);
    keys.push(KeyCode::Enter);
    keys.extend(typed(&format!("backroom-{user}")));
    keys.extend([KeyCode::Enter, KeyCode::Null]);
    keys
}

/// The console's app with the built-in keymap and theme, not signed in.
pub fn app(server: &str) -> App {
    App::new(
        Keymap::load("default", None).unwrap(),
        Theme::load("default", None).unwrap(),
        server,
        None,
    )
}

/// One console on a test terminal, signed in by keys like any other.
pub struct Console {
    pub app: App,
    pub runner: Runner,
    terminal: Terminal<TestBackend>,
}

impl Console {
    pub fn new(server: &TestServer) -> Console {
        let client = Client::new(&server.base).unwrap();
        Console {
            app: app(client.base_url()),
            runner: Runner::new(client, None),
            terminal: Terminal::new(TestBackend::new(100, 30)).unwrap(),
        }
    }

    /// Runs the real loop over `script`, each event taken once the answers are in; with
    /// `scanner`, the scan detector tells scans from typing. Returns the screen after.
    pub async fn keys(&mut self, script: Vec<KeyCode>, scanner: bool) -> String {
        let options = LoopOptions {
            tick: None,
            wait_for_replies: true,
            scanner: scanner.then(|| ScanInput::from_settings(&KeyboardWedge::default()).unwrap()),
        };
        event_loop(
            &mut self.terminal,
            &mut self.app,
            &mut self.runner,
            paced(script),
            Vec::new(),
            options,
        )
        .await
        .unwrap();
        assert_eq!(self.runner.in_flight(), 0);
        self.terminal.backend().to_string()
    }

    pub fn stock(&self) -> &backroom::console::stock::StockPane {
        &self.app.workspace().expect("signed in").stock
    }
}
