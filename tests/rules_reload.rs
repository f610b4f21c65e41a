//! The routing rules file: reloads put new rules in force for the next order; a broken file
//! is refused with its line and the rules in force stay.

mod common;

use std::time::{Duration, Instant};

use backroom::server::{reload_rules, watch_rules};
use common::TestServer;
use serde_json::{Value, json};

const EVERYTHING_TO_CS: &str = "[[rule]]\nname = \"everything to cs\"\nthen = { queue = \"cs_review\", reason = \"trial week\" }\n";

async fn place(s: &TestServer, token: &str, n: usize) -> Value {
    let price = s
        .store
        .product_with_stock("TEA-1001")
        .unwrap()
        .unwrap()
        .0
        .price
        .minor;
    let body = json!({
        "channel": "web", "channel_order_no": format!("RL-{n}"),
        "customer": { "name": "Hugo Meyer", "email": format!("hugo{n}@example.com"), "phone": null },
        "ship_to": { "name": "Hugo Meyer", "line1": "Rue Oberkampf 9", "line2": null, "city": "Paris",
                     "postal_code": "75011", "region": null, "country": "FR" },
        "payment_method": "card", "currency": "EUR",
        "lines": [{ "sku": "TEA-1001", "qty": 1, "unit_price_minor": price }]
    });
    let res = s
        .http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(token)
        .header("idempotency-key", format!("rl-{n}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_reload_takes_effect_and_a_broken_file_changes_nothing() {
    let s = TestServer::start().await;
    let shop = s.token("integration").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    assert_eq!(place(&s, &shop, 0).await["routing"]["rule"], "standard");

    std::fs::write(&path, EVERYTHING_TO_CS).unwrap();
    assert_eq!(reload_rules(&s.state, &path).unwrap(), 1);
    let placed = place(&s, &shop, 1).await;
    assert_eq!(
        (
            placed["routing"]["rule"].as_str(),
            placed["order"]["status"].as_str()
        ),
        (Some("everything to cs"), Some("cs_review"))
    );

    std::fs::write(
        &path,
        "[[rule]]\nname = \"oops\"\nthen = { queue = \"nowhere\" }\n",
    )
    .unwrap();
    let err = reload_rules(&s.state, &path).unwrap_err();
    assert_eq!(err.line, 3, "{err}");
    assert!(err.to_string().contains("rules.toml:3:"), "{err}");
    assert_eq!(
        place(&s, &shop, 2).await["routing"]["rule"],
        "everything to cs",
        "the last good rules stay in force"
    );
}

#[tokio::test]
async fn the_watcher_notices_a_changed_file() {
    let s = TestServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, backroom::domain::routing::DEFAULT_RULES).unwrap();
    tokio::spawn(watch_rules(s.state.clone(), path.clone()));
    // File systems with coarse timestamps need the change to land in a later second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    std::fs::write(&path, EVERYTHING_TO_CS).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while s.state.rules().rules.len() != 1 {
        assert!(Instant::now() < deadline, "the change was not picked up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
