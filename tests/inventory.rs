//! The stock ledger over real HTTP: balances stay the sum of their movements under
//! concurrent moves, receipts, put-aways, adjustments and picks; moves and adjustments
//! refuse what they cannot do and change nothing then; receipts carry lots; a replenishment
//! alert goes through a purchase request, a receipt and a put-away until it clears.

mod common;
mod stock_support;

use std::collections::BTreeMap;

use common::{TestServer, expect_problem, items, ok};
use serde_json::{Value, json};
use stock_support::{
    all_stock, assert_ledger_holds, balance, balances, empty_bins, ledger_mark, movements, place,
    price_and_safety, send, single_bin_product, text,
};

/// What a successful request did to the product's balances.
#[derive(Debug)]
struct Effect {
    from: Option<String>,
    to: Option<String>,
    qty: i64,
    /// Reserved units travel with their reservation (picks).
    reserved: bool,
    kind: String,
}

fn effect_of_movement(body: &Value) -> Effect {
    Effect {
        from: body["from"].as_str().map(str::to_string),
        to: body["to"].as_str().map(str::to_string),
        qty: body["qty"].as_i64().expect("qty"),
        reserved: false,
        kind: text(body, "kind"),
    }
}

/// The odd adjustments of the concurrent test take a unit away.
fn adjustment_takes_away(label: &str) -> bool {
    label
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse::<i64>().ok())
        .is_some_and(|n| n % 2 == 1)
}

