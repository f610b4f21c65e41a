//! Blind stays blind beyond the stock routes: a user counting a bin of the seeded blind
//! count gets no figure from which the bin's on-hand follows from replenishment alerts and
//! their events, from stock totals (whatever their role has become), or from the reports and
//! lines of other counts of the same bin; and gets them all again once the bin is closed.

mod common;
mod stock_support;

use backroom::domain::role::Role;
use backroom::domain::user::hash_password;
use backroom::store::NewUser;
use common::{EventStream, TestServer, items, ok};
use jiff::Timestamp;
use serde_json::{Value, json};
use stock_support::{all_stock, balance, balances, empty_bins, price_and_safety, send, text};

/// The blind count the sample shop comes with.
const SEEDED: &str = "ST-000001";

/// The bins of the seeded count.
async fn seeded_bins(s: &TestServer, token: &str) -> Vec<String> {
    let (status, st) = s.get(token, &format!("/api/v1/stocktakes/{SEEDED}")).await;
    assert_eq!(status, 200, "{st}");
    assert_eq!(st["blind"], true, "{st}");
    st["locations"]
        .as_array()
        .expect("locations")
        .iter()
        .map(|l| text(l, "code"))
        .collect()
}

/// A product held in one location only, one of `bins`, not lot-tracked and with a safety
/// stock of at least 3: (SKU, bin).
fn held_only_in_one_of(s: &TestServer, bins: &[String]) -> (String, String) {
    let stock = all_stock(s);
    stock
        .iter()
        .filter(|r| !r.sku.starts_with("TEA") && bins.contains(&r.location))
        .filter(|r| stock.iter().filter(|o| o.sku == r.sku).count() == 1)
        .find(|r| price_and_safety(s, &r.sku).1 >= 3)
        .map(|r| (r.sku.clone(), r.location.clone()))
        .expect("a product held only in a bin of the seeded count")
}

async fn adjust(s: &TestServer, token: &str, key: &str, sku: &str, bin: &str, delta: i64) {
    let reason = if delta > 0 { "found" } else { "lost" };
    let (status, body) = send(
        s,
        token,
        "/api/v1/stock/adjustments",
        Some(key),
        json!({ "product": sku, "location": bin, "delta": delta, "reason": reason }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Starts counting a location of a stocktake (the route takes no body).
async fn start_counting(s: &TestServer, token: &str, stocktake: &str, code: &str) {
    let res = s
        .http
        .post(s.url(&format!(
            "/api/v1/stocktakes/{stocktake}/locations/{code}/start"
        )))
        .bearer_auth(token)
        .header("idempotency-key", format!("start-{stocktake}-{code}"))
        .send()
        .await
        .expect("start");
    ok(res).await;
}

/// Counts `qty` of `sku` at `code` and closes the location.
async fn count_and_close(
    s: &TestServer,
    token: &str,
    stocktake: &str,
    code: &str,
    sku: &str,
    qty: i64,
) {
    let at = format!("/api/v1/stocktakes/{stocktake}/locations/{code}");
    ok(s.post(
        token,
        &format!("{at}/count"),
        Some(&format!("count-{stocktake}-{code}")),
        json!({ "product": sku, "qty": qty, "set": true }),
    )
    .await)
    .await;
    ok(s.post(
        token,
        &format!("{at}/close"),
        Some(&format!("close-{stocktake}-{code}")),
        json!({}),
    )
    .await)
    .await;
}

/// Free units (on hand less reserved) of a product at a location.
fn free(s: &TestServer, sku: &str, code: &str) -> i64 {
    let (on_hand, reserved) = balance(s, sku, code);
    on_hand - reserved
}

/// The live alert of a product, as `token` reads it in the list and by its number.
async fn live_alert(s: &TestServer, token: &str, sku: &str) -> Value {
    let (status, list) = s.get(token, "/api/v1/replenishment/alerts").await;
    assert_eq!(status, 200, "{list}");
    let listed = items(&list)
        .iter()
        .find(|a| a["sku"] == sku)
        .unwrap_or_else(|| panic!("no alert for {sku} in {list}"))
        .clone();
    let (status, one) = s
        .get(
            token,
            &format!("/api/v1/replenishment/alerts/{}", text(&listed, "number")),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one, listed);
    listed
}

/// The `stock.alert_raised` payloads for `sku` a user hears after `mark`, up to the next
/// stocktake planned.
async fn alerts_heard(s: &TestServer, token: &str, mark: i64, sku: &str) -> Vec<Value> {
    let mut stream = EventStream::open(s, token, mark).await;
    let mut heard = Vec::new();
    while let Some((kind, data)) = stream.next().await {
        if kind == "stocktake.created" {
            return heard;
        }
        if kind == "stock.alert_raised" && data["payload"]["sku"] == sku {
            heard.push(data["payload"].clone());
        }
    }
    panic!("the stream ended before the stocktake planned last: {heard:?}")
}

#[tokio::test]
async fn alerts_and_their_events_give_a_blind_counter_no_figure_for_the_bin_until_closed() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bins = seeded_bins(&s, &warehouse).await;
    let (p, x) = held_only_in_one_of(&s, &bins);
    let (_, safety) = price_and_safety(&s, &p);
    // X keeps one free unit of P; Y, outside the count, enough to stay above safety stock.
    let to_one = 1 - free(&s, &p, &x);
    if to_one != 0 {
        adjust(&s, &admin, "x-to-one", &p, &x, to_one).await;
    }
    let y = empty_bins(&s)[0].clone();
    adjust(&s, &admin, "y-stocked", &p, &y, safety + 1).await;

    start_counting(&s, &warehouse, SEEDED, &x).await;
    let mark = s.store.last_event_id().expect("events");
    // Y goes down to one: two free in bins, below safety stock, an alert while X is counted.
    adjust(&s, &admin, "y-taken", &p, &y, -safety).await;
    assert_eq!((free(&s, &p, &x), free(&s, &p, &y)), (1, 1));
    create_marker(&s, &supervisor, &y, "marker-1").await;

    // Who does not count X sees the alert whole.
    let whole = live_alert(&s, &supervisor, &p).await;
    assert_eq!(whole["available"], 2, "{whole}");
    assert_eq!(whole["available_when_raised"], 2, "{whole}");
    assert!(whole["suggested_qty"].as_i64() > Some(0), "{whole}");
    let heard = alerts_heard(&s, &supervisor, mark, &p).await;
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0]["available"], 2, "{heard:?}");
    assert!(heard[0].get("suggested_qty").is_some(), "{heard:?}");

    // The counter: Y's figure only, and nothing fixed while X was in the total.
    let seen = live_alert(&s, &warehouse, &p).await;
    assert_eq!(seen["available"], 1, "X left out: {seen}");
    assert!(seen["available_when_raised"].is_null(), "{seen}");
    assert!(seen["suggested_qty"].is_null(), "{seen}");
    assert_eq!(seen["safety_stock"], safety, "{seen}");
    let (_, all) = s
        .get(&warehouse, "/api/v1/replenishment/alerts?all=true")
        .await;
    for alert in &items(&all) {
        assert!(alert["available_when_raised"].is_null(), "{alert}");
        assert!(alert["suggested_qty"].is_null(), "{alert}");
    }
    let heard = alerts_heard(&s, &warehouse, mark, &p).await;
    assert_eq!(heard.len(), 1, "the counter hears of the alert: {heard:?}");
    assert!(heard[0].get("available").is_none(), "{heard:?}");
    assert!(heard[0].get("suggested_qty").is_none(), "{heard:?}");
    assert_eq!(heard[0]["sku"], p.as_str());

    // Closed: the counter sees what everyone sees.
    count_and_close(&s, &warehouse, SEEDED, &x, &p, 1).await;
    let seen = live_alert(&s, &warehouse, &p).await;
    assert_eq!(seen, live_alert(&s, &supervisor, &p).await);
    assert_eq!(seen["available"], 2, "{seen}");
    let heard = alerts_heard(&s, &warehouse, mark, &p).await;
    assert_eq!(heard[0]["available"], 2, "{heard:?}");
    assert!(heard[0].get("suggested_qty").is_some(), "{heard:?}");
}

