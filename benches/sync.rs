//! Sync: 10,000 scans queued offline are drained to a local server by the console's own
//! sync worker, from its own outbox; the time until the outbox is empty, and how many the
//! server counted (it must be exactly all of them).
//!
//! `cargo bench --bench sync`; `BENCH_RUNS` and `BENCH_SCALE` make it shorter.

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::sync::Arc;
use std::time::Instant;

use backroom::client::{Change, Client, CountChange, LocalCache, Mutation, SyncEvent, run_sync};
use common::TestServer;
use serde_json::{Value, json};
use support::{Goal, Samples, Table, runs, scaled};

const SKU: &str = "KIT-1001";

async fn counted(s: &TestServer, token: &str, stocktake: &str, bin: &str) -> i64 {
    let (_, st): (u16, Value) = s
        .get(token, &format!("/api/v1/stocktakes/{stocktake}"))
        .await;
    st["lines"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter(|l| l["location"] == bin && l["sku"] == SKU)
                .map(|l| l["counted"].as_i64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let scans = scaled(10_000);
    let mut seconds = Samples::default();
    let mut per_second = Samples::default();
    let mut applied = Samples::default();
    for run in 0..runs() {
        // A fresh server each run: one bin, counted from nothing.
        let server = TestServer::start().await;
        let warehouse = server.token("warehouse").await;
        let (_, st) = server.get(&warehouse, "/api/v1/stocktakes/ST-000001").await;
        let bin = st["locations"][0]["code"]
            .as_str()
            .expect("a bin")
            .to_string();
        let res = server
            .post(
                &warehouse,
                &format!("/api/v1/stocktakes/ST-000001/locations/{bin}/start"),
                Some(&format!("start-{run}")),
                json!({}),
            )
            .await;
        assert_eq!(res.status(), 200, "the bin starts");

        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("cache dir");
        let outbox = Arc::new(
            LocalCache::open(&LocalCache::path_for(dir.path(), &server.base, "warehouse"))
                .expect("local cache"),
        );
        for _ in 0..scans {
            outbox
                .enqueue(&Mutation::new(Change::Count(CountChange::Count {
                    stocktake: "ST-000001".into(),
                    location: bin.clone(),
                    product: SKU.into(),
                    qty: 1,
                    set: false,
                })))
                .expect("queued");
        }

        let client = Client::new(&server.base)
            .expect("client")
            .with_token(&warehouse);
        let (events, mut told) = tokio::sync::mpsc::unbounded_channel();
        let started = Instant::now();
        let worker = tokio::spawn(run_sync(
            client,
            outbox.clone(),
            Arc::new(tokio::sync::Notify::new()),
            events,
        ));
        let mut answered = 0;
        while answered < scans {
            match told.recv().await {
                Some(SyncEvent::Answered { result, .. }) => {
                    result.expect("every scan is taken");
                    answered += 1;
                }
                Some(_) => {}
                None => panic!("the sync worker stopped"),
            }
        }
        let took = started.elapsed().as_secs_f64();
        worker.abort();
        assert_eq!(outbox.counts().expect("counts").pending, 0);
        seconds.push(took);
        per_second.push(scans as f64 / took);
        let counted = counted(&server, &warehouse, "ST-000001", &bin).await;
        assert_eq!(counted, scans as i64, "every scan counted exactly once");
        applied.push(counted as f64);
    }
    let mut table = Table::new(&format!(
        "Sync: {scans} scans queued offline, drained to a local server"
    ));
    table.add(
        "drain time",
        "s",
        seconds,
        None,
        Goal::AtMost(2.0 * scans as f64 / 10_000.0),
        "≤ 2 s for 10,000",
    );
    table.add(
        "scans synced per second",
        "/s",
        per_second,
        None,
        Goal::None,
        "—",
    );
    table.add(
        "scans the server counted",
        "scans",
        applied,
        None,
        Goal::AtLeast(scans as f64),
        "exactly all",
    );
    table.print();
}