/// Walks `GET /api/v1/stock` page by page.
async fn stock_pages(s: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/stock?limit=200{query}");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={}", c.replace('|', "%7C")));
        }
        let (status, page) = s.get(token, &path).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_ledger_holds_under_concurrent_moves_receipts_adjustments_and_picks() {
    let s = TestServer::start().await;
    s.park_waiting_orders();
    assert_ledger_holds(&s);
    let (sku, x) = single_bin_product(&s, 40, &[]);
    let y = empty_bins(&s)[0].clone();
    let ops = s.token("ops").await;
    let warehouse = s.token("warehouse").await;
    let supervisor = s.token("supervisor").await;

    // Three orders of two reserve six units at X; one picker holds them on one list.
    for n in 0..3 {
        place(&s, &ops, &format!("conc-{n}"), &[(&sku, 2)]).await;
    }
    let (status, planned) = send(
        &s,
        &ops,
        "/api/v1/pick-lists",
        Some("plan-1"),
        json!({ "mode": "batch", "max_orders": 3, "max_lines": 40 }),
    )
    .await;
    assert_eq!(status, 201, "{planned}");
    let list = ok(s
        .post(
            &warehouse,
            "/api/v1/pick-lists/claim",
            Some("claim-1"),
            json!({ "mode": "batch" }),
        )
        .await)
    .await;
    assert_eq!(list["id"], planned["id"]);
    let number = text(&list, "number");
    let pick_lines: Vec<(i64, i64)> = list["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|l| {
            assert_eq!(l["location"], x.as_str(), "{l}");
            (
                l["seq"].as_i64().expect("seq"),
                l["qty"].as_i64().expect("qty"),
            )
        })
        .collect();
    assert_eq!(pick_lines.len(), 3);

    let before = balances(&s, &sku);
    assert_eq!(before[&x].1, 6, "the orders reserve at X");
    let mark = ledger_mark(&s);

    // Each task: (label, status, body, must be refused).
    type Outcomes = Vec<(String, u16, Value, bool)>;
    let moves_there = async {
        let mut out: Outcomes = Vec::new();
        for i in 0..25i64 {
            let oversize = i % 5 == 4;
            let qty = if oversize { 100_000 } else { 1 + i % 3 };
            let (status, body) = send(
                &s,
                &supervisor,
                "/api/v1/stock/moves",
                Some(&format!("xy-{i}")),
                json!({ "product": sku, "from": x, "to": y, "qty": qty }),
            )
            .await;
            out.push((format!("move x→y {i}"), status, body, oversize));
        }
        out
    };
    let moves_back = async {
        let mut out: Outcomes = Vec::new();
        for i in 0..25i64 {
            let oversize = i % 6 == 5;
            let qty = if oversize { 100_000 } else { 1 + i % 4 };
            let (status, body) = send(
                &s,
                &warehouse,
                "/api/v1/stock/moves",
                Some(&format!("yx-{i}")),
                json!({ "product": sku, "from": y, "to": x, "qty": qty }),
            )
            .await;
            out.push((format!("move y→x {i}"), status, body, oversize));
        }
        out
    };
    let receiving = async {
        let mut out: Outcomes = Vec::new();
        let (status, receipt) = send(
            &s,
            &warehouse,
            "/api/v1/receipts",
            Some("rc-open"),
            json!({ "location": "RCV-01" }),
        )
        .await;
        assert_eq!(status, 201, "{receipt}");
        let path = format!("/api/v1/receipts/{}", text(&receipt, "number"));
        for i in 0..12 {
            let (status, body) = send(
                &s,
                &warehouse,
                &format!("{path}/items"),
                Some(&format!("rc-item-{i}")),
                json!({ "product": sku, "qty": 2 }),
            )
            .await;
            out.push((format!("receive {i}"), status, body, false));
            let to = if i % 2 == 0 { &x } else { &y };
            let (status, body) = send(
                &s,
                &warehouse,
                "/api/v1/stock/moves",
                Some(&format!("rc-put-{i}")),
                json!({ "product": sku, "from": "RCV-01", "to": to, "qty": 2 }),
            )
            .await;
            out.push((format!("put away {i}"), status, body, false));
        }
        let (status, body) = send(
            &s,
            &warehouse,
            &format!("{path}/close"),
            Some("rc-close"),
            json!({}),
        )
        .await;
        out.push(("close receipt".into(), status, body, false));
        out
    };
    let adjusting = async {
        let mut out: Outcomes = Vec::new();
        for i in 0..25 {
            let body = if i % 2 == 0 {
                json!({ "product": sku, "location": y, "delta": 1, "reason": "found" })
            } else {
                json!({ "product": sku, "location": x, "delta": -1, "reason": "damaged", "note": "crushed" })
            };
            let (status, answer) = send(
                &s,
                &ops,
                "/api/v1/stock/adjustments",
                Some(&format!("adj-{i}")),
                body,
            )
            .await;
            out.push((format!("adjust {i}"), status, answer, false));
        }
        out
    };
    let picking = async {
        let mut out: Outcomes = Vec::new();
        for (seq, qty) in &pick_lines {
            for (step, picked) in [(1, 1), (2, *qty)] {
                let (status, body) = send(
                    &s,
                    &warehouse,
                    &format!("/api/v1/pick-lists/{number}/lines/{seq}/pick"),
                    Some(&format!("pick-{seq}-{step}")),
                    json!({ "picked": picked }),
                )
                .await;
                out.push((format!("pick {seq}/{step}"), status, body, false));
            }
        }
        out
    };
    let (there, back, received, adjusted, picked) =
        tokio::join!(moves_there, moves_back, receiving, adjusting, picking);

    // Replay what each success did on the balances before; refusals must have done nothing.
    let mut model: BTreeMap<String, (i64, i64)> = before.clone();
    let mut effects: Vec<Effect> = Vec::new();
    let mut refused = 0;
    for (label, status, body, must_refuse) in there.iter().chain(back.iter()) {
        if *must_refuse {
            assert_eq!(*status, 409, "{label}: more than the bin ever held: {body}");
        }
        match status {
            201 => {
                let e = effect_of_movement(body);
                assert_eq!(e.kind, "move", "{label}: {body}");
                effects.push(e);
            }
            409 => {
                assert_eq!(body["type"], "/problems/conflict", "{label}: {body}");
                refused += 1;
            }
            other => panic!("{label}: {other} {body}"),
        }
    }
    assert!(refused >= 9, "the oversize moves at least were refused");
    for (label, status, body, _) in &received {
        match label.split(' ').next() {
            Some("receive") => {
                assert_eq!(*status, 200, "{label}: {body}");
                effects.push(Effect {
                    from: None,
                    to: Some("RCV-01".into()),
                    qty: 2,
                    reserved: false,
                    kind: "receipt".into(),
                });
            }
            Some("put") => {
                assert_eq!(*status, 201, "{label}: {body}");
                let e = effect_of_movement(body);
                assert_eq!(e.kind, "put_away", "{label}: {body}");
                effects.push(e);
            }
            _ => {
                assert_eq!(*status, 200, "{label}: {body}");
                assert_eq!(body["state"], "closed");
                assert_eq!(body["lines"][0]["received"], 24, "{body}");
            }
        }
    }
    for (label, status, body, _) in &adjusted {
        match status {
            201 => {
                let e = effect_of_movement(body);
                assert_eq!(e.kind, "adjustment", "{label}: {body}");
                effects.push(e);
            }
            // Taking one away finds nothing free only if moves emptied X meanwhile.
            409 if adjustment_takes_away(label) => {
                assert_eq!(body["type"], "/problems/conflict", "{label}: {body}");
            }
            other => panic!("{label}: {other} {body}"),
        }
    }
    let mut picked_before: BTreeMap<i64, i64> = BTreeMap::new();
    for (label, status, body, _) in &picked {
        assert_eq!(*status, 200, "{label}: {body}");
        for line in body["lines"].as_array().expect("lines") {
            let seq = line["seq"].as_i64().expect("seq");
            let now = line["picked"].as_i64().expect("picked");
            let was = picked_before.insert(seq, now).unwrap_or(0);
            if now > was {
                effects.push(Effect {
                    from: Some(x.clone()),
                    to: Some("SHP-01".into()),
                    qty: now - was,
                    reserved: true,
                    kind: "pick".into(),
                });
            }
        }
    }
    assert_eq!(picked_before.values().sum::<i64>(), 6, "everything picked");

    for e in &effects {
        if let Some(from) = &e.from {
            let b = model.entry(from.clone()).or_default();
            b.0 -= e.qty;
            if e.reserved {
                b.1 -= e.qty;
            }
        }
        if let Some(to) = &e.to {
            let b = model.entry(to.clone()).or_default();
            b.0 += e.qty;
            if e.reserved {
                b.1 += e.qty;
            }
        }
    }
    model.retain(|_, b| *b != (0, 0));
    let mut after = balances(&s, &sku);
    after.retain(|_, b| *b != (0, 0));
    assert_eq!(
        after, model,
        "balances are what the accepted requests did, and only that"
    );

    // One movement per accepted change, none for a refused one, nothing for other products.
    let fresh: Vec<_> = movements(&s, None, None, None)
        .into_iter()
        .filter(|m| m.id > mark)
        .collect();
    assert_eq!(fresh.len(), effects.len(), "{fresh:#?}");
    assert!(fresh.iter().all(|m| m.sku == sku));
    for kind in ["move", "put_away", "receipt", "adjustment", "pick"] {
        assert_eq!(
            fresh.iter().filter(|m| m.kind == kind).count(),
            effects.iter().filter(|e| e.kind == kind).count(),
            "{kind} movements"
        );
    }
    assert_ledger_holds(&s);

    // The API shows the same balances, none negative, page after page.
    let items = stock_pages(&s, &supervisor, "").await;
    assert_eq!(items.len(), all_stock(&s).len());
    for item in &items {
        let on_hand = item["on_hand"].as_i64().expect("on_hand");
        let reserved = item["reserved"].as_i64().expect("reserved");
        assert!(
            on_hand >= 0 && reserved >= 0 && reserved <= on_hand,
            "{item}"
        );
        assert_eq!(item["available"].as_i64(), Some(on_hand - reserved));
    }
    let mine = stock_pages(&s, &supervisor, &format!("&sku={sku}")).await;
    let shown: BTreeMap<String, (i64, i64)> = mine
        .iter()
        .map(|i| {
            (
                text(i, "location"),
                (
                    i["on_hand"].as_i64().expect("on_hand"),
                    i["reserved"].as_i64().expect("reserved"),
                ),
            )
        })
        .filter(|(_, b)| *b != (0, 0))
        .collect();
    assert_eq!(shown, after);
}

