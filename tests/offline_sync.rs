//! The console's outbox against a real server that goes away: changes made while it is
//! down wait on disk, and when it is back each reaches it exactly once, in order. A
//! console stopped in the middle of a sync loses nothing and applies nothing twice; a
//! change the server refuses is set aside with its reason.

mod common;
mod console_loop;

use std::sync::Arc;
use std::time::Duration;

use backroom::client::{Change, Client, CountChange, LocalCache, Mutation, SyncEvent};
use backroom::console::app::{App, Effect};
use backroom::console::run::{LoopOptions, Runner, event_loop};
use common::TestServer;
use console_loop::{Console, app, scanned, sign_in};
use crossterm::event::KeyCode;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::json;

const SCANS: usize = 1_000;

/// The seeded blind count, one of its bins started by `warehouse`, and a product to count.
async fn a_count_under_way(s: &TestServer, warehouse: &str) -> (String, String, String) {
    let (status, st) = s.get(warehouse, "/api/v1/stocktakes/ST-000001").await;
    assert_eq!(status, 200, "{st}");
    let bin = st["locations"][0]["code"].as_str().unwrap().to_string();
    let res = s
        .post(
            warehouse,
            &format!("/api/v1/stocktakes/ST-000001/locations/{bin}/start"),
            Some("start-offline"),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    ("ST-000001".into(), bin, "KIT-1001".into())
}

fn scan(stocktake: &str, bin: &str, sku: &str) -> Mutation {
    Mutation::new(Change::Count(CountChange::Count {
        stocktake: stocktake.into(),
        location: bin.into(),
        product: sku.into(),
        qty: 1,
        set: false,
    }))
}

async fn counted(s: &TestServer, token: &str, bin: &str, sku: &str) -> i64 {
    let (status, st) = s.get(token, "/api/v1/stocktakes/ST-000001").await;
    assert_eq!(status, 200, "{st}");
    st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["location"] == bin && l["sku"] == sku)
        .map(|l| l["counted"].as_i64().unwrap())
        .sum()
}

/// Runs the console loop over `effects` until every one is answered; the screen.
async fn run(runner: &mut Runner, app: &mut App, effects: Vec<Effect>) -> String {
    run_keys(runner, app, effects, Vec::new()).await
}

/// Runs the loop over `effects`, then `keys` (each once the answers are in); the screen.
async fn run_keys(
    runner: &mut Runner,
    app: &mut App,
    effects: Vec<Effect>,
    keys: Vec<char>,
) -> String {
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let keys = keys.into_iter().map(|c| {
        Ok(crossterm::event::Event::Key(
            crossterm::event::KeyEvent::new(
                crossterm::event::KeyCode::Char(c),
                crossterm::event::KeyModifiers::NONE,
            ),
        ))
    });
    event_loop(
        &mut terminal,
        app,
        runner,
        futures_util::stream::iter(keys),
        effects,
        LoopOptions {
            tick: None,
            wait_for_replies: true,
            scanner: None,
        },
    )
    .await
    .unwrap();
    terminal.backend().to_string()
}

/// Waits until `check` holds, for at most `limit`.
async fn until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < end {
        if check() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    check()
}

#[tokio::test]
async fn scans_made_while_the_server_is_down_reach_it_exactly_once_when_it_is_back() {
    let mut server = TestServer::start().await;
    let warehouse = server.token("warehouse").await;
    let (stocktake, bin, sku) = a_count_under_way(&server, &warehouse).await;
    server.stop().await;

    let cache = tempfile::tempdir().unwrap();
    let client = Client::new(&server.base).unwrap().with_token(&warehouse);
    let mut runner = Runner::new(client, None).with_cache_dir(cache.path().to_path_buf());
    runner.resume("warehouse");
    let outbox = runner.outbox().clone();
    let mut console = app(&server.base);
    let scans: Vec<Effect> = (0..SCANS)
        .map(|_| Effect::Mutate(scan(&stocktake, &bin, &sku)))
        .collect();

    let restart = async {
        // Every scan is kept while nothing can be sent; then the server comes back.
        assert!(
            until(Duration::from_secs(20), || outbox
                .counts()
                .is_ok_and(|c| c.pending == SCANS))
            .await,
            "all {SCANS} scans are kept in the outbox"
        );
        server.restart().await;
    };
    let syncing = run(&mut runner, &mut console, scans);
    tokio::time::timeout(Duration::from_secs(120), async {
        tokio::join!(syncing, restart)
    })
    .await
    .expect("the outbox drains once the server is back");

    assert_eq!(outbox.counts().unwrap().pending, 0);
    assert_eq!(outbox.counts().unwrap().attention, 0);
    assert_eq!(counted(&server, &warehouse, &bin, &sku).await, SCANS as i64);
}