/// Plans a count of `bin`: a `stocktake.created` event to read the stream up to.
async fn create_marker(s: &TestServer, token: &str, bin: &str, key: &str) -> Value {
    let (status, created) = send(
        s,
        token,
        "/api/v1/stocktakes",
        Some(key),
        json!({ "scope": "locations", "locations": [bin] }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    created
}

/// A user of `role`, added and signed in.
async fn signed_in(s: &TestServer, username: &str, role: Role) -> String {
    let password = format!("{username}-blind-2024");
    let hash = hash_password(&password, &[5u8; 16]).expect("hash");
    s.store
        .add_user(
            &NewUser {
                username,
                display_name: username,
                role,
                password_hash: &hash,
                channels: None,
            },
            "test",
            Timestamp::now(),
        )
        .expect("user");
    sign_in(s, username, &password).await
}

async fn sign_in(s: &TestServer, username: &str, password: &str) -> String {
    let res = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("body");
    text(&body, "token")
}

#[tokio::test]
async fn stock_totals_leave_out_a_bin_counted_blind_when_the_counter_loses_locations_read() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let cs = s.token("cs").await;
    let counter = signed_in(&s, "counter", Role::Warehouse).await;
    let bins = seeded_bins(&s, &counter).await;
    let (p, x) = held_only_in_one_of(&s, &bins);
    let y = empty_bins(&s)[0].clone();
    adjust(&s, &admin, "y-stocked", &p, &y, 3).await;
    let held = balances(&s, &p);
    let total: i64 = held.values().map(|(on_hand, _)| on_hand).sum();
    let at_x = held[&x].0;
    assert!(at_x > 0 && total > at_x, "{held:?}");

    start_counting(&s, &counter, SEEDED, &x).await;
    // The counter becomes an agent in the middle of the count: no bins, still counting X.
    s.store
        .set_user_role("counter", Role::Cs, "admin", Timestamp::now())
        .expect("role");
    let agent = sign_in(&s, "counter", "counter-blind-2024").await;
    let path = format!("/api/v1/stock?sku={p}");
    let line = |page: &Value| {
        let items = page["items"].as_array().expect("items").clone();
        assert_eq!(items.len(), 1, "{page}");
        assert!(
            items[0].get("location").is_none_or(Value::is_null),
            "{page}"
        );
        items[0].clone()
    };
    let (status, theirs) = s.get(&agent, &path).await;
    assert_eq!(status, 200, "{theirs}");
    assert_eq!(
        line(&theirs)["on_hand"],
        total - at_x,
        "X left out: {theirs}"
    );
    // Another agent, counting nothing, gets the whole total.
    let (_, others) = s.get(&cs, &path).await;
    assert_eq!(line(&others)["on_hand"], total, "{others}");
    // Paging through all of it, the counter's line for P is the same.
    let mut cursor: Option<String> = None;
    let mut found = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/stock?limit=50&cursor={}", c.replace('|', "%7C")),
            None => "/api/v1/stock?limit=50".to_string(),
        };
        let (status, page) = s.get(&agent, &path).await;
        assert_eq!(status, 200, "{page}");
        found.extend(
            page["items"]
                .as_array()
                .expect("items")
                .iter()
                .filter(|l| l["sku"] == p.as_str())
                .cloned(),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["on_hand"], total - at_x);
}

