//! The console's stock and replenishment panes through the real event loop against a real
//! server: goods received and put away by scanning, and a purchase request made from an
//! alert. What the keys did is checked through the server's own API.

mod common;

use std::io;
use std::time::Duration;

use backroom::client::Client;
use backroom::console::app::App;
use backroom::console::keymap::Keymap;
use backroom::console::run::{LoopOptions, Runner, event_loop};
use backroom::console::scan_input::ScanInput;
use backroom::console::theme::Theme;
use backroom::domain::barcode::KeyboardWedge;
use common::TestServer;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures_util::StreamExt;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

/// Longer than the detector's longest gap between a scan's keys (80 ms by default).
const PAUSE: Duration = Duration::from_millis(200);

/// The keys in `script` as fast as they can come, except that `KeyCode::Null` is a pause:
/// what comes before it stands alone, as a key a person pressed.
fn paced(script: Vec<KeyCode>) -> impl futures_util::Stream<Item = io::Result<Event>> + Unpin {
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

fn typed(text: &str) -> Vec<KeyCode> {
    text.chars().map(KeyCode::Char).collect()
}

/// What a wedge scanner types for `code`: its characters, then Enter.
fn scan(code: &str) -> Vec<KeyCode> {
    let mut keys = typed(code);
    keys.push(KeyCode::Enter);
    keys
}

/// Keys a person presses one by one, each standing alone.
fn pressed(text: &str) -> Vec<KeyCode> {
    text.chars()
        .flat_map(|c| [KeyCode::Char(c), KeyCode::Null])
        .collect()
}

fn sign_in(user: &str) -> Vec<KeyCode> {
    let mut keys = typed(user);
    keys.push(KeyCode::Enter);
    keys.extend(typed(&format!("backroom-{user}")));
    keys.push(KeyCode::Enter);
    keys
}

fn app(server: &str) -> App {
    App::new(
        Keymap::load("default", None).unwrap(),
        Theme::load("default", None).unwrap(),
        server,
        None,
    )
}

/// The real loop with the scan detector on, each event taken once the answers are in.
async fn run(server: &TestServer, script: Vec<KeyCode>, scanner: bool) -> (App, String) {
    let client = Client::new(&server.base).unwrap();
    let mut app = app(client.base_url());
    let mut runner = Runner::new(client, None);
    let mut terminal = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let options = LoopOptions {
        tick: None,
        wait_for_replies: true,
        scanner: scanner
            .then(|| ScanInput::from_settings(&KeyboardWedge::default()).unwrap()),
    };
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        paced(script),
        Vec::new(),
        options,
    )
    .await
    .unwrap();
    assert_eq!(runner.in_flight(), 0);
    let screen = terminal.backend().to_string();
    (app, screen)
}

