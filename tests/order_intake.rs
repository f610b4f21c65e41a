//! Order intake and status changes over real HTTP: idempotency, validation, reservation
//! under concurrency, routing, and the lifecycle with stock following it.

mod common;

use common::{TestServer, expect_problem};
use serde_json::{Value, json};

fn order(sku: &str, qty: i64, price: i64, channel_no: &str) -> Value {
    json!({
        "channel": "web",
        "channel_order_no": channel_no,
        "customer": { "name": "Lena Weber", "email": format!("lena.{channel_no}@example.com"), "phone": "+49 151 1234567" },
        "ship_to": { "name": "Lena Weber", "line1": "Invalidenstraße 12", "line2": null, "city": "Berlin",
                     "postal_code": "10115", "region": null, "country": "DE" },
        "payment_method": "card",
        "currency": "EUR",
        "lines": [{ "sku": sku, "qty": qty, "unit_price_minor": price }]
    })
}

async fn post(s: &TestServer, token: &str, key: &str, body: &Value) -> reqwest::Response {
    s.http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A product with a known price and exactly `units` available in one bin.
fn product_with_stock(s: &TestServer, units: i64) -> (String, i64) {
    let db = s.store.path().to_path_buf();
    let conn = rusqlite::Connection::open(db).unwrap();
    let (id, sku, price): (String, String, i64) = conn
        .query_row(
            "SELECT id, sku, price_minor FROM products WHERE sku = 'KIT-1001'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    conn.execute(
        "UPDATE stock_balances SET on_hand = reserved WHERE product_id = ?1",
        [&id],
    )
    .unwrap();
    conn.execute(
        "UPDATE stock_balances SET on_hand = reserved + ?2 WHERE product_id = ?1
         AND location_id = (SELECT min(location_id) FROM stock_balances b JOIN locations l ON l.id = b.location_id
                            WHERE b.product_id = ?1 AND l.kind = 'bin')",
        rusqlite::params![id, units],
    )
    .unwrap();
    (sku, price)
}

fn available(s: &TestServer, sku: &str) -> i64 {
    let (product, _) = s.store.product_with_stock(sku).unwrap().unwrap();
    product.on_hand - product.reserved
}

#[tokio::test]
async fn same_key_same_body_is_one_order_and_other_body_is_refused() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    let before = s.store.order_count().unwrap();
    let body = order(
        "TEA-1001",
        1,
        s.store
            .product_with_stock("TEA-1001")
            .unwrap()
            .unwrap()
            .0
            .price
            .minor,
        "W-1",
    );
    let first = post(&s, &token, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = post(&s, &token, "key-1", &body).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(s.store.order_count().unwrap(), before + 1);

    let mut other = body.clone();
    other["lines"][0]["qty"] = json!(2);
    let res = post(&s, &token, "key-1", &other).await;
    expect_problem(res, 422, "/problems/idempotency-key-reused").await;
    assert_eq!(s.store.order_count().unwrap(), before + 1);

    // The same channel order again under a new key is recognised, not stored twice.
    let res = post(&s, &token, "key-2", &body).await;
    assert_eq!(res.status(), 200);
    let dup: Value = res.json().await.unwrap();
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["order"]["number"], first["order"]["number"]);
    assert_eq!(s.store.order_count().unwrap(), before + 1);
}

#[tokio::test]
async fn a_missing_key_or_bad_order_is_refused_with_every_reason_and_stores_nothing() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    let before = s.store.order_count().unwrap();
    let res = s
        .http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(&token)
        .json(&order("TEA-1001", 1, 100, "W-2"))
        .send()
        .await
        .unwrap();
    expect_problem(res, 400, "/problems/invalid-input").await;

    let mut bad = order("TEA-1001", 0, 100, "W-3");
    bad["lines"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "sku": "NOPE-1", "qty": 1, "unit_price_minor": 100 }));
    bad["customer"]["email"] = json!("not-an-email");
    let res = post(&s, &token, "k-bad", &bad).await;
    let problem = expect_problem(res, 422, "/problems/order-refused").await;
    let errors: Vec<String> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.starts_with("line 1: quantity")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e == "line 2: unknown SKU \"NOPE-1\""),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.contains("not an e-mail")),
        "{errors:?}"
    );

    let res = post(&s, &token, "k-json", &json!({ "channel": "web" })).await;
    expect_problem(res, 400, "/problems/malformed-body").await;
    assert_eq!(s.store.order_count().unwrap(), before);

    // A refused order did not use up its key: fixing it and retrying with the key works.
    let res = post(&s, &token, "k-bad", &order("TEA-1001", 1, 100, "W-3")).await;
    assert_ne!(res.status(), 422);
}

