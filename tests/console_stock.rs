//! The stock and replenishment panes driven by scans and keys, the server's answers given by
//! hand, with renders at 80×24 and 40×16.

mod console_support;

use backroom::api::{
    FeedEvent, MoneyBody, Product, ProductDetail, PurchaseRequest, Receipt, ReceiptLine,
    ReplenishmentAlert, StockLevel, StockMovement,
};
use backroom::client::{
    Applied, Change, ClientError, Loaded, Lookup, PurchasingChange, StockChange,
};
use backroom::console::app::{App, Effect, Msg, PaneKind, Reply};
use backroom::console::cue::Cue;
use backroom::domain::barcode::complete_ean13;
use backroom::domain::role::Role;
use console_support::{app_with, key, me, render};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn tea() -> String {
    complete_ean13("471234500000").unwrap()
}
fn pen() -> String {
    complete_ean13("471234500100").unwrap()
}

fn level(sku: &str, name: &str, barcode: String, location: &str, on_hand: i64) -> StockLevel {
    StockLevel {
        sku: sku.into(),
        product_name: name.into(),
        barcode: Some(barcode),
        location: Some(location.into()),
        on_hand,
        reserved: 2,
        available: on_hand - 2,
    }
}

fn movement(id: i64, kind: &str, from: Option<&str>, to: Option<&str>, qty: i64) -> StockMovement {
    StockMovement {
        id,
        at: format!("2026-11-24T1{}:05:00Z", id % 10),
        sku: "TEA-1001".into(),
        product_name: "Alishan oolong, 100 g".into(),
        from: from.map(String::from),
        to: to.map(String::from),
        qty,
        kind: kind.into(),
        reference: Some(format!("SO-00{id}")),
        lot: None,
        expiry: None,
        actor: "warehouse".into(),
    }
}

fn loads(effects: &[Effect]) -> Vec<(u64, Lookup)> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Load { request, lookup } => Some((*request, lookup.clone())),
            _ => None,
        })
        .collect()
}

