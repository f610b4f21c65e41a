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
    let shop = s.token("integration").await;
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
