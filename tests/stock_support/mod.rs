//! Helpers shared by the inventory and stocktake tests: requests that answer status and
//! body, products and bins chosen from the sample shop, balances and ledger figures read
//! straight from the store.

#![allow(dead_code)]

use std::collections::BTreeMap;

use backroom::domain::location::BinCode;
use backroom::store::{MovementFilter, StockFilter};
use serde_json::{Value, json};

use crate::common::TestServer;

/// A POST answered with its status and body (JSON or problem+json; `Null` otherwise).
pub async fn send(
    s: &TestServer,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let res = s.post(token, path, key, body).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// On hand and reserved of a product at a location (0, 0 when it holds none).
pub fn balance(s: &TestServer, sku: &str, location: &str) -> (i64, i64) {
    let (_, rows) = s
        .store
        .product_with_stock(sku)
        .expect("store")
        .expect("product");
    rows.iter()
        .find(|r| r.location == location)
        .map(|r| (r.on_hand, r.reserved))
        .unwrap_or((0, 0))
}

/// Every balance of a product, by location code.
pub fn balances(s: &TestServer, sku: &str) -> BTreeMap<String, (i64, i64)> {
    let (_, rows) = s
        .store
        .product_with_stock(sku)
        .expect("store")
        .expect("product");
    rows.into_iter()
        .map(|r| (r.location, (r.on_hand, r.reserved)))
        .collect()
}

/// All balances of the shop.
pub fn all_stock(s: &TestServer) -> Vec<backroom::store::StockRow> {
    s.store
        .stock_levels(&StockFilter {
            limit: 1_000_000,
            ..StockFilter::default()
        })
        .expect("stock")
}

/// Movements of a product, newest first, optionally of one kind or reference.
pub fn movements(
    s: &TestServer,
    sku: Option<&str>,
    kind: Option<&str>,
    reference: Option<&str>,
) -> Vec<backroom::store::MovementRow> {
    s.store
        .stock_movements(&MovementFilter {
            product: sku,
            kind: kind.map(|k| backroom::domain::stock::MovementKind::parse(k).expect("kind")),
            reference,
            limit: 1_000_000,
            ..MovementFilter::default()
        })
        .expect("movements")
}

/// The ledger's newest movement id.
pub fn ledger_mark(s: &TestServer) -> i64 {
    movements(s, None, None, None)
        .first()
        .map(|m| m.id)
        .unwrap_or(0)
}

/// Bins that hold no stock of anything.
pub fn empty_bins(s: &TestServer) -> Vec<String> {
    let stocked: std::collections::BTreeSet<String> =
        all_stock(s).into_iter().map(|r| r.location).collect();
    s.store
        .list_locations(None, Some("bin"), None, 10_000)
        .expect("locations")
        .into_iter()
        .map(|l| l.code)
        .filter(|c| !stocked.contains(c))
        .collect()
}

/// A product that is not lot-tracked, held in exactly one location (a bin) with at least
/// `min_free` free units there and nothing reserved elsewhere, skipping `except`. Returns
/// the SKU and the bin.
pub fn single_bin_product(s: &TestServer, min_free: i64, except: &[&str]) -> (String, String) {
    let mut by_sku: BTreeMap<String, Vec<backroom::store::StockRow>> = BTreeMap::new();
    for row in all_stock(s) {
        by_sku.entry(row.sku.clone()).or_default().push(row);
    }
    by_sku
        .into_iter()
        .find(|(sku, rows)| {
            !sku.starts_with("TEA")
                && !except.contains(&sku.as_str())
                && rows.len() == 1
                && BinCode::parse(&rows[0].location).is_ok()
                && rows[0].on_hand - rows[0].reserved >= min_free
        })
        .map(|(sku, rows)| (sku, rows[0].location.clone()))
        .unwrap_or_else(|| panic!("no single-bin product with {min_free} free"))
}

/// A product that is not lot-tracked, above its safety stock by 5 or more and held in one
/// bin: (SKU, bin, free units, safety stock). Taking `free - (safety - 1)` away raises an
/// alert.
pub fn above_safety(s: &TestServer) -> (String, String, i64, i64) {
    let stock = all_stock(s);
    stock
        .iter()
        .filter(|r| !r.sku.starts_with("TEA"))
        .filter(|r| stock.iter().filter(|o| o.sku == r.sku).count() == 1)
        .filter(|r| BinCode::parse(&r.location).is_ok())
        .map(|r| {
            let (_, safety) = price_and_safety(s, &r.sku);
            (
                r.sku.clone(),
                r.location.clone(),
                r.on_hand - r.reserved,
                safety,
            )
        })
        .find(|(_, _, free, safety)| *safety > 0 && *free >= safety + 5)
        .expect("a product above safety stock")
}

/// A product's catalogue price in minor units and its safety stock.
pub fn price_and_safety(s: &TestServer, sku: &str) -> (i64, i64) {
    let (p, _) = s
        .store
        .product_with_stock(sku)
        .expect("store")
        .expect("product");
    (p.price.minor, p.safety_stock)
}

/// Places an order of the given lines at catalogue prices; it must be ready to pick.
pub async fn place(s: &TestServer, token: &str, label: &str, lines: &[(&str, i64)]) -> Value {
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, qty)| {
            let (price, _) = price_and_safety(s, sku);
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
    let (status, order) = send(
        s,
        token,
        "/api/v1/orders",
        Some(&format!("order-{label}")),
        body,
    )
    .await;
    assert_eq!(status, 201, "placing {label}: {order}");
    assert_eq!(order["order"]["status"], "ready_to_pick", "{order}");
    order
}

/// Asserts the ledger holds: every balance is the sum of its movements, and no balance is
/// negative or reserves more than it holds.
pub fn assert_ledger_holds(s: &TestServer) {
    let gaps = s.store.ledger_gaps().expect("gaps");
    assert!(gaps.is_empty(), "balances off their movements: {gaps:?}");
    for row in all_stock(s) {
        assert!(
            row.on_hand >= 0 && row.reserved >= 0 && row.reserved <= row.on_hand,
            "impossible balance {row:?}"
        );
    }
}

/// The string of a JSON field.
pub fn text(v: &Value, field: &str) -> String {
    v[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {v}"))
        .to_string()
}