/// KIT-1001's barcode and the first bin of the seeded count ST-000001.
async fn kit_barcode_and_first_bin(server: &TestServer, token: &str) -> (String, String) {
    let (status, product) = server.get(token, "/api/v1/products/KIT-1001").await;
    assert_eq!(status, 200, "{product}");
    let barcode = product["product"]["barcode"].as_str().unwrap().to_string();
    let (_, st) = server.get(token, "/api/v1/stocktakes/ST-000001").await;
    let bin = st["locations"][0]["code"].as_str().unwrap().to_string();
    (barcode, bin)
}

/// The acceptance test of working offline, through the console's own keys: a counter opens
/// the count and its first bin, the server goes away, 1,000 items are scanned, the console
/// is stopped and started again (still offline: the count is there as it was left), and
/// when the server is back it holds exactly those 1,000.
#[tokio::test]
async fn a_count_scanned_offline_through_the_console_reaches_the_server_exactly_once() {
    let mut server = TestServer::start().await;
    let warehouse = server.token("warehouse").await;
    let (barcode, bin) = kit_barcode_and_first_bin(&server, &warehouse).await;
    let cache = tempfile::tempdir().unwrap();

    // Online: sign in, F7, open the count, scan the bin.
    let mut console = Console::with_cache(&server, cache.path());
    let mut keys = sign_in("warehouse");
    keys.extend([KeyCode::F(7), KeyCode::Null, KeyCode::Enter, KeyCode::Null]);
    keys.extend(scanned(&bin));
    let screen = console.keys(keys, true).await;
    assert!(screen.contains(&format!("At {bin}")), "{screen}");

    // Offline: 1,000 scans, each counted on screen at once.
    server.stop().await;
    let keys: Vec<KeyCode> = (0..SCANS).flat_map(|_| scanned(&barcode)).collect();
    let screen = tokio::time::timeout(Duration::from_secs(120), console.keys(keys, true))
        .await
        .expect("scanning goes on without the server");
    assert!(screen.contains(&format!("KIT-1001: {SCANS}")), "{screen}");
    assert!(screen.contains("offline"), "{screen}");
    let outbox = console.runner.outbox().clone();
    assert_eq!(outbox.counts().unwrap().pending, SCANS);
    let me = console.app.workspace().unwrap().me.clone();
    drop(console);
    drop(outbox);

    // Started again, still offline: the count is there as it was left.
    let mut console = Console::resumed(&server, cache.path(), &warehouse, me);
    let mut keys = vec![KeyCode::F(7), KeyCode::Null, KeyCode::Enter, KeyCode::Null];
    keys.extend(scanned(&bin));
    let screen = console.keys(keys, true).await;
    assert!(screen.contains("offline"), "{screen}");
    assert!(screen.contains(&SCANS.to_string()), "{screen}");

    // The server is back: exactly the 1,000 reach it.
    server.restart().await;
    let outbox = console.runner.outbox().clone();
    assert!(
        until(Duration::from_secs(120), || outbox
            .counts()
            .is_ok_and(|c| c.pending == 0))
        .await,
        "the outbox drains once the server is back"
    );
    assert_eq!(outbox.counts().unwrap().attention, 0);
    assert_eq!(
        counted(&server, &warehouse, &bin, "KIT-1001").await,
        SCANS as i64
    );
}

/// What the count open in the stocktake pane holds for `sku` in `bin`.
fn count_shown(console: &Console, bin: &str, sku: &str) -> i64 {
    let pane = &console.app.workspace().expect("signed in").stocktake;
    let st = pane.open.as_ref().expect("a count is open");
    st.lines
        .iter()
        .filter(|l| l.location == bin && l.sku == sku)
        .map(|l| l.counted)
        .sum()
}

