//! The console's stock and replenishment panes through the real event loop against a real
//! server: goods received and put away by scanning, and a purchase request made from an
//! alert, and a new alert that reaches the purchasing console live, heard. What the keys
//! did is checked through the server's own API.

mod common;
mod console_loop;
mod stock_support;

use std::sync::{Arc, Mutex};

use backroom::client::{Client, LocalCache};
use backroom::console::cue::{Cue, CueSink};
use backroom::console::run::Runner;
use common::TestServer;
use console_loop::{Console, sign_in, typed};
use crossterm::event::KeyCode;
use serde_json::{Value, json};
use stock_support::{above_safety, send};

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

/// The `items` of a page the server answers with 200.
async fn items(server: &TestServer, token: &str, path: &str) -> Vec<Value> {
    let (status, body) = server.get(token, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body["items"].as_array().expect("items").clone()
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

/// Tea is traced by lot: its cases carry a GS1-128 label with the GTIN-14 of TEA-1001's
/// EAN-13 4712345000008 (01), an expiry (17) and the lot (10).
const TEA_CASE: &str = "01047123450000081727123110LOT42";

#[tokio::test]
async fn receive_and_put_away_by_scanning() {
    let server = TestServer::start().await;
    let token = server.token("warehouse").await;
    // Kitchen goods are not traced by lot: their plain EAN-13 will do.
    let (product, _) = server
        .store
        .product_with_stock("KIT-1001")
        .unwrap()
        .expect("KIT-1001");
    let barcode = product.barcode.expect("KIT-1001 has a barcode");
    let bin = "A-01-01";
    let kit_before = held(&server, &token, "KIT-1001", bin).await.0;
    let tea_before = held(&server, &token, "TEA-1001", bin).await.0;
    for sku in ["KIT-1001", "TEA-1001"] {
        assert_eq!(held(&server, &token, sku, "RCV-01").await, (0, 0), "{sku}");
    }
    assert!(items(&server, &token, "/api/v1/receipts").await.is_empty());
    let mut console = Console::new(&server);

    // Receiving: three single units, then five on one scan (the number pressed first), then
    // two cases of tea with their lot.
    let mut script = sign_in("warehouse");
    script.push(KeyCode::F(5));
    script.extend(pressed("r"));
    for _ in 0..3 {
        script.extend(scan(&barcode));
    }
    script.extend(pressed("5"));
    script.extend(scan(&barcode));
    script.extend(pressed("2"));
    script.extend(scan(TEA_CASE));
    let screen = console.keys(script, true).await;
    let receipt = console.stock().receipt.clone().expect("a receipt is open");
    let number = receipt.number.clone();
    assert_eq!(receipt.state, "open");
    assert_eq!(receipt.location.as_deref(), Some("RCV-01"));
    let received: Vec<(&str, i64)> = receipt
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.received))
        .collect();
    assert_eq!(received, [("KIT-1001", 8), ("TEA-1001", 2)], "{screen}");
    assert!(screen.contains(&format!("Receiving {number}")), "{screen}");
    assert!(screen.contains("Into RCV-01"), "{screen}");
    assert!(screen.contains("TEA-1001: 2 received"), "{screen}");

    // Closed: the pane looks at what is now in receiving, ready to put it away.
    let screen = console.keys(pressed("c"), true).await;
    assert!(
        screen.contains(&format!(
            "{number} closed: 10 unit(s) in RCV-01. Put away: m"
        )),
        "{screen}"
    );
    assert!(screen.contains("RCV-01  10 on hand · 10 free"), "{screen}");
    // The prompt, and one line of history per scan.
    assert_eq!(screen.matches(number.as_str()).count(), 1 + 5, "{screen}");
    assert!(console.stock().receipt.is_none());

    // Put away: from receiving (where the pane is), eight of one and both cases, into a bin.
    let mut script = pressed("m");
    script.extend(pressed("8"));
    script.extend(scan(&barcode));
    script.extend(pressed("2"));
    script.extend(scan(TEA_CASE));
    let screen = console.keys(script, true).await;
    assert!(screen.contains("Move from RCV-01"), "{screen}");
    assert!(screen.contains("10 in hand: scan where to"), "{screen}");
    assert!(screen.contains("LOT42"), "{screen}");
    let screen = console.keys(scan(bin), true).await;
    assert!(
        console.stock().cart.is_empty(),
        "{:?}",
        console.stock().cart
    );
    assert!(
        screen.contains(&format!("Put away 2 × TEA-1001 RCV-01 → {bin}"))
            || screen.contains(&format!("Put away 8 × KIT-1001 RCV-01 → {bin}")),
        "{screen}"
    );
    assert!(screen.contains("RCV-01  scan the items"), "{screen}");

    // The receipt: closed, with exactly what was scanned.
    let receipts = items(&server, &token, "/api/v1/receipts").await;
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    let closed = &receipts[0];
    assert_eq!(closed["number"], number.as_str());
    assert_eq!(closed["state"], "closed", "{closed}");
    let lines: Vec<(String, i64)> = closed["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["sku"].as_str().unwrap().to_string(),
                l["received"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [("KIT-1001".to_string(), 8), ("TEA-1001".to_string(), 2)],
        "{closed}"
    );

    // The units went on from receiving into the bin.
    for sku in ["KIT-1001", "TEA-1001"] {
        assert_eq!(held(&server, &token, sku, "RCV-01").await, (0, 0), "{sku}");
    }
    assert_eq!(
        held(&server, &token, "KIT-1001", bin).await.0,
        kit_before + 8
    );
    assert_eq!(
        held(&server, &token, "TEA-1001", bin).await.0,
        tea_before + 2
    );

    // The ledger tells the same story: one receipt movement per scan, one put-away per item.
    let ledger = items(
        &server,
        &token,
        &format!("/api/v1/stock/movements?reference={number}"),
    )
    .await;
    let mut scans: Vec<(String, i64, Option<String>)> = ledger
        .iter()
        .map(|m| {
            assert_eq!(m["kind"], "receipt", "{m}");
            assert_eq!(m["to"], "RCV-01", "{m}");
            assert_eq!(m["actor"], "warehouse", "{m}");
            (
                m["sku"].as_str().unwrap().to_string(),
                m["qty"].as_i64().unwrap(),
                m["lot"].as_str().map(String::from),
            )
        })
        .collect();
    scans.sort();
    let kit = |qty| ("KIT-1001".to_string(), qty, None);
    let tea = ("TEA-1001".to_string(), 2, Some("LOT42".to_string()));
    assert_eq!(scans, [kit(1), kit(1), kit(1), kit(5), tea], "{ledger:?}");
    let tea_in = ledger.iter().find(|m| m["sku"] == "TEA-1001").unwrap();
    assert_eq!(tea_in["expiry"], "2027-12-31", "{tea_in}");
    for (sku, qty, lot) in [("KIT-1001", 8, None), ("TEA-1001", 2, Some("LOT42"))] {
        let put_away = items(
            &server,
            &token,
            &format!("/api/v1/stock/movements?product={sku}&kind=put_away"),
        )
        .await;
        assert_eq!(put_away.len(), 1, "{put_away:?}");
        let m = &put_away[0];
        assert_eq!(m["qty"], qty, "{m}");
        assert_eq!(m["from"], "RCV-01", "{m}");
        assert_eq!(m["to"], bin, "{m}");
        assert_eq!(m["lot"].as_str(), lot, "{m}");
    }
}

#[tokio::test]
async fn purchasing_requests_from_an_alert() {
    let server = TestServer::start().await;
    // The sample shop starts with products below safety stock; the pane opens on the newest
    // alert, as the server lists them.
    let token = server.token("purchasing").await;
    let alerts = items(&server, &token, "/api/v1/replenishment/alerts?limit=200").await;
    let alert = alerts.first().expect("the sample shop has alerts").clone();
    assert_eq!(alert["state"], "open", "{alert}");
    let number = alert["number"].as_str().unwrap().to_string();
    let sku = alert["sku"].as_str().unwrap().to_string();
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
    let mut console = Console::new(&server);
    let screen = console.keys(script, false).await;

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
    assert_eq!(pr["sku"], sku.as_str());
    assert_eq!(pr["qty"], suggested, "{pr}");
    assert_eq!(pr["state"], "suggested", "{pr}");
    assert_eq!(pr["alert"], number.as_str(), "{pr}");
    assert_eq!(pr["created_by"], "purchasing", "{pr}");

    // The pane shows the decision, and the new request in its other list.
    let pane = &console.app.workspace().expect("signed in").replenishment;
    assert!(pane.asking.is_none());
    assert!(pane.requests.iter().any(|r| r.number == request));
    assert!(
        screen.contains(&format!("{number} → purchase request {request}")),
        "{screen}"
    );
}

/// Stands in for the speaker: keeps every cue the console plays.
#[derive(Clone, Default)]
struct Heard(Arc<Mutex<Vec<Cue>>>);

impl CueSink for Heard {
    fn play(&self, cue: Cue) {
        self.0.lock().unwrap().push(cue);
    }
    fn set_muted(&self, _muted: bool) {}
}

#[tokio::test]
async fn a_new_alert_reaches_the_purchasing_console_live_and_is_heard() {
    let server = TestServer::start().await;
    let ops = server.token("ops").await;
    let purchasing = server.token("purchasing").await;
    let dir = tempfile::tempdir().unwrap();
    let client = Client::new(&server.base).unwrap();
    // The console follows the stream from here on, however soon after signing in the alert
    // comes: what a console resuming from its cache does.
    LocalCache::open(&LocalCache::path_for(
        dir.path(),
        client.base_url(),
        "purchasing",
    ))
    .unwrap()
    .keep_last_event(server.store.last_event_id().unwrap())
    .unwrap();
    let heard = Heard::default();
    let mut console = Console::new(&server);
    console.runner = Runner::new(client, None)
        .with_cache_dir(dir.path().to_path_buf())
        .with_cues(heard.clone());
    console.runner.follow_events();
    console.keys(sign_in("purchasing"), false).await;
    let before = heard.0.lock().unwrap().len();

    // Lost units take a product below safety stock while purchasing looks at its alerts.
    let (sku, bin, free, safety) = above_safety(&server);
    let (status, lost) = send(
        &server,
        &ops,
        "/api/v1/stock/adjustments",
        Some("lost-while-watched"),
        json!({ "product": sku, "location": bin, "delta": -(free - (safety - 1)), "reason": "lost" }),
    )
    .await;
    assert_eq!(status, 201, "{lost}");
    let number = items(
        &server,
        &purchasing,
        "/api/v1/replenishment/alerts?limit=200",
    )
    .await
    .iter()
    .find(|a| a["sku"] == sku.as_str())
    .map(|a| a["number"].as_str().unwrap().to_string())
    .expect("the new alert");

    // No key is pressed: the stream brings it.
    let said = format!("New alert {number}: {sku} is below safety stock");
    let mut screen = String::new();
    for _ in 0..100 {
        screen = console.keys(vec![KeyCode::Null], false).await;
        let pane = &console.app.workspace().expect("signed in").replenishment;
        if screen.contains(&said) && pane.alerts.iter().any(|a| a.number == number) {
            break;
        }
    }
    assert!(screen.contains(&said), "{screen}");
    let pane = &console.app.workspace().expect("signed in").replenishment;
    assert!(
        pane.alerts.iter().any(|a| a.number == number),
        "the pane lists {number}"
    );
    assert!(screen.contains(&number), "{screen}");
    assert_eq!(heard.0.lock().unwrap()[before..], [Cue::Warn]);
}
