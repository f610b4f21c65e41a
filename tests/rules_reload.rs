//! The routing rules file: reloads put new rules in force for the next order; a broken file
//! is refused with its line and the rules in force stay.

mod common;

use std::time::{Duration, Instant};

use backroom::server::{reload_rules, watch_rules};
use common::TestServer;

const EVERYTHING_TO_CS: &str = "[[rule]]\nname = \"everything to cs\"\nthen = { queue = \"cs_review\", reason = \"trial week\" }\n";

#[tokio::test]
async fn a_reload_takes_effect_and_a_broken_file_changes_nothing() {
    let s = TestServer::start().await;
    let shop = s.token("ops").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    assert_eq!(
        s.place_tea_order(&shop, "p-0").await["routing"]["rule"],
        "standard"
    );

    std::fs::write(&path, EVERYTHING_TO_CS).unwrap();
    assert_eq!(reload_rules(&s.state, &path).unwrap(), 1);
    let placed = s.place_tea_order(&shop, "p-1").await;
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
        s.place_tea_order(&shop, "p-2").await["routing"]["rule"],
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

#[tokio::test]
async fn reroute_applies_the_rules_in_force_to_an_open_order() {
    let s = TestServer::start().await;
    let shop = s.token("ops").await;
    let ops = s.token("ops").await;
    let warehouse = s.token("warehouse").await;
    let placed = s.place_tea_order(&shop, "rr-1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    assert_eq!(placed["order"]["status"], "ready_to_pick");
    let reroute = |token: String| {
        let url = s.url(&format!("/api/v1/orders/{number}/reroute"));
        let http = s.http.clone();
        async move { http.post(url).bearer_auth(token).send().await.unwrap() }
    };
    common::expect_problem(reroute(warehouse.clone()).await, 403, "/problems/forbidden").await;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    std::fs::write(&path, EVERYTHING_TO_CS).unwrap();
    reload_rules(&s.state, &path).unwrap();
    let res = reroute(ops.clone()).await;
    assert_eq!(res.status(), 200);
    let routed: serde_json::Value = res.json().await.unwrap();
    assert_eq!(routed["order"]["status"], "cs_review");
    assert_eq!(routed["routing"]["rule"], "everything to cs");
    let last = routed["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .starts_with("re-routed by ops"),
        "{last}"
    );
    // Its stock stayed reserved while CS looks.
    assert_eq!(routed["lines"][0]["pick_from"][0]["qty"], 1);

    std::fs::write(&path, backroom::domain::routing::DEFAULT_RULES).unwrap();
    reload_rules(&s.state, &path).unwrap();
    let routed: serde_json::Value = reroute(ops.clone()).await.json().await.unwrap();
    assert_eq!(routed["order"]["status"], "ready_to_pick");

    // Past picking, routing is settled.
    for status in ["picking", "packed"] {
        let res = s
            .http
            .post(s.url(&format!("/api/v1/orders/{number}/status")))
            .bearer_auth(&warehouse)
            .json(&serde_json::json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    common::expect_problem(reroute(ops).await, 409, "/problems/conflict").await;
}
