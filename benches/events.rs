//! Event fan-out: 100 consoles follow the event stream while orders come in one at a time;
//! for each order, the time from its POST (its commit lies between the POST and the 201)
//! to each console receiving `order.created`. Measured from the POST, so the figure is an
//! upper bound on commit to delivery.
//!
//! `cargo bench --bench events`; `BENCH_RUNS` and `BENCH_SCALE` make it shorter.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use backroom::client::Client;
use common::TestServer;
use serde_json::json;
use support::{Goal, Samples, Table, quantile_ms, runs, scaled};
use tokio::sync::Mutex;

/// Consoles following the stream, as the issue sets them.
const FOLLOWERS: usize = 100;
/// Between orders, so each is delivered before the next: the figure is latency, not backlog.
const ORDER_GAP: Duration = Duration::from_millis(20);

#[tokio::main]
async fn main() {
    let orders = scaled(100);
    let server = TestServer::start().await;
    let shop = server.token("integration").await;
    let ops = server.token("ops").await;
    let db = rusqlite::Connection::open(server.store.path()).expect("database");
    // Enough stock that every order reserves, as a shop's would.
    db.execute("UPDATE stock_balances SET on_hand = on_hand + 1000000", [])
        .expect("stock");
    let (sku, price): (String, i64) = db
        .query_row(
            "SELECT sku, price_minor FROM products WHERE active = 1 ORDER BY sku LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a product");

    let mut p50 = Samples::default();
    let mut p99 = Samples::default();
    let mut worst = Samples::default();
    for run in 0..runs() {
        // When each order was posted, by its number; each follower notes when it got it.
        let posted: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
        let mut followers = Vec::new();
        for _ in 0..FOLLOWERS {
            let client = Client::new(&server.base).expect("client").with_token(&ops);
            let mut feed = client.follow_events(None).await.expect("event stream");
            followers.push(tokio::spawn(async move {
                let mut got = Vec::new();
                while got.len() < orders {
                    let Some(event) = feed.next().await else {
                        break;
                    };
                    if event.kind == "order.created" {
                        let number = event.payload["number"]
                            .as_str()
                            .unwrap_or_default()
                            .to_string();
                        got.push((number, Instant::now()));
                    }
                }
                got
            }));
        }
        for i in 0..orders {
            let started = Instant::now();
            let res = server
                .http
                .post(server.url("/api/v1/orders"))
                .bearer_auth(&shop)
                .header("idempotency-key", format!("fanout-{run}-{i}"))
                .json(&json!({
                    "channel": "web",
                    "channel_order_no": format!("FANOUT-{run}-{i}"),
                    "customer": { "name": "Lena Weber", "email": "lena@example.com", "phone": null },
                    "ship_to": { "name": "Lena Weber", "line1": "Invalidenstraße 12", "line2": null, "city": "Berlin",
                                 "postal_code": "10115", "region": null, "country": "DE" },
                    "payment_method": "card",
                    "currency": "EUR",
                    "lines": [{ "sku": sku, "qty": 1, "unit_price_minor": price }]
                }))
                .send()
                .await
                .expect("post");
            let body: serde_json::Value = res.json().await.expect("order body");
            let number = body["order"]["number"]
                .as_str()
                .expect("order number")
                .to_string();
            posted.lock().await.push((number, started));
            tokio::time::sleep(ORDER_GAP).await;
        }
        let posted = posted.lock().await.clone();
        let mut latencies = Vec::new();
        for follower in followers {
            let got = tokio::time::timeout(Duration::from_secs(30), follower)
                .await
                .expect("every follower gets every order")
                .expect("follower");
            assert_eq!(got.len(), orders, "a follower missed orders");
            for (number, at) in got {
                let (_, sent) = posted
                    .iter()
                    .find(|(n, _)| *n == number)
                    .expect("an order this run posted");
                latencies.push(at.duration_since(*sent));
            }
        }
        p50.push(quantile_ms(&mut latencies, 0.5));
        p99.push(quantile_ms(&mut latencies, 0.99));
        worst.push(quantile_ms(&mut latencies, 1.0));
    }

    let mut table = Table::new(&format!(
        "Event fan-out: {FOLLOWERS} followers, {orders} orders per run, one every {} ms",
        ORDER_GAP.as_millis()
    ));
    table.add("POST to delivery p50", "ms", p50, None, Goal::None, "—");
    table.add(
        "POST to delivery p99",
        "ms",
        p99,
        None,
        Goal::AtMost(50.0),
        "≤ 50 ms",
    );
    table.add(
        "POST to delivery, slowest",
        "ms",
        worst,
        None,
        Goal::None,
        "—",
    );
    table.print();
}