/// The `items` of a page the server answers with 200.
async fn items(server: &TestServer, token: &str, path: &str) -> Vec<Value> {
    let (status, body) = server.get(token, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    match body.get("items") {
        Some(items) => items.as_array().expect("items").clone(),
        None => body.as_array().expect("a list").clone(),
    }
}

/// What `location` holds of `sku`: (on hand, available).
async fn held(server: &TestServer, token: &str, sku: &str, location: &str) -> (i64, i64) {
    let levels = items(
        server,
        token,
        &format!("/api/v1/stock?sku={sku}&location={location}"),
    )
    .await;
    levels
        .iter()
        .filter(|l| l["sku"] == sku && l["location"] == location)
        .fold((0, 0), |(hand, free), l| {
            (
                hand + l["on_hand"].as_i64().unwrap(),
                free + l["available"].as_i64().unwrap(),
            )
        })
}

#[tokio::test]
async fn receive_and_put_away_by_scanning() {
    let server = TestServer::start().await;
    let token = server.token("warehouse").await;
    // Kitchen goods are not traced by lot: a plain EAN-13 scan will do.
    let (product, _) = server
        .store
        .product_with_stock("KIT-1001")
        .unwrap()
        .expect("KIT-1001");
    let barcode = product.barcode.expect("KIT-1001 has a barcode");
    let bin = "A-01-01";
    let (bin_before, _) = held(&server, &token, "KIT-1001", bin).await;
    assert_eq!(held(&server, &token, "KIT-1001", "RCV-01").await, (0, 0));
    assert!(items(&server, &token, "/api/v1/receipts").await.is_empty());

    let mut script = sign_in("warehouse");
    script.push(KeyCode::F(5));
    script.extend(pressed("r"));
    // Three single units, then five on one scan: the number typed first.
    for _ in 0..3 {
        script.extend(scan(&barcode));
    }
    script.extend(pressed("5"));
    script.extend(scan(&barcode));
    script.extend(pressed("c"));
    // Put away: from the receiving location the receipt was closed into, all eight at once.
    script.extend(pressed("m"));
    script.extend(pressed("8"));
    script.extend(scan(&barcode));
    script.extend(scan(bin));
    let (app, screen) = run(&server, script, true).await;

    // The receipt: closed, with exactly what was scanned.
    let receipts = items(&server, &token, "/api/v1/receipts").await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let receipt = &receipts[0];
    let number = receipt["number"].as_str().unwrap().to_string();
    assert_eq!(receipt["state"], "closed", "{receipt}");
    assert_eq!(receipt["location"], "RCV-01", "{receipt}");
    let lines = receipt["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{receipt}");
    assert_eq!(lines[0]["sku"], "KIT-1001");
    assert_eq!(lines[0]["received"], 8, "{receipt}");

    // The units went on from receiving into the bin.
    assert_eq!(held(&server, &token, "KIT-1001", "RCV-01").await, (0, 0));
    let (bin_after, _) = held(&server, &token, "KIT-1001", bin).await;
    assert_eq!(bin_after, bin_before + 8);

    // The ledger tells the same story: four receipt movements, one put-away of all eight.
    let received = items(
        &server,
        &token,
        &format!("/api/v1/stock/movements?reference={number}"),
    )
    .await;
    let mut quantities: Vec<i64> = received
        .iter()
        .map(|m| {
            assert_eq!(m["kind"], "receipt", "{m}");
            assert_eq!(m["sku"], "KIT-1001", "{m}");
            assert_eq!(m["to"], "RCV-01", "{m}");
            assert_eq!(m["actor"], "warehouse", "{m}");
            m["qty"].as_i64().unwrap()
        })
        .collect();
    quantities.sort_unstable();
    assert_eq!(quantities, [1, 1, 1, 5], "{received:?}");
    let put_away = items(
        &server,
        &token,
        "/api/v1/stock/movements?product=KIT-1001&kind=put_away",
    )
    .await;
    assert_eq!(put_away.len(), 1, "{put_away:?}");
    assert_eq!(put_away[0]["qty"], 8);
    assert_eq!(put_away[0]["from"], "RCV-01");
    assert_eq!(put_away[0]["to"], bin);

    // The console says so, and has nothing left in hand.
    let stock = &app.workspace().expect("signed in").stock;
    assert!(stock.cart.is_empty(), "{:?}", stock.cart);
    assert!(stock.receipt.is_none());
    assert!(
        screen.contains(&format!("Put away 8 × KIT-1001 RCV-01 → {bin}")),
        "{screen}"
    );
    assert!(screen.contains("Move from RCV-01"), "{screen}");
}

#[tokio::test]
async fn purchasing_requests_from_an_alert() {
    let server = TestServer::start().await;
    // The sample shop is seeded without alerts: losing a product's free units raises one.
    let supervisor = server.token("supervisor").await;
    let (_, stock) = server
        .store
        .product_with_stock("STA-1001")
        .unwrap()
        .expect("STA-1001");
    for (i, level) in stock.iter().enumerate() {
        let free = level.on_hand - level.reserved;
        if free <= 0 {
            continue;
        }
        let res = server
            .post(
                &supervisor,
                "/api/v1/stock/adjustments",
                Some(&format!("lose-{i}")),
                json!({ "product": "STA-1001", "location": level.location,
                        "delta": -free, "reason": "lost", "note": "e2e" }),
            )
            .await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }
    let token = server.token("purchasing").await;
    let alerts = items(&server, &token, "/api/v1/replenishment/alerts").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = alerts[0].clone();
    assert_eq!(alert["sku"], "STA-1001");
    assert_eq!(alert["state"], "open");
    let number = alert["number"].as_str().unwrap().to_string();
    let suggested = alert["suggested_qty"].as_i64().unwrap();
    assert!(suggested > 0, "{alert}");
    assert!(
        items(&server, &token, "/api/v1/purchase-requests")
            .await
            .is_empty()
    );

    // F6, request from the selected alert, and take the suggested quantity.
    let mut script = sign_in("purchasing");
    script.push(KeyCode::F(6));
    script.push(KeyCode::Char('p'));
    script.push(KeyCode::Enter);
    let (app, screen) = run(&server, script, false).await;

    let (status, decided) = server
        .get(&token, &format!("/api/v1/replenishment/alerts/{number}"))
        .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "requested", "{decided}");
    assert_eq!(decided["decided_by"], "purchasing", "{decided}");
    let request = decided["purchase_request"]
        .as_str()
        .expect("a purchase request")
        .to_string();
    let requests = items(&server, &token, "/api/v1/purchase-requests").await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    let pr = &requests[0];
    assert_eq!(pr["number"], request.as_str());
    assert_eq!(pr["sku"], "STA-1001");
    assert_eq!(pr["qty"], suggested, "{pr}");
    assert_eq!(pr["state"], "suggested", "{pr}");
    assert_eq!(pr["alert"], number.as_str(), "{pr}");
    assert_eq!(pr["created_by"], "purchasing", "{pr}");

    // The pane shows the decision, and the new request in its other list.
    let pane = &app.workspace().expect("signed in").replenishment;
    assert!(pane.asking.is_none());
    assert!(pane.requests.iter().any(|r| r.number == request));
    assert!(
        screen.contains(&format!("{number} → purchase request {request}")),
        "{screen}"
    );
}