#[tokio::test]
async fn moves_and_adjustments_refuse_what_they_cannot_do_and_apply_once() {
    let s = TestServer::start().await;
    let (sku, x) = single_bin_product(&s, 12, &[]);
    let y = empty_bins(&s)[0].clone();
    let warehouse = s.token("warehouse").await;
    let ops = s.token("ops").await;
    // An order holds two units at X: they are there, but not free to move.
    place(&s, &ops, "held", &[(&sku, 2)]).await;

    // From receiving into a bin is a put-away; between bins a move.
    let (status, receipt) = send(
        &s,
        &warehouse,
        "/api/v1/receipts",
        Some("rc-1"),
        json!({ "location": "RCV-02" }),
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["location"], "RCV-02");
    let rc = text(&receipt, "number");
    ok(s.post(
        &warehouse,
        &format!("/api/v1/receipts/{rc}/items"),
        Some("rc-1-item"),
        json!({ "product": sku, "qty": 4 }),
    )
    .await)
    .await;
    let (status, put) = send(
        &s,
        &warehouse,
        "/api/v1/stock/moves",
        Some("put-1"),
        json!({ "product": sku, "from": "RCV-02", "to": y, "qty": 3 }),
    )
    .await;
    assert_eq!(status, 201, "{put}");
    assert_eq!(put["kind"], "put_away");
    assert_eq!(put["from"], "RCV-02");
    assert_eq!(put["to"], y.as_str());
    assert_eq!(put["qty"], 3);
    assert_eq!(put["actor"], "warehouse");
    let (status, moved) = send(
        &s,
        &warehouse,
        "/api/v1/stock/moves",
        Some("move-1"),
        json!({ "product": sku, "from": y, "to": x, "qty": 1 }),
    )
    .await;
    assert_eq!(status, 201, "{moved}");
    assert_eq!(moved["kind"], "move");
    assert_eq!(balance(&s, &sku, "RCV-02"), (1, 0));
    assert_eq!(balance(&s, &sku, &y), (2, 0));

    // Goods are received at a receiving location only.
    let res = s
        .post(
            &warehouse,
            "/api/v1/receipts",
            Some("rc-bin"),
            json!({ "location": x }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;

    // Whatever is refused below leaves balances and ledger as they are.
    let stock_then = balances(&s, &sku);
    let ledger_then = ledger_mark(&s);
    let unchanged = |why: &str| {
        assert_eq!(balances(&s, &sku), stock_then, "{why}");
        assert_eq!(ledger_mark(&s), ledger_then, "{why}");
    };

    let (on_hand, reserved) = balance(&s, &sku, &x);
    let free = on_hand - reserved;
    assert!(reserved >= 2 && free < on_hand);
    let res = s
        .post(
            &warehouse,
            "/api/v1/stock/moves",
            Some("move-too-many"),
            json!({ "product": sku, "from": x, "to": y, "qty": free + 1 }),
        )
        .await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    let detail = text(&problem, "detail");
    assert!(
        detail.contains(&x)
            && detail.contains(&sku)
            && detail.contains("reserved")
            && detail.contains(&(free + 1).to_string()),
        "{detail}"
    );
    unchanged("a move of more than the free units");

    for (key, body, status, kind) in [
        (
            "adj-found-down",
            json!({ "product": sku, "location": x, "delta": -2, "reason": "found" }),
            400,
            "/problems/invalid-input",
        ),
        (
            "adj-damaged-up",
            json!({ "product": sku, "location": x, "delta": 2, "reason": "damaged" }),
            400,
            "/problems/invalid-input",
        ),
        (
            "adj-unknown",
            json!({ "product": sku, "location": x, "delta": -1, "reason": "stolen" }),
            400,
            "/problems/invalid-input",
        ),
        (
            "adj-zero",
            json!({ "product": sku, "location": x, "delta": 0, "reason": "correction" }),
            400,
            "/problems/invalid-input",
        ),
        (
            "adj-field",
            json!({ "product": sku, "location": x, "delta": -1, "reason": "lost", "why": "?" }),
            400,
            "/problems/malformed-body",
        ),
        (
            "adj-too-much",
            json!({ "product": sku, "location": x, "delta": -(free + 1), "reason": "lost" }),
            409,
            "/problems/conflict",
        ),
    ] {
        let res = s
            .post(&ops, "/api/v1/stock/adjustments", Some(key), body)
            .await;
        expect_problem(res, status, kind).await;
        unchanged(key);
    }
    // A counter may move stock, not correct it.
    let res = s
        .post(
            &warehouse,
            "/api/v1/stock/adjustments",
            Some("adj-by-warehouse"),
            json!({ "product": sku, "location": x, "delta": 1, "reason": "found" }),
        )
        .await;
    let problem = expect_problem(res, 403, "/problems/forbidden").await;
    assert_eq!(problem["permission"], "stock.adjust");
    unchanged("an adjustment without the permission");

    for (key, body, kind) in [
        (
            "move-field",
            json!({ "product": sku, "from": x, "to": y, "qty": 1, "note": "x" }),
            "/problems/malformed-body",
        ),
        (
            "move-fraction",
            json!({ "product": sku, "from": x, "to": y, "qty": 1.5 }),
            "/problems/malformed-body",
        ),
        (
            "move-text",
            json!({ "product": sku, "from": x, "to": y, "qty": "2" }),
            "/problems/malformed-body",
        ),
        (
            "move-missing",
            json!({ "product": sku, "from": x, "qty": 1 }),
            "/problems/malformed-body",
        ),
        (
            "move-zero",
            json!({ "product": sku, "from": x, "to": y, "qty": 0 }),
            "/problems/invalid-input",
        ),
        (
            "move-same",
            json!({ "product": sku, "from": x, "to": x, "qty": 1 }),
            "/problems/invalid-input",
        ),
        (
            "move-lot",
            json!({ "product": sku, "from": x, "to": y, "qty": 1, "lot": "" }),
            "/problems/invalid-input",
        ),
        (
            "move-expiry",
            json!({ "product": sku, "from": x, "to": y, "qty": 1, "lot": "B1", "expiry": "2027-02-30" }),
            "/problems/invalid-input",
        ),
    ] {
        let res = s
            .post(&warehouse, "/api/v1/stock/moves", Some(key), body)
            .await;
        expect_problem(res, 400, kind).await;
        unchanged(key);
    }
    let res = s
        .post(
            &warehouse,
            "/api/v1/stock/moves",
            Some("move-nowhere"),
            json!({ "product": sku, "from": x, "to": "Z-99-99", "qty": 1 }),
        )
        .await;
    expect_problem(res, 404, "/problems/not-found").await;
    let res = s
        .post(
            &warehouse,
            "/api/v1/stock/moves",
            None,
            json!({ "product": sku, "from": x, "to": y, "qty": 1 }),
        )
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    unchanged("requests that never reached the ledger");

    // The same key again is the same move, once.
    let body = json!({ "product": sku, "from": x, "to": y, "qty": 2 });
    let (status, first) = send(
        &s,
        &warehouse,
        "/api/v1/stock/moves",
        Some("move-once"),
        body.clone(),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = send(
        &s,
        &warehouse,
        "/api/v1/stock/moves",
        Some("move-once"),
        body,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(first, again, "the stored answer");
    assert_eq!(ledger_mark(&s), ledger_then + 1, "one movement");
    assert_eq!(balance(&s, &sku, &y).0, stock_then[&y].0 + 2);
    let res = s
        .post(
            &warehouse,
            "/api/v1/stock/moves",
            Some("move-once"),
            json!({ "product": sku, "from": x, "to": y, "qty": 3 }),
        )
        .await;
    expect_problem(res, 422, "/problems/idempotency-key-reused").await;

    let body = json!({ "product": sku, "location": y, "delta": -1, "reason": "damaged", "note": "dropped" });
    let (status, first) = send(
        &s,
        &ops,
        "/api/v1/stock/adjustments",
        Some("adj-once"),
        body.clone(),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["kind"], "adjustment");
    assert_eq!(first["from"], y.as_str());
    assert_eq!(first["to"], Value::Null);
    assert_eq!(first["reference"], "damaged: dropped");
    let (_, again) = send(
        &s,
        &ops,
        "/api/v1/stock/adjustments",
        Some("adj-once"),
        body,
    )
    .await;
    assert_eq!(first, again);
    assert_eq!(ledger_mark(&s), ledger_then + 2, "one adjustment");
    assert_eq!(balance(&s, &sku, &y).0, stock_then[&y].0 + 1);
    assert_ledger_holds(&s);

    // The history, newest first, filtered and paged.
    let (status, page) = s
        .get(
            &warehouse,
            &format!("/api/v1/stock/movements?product={sku}&kind=put_away"),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    assert_eq!(page["items"][0], put);
    let (_, page) = s
        .get(
            &warehouse,
            &format!("/api/v1/stock/movements?reference={rc}"),
        )
        .await;
    assert_eq!(page["items"].as_array().expect("items").len(), 1);
    assert_eq!(page["items"][0]["kind"], "receipt");
    assert_eq!(page["items"][0]["to"], "RCV-02");
    let (_, first_page) = s
        .get(
            &warehouse,
            &format!("/api/v1/stock/movements?location={y}&limit=2"),
        )
        .await;
    let items = first_page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(items[0]["id"].as_i64() > items[1]["id"].as_i64());
    let cursor = text(&first_page, "next_cursor");
    let (_, next) = s
        .get(
            &warehouse,
            &format!("/api/v1/stock/movements?location={y}&limit=2&cursor={cursor}"),
        )
        .await;
    let older = next["items"].as_array().expect("items");
    assert_eq!(older.len(), 2, "{next}");
    assert!(older[0]["id"].as_i64() < items[1]["id"].as_i64());
    let (status, _) = s
        .get(&warehouse, "/api/v1/stock/movements?kind=teleport")
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn receipts_of_lot_tracked_products_carry_lot_and_expiry() {
    let s = TestServer::start().await;
    let warehouse = s.token("warehouse").await;
    let (status, receipt) = send(
        &s,
        &warehouse,
        "/api/v1/receipts",
        Some("rc-1"),
        json!({ "supplier": "Formosa Tea Co." }),
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(
        receipt["location"], "RCV-01",
        "the first receiving location"
    );
    assert_eq!(receipt["state"], "open");
    let rc = text(&receipt, "number");
    let items = format!("/api/v1/receipts/{rc}/items");
    let mark = ledger_mark(&s);

    for (key, body) in [
        ("no-lot", json!({ "product": "TEA-1001", "qty": 3 })),
        (
            "blank-lot",
            json!({ "product": "TEA-1001", "qty": 3, "lot": "  " }),
        ),
        (
            "long-lot",
            json!({ "product": "TEA-1001", "qty": 3, "lot": "L".repeat(21) }),
        ),
        (
            "bad-expiry",
            json!({ "product": "TEA-1001", "qty": 3, "lot": "L24-0917", "expiry": "2027-13-01" }),
        ),
    ] {
        let res = s.post(&warehouse, &items, Some(key), body).await;
        let problem = expect_problem(res, 400, "/problems/invalid-input").await;
        if key == "no-lot" {
            assert!(
                text(&problem, "detail").contains("lot-tracked"),
                "{problem}"
            );
        }
    }
    assert_eq!(ledger_mark(&s), mark, "nothing received");

    // A GS1 label: (10) lot, (17) expiry.
    let after = ok(s
        .post(
            &warehouse,
            &items,
            Some("tea"),
            json!({ "product": "TEA-1001", "qty": 3, "lot": "L24-0917", "expiry": "2027-03-31" }),
        )
        .await)
    .await;
    assert_eq!(after["lines"][0]["sku"], "TEA-1001");
    assert_eq!(after["lines"][0]["received"], 3);
    let (status, page) = s
        .get(
            &warehouse,
            &format!("/api/v1/stock/movements?reference={rc}"),
        )
        .await;
    assert_eq!(status, 200);
    let received = &page["items"][0];
    assert_eq!(received["kind"], "receipt");
    assert_eq!(received["sku"], "TEA-1001");
    assert_eq!(received["from"], Value::Null);
    assert_eq!(received["to"], "RCV-01");
    assert_eq!(received["qty"], 3);
    assert_eq!(received["lot"], "L24-0917");
    assert_eq!(received["expiry"], "2027-03-31");
    assert_eq!(received["actor"], "warehouse");

    // The label's AI 01 carries the GTIN-14 of the EAN-13 on file: the same product.
    let tea_barcode = backroom::domain::barcode::complete_ean13("471234500000").unwrap();
    let by_label = ok(s
        .post(
            &warehouse,
            &items,
            Some("tea-gtin14"),
            json!({ "product": format!("0{tea_barcode}"), "qty": 2, "lot": "L24-0917" }),
        )
        .await)
    .await;
    assert_eq!(by_label["lines"][0]["sku"], "TEA-1001");
    assert_eq!(by_label["lines"][0]["received"], 5);
    let (status, product) = s
        .get(&warehouse, &format!("/api/v1/products/0{tea_barcode}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(product["product"]["sku"], "TEA-1001");

    // Products without lots need none.
    let (plain, _) = single_bin_product(&s, 1, &[]);
    ok(s.post(
        &warehouse,
        &items,
        Some("plain"),
        json!({ "product": plain, "qty": 1 }),
    )
    .await)
    .await;
    // The lot travels with a put-away.
    let bin = empty_bins(&s)[0].clone();
    let (status, put) = send(
        &s,
        &warehouse,
        "/api/v1/stock/moves",
        Some("put"),
        json!({ "product": "TEA-1001", "from": "RCV-01", "to": bin, "qty": 3, "lot": "L24-0917", "expiry": "2027-03-31" }),
    )
    .await;
    assert_eq!(status, 201, "{put}");
    assert_eq!(put["kind"], "put_away");
    assert_eq!(put["lot"], "L24-0917");
    assert_eq!(put["expiry"], "2027-03-31");

    let closed = ok(s
        .post(
            &warehouse,
            &format!("/api/v1/receipts/{rc}/close"),
            Some("close"),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(closed["state"], "closed");
    let res = s
        .post(
            &warehouse,
            &items,
            Some("late"),
            json!({ "product": plain, "qty": 1 }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    assert_ledger_holds(&s);
}

#[tokio::test]
async fn an_alert_becomes_a_purchase_request_that_is_received_and_clears_it() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let warehouse = s.token("warehouse").await;
    let purchasing = s.token("purchasing").await;

    // A product comfortably above safety stock, in one bin.
    let stock = all_stock(&s);
    let (sku, bin, free, safety) = stock
        .iter()
        .filter(|r| !r.sku.starts_with("TEA"))
        .filter(|r| stock.iter().filter(|o| o.sku == r.sku).count() == 1)
        .filter(|r| backroom::domain::location::BinCode::parse(&r.location).is_ok())
        .map(|r| {
            let (_, safety) = price_and_safety(&s, &r.sku);
            (
                r.sku.clone(),
                r.location.clone(),
                r.on_hand - r.reserved,
                safety,
            )
        })
        .find(|(_, _, free, safety)| *safety > 0 && *free >= safety + 5)
        .expect("a product above safety stock");
    let raised = |s: &TestServer| -> Vec<backroom::store::EventRow> {
        s.store
            .events_after(0, 1_000_000)
            .expect("events")
            .into_iter()
            .filter(|e| e.kind == "stock.alert_raised" && e.payload["sku"] == sku.as_str())
            .collect()
    };
    let live = |alerts: &Value| -> Vec<Value> {
        items(alerts)
            .iter()
            .filter(|a| a["sku"] == sku.as_str())
            .cloned()
            .collect()
    };
    assert!(raised(&s).is_empty());

    // Lost units take it below safety stock: one alert, however often stock drops further.
    let (status, lost) = send(
        &s,
        &ops,
        "/api/v1/stock/adjustments",
        Some("lost"),
        json!({ "product": sku, "location": bin, "delta": -(free - (safety - 1)), "reason": "lost" }),
    )
    .await;
    assert_eq!(status, 201, "{lost}");
    place(&s, &ops, "dip-1", &[(&sku, 1)]).await;
    place(&s, &ops, "dip-2", &[(&sku, 1)]).await;
    let (_, alerts) = s.get(&purchasing, "/api/v1/replenishment/alerts").await;
    let mine = live(&alerts);
    assert_eq!(mine.len(), 1, "{alerts}");
    let alert = &mine[0];
    assert_eq!(alert["state"], "open");
    assert_eq!(alert["available_when_raised"], safety - 1);
    assert_eq!(alert["available"], safety - 3);
    assert_eq!(alert["safety_stock"], safety);
    assert_eq!(alert["cleared_at"], Value::Null);
    assert!(alert["suggested_qty"].as_i64() > Some(0));
    assert_eq!(raised(&s).len(), 1);
    let (_, every) = s
        .get(&purchasing, "/api/v1/replenishment/alerts?all=true")
        .await;
    assert_eq!(live(&every).len(), 1, "{every}");
    let ra = text(alert, "number");
    assert_eq!(raised(&s)[0].entity_id, text(alert, "id"));

    // Warehouse may not decide; purchasing does.
    let request_path = format!("/api/v1/replenishment/alerts/{ra}/request");
    let res = s
        .post(&warehouse, &request_path, Some("wh-req"), json!({}))
        .await;
    let problem = expect_problem(res, 403, "/problems/forbidden").await;
    assert_eq!(problem["permission"], "purchasing.manage");
    let qty = safety + 10;
    let body = json!({ "qty": qty, "supplier": "Kaohsiung Supply" });
    let requested = ok(s
        .post(&purchasing, &request_path, Some("req"), body.clone())
        .await)
    .await;
    assert_eq!(requested["state"], "requested");
    assert_eq!(requested["decided_by"], "purchasing");
    let pr = text(&requested, "purchase_request");
    let replay = ok(s.post(&purchasing, &request_path, Some("req"), body).await).await;
    assert_eq!(replay, requested);
    let res = s
        .post(
            &purchasing,
            &format!("/api/v1/replenishment/alerts/{ra}/dismiss"),
            Some("dismiss"),
            json!({ "reason": "enough on the way" }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    let res = s
        .post(&purchasing, &request_path, Some("req-2"), json!({}))
        .await;
    expect_problem(res, 409, "/problems/conflict").await;

    let (_, suggested) = s
        .get(&purchasing, "/api/v1/purchase-requests?state=suggested")
        .await;
    let request = items(&suggested)
        .iter()
        .find(|r| r["number"] == pr.as_str())
        .expect("the request is suggested")
        .clone();
    assert_eq!(request["sku"], sku.as_str());
    assert_eq!(request["qty"], qty);
    assert_eq!(request["alert"], ra.as_str());
    assert_eq!(request["supplier"], "Kaohsiung Supply");

    // Only an ordered request is expected in a delivery.
    let res = s
        .post(
            &warehouse,
            "/api/v1/receipts",
            Some("rc-early"),
            json!({ "expected": [pr] }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    let res = s
        .post(
            &warehouse,
            &format!("/api/v1/purchase-requests/{pr}/order"),
            Some("wh-order"),
            json!({}),
        )
        .await;
    expect_problem(res, 403, "/problems/forbidden").await;
    let ordered = ok(s
        .post(
            &purchasing,
            &format!("/api/v1/purchase-requests/{pr}/order"),
            Some("order"),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(ordered["state"], "ordered");
    assert!(ordered["ordered_at"].is_string());
    let (_, alert_now) = s
        .get(&purchasing, &format!("/api/v1/replenishment/alerts/{ra}"))
        .await;
    assert_eq!(alert_now["on_order"], qty);

    let (status, receipt) = send(
        &s,
        &warehouse,
        "/api/v1/receipts",
        Some("rc"),
        json!({ "expected": [pr], "supplier": "Kaohsiung Supply" }),
    )
    .await;
    assert_eq!(status, 201, "{receipt}");
    assert_eq!(receipt["expected"][0]["number"], pr.as_str());
    assert_eq!(receipt["lines"][0]["sku"], sku.as_str());
    assert_eq!(receipt["lines"][0]["expected"], qty);
    assert_eq!(receipt["lines"][0]["received"], 0);
    let rc = text(&receipt, "number");
    let got = ok(s
        .post(
            &warehouse,
            &format!("/api/v1/receipts/{rc}/items"),
            Some("rc-item"),
            json!({ "product": sku, "qty": qty }),
        )
        .await)
    .await;
    assert_eq!(got["lines"][0]["received"], qty);
    // Units at the dock are not available to pick: the alert stays.
    let (_, alerts) = s.get(&purchasing, "/api/v1/replenishment/alerts").await;
    assert_eq!(live(&alerts).len(), 1, "{alerts}");

    let closed = ok(s
        .post(
            &warehouse,
            &format!("/api/v1/receipts/{rc}/close"),
            Some("rc-close"),
            json!({}),
        )
        .await)
    .await;
    assert_eq!(closed["state"], "closed");
    let (_, request) = s
        .get(&purchasing, &format!("/api/v1/purchase-requests/{pr}"))
        .await;
    assert_eq!(request["state"], "received", "{request}");
    assert_eq!(request["received_qty"], qty);
    assert!(request["received_at"].is_string());
    let (_, alerts) = s.get(&purchasing, "/api/v1/replenishment/alerts").await;
    assert_eq!(live(&alerts).len(), 1, "still not in a bin: {alerts}");

    // Put away: the bin has enough again and the alert clears.
    let (status, put) = send(
        &s,
        &warehouse,
        "/api/v1/stock/moves",
        Some("put"),
        json!({ "product": sku, "from": "RCV-01", "to": bin, "qty": qty }),
    )
    .await;
    assert_eq!(status, 201, "{put}");
    assert_eq!(put["kind"], "put_away");
    let (_, alerts) = s.get(&purchasing, "/api/v1/replenishment/alerts").await;
    assert!(live(&alerts).is_empty(), "{alerts}");
    let (_, all) = s
        .get(&purchasing, "/api/v1/replenishment/alerts?all=true")
        .await;
    let history = live(&all);
    assert_eq!(history.len(), 1);
    assert!(history[0]["cleared_at"].is_string(), "{all}");
    assert_eq!(history[0]["state"], "requested");
    assert_eq!(history[0]["purchase_request"], pr.as_str());
    let cleared: Vec<_> = s
        .store
        .events_after(0, 1_000_000)
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == "stock.alert_cleared" && e.entity_id == text(alert, "id"))
        .collect();
    assert_eq!(cleared.len(), 1);
    assert_eq!(cleared[0].payload["sku"], sku.as_str());
    assert_eq!(raised(&s).len(), 1, "still one alert for the one dip");
    assert_ledger_holds(&s);

    // A request made by hand can be cancelled once, and a cancelled one not ordered.
    let (status, manual) = send(
        &s,
        &purchasing,
        "/api/v1/purchase-requests",
        Some("manual"),
        json!({ "product": sku, "qty": 5 }),
    )
    .await;
    assert_eq!(status, 201, "{manual}");
    assert_eq!(manual["state"], "suggested");
    assert_eq!(manual["alert"], Value::Null);
    let manual_pr = text(&manual, "number");
    let cancelled = ok(s
        .post(
            &purchasing,
            &format!("/api/v1/purchase-requests/{manual_pr}/cancel"),
            Some("cancel"),
            json!({ "reason": "supplier discontinued it" }),
        )
        .await)
    .await;
    assert_eq!(cancelled["state"], "cancelled");
    let res = s
        .post(
            &purchasing,
            &format!("/api/v1/purchase-requests/{manual_pr}/order"),
            Some("order-cancelled"),
            json!({}),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
}

#[tokio::test]
async fn alerts_requests_and_receipts_page_through_every_one_once() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let warehouse = s.token("warehouse").await;
    let purchasing = s.token("purchasing").await;

    // Five products in one bin each taken below their safety stock: five alerts.
    let stock = all_stock(&s);
    let lowered: Vec<(String, String, i64, i64)> = stock
        .iter()
        .filter(|r| !r.sku.starts_with("TEA"))
        .filter(|r| stock.iter().filter(|o| o.sku == r.sku).count() == 1)
        .filter(|r| backroom::domain::location::BinCode::parse(&r.location).is_ok())
        .filter_map(|r| {
            let (_, safety) = price_and_safety(&s, &r.sku);
            let free = r.on_hand - r.reserved;
            (safety > 0 && free >= safety)
                .then(|| (r.sku.clone(), r.location.clone(), free, safety))
        })
        .take(5)
        .collect();
    assert_eq!(lowered.len(), 5, "five products above safety stock");
    for (sku, bin, free, safety) in &lowered {
        let (status, body) = send(
            &s,
            &ops,
            "/api/v1/stock/adjustments",
            Some(&format!("lower-{sku}")),
            json!({ "product": sku, "location": bin, "delta": -(free - (safety - 1)), "reason": "lost" }),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    for query in ["", "?all=true"] {
        let alerts = s
            .pages_through(
                &purchasing,
                &format!("/api/v1/replenishment/alerts{query}"),
                "number",
                2,
                5,
            )
            .await;
        for (sku, ..) in &lowered {
            assert!(alerts.iter().any(|a| a["sku"] == sku.as_str()), "{sku}");
        }
    }

    // Five requests made by hand.
    let mut made = Vec::new();
    for (sku, ..) in &lowered {
        let (status, request) = send(
            &s,
            &purchasing,
            "/api/v1/purchase-requests",
            Some(&format!("request-{sku}")),
            json!({ "product": sku, "qty": 5 }),
        )
        .await;
        assert_eq!(status, 201, "{request}");
        made.push(text(&request, "number"));
    }
    for query in ["", "?state=suggested"] {
        let requests = s
            .pages_through(
                &purchasing,
                &format!("/api/v1/purchase-requests{query}"),
                "number",
                2,
                5,
            )
            .await;
        for pr in &made {
            assert!(requests.iter().any(|r| r["number"] == pr.as_str()), "{pr}");
        }
    }

    // Five receipts, two of them closed: the open ones come first, across pages too.
    let mut opened = Vec::new();
    for n in 0..5 {
        let (status, receipt) = send(
            &s,
            &warehouse,
            "/api/v1/receipts",
            Some(&format!("receipt-{n}")),
            json!({}),
        )
        .await;
        assert_eq!(status, 201, "{receipt}");
        opened.push(text(&receipt, "number"));
    }
    for rc in &opened[..2] {
        let (status, closed) = send(
            &s,
            &warehouse,
            &format!("/api/v1/receipts/{rc}/close"),
            Some(&format!("close-{rc}")),
            json!({}),
        )
        .await;
        assert_eq!(status, 200, "{closed}");
    }
    let receipts = s
        .pages_through(&warehouse, "/api/v1/receipts", "number", 2, 5)
        .await;
    let states: Vec<&str> = receipts
        .iter()
        .map(|r| r["state"].as_str().expect("state"))
        .collect();
    assert_eq!(states, ["open", "open", "open", "closed", "closed"]);
    for query in ["?state=open", "?state=closed"] {
        s.pages_through(
            &warehouse,
            &format!("/api/v1/receipts{query}"),
            "number",
            1,
            2,
        )
        .await;
    }
}
