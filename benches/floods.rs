//! Floods from outside, against the real binary:
//! - memory: 10,000 failed sign-ins with random names from 100 loopback addresses
//!   (127.0.0.2–127.0.0.101), the server's RSS before and after (goal: within 50 MB);
//! - `/healthz` on a fresh connection while 2,000 idle connections are held against a
//!   server under `prlimit --nofile=1024`, beside the same figure with no flood.
//!
//! `cargo bench --bench floods`; `BENCH_RUNS` and `BENCH_SCALE` make it shorter.

#[path = "../tests/real_server/mod.rs"]
mod real_server;
mod support;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use real_server::{RealServer, raise_open_file_limit};
use serde_json::json;
use support::{Goal, Samples, Table, quantile_ms, runs, scaled};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

const BINARY: &str = env!("CARGO_BIN_EXE_backroom");
const MB: f64 = 1024.0 * 1024.0;

#[tokio::main]
async fn main() {
    raise_open_file_limit();
    let mut table = Table::new("Floods: sign-in memory and health under idle connections");
    let (mut growth, mut before_mb, mut after_mb) =
        (Samples::default(), Samples::default(), Samples::default());
    let (mut quiet_p50, mut flood_p50, mut quiet_p99, mut flood_p99) = (
        Samples::default(),
        Samples::default(),
        Samples::default(),
        Samples::default(),
    );
    for run in 0..runs() {
        let (before, after, answers) = sign_in_flood(scaled(10_000)).await;
        growth.push((after as f64 - before as f64) / MB);
        before_mb.push(before as f64 / MB);
        after_mb.push(after as f64 / MB);
        eprintln!(
            "run {run}: RSS {:.1} MB → {:.1} MB; answers {answers:?}",
            before as f64 / MB,
            after as f64 / MB
        );

        let Some((mut quiet, mut flooded)) = health_under_idle_flood(scaled(2_000)).await else {
            eprintln!("skipped the idle flood: prlimit (util-linux) is not installed");
            continue;
        };
        quiet_p50.push(quantile_ms(&mut quiet, 0.5));
        quiet_p99.push(quantile_ms(&mut quiet, 0.99));
        flood_p50.push(quantile_ms(&mut flooded, 0.5));
        flood_p99.push(quantile_ms(&mut flooded, 0.99));
    }
    table.add(
        "RSS growth after 10,000 failed sign-ins",
        "MB",
        growth,
        Some(("RSS at start", before_mb)),
        Goal::AtMost(50.0),
        "≤ 50 MB",
    );
    table.add("RSS after", "MB", after_mb, None, Goal::None, "—");
    table.add(
        "/healthz p50 under 2,000 idle connections",
        "ms",
        flood_p50,
        Some(("no flood", quiet_p50)),
        Goal::None,
        "answers",
    );
    table.add(
        "/healthz p99 under 2,000 idle connections",
        "ms",
        flood_p99,
        Some(("no flood", quiet_p99)),
        Goal::None,
        "answers",
    );
    table.print();
}

/// RSS before and after `count` failed sign-ins, and how they were answered.
async fn sign_in_flood(count: usize) -> (u64, u64, BTreeMap<u16, usize>) {
    let server = RealServer::start(BINARY, None).expect("server");
    // Let start-up settle (the first sign-in's decoy hash, the readers) before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = server.rss_bytes();
    let clients: Vec<reqwest::Client> = (2..=101u8)
        .map(|last| {
            reqwest::Client::builder()
                .local_address(IpAddr::from([127, 0, 0, last]))
                .build()
                .expect("client")
        })
        .collect();
    let in_flight = Arc::new(Semaphore::new(64));
    let mut asked = Vec::with_capacity(count);
    for n in 0..count {
        let http = clients[n % clients.len()].clone();
        let url = format!("{}/api/v1/auth/login", server.base);
        let permit = in_flight.clone().acquire_owned().await.expect("permit");
        asked.push(tokio::spawn(async move {
            let name = format!("nobody-{:016x}", rand::random::<u64>());
            let status = http
                .post(url)
                .json(&json!({ "username": name, "password": "not the password" }))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            drop(permit);
            status
        }));
    }
    let mut answers = BTreeMap::new();
    for a in asked {
        *answers.entry(a.await.unwrap_or(0)).or_default() += 1;
    }
    // Password-check memory goes back once the checks stop.
    tokio::time::sleep(Duration::from_secs(4)).await;
    (before, server.rss_bytes(), answers)
}

/// `/healthz` latencies on fresh connections, without and then with `idle` idle
/// connections held, against a server limited to 1,024 open files.
async fn health_under_idle_flood(idle: usize) -> Option<(Vec<Duration>, Vec<Duration>)> {
    let server = RealServer::start(BINARY, Some(1024))?;
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let health = |fresh: reqwest::Client, base: String| async move {
        let mut took = Vec::new();
        for _ in 0..100 {
            let start = Instant::now();
            let res = fresh
                .get(format!("{base}/healthz"))
                .timeout(Duration::from_secs(30))
                .send()
                .await;
            match res {
                Ok(r) if r.status() == 200 => took.push(start.elapsed()),
                Ok(r) => panic!("/healthz answered {}", r.status()),
                Err(e) => panic!("/healthz did not answer: {e}"),
            }
        }
        took
    };
    let quiet = health(fresh.clone(), server.base.clone()).await;
    let mut held = Vec::with_capacity(idle);
    for _ in 0..idle {
        if let Ok(stream) = TcpStream::connect(server.addr).await {
            held.push(stream);
        }
    }
    let flooded = health(fresh, server.base.clone()).await;
    drop(held);
    Some((quiet, flooded))
}
