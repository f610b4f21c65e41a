//! Order intake under stress and faults: many shoppers racing for the last units of one
//! product must never be promised more than the shelf holds, and a server killed in the
//! middle of a rush must neither lose an order it confirmed nor book one twice.
//!
//! Nothing here is timed: the figures are counts, and every wait has a generous bound only
//! so that a hang fails the test instead of stalling the run.

mod common;
mod stock_support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::TestServer;
use serde_json::{Value, json};
use stock_support::{assert_ledger_holds, balance, price_and_safety, single_bin_product};

/// Units of the contested product on the shelf when the rush starts.
const LAST_UNITS: i64 = 100;
const SHOPPERS: usize = 64;
/// Far above what a shopper can need (at most 100 reserved orders plus three parked ones
/// in all): reaching it means the shelf never ran dry, which is a bug, not a slow machine.
const MOST_ORDERS_PER_SHOPPER: usize = 200;

const RUSH_ORDERS: usize = 2_000;
const RUSH_CLIENTS: usize = 32;
/// Confirmed orders before the power is cut: enough that many are at stake, few enough
/// that most of the rush is still in flight or unsent.
const KILL_AFTER_ANSWERS: usize = 300;

/// A shopper's wishes, repeatable run after run: a linear congruential generator (Knuth's
/// MMIX constants) seeded per shopper, so a failure can be replayed with the same baskets.
struct Wishes(u64);

impl Wishes {
    fn for_shopper(shopper: usize) -> Wishes {
        Wishes(0x9E37_79B9_7F4A_7C15 ^ (shopper as u64 + 1))
    }

    /// 1, 2 or 3 units.
    fn next_qty(&mut self) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        // The high bits: the low bits of an LCG cycle with a short period.
        ((self.0 >> 33) % 3) as i64 + 1
    }
}

fn order_body(channel_no: &str, email: &str, lines: &[(&str, i64, i64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, qty, price)| json!({ "sku": sku, "qty": qty, "unit_price_minor": price }))
        .collect();
    json!({
        "channel": "web",
        "channel_order_no": channel_no,
        "customer": { "name": "Jonas Berg", "email": email, "phone": null },
        "ship_to": { "name": "Jonas Berg", "line1": "Torstraße 45", "line2": null, "city": "Berlin",
                     "postal_code": "10119", "region": null, "country": "DE" },
        "payment_method": "card",
        "currency": "EUR",
        "lines": lines
    })
}