fn stock_changes(effects: &[Effect]) -> Vec<StockChange> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(m) => match &m.change {
                Change::Stock(c) => Some(c.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn purchasing_changes(effects: &[Effect]) -> Vec<PurchasingChange> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(m) => match &m.change {
                Change::Purchasing(c) => Some(c.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

fn cues(effects: &[Effect]) -> Vec<Cue> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Cue(c) => Some(*c),
            _ => None,
        })
        .collect()
}

fn loaded(app: &mut App, request: u64, result: Loaded) -> Vec<Effect> {
    app.update(Msg::Reply(Reply::Loaded {
        request,
        result: Ok(result),
    }))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

/// Signed in as `role`, on the stock pane.
fn stock_pane(role: Role) -> App {
    let mut app = app_with("default", "default");
    app.signed_in(me(role));
    app.update(key(KeyCode::F(5)));
    assert_eq!(app.workspace().unwrap().active, PaneKind::Stock);
    app
}

/// A bin with two products in it, looked up by scanning its label.
fn looked_up_bin(app: &mut App) {
    let effects = app.update(Msg::Scan("A-01-01".into()));
    let asked = loads(&effects);
    assert_eq!(
        asked.iter().map(|(_, l)| l.clone()).collect::<Vec<_>>(),
        vec![
            Lookup::LocationStock("A-01-01".into()),
            Lookup::Movements {
                product: None,
                location: Some("A-01-01".into())
            },
        ]
    );
    loaded(
        app,
        asked[0].0,
        Loaded::LocationStock(vec![
            level("TEA-1001", "Alishan oolong, 100 g", tea(), "A-01-01", 12),
            level("STA-1001", "Gel pen, black", pen(), "A-01-01", 40),
        ]),
    );
    loaded(
        app,
        asked[1].0,
        Loaded::Movements(vec![
            movement(7, "pick", Some("A-01-01"), Some("SHP-01"), 2),
            movement(3, "put_away", Some("RCV-01"), Some("A-01-01"), 24),
        ]),
    );
}

#[test]
fn a_scanned_location_shows_what_it_holds_and_what_moved() {
    let mut app = stock_pane(Role::Warehouse);
    insta::assert_snapshot!("stock_empty_80x24", render(&app, 80, 24));
    looked_up_bin(&mut app);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("52 on hand · 48 free"), "{screen}");
    insta::assert_snapshot!("stock_location_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("stock_location_40x16", render(&app, 40, 16));

    // A product scan looks the product up, wherever it is.
    let asked = loads(&app.update(Msg::Scan(tea())));
    assert_eq!(asked[0].1, Lookup::ProductStock(tea()));
    // Typed by hand: a SKU is a product.
    app.update(key(KeyCode::Char('/')));
    typed(&mut app, "STA-1001");
    let asked = loads(&app.update(key(KeyCode::Enter)));
    assert_eq!(asked[0].1, Lookup::ProductStock("STA-1001".into()));
}

/// An agent (no `locations.read`) looks a product up: the server answers its totals as
/// one line without a location, and its movements without where from and to.
#[test]
fn an_agent_sees_a_products_totals_and_what_moved_without_places() {
    let mut app = stock_pane(Role::Cs);
    let asked = loads(&app.update(Msg::Scan(tea())));
    assert_eq!(asked[0].1, Lookup::ProductStock(tea()));
    let mut total = level("TEA-1001", "Alishan oolong, 100 g", tea(), "", 52);
    total.location = None;
    let product = Product {
        id: "p1".into(),
        sku: "TEA-1001".into(),
        name: "Alishan oolong, 100 g".into(),
        category: "Tea & Coffee".into(),
        barcode: Some(tea()),
        price: MoneyBody::from(backroom::domain::money::Money::new(
            1290,
            backroom::domain::money::Currency::EUR,
        )),
        safety_stock: 20,
        on_hand: 52,
        available: 50,
    };
    loaded(
        &mut app,
        asked[0].0,
        Loaded::ProductStock(Box::new(ProductDetail {
            product,
            stock: vec![total],
        })),
    );
    loaded(
        &mut app,
        asked[1].0,
        Loaded::Movements(vec![
            movement(7, "pick", None, None, 2),
            movement(3, "put_away", None, None, 24),
        ]),
    );
    let screen = render(&app, 80, 24);
    assert!(screen.contains("all"), "{screen}");
    insta::assert_snapshot!("stock_product_without_places_80x24", screen);
}

#[test]
fn a_role_without_stock_moves_is_told_so() {
    let mut app = stock_pane(Role::Purchasing);
    let effects = app.update(key(KeyCode::Char('r')));
    assert_eq!(cues(&effects), vec![Cue::Error]);
    assert!(stock_changes(&effects).is_empty());
    assert!(render(&app, 80, 24).contains("cannot receive or move"));
}

fn receipt(lines: Vec<(&str, i64, i64)>) -> Receipt {
    Receipt {
        id: "rc-1".into(),
        number: "RC-000007".into(),
        location: Some("RCV-01".into()),
        state: "open".into(),
        supplier: None,
        created_by: "warehouse".into(),
        created_at: "2026-11-24T23:00:00Z".into(),
        closed_at: None,
        expected: Vec::new(),
        lines: lines
            .into_iter()
            .map(|(sku, received, expected)| ReceiptLine {
                sku: sku.into(),
                name: "Gel pen, black".into(),
                received,
                expected,
            })
            .collect(),
    }
}

fn applied(
    app: &mut App,
    change: StockChange,
    result: Result<Applied, ClientError>,
) -> Vec<Effect> {
    app.update(Msg::Reply(Reply::Mutated {
        change: Change::Stock(change),
        result,
    }))
}

#[test]
fn receiving_holds_scans_until_the_receipt_is_open_then_closes_it() {
    let mut app = stock_pane(Role::Warehouse);
    app.update(key(KeyCode::Char('r')));
    let expecting = app.update(Msg::Scan("PR-000004".into()));
    assert_eq!(cues(&expecting), vec![Cue::Ok]);
    assert!(stock_changes(&expecting).is_empty(), "nothing opens yet");

    // The first item opens the receipt; scans wait for it instead of being lost.
    let first = stock_changes(&app.update(Msg::Scan(pen())));
    assert_eq!(
        first,
        vec![StockChange::OpenReceipt {
            expected: vec!["PR-000004".into()]
        }]
    );
    typed(&mut app, "5");
    let second = app.update(Msg::Scan(pen()));
    assert!(
        stock_changes(&second).is_empty(),
        "one receipt is asked for"
    );

    let opened = applied(
        &mut app,
        first[0].clone(),
        Ok(Applied::Receipt(Box::new(receipt(Vec::new())))),
    );
    let held = stock_changes(&opened);
    let receive = |qty| StockChange::Receive {
        receipt: "RC-000007".into(),
        product: pen(),
        qty,
        lot: None,
        expiry: None,
    };
    assert_eq!(held, vec![receive(1), receive(5)]);
    applied(
        &mut app,
        receive(1),
        Ok(Applied::Receipt(Box::new(receipt(vec![(
            "STA-1001", 1, 11,
        )])))),
    );
    applied(
        &mut app,
        receive(5),
        Ok(Applied::Receipt(Box::new(receipt(vec![(
            "STA-1001", 6, 6,
        )])))),
    );
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("STA-1001: 6 received, 6 more expected"),
        "{screen}"
    );
    insta::assert_snapshot!("stock_receiving_80x24", screen);
    insta::assert_snapshot!("stock_receiving_40x16", render(&app, 40, 16));

    // A refused scan says so and is not counted.
    typed(&mut app, "3");
    let more = stock_changes(&app.update(Msg::Scan(tea())));
    let refused = applied(
        &mut app,
        more[0].clone(),
        Err(ClientError::Unexpected("TEA-1001 is lot-tracked".into())),
    );
    assert_eq!(cues(&refused), vec![Cue::Error]);
    assert!(render(&app, 80, 24).contains("not received"));

    let close = stock_changes(&app.update(key(KeyCode::Char('c'))));
    assert_eq!(
        close,
        vec![StockChange::CloseReceipt {
            receipt: "RC-000007".into()
        }]
    );
    let mut closed = receipt(vec![("STA-1001", 6, 6)]);
    closed.state = "closed".into();
    let after = applied(
        &mut app,
        close[0].clone(),
        Ok(Applied::Receipt(Box::new(closed))),
    );
    assert_eq!(cues(&after), vec![Cue::Done]);
    // What came in is shown where it waits for put-away.
    assert!(
        loads(&after)
            .iter()
            .any(|(_, l)| *l == Lookup::LocationStock("RCV-01".into()))
    );
    assert!(render(&app, 80, 24).contains("RC-000007 closed: 6 unit(s) in RCV-01"));
}

#[test]
fn a_move_checks_the_source_at_once_and_sends_one_move_per_item() {
    let mut app = stock_pane(Role::Warehouse);
    looked_up_bin(&mut app);
    // From the bin looked up: its stock is read again for the checks.
    let start = app.update(key(KeyCode::Char('m')));
    let asked = loads(&start);
    assert_eq!(asked[0].1, Lookup::LocationStock("A-01-01".into()));
    loaded(
        &mut app,
        asked[0].0,
        Loaded::LocationStock(vec![
            level("TEA-1001", "Alishan oolong, 100 g", tea(), "A-01-01", 12),
            level("STA-1001", "Gel pen, black", pen(), "A-01-01", 40),
        ]),
    );

    // Not there, or more than is free: refused before anything is sent.
    let elsewhere = complete_ean13("471234500999").unwrap();
    let absent = app.update(Msg::Scan(elsewhere));
    assert_eq!(cues(&absent), vec![Cue::Error]);
    typed(&mut app, "11");
    let too_many = app.update(Msg::Scan(tea()));
    assert_eq!(cues(&too_many), vec![Cue::Error]);
    assert!(render(&app, 80, 24).contains("A-01-01 has 10 of TEA-1001 free: not 11"));

    typed(&mut app, "4");
    assert_eq!(cues(&app.update(Msg::Scan(tea()))), vec![Cue::Ok]);
    assert_eq!(cues(&app.update(Msg::Scan(pen()))), vec![Cue::Ok]);
    // A typed number and Enter corrects what is in hand of the last item.
    typed(&mut app, "3");
    app.update(key(KeyCode::Enter));
    insta::assert_snapshot!("stock_moving_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("stock_moving_40x16", render(&app, 40, 16));

    let same = app.update(Msg::Scan("A-01-01".into()));
    assert_eq!(
        cues(&same),
        vec![Cue::Error],
        "not back where they came from"
    );

    let moves = stock_changes(&app.update(Msg::Scan("B-02-03".into())));
    let to_b = |product: &str, qty| StockChange::Move {
        product: product.into(),
        from: "A-01-01".into(),
        to: "B-02-03".into(),
        qty,
        lot: None,
    };
    assert_eq!(moves, vec![to_b("TEA-1001", 4), to_b("STA-1001", 3)]);
    applied(
        &mut app,
        moves[0].clone(),
        Ok(Applied::Movement(Box::new(movement(
            9,
            "move",
            Some("A-01-01"),
            Some("B-02-03"),
            4,
        )))),
    );
    let refused = applied(
        &mut app,
        moves[1].clone(),
        Err(ClientError::Unexpected("B-02-03 is blocked".into())),
    );
    assert_eq!(cues(&refused), vec![Cue::Error]);
    // The refused item is still in hand: another place can be scanned for it.
    let again = stock_changes(&app.update(Msg::Scan("B-02-04".into())));
    assert_eq!(
        again,
        vec![StockChange::Move {
            product: "STA-1001".into(),
            from: "A-01-01".into(),
            to: "B-02-04".into(),
            qty: 3,
            lot: None,
        }]
    );
}

#[test]
fn units_in_hand_stay_booked_to_their_source_until_put_down_or_dropped() {
    let mut app = stock_pane(Role::Warehouse);
    looked_up_bin(&mut app);
    let asked = loads(&app.update(key(KeyCode::Char('m'))));
    loaded(
        &mut app,
        asked[0].0,
        Loaded::LocationStock(vec![level(
            "TEA-1001",
            "Alishan oolong, 100 g",
            tea(),
            "A-01-01",
            12,
        )]),
    );
    app.update(Msg::Scan(tea()));
    // Receiving now would book the units in hand out of the receiving location later.
    for paper in ["RC-000001", "PR-000002"] {
        let refused = app.update(Msg::Scan(paper.into()));
        assert_eq!(cues(&refused), vec![Cue::Error], "{paper}");
        assert!(loads(&refused).is_empty() && stock_changes(&refused).is_empty());
    }
    assert_eq!(
        app.workspace().unwrap().stock.from.as_deref(),
        Some("A-01-01")
    );
    let first = app.update(key(KeyCode::Esc));
    assert_eq!(cues(&first), vec![Cue::Warn]);
    assert_eq!(app.workspace().unwrap().stock.cart.len(), 1);
    app.update(key(KeyCode::Esc));
    assert!(app.workspace().unwrap().stock.cart.is_empty());
}

fn alert(n: i64, sku: &str, name: &str, available: i64, suggested: i64) -> ReplenishmentAlert {
    ReplenishmentAlert {
        id: format!("ra-{n}"),
        number: format!("RA-{n:06}"),
        sku: sku.into(),
        name: name.into(),
        state: "open".into(),
        raised_at: "2026-11-24T21:40:00Z".into(),
        available_when_raised: Some(available),
        available,
        on_order: 0,
        safety_stock: 20,
        suggested_qty: Some(suggested),
        decided_by: None,
        reason: None,
        cleared_at: None,
        purchase_request: None,
    }
}

fn request(n: i64, sku: &str, qty: i64, state: &str) -> PurchaseRequest {
    PurchaseRequest {
        id: format!("pr-{n}"),
        number: format!("PR-{n:06}"),
        sku: sku.into(),
        name: "Gel pen, black".into(),
        qty,
        received_qty: 0,
        state: state.into(),
        supplier: None,
        alert: Some("RA-000002".into()),
        created_by: "purchasing".into(),
        created_at: "2026-11-24T22:00:00Z".into(),
        ordered_at: None,
        received_at: None,
        reason: None,
    }
}

/// Signed in as purchasing, which starts at the alerts, with them loaded.
fn purchasing() -> App {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Purchasing));
    assert_eq!(app.workspace().unwrap().active, PaneKind::Replenishment);
    for (request, lookup) in loads(&effects) {
        let result = match lookup {
            Lookup::Alerts => Loaded::Alerts(vec![
                alert(3, "TEA-1001", "Alishan oolong, 100 g", 4, 40),
                alert(2, "STA-1001", "Gel pen, black", 0, 60),
            ]),
            Lookup::OpenPurchaseRequests => Loaded::PurchaseRequests(Vec::new()),
            other => panic!("purchasing does not read {other:?} at start"),
        };
        loaded(&mut app, request, result);
    }
    app
}