/// Kept answers are not rewritten as a scan is kept: the scans waiting are laid over them
/// when read. A console started again offline shows each scan once: while it waits, once
/// the server has it (and it has left the outbox), and over the server's own next answer,
/// which has it already.
#[tokio::test]
async fn a_count_shown_after_a_restart_has_each_scan_once_before_and_after_the_server_has_it() {
    let mut server = TestServer::start().await;
    let warehouse = server.token("warehouse").await;
    let (barcode, bin) = kit_barcode_and_first_bin(&server, &warehouse).await;
    let cache = tempfile::tempdir().unwrap();
    let open_count = || vec![KeyCode::F(7), KeyCode::Null, KeyCode::Enter, KeyCode::Null];

    // Online: the count and its bin are read (and kept); offline: three scans.
    let mut console = Console::with_cache(&server, cache.path());
    let mut keys = sign_in("warehouse");
    keys.extend(open_count());
    keys.extend(scanned(&bin));
    console.keys(keys, true).await;
    server.stop().await;
    let keys: Vec<KeyCode> = (0..3).flat_map(|_| scanned(&barcode)).collect();
    let screen = console.keys(keys, true).await;
    assert!(screen.contains("KIT-1001: 3"), "{screen}");
    let me = console.app.workspace().unwrap().me.clone();
    drop(console);

    let mut console = Console::resumed(&server, cache.path(), &warehouse, me.clone());
    console.keys(open_count(), true).await;
    assert_eq!(count_shown(&console, &bin, "KIT-1001"), 3, "waiting");

    // The server is back: the scans reach it and leave the outbox.
    server.restart().await;
    let outbox = console.runner.outbox().clone();
    assert!(
        until(Duration::from_secs(60), || outbox
            .counts()
            .is_ok_and(|c| c.pending == 0))
        .await,
        "the outbox drains once the server is back"
    );
    drop(outbox);
    drop(console);
    server.stop().await;
    let mut console = Console::resumed(&server, cache.path(), &warehouse, me.clone());
    console.keys(open_count(), true).await;
    assert_eq!(count_shown(&console, &bin, "KIT-1001"), 3, "sent");
    drop(console);

    // Read from the server again, which has the three: kept, and shown once offline.
    server.restart().await;
    let mut console = Console::resumed(&server, cache.path(), &warehouse, me.clone());
    console.keys(open_count(), true).await;
    assert_eq!(count_shown(&console, &bin, "KIT-1001"), 3, "read again");
    drop(console);
    server.stop().await;
    let mut console = Console::resumed(&server, cache.path(), &warehouse, me);
    let screen = console.keys(open_count(), true).await;
    assert!(screen.contains("offline"), "{screen}");
    assert_eq!(
        count_shown(&console, &bin, "KIT-1001"),
        3,
        "read again, offline"
    );
    server.restart().await;
    assert_eq!(counted(&server, &warehouse, &bin, "KIT-1001").await, 3);
}

#[tokio::test]
async fn a_console_stopped_in_the_middle_of_a_sync_loses_nothing_and_applies_nothing_twice() {
    let server = TestServer::start().await;
    let warehouse = server.token("warehouse").await;
    let (stocktake, bin, sku) = a_count_under_way(&server, &warehouse).await;
    let cache = tempfile::tempdir().unwrap();
    let path = LocalCache::path_for(cache.path(), &server.base, "warehouse");

    // The first console keeps 300 scans and is stopped while it sends them.
    let first = Arc::new(LocalCache::open(&path).unwrap());
    let scans: Vec<Mutation> = (0..300).map(|_| scan(&stocktake, &bin, &sku)).collect();
    for m in &scans {
        first.enqueue(m).unwrap();
    }
    let client = Client::new(&server.base).unwrap().with_token(&warehouse);
    let (events, mut answers) = tokio::sync::mpsc::unbounded_channel();
    let worker = tokio::spawn(backroom::client::run_sync(
        client.clone(),
        first.clone(),
        Arc::new(tokio::sync::Notify::new()),
        events,
    ));
    let mut answered = 0;
    while answered < 100 {
        match answers.recv().await {
            Some(SyncEvent::Answered { .. }) => answered += 1,
            Some(SyncEvent::Status(_) | SyncEvent::Catalogue(_)) => {}
            None => break,
        }
    }
    worker.abort();
    let _ = worker.await;
    drop(first);

    // One the server applied whose answer was lost goes again: it must count once.
    let again = scans[0].clone();
    let reopened = LocalCache::open(&path).unwrap();
    reopened.enqueue(&again).unwrap();
    let left = reopened.counts().unwrap().pending;
    assert!(left > 0 && left <= 201, "{left} left");

    // The second console sends what is left, as it starts.
    drop(reopened);
    let mut runner = Runner::new(client, None).with_cache_dir(cache.path().to_path_buf());
    runner.resume("warehouse");
    let outbox = runner.outbox().clone();
    assert!(
        until(Duration::from_secs(60), || outbox
            .counts()
            .is_ok_and(|c| c.pending == 0))
        .await,
        "the outbox drains"
    );
    assert_eq!(counted(&server, &warehouse, &bin, &sku).await, 300);
}

