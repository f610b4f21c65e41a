//! Pick lists over real HTTP: claiming, the walk, confirmations once, short picks with and
//! without stock elsewhere.

mod common;

use std::collections::{BTreeMap, HashSet};

use backroom::domain::location::BinCode;
use backroom::domain::picking::WalkKey;
use backroom::store::StockFilter;
use common::{TestServer, expect_problem, items, ok};
use serde_json::{Value, json};

/// Puts the sample shop's waiting orders on hold, so lists hold only this test's orders.
/// Free stock per bin of each product that is not lot-tracked (lots are tested apart).
fn free_bins(s: &TestServer) -> BTreeMap<String, Vec<(String, i64)>> {
    let mut bins: BTreeMap<String, Vec<(String, i64)>> = BTreeMap::new();
    let rows = s
        .store
        .stock_levels(&StockFilter {
            limit: 100_000,
            ..StockFilter::default()
        })
        .expect("stock");
    for row in rows {
        if BinCode::parse(&row.location).is_ok()
            && row.on_hand > row.reserved
            && !row.sku.starts_with("TEA")
        {
            bins.entry(row.sku)
                .or_default()
                .push((row.location, row.on_hand - row.reserved));
        }
    }
    bins
}

/// A product held in exactly `n` bins, each with at least 2 free.
fn sku_in_bins(s: &TestServer, n: usize) -> String {
    free_bins(s)
        .into_iter()
        .find(|(_, bins)| bins.len() == n && bins.iter().all(|(_, free)| *free >= 2))
        .map(|(sku, _)| sku)
        .unwrap_or_else(|| panic!("no product in exactly {n} bins"))
}

async fn place(s: &TestServer, token: &str, label: &str, lines: &[(&str, i64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, qty)| {
            let price = s
                .store
                .product_with_stock(sku)
                .expect("store")
                .expect("product")
                .0
                .price
                .minor;
            json!({ "sku": sku, "qty": qty, "unit_price_minor": price })
        })
        .collect();
    let body = json!({
        "channel": "web", "channel_order_no": label,
        "customer": { "name": "Hugo Meyer", "email": format!("hugo.{label}@example.com"), "phone": null },
        "ship_to": { "name": "Hugo Meyer", "line1": "Rue Oberkampf 9", "line2": null, "city": "Paris",
                     "postal_code": "75011", "region": null, "country": "FR" },
        "payment_method": "card", "currency": "EUR", "lines": lines
    });
    let res = s
        .http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(token)
        .header("idempotency-key", format!("key-{label}"))
        .json(&body)
        .send()
        .await
        .expect("order");
    assert_eq!(res.status(), 201, "placing {label}");
    let order: Value = res.json().await.expect("body");
    assert_eq!(order["order"]["status"], "ready_to_pick", "{order}");
    order
}

async fn claim(s: &TestServer, token: &str, body: Value) -> Value {
    let res = s.post(token, "/api/v1/pick-lists/claim", None, body).await;
    assert_eq!(res.status(), 200);
    res.json().await.expect("list")
}

fn line(list: &Value, seq: i64) -> &Value {
    list["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["seq"] == seq)
        .expect("line")
}

fn free_at(s: &TestServer, sku: &str, location: &str) -> (i64, i64) {
    let (_, rows) = s
        .store
        .product_with_stock(sku)
        .expect("store")
        .expect("sku");
    rows.iter()
        .find(|r| r.location == location)
        .map(|r| (r.on_hand, r.reserved))
        .unwrap_or((0, 0))
}

#[tokio::test]
async fn two_pickers_never_claim_the_same_list() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let sku = sku_in_bins(&s, 1);
    place(&s, &ops, "a", &[(&sku, 1)]).await;
    place(&s, &ops, "b", &[(&sku, 1)]).await;
    let warehouse = s.token("warehouse").await;
    let (one, two) = tokio::join!(claim(&s, &warehouse, json!({})), claim(&s, &ops, json!({})));
    assert_ne!(one["id"], two["id"]);
    let orders: HashSet<&Value> = [&one, &two]
        .iter()
        .flat_map(|l| l["orders"].as_array().expect("orders"))
        .map(|o| &o["id"])
        .collect();
    assert_eq!(orders.len(), 2, "each order on one list only");
    for list in [&one, &two] {
        assert_eq!(list["state"], "claimed");
        assert_eq!(list["orders"][0]["status"], "picking");
    }
    // Asking again gives the picker the list they hold.
    let again = claim(&s, &warehouse, json!({})).await;
    assert_eq!(again["id"], one["id"]);
    // So does reading it (what a console shows on start, from its cache when offline).
    let (status, held) = s
        .get(&warehouse, "/api/v1/pick-lists?state=claimed&mine=true")
        .await;
    assert_eq!(status, 200);
    let held = items(&held);
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!(held[0]["id"], one["id"]);
    let (_, all) = s.get(&warehouse, "/api/v1/pick-lists?state=claimed").await;
    assert_eq!(items(&all).len(), 2);
    // Nothing left for a third picker.
    let admin = s.token("admin").await;
    let res = s
        .post(&admin, "/api/v1/pick-lists/claim", None, json!({}))
        .await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("no orders are waiting"),
        "{problem}"
    );
}