#[tokio::test]
async fn another_count_of_the_bin_and_its_report_tell_a_blind_counter_nothing_of_it() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bins = seeded_bins(&s, &supervisor).await;
    let (p, x) = held_only_in_one_of(&s, &bins);
    let (on_hand, _) = balance(&s, &p, &x);

    // Warehouse counts P in X in an open count of P alone, exactly: the line is "matched".
    let (status, other) = send(
        &s,
        &supervisor,
        "/api/v1/stocktakes",
        Some("other-count"),
        json!({ "scope": "products", "products": [p], "blind": false, "counters": ["warehouse"] }),
    )
    .await;
    assert_eq!(status, 201, "{other}");
    let other = text(&other, "number");
    start_counting(&s, &warehouse, &other, &x).await;
    count_and_close(&s, &warehouse, &other, &x, &p, on_hand).await;
    let report_path = format!("/api/v1/stocktakes/{other}/report");
    let (status, whole) = s.get(&supervisor, &report_path).await;
    assert_eq!(status, 200, "{whole}");
    assert_eq!(whole["lines_counted"], 1, "{whole}");
    assert!(whole["expected_value"].as_i64() > Some(0), "{whole}");
    let lines_at_x = |stocktake: &Value| -> Vec<Value> {
        stocktake["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .filter(|l| l["location"] == x.as_str())
            .cloned()
            .collect()
    };
    assert_eq!(lines_at_x(&whole["stocktake"])[0]["state"], "matched");

    // The supervisor starts counting X blind in the seeded count.
    start_counting(&s, &supervisor, SEEDED, &x).await;
    let (status, report) = s.get(&supervisor, &report_path).await;
    assert_eq!(status, 200, "{report}");
    for figure in [
        "lines_counted",
        "lines_without_variance",
        "variance_units",
        "expected_value",
    ] {
        assert_eq!(report[figure], 0, "{figure}: {report}");
    }
    assert!(lines_at_x(&report["stocktake"]).is_empty(), "{report}");
    let csv = s
        .http
        .get(s.url(&format!("{report_path}?format=csv")))
        .bearer_auth(&supervisor)
        .send()
        .await
        .expect("csv")
        .text()
        .await
        .expect("csv body");
    assert!(!csv.contains(&x), "{csv}");
    let (_, seen) = s
        .get(&supervisor, &format!("/api/v1/stocktakes/{other}"))
        .await;
    assert!(lines_at_x(&seen).is_empty(), "{seen}");
    // The counter's own count of X is theirs to see.
    let at = format!("/api/v1/stocktakes/{SEEDED}/locations/{x}/count");
    ok(s.post(
        &supervisor,
        &at,
        Some("own"),
        json!({ "product": p, "qty": 1 }),
    )
    .await)
    .await;
    let (_, own) = s
        .get(&supervisor, &format!("/api/v1/stocktakes/{SEEDED}"))
        .await;
    let own = lines_at_x(&own);
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["counted"], 1);
    // Others, not counting X, see the other count whole.
    let (_, theirs) = s
        .get(&warehouse, &format!("/api/v1/stocktakes/{other}"))
        .await;
    assert_eq!(lines_at_x(&theirs).len(), 1, "{theirs}");

    // Closed: the report adds X up again.
    ok(s.post(
        &supervisor,
        &format!("/api/v1/stocktakes/{SEEDED}/locations/{x}/close"),
        Some("close-own"),
        json!({}),
    )
    .await)
    .await;
    let (_, report) = s.get(&supervisor, &report_path).await;
    for figure in ["lines_counted", "expected_value", "variance_units"] {
        assert_eq!(report[figure], whole[figure], "{figure}: {report}");
    }
    assert_eq!(lines_at_x(&report["stocktake"]).len(), 1, "{report}");
}
