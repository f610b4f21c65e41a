//! The console's real event loop against a real server: scripted keys go through the same
//! loop the terminal uses, each one taken only when the previous answers are in.

mod common;
mod console_loop;

use std::io;

use backroom::client::{Client, TokenStore};
use backroom::console::app::Screen;
use backroom::console::run::{LoopOptions, Runner, event_loop};
use common::TestServer;
use console_loop::app;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn keys(script: &[KeyCode]) -> impl futures_util::Stream<Item = io::Result<Event>> + Unpin {
    let events: Vec<io::Result<Event>> = script
        .iter()
        .map(|code| Ok(Event::Key(KeyEvent::new(*code, KeyModifiers::NONE))))
        .collect();
    futures_util::stream::iter(events)
}

fn typed(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

fn scripted() -> LoopOptions {
    LoopOptions {
        tick: None,
        wait_for_replies: true,
        scanner: None,
    }
}

#[tokio::test]
async fn sign_in_search_and_open_an_order() {
    let server = TestServer::start().await;
    let tokens_dir = tempfile::tempdir().unwrap();
    let tokens = TokenStore::new(tokens_dir.path());
    let client = Client::new(&server.base).unwrap();
    let mut app = app(client.base_url());
    let mut runner = Runner::new(client.clone(), Some(tokens.clone()));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();

    let mut script = typed("ops");
    script.push(KeyCode::Enter);
    script.extend(typed("backroom-ops"));
    script.push(KeyCode::Enter);
    script.push(KeyCode::Char('/'));
    script.extend(typed("SO-000042"));
    script.push(KeyCode::Enter);
    script.push(KeyCode::Enter);
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        keys(&script),
        Vec::new(),
        scripted(),
    )
    .await
    .unwrap();

    assert_eq!(runner.in_flight(), 0);
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("SO-000042") && screen.contains("History") && screen.contains("Received"),
        "{screen}"
    );
    assert!(screen.contains("Priya Natarajan · ops"), "{screen}");
    // The sign-in is kept for the next start, readable only by the user.
    let kept = tokens.load(client.base_url()).expect("session kept");
    assert_eq!(kept.username, "ops");
    let me = client
        .clone()
        .with_token(kept.token.expose())
        .me()
        .await
        .unwrap();
    assert_eq!(me.role, "ops");
}

#[tokio::test]
async fn wrong_password_stays_on_sign_in_and_sign_out_ends_the_session() {
    let server = TestServer::start().await;
    let tokens_dir = tempfile::tempdir().unwrap();
    let tokens = TokenStore::new(tokens_dir.path());
    let client = Client::new(&server.base).unwrap();
    let mut app = app(client.base_url());
    let mut runner = Runner::new(client.clone(), Some(tokens.clone()));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();

    let mut script = typed("cs");
    script.push(KeyCode::Enter);
    script.extend(typed("not-my-password"));
    script.push(KeyCode::Enter);
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        keys(&script),
        Vec::new(),
        scripted(),
    )
    .await
    .unwrap();
    assert!(matches!(app.screen, Screen::SignIn(_)));
    assert!(
        terminal
            .backend()
            .to_string()
            .contains("wrong user name or password")
    );
    assert!(tokens.load(client.base_url()).is_none());

    let mut script = typed("backroom-cs");
    script.push(KeyCode::Enter);
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        keys(&script),
        Vec::new(),
        scripted(),
    )
    .await
    .unwrap();
    assert!(matches!(app.screen, Screen::Work(_)));
    let token = tokens.load(client.base_url()).expect("kept").token;

    // Sign out through the palette: the server forgets the token and so does the disk.
    let mut script = vec![KeyCode::Char(':')];
    script.extend(typed("sign_out"));
    script.push(KeyCode::Enter);
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        keys(&script),
        Vec::new(),
        scripted(),
    )
    .await
    .unwrap();
    assert!(matches!(app.screen, Screen::SignIn(_)));
    assert!(tokens.load(client.base_url()).is_none());
    let err = client
        .clone()
        .with_token(token.expose())
        .me()
        .await
        .unwrap_err();
    assert!(err.is_unauthenticated(), "{err}");
}

#[tokio::test]
async fn quitting_ends_the_loop_with_answers_outstanding() {
    let server = TestServer::start().await;
    let client = Client::new(&server.base).unwrap();
    let login = client
        .login("warehouse", "backroom-warehouse")
        .await
        .unwrap();
    let mut app = app(client.base_url());
    let initial = app.signed_in(login.user);
    let mut runner = Runner::new(client.with_token(login.token.expose()), None);
    let mut terminal = Terminal::new(TestBackend::new(40, 16)).unwrap();
    let quit = futures_util::stream::iter(vec![Ok(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )))]);
    let options = LoopOptions {
        tick: None,
        wait_for_replies: false,
        scanner: None,
    };
    event_loop(&mut terminal, &mut app, &mut runner, quit, initial, options)
        .await
        .unwrap();
    assert!(app.quit);
}

/// Keys through the real loop with the scan detector on: a scripted stream comes as fast as
/// a scanner, so each code ending in Enter is one scan for the active pane.
#[tokio::test]
async fn scans_reach_the_pick_pane_through_the_detector() {
    let server = TestServer::start().await;
    let client = Client::new(&server.base).unwrap();
    let mut app = app(client.base_url());
    let mut runner = Runner::new(client, None);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let wedge = backroom::domain::barcode::KeyboardWedge::default();
    let options = LoopOptions {
        scanner: Some(backroom::console::scan_input::ScanInput::from_settings(&wedge).unwrap()),
        ..scripted()
    };
    // On the sign-in form a burst is typing, as from a password manager.
    let mut script = typed("warehouse");
    script.push(KeyCode::Enter);
    script.extend(typed("backroom-warehouse"));
    script.push(KeyCode::Enter);
    // A person presses the claim key; the scan comes a moment later.
    script.push(KeyCode::Char('n'));
    script.push(KeyCode::Null);
    script.extend(typed("ZZ-99-99"));
    script.push(KeyCode::Enter);
    let paced = keys(&script).filter_map(|event| async move {
        match event {
            Ok(Event::Key(KeyEvent {
                code: KeyCode::Null,
                ..
            })) => {
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                None
            }
            other => Some(other),
        }
    });
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        Box::pin(paced),
        Vec::new(),
        options,
    )
    .await
    .unwrap();
    let screen = terminal.backend().to_string();
    assert!(
        screen.contains("Wrong location ZZ-99-99: go to"),
        "{screen}"
    );
}