/// Units a storefront's answer promises: what is not back-ordered, unless the order was
/// held with nothing reserved (the storefront does not see bins, so not `pick_from`).
fn units_promised(answer: &Value) -> i64 {
    if answer["order"]["status"] == "hold" {
        return 0;
    }
    answer["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["qty"].as_i64().expect("qty") - l["backordered"].as_i64().expect("backordered"))
        .sum()
}

/// Units the order holds in bins, summed over its lines, as the server reports them to
/// someone who may read locations.
fn units_reserved(order: &Value) -> i64 {
    order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .flat_map(|l| l["pick_from"].as_array().expect("pick_from").iter())
        .map(|p| p["qty"].as_i64().expect("pick qty"))
        .sum()
}

async fn get_json(http: &reqwest::Client, base: &str, token: &str, path: &str) -> Value {
    let res = http
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET request");
    let status = res.status();
    let body: Value = res.json().await.expect("GET body");
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Every item of a paged list, following `next_cursor`.
async fn all_pages(http: &reqwest::Client, base: &str, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut url = format!("{path}&limit=500");
        if let Some(c) = &cursor {
            url.push_str(&format!("&cursor={}", c.replace('|', "%7C")));
        }
        let page = get_json(http, base, token, &url).await;
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

async fn login(http: &reqwest::Client, base: &str, role: &str) -> String {
    let res = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": role, "password": format!("backroom-{role}") }))
        .send()
        .await
        .expect("login request");
    assert_eq!(res.status(), 200, "login as {role}");
    let body: Value = res.json().await.expect("login body");
    body["token"].as_str().expect("token").to_string()
}

async fn adjust(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    key: &str,
    body: Value,
) -> (u16, Value) {
    let res = http
        .post(format!("{base}/api/v1/stock/adjustments"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .expect("adjustment request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The product's on-hand units per location, summed from its ledger as the API lists it.
async fn ledger_on_hand(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    sku: &str,
) -> BTreeMap<String, i64> {
    let mut on_hand = BTreeMap::new();
    for m in all_pages(
        http,
        base,
        token,
        &format!("/api/v1/stock/movements?product={sku}"),
    )
    .await
    {
        let qty = m["qty"].as_i64().expect("movement qty");
        if let Some(to) = m["to"].as_str() {
            *on_hand.entry(to.to_string()).or_insert(0) += qty;
        }
        if let Some(from) = m["from"].as_str() {
            *on_hand.entry(from.to_string()).or_insert(0) -= qty;
        }
    }
    on_hand
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_shoppers_racing_for_the_last_hundred_units_are_promised_exactly_a_hundred() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let shop = s.token("integration").await;

    // One bin holds all of the product, so "available" has one place to be counted in.
    let (sku, bin) = single_bin_product(&s, 0, &[]);
    let (price, _) = price_and_safety(&s, &sku);
    let (on_hand, reserved) = balance(&s, &sku, &bin);
    // Through the ledger, like a person on the floor would, so the ledger must still hold.
    let correction = LAST_UNITS - (on_hand - reserved);
    if correction != 0 {
        let (status, body) = adjust(
            &s.http,
            &s.base,
            &ops,
            "stress-last-hundred",
            json!({ "product": sku, "location": bin, "delta": correction, "reason": "correction",
                    "note": "stress test: exactly a hundred on the shelf" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let before = get_json(&s.http, &s.base, &ops, &format!("/api/v1/products/{sku}")).await;
    let shelf = before["stock"].as_array().expect("stock");
    assert_eq!(shelf.len(), 1, "one bin only: {before}");
    assert_eq!(shelf[0]["location"], bin.as_str());
    assert_eq!(shelf[0]["available"], LAST_UNITS, "{before}");
    let on_hand_before = shelf[0]["on_hand"].as_i64().expect("on_hand");
    let reserved_before = shelf[0]["reserved"].as_i64().expect("reserved");

    let mut shoppers = Vec::new();
    for shopper in 0..SHOPPERS {
        let base = s.base.clone();
        let token = shop.clone();
        let sku = sku.clone();
        shoppers.push(tokio::spawn(async move {
            // A client of its own: 64 connections, like 64 storefront workers.
            let http = reqwest::Client::new();
            let mut wishes = Wishes::for_shopper(shopper);
            // Told there are not `n` left, a shopper asks for fewer; told there is not even
            // one, it stops. Stock only goes down here, so that last answer is final.
            let mut most = 3;
            let mut orders = Vec::new();
            while most > 0 {
                assert!(
                    orders.len() < MOST_ORDERS_PER_SHOPPER,
                    "shopper {shopper} was never turned away: the shelf never ran dry"
                );
                let qty = wishes.next_qty().min(most);
                let label = format!("RUSH-{shopper:02}-{:03}", orders.len());
                let res = http
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .header("idempotency-key", format!("key-{label}"))
                    .json(&order_body(
                        &label,
                        &format!("shopper.{shopper}@example.com"),
                        &[(&sku, qty, price)],
                    ))
                    .send()
                    .await
                    .expect("order request");
                let status = res.status();
                let placed: Value = res.json().await.expect("order body");
                assert_eq!(status, 201, "{label}: {placed}");
                let got = units_promised(&placed);
                if got == qty {
                    assert_eq!(placed["lines"][0]["backordered"], 0, "{placed}");
                } else {
                    // The hold policy: all or nothing, and nothing goes to the pickers.
                    assert_eq!(got, 0, "{label} was partly reserved: {placed}");
                    // The storefront is told its order waits, not why.
                    assert_eq!(placed["order"]["status"], "hold", "{placed}");
                    most = qty - 1;
                }
                let number = placed["order"]["number"]
                    .as_str()
                    .expect("number")
                    .to_string();
                orders.push((number, qty, got));
            }
            orders
        }));
    }
    let mut orders = Vec::new();
    for shopper in shoppers {
        orders.extend(shopper.await.expect("a shopper failed"));
    }

    let promised: i64 = orders.iter().map(|(_, _, got)| got).sum();
    assert_eq!(promised, LAST_UNITS, "units promised in the answers");
    let parked = orders.iter().filter(|(_, _, got)| *got == 0).count();
    assert!(
        parked >= SHOPPERS,
        "every shopper was turned away at least once"
    );

    // The answers could be flattering; the orders as stored must say the same.
    let mut stored = 0;
    for (number, qty, got) in &orders {
        let order = get_json(&s.http, &s.base, &ops, &format!("/api/v1/orders/{number}")).await;
        let held = units_reserved(&order);
        assert_eq!(held, *got, "{number} ordered {qty}: {order}");
        if *got == 0 {
            assert_eq!(order["order"]["status"], "hold", "{order}");
        }
        stored += held;
    }
    assert_eq!(stored, LAST_UNITS, "units reserved by the stored orders");

    let after = get_json(&s.http, &s.base, &ops, &format!("/api/v1/products/{sku}")).await;
    let shelf = after["stock"].as_array().expect("stock");
    assert_eq!(shelf.len(), 1, "{after}");
    assert_eq!(shelf[0]["available"], 0, "the shelf is sold out: {after}");
    assert_eq!(
        shelf[0]["reserved"].as_i64().expect("reserved") - reserved_before,
        LAST_UNITS,
        "{after}"
    );
    assert_eq!(
        shelf[0]["on_hand"], on_hand_before,
        "reserving moves no units: {after}"
    );
    assert_eq!(after["product"]["available"], 0, "{after}");

    // The ledger, read through the API, still adds up to what the shelf holds.
    let from_ledger = ledger_on_hand(&s.http, &s.base, &ops, &sku).await;
    assert_eq!(
        from_ledger.get(&bin),
        Some(&on_hand_before),
        "{from_ledger:?}"
    );
    for (location, units) in &from_ledger {
        if location != &bin {
            assert_eq!(*units, 0, "{location} holds none of {sku} by the ledger");
        }
    }
    assert_ledger_holds(&s);
}

/// A `backroom serve` child process; killed and reaped when dropped, so a failing test
/// leaves no server behind.
struct ServerProcess {
    child: Child,
    base: String,
    log: PathBuf,
}

impl ServerProcess {
    /// Serves `db` on a free port of 127.0.0.1 and waits until it says where it listens.
    fn start(db: &Path, log: &Path) -> ServerProcess {
        let log_file = std::fs::File::create(log).expect("server log file");
        let mut child = Command::new(env!("CARGO_BIN_EXE_backroom"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .env_remove("BACKROOM_DB")
            .env_remove("BACKROOM_LISTEN")
            .env_remove("BACKROOM_RULES")
            .env_remove("BACKROOM_CARRIER_SECRETS")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("start backroom serve");
        let out = child.stdout.take().expect("server stdout");
        let (said, heard) = std::sync::mpsc::channel();
        // Reads to the end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = said.send(line);
            }
        });
        let mut server = ServerProcess {
            child,
            base: String::new(),
            log: log.to_path_buf(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match heard.recv_timeout(left) {
                Ok(line) if line.starts_with("backroom serving") => {
                    server.base = line
                        .rsplit(' ')
                        .next()
                        .expect("address on the line")
                        .to_string();
                    assert!(server.base.starts_with("http://127.0.0.1:"), "{line}");
                    return server;
                }
                Ok(_) => {}
                Err(_) => panic!(
                    "the server never said where it listens; its log:\n{}",
                    server.log_text()
                ),
            }
        }
    }

    /// SIGKILL: no shutdown, no flush, nothing but what SQLite already committed.
    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
        self.child.wait().expect("reap the server");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What became of one POST of the rush before the server died.
#[derive(Debug, Clone, Default)]
struct Answer {
    status: Option<u16>,
    /// The whole answer, when it arrived in full.
    body: Option<Value>,
}

/// Posts `bodies` (order `i` under key `keys[i]`) from `clients` tasks sharing one queue.
/// A task stops at its first failed request: after the kill, the server is gone.
async fn post_all(
    base: &str,
    token: &str,
    keys: &Arc<Vec<String>>,
    bodies: &Arc<Vec<Value>>,
    clients: usize,
    answered: &Arc<AtomicUsize>,
) -> Vec<Answer> {
    let next = Arc::new(AtomicUsize::new(0));
    let answers = Arc::new(Mutex::new(vec![Answer::default(); bodies.len()]));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (base, token) = (base.to_string(), token.to_string());
        let (keys, bodies) = (keys.clone(), bodies.clone());
        let (next, answers, answered) = (next.clone(), answers.clone(), answered.clone());
        tasks.push(tokio::spawn(async move {
            // Generous: a bound against a hang, not a speed requirement.
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .expect("http client");
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= bodies.len() {
                    return;
                }
                let sent = http
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .header("idempotency-key", &keys[i])
                    .json(&bodies[i])
                    .send()
                    .await;
                let Ok(res) = sent else { return };
                let status = res.status().as_u16();
                lock(&answers)[i].status = Some(status);
                let body = res.json::<Value>().await.ok();
                let whole = body.is_some();
                lock(&answers)[i].body = body;
                if (200..300).contains(&status) {
                    answered.fetch_add(1, Ordering::SeqCst);
                }
                if !whole {
                    return;
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("a rush client failed");
    }
    lock(&answers).clone()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Our rush orders as stored: channel order number → order ids under it.
fn stored_rush_orders(db: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let mut stmt = conn
        .prepare("SELECT channel_order_no, id FROM orders WHERE channel_order_no LIKE 'CRASH-%'")
        .expect("query");
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("rows");
    let mut orders: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows {
        let (no, id) = row.expect("row");
        orders.entry(no).or_default().push(id);
    }
    orders
}

fn order_count(db: &Path) -> i64 {
    backroom::store::Store::open_existing(db)
        .expect("open the database")
        .order_count()
        .expect("order count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_rush_loses_no_confirmed_order_and_books_none_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shop.db");
    {
        let store = backroom::store::Store::open(&db).expect("create the database");
        store
            .seed_sample_data(jiff::Timestamp::now())
            .expect("seed the sample shop");
    }
    let mut server = ServerProcess::start(&db, &dir.path().join("serve-1.log"));
    let http = reqwest::Client::new();
    let ops = login(&http, &server.base, "ops").await;
    let shop = login(&http, &server.base, "integration").await;

    // Three products with stock to spare, so that every order is reserved the same way
    // and only the crash can make a difference.
    let bins = get_json(
        &http,
        &server.base,
        &ops,
        "/api/v1/locations?kind=bin&limit=1",
    )
    .await;
    let bin = bins["items"][0]["code"]
        .as_str()
        .expect("a bin")
        .to_string();
    let products = get_json(&http, &server.base, &ops, "/api/v1/products?limit=3").await;
    let mut lines: Vec<(String, i64)> = Vec::new();
    for p in products["items"].as_array().expect("products") {
        let sku = p["sku"].as_str().expect("sku").to_string();
        let (status, body) = adjust(
            &http,
            &server.base,
            &ops,
            &format!("stress-plenty-{sku}"),
            json!({ "product": sku, "location": bin, "delta": 10 * RUSH_ORDERS, "reason": "found",
                    "note": "stress test: plenty for the rush" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        lines.push((sku, p["price"]["amount_minor"].as_i64().expect("price")));
    }
    assert_eq!(lines.len(), 3, "{products}");

    let keys: Arc<Vec<String>> =
        Arc::new((0..RUSH_ORDERS).map(|i| format!("CRASH-{i:04}")).collect());
    let bodies: Arc<Vec<Value>> = Arc::new(
        keys.iter()
            .enumerate()
            .map(|(i, key)| {
                let lines: Vec<(&str, i64, i64)> = lines
                    .iter()
                    .enumerate()
                    .map(|(n, (sku, price))| (sku.as_str(), (i + n) as i64 % 3 + 1, *price))
                    .collect();
                order_body(key, &format!("customer.{}@example.com", i % 97), &lines)
            })
            .collect(),
    );

    let answered = Arc::new(AtomicUsize::new(0));
    let rush = {
        let (base, shop) = (server.base.clone(), shop.clone());
        let (keys, bodies, answered) = (keys.clone(), bodies.clone(), answered.clone());
        tokio::spawn(async move {
            post_all(&base, &shop, &keys, &bodies, RUSH_CLIENTS, &answered).await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(300);
    while answered.load(Ordering::SeqCst) < KILL_AFTER_ANSWERS {
        assert!(
            !rush.is_finished(),
            "the rush ended before {KILL_AFTER_ANSWERS} answers; server log:\n{}",
            server.log_text()
        );
        assert!(Instant::now() < deadline, "the rush stalled");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    let answers = rush.await.expect("the rush");

    // Before the kill, the server refused nothing: every answer that came was a 201.
    for (i, a) in answers.iter().enumerate() {
        if let Some(status) = a.status {
            assert_eq!(status, 201, "{}: {:?}", keys[i], a.body);
        }
    }
    let confirmed: BTreeMap<usize, Option<&Value>> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.status.is_some_and(|s| (200..300).contains(&s)))
        .map(|(i, a)| (i, a.body.as_ref()))
        .collect();
    assert!(
        confirmed.len() >= KILL_AFTER_ANSWERS,
        "{} confirmed",
        confirmed.len()
    );
    assert!(
        confirmed.len() < RUSH_ORDERS,
        "the kill came after the whole rush: nothing was at stake"
    );

    let mut server = ServerProcess::start(&db, &dir.path().join("serve-2.log"));
    let ops = login(&http, &server.base, "ops").await;
    let shop = login(&http, &server.base, "integration").await;

    // Every confirmed order survived the kill, once, as the order it was confirmed as.
    let survived = stored_rush_orders(&db);
    for (&i, body) in &confirmed {
        let ids = survived.get(&keys[i]).map(Vec::as_slice).unwrap_or(&[]);
        assert_eq!(ids.len(), 1, "{} was confirmed; stored as {ids:?}", keys[i]);
        if let Some(body) = body {
            assert_eq!(body["order"]["id"], ids[0].as_str(), "{}", keys[i]);
            let id = ids[0].as_str();
            let mut stored =
                get_json(&http, &server.base, &ops, &format!("/api/v1/orders/{id}")).await;
            assert_eq!(stored["order"]["number"], body["order"]["number"]);
            // The storefront is told what became of each line, not bins or prices; ops
            // reads those.
            for line in stored["lines"].as_array_mut().expect("lines") {
                let fields = line.as_object_mut().expect("line");
                fields
                    .retain(|k, _| ["line_no", "sku", "qty", "backordered"].contains(&k.as_str()));
            }
            assert_eq!(stored["lines"], body["lines"], "{}", keys[i]);
        }
    }
    for (no, ids) in &survived {
        assert_eq!(ids.len(), 1, "{no} stored twice: {ids:?}");
    }
    let committed_before = survived.len();
    assert!(committed_before >= confirmed.len());
    let count_before = order_count(&db);

    // The shop, never sure what arrived, sends the whole rush again with the same keys.
    let again = post_all(
        &server.base,
        &shop,
        &keys,
        &bodies,
        RUSH_CLIENTS,
        &Arc::new(AtomicUsize::new(0)),
    )
    .await;
    let mut ids_by_key: HashMap<&str, String> = HashMap::new();
    for (i, a) in again.iter().enumerate() {
        let key = keys[i].as_str();
        let body = a
            .body
            .as_ref()
            .unwrap_or_else(|| panic!("{key} unanswered after the restart: {a:?}"));
        // 201, never "delivered before": a key committed without its order, or an order
        // without its key, would show up here as a duplicate.
        assert_eq!(a.status, Some(201), "{key}: {body}");
        assert_eq!(body["duplicate"], false, "{key}: {body}");
        let id = body["order"]["id"].as_str().expect("order id").to_string();
        if let Some(Some(first)) = confirmed.get(&i) {
            assert_eq!(body, *first, "{key} is answered as it was the first time");
        }
        if let Some(ids) = survived.get(key) {
            assert_eq!(ids[0], id, "{key} was stored before the retry");
        }
        ids_by_key.insert(key, id);
    }

    let stored = stored_rush_orders(&db);
    assert_eq!(stored.len(), RUSH_ORDERS, "every key has its order");
    for (no, ids) in &stored {
        assert_eq!(ids.len(), 1, "{no} stored twice: {ids:?}");
        assert_eq!(Some(&ids[0]), ids_by_key.get(no.as_str()), "{no}");
    }
    let distinct: BTreeSet<&String> = ids_by_key.values().collect();
    assert_eq!(distinct.len(), RUSH_ORDERS, "one order per key");
    assert_eq!(
        order_count(&db),
        count_before + (RUSH_ORDERS - committed_before) as i64,
        "only the orders that never committed were added"
    );
    let gaps = backroom::store::Store::open_existing(&db)
        .expect("open the database")
        .ledger_gaps()
        .expect("ledger gaps");
    assert!(gaps.is_empty(), "balances off their movements: {gaps:?}");
    eprintln!(
        "rush: {} confirmed before the kill, {} stored by then, {} added by the retry",
        confirmed.len(),
        committed_before,
        RUSH_ORDERS - committed_before
    );
    server.kill();
}
