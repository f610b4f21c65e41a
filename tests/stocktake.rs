//! Stocktakes over real HTTP: blind counts show counters no expected figures anywhere,
//! stock that moves during a count outdates it, variances beyond tolerance are recounted by
//! someone else, approval posts exactly the approved variances, empty locations are
//! confirmed, and the report adds up.

mod common;
mod stock_support;

use backroom::domain::role::{Permission, Role};
use backroom::domain::user::hash_password;
use backroom::store::NewUser;
use common::{EventStream, TestServer, expect_problem, ok};
use jiff::Timestamp;
use serde_json::{Value, json};
use stock_support::{
    all_stock, assert_ledger_holds, balance, balances, empty_bins, movements, place,
    price_and_safety, send, single_bin_product, text,
};

/// Puts units of products into a bin with `found` adjustments, so the ledger has them.
async fn stock_bin(s: &TestServer, token: &str, bin: &str, items: &[(&str, i64)]) {
    for (sku, qty) in items {
        let (status, body) = send(
            s,
            token,
            "/api/v1/stock/adjustments",
            Some(&format!("setup-{bin}-{sku}")),
            json!({ "product": sku, "location": bin, "delta": qty, "reason": "found" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
}

/// Products that are not lot-tracked, `n` of them, skipping `except`.
fn some_skus(s: &TestServer, n: usize, except: &[&str]) -> Vec<String> {
    let mut skus: Vec<String> = all_stock(s)
        .into_iter()
        .map(|r| r.sku)
        .filter(|sku| !sku.starts_with("TEA") && !except.contains(&sku.as_str()))
        .collect();
    skus.dedup();
    skus.truncate(n);
    assert_eq!(skus.len(), n);
    skus
}

async fn create(s: &TestServer, token: &str, key: &str, body: Value) -> Value {
    let (status, stocktake) = send(s, token, "/api/v1/stocktakes", Some(key), body).await;
    assert_eq!(status, 201, "{stocktake}");
    assert_eq!(stocktake["state"], "counting");
    stocktake
}

/// Starts, counts or closes a location as `token`; the answer must be 200.
async fn at(
    s: &TestServer,
    token: &str,
    stocktake: &str,
    code: &str,
    action: &str,
    key: &str,
    body: Value,
) -> Value {
    ok(s.post(
        token,
        &format!("/api/v1/stocktakes/{stocktake}/locations/{code}/{action}"),
        Some(key),
        body,
    )
    .await)
    .await
}

async fn get(s: &TestServer, token: &str, stocktake: &str) -> Value {
    let (status, body) = s
        .get(token, &format!("/api/v1/stocktakes/{stocktake}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn line<'a>(stocktake: &'a Value, location: &str, sku: &str) -> &'a Value {
    stocktake["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["location"] == location && l["sku"] == sku)
        .unwrap_or_else(|| panic!("no line {sku} at {location} in {stocktake}"))
}

/// Nothing a blind counter may not see: no expected, variance or value, no ledger.
fn assert_blind(stocktake: &Value) {
    assert!(
        stocktake.get("ledger").is_none(),
        "ledger shown: {stocktake}"
    );
    for l in stocktake["lines"].as_array().expect("lines") {
        for field in ["expected", "variance", "value"] {
            assert!(l.get(field).is_none(), "{field} shown: {l}");
        }
    }
}

/// Count movements a stocktake posted.
fn count_movements(s: &TestServer, stocktake: &str) -> Vec<backroom::store::MovementRow> {
    movements(s, None, Some("count"), Some(stocktake))
}

/// A second counter with the warehouse role, signed in.
async fn second_counter(s: &TestServer) -> String {
    let password = "count-again-2024";
    let hash = hash_password(password, &[7u8; 16]).expect("hash");
    s.store
        .add_user(
            &NewUser {
                username: "warehouse2",
                display_name: "Second Counter",
                role: Role::Warehouse,
                password_hash: &hash,
                channels: None,
            },
            "test",
            Timestamp::now(),
        )
        .expect("user");
    let res = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({ "username": "warehouse2", "password": password }))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("body");
    text(&body, "token")
}

/// Tolerances no test variance exceeds.
const WIDE: (i64, i64) = (100, 100_000_000);

#[tokio::test]
async fn a_blind_count_shows_counters_no_expected_figures() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bin = empty_bins(&s)[0].clone();
    let skus = some_skus(&s, 2, &[]);
    let (p, q) = (skus[0].as_str(), skus[1].as_str());
    stock_bin(&s, &supervisor, &bin, &[(p, 5), (q, 3)]).await;

    let created = create(
        &s,
        &supervisor,
        "st-1",
        json!({ "scope": "locations", "locations": [bin], "counters": ["warehouse"] }),
    )
    .await;
    assert_eq!(created["blind"], true, "blind unless asked otherwise");
    assert_eq!(
        created["ledger"].as_array().expect("ledger").len(),
        2,
        "{created}"
    );
    let key = text(&created, "number");

    let seen = get(&s, &warehouse, &key).await;
    assert_blind(&seen);
    assert_eq!(seen["locations"][0]["code"], bin.as_str());
    let (status, mine) = s
        .get(&warehouse, "/api/v1/stocktakes?mine=true&state=counting")
        .await;
    assert_eq!(status, 200);
    let mine = items(&mine);
    assert!(mine.iter().any(|st| st["number"] == key.as_str()));
    mine.iter().for_each(assert_blind);

    let started = at(&s, &warehouse, &key, &bin, "start", "start", json!({})).await;
    assert_blind(&started);
    assert_eq!(started["locations"][0]["state"], "counting");
    assert_eq!(started["locations"][0]["counter"], "warehouse");
    let counted = at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c-1",
        json!({ "product": p, "qty": 3 }),
    )
    .await;
    assert_blind(&counted);
    let counted = at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c-2",
        json!({ "product": p, "qty": 2 }),
    )
    .await;
    assert_blind(&counted);
    assert_eq!(line(&counted, &bin, p)["counted"], 5, "scans add up");
    let counted = at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c-3",
        json!({ "product": q, "qty": 3, "set": true }),
    )
    .await;
    assert_blind(&counted);
    // A retried scan gets its stored answer, blind as well, and counts once.
    let replay = at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c-2",
        json!({ "product": p, "qty": 2 }),
    )
    .await;
    assert_blind(&replay);
    assert_eq!(line(&replay, &bin, p)["counted"], 5);

    let closed = at(&s, &warehouse, &key, &bin, "close", "close", json!({})).await;
    assert_blind(&closed);
    assert_eq!(closed["lines"].as_array().expect("lines").len(), 2);
    assert_eq!(line(&closed, &bin, p)["state"], "matched");
    assert_eq!(line(&closed, &bin, q)["state"], "matched");
    assert_eq!(closed["state"], "done");
    assert_blind(&get(&s, &warehouse, &key).await);

    // Supervisors and auditors see the figures.
    for token in [&supervisor, &s.token("auditor").await] {
        let full = get(&s, token, &key).await;
        assert!(full["ledger"].is_array(), "{full}");
        assert_eq!(line(&full, &bin, p)["expected"], 5);
        assert_eq!(line(&full, &bin, p)["variance"], 0);
        assert_eq!(line(&full, &bin, q)["expected"], 3);
        assert_eq!(line(&full, &bin, q)["value"], 0);
    }

    // An open count shows counters what the ledger says.
    let open = create(
        &s,
        &supervisor,
        "st-2",
        json!({ "scope": "locations", "locations": [bin], "blind": false }),
    )
    .await;
    let open_key = text(&open, "number");
    let started = at(
        &s,
        &warehouse,
        &open_key,
        &bin,
        "start",
        "o-start",
        json!({}),
    )
    .await;
    assert_eq!(started["ledger"].as_array().expect("ledger").len(), 2);
    at(
        &s,
        &warehouse,
        &open_key,
        &bin,
        "count",
        "o-1",
        json!({ "product": p, "qty": 5, "set": true }),
    )
    .await;
    let counted = at(
        &s,
        &warehouse,
        &open_key,
        &bin,
        "count",
        "o-2",
        json!({ "product": q, "qty": 3, "set": true }),
    )
    .await;
    let closed = at(
        &s,
        &warehouse,
        &open_key,
        &bin,
        "close",
        "o-close",
        json!({}),
    )
    .await;
    assert!(counted["ledger"].is_array());
    assert_eq!(line(&closed, &bin, p)["expected"], 5);
}

#[tokio::test]
async fn stock_that_moves_during_a_count_outdates_it() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let ops = s.token("ops").await;

    // P waits in its only bin X for an order; R sits in bin E.
    let (p, x) = single_bin_product(&s, 5, &[]);
    place(&s, &ops, "outdated-1", &[(&p, 2)]).await;
    let list = ok(s
        .post(&ops, "/api/v1/pick-lists/claim", Some("claim"), json!({}))
        .await)
    .await;
    assert_eq!(list["lines"][0]["location"], x.as_str());
    let list_number = text(&list, "number");
    let bins = empty_bins(&s);
    let (e, elsewhere) = (bins[0].clone(), bins[1].clone());
    let r = some_skus(&s, 1, &[&p])[0].clone();
    stock_bin(&s, &supervisor, &e, &[(&r, 4)]).await;

    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [x, e],
                "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");

    // Counting X: everything there as the ledger had it when counting began.
    let at_x: Vec<(String, i64)> = all_stock(&s)
        .into_iter()
        .filter(|row| row.location == x && row.on_hand > 0)
        .map(|row| (row.sku, row.on_hand))
        .collect();
    at(&s, &warehouse, &key, &x, "start", "x-start", json!({})).await;
    for (n, (sku, qty)) in at_x.iter().enumerate() {
        at(
            &s,
            &warehouse,
            &key,
            &x,
            "count",
            &format!("x-{n}"),
            json!({ "product": sku, "qty": qty, "set": true }),
        )
        .await;
    }
    // Meanwhile the picker takes P to the dock.
    let picked = ok(s
        .post(
            &ops,
            &format!("/api/v1/pick-lists/{list_number}/lines/1/pick"),
            Some("pick"),
            json!({ "picked": 2 }),
        )
        .await)
    .await;
    assert_eq!(picked["lines"][0]["state"], "picked");
    let pick = movements(&s, Some(&p), Some("pick"), Some(&list_number));
    assert_eq!(pick.len(), 1);
    assert_eq!(pick[0].from.as_deref(), Some(x.as_str()));
    assert_eq!(pick[0].to.as_deref(), Some("SHP-01"));
    assert_eq!(pick[0].qty, 2);
    let closed = at(&s, &warehouse, &key, &x, "close", "x-close", json!({})).await;
    assert_blind(&closed);
    assert_eq!(line(&closed, &x, &p)["state"], "outdated");
    for (sku, _) in at_x.iter().filter(|(sku, _)| *sku != p) {
        assert_eq!(line(&closed, &x, sku)["state"], "matched", "untouched");
    }

    // Counting E while someone moves R out of it.
    at(&s, &warehouse, &key, &e, "start", "e-start", json!({})).await;
    at(
        &s,
        &warehouse,
        &key,
        &e,
        "count",
        "e-1",
        json!({ "product": r, "qty": 4 }),
    )
    .await;
    let (status, moved) = send(
        &s,
        &supervisor,
        "/api/v1/stock/moves",
        Some("move-r"),
        json!({ "product": r, "from": e, "to": elsewhere, "qty": 1 }),
    )
    .await;
    assert_eq!(status, 201, "{moved}");
    let closed = at(&s, &warehouse, &key, &e, "close", "e-close", json!({})).await;
    assert_eq!(line(&closed, &e, &r)["state"], "outdated");
    assert_eq!(closed["state"], "review", "outdated lines wait for review");

    // An outdated line is no variance: nothing to approve, nothing posted.
    let stock_before = (balance(&s, &p, &x), balance(&s, &r, &e));
    let res = s
        .post(
            &supervisor,
            &format!("/api/v1/stocktakes/{key}/approve"),
            Some("approve-p"),
            json!({ "lines": [{ "location": x, "sku": p }] }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    let approved = ok(s
        .post(
            &supervisor,
            &format!("/api/v1/stocktakes/{key}/approve"),
            Some("approve-all"),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(line(&approved, &x, &p)["state"], "outdated");
    assert!(count_movements(&s, &key).is_empty());
    assert_eq!((balance(&s, &p, &x), balance(&s, &r, &e)), stock_before);
    let report = ok(s
        .http
        .get(s.url(&format!("/api/v1/stocktakes/{key}/report")))
        .bearer_auth(&supervisor)
        .send()
        .await
        .expect("report"))
    .await;
    assert_eq!(
        report["lines_counted"].as_u64(),
        Some(at_x.len() as u64 - 1),
        "outdated lines prove nothing: {report}"
    );

    // Sent to a recount, anyone may count them again, the first counter too.
    let sent = ok(s
        .post(
            &supervisor,
            &format!("/api/v1/stocktakes/{key}/recount"),
            Some("recount"),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(line(&sent, &x, &p)["state"], "recount");
    assert_eq!(sent["state"], "counting");
    let (_, all) = s
        .get(&supervisor, "/api/v1/stocktakes?state=counting")
        .await;
    let recount = items(&all)
        .iter()
        .find(|st| st["recount_of"] == key.as_str())
        .expect("a recount")
        .clone();
    assert_eq!(recount["scope"], "recount");
    let recount_key = text(&recount, "number");
    for place in recount["locations"].as_array().expect("locations") {
        assert_eq!(place["not_counter"], Value::Null, "{place}");
    }
    for (code, sku) in [(&x, &p), (&e, &r)] {
        at(
            &s,
            &warehouse,
            &recount_key,
            code,
            "start",
            &format!("r-{code}"),
            json!({}),
        )
        .await;
        let (on_hand, _) = balance(&s, sku, code);
        at(
            &s,
            &warehouse,
            &recount_key,
            code,
            "count",
            &format!("r-{code}-c"),
            json!({ "product": sku, "qty": on_hand, "set": true }),
        )
        .await;
        at(
            &s,
            &warehouse,
            &recount_key,
            code,
            "close",
            &format!("r-{code}-x"),
            json!({}),
        )
        .await;
    }
    let parent = get(&s, &supervisor, &key).await;
    assert_eq!(line(&parent, &x, &p)["state"], "matched", "{parent}");
    assert_eq!(line(&parent, &e, &r)["state"], "matched");
    assert_eq!(parent["state"], "done");
    assert!(count_movements(&s, &key).is_empty());
    assert_ledger_holds(&s);
}

#[tokio::test]
async fn a_variance_beyond_tolerance_is_recounted_by_someone_else() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let second = second_counter(&s).await;
    let bin = empty_bins(&s)[0].clone();
    let p = some_skus(&s, 1, &[])[0].clone();
    stock_bin(&s, &supervisor, &bin, &[(&p, 10)]).await;

    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [bin], "tolerance_qty": 1, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");
    at(&s, &warehouse, &key, &bin, "start", "start", json!({})).await;
    at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c",
        json!({ "product": p, "qty": 7 }),
    )
    .await;
    let closed = at(&s, &warehouse, &key, &bin, "close", "close", json!({})).await;
    assert_blind(&closed);
    assert_eq!(line(&closed, &bin, &p)["state"], "recount");
    assert_eq!(closed["state"], "counting", "waits for the recount");

    let (_, all) = s
        .get(&supervisor, "/api/v1/stocktakes?state=counting")
        .await;
    let recount = items(&all)
        .iter()
        .find(|st| st["recount_of"] == key.as_str())
        .expect("a recount")
        .clone();
    assert_eq!(recount["scope"], "recount");
    assert_eq!(recount["blind"], true);
    assert_eq!(recount["locations"].as_array().expect("places").len(), 1);
    assert_eq!(recount["locations"][0]["code"], bin.as_str());
    assert_eq!(recount["locations"][0]["not_counter"], "warehouse");
    assert_eq!(recount["locations"][0]["products"], json!([p]));
    let recount_key = text(&recount, "number");

    // Not by who counted first.
    let res = s
        .post(
            &warehouse,
            &format!("/api/v1/stocktakes/{recount_key}/locations/{bin}/start"),
            Some("again"),
            json!({}),
        )
        .await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        text(&problem, "detail").contains("another counter"),
        "{problem}"
    );
    // Another counter confirms the shortfall; that figure replaces the first.
    let started = at(
        &s,
        &second,
        &recount_key,
        &bin,
        "start",
        "r-start",
        json!({}),
    )
    .await;
    assert_blind(&started);
    at(
        &s,
        &second,
        &recount_key,
        &bin,
        "count",
        "r-c",
        json!({ "product": p, "qty": 7, "set": true }),
    )
    .await;
    let recounted = at(
        &s,
        &second,
        &recount_key,
        &bin,
        "close",
        "r-close",
        json!({}),
    )
    .await;
    assert_blind(&recounted);
    // Judged in the stocktake it counts again; the recount itself is finished.
    assert_eq!(line(&recounted, &bin, &p)["state"], "recounted");
    assert_eq!(recounted["state"], "done");

    let parent = get(&s, &supervisor, &key).await;
    let l = line(&parent, &bin, &p);
    assert_eq!(l["state"], "variance", "{parent}");
    assert_eq!(l["counted"], 7);
    assert_eq!(l["counted_by"], "warehouse2");
    assert_eq!(l["expected"], 10);
    assert_eq!(l["variance"], -3);
    assert_eq!(parent["state"], "review");
    assert_eq!(
        balance(&s, &p, &bin),
        (10, 0),
        "nothing changes before approval"
    );
    assert!(count_movements(&s, &key).is_empty());

    // The recount's figure is reviewed on the stocktake it belongs to, not on the recount.
    let approve_recount = |idempotency_key: &'static str| {
        let path = format!("/api/v1/stocktakes/{recount_key}/approve");
        let (s, supervisor) = (&s, &supervisor);
        async move {
            let res = s
                .post(supervisor, &path, Some(idempotency_key), json!({}))
                .await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            assert!(status == 200 || status == 409, "{status} {body}");
        }
    };
    approve_recount("approve-recount-early").await;
    assert_eq!(balance(&s, &p, &bin), (10, 0));
    assert!(count_movements(&s, &recount_key).is_empty());

    let approved = ok(s
        .post(
            &supervisor,
            &format!("/api/v1/stocktakes/{key}/approve"),
            Some("approve"),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(approved["state"], "done");
    assert_eq!(line(&approved, &bin, &p)["state"], "approved");
    assert_eq!(balance(&s, &p, &bin), (7, 0));
    assert_eq!(count_movements(&s, &key).len(), 1);

    // Nor afterwards: the variance is not posted a second time.
    approve_recount("approve-recount-late").await;
    assert_eq!(balance(&s, &p, &bin), (7, 0), "one adjustment only");
    assert!(count_movements(&s, &recount_key).is_empty());
    assert_ledger_holds(&s);
}

#[tokio::test]
async fn approval_posts_exactly_the_approved_variances() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bin = empty_bins(&s)[0].clone();
    let skus = some_skus(&s, 3, &[]);
    let (p, q, r) = (skus[0].as_str(), skus[1].as_str(), skus[2].as_str());
    stock_bin(&s, &supervisor, &bin, &[(p, 6), (q, 4), (r, 5)]).await;

    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [bin],
                "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");
    at(&s, &warehouse, &key, &bin, "start", "start", json!({})).await;
    for (n, (sku, qty)) in [(p, 8), (q, 3), (r, 5)].into_iter().enumerate() {
        at(
            &s,
            &warehouse,
            &key,
            &bin,
            "count",
            &format!("c-{n}"),
            json!({ "product": sku, "qty": qty, "set": true }),
        )
        .await;
    }
    assert_eq!(balance(&s, p, &bin), (6, 0), "counting changes no stock");
    at(&s, &warehouse, &key, &bin, "close", "close", json!({})).await;
    let review = get(&s, &supervisor, &key).await;
    assert_eq!(review["state"], "review");
    for (sku, expected, counted, state) in [
        (p, 6, 8, "variance"),
        (q, 4, 3, "variance"),
        (r, 5, 5, "matched"),
    ] {
        let l = line(&review, &bin, sku);
        assert_eq!(l["state"], state, "{l}");
        assert_eq!(l["expected"], expected);
        assert_eq!(l["counted"], counted);
        assert_eq!(l["variance"], counted - expected);
        let (price, _) = price_and_safety(&s, sku);
        assert_eq!(l["value"], (counted - expected) * price);
    }
    assert_eq!(
        [p, q, r].map(|sku| balance(&s, sku, &bin).0),
        [6, 4, 5],
        "closing changes no stock"
    );
    assert!(count_movements(&s, &key).is_empty());

    // Approving P alone posts P's variance alone.
    let path = format!("/api/v1/stocktakes/{key}/approve");
    let one = json!({ "lines": [{ "location": bin, "sku": p }] });
    let approved = ok(s.post(&supervisor, &path, Some("a-1"), one.clone()).await).await;
    assert_eq!(line(&approved, &bin, p)["state"], "approved");
    assert_eq!(line(&approved, &bin, p)["reviewed_by"], "supervisor");
    assert_eq!(line(&approved, &bin, q)["state"], "variance");
    assert_eq!(approved["state"], "review");
    let posted = count_movements(&s, &key);
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].sku, p);
    assert_eq!(posted[0].from, None);
    assert_eq!(posted[0].to.as_deref(), Some(bin.as_str()));
    assert_eq!(posted[0].qty, 2);
    assert_eq!(posted[0].actor, "supervisor");
    assert_eq!([p, q, r].map(|sku| balance(&s, sku, &bin).0), [8, 4, 5]);
    // The same request again is the same approval, once.
    let replay = ok(s.post(&supervisor, &path, Some("a-1"), one.clone()).await).await;
    assert_eq!(replay, approved);
    let res = s.post(&supervisor, &path, Some("a-1b"), one).await;
    expect_problem(res, 409, "/problems/conflict").await;
    assert_eq!(count_movements(&s, &key).len(), 1);

    // The rest: Q's shortfall leaves the bin; R matched, nothing to post.
    let done = ok(s.post(&supervisor, &path, Some("a-2"), json!({})).await).await;
    assert_eq!(done["state"], "done");
    assert!(done["finished_at"].is_string());
    let posted = count_movements(&s, &key);
    assert_eq!(posted.len(), 2);
    let q_move = posted.iter().find(|m| m.sku == q).expect("Q posted");
    assert_eq!(q_move.from.as_deref(), Some(bin.as_str()));
    assert_eq!(q_move.to, None);
    assert_eq!(q_move.qty, 1);
    assert_eq!([p, q, r].map(|sku| balance(&s, sku, &bin).0), [8, 3, 5]);
    ok(s.post(&supervisor, &path, Some("a-3"), json!({})).await).await;
    assert_eq!(
        count_movements(&s, &key).len(),
        2,
        "nothing left to approve"
    );
    let (status, listed) = s
        .get(
            &supervisor,
            &format!("/api/v1/stock/movements?kind=count&reference={key}"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().expect("items").len(), 2);
    assert_ledger_holds(&s);
}