#[tokio::test]
async fn fifty_clients_racing_for_twenty_units_reserve_exactly_twenty() {
    let s = TestServer::start().await;
    let token = s.token("integration").await;
    let (sku, price) = product_with_stock(&s, 20);
    let mut tasks = Vec::new();
    for i in 0..50 {
        let http = s.http.clone();
        let url = s.url("/api/v1/orders");
        let token = token.clone();
        let body = order(&sku, 1, price, &format!("RACE-{i}"));
        tasks.push(tokio::spawn(async move {
            let res = http
                .post(url)
                .bearer_auth(token)
                .header("idempotency-key", format!("race-{i}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()
        }));
    }
    let mut routed = 0;
    let mut held = 0;
    for t in tasks {
        let placed = t.await.unwrap();
        match placed["order"]["status"].as_str().unwrap() {
            "ready_to_pick" => {
                routed += 1;
                assert_eq!(placed["lines"][0]["backordered"], 0);
                // A storefront is not told which bins hold its units.
                assert!(placed["lines"][0].get("pick_from").is_none(), "{placed}");
            }
            // Told that it waits, not why (ops reads the `stock_short` flag).
            "hold" => held += 1,
            other => panic!("unexpected status {other}: {placed}"),
        }
    }
    assert_eq!((routed, held), (20, 30));
    assert_eq!(available(&s, &sku), 0);
}

#[tokio::test]
async fn routing_sends_price_mismatches_to_cs_and_explains_why() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    let (sku, price) = product_with_stock(&s, 5);
    let res = post(&s, &token, "cheap", &order(&sku, 1, price / 2, "W-CHEAP")).await;
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.unwrap();
    assert_eq!(placed["order"]["status"], "cs_review");
    assert_eq!(placed["order"]["queue"], "cs_review");
    assert_eq!(placed["routing"]["rule"], "price differs from catalogue");
    assert!(
        placed["routing"]["why"]
            .as_str()
            .unwrap()
            .contains("flag price_mismatch"),
        "{placed}"
    );
    assert!(placed["order"]["ship_by"].is_string());
    // Validated orders still hold their stock while CS looks.
    assert_eq!(available(&s, &sku), 4);
    let statuses: Vec<&str> = placed["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["received", "reserved", "cs_review"]);
}

#[tokio::test]
async fn the_intake_table_sets_tolerance_stock_policy_and_cutoffs() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    let (sku, price) = product_with_stock(&s, 3);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.toml");
    let rules = format!(
        "[intake]\nprice_tolerance = \"10%\"\nwhen_short = \"backorder\"\ntimezone = \"UTC\"\nworking_days = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", \"sun\"]\nlast_truck = \"23:59\"\ncutoff = {{ low = \"23:59\", normal = \"23:59\", high = \"23:59\", urgent = \"23:59\" }}\n\n{}",
        backroom::domain::routing::DEFAULT_RULES
            .split_once("[[rule]]")
            .map(|(_, rest)| format!("[[rule]]{rest}"))
            .unwrap()
    );
    std::fs::write(&path, rules).unwrap();
    backroom::server::reload_rules(&s.state, &path).unwrap();

    // 5 % under the catalogue price is inside a 10 % tolerance: no CS review.
    let five_off = price - price / 20;
    let res = post(&s, &token, "bo", &order(&sku, 5, five_off, "W-BO")).await;
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.unwrap();
    assert_eq!(placed["order"]["status"], "ready_to_pick", "{placed}");
    assert!(
        placed["routing"]["flags"]
            .as_array()
            .unwrap()
            .contains(&json!("backordered")),
        "{placed}"
    );
    assert_eq!(placed["lines"][0]["backordered"], 2);
    assert_eq!(available(&s, &sku), 0);
    // Cut-off at the end of an every-day week: ship-by is today at 23:59 UTC.
    let today = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    assert!(
        placed["order"]["ship_by"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{today}T23:59")),
        "{placed}"
    );

    // An unknown time zone is refused with the file's name, and the rules in force stay.
    std::fs::write(&path, "[intake]\ntimezone = \"Mars/Olympus\"\n[[rule]]\nname = \"x\"\nthen = { queue = \"hold\" }\n").unwrap();
    let err = backroom::server::reload_rules(&s.state, &path).unwrap_err();
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    assert_eq!(s.state.rules().intake.price_tolerance_bp, 1000);
}

async fn set_status(
    s: &TestServer,
    token: &str,
    number: &str,
    status: &str,
    reason: Option<&str>,
) -> reqwest::Response {
    s.http
        .post(s.url(&format!("/api/v1/orders/{number}/status")))
        .bearer_auth(token)
        .json(&json!({ "status": status, "reason": reason }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_lifecycle_moves_stock_and_refuses_illegal_steps() {
    let s = TestServer::start().await;
    let shop = s.token("ops").await;
    let ops = s.token("ops").await;
    let warehouse = s.token("warehouse").await;
    let cs = s.token("cs").await;
    let (sku, price) = product_with_stock(&s, 3);
    let reserved_by_others = s
        .store
        .product_with_stock(&sku)
        .unwrap()
        .unwrap()
        .0
        .reserved;
    let placed: Value = post(&s, &shop, "life", &order(&sku, 2, price, "W-LIFE"))
        .await
        .json()
        .await
        .unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    assert_eq!(placed["order"]["status"], "ready_to_pick");
    assert_eq!(available(&s, &sku), 1);

    // Illegal: straight to delivered. Missing reason: hold.
    expect_problem(
        set_status(&s, &ops, &number, "delivered", None).await,
        409,
        "/problems/illegal-transition",
    )
    .await;
    expect_problem(
        set_status(&s, &ops, &number, "hold", None).await,
        400,
        "/problems/invalid-input",
    )
    .await;
    // Roles: CS may not pick; the warehouse may not cancel.
    expect_problem(
        set_status(&s, &cs, &number, "picking", None).await,
        403,
        "/problems/forbidden",
    )
    .await;
    expect_problem(
        set_status(&s, &warehouse, &number, "cancelled", Some("x")).await,
        403,
        "/problems/forbidden",
    )
    .await;

    for (token, status) in [
        (&warehouse, "picking"),
        (&warehouse, "packed"),
        (&warehouse, "shipped"),
    ] {
        let res = set_status(&s, token, &number, status, None).await;
        assert_eq!(res.status(), 200, "{status}");
    }
    // Shipping took the units out of the bin: on hand fell by 2, nothing stays reserved.
    let (product, stock) = s.store.product_with_stock(&sku).unwrap().unwrap();
    assert_eq!(
        (product.on_hand - product.reserved, product.reserved),
        (1, reserved_by_others)
    );
    assert!(stock.iter().all(|l| l.on_hand >= 0));
    expect_problem(
        set_status(&s, &ops, &number, "cancelled", Some("too late")).await,
        409,
        "/problems/illegal-transition",
    )
    .await;

    // Cancelling gives reserved stock back.
    let second: Value = post(&s, &shop, "life-2", &order(&sku, 1, price, "W-LIFE-2"))
        .await
        .json()
        .await
        .unwrap();
    let second_no = second["order"]["number"].as_str().unwrap().to_string();
    assert_eq!(available(&s, &sku), 0);
    let res = set_status(&s, &cs, &second_no, "cancelled", Some("customer asked")).await;
    assert_eq!(res.status(), 200);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(
        cancelled["history"].as_array().unwrap().last().unwrap()["reason"],
        "customer asked"
    );
    assert_eq!(available(&s, &sku), 1);
}

#[tokio::test]
async fn a_held_order_is_released_only_when_stock_is_there() {
    let s = TestServer::start().await;
    let shop = s.token("ops").await;
    let ops = s.token("ops").await;
    let (sku, price) = product_with_stock(&s, 1);
    let placed: Value = post(&s, &shop, "big", &order(&sku, 3, price, "W-BIG"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(placed["order"]["status"], "hold");
    assert_eq!(placed["routing"]["rule"], "not enough stock");
    assert_eq!(available(&s, &sku), 1, "the hold policy reserves nothing");
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let res = set_status(&s, &ops, &number, "ready_to_pick", None).await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("short by 2"),
        "{problem}"
    );
    assert_eq!(available(&s, &sku), 1, "a refused release reserves nothing");

    // CS may look at it while it waits; that needs no stock.
    let res = set_status(
        &s,
        &ops,
        &number,
        "cs_review",
        Some("call the customer about a partial delivery"),
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(available(&s, &sku), 1);

    product_with_stock(&s, 5);
    let res = set_status(&s, &ops, &number, "ready_to_pick", None).await;
    assert_eq!(res.status(), 200);
    assert_eq!(available(&s, &sku), 2);

    // A change checked against a status the order no longer has is refused, not applied.
    let stale = s.store.change_order_status(
        &number,
        Some(backroom::domain::order::OrderStatus::Picking),
        backroom::domain::order::OrderStatus::ReadyToPick,
        None,
        "warehouse",
        jiff::Timestamp::now(),
    );
    let err = stale.unwrap_err().to_string();
    assert!(err.contains("changed meanwhile"), "{err}");
}

#[tokio::test]
async fn a_status_change_with_a_key_is_applied_once() {
    let s = TestServer::start().await;
    let shop = s.token("ops").await;
    let ops = s.token("ops").await;
    let (sku, price) = product_with_stock(&s, 3);
    let placed: Value = post(&s, &shop, "once", &order(&sku, 1, price, "W-ONCE"))
        .await
        .json()
        .await
        .unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let change = |key: &'static str, status: &'static str| {
        s.http
            .post(s.url(&format!("/api/v1/orders/{number}/status")))
            .bearer_auth(&ops)
            .header("idempotency-key", key)
            .json(&json!({ "status": status, "reason": "waiting for the customer" }))
            .send()
    };
    let first: Value = change("m-1", "hold").await.unwrap().json().await.unwrap();
    let again = change("m-1", "hold").await.unwrap();
    assert_eq!(
        again.status(),
        200,
        "a retried mutation gets the first answer, not a 409"
    );
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let history = s.store.order_detail(&number).unwrap().unwrap().history;
    assert_eq!(history.iter().filter(|h| h.to == "hold").count(), 1);
    expect_problem(
        change("m-1", "cancelled").await.unwrap(),
        422,
        "/problems/idempotency-key-reused",
    )
    .await;
}

#[tokio::test]
async fn the_shipping_note_lists_lines_with_pick_locations() {
    let s = TestServer::start().await;
    let shop = s.token("ops").await;
    let warehouse = s.token("warehouse").await;
    let (sku, price) = product_with_stock(&s, 4);
    let placed: Value = post(&s, &shop, "note", &order(&sku, 2, price, "W-NOTE"))
        .await
        .json()
        .await
        .unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let (_, stored) = s.get(&warehouse, &format!("/api/v1/orders/{number}")).await;
    let bin = stored["lines"][0]["pick_from"][0]["location"]
        .as_str()
        .unwrap()
        .to_string();
    let res = s
        .http
        .get(s.url(&format!("/api/v1/orders/{number}/shipping-note")))
        .bearer_auth(&warehouse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let note = res.text().await.unwrap();
    for needle in [
        number.as_str(),
        sku.as_str(),
        &format!("{bin}×2"),
        "Lena Weber",
        "Invalidenstraße 12",
        "10115 Berlin",
        "Carrier  dhl",
        "發貨單",
    ] {
        assert!(note.contains(needle), "{needle:?} missing from:\n{note}");
    }
    let res = s
        .http
        .get(s.url(&format!("/api/v1/orders/{number}/shipping-note")))
        .bearer_auth(&warehouse)
        .header("accept", "application/pdf")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if let Some(text) = pdf_text(&pdf) {
        for needle in [
            number.as_str(),
            sku.as_str(),
            &format!("{bin}×2"),
            "Lena Weber",
            "10115 Berlin",
            "發貨單",
        ] {
            assert!(
                text.contains(needle),
                "{needle:?} missing from the PDF:\n{text}"
            );
        }
    }
    let res = s
        .http
        .get(s.url(&format!("/api/v1/orders/{number}/shipping-note?format=pdf")))
        .bearer_auth(&warehouse)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let res = s
        .http
        .get(s.url(&format!("/api/v1/orders/{number}/shipping-note")))
        .bearer_auth(&warehouse)
        .header("accept", "image/png")
        .send()
        .await
        .unwrap();
    expect_problem(res, 406, "/problems/not-acceptable").await;

    // An agent reprinting it for the customer gets it without the column of bins.
    let cs = s.token("cs").await;
    for format in ["text", "pdf"] {
        let res = s
            .http
            .get(s.url(&format!(
                "/api/v1/orders/{number}/shipping-note?format={format}"
            )))
            .bearer_auth(&cs)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{format}");
        let bytes = res.bytes().await.unwrap();
        let Some(note) = (match format {
            "text" => Some(String::from_utf8_lossy(&bytes).into_owned()),
            _ => pdf_text(&bytes),
        }) else {
            continue;
        };
        for needle in [number.as_str(), sku.as_str(), "Lena Weber", "發貨單"] {
            assert!(note.contains(needle), "{needle:?} missing from:\n{note}");
        }
        assert!(
            !note.contains(&bin) && !note.contains("Pick from"),
            "{note}"
        );
    }

    // Not before it is ready to pick.
    let cheap: Value = post(
        &s,
        &shop,
        "note-cs",
        &order(&sku, 1, price / 2, "W-NOTE-CS"),
    )
    .await
    .json()
    .await
    .unwrap();
    let res = s
        .http
        .get(s.url(&format!(
            "/api/v1/orders/{}/shipping-note",
            cheap["order"]["number"].as_str().unwrap()
        )))
        .bearer_auth(&warehouse)
        .send()
        .await
        .unwrap();
    expect_problem(res, 409, "/problems/conflict").await;
}

#[tokio::test]
async fn the_simulated_storefront_places_orders_that_trip_the_rules() {
    let s = TestServer::start().await;
    let login = backroom::client::Client::new(&s.base).unwrap();
    let token = login
        .login("integration", "backroom-integration")
        .await
        .unwrap()
        .token;
    let client = login.with_token(token.expose());
    let catalogue: Vec<(String, i64)> = s
        .store
        .search_products(&backroom::store::ProductSearch {
            limit: 500,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|p| (p.sku, p.price.minor))
        .collect();
    let before = s.store.order_count().unwrap();
    let placed = backroom::storefront::run(client, catalogue, std::time::Duration::ZERO, Some(30))
        .await
        .unwrap();
    assert_eq!(placed, 30);
    assert_eq!(s.store.order_count().unwrap(), before + 30);
    let ops = s.token("ops").await;
    let (_, page) = s.get(&ops, "/api/v1/orders?limit=30").await;
    let mut rules = std::collections::HashSet::new();
    for o in page["items"].as_array().unwrap() {
        let (_, detail) = s
            .get(
                &ops,
                &format!("/api/v1/orders/{}", o["number"].as_str().unwrap()),
            )
            .await;
        rules.insert(detail["routing"]["rule"].as_str().unwrap_or("").to_string());
    }
    assert!(rules.len() >= 2, "one kind of order only: {rules:?}");
}

#[tokio::test]
async fn the_answer_to_a_placed_order_is_the_order_as_stored() {
    let s = TestServer::start().await;
    let (shop, ops) = (s.token("integration").await, s.token("ops").await);
    let (sku, price) = product_with_stock(&s, 1);
    // Ops, who may read orders, is answered with the order as stored; the storefront,
    // which may not, with what became of its lines.
    // A second bin with one more unit: two units come from two bins.
    rusqlite::Connection::open(s.store.path())
        .unwrap()
        .execute(
            "UPDATE stock_balances SET on_hand = reserved + 1
             WHERE product_id = (SELECT id FROM products WHERE sku = ?1)
               AND on_hand = reserved
               AND location_id = (SELECT max(b.location_id) FROM stock_balances b JOIN locations l ON l.id = b.location_id
                                  WHERE b.product_id = (SELECT id FROM products WHERE sku = ?1) AND l.kind = 'bin')",
            [&sku],
        )
        .unwrap();

    let mut first = order(&sku, 2, price, "ANSWER-1");
    first["customer"]["email"] = json!("Lena.Answer@Example.com");
    // The same customer again, named otherwise, for more than is left: short.
    let mut second = order(&sku, 5, price, "ANSWER-2");
    second["customer"] =
        json!({ "name": "LENA WEBER", "email": "lena.answer@example.com", "phone": null });
    for (key, body) in [("answer-1", first), ("answer-2", second)] {
        let res = post(&s, &ops, key, &body).await;
        assert_eq!(res.status(), 201);
        let placed: Value = res.json().await.unwrap();
        let number = placed["order"]["number"].as_str().unwrap().to_string();
        let (_, stored) = s.get(&ops, &format!("/api/v1/orders/{number}")).await;
        assert_eq!(placed, stored, "{key}");
        if key == "answer-1" {
            let from = &stored["lines"][0]["pick_from"];
            assert_eq!(from.as_array().map(Vec::len), Some(2), "{from}");
        } else {
            assert_eq!(placed["order"]["customer_name"], "Lena Weber");
            assert_eq!(placed["customer_email"], "lena.answer@example.com");
        }
    }
    let mut third = order(&sku, 1, price, "ANSWER-3");
    third["customer"]["email"] = json!("lena.answer@example.com");
    let res = post(&s, &shop, "answer-3", &third).await;
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let (_, stored) = s.get(&ops, &format!("/api/v1/orders/{number}")).await;
    assert_eq!(
        placed,
        json!({ "duplicate": false,
                "order": { "id": stored["order"]["id"], "number": number, "status": stored["order"]["status"] },
                "lines": [{ "line_no": 1, "sku": sku, "qty": 1, "backordered": stored["lines"][0]["backordered"] }] })
    );
}

/// A GET of the order list with `If-None-Match`: the status and the page it brings back.
async fn list_page(s: &TestServer, token: &str, path: &str, etag: &str) -> (u16, String, Value) {
    let res = s
        .http
        .get(s.url(path))
        .bearer_auth(token)
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let tag = res.headers()["etag"].to_str().unwrap().to_string();
    (status, tag, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_order_page_is_not_modified_until_something_commits() {
    let s = TestServer::start().await;
    let (shop, ops) = (s.token("integration").await, s.token("ops").await);
    let (sku, price) = product_with_stock(&s, 5);
    let newest = "/api/v1/orders?limit=5";

    let (status, first, page) = list_page(&s, &ops, newest, "\"none\"").await;
    assert_eq!(status, 200);
    assert!(
        page["items"]
            .as_array()
            .is_some_and(|items| items.len() == 5)
    );
    let (status, tag, page) = list_page(&s, &ops, newest, &first).await;
    assert_eq!((status, &tag, &page), (304, &first, &Value::Null));

    // A new order is in the very next answer, with another tag.
    let res = post(&s, &shop, "page-1", &order(&sku, 1, price, "PAGE-1")).await;
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.unwrap();
    let (status, second, page) = list_page(&s, &ops, newest, &first).await;
    assert_eq!(status, 200);
    assert_ne!(second, first);
    assert_eq!(page["items"][0]["number"], placed["order"]["number"]);

    // So is a status change, in a filtered page read just before it.
    let number = placed["order"]["number"].as_str().unwrap();
    let on_hold = "/api/v1/orders?status=hold&limit=200";
    let (_, _, held) = list_page(&s, &ops, on_hold, "\"none\"").await;
    let held_numbers = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["number"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(!held_numbers(&held).contains(&number.to_string()));
    assert_eq!(
        set_status(&s, &ops, number, "hold", Some("address check"))
            .await
            .status(),
        200
    );
    let (_, _, held) = list_page(&s, &ops, on_hold, "\"none\"").await;
    assert!(held_numbers(&held).contains(&number.to_string()));

    // A change made by another process to the file shows within a second.
    let (_, tag_before, _) = list_page(&s, &ops, newest, "\"none\"").await;
    rusqlite::Connection::open(s.store.path())
        .unwrap()
        .execute(
            "UPDATE orders SET channel = 'phone' WHERE number = (SELECT max(number) FROM orders)",
            [],
        )
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, tag, page) = list_page(&s, &ops, newest, &tag_before).await;
    assert_eq!(status, 200);
    assert_ne!(tag, tag_before);
    assert_eq!(page["items"][0]["channel"], "phone");

    // A bad query is refused as before, never answered from memory.
    let (status, body) = s.get(&ops, "/api/v1/orders?limit=5&sort=cheapest").await;
    assert_eq!(status, 400, "{body}");
}

/// The text of a PDF as poppler's `pdftotext` reads it: proof that the words are really
/// there (fonts embedded, text extractable). `.ci/run` installs poppler-utils; elsewhere the
/// check is skipped with a note, unless CI is set.
fn pdf_text(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("note.pdf");
    std::fs::write(&path, pdf).unwrap();
    match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext refused the PDF: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "pdftotext is needed in CI: {e}"
            );
            eprintln!("pdftotext not installed ({e}); PDF text not checked");
            None
        }
    }
}
