//! Packing over real HTTP: what a label stands for, verified contents, tracking numbers from
//! the carrier's range, the label as ZPL and text, and handover.

mod common;

use common::{TestServer, expect_problem, ok};
use serde_json::{Value, json};

/// An order of two units of BOO-1001 picked completely on its own list.
async fn picked_order(s: &TestServer, warehouse: &str) -> (String, String) {
    s.park_waiting_orders();
    let ops = s.token("ops").await;
    let price = s
        .store
        .product_with_stock("BOO-1001")
        .expect("store")
        .expect("sku")
        .0
        .price
        .minor;
    let body = json!({
        "channel": "web", "channel_order_no": "pack-1",
        "customer": { "name": "林美玲", "email": "mei@example.com", "phone": null },
        "ship_to": { "name": "林美玲", "line1": "信義路五段7號", "line2": null, "city": "台北市",
                     "postal_code": "110", "region": null, "country": "TW" },
        "payment_method": "card", "currency": "EUR",
        "lines": [{ "sku": "BOO-1001", "qty": 2, "unit_price_minor": price }]
    });
    let res = s
        .http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(&ops)
        .header("idempotency-key", "order-pack-1")
        .json(&body)
        .send()
        .await
        .expect("order");
    assert_eq!(res.status(), 201);
    let order: Value = res.json().await.expect("order");
    let number = order["order"]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let list = ok(s
        .post(
            warehouse,
            "/api/v1/pick-lists/claim",
            Some("c-1"),
            json!({}),
        )
        .await)
    .await;
    let list_number = list["number"].as_str().expect("number").to_string();
    let tote = ok(s
        .post(
            warehouse,
            &format!("/api/v1/pick-lists/{list_number}/slots/1/tote"),
            Some("t-1"),
            json!({ "tote": "TOTE-0042" }),
        )
        .await)
    .await;
    assert_eq!(tote["orders"][0]["tote"], "TOTE-0042");
    ok(s.post(
        warehouse,
        &format!("/api/v1/pick-lists/{list_number}/lines/1/pick"),
        Some("p-1"),
        json!({ "picked": 2 }),
    )
    .await)
    .await;
    ok(s.post(
        warehouse,
        &format!("/api/v1/pick-lists/{list_number}/finish"),
        Some("f-1"),
        json!({}),
    )
    .await)
    .await;
    (number, list_number)
}