#[tokio::test]
async fn counters_count_and_supervisors_plan_and_review() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bin = empty_bins(&s)[0].clone();
    let p = some_skus(&s, 1, &[])[0].clone();
    stock_bin(&s, &supervisor, &bin, &[(&p, 4)]).await;
    let plan = json!({ "scope": "locations", "locations": [bin], "counters": ["warehouse"],
                       "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 });

    let res = s
        .post(
            &warehouse,
            "/api/v1/stocktakes",
            Some("wh-plan"),
            plan.clone(),
        )
        .await;
    let problem = expect_problem(res, 403, "/problems/forbidden").await;
    assert_eq!(problem["permission"], "stocktake.manage");
    let (_, listed) = s.get(&supervisor, "/api/v1/stocktakes").await;
    let planned = items(&listed).len();
    let res = s
        .post(
            &supervisor,
            "/api/v1/stocktakes",
            Some("nobody"),
            json!({ "scope": "locations", "locations": [bin], "counters": ["nobody"] }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = s
        .post(
            &supervisor,
            "/api/v1/stocktakes",
            Some("galaxy"),
            json!({ "scope": "galaxy" }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;

    let (_, listed) = s.get(&supervisor, "/api/v1/stocktakes").await;
    assert_eq!(items(&listed).len(), planned, "none planned");
    let created = create(&s, &supervisor, "plan", plan).await;
    let key = text(&created, "number");
    // Assigned to the warehouse counter: nobody else starts it.
    let res = s
        .post(
            &supervisor,
            &format!("/api/v1/stocktakes/{key}/locations/{bin}/start"),
            Some("sup-start"),
            json!({}),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    let res = s
        .post(
            &s.token("purchasing").await,
            &format!("/api/v1/stocktakes/{key}/locations/{bin}/start"),
            Some("pur-start"),
            json!({}),
        )
        .await;
    let problem = expect_problem(res, 403, "/problems/forbidden").await;
    assert_eq!(problem["permission"], "stocktake.count");
    at(&s, &warehouse, &key, &bin, "start", "start", json!({})).await;
    at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c",
        json!({ "product": p, "qty": 5, "set": true }),
    )
    .await;
    at(&s, &warehouse, &key, &bin, "close", "close", json!({})).await;

    // The counter reviews nothing.
    for (action, key_) in [("approve", "wh-approve"), ("recount", "wh-recount")] {
        let res = s
            .post(
                &warehouse,
                &format!("/api/v1/stocktakes/{key}/{action}"),
                Some(key_),
                json!({}),
            )
            .await;
        let problem = expect_problem(res, 403, "/problems/forbidden").await;
        assert_eq!(problem["permission"], "stocktake.manage");
    }
    assert!(count_movements(&s, &key).is_empty());
    assert_eq!(balance(&s, &p, &bin), (4, 0));
    let review = get(&s, &supervisor, &key).await;
    assert_eq!(line(&review, &bin, &p)["state"], "variance");
}

#[tokio::test]
async fn an_empty_location_is_confirmed_empty() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bins = empty_bins(&s);
    let (bare, stocked, counted) = (bins[0].clone(), bins[1].clone(), bins[2].clone());
    let skus = some_skus(&s, 2, &[]);
    let (p, q) = (skus[0].as_str(), skus[1].as_str());
    stock_bin(&s, &supervisor, &stocked, &[(p, 3)]).await;
    stock_bin(&s, &supervisor, &counted, &[(q, 2)]).await;
    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [bare, stocked, counted],
                "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");
    let close = |code: &str| format!("/api/v1/stocktakes/{key}/locations/{code}/close");

    // Not started: nothing to close.
    let res = s
        .post(
            &warehouse,
            &close(&bare),
            Some("early"),
            json!({ "empty": true }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;

    for code in [&bare, &stocked] {
        at(
            &s,
            &warehouse,
            &key,
            code,
            "start",
            &format!("s-{code}"),
            json!({}),
        )
        .await;
        let res = s
            .post(
                &warehouse,
                &close(code),
                Some(&format!("x-{code}")),
                json!({}),
            )
            .await;
        let problem = expect_problem(res, 409, "/problems/conflict").await;
        assert!(
            text(&problem, "detail").contains("confirm that it is empty"),
            "{problem}"
        );
        let closed = at(
            &s,
            &warehouse,
            &key,
            code,
            "close",
            &format!("e-{code}"),
            json!({ "empty": true }),
        )
        .await;
        assert_blind(&closed);
        let place = closed["locations"]
            .as_array()
            .expect("places")
            .iter()
            .find(|l| l["code"] == code.as_str())
            .expect("place");
        assert_eq!(place["state"], "closed");
        assert_eq!(place["empty"], true);
    }
    // What the ledger had at the empty-confirmed bin was counted as none.
    let review = get(&s, &supervisor, &key).await;
    let l = line(&review, &stocked, p);
    assert_eq!(l["counted"], 0);
    assert_eq!(l["expected"], 3);
    assert_eq!(l["variance"], -3);
    assert_eq!(l["state"], "variance");
    assert!(
        review["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .all(|l| l["location"] != bare.as_str()),
        "no lines where nothing was"
    );

    // Something counted is not empty.
    at(&s, &warehouse, &key, &counted, "start", "s-c", json!({})).await;
    at(
        &s,
        &warehouse,
        &key,
        &counted,
        "count",
        "c-c",
        json!({ "product": q, "qty": 2 }),
    )
    .await;
    let res = s
        .post(
            &warehouse,
            &close(&counted),
            Some("e-c"),
            json!({ "empty": true }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    let closed = at(&s, &warehouse, &key, &counted, "close", "x-c", json!({})).await;
    assert_eq!(closed["state"], "review");
    assert_eq!(
        balance(&s, p, &stocked),
        (3, 0),
        "nothing changes before approval"
    );
}

#[tokio::test]
async fn the_report_adds_up_and_the_csv_has_a_row_per_line() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let bins = empty_bins(&s);
    let (one, two) = (bins[0].clone(), bins[1].clone());
    let skus = some_skus(&s, 4, &[]);
    let (p, q, r, t) = (
        skus[0].as_str(),
        skus[1].as_str(),
        skus[2].as_str(),
        skus[3].as_str(),
    );
    stock_bin(&s, &supervisor, &one, &[(p, 6), (q, 4), (r, 5)]).await;
    stock_bin(&s, &supervisor, &two, &[(t, 2)]).await;
    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [one, two],
                "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");
    for (code, counts) in [(&one, vec![(p, 8), (q, 3), (r, 5)]), (&two, vec![(t, 2)])] {
        at(
            &s,
            &warehouse,
            &key,
            code,
            "start",
            &format!("s-{code}"),
            json!({}),
        )
        .await;
        for (sku, qty) in counts {
            at(
                &s,
                &warehouse,
                &key,
                code,
                "count",
                &format!("c-{code}-{sku}"),
                json!({ "product": sku, "qty": qty, "set": true }),
            )
            .await;
        }
        at(
            &s,
            &warehouse,
            &key,
            code,
            "close",
            &format!("x-{code}"),
            json!({}),
        )
        .await;
    }

    let report_path = format!("/api/v1/stocktakes/{key}/report");
    let (status, report) = s.get(&supervisor, &report_path).await;
    assert_eq!(status, 200, "{report}");
    let lines = report["stocktake"]["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 4);
    // Figures recomputed from the lines.
    let mut exact = 0;
    let (mut units, mut units_abs, mut value, mut value_abs, mut expected_value) = (0, 0, 0, 0, 0);
    for l in lines {
        let sku = text(l, "sku");
        let (price, _) = price_and_safety(&s, &sku);
        let expected = l["expected"].as_i64().expect("expected");
        let variance = l["counted"].as_i64().expect("counted") - expected;
        assert_eq!(l["variance"], variance);
        assert_eq!(l["value"], variance * price);
        if variance == 0 {
            exact += 1;
        }
        units += variance;
        units_abs += variance.abs();
        value += variance * price;
        value_abs += (variance * price).abs();
        expected_value += expected * price;
    }
    assert_eq!(report["locations_total"], 2);
    assert_eq!(report["locations_counted"], 2);
    assert_eq!(report["lines_counted"], 4);
    assert_eq!(report["lines_without_variance"], exact);
    assert_eq!(exact, 2);
    assert_eq!(report["variance_units"], units);
    assert_eq!(units, 1);
    assert_eq!(report["variance_units_abs"], units_abs);
    assert_eq!(units_abs, 3);
    assert_eq!(report["variance_value"], value);
    assert_eq!(report["variance_value_abs"], value_abs);
    assert_eq!(report["expected_value"], expected_value);
    let close_to = |field: &str, want: f64| {
        let got = report[field].as_f64().expect(field);
        assert!((got - want).abs() < 1e-9, "{field}: {got} vs {want}");
    };
    close_to("line_accuracy", 0.5);
    close_to(
        "value_accuracy",
        1.0 - value_abs as f64 / expected_value as f64,
    );
    assert_eq!(
        report["counters"],
        json!([{ "counter": "warehouse", "locations": 2, "lines": 4 }])
    );
    assert!(report["started_at"].is_string());

    // The CSV: a header and one row per line, the same figures.
    let res = s
        .http
        .get(s.url(&format!("{report_path}?format=csv")))
        .bearer_auth(&supervisor)
        .send()
        .await
        .expect("csv");
    assert_eq!(res.status(), 200);
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let body = res.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        [
            "stocktake",
            "location",
            "sku",
            "name",
            "expected",
            "counted",
            "variance",
            "value_minor",
            "state",
            "counted_by",
            "reviewed_by"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), lines.len(), "{body}");
    for (row, l) in rows.iter().zip(lines) {
        assert_eq!(&row[0], key.as_str());
        assert_eq!(row[1], l["location"]);
        assert_eq!(row[2], l["sku"]);
        assert_eq!(row[4], l["expected"].to_string());
        assert_eq!(row[5], l["counted"].to_string());
        assert_eq!(row[6], l["variance"].to_string());
        assert_eq!(row[7], l["value"].to_string());
        assert_eq!(row[8], l["state"]);
        assert_eq!(&row[9], "warehouse");
    }
    assert_eq!(body.lines().count(), 1 + lines.len());

    // A blind count's report is not for its counters; auditors may read it.
    for path in [report_path.clone(), format!("{report_path}?format=csv")] {
        let res = s
            .http
            .get(s.url(&path))
            .bearer_auth(&warehouse)
            .send()
            .await
            .expect("report");
        let problem = expect_problem(res, 403, "/problems/forbidden").await;
        assert_eq!(problem["permission"], "stocktake.manage");
    }
    let (status, audited) = s.get(&s.token("auditor").await, &report_path).await;
    assert_eq!(status, 200);
    assert_eq!(audited["lines_counted"], 4);
    let (status, _) = s
        .get(&supervisor, &format!("{report_path}?format=xml"))
        .await;
    assert_eq!(status, 400);

    // Approved lines still count, with the figures they were approved with.
    ok(s.post(
        &supervisor,
        &format!("/api/v1/stocktakes/{key}/approve"),
        Some("approve"),
        json!({}),
    )
    .await)
    .await;
    let (_, after) = s.get(&supervisor, &report_path).await;
    assert_eq!(after["stocktake"]["state"], "done");
    assert_eq!(after["lines_counted"], 4);
    assert_eq!(after["variance_units"], 1);
    assert_eq!(after["expected_value"], expected_value);
    assert!(after["finished_at"].is_string());
}

#[tokio::test]
async fn a_count_assigned_to_one_counter_is_recounted_by_someone_else() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let second = second_counter(&s).await;
    let bin = empty_bins(&s)[0].clone();
    let p = some_skus(&s, 1, &[])[0].clone();
    stock_bin(&s, &supervisor, &bin, &[(&p, 10)]).await;
    let created = create(
        &s,
        &supervisor,
        "st-one",
        json!({ "scope": "locations", "locations": [bin], "counters": ["warehouse"] }),
    )
    .await;
    let key = text(&created, "number");
    at(&s, &warehouse, &key, &bin, "start", "start", json!({})).await;
    at(
        &s,
        &warehouse,
        &key,
        &bin,
        "count",
        "c",
        json!({ "product": p, "qty": 4 }),
    )
    .await;
    at(&s, &warehouse, &key, &bin, "close", "close", json!({})).await;

    let (_, all) = s
        .get(&supervisor, "/api/v1/stocktakes?state=counting")
        .await;
    let recount = items(&all)
        .iter()
        .find(|st| st["recount_of"] == key.as_str())
        .expect("a recount")
        .clone();
    // The only assigned counter counted first: the recount is open to anyone else.
    assert_eq!(recount["counters"], json!([]), "{recount}");
    let recount_key = text(&recount, "number");
    at(
        &s,
        &second,
        &recount_key,
        &bin,
        "start",
        "r-start",
        json!({}),
    )
    .await;
    at(
        &s,
        &second,
        &recount_key,
        &bin,
        "count",
        "r-c",
        json!({ "product": p, "qty": 9 }),
    )
    .await;
    let done = at(
        &s,
        &second,
        &recount_key,
        &bin,
        "close",
        "r-close",
        json!({}),
    )
    .await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        line(&get(&s, &supervisor, &key).await, &bin, &p)["counted"],
        9
    );
}

/// Adds a user with `role` and signs them in.
async fn signed_in_user(s: &TestServer, username: &str, role: Role) -> String {
    let password = format!("{username}-counts-2024");
    let hash = hash_password(&password, &[9u8; 16]).expect("hash");
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

/// Starts counting a location (the route takes no body).
async fn start_counting(
    s: &TestServer,
    token: &str,
    stocktake: &str,
    code: &str,
    key: &str,
) -> Value {
    let res = s
        .http
        .post(s.url(&format!(
            "/api/v1/stocktakes/{stocktake}/locations/{code}/start"
        )))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .send()
        .await
        .expect("start");
    ok(res).await
}

/// Counts `sku` at `bin` as `token` (starting and closing it), `counted` units.
async fn count_alone(
    s: &TestServer,
    token: &str,
    stocktake: &str,
    bin: &str,
    sku: &str,
    counted: i64,
) -> Value {
    start_counting(s, token, stocktake, bin, &format!("{bin}-start")).await;
    at(
        s,
        token,
        stocktake,
        bin,
        "count",
        &format!("{bin}-count"),
        json!({ "product": sku, "qty": counted, "set": true }),
    )
    .await;
    at(
        s,
        token,
        stocktake,
        bin,
        "close",
        &format!("{bin}-close"),
        json!({}),
    )
    .await
}

async fn approve(
    s: &TestServer,
    token: &str,
    stocktake: &str,
    key: &str,
    body: Value,
) -> reqwest::Response {
    s.post(
        token,
        &format!("/api/v1/stocktakes/{stocktake}/approve"),
        Some(key),
        body,
    )
    .await
}

#[tokio::test]
async fn nobody_approves_their_own_count() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let other_supervisor = signed_in_user(&s, "supervisor2", Role::Supervisor).await;
    let bins = empty_bins(&s);
    let (bin, other_bin) = (bins[0].clone(), bins[1].clone());
    let skus = some_skus(&s, 2, &[]);
    let (p, q) = (skus[0].as_str(), skus[1].as_str());
    stock_bin(&s, &supervisor, &bin, &[(p, 6)]).await;
    stock_bin(&s, &supervisor, &other_bin, &[(q, 4)]).await;
    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [bin, other_bin],
                "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");

    // The supervisor counts one bin of the blind count: while counting it, not even a
    // supervisor sees what the ledger expects there.
    start_counting(&s, &supervisor, &key, &bin, "sup-start").await;
    let counting = get(&s, &supervisor, &key).await;
    assert!(
        counting["ledger"]
            .as_array()
            .expect("ledger")
            .iter()
            .all(|l| l["location"] != bin.as_str()),
        "{counting}"
    );
    assert!(
        counting["ledger"]
            .as_array()
            .expect("ledger")
            .iter()
            .any(|l| l["location"] == other_bin.as_str()),
        "the bin nobody counts yet is shown: {counting}"
    );
    at(
        &s,
        &supervisor,
        &key,
        &bin,
        "count",
        "sup-count",
        json!({ "product": p, "qty": 8, "set": true }),
    )
    .await;
    let closed = at(&s, &supervisor, &key, &bin, "close", "sup-close", json!({})).await;
    assert_eq!(line(&closed, &bin, p)["expected"], 6, "closed: shown again");
    // The warehouse counts the other.
    let warehouse = s.token("warehouse").await;
    count_alone(&s, &warehouse, &key, &other_bin, q, 3).await;
    assert_eq!(get(&s, &supervisor, &key).await["state"], "review");

    // The counter may not approve their own line, named or among all.
    for (idem, body) in [
        (
            "own-line",
            json!({ "lines": [{ "location": bin, "sku": p }] }),
        ),
        ("own-all", json!({})),
        (
            "own-with-reason",
            json!({ "lines": [{ "location": bin, "sku": p }], "reason": "I am sure" }),
        ),
    ] {
        let res = approve(&s, &supervisor, &key, idem, body).await;
        let problem = expect_problem(res, 403, "/problems/second-person-required").await;
        let detail = text(&problem, "detail");
        assert!(
            detail.contains(p) && detail.contains(&bin) && detail.contains("you counted it"),
            "{detail}"
        );
        assert!(detail.contains("supervisor2"), "says whom to ask: {detail}");
    }
    assert_eq!(balance(&s, p, &bin), (6, 0), "nothing changed");
    assert_eq!(balance(&s, q, &other_bin), (4, 0), "nothing changed");
    assert!(count_movements(&s, &key).is_empty());

    // What someone else counted, the supervisor approves.
    let approved = ok(approve(
        &s,
        &supervisor,
        &key,
        "others",
        json!({ "lines": [{ "location": other_bin, "sku": q }] }),
    )
    .await)
    .await;
    assert_eq!(line(&approved, &other_bin, q)["state"], "approved");
    assert_eq!(balance(&s, q, &other_bin), (3, 0));

    // Another supervisor approves the first one's count.
    let approved = ok(approve(&s, &other_supervisor, &key, "second", json!({})).await).await;
    assert_eq!(line(&approved, &bin, p)["state"], "approved");
    assert_eq!(line(&approved, &bin, p)["reviewed_by"], "supervisor2");
    assert_eq!(approved["state"], "done");
    assert_eq!(balance(&s, p, &bin), (8, 0));
    assert_eq!(count_movements(&s, &key).len(), 2);
    let (_, log) = s
        .get(&s.token("auditor").await, "/api/v1/audit?limit=50")
        .await;
    assert!(
        log["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|e| e["action"] != "stocktake.self_approved"),
        "no self-approval: {log}"
    );
    assert_ledger_holds(&s);
}

#[tokio::test]
async fn an_admin_alone_approves_their_own_count_only_with_a_reason_and_it_is_audited() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let bin = empty_bins(&s)[0].clone();
    let p = some_skus(&s, 1, &[])[0].clone();
    stock_bin(&s, &admin, &bin, &[(&p, 6)]).await;
    let created = create(
        &s,
        &admin,
        "st",
        json!({ "scope": "locations", "locations": [bin],
                "tolerance_qty": WIDE.0, "tolerance_value": WIDE.1 }),
    )
    .await;
    let key = text(&created, "number");
    count_alone(&s, &admin, &key, &bin, &p, 5).await;

    // While anyone else may approve counts, the admin may not approve their own, reason
    // or not.
    let res = approve(
        &s,
        &admin,
        &key,
        "early",
        json!({ "reason": "short-staffed" }),
    )
    .await;
    let problem = expect_problem(res, 403, "/problems/second-person-required").await;
    assert!(
        text(&problem, "detail").contains("you counted it"),
        "{problem}"
    );

    // Everyone else who may approve counts is away (disabled).
    let managers: Vec<String> = s
        .store
        .list_users()
        .expect("users")
        .into_iter()
        .filter(|u| {
            u.username != "admin" && !u.disabled && u.role.allows(Permission::StocktakeManage)
        })
        .map(|u| u.username)
        .collect();
    assert!(!managers.is_empty());
    for name in &managers {
        s.store
            .set_user_disabled(name, true, "test", Timestamp::now())
            .expect("disable");
    }

    // Without a reason: refused as its own type, which a console answers by asking for
    // one, not by sending the admin to someone else.
    for (idem, body) in [
        ("no-reason", json!({})),
        ("blank-reason", json!({ "reason": "   " })),
    ] {
        let res = approve(&s, &admin, &key, idem, body).await;
        let problem = expect_problem(res, 403, "/problems/reason-required").await;
        assert!(text(&problem, "detail").contains("reason"), "{problem}");
    }
    // A reason that is no plain text, or too long, is refused as input.
    for (idem, reason) in [
        ("bidi", "\u{202E}night shift".to_string()),
        ("bell", "night\u{7} shift".to_string()),
        ("long", "x".repeat(501)),
    ] {
        let res = approve(&s, &admin, &key, idem, json!({ "reason": reason })).await;
        expect_problem(res, 400, "/problems/invalid-input").await;
    }
    assert_eq!(balance(&s, &p, &bin), (6, 0), "nothing changed");

    let approved = ok(approve(
        &s,
        &admin,
        &key,
        "with-reason",
        json!({ "reason": "Only manager on the night shift" }),
    )
    .await)
    .await;
    assert_eq!(line(&approved, &bin, &p)["state"], "approved");
    assert_eq!(line(&approved, &bin, &p)["reviewed_by"], "admin");
    assert_eq!(balance(&s, &p, &bin), (5, 0));

    let (_, log) = s.get(&admin, "/api/v1/audit?limit=50").await;
    let entries = log["items"].as_array().expect("items");
    let own = entries
        .iter()
        .find(|e| e["action"] == "stocktake.self_approved")
        .unwrap_or_else(|| panic!("no self-approval audited: {log}"));
    assert_eq!(own["actor"], "admin");
    assert_eq!(own["detail"]["number"], key.as_str());
    assert_eq!(own["detail"]["reason"], "Only manager on the night shift");
    assert_eq!(
        own["detail"]["lines"],
        json!([{ "location": bin, "sku": p }])
    );
    assert!(entries.iter().any(|e| e["action"] == "stocktake.approve"));
}

/// Items of a page answer.
fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().expect("items")
}

#[tokio::test]
async fn a_counter_at_a_blind_location_sees_no_on_hand_for_it_until_closed() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let ops = s.token("ops").await;
    // P waits in its bin X for an order; a few more units of it are in bin Y.
    let (p, x) = single_bin_product(&s, 5, &[]);
    place(&s, &ops, "blind-1", &[(&p, 2)]).await;
    let list = ok(s
        .post(&ops, "/api/v1/pick-lists/claim", Some("claim"), json!({}))
        .await)
    .await;
    assert_eq!(list["lines"][0]["location"], x.as_str());
    let list_number = text(&list, "number");
    let y = empty_bins(&s)[0].clone();
    stock_bin(&s, &supervisor, &y, &[(&p, 3)]).await;

    let created = create(
        &s,
        &supervisor,
        "st",
        json!({ "scope": "locations", "locations": [x], "counters": ["warehouse"] }),
    )
    .await;
    let key = text(&created, "number");
    let mark = s.store.last_event_id().expect("events");
    let stock_at_x = format!("/api/v1/stock?location={x}");
    let (_, before) = s.get(&warehouse, &stock_at_x).await;
    assert!(!items(&before).is_empty(), "shown before counting starts");

    start_counting(&s, &warehouse, &key, &x, "start").await;
    let total = |rows: &std::collections::BTreeMap<String, (i64, i64)>, with_x: bool| {
        rows.iter()
            .filter(|(code, _)| with_x || **code != x)
            .fold((0, 0), |(h, r), (_, (on_hand, reserved))| {
                (h + on_hand, r + reserved)
            })
    };
    let held = balances(&s, &p);
    assert!(held.contains_key(&x) && held.contains_key(&y));

    // Stock per location, per product, and as a list.
    let (status, at_x) = s.get(&warehouse, &stock_at_x).await;
    assert_eq!(status, 200);
    assert!(items(&at_x).is_empty(), "{at_x}");
    let (_, of_p) = s.get(&warehouse, &format!("/api/v1/stock?sku={p}")).await;
    assert!(
        items(&of_p).iter().all(|l| l["location"] != x.as_str()),
        "{of_p}"
    );
    assert!(
        items(&of_p).iter().any(|l| l["location"] == y.as_str()),
        "{of_p}"
    );
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/stock?limit=100&cursor={}", common::query_value(c)),
            None => "/api/v1/stock?limit=100".to_string(),
        };
        let (status, page) = s.get(&warehouse, &path).await;
        assert_eq!(status, 200, "{page}");
        assert!(
            items(&page).iter().all(|l| l["location"] != x.as_str()),
            "{page}"
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    // The product: no line at X, totals without it.
    let (without_x, reserved_without_x) = total(&held, false);
    let (_, detail) = s.get(&warehouse, &format!("/api/v1/products/{p}")).await;
    assert!(
        detail["stock"]
            .as_array()
            .expect("stock")
            .iter()
            .all(|l| l["location"] != x.as_str()),
        "{detail}"
    );
    assert_eq!(detail["product"]["on_hand"], without_x, "{detail}");
    assert_eq!(
        detail["product"]["available"],
        without_x - reserved_without_x
    );
    let (_, found) = s.get(&warehouse, &format!("/api/v1/products?q={p}")).await;
    let listed = items(&found)
        .iter()
        .find(|i| i["sku"] == p.as_str())
        .expect("listed");
    assert_eq!(listed["on_hand"], without_x, "{found}");
    // Movements: none into or out of X.
    let (_, moved) = s
        .get(&warehouse, &format!("/api/v1/stock/movements?location={x}"))
        .await;
    assert!(items(&moved).is_empty(), "{moved}");
    let (_, moved) = s
        .get(&warehouse, &format!("/api/v1/stock/movements?product={p}"))
        .await;
    assert!(!items(&moved).is_empty(), "Y's movements are shown");
    assert!(
        items(&moved)
            .iter()
            .all(|m| m["from"] != x.as_str() && m["to"] != x.as_str()),
        "{moved}"
    );
    // The catalogue feed carries no stock figures at all.
    let (status, feed) = s
        .get(&warehouse, "/api/v1/catalog/changes?limit=5000")
        .await;
    assert_eq!(status, 200);
    assert!(
        !feed.to_string().contains("on_hand"),
        "the feed has stock figures"
    );
    // The stocktake itself, blind as ever.
    assert_blind(&get(&s, &warehouse, &key).await);
    // Others, who are not counting X, see it all.
    let (_, seen) = s.get(&supervisor, &stock_at_x).await;
    assert!(!items(&seen).is_empty());
    let (_, detail_sup) = s.get(&supervisor, &format!("/api/v1/products/{p}")).await;
    assert_eq!(detail_sup["product"]["on_hand"], total(&held, true).0);

    // The picker finds X short: the event names X and what was missing.
    let shorted = ok(s
        .post(
            &ops,
            &format!("/api/v1/pick-lists/{list_number}/lines/1/short"),
            Some("short"),
            json!({ "picked": 0, "reason": "short" }),
        )
        .await)
    .await;
    assert_eq!(shorted["lines"][0]["state"], "short", "{shorted}");
    // A later event everyone here hears, to read up to.
    create(
        &s,
        &supervisor,
        "st-later",
        json!({ "scope": "locations", "locations": [y] }),
    )
    .await;
    let short_at_x = |events: &[(String, Value)]| {
        events
            .iter()
            .any(|(kind, data)| kind == "pick.short" && data["payload"]["location"] == x.as_str())
    };
    assert!(
        short_at_x(&heard_until_a_new_count(&s, &supervisor, mark).await),
        "the event exists"
    );
    let counter_heard = heard_until_a_new_count(&s, &warehouse, mark).await;
    assert!(!short_at_x(&counter_heard), "{counter_heard:?}");
    assert!(
        counter_heard
            .iter()
            .all(|(_, d)| d["payload"]["location"] != x.as_str()),
        "{counter_heard:?}"
    );

    // Closed: the counter sees X again, everywhere.
    at(
        &s,
        &warehouse,
        &key,
        &x,
        "count",
        "count",
        json!({ "product": p, "qty": 1, "set": true }),
    )
    .await;
    at(&s, &warehouse, &key, &x, "close", "close", json!({})).await;
    let held = balances(&s, &p);
    let (_, at_x) = s.get(&warehouse, &stock_at_x).await;
    assert!(
        items(&at_x).iter().any(|l| l["sku"] == p.as_str()),
        "{at_x}"
    );
    let (_, detail) = s.get(&warehouse, &format!("/api/v1/products/{p}")).await;
    assert_eq!(
        detail["product"]["on_hand"],
        total(&held, true).0,
        "{detail}"
    );
    assert!(
        detail["stock"]
            .as_array()
            .expect("stock")
            .iter()
            .any(|l| l["location"] == x.as_str()),
        "{detail}"
    );
    let (_, moved) = s
        .get(&warehouse, &format!("/api/v1/stock/movements?location={x}"))
        .await;
    assert!(!items(&moved).is_empty(), "{moved}");
    assert!(
        short_at_x(&heard_until_a_new_count(&s, &warehouse, mark).await),
        "heard once closed"
    );
}

/// The events after `mark` a user hears, up to the next stocktake planned.
async fn heard_until_a_new_count(s: &TestServer, token: &str, mark: i64) -> Vec<(String, Value)> {
    let mut stream = EventStream::open(s, token, mark).await;
    let mut heard = Vec::new();
    while let Some((kind, data)) = stream.next().await {
        if kind == "stocktake.created" {
            return heard;
        }
        heard.push((kind, data));
    }
    panic!("the stream ended before the stocktake planned last: {heard:?}")
}

#[tokio::test]
async fn a_blind_counter_moves_no_stock_where_they_count_and_is_not_told_its_figure() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let supervisor = s.token("supervisor").await;
    let (p, x) = single_bin_product(&s, 5, &[]);
    let y = empty_bins(&s)[0].clone();
    let created = create(
        &s,
        &supervisor,
        "st-move",
        json!({ "scope": "locations", "locations": [x], "counters": ["supervisor"] }),
    )
    .await;
    let key = text(&created, "number");
    start_counting(&s, &supervisor, &key, &x, "start-move").await;
    let before = balances(&s, &p);
    for (path, body) in [
        (
            "/api/v1/stock/moves",
            json!({ "product": p, "from": x, "to": y, "qty": 9999 }),
        ),
        (
            "/api/v1/stock/moves",
            json!({ "product": p, "from": y, "to": x, "qty": 1 }),
        ),
        (
            "/api/v1/stock/adjustments",
            json!({ "product": p, "location": x, "delta": -9999, "reason": "lost" }),
        ),
    ] {
        let res = s
            .post(
                &supervisor,
                path,
                Some(&uuid::Uuid::now_v7().to_string()),
                body,
            )
            .await;
        let problem = common::expect_problem(res, 409, "/problems/conflict").await;
        let said = problem["detail"].as_str().expect("detail");
        assert!(said.contains("counting") && said.contains(&x), "{said}");
        assert!(!said.contains(" has "), "no figure: {said}");
    }
    assert_eq!(balances(&s, &p), before, "nothing moved");
}

