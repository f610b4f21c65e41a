//! The stocktake pane through the real event loop against a real server: an admin who is
//! the only one left who may approve counts counts a bin, approves the variance, is asked
//! why, answers, and the line is approved and audited as self-approval.

mod common;
mod console_loop;
mod stock_support;

use backroom::domain::role::Permission;
use common::TestServer;
use console_loop::{Console, scanned, sign_in, typed};
use crossterm::event::KeyCode;
use jiff::Timestamp;
use serde_json::{Value, json};
use stock_support::{balance, empty_bins, send, text};

/// Keys a person presses one by one, each standing alone.
fn pressed(text: &str) -> Vec<KeyCode> {
    text.chars()
        .flat_map(|c| [KeyCode::Char(c), KeyCode::Null])
        .collect()
}

async fn stocktake(server: &TestServer, token: &str, number: &str) -> Value {
    let (status, body) = server
        .get(token, &format!("/api/v1/stocktakes/{number}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn an_admin_alone_approves_their_own_count_with_a_reason_asked_for_by_the_pane() {
    let server = TestServer::start().await;
    let admin = server.token("admin").await;
    // Kitchen goods are not traced by lot: their plain EAN-13 will do.
    let (product, _) = server
        .store
        .product_with_stock("KIT-1001")
        .unwrap()
        .expect("KIT-1001");
    let barcode = product.barcode.expect("KIT-1001 has a barcode");
    let bin = empty_bins(&server)[0].clone();
    let (status, body) = send(
        &server,
        &admin,
        "/api/v1/stock/adjustments",
        Some("setup"),
        json!({ "product": "KIT-1001", "location": bin, "delta": 6, "reason": "found" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, created) = send(
        &server,
        &admin,
        "/api/v1/stocktakes",
        Some("plan"),
        json!({ "scope": "locations", "locations": [bin],
                "tolerance_qty": 100, "tolerance_value": 100_000_000 }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let number = text(&created, "number");

    // Everyone else who may approve counts is away.
    for user in server.store.list_users().expect("users") {
        if user.username != "admin"
            && !user.disabled
            && user.role.allows(Permission::StocktakeManage)
        {
            server
                .store
                .set_user_disabled(&user.username, true, "test", Timestamp::now())
                .expect("disable");
        }
    }

    // The admin counts the bin in the pane: five where the ledger has six.
    let mut console = Console::new(&server);
    let mut script = sign_in("admin");
    script.extend([KeyCode::F(7), KeyCode::Null]);
    script.extend(scanned(&number));
    script.push(KeyCode::Null);
    script.extend(scanned(&bin));
    script.push(KeyCode::Null);
    script.extend(pressed("5"));
    script.extend(scanned(&barcode));
    script.push(KeyCode::Null);
    script.extend(scanned(&bin));
    script.push(KeyCode::Null);
    let screen = console.keys(script, true).await;
    assert!(screen.contains(&format!("{bin} closed")), "{screen}");
    let counted = stocktake(&server, &admin, &number).await;
    assert_eq!(counted["state"], "review", "{counted}");

    // Back to the list, the count again (now for review), and approve its one line.
    let mut script = vec![KeyCode::Esc, KeyCode::Null];
    script.extend(scanned(&number));
    script.push(KeyCode::Null);
    script.extend(pressed("a"));
    let screen = console.keys(script, true).await;
    assert!(
        screen.contains("Why approve it") && screen.contains("(audited)"),
        "asked why, not sent to someone else:\n{screen}"
    );
    assert_eq!(balance(&server, "KIT-1001", &bin), (6, 0), "nothing yet");

    // Typed as a person types it (no scanner in between), then Enter.
    let mut script = typed("Only manager on the night shift");
    script.push(KeyCode::Enter);
    let screen = console.keys(script, false).await;
    assert!(screen.contains("Approved as your own count"), "{screen}");
    // The first answer was taken up there and then: nothing is left among the refused.
    assert!(!screen.contains("refused"), "{screen}");

    let approved = stocktake(&server, &admin, &number).await;
    let line = &approved["lines"][0];
    assert_eq!(line["state"], "approved", "{approved}");
    assert_eq!(line["reviewed_by"], "admin", "{approved}");
    assert_eq!(balance(&server, "KIT-1001", &bin), (5, 0));
    let (status, log) = server.get(&admin, "/api/v1/audit?limit=50").await;
    assert_eq!(status, 200, "{log}");
    let own = log["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|e| e["action"] == "stocktake.self_approved")
        .unwrap_or_else(|| panic!("no self-approval audited: {log}"));
    assert_eq!(own["actor"], "admin");
    assert_eq!(own["detail"]["number"], number.as_str());
    assert_eq!(own["detail"]["reason"], "Only manager on the night shift");
    assert_eq!(
        own["detail"]["lines"],
        json!([{ "location": bin, "sku": "KIT-1001" }])
    );
}
