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

/// Keys of a scan from a barcode scanner: the code and its Enter, as one burst.
pub fn scanned(code: &str) -> Vec<KeyCode> {
    let mut keys = typed(code);
    keys.push(KeyCode::Enter);
    keys
}

/// One console on a test terminal, signed in by keys like any other.
pub struct Console {
    pub app: App,
    pub runner: Runner,
    terminal: Terminal<TestBackend>,
    /// Effects of a start from a kept session, run with the first keys.
    starting: Vec<backroom::console::app::Effect>,
}

impl Console {
    pub fn new(server: &TestServer) -> Console {
        let client = Client::new(&server.base).unwrap();
        Console {
            app: app(client.base_url()),
            runner: Runner::new(client, None),
            terminal: Terminal::new(TestBackend::new(100, 30)).unwrap(),
            starting: Vec::new(),
        }
    }

    /// A console that keeps its local cache (outbox, answers, catalogue) under `dir`.
    pub fn with_cache(server: &TestServer, dir: &std::path::Path) -> Console {
        let mut console = Console::new(server);
        let client = Client::new(&server.base).unwrap();
        console.runner = Runner::new(client, None).with_cache_dir(dir.to_path_buf());
        console
    }

    /// A console started again on a session kept from before (`token`, and who `me` is),
    /// as `backroom console` does: no sign-in, no need for the server to be there.
    pub fn resumed(
        server: &TestServer,
        dir: &std::path::Path,
        token: &str,
        me: backroom::api::Me,
    ) -> Console {
        let client = Client::new(&server.base).unwrap().with_token(token);
        let mut runner = Runner::new(client, None).with_cache_dir(dir.to_path_buf());
        runner.resume(&me.username);
        let mut app = app(&server.base);
        let starting = app.signed_in(me);
        Console {
            app,
            runner,
            terminal: Terminal::new(TestBackend::new(100, 30)).unwrap(),
            starting,
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
            std::mem::take(&mut self.starting),
            options,
        )
        .await
        .unwrap();
        // Offline, kept changes wait for the server; everything else has its answer.
        if self.app.online != Some(false) {
            assert_eq!(self.runner.in_flight(), 0);
        }
        self.terminal.backend().to_string()
    }

    pub fn stock(&self) -> &backroom::console::stock::StockPane {
        &self.app.workspace().expect("signed in").stock
    }
}