#[tokio::test]
async fn stocktakes_page_through_every_count_once() {
    let s = TestServer::start().await;
    let supervisor = s.token("supervisor").await;
    let warehouse = s.token("warehouse").await;
    let p = some_skus(&s, 1, &[])[0].clone();
    let mut planned = Vec::new();
    for (n, bin) in empty_bins(&s).into_iter().take(5).enumerate() {
        stock_bin(&s, &supervisor, &bin, &[(&p, 2)]).await;
        let created = create(
            &s,
            &supervisor,
            &format!("paged-{n}"),
            json!({ "scope": "locations", "locations": [bin], "counters": ["warehouse"] }),
        )
        .await;
        planned.push(text(&created, "number"));
    }
    assert_eq!(planned.len(), 5);
    let all = s
        .pages_through(&supervisor, "/api/v1/stocktakes", "number", 2, 5)
        .await;
    let mine = s
        .pages_through(
            &warehouse,
            "/api/v1/stocktakes?mine=true&state=counting",
            "number",
            2,
            5,
        )
        .await;
    for st in &planned {
        assert!(all.iter().any(|c| c["number"] == st.as_str()), "{st}");
        assert!(mine.iter().any(|c| c["number"] == st.as_str()), "{st}");
    }
    let newest_first: Vec<&str> = all
        .iter()
        .take(5)
        .map(|c| c["number"].as_str().expect("number"))
        .collect();
    let mut expected: Vec<&str> = planned.iter().map(String::as_str).collect();
    expected.reverse();
    assert_eq!(newest_first, expected);
}
