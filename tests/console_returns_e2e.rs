//! Returns and refunds through the real console and event loop against a real server: an
//! agent authorises a return from the ticket view, the warehouse scans it back into the
//! returns location and puts it away to damaged, and a supervisor approves a refund from
//! the approvals queue (never their own). What the keys did is checked through the API.

mod common;
mod console_loop;

use common::TestServer;
use console_loop::{Console, sign_in, typed};
use crossterm::event::KeyCode;
use serde_json::{Value, json};

/// What a wedge scanner types for `code`: its characters, then Enter, then a pause.
fn scan(code: &str) -> Vec<KeyCode> {
    let mut keys = typed(code);
    keys.extend([KeyCode::Enter, KeyCode::Null]);
    keys
}

/// Keys a person presses one by one, each standing alone.
fn pressed(keys: &[KeyCode]) -> Vec<KeyCode> {
    keys.iter().flat_map(|k| [*k, KeyCode::Null]).collect()
}

async fn get(server: &TestServer, token: &str, path: &str) -> Value {
    let (status, body) = server.get(token, path).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// On hand of `sku` at `location`.
async fn on_hand(server: &TestServer, token: &str, sku: &str, location: &str) -> i64 {
    let body = get(
        server,
        token,
        &format!("/api/v1/stock?sku={sku}&location={location}"),
    )
    .await;
    body["items"]
        .as_array()
        .or(body.as_array())
        .expect("a list")
        .iter()
        .filter(|l| l["sku"] == sku && l["location"] == location)
        .map(|l| l["on_hand"].as_i64().unwrap())
        .sum()
}

/// A delivered or shipped order whose first line is a product not traced by lot, with a
/// ticket from its customer about it; returns (order, ticket number).
async fn ticket_about_an_order(server: &TestServer, cs: &str) -> (Value, String) {
    let list = get(
        server,
        cs,
        "/api/v1/orders?status=shipped,delivered&limit=200",
    )
    .await;
    let mut found = None;
    for o in list["items"].as_array().unwrap() {
        let d = get(
            server,
            cs,
            &format!("/api/v1/orders/{}", o["number"].as_str().unwrap()),
        )
        .await;
        if d["lines"][0]["sku"].as_str().unwrap().starts_with("KIT-") {
            found = Some(d);
            break;
        }
    }
    let order = found.expect("a shipped order of kitchen goods");
    let shop = server.token("integration").await;
    let res = server
        .post(
            &shop,
            "/api/v1/messages",
            Some(&uuid::Uuid::now_v7().to_string()),
            json!({ "customer_email": order["customer_email"], "subject": "Cracked",
                    "body": format!("My {} arrived cracked. I want to return it.", order["order"]["number"].as_str().unwrap()) }),
        )
        .await;
    assert!(res.status().is_success());
    let receipt: Value = res.json().await.unwrap();
    let tk = receipt["ticket_number"].as_str().unwrap().to_string();
    (order, tk)
}

/// The keys that go down the complaints queue to `ticket` and open it.
async fn open_ticket_keys(server: &TestServer, cs: &str, ticket: &str) -> Vec<KeyCode> {
    let queue = server
        .first_page(cs, "/api/v1/tickets?view=all&limit=200")
        .await;
    let at = queue
        .iter()
        .position(|t| t["number"] == ticket)
        .expect("the ticket is in the queue");
    let mut keys = vec![KeyCode::Down; at];
    keys.push(KeyCode::Enter);
    pressed(&keys)
}

#[tokio::test]
async fn a_return_authorised_at_the_desk_is_scanned_back_and_put_away_to_damaged() {
    let server = TestServer::start().await;
    let cs = server.token("cs").await;
    let (order, tk) = ticket_about_an_order(&server, &cs).await;
    let sku = order["lines"][0]["sku"].as_str().unwrap().to_string();
    let ordered = order["lines"][0]["qty"].as_i64().unwrap();

    // The agent: open the ticket, m for the form, the first line, one unit, a reason.
    let mut agent = Console::new(&server);
    let mut script = sign_in("cs");
    script.extend(open_ticket_keys(&server, &cs, &tk).await);
    script.extend(pressed(&[KeyCode::Char('m'), KeyCode::Down]));
    // More than ordered is refused in the form, before anything is sent.
    script.extend(pressed(&[KeyCode::Char('9')]));
    let screen = agent.keys(script, true).await;
    assert!(
        screen.contains(&format!("{sku}: {ordered} units were ordered")),
        "{screen}"
    );
    let mut script = pressed(&[KeyCode::Char('1'), KeyCode::Tab]);
    script.extend(typed("cracked in transit"));
    script.extend([KeyCode::Enter, KeyCode::Null]);
    let screen = agent.keys(script, true).await;
    let detail = get(&server, &cs, &format!("/api/v1/tickets/{tk}")).await;
    let rma = detail["returns"][0]["number"]
        .as_str()
        .expect("an RMA")
        .to_string();
    assert_eq!(detail["returns"][0]["reason"], "cracked in transit");
    assert_eq!(
        detail["returns"][0]["lines"],
        json!([{ "line_no": 1, "sku": sku, "name": order["lines"][0]["name"], "qty": 1, "received": 0 }])
    );
    assert!(
        screen.contains(&format!("{rma} authorised for 1 unit of")),
        "{screen}"
    );

    // The warehouse: scan the RMA, then the item; it lands in the returns location.
    let wh = server.token("warehouse").await;
    let barcode = server
        .store
        .product_with_stock(&sku)
        .unwrap()
        .expect("the product")
        .0
        .barcode
        .expect("a barcode");
    let returns_before = on_hand(&server, &wh, &sku, "RET-01").await;
    let damaged_before = on_hand(&server, &wh, &sku, "DMG-01").await;
    let mut floor = Console::new(&server);
    let mut script = sign_in("warehouse");
    script.extend(pressed(&[KeyCode::F(5)]));
    script.extend(scan(&rma));
    let screen = floor.keys(script, true).await;
    assert!(screen.contains(&format!("Return {rma}")), "{screen}");
    assert!(screen.contains("cracked in transit"), "{screen}");
    // An item that is not on the return is refused, and nothing moves.
    let screen = floor
        .keys(scan("01047123450000081727123110LOT42"), true)
        .await;
    assert!(screen.contains("not taken back"), "{screen}");
    let screen = floor.keys(scan(&barcode), true).await;
    assert!(
        screen.contains(&format!("{rma} back in full in RET-01")),
        "{screen}"
    );
    assert_eq!(
        on_hand(&server, &wh, &sku, "RET-01").await,
        returns_before + 1
    );
    let back = get(&server, &cs, &format!("/api/v1/returns/{rma}")).await;
    assert_eq!(back["status"], "received", "{back}");
    assert_eq!(
        back["received_into"],
        Value::Null,
        "the desk is not told bins"
    );
    let back = get(&server, &wh, &format!("/api/v1/returns/{rma}")).await;
    assert_eq!(back["received_into"], "RET-01");

    // Put away from returns (where the pane now is) to damaged.
    let mut script = pressed(&[KeyCode::Char('m')]);
    script.extend(scan(&barcode));
    script.extend(scan("DMG-01"));
    let screen = floor.keys(script, true).await;
    assert!(
        screen.contains(&format!("1 × {sku} RET-01 → DMG-01")),
        "{screen}"
    );
    assert_eq!(on_hand(&server, &wh, &sku, "RET-01").await, returns_before);
    assert_eq!(
        on_hand(&server, &wh, &sku, "DMG-01").await,
        damaged_before + 1
    );
}

#[tokio::test]
async fn a_supervisor_approves_a_refund_from_the_approvals_queue_but_never_their_own() {
    let server = TestServer::start().await;
    let cs = server.token("cs").await;
    let supervisor = server.token("supervisor").await;
    let (_, tk) = ticket_about_an_order(&server, &cs).await;
    let ask = |token: String, amount: i64, reason: &'static str| {
        let server = &server;
        let tk = tk.clone();
        async move {
            let res = server
                .post(
                    &token,
                    &format!("/api/v1/tickets/{tk}/refunds"),
                    Some(&uuid::Uuid::now_v7().to_string()),
                    json!({ "kind": "refund", "amount_minor": amount, "reason": reason }),
                )
                .await;
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["status"], "awaiting_approval", "{body}");
            body["number"].as_str().unwrap().to_string()
        }
    };
    // Above the 50.00 limit: both wait. The supervisor's own is newest, so listed first.
    let theirs = ask(cs.clone(), 5100, "goodwill: late parcel").await;
    let own = ask(supervisor.clone(), 5200, "goodwill: second parcel").await;

    let mut console = Console::new(&server);
    let mut script = sign_in("supervisor");
    script.extend(pressed(&[KeyCode::F(8)]));
    script.extend(pressed(&[KeyCode::Char('f'); 4]));
    let screen = console.keys(script, true).await;
    assert!(screen.contains("Complaints · approvals (2)"), "{screen}");
    assert!(
        screen.contains(&theirs) && screen.contains(&own),
        "{screen}"
    );

    // Their own is refused in the console; the server would refuse it too.
    let screen = console.keys(pressed(&[KeyCode::Char('y')]), true).await;
    assert!(
        screen.contains(&format!("{own} was asked for by you")),
        "{screen}"
    );
    let mut script = pressed(&[KeyCode::Down, KeyCode::Char('y')]);
    script.extend(typed("tracking shows 6 days late"));
    script.extend([KeyCode::Enter, KeyCode::Null]);
    let screen = console.keys(script, true).await;
    assert!(screen.contains(&format!("{theirs} refund")), "{screen}");
    assert!(screen.contains("approved, in effect"), "{screen}");
    assert!(screen.contains("Complaints · approvals (1)"), "{screen}");

    let refunds = server.first_page(&cs, "/api/v1/refunds?limit=200").await;
    let refund = |number: &str| {
        refunds
            .iter()
            .find(|r| r["number"] == number)
            .cloned()
            .expect("the refund")
    };
    let decided = refund(&theirs);
    assert_eq!(decided["status"], "approved", "{decided}");
    assert_eq!(decided["decided_by"], "supervisor");
    assert_eq!(decided["decision_note"], "tracking shows 6 days late");
    let still = refund(&own);
    assert_eq!(still["status"], "awaiting_approval");
}