fn decided(
    app: &mut App,
    change: PurchasingChange,
    result: Result<Applied, ClientError>,
) -> Vec<Effect> {
    app.update(Msg::Reply(Reply::Mutated {
        change: Change::Purchasing(change),
        result,
    }))
}

#[test]
fn purchasing_turns_an_alert_into_a_request_for_a_quantity_it_chooses() {
    let mut app = purchasing();
    insta::assert_snapshot!("replenishment_alerts_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("replenishment_alerts_40x16", render(&app, 40, 16));

    // The suggestion is offered; a quantity that is not one is refused, nothing sent.
    assert!(
        purchasing_changes(&app.update(key(KeyCode::Char('p')))).is_empty(),
        "asks first"
    );
    assert!(render(&app, 80, 24).contains("Request 40 of TEA-1001"));
    app.update(key(KeyCode::Backspace));
    app.update(key(KeyCode::Backspace));
    typed(&mut app, "0");
    let zero = app.update(key(KeyCode::Enter));
    assert_eq!(cues(&zero), vec![Cue::Error]);
    assert!(purchasing_changes(&zero).is_empty());
    app.update(key(KeyCode::Backspace));
    typed(&mut app, "48");
    let sent = purchasing_changes(&app.update(key(KeyCode::Enter)));
    let wanted = PurchasingChange::RequestFromAlert {
        alert: "RA-000003".into(),
        qty: Some(48),
    };
    assert_eq!(sent, vec![wanted.clone()]);

    let mut requested = alert(3, "TEA-1001", "Alishan oolong, 100 g", 4, 40);
    requested.state = "requested".into();
    requested.purchase_request = Some("PR-000009".into());
    let after = decided(&mut app, wanted, Ok(Applied::Alert(Box::new(requested))));
    assert_eq!(cues(&after), vec![Cue::Done]);
    assert!(
        loads(&after)
            .iter()
            .any(|(_, l)| *l == Lookup::OpenPurchaseRequests),
        "the new request is read"
    );
    assert!(render(&app, 80, 24).contains("RA-000003 → purchase request PR-000009"));
}

#[test]
fn dismissing_needs_a_reason_and_requests_are_ordered_or_cancelled() {
    let mut app = purchasing();
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('d')));
    let empty = app.update(key(KeyCode::Enter));
    assert_eq!(cues(&empty), vec![Cue::Error]);
    assert!(purchasing_changes(&empty).is_empty());
    // A reason pasted in one burst is typing, not a scan.
    let pasted = app.update(Msg::Scan("discontinued".into()));
    assert_eq!(
        purchasing_changes(&pasted),
        vec![PurchasingChange::DismissAlert {
            alert: "RA-000002".into(),
            reason: "discontinued".into(),
        }]
    );

    // The requests view: order a suggested one, cancel with a reason.
    app.update(key(KeyCode::Char('v')));
    let refresh = Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL));
    let asked = loads(&app.update(refresh));
    let requests = asked
        .iter()
        .find(|(_, l)| *l == Lookup::OpenPurchaseRequests)
        .map(|(r, _)| *r)
        .unwrap();
    loaded(
        &mut app,
        requests,
        Loaded::PurchaseRequests(vec![
            request(9, "STA-1001", 60, "suggested"),
            request(8, "TEA-1001", 40, "ordered"),
        ]),
    );
    insta::assert_snapshot!("replenishment_requests_80x24", render(&app, 80, 24));
    let order = purchasing_changes(&app.update(key(KeyCode::Char('o'))));
    assert_eq!(
        order,
        vec![PurchasingChange::OrderRequest {
            request: "PR-000009".into()
        }]
    );
    let ordered = decided(
        &mut app,
        order[0].clone(),
        Ok(Applied::PurchaseRequest(Box::new(request(
            9, "STA-1001", 60, "ordered",
        )))),
    );
    assert_eq!(cues(&ordered), vec![Cue::Done]);
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Char('x')));
    typed(&mut app, "supplier out of stock");
    let cancel = purchasing_changes(&app.update(key(KeyCode::Enter)));
    assert_eq!(
        cancel,
        vec![PurchasingChange::CancelRequest {
            request: "PR-000008".into(),
            reason: "supplier out of stock".into(),
        }]
    );
    decided(
        &mut app,
        cancel[0].clone(),
        Ok(Applied::PurchaseRequest(Box::new(request(
            8,
            "TEA-1001",
            40,
            "cancelled",
        )))),
    );
    assert_eq!(
        app.workspace().unwrap().replenishment.requests.len(),
        1,
        "a cancelled request leaves the list"
    );
}

#[test]
fn a_new_alert_on_the_event_stream_reloads_the_pane_and_is_heard() {
    let mut app = purchasing();
    let effects = app.update(Msg::Reply(Reply::Feed(Box::new(FeedEvent {
        id: 41,
        at: "2026-11-24T23:29:00Z".into(),
        kind: "stock.alert_raised".into(),
        entity_id: "ra-4".into(),
        payload: serde_json::json!({"number": "RA-000004", "sku": "TOY-1008"}),
    }))));
    assert!(loads(&effects).iter().any(|(_, l)| *l == Lookup::Alerts));
    assert_eq!(cues(&effects), vec![Cue::Warn]);
    assert!(render(&app, 80, 24).contains("New alert RA-000004: TOY-1008 is below safety stock"));
}