#[tokio::test]
async fn a_change_the_disk_does_not_take_is_still_sent_and_the_terminal_says_so() {
    let server = TestServer::start().await;
    let warehouse = server.token("warehouse").await;
    let (stocktake, bin, sku) = a_count_under_way(&server, &warehouse).await;
    let client = Client::new(&server.base).unwrap().with_token(&warehouse);
    let cache = tempfile::tempdir().unwrap();
    let mut runner = Runner::new(client, None).with_cache_dir(cache.path().to_path_buf());
    runner.resume("warehouse");
    let mut console = app(&server.base);
    let (status, me) = server.get(&warehouse, "/api/v1/me").await;
    assert_eq!(status, 200);
    let mut effects = console.signed_in(serde_json::from_value(me).unwrap());
    // The outbox's files go from under the open outbox: the change is kept, the flush fails.
    std::fs::remove_dir_all(cache.path()).unwrap();
    effects.push(Effect::Mutate(scan(&stocktake, &bin, &sku)));
    let screen = run(&mut runner, &mut console, effects).await;
    assert!(
        screen.contains("Disk error: the last scans are not on this terminal's disk yet"),
        "{screen}"
    );
    assert_eq!(counted(&server, &warehouse, &bin, &sku).await, 1);
}

#[tokio::test]
async fn a_change_the_server_refuses_is_set_aside_with_its_reason() {
    let server = TestServer::start().await;
    let warehouse = server.token("warehouse").await;
    let client = Client::new(&server.base).unwrap().with_token(&warehouse);
    let cache = tempfile::tempdir().unwrap();
    let mut runner = Runner::new(client, None).with_cache_dir(cache.path().to_path_buf());
    runner.resume("warehouse");
    let outbox = runner.outbox().clone();
    let mut console = app(&server.base);
    let (status, me) = server.get(&warehouse, "/api/v1/me").await;
    assert_eq!(status, 200);
    let mut effects = console.signed_in(serde_json::from_value(me).unwrap());
    // A count at a location that is not being counted.
    effects.push(Effect::Mutate(scan("ST-000001", "NO-SUCH-BIN", "KIT-1001")));
    // `!` shows what the server refused, with its reason.
    let screen = run_keys(&mut runner, &mut console, effects, vec!['!']).await;
    let aside = outbox.attention().unwrap();
    assert_eq!(aside.len(), 1, "{aside:?}");
    assert!(!aside[0].reason.is_empty());
    assert_eq!(outbox.counts().unwrap().pending, 0);
    assert!(screen.contains("Needs attention"), "{screen}");
    assert!(
        screen.contains("Count · location NO-SUCH-BIN · product KIT-1001"),
        "{screen}"
    );
    let reason: String = aside[0].reason.chars().take(30).collect();
    assert!(screen.contains(&reason), "{screen}");
    assert!(screen.contains("1 refused"), "{screen}");
    // Seen, and let go: `d`.
    let screen = run_keys(&mut runner, &mut console, Vec::new(), vec!['d']).await;
    assert!(
        screen.contains("Nothing was refused by the server"),
        "{screen}"
    );
    assert!(outbox.attention().unwrap().is_empty());
}