#[tokio::test]
async fn a_verified_order_is_packed_labelled_and_handed_over() {
    let s = TestServer::start().await;
    let warehouse = s.token("warehouse").await;
    let (number, list) = picked_order(&s, &warehouse).await;

    let (status, task) = s.get(&warehouse, &format!("/api/v1/pack/{list}")).await;
    assert_eq!(status, 200);
    assert_eq!(task["list"], list.as_str());
    assert_eq!(task["orders"][0]["number"], number.as_str());
    assert_eq!(task["orders"][0]["items"][0]["qty"], 2);
    assert!(task["orders"][0]["items"][0]["barcode"].as_str().is_some());
    let (status, by_tote) = s.get(&warehouse, "/api/v1/pack/TOTE-0042").await;
    assert_eq!(status, 200);
    assert_eq!(
        by_tote["orders"][0]["number"],
        number.as_str(),
        "the tote stands for its order"
    );
    let (status, by_order) = s.get(&warehouse, &format!("/api/v1/pack/{number}")).await;
    assert_eq!(status, 200);
    assert_eq!(by_order["orders"][0]["items"], task["orders"][0]["items"]);
    assert_eq!(
        by_order["orders"][0]["slot"],
        Value::Null,
        "scanned alone, not from a cart"
    );

    let path = format!("/api/v1/orders/{number}/pack");
    // One unit short in the parcel: refused, nothing changes.
    let res = s.post(&warehouse, &path, Some("k-0"),
        json!({ "package": "box-s", "weight_grams": 850, "items": [{ "sku": "BOO-1001", "qty": 1 }] })).await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("must hold 2× BOO-1001"),
        "{problem}"
    );
    let res = s.post(&warehouse, &path, Some("k-1"),
        json!({ "package": "box-s", "weight_grams": 0, "items": [{ "sku": "BOO-1001", "qty": 2 }] })).await;
    expect_problem(res, 400, "/problems/invalid-input").await;

    let body = json!({ "package": "box-s", "weight_grams": 850, "items": [{ "sku": "BOO-1001", "qty": 2 }] });
    let parcel = ok(s.post(&warehouse, &path, Some("k-2"), body.clone()).await).await;
    assert_eq!(parcel["order"]["order"]["status"], "packed");
    assert_eq!(
        parcel["carrier"], "black-cat",
        "routing's carrier for Taiwan"
    );
    let tracking = parcel["tracking_no"]
        .as_str()
        .expect("tracking")
        .to_string();
    // The built-in range: 11 digits and a mod-10 check digit, starting at 1.
    assert_eq!(tracking.len(), 12, "{tracking}");
    assert!(tracking.starts_with("00000000001"), "{tracking}");
    let zpl = parcel["label_zpl"].as_str().expect("zpl");
    assert!(zpl.starts_with("^XA") && zpl.trim_end().ends_with("^XZ"));
    assert!(zpl.contains(&tracking));
    assert!(zpl.contains("^CI28"), "UTF-8 for the Chinese address");
    let text = parcel["label_text"].as_str().expect("text");
    assert!(
        text.contains(&tracking) && text.contains("台北市"),
        "{text}"
    );
    // Sent again: the same parcel, no second tracking number.
    let again = ok(s.post(&warehouse, &path, Some("k-2"), body.clone()).await).await;
    assert_eq!(again, parcel);
    let res = s.post(&warehouse, &path, Some("k-3"), body).await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("is packed"),
        "{problem}"
    );

    let res = s
        .http
        .get(s.url(&format!("/api/v1/orders/{number}/label?format=text")))
        .bearer_auth(&warehouse)
        .send()
        .await
        .expect("label");
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.expect("text"), text);
    let res = s
        .http
        .get(s.url(&format!("/api/v1/orders/{number}/label")))
        .bearer_auth(&warehouse)
        .send()
        .await
        .expect("label");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .expect("type")
            .starts_with("application/zpl")
    );
    assert_eq!(res.text().await.expect("zpl"), zpl);

    let handed = ok(s
        .post(
            &warehouse,
            &format!("/api/v1/orders/{number}/status"),
            Some("h-1"),
            json!({ "status": "shipped" }),
        )
        .await)
    .await;
    assert_eq!(handed["order"]["status"], "shipped");
    assert_eq!(
        handed["shipment"]["tracking_no"],
        tracking.as_str(),
        "the packed parcel's number"
    );
}

#[tokio::test]
async fn an_order_still_on_a_list_or_unknown_is_not_packed() {
    let s = TestServer::start().await;
    let warehouse = s.token("warehouse").await;
    s.park_waiting_orders();
    let (status, _) = s.get(&warehouse, "/api/v1/pack/PL-999999").await;
    assert_eq!(status, 404);
    let (status, _) = s.get(&warehouse, "/api/v1/pack/SO-999999").await;
    assert_eq!(status, 404);
    let ops = s.token("ops").await;
    let order = s.place_tea_order(&ops, "lot").await;
    let number = order["order"]["number"].as_str().expect("number");
    let list = ok(s
        .post(
            &warehouse,
            "/api/v1/pick-lists/claim",
            Some("c-1"),
            json!({}),
        )
        .await)
    .await;
    let list = list["number"].as_str().expect("number").to_string();
    let tote = format!("/api/v1/pick-lists/{list}/slots/1/tote");
    ok(
        s.post(&warehouse, &tote, Some("t-1"), json!({ "tote": "TOTE-7" }))
            .await,
    )
    .await;
    // A tote holds one order until it is packed.
    s.place_tea_order(&ops, "lot-2").await;
    let other = ok(s
        .post(&ops, "/api/v1/pick-lists/claim", Some("c-2"), json!({}))
        .await)
    .await;
    let other = other["number"].as_str().expect("number").to_string();
    let res = s
        .post(
            &ops,
            &format!("/api/v1/pick-lists/{other}/slots/1/tote"),
            Some("t-2"),
            json!({ "tote": "TOTE-7" }),
        )
        .await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains(&format!("TOTE-7 holds {number}")),
        "{problem}"
    );
    let res = s
        .post(&warehouse, &tote, Some("t-3"), json!({ "tote": "" }))
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = s.post(&warehouse, &format!("/api/v1/orders/{number}/pack"), Some("k-1"),
        json!({ "package": "box-s", "weight_grams": 300, "items": [{ "sku": "TEA-1001", "qty": 1 }] })).await;
    let problem = expect_problem(res, 409, "/problems/conflict").await;
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("still being picked"),
        "{problem}"
    );
}
