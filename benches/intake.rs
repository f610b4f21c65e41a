//! Order intake and the order list under load, each beside its limits measured in the same
//! run on the same disk: a single-row durable commit (what one order per commit can reach
//! at best) and an axum echo endpoint under the same load (what HTTP alone costs).
//!
//! `cargo bench --bench intake`; `BENCH_RUNS` and `BENCH_SCALE` make it shorter.

// The tests' server: real HTTP on 127.0.0.1:0 over a seeded SQLite file.
#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Json;
use axum::routing::{get, post};
use common::TestServer;
use serde_json::{Value, json};
use support::{Goal, Samples, Table, quantile_ms, runs, scaled};

/// Concurrent HTTP clients, as the issue sets them (32–64).
const CLIENTS: usize = 48;

/// A server on 127.0.0.1:0 that stops when `stop` is dropped.
struct Running {
    base: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn listen(router: axum::Router) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Running { base, _stop: stop }
}

/// `total` requests from `CLIENTS` clients at once: requests per second and each latency.
async fn load<F>(total: usize, request: F) -> (f64, Vec<Duration>)
where
    F: Fn(&reqwest::Client, usize) -> reqwest::RequestBuilder + Send + Sync + 'static,
{
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let request = Arc::new(request);
    let started = Instant::now();
    let workers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, next, request) = (http.clone(), next.clone(), request.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return latencies;
                    }
                    let t = Instant::now();
                    let res = request(&http, i).send().await.expect("request");
                    let status = res.status();
                    let body = res.bytes().await.expect("body");
                    assert!(
                        status.is_success(),
                        "{status}: {}",
                        String::from_utf8_lossy(&body)
                    );
                    latencies.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(total);
    for w in workers {
        latencies.extend(w.await.unwrap());
    }
    (total as f64 / started.elapsed().as_secs_f64(), latencies)
}

/// Single-row `INSERT`s, each its own durable commit, on the disk under `dir`.
fn durable_commits(dir: &std::path::Path, n: usize) -> f64 {
    let path = dir.join(format!("raw-{}.db", rand::random::<u32>()));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    let mut insert = conn.prepare("INSERT INTO t (body) VALUES (?1)").unwrap();
    let started = Instant::now();
    for i in 0..n {
        insert.execute([format!("order {i}")]).unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn order_body(run: usize, i: usize, lines: &[(String, i64)]) -> Value {
    json!({
        "channel": "web",
        "channel_order_no": format!("BENCH-{run}-{i}"),
        "customer": { "name": "Lena Weber", "email": format!("lena.{i}@example.com"), "phone": "+49 151 1234567" },
        "ship_to": { "name": "Lena Weber", "line1": "Invalidenstraße 12", "line2": null, "city": "Berlin",
                     "postal_code": "10115", "region": null, "country": "DE" },
        "payment_method": "card",
        "currency": "EUR",
        "lines": lines.iter().map(|(sku, price)| json!({ "sku": sku, "qty": 1, "unit_price_minor": price })).collect::<Vec<_>>()
    })
}

#[tokio::main]
async fn main() {
    let orders = scaled(4_000);
    let reads = scaled(4_000);
    let commits = scaled(1_000);
    let echo = listen(
        axum::Router::new()
            .route("/echo", post(|Json(v): Json<Value>| async move { Json(v) }))
            .route(
                "/echo",
                get(|| async { Json(json!({ "items": [], "next": null })) }),
            ),
    )
    .await;
    let server = TestServer::start().await;
    let db = rusqlite::Connection::open(server.store.path()).unwrap();
    // Enough stock that every order reserves: the figure is intake, not back orders.
    db.execute("UPDATE stock_balances SET on_hand = on_hand + 10000000", [])
        .unwrap();
    let lines: Vec<(String, i64)> = db
        .prepare("SELECT sku, price_minor FROM products WHERE active = 1 ORDER BY sku LIMIT 3")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let shop = server.token("integration").await;
    let ops = server.token("ops").await;

    let (mut intake, mut p50, mut p99) =
        (Samples::default(), Samples::default(), Samples::default());
    let (mut raw, mut echo_post) = (Samples::default(), Samples::default());
    let (mut list, mut echo_get) = (Samples::default(), Samples::default());
    for run in 0..runs() {
        // Beside the server's database: the same disk.
        let dir_path = server.store.path().parent().unwrap().to_path_buf();
        raw.push(
            tokio::task::spawn_blocking(move || durable_commits(&dir_path, commits))
                .await
                .unwrap(),
        );
        let body = order_body(run, 0, &lines);
        let url = format!("{}/echo", echo.base);
        let (rate, _) = load(orders, move |http, _| http.post(&url).json(&body)).await;
        echo_post.push(rate);

        let (url, shop, lines) = (
            format!("{}/api/v1/orders", server.base),
            shop.clone(),
            lines.clone(),
        );
        let (rate, mut latencies) = load(orders, move |http, i| {
            http.post(&url)
                .bearer_auth(&shop)
                .header("idempotency-key", format!("bench-{run}-{i}"))
                .json(&order_body(run, i, &lines))
        })
        .await;
        intake.push(rate);
        p50.push(quantile_ms(&mut latencies, 0.5));
        p99.push(quantile_ms(&mut latencies, 0.99));

        let url = format!("{}/echo", echo.base);
        let (rate, _) = load(reads, move |http, _| http.get(&url)).await;
        echo_get.push(rate);
        let (url, ops) = (
            format!("{}/api/v1/orders?limit=50", server.base),
            ops.clone(),
        );
        let (rate, _) = load(reads, move |http, _| http.get(&url).bearer_auth(&ops)).await;
        list.push(rate);
    }

    let mut table = Table::new(&format!(
        "Order intake and order list: {CLIENTS} clients, {orders} orders and {reads} reads per run"
    ));
    table.add(
        "order intake",
        "orders/s",
        intake.clone(),
        Some(("durable single-row commits/s", raw.clone())),
        Goal::RatioAtLeast(1.0),
        "≥ 1× durable commits",
    );
    table.add(
        "order intake",
        "orders/s",
        intake.clone(),
        Some(("axum echo POST req/s", echo_post)),
        Goal::AtLeast(5_000.0),
        "≥ 5,000 orders/s",
    );
    table.add("intake p50", "ms", p50, None, Goal::None, "—");
    table.add("intake p99", "ms", p99, None, Goal::AtMost(25.0), "≤ 25 ms");
    table.add(
        "GET /api/v1/orders?limit=50",
        "req/s",
        list,
        Some(("axum echo GET req/s", echo_get)),
        Goal::RatioAtLeast(0.3),
        "≥ 0.3× echo",
    );
    table.print();
}
