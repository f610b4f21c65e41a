//! The carrier webhook over real HTTP: authenticated per carrier, idempotent per carrier
//! event id, moving the order on delivery and raising an alert on an exception.

mod common;

use backroom::server::ServerConfig;
use common::{TestServer, expect_problem};
use serde_json::{Value, json};

async fn shipped_order(s: &TestServer) -> Value {
    let shop = s.token("integration").await;
    let warehouse = s.token("warehouse").await;
    let price = s
        .store
        .product_with_stock("TEA-1001")
        .unwrap()
        .unwrap()
        .0
        .price
        .minor;
    let body = json!({
        "channel": "web", "channel_order_no": "TR-1",
        "customer": { "name": "Felix Becker", "email": "felix.tr@example.com", "phone": null },
        "ship_to": { "name": "Felix Becker", "line1": "Sendlinger Straße 3", "line2": null, "city": "München",
                     "postal_code": "80331", "region": null, "country": "DE" },
        "payment_method": "card", "currency": "EUR",
        "lines": [{ "sku": "TEA-1001", "qty": 1, "unit_price_minor": price }]
    });
    let placed: Value = s
        .http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(&shop)
        .header("idempotency-key", "tr-1")
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    for status in ["picking", "packed", "shipped"] {
        let res = s
            .http
            .post(s.url(&format!("/api/v1/orders/{number}/status")))
            .bearer_auth(&warehouse)
            .json(&json!({ "status": status }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{status}");
        last = res.json().await.unwrap();
    }
    last
}

async fn post_event(
    s: &TestServer,
    shipment: &str,
    secret: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut req = s
        .http
        .post(s.url(&format!("/api/v1/shipments/{shipment}/tracking-events")))
        .json(&body);
    if let Some(secret) = secret {
        req = req.header("x-carrier-secret", secret);
    }
    req.send().await.unwrap()
}

fn config() -> ServerConfig {
    let mut config = ServerConfig::default();
    config
        .carrier_secrets
        .insert("dhl".into(), "dhl-shared-secret".into());
    config
}

#[tokio::test]
async fn tracking_events_need_the_carriers_secret_and_move_the_order() {
    let s = TestServer::start_with(config()).await;
    let order = shipped_order(&s).await;
    assert_eq!(order["order"]["status"], "shipped");
    let shipment = &order["shipment"];
    assert_eq!(shipment["carrier"], "dhl");
    let id = shipment["id"].as_str().unwrap().to_string();
    let tracking_no = shipment["tracking_no"].as_str().unwrap().to_string();
    let audit_before = s.store.audit_entries(None, 100_000).unwrap().len();

    let in_transit = json!({ "event_id": "dhl-1", "kind": "in_transit", "at": "2026-11-24T08:00:00Z", "location": "Leipzig hub" });
    for secret in [None, Some("wrong"), Some("dhl-shared-secret-but-longer")] {
        expect_problem(
            post_event(&s, &id, secret, in_transit.clone()).await,
            401,
            "/problems/unauthenticated",
        )
        .await;
    }
    let detail = s
        .store
        .order_detail(order["order"]["number"].as_str().unwrap())
        .unwrap()
        .unwrap();
    assert!(
        detail.shipment.unwrap().events.is_empty(),
        "a refused event records nothing"
    );
    assert_eq!(
        s.store.audit_entries(None, 100_000).unwrap().len(),
        audit_before
    );

    let res = post_event(
        &s,
        &tracking_no,
        Some("dhl-shared-secret"),
        in_transit.clone(),
    )
    .await;
    assert_eq!(res.status(), 201);
    let res = post_event(&s, &id, Some("dhl-shared-secret"), in_transit).await;
    assert_eq!(
        res.status(),
        200,
        "the same carrier event again is recognised"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["events"].as_array().unwrap().len(), 1);
    assert_eq!(body["state"], "in_transit");

    let since = s.store.last_event_id().unwrap();
    let res = post_event(&s, &id, Some("dhl-shared-secret"), json!({ "event_id": "dhl-2", "kind": "exception", "at": "2026-11-24T09:00:00Z", "description": "parcel damaged" })).await;
    assert_eq!(res.status(), 201);
    let alerts: Vec<_> = s
        .store
        .events_after(since, 100)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "alert.carrier_exception")
        .collect();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].payload["description"], "parcel damaged");
    assert_eq!(alerts[0].payload["number"], order["order"]["number"]);
    // CS's alert list: the order is among those with a carrier exception, and only such.
    let cs = s.token("cs").await;
    let (status, listed) = s
        .get(&cs, "/api/v1/orders?carrier_exception=true&limit=500")
        .await;
    assert_eq!(status, 200);
    let listed = listed["items"].as_array().unwrap();
    assert!(
        listed
            .iter()
            .any(|o| o["number"] == order["order"]["number"])
    );
    assert!(listed.iter().all(|o| o["shipment_state"] == "exception"));

    let res = post_event(
        &s,
        &id,
        Some("dhl-shared-secret"),
        json!({ "event_id": "dhl-3", "kind": "delivered", "at": "2026-11-24T15:00:00Z" }),
    )
    .await;
    assert_eq!(res.status(), 201);
    let ops = s.token("ops").await;
    let (_, detail) = s
        .get(
            &ops,
            &format!(
                "/api/v1/orders/{}",
                order["order"]["number"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(detail["order"]["status"], "delivered");
    // A late report of an earlier scan does not undo the delivery.
    let res = post_event(
        &s,
        &id,
        Some("dhl-shared-secret"),
        json!({ "event_id": "dhl-0", "kind": "picked_up", "at": "2026-11-24T06:00:00Z" }),
    )
    .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["state"], "delivered");
    let (_, detail) = s
        .get(
            &ops,
            &format!(
                "/api/v1/orders/{}",
                order["order"]["number"].as_str().unwrap()
            ),
        )
        .await;
    let kinds: Vec<&str> = detail["shipment"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["picked_up", "in_transit", "exception", "delivered"]
    );
    assert_eq!(
        detail["history"].as_array().unwrap().last().unwrap()["actor"],
        "carrier:dhl"
    );
}

#[tokio::test]
async fn bad_tracking_input_is_refused() {
    let s = TestServer::start_with(config()).await;
    let order = shipped_order(&s).await;
    let id = order["shipment"]["id"].as_str().unwrap().to_string();
    let res = post_event(
        &s,
        &id,
        Some("dhl-shared-secret"),
        json!({ "kind": "lost", "at": "2026-11-24T08:00:00Z" }),
    )
    .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = post_event(
        &s,
        &id,
        Some("dhl-shared-secret"),
        json!({ "kind": "in_transit", "at": "yesterday" }),
    )
    .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    let res = post_event(
        &s,
        "no-such-shipment",
        Some("dhl-shared-secret"),
        json!({ "kind": "in_transit", "at": "2026-11-24T08:00:00Z" }),
    )
    .await;
    expect_problem(res, 404, "/problems/not-found").await;
    // Without the secret, a missing shipment looks like any other refusal.
    let res = post_event(
        &s,
        "no-such-shipment",
        Some("guess"),
        json!({ "kind": "in_transit", "at": "2026-11-24T08:00:00Z" }),
    )
    .await;
    expect_problem(res, 401, "/problems/unauthenticated").await;
}