#[tokio::test]
async fn a_console_started_while_the_server_is_down_shows_what_it_kept() {
    let mut server = TestServer::start().await;
    let admin = server.token("admin").await;
    let (status, me) = server.get(&admin, "/api/v1/me").await;
    assert_eq!(status, 200);
    let me: backroom::api::Me = serde_json::from_value(me).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let base = server.base.clone();
    let start = |token: &str| {
        let client = Client::new(&base).unwrap().with_token(token);
        let mut runner = Runner::new(client, None).with_cache_dir(cache.path().to_path_buf());
        runner.resume("admin");
        runner
    };

    // A day's work: the order queue is read, and kept.
    let mut runner = start(&admin);
    let mut console = app(&server.base);
    let effects = console.signed_in(me.clone());
    let before = run_keys(&mut runner, &mut console, effects, Vec::new()).await;
    let at = before.find("SO-").expect("an order on screen");
    let newest = before[at..at + 9].to_string();
    drop(runner);

    // The next start, with the server away: the queue is there, and the header says so.
    server.stop().await;
    let mut runner = start(&admin);
    let mut console = app(&base);
    let effects = console.signed_in(me);
    let after = run_keys(&mut runner, &mut console, effects, Vec::new()).await;
    assert!(after.contains(&newest), "{after}");
    assert!(after.contains("offline"), "{after}");
}

/// A customer writes in (a new ticket): a change that puts an event on the stream.
async fn message(s: &TestServer, key: &str) {
    let shop = s.token("integration").await;
    let res = s
        .post(
            &shop,
            "/api/v1/messages",
            Some(key),
            json!({ "customer_email": format!("{key}@example.com"), "subject": "Gift card",
                    "body": "Do you sell gift cards?" }),
        )
        .await;
    assert!(res.status().is_success(), "{:?}", res.text().await);
}

#[tokio::test]
async fn the_event_stream_resumes_after_a_server_restart_without_a_gap() {
    let mut server = TestServer::start().await;
    let admin = server.token("admin").await;
    let client = Client::new(&server.base).unwrap().with_token(&admin);
    let mut feed = client.follow_events(None).await.unwrap();
    message(&server, "before").await;
    let seen = tokio::time::timeout(Duration::from_secs(10), feed.next())
        .await
        .expect("an event")
        .expect("the stream is open");

    // The server goes away (the stream ends) and comes back; changes happen before the
    // console has reconnected.
    server.restart().await;
    let ended = tokio::time::timeout(Duration::from_secs(10), feed.next()).await;
    assert!(matches!(ended, Ok(None)), "the old stream ended");
    message(&server, "after-1").await;
    message(&server, "after-2").await;

    // Reconnecting with the last id seen gets everything after it, in order, once.
    let mut resumed = client.follow_events(Some(seen.id)).await.unwrap();
    let mut ids = Vec::new();
    let mut kinds = Vec::new();
    while let Ok(Some(event)) =
        tokio::time::timeout(Duration::from_millis(500), resumed.next()).await
    {
        ids.push(event.id);
        kinds.push(event.kind);
    }
    assert!(!ids.is_empty(), "nothing came after {}", seen.id);
    let expected: Vec<i64> = (seen.id + 1..=seen.id + ids.len() as i64).collect();
    assert_eq!(ids, expected, "no gap, no repeat: {kinds:?}");
    let adjusted = kinds.iter().filter(|k| *k == &seen.kind).count();
    assert_eq!(adjusted, 2, "both changes made while away: {kinds:?}");
}

#[tokio::test]
async fn the_event_streams_position_is_kept_so_a_restarted_console_resumes_from_it() {
    let server = TestServer::start().await;
    let cache = tempfile::tempdir().unwrap();
    let mut console = Console::with_cache(&server, cache.path());
    console.runner.follow_events();
    console.keys(sign_in("admin"), false).await;
    message(&server, "while-signed-in").await;
    let outbox = console.runner.outbox().clone();
    assert!(
        until(Duration::from_secs(10), || outbox
            .last_event()
            .is_ok_and(|id| id.is_some()))
        .await,
        "the position is written within a second or so"
    );
    let kept = outbox.last_event().unwrap().unwrap();
    let client = Client::new(&server.base)
        .unwrap()
        .with_token(&server.token("admin").await);
    let mut from_start = client.follow_events(Some(0)).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), from_start.next())
        .await
        .unwrap()
        .unwrap();
    assert!(kept >= first.id, "{kept} is a real event id");
    drop(console);
    drop(outbox);
    // The next run's cache starts where this one stopped.
    let path = LocalCache::path_for(cache.path(), &server.base, "admin");
    assert_eq!(
        LocalCache::open(&path).unwrap().last_event().unwrap(),
        Some(kept)
    );
}
