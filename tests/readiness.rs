//! Readiness over real HTTP: while the database cannot be written (a real SQLITE_FULL, from
//! SQLite's page limit on the writer's connection), writes and `/healthz` answer 503
//! `/problems/unavailable` with `Retry-After`; once it can be written again, the server's own
//! probe makes it ready without any client's write.

mod common;

use std::time::{Duration, Instant};

use backroom::server::ServerConfig;
use common::{TestServer, expect_problem};

async fn place(s: &TestServer, token: &str, label: &str) -> reqwest::Response {
    s.post(
        token,
        "/api/v1/orders",
        Some(&format!("key-{label}")),
        s.tea_order(label),
    )
    .await
}

async fn healthz(s: &TestServer) -> reqwest::Response {
    s.http.get(s.url("/healthz")).send().await.expect("healthz")
}

fn retry_after(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[tokio::test]
async fn while_the_disk_is_full_writes_and_healthz_answer_503_until_the_probe_writes_again() {
    let s = TestServer::start_with(ServerConfig {
        write_probe_interval: Duration::from_millis(200),
        ..Default::default()
    })
    .await;
    let token = s.token("integration").await;
    assert_eq!(healthz(&s).await.status(), 200);

    s.store.drill_full_disk(true).expect("fill the disk");
    // Orders fill the room the file's pages still have; the first that needs a new page
    // meets the full disk.
    let mut refused = None;
    for n in 0..500 {
        let label = format!("FULL-{n}");
        let res = place(&s, &token, &label).await;
        if res.status() != 201 {
            refused = Some((label, res));
            break;
        }
    }
    let (label, res) = refused.expect("an order that needed a new page");
    assert_eq!(
        retry_after(&res).as_deref(),
        Some("1"),
        "the probe interval, in whole seconds"
    );
    let problem = expect_problem(res, 503, "/problems/unavailable").await;
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("the disk is full"), "{problem}");

    // Probes have run meanwhile and failed: still not ready.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let health = healthz(&s).await;
    assert_eq!(retry_after(&health).as_deref(), Some("1"));
    let problem = expect_problem(health, 503, "/problems/unavailable").await;
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("cannot be written since") && detail.contains("the disk is full"),
        "{problem}"
    );

    // Room again: no client writes, yet the server is ready again, by its probe's commit.
    let commits = s.store.commits();
    s.store.drill_full_disk(false).expect("free the disk");
    let deadline = Instant::now() + Duration::from_secs(10);
    while healthz(&s).await.status() != 200 {
        assert!(
            Instant::now() < deadline,
            "still not ready long after the disk had room again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(s.store.commits() > commits, "the probe wrote and committed");
    assert_eq!(s.store.write_fault(), None);

    // Nothing of the refused order was kept: its retry places it.
    let retried = place(&s, &token, &label).await;
    assert_eq!(retried.status(), 201, "{:?}", retried.text().await);
}