#[tokio::test]
async fn batch_lists_follow_the_walk_within_their_caps() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let skus: Vec<String> = free_bins(&s).into_keys().take(6).collect();
    place(&s, &ops, "a", &[(&skus[0], 1), (&skus[1], 1)]).await;
    place(&s, &ops, "b", &[(&skus[2], 1), (&skus[3], 1)]).await;
    place(&s, &ops, "c", &[(&skus[4], 1), (&skus[5], 1)]).await;
    let res = s
        .post(
            &ops,
            "/api/v1/pick-lists",
            None,
            json!({ "mode": "batch", "max_orders": 2, "max_lines": 40 }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let list: Value = res.json().await.expect("list");
    assert_eq!(list["state"], "open");
    assert_eq!(list["mode"], "batch");
    let orders = list["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 2);
    assert_eq!(orders[0]["slot"], 1);
    assert_eq!(orders[1]["slot"], 2);
    let locations: Vec<&str> = list["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| l["location"].as_str().expect("location"))
        .collect();
    assert_eq!(locations.len(), 4);
    let mut walked = locations.clone();
    walked.sort_by_key(|c| WalkKey::of(c));
    assert_eq!(locations, walked, "lines in walk order");
    // The planned list is the one a picker gets; the third order waits for the next.
    let warehouse = s.token("warehouse").await;
    let claimed = claim(&s, &warehouse, json!({ "mode": "batch" })).await;
    assert_eq!(claimed["id"], list["id"]);
    let next = claim(&s, &ops, json!({})).await;
    assert_eq!(next["orders"].as_array().expect("orders").len(), 1);

    let res = s
        .post(
            &ops,
            "/api/v1/pick-lists",
            None,
            json!({ "mode": "zigzag" }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = s
        .post(&ops, "/api/v1/pick-lists", None, json!({ "max_orders": 0 }))
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
}

#[tokio::test]
async fn a_confirmation_sent_twice_is_applied_once() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let sku = sku_in_bins(&s, 1);
    place(&s, &ops, "a", &[(&sku, 2)]).await;
    let warehouse = s.token("warehouse").await;
    let list = claim(&s, &warehouse, json!({})).await;
    let number = list["number"].as_str().expect("number").to_string();
    let path = format!("/api/v1/pick-lists/{number}/lines/1/pick");

    let first = ok(s
        .post(&warehouse, &path, Some("m-1"), json!({ "picked": 1 }))
        .await)
    .await;
    assert_eq!(line(&first, 1)["picked"], 1);
    assert_eq!(
        line(&first, 1)["state"],
        "open",
        "progress is kept per line"
    );
    let replay = ok(s
        .post(&warehouse, &path, Some("m-1"), json!({ "picked": 1 }))
        .await)
    .await;
    assert_eq!(first, replay);
    let done = ok(s
        .post(&warehouse, &path, Some("m-2"), json!({ "picked": 2 }))
        .await)
    .await;
    assert_eq!(line(&done, 1)["state"], "picked");
    // The same key with another body is a client bug, not a retry.
    let res = s
        .post(&warehouse, &path, Some("m-2"), json!({ "picked": 1 }))
        .await;
    expect_problem(res, 422, "/problems/idempotency-key-reused").await;
    // Only the picker who holds the list confirms on it.
    let res = s
        .post(&ops, &path, Some("m-3"), json!({ "picked": 2 }))
        .await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("warehouse")
    );
    // More than the line wants, or no key at all, is refused.
    let res = s
        .post(&warehouse, &path, Some("m-4"), json!({ "picked": 3 }))
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = s
        .post(&warehouse, &path, None, json!({ "picked": 2 }))
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;

    let finish = format!("/api/v1/pick-lists/{number}/finish");
    let finished = ok(s.post(&warehouse, &finish, Some("m-5"), json!({})).await).await;
    assert_eq!(finished["state"], "done");
    let again = ok(s.post(&warehouse, &finish, Some("m-5"), json!({})).await).await;
    assert_eq!(finished, again);
    assert_eq!(
        finished["orders"][0]["status"], "picking",
        "waits for packing"
    );
}

#[tokio::test]
async fn a_short_pick_takes_the_rest_from_another_bin() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let sku = sku_in_bins(&s, 2);
    place(&s, &ops, "a", &[(&sku, 2)]).await;
    let warehouse = s.token("warehouse").await;
    let list = claim(&s, &warehouse, json!({})).await;
    let number = list["number"].as_str().expect("number").to_string();
    assert_eq!(list["lines"].as_array().expect("lines").len(), 1);
    let empty_bin = line(&list, 1)["location"]
        .as_str()
        .expect("bin")
        .to_string();
    let before = free_at(&s, &sku, &empty_bin);

    let path = format!("/api/v1/pick-lists/{number}/lines/1/short");
    let after = ok(s
        .post(
            &warehouse,
            &path,
            Some("s-1"),
            json!({ "picked": 0, "reason": "empty" }),
        )
        .await)
    .await;
    assert_eq!(line(&after, 1)["state"], "short");
    assert_eq!(line(&after, 1)["short"], 2);
    let extra = line(&after, 2);
    assert_eq!(extra["qty"], 2);
    assert_eq!(extra["state"], "open");
    assert_ne!(extra["location"], empty_bin.as_str());
    // What was not there is written off and no longer reserved there.
    assert_eq!(free_at(&s, &sku, &empty_bin), (before.0 - 2, before.1 - 2));
    // Sent again: the same answer, no second write-off.
    let replay = ok(s
        .post(
            &warehouse,
            &path,
            Some("s-1"),
            json!({ "picked": 0, "reason": "empty" }),
        )
        .await)
    .await;
    assert_eq!(after, replay);
    assert_eq!(free_at(&s, &sku, &empty_bin), (before.0 - 2, before.1 - 2));

    let finish = format!("/api/v1/pick-lists/{number}/finish");
    let res = s.post(&warehouse, &finish, Some("f-1"), json!({})).await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("still has lines to pick: 2")
    );
    let pick = format!("/api/v1/pick-lists/{number}/lines/2/pick");
    ok(
        s.post(&warehouse, &pick, Some("p-2"), json!({ "picked": 2 }))
            .await,
    )
    .await;
    let done = ok(s.post(&warehouse, &finish, Some("f-2"), json!({})).await).await;
    assert_eq!(
        done["orders"][0]["status"], "picking",
        "complete, on to packing"
    );
}

#[tokio::test]
async fn a_short_pick_with_no_stock_elsewhere_sends_the_order_to_ops() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let sku = sku_in_bins(&s, 1);
    let order = place(&s, &ops, "a", &[(&sku, 2)]).await;
    let warehouse = s.token("warehouse").await;
    let list = claim(&s, &warehouse, json!({})).await;
    let number = list["number"].as_str().expect("number").to_string();
    let path = format!("/api/v1/pick-lists/{number}/lines/1/short");
    let res = s
        .post(
            &warehouse,
            &path,
            Some("s-0"),
            json!({ "picked": 2, "reason": "short" }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = s
        .post(
            &warehouse,
            &path,
            Some("s-x"),
            json!({ "picked": 1, "reason": "lost" }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let after = ok(s
        .post(
            &warehouse,
            &path,
            Some("s-1"),
            json!({ "picked": 1, "reason": "short" }),
        )
        .await)
    .await;
    assert_eq!(
        after["lines"].as_array().expect("lines").len(),
        1,
        "no other bin"
    );
    let finish = format!("/api/v1/pick-lists/{number}/finish");
    let done = ok(s.post(&warehouse, &finish, Some("f-1"), json!({})).await).await;
    assert_eq!(done["orders"][0]["status"], "hold");
    let key = order["order"]["number"].as_str().expect("number");
    let (_, detail) = s.get(&ops, &format!("/api/v1/orders/{key}")).await;
    let last = detail["history"]
        .as_array()
        .expect("history")
        .last()
        .expect("change")
        .clone();
    assert_eq!(last["to"], "hold");
    assert!(
        last["reason"]
            .as_str()
            .expect("reason")
            .contains(&format!("{sku} short by 1")),
        "{last}"
    );
    assert_eq!(detail["lines"][0]["backordered"], 1);
    assert!(
        detail["routing"]["flags"]
            .as_array()
            .expect("flags")
            .contains(&json!("short_pick"))
    );
}

#[tokio::test]
async fn an_order_cancelled_while_picking_is_not_picked_further() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let sku = sku_in_bins(&s, 1);
    let order = place(&s, &ops, "a", &[(&sku, 1)]).await;
    let warehouse = s.token("warehouse").await;
    let list = claim(&s, &warehouse, json!({})).await;
    let number = list["number"].as_str().expect("number").to_string();
    let key = order["order"]["number"].as_str().expect("number");
    let res = s
        .post(
            &ops,
            &format!("/api/v1/orders/{key}/status"),
            None,
            json!({ "status": "cancelled", "reason": "customer changed their mind" }),
        )
        .await;
    assert_eq!(res.status(), 200);
    let path = format!("/api/v1/pick-lists/{number}/lines/1/pick");
    let res = s
        .post(&warehouse, &path, Some("p-1"), json!({ "picked": 1 }))
        .await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("put its items back"),
        "{problem}"
    );
    // The list can still be closed: nothing is left to pick for orders still picking.
    let finish = format!("/api/v1/pick-lists/{number}/finish");
    ok(s.post(&warehouse, &finish, Some("f-1"), json!({})).await).await;
}

#[tokio::test]
async fn lot_tracked_products_are_confirmed_with_their_lots() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    place(&s, &ops, "a", &[("TEA-1001", 2)]).await;
    let warehouse = s.token("warehouse").await;
    let list = claim(&s, &warehouse, json!({})).await;
    assert_eq!(line(&list, 1)["lot_tracked"], true);
    let number = list["number"].as_str().expect("number").to_string();
    let path = format!("/api/v1/pick-lists/{number}/lines/1/pick");
    let res = s
        .post(&warehouse, &path, Some("p-1"), json!({ "picked": 2 }))
        .await;
    let problem = expect_problem(res, 400, "/problems/invalid-input").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("lot-tracked")
    );
    let res = s
        .post(
            &warehouse,
            &path,
            Some("p-2"),
            json!({ "picked": 2, "lots": [{ "lot": "B1", "expiry": "2027-02-30", "qty": 2 }] }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let done = ok(s
        .post(
            &warehouse,
            &path,
            Some("p-3"),
            json!({ "picked": 2, "lots": [
        { "lot": "B1", "expiry": "2027-03-31", "qty": 1 }, { "lot": "B2", "qty": 1 }
    ] }),
        )
        .await)
    .await;
    assert_eq!(line(&done, 1)["state"], "picked");
    assert_eq!(line(&done, 1)["lots"][1]["lot"], "B2");
}

#[tokio::test]
async fn pick_lists_page_through_every_list_once() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let skus: Vec<String> = free_bins(&s).into_keys().take(5).collect();
    let mut planned = Vec::new();
    for (n, sku) in skus.iter().enumerate() {
        place(&s, &ops, &format!("paged-{n}"), &[(sku, 1)]).await;
        let res = s
            .post(
                &ops,
                "/api/v1/pick-lists",
                None,
                json!({ "mode": "batch", "max_orders": 1, "max_lines": 40 }),
            )
            .await;
        assert_eq!(res.status(), 201);
        let list: Value = res.json().await.expect("list");
        planned.push(list["number"].as_str().expect("number").to_string());
    }
    let lists = s
        .pages_through(&ops, "/api/v1/pick-lists?state=open", "number", 2, 5)
        .await;
    let numbers: Vec<&str> = lists
        .iter()
        .map(|l| l["number"].as_str().expect("number"))
        .collect();
    assert_eq!(numbers, planned, "oldest first");
}
