//! The warehouse floor in the console: pick and pack flows driven by keys and scans, the
//! server's answers given by hand, with renders at 80×24 and 20×16.

mod console_support;

use backroom::api::{
    Address, MoneyBody, OrderDetail, OrderSummary, PackItem, PackOrder, PackTask, Parcel, PickLine,
    PickList, PickListOrder,
};
use backroom::client::{Applied, Change, ClientError, Loaded, Lookup};
use backroom::console::app::{App, Effect, Msg, PaneKind, Reply};
use backroom::console::cue::Cue;
use backroom::domain::barcode::complete_ean13;
use backroom::domain::money::Currency;
use backroom::domain::role::Role;
use console_support::{app_with, key, me, render};
use crossterm::event::KeyCode;

fn ean(body: &str) -> String {
    complete_ean13(body).unwrap()
}

fn book() -> String {
    ean("978986100192")
}
fn tea() -> String {
    ean("471234500000")
}
fn pen() -> String {
    ean("471234500100")
}

#[allow(clippy::too_many_arguments)]
fn line(
    seq: i64,
    order: &str,
    slot: i64,
    location: &str,
    sku: &str,
    name: &str,
    barcode: String,
    qty: i64,
) -> PickLine {
    PickLine {
        seq,
        order: order.into(),
        slot,
        line_no: 1,
        sku: sku.into(),
        name: name.into(),
        barcode: Some(barcode),
        lot_tracked: sku.starts_with("TEA"),
        location: location.into(),
        qty,
        picked: 0,
        short: 0,
        state: "open".into(),
        lots: Vec::new(),
    }
}

fn pick_list() -> PickList {
    PickList {
        id: "pl-7".into(),
        number: "PL-000007".into(),
        mode: "batch".into(),
        state: "claimed".into(),
        picker: Some("warehouse".into()),
        created_at: "2026-11-24T23:00:00Z".into(),
        claimed_at: Some("2026-11-24T23:01:00Z".into()),
        finished_at: None,
        orders: vec![
            PickListOrder {
                id: "o1".into(),
                number: "SO-001201".into(),
                slot: 1,
                status: "picking".into(),
                tote: None,
            },
            PickListOrder {
                id: "o2".into(),
                number: "SO-001202".into(),
                slot: 2,
                status: "picking".into(),
                tote: None,
            },
        ],
        lines: vec![
            line(
                1,
                "SO-001201",
                1,
                "A-01-03",
                "BOO-1001",
                "Taiwanese Home Cooking, paperback",
                book(),
                2,
            ),
            line(
                2,
                "SO-001201",
                1,
                "A-02-05",
                "TEA-1001",
                "Alishan oolong, 100 g",
                tea(),
                1,
            ),
            line(
                3,
                "SO-001202",
                2,
                "B-01-01",
                "STA-1003",
                "Gel pen, black",
                pen(),
                1,
            ),
        ],
    }
}

fn floor_app(keymap: &str) -> App {
    let mut app = app_with(keymap, "mono");
    // Loads for the other panes are left unanswered: nothing here needs them.
    let _ = app.signed_in(me(Role::Warehouse));
    assert_eq!(app.workspace().unwrap().active, PaneKind::Pick);
    app
}

fn scan(app: &mut App, code: &str) -> Vec<Effect> {
    app.update(Msg::Scan(code.into()))
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

fn changes(effects: &[Effect]) -> Vec<Change> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Mutate(m) => Some(m.change.clone()),
            _ => None,
        })
        .collect()
}

fn answered(app: &mut App, change: Change, applied: Applied) -> Vec<Effect> {
    app.update(Msg::Reply(Reply::Mutated {
        change,
        result: Ok(applied),
    }))
}

fn claimed(keymap: &str, claim: KeyCode) -> App {
    let mut app = floor_app(keymap);
    let effects = app.update(key(claim));
    let [Change::ClaimPickList { .. }] = changes(&effects).as_slice() else {
        panic!("expected a claim, got {effects:?}");
    };
    let effects = answered(
        &mut app,
        Change::ClaimPickList { mode: None },
        Applied::PickList(Box::new(pick_list())),
    );
    assert_eq!(cues(&effects), [Cue::Ok]);
    app
}

/// The read of the list in the picker's cart, among `effects`.
fn held_list_read(effects: &[Effect]) -> Option<u64> {
    effects.iter().find_map(|e| match e {
        Effect::Load {
            request,
            lookup: Lookup::HeldPickList,
        } => Some(*request),
        _ => None,
    })
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.update(key(KeyCode::Char(c)));
    }
}

#[test]
fn picking_a_list_scan_by_scan() {
    let mut app = floor_app("default");
    insta::assert_snapshot!("pick_no_list_80x24", render(&app, 80, 24));
    app = claimed("default", KeyCode::Char('n'));
    assert!(render(&app, 80, 24).contains("Go to A-01-03"));

    // The item before its location, then the wrong location: refused, each saying why.
    let effects = scan(&mut app, &book());
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Scan location A-01-03 first"));
    let effects = scan(&mut app, "B-01-01");
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Wrong location B-01-01: go to A-01-03"));
    assert_eq!(cues(&scan(&mut app, "A-01-03")), [Cue::Ok]);
    // Another line's item: the picker hears it and reads what was expected.
    let effects = scan(&mut app, &pen());
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Wrong item STA-1003 (another line): expected BOO-1001"));
    assert_eq!(cues(&scan(&mut app, &book())), [Cue::Ok]);
    insta::assert_snapshot!("pick_line_80x24", render(&app, 80, 24));

    // A typed count above what the line wants is refused; the right one completes it.
    typed(&mut app, "3");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Only 2 wanted, not 3"));
    typed(&mut app, "2");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(cues(&effects), [Cue::Done]);
    assert_eq!(
        changes(&effects),
        [Change::Pick {
            list: "PL-000007".into(),
            seq: 1,
            picked: 2,
            lots: vec![]
        }]
    );

    // Lot-tracked tea: the shelf EAN is not enough; the GS1 label with lot and expiry is.
    scan(&mut app, "A-02-05");
    let effects = scan(&mut app, &tea());
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("lot-tracked"));
    let expired = format!("]C101{}10B7\u{1d}17260131", ean14(&tea()));
    assert_eq!(cues(&scan(&mut app, &expired)), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Expired 2026-01-31"));
    let gs1 = format!("]C101{}10B7<GS>17280131", ean14(&tea()));
    let effects = scan(&mut app, &gs1);
    let sent = changes(&effects);
    let [
        Change::Pick {
            seq: 2,
            picked: 1,
            lots,
            ..
        },
    ] = sent.as_slice()
    else {
        panic!("expected the tea line confirmed, got {effects:?}");
    };
    assert_eq!(lots[0].lot, "B7");
    assert_eq!(lots[0].expiry.as_deref(), Some("2028-01-31"));

    // Batch lists say which slot the item goes to.
    assert!(render(&app, 80, 24).contains("slot 2"));
    scan(&mut app, "B-01-01");
    let effects = scan(&mut app, &pen());
    assert_eq!(cues(&effects), [Cue::Done]);
    assert!(render(&app, 80, 24).contains("All lines done"));
    assert_eq!(
        cues(&scan(&mut app, &pen())),
        [Cue::Error],
        "nothing left to scan"
    );

    let effects = app.update(key(KeyCode::Char('f')));
    assert_eq!(
        changes(&effects),
        [Change::FinishPickList {
            list: "PL-000007".into()
        }]
    );
    // Finished here at once, server or not; its answer later changes nothing.
    assert_eq!(cues(&effects), [Cue::Done]);
    assert!(render(&app, 80, 24).contains("PL-000007 finished: take the cart to packing"));
    let mut done = pick_list();
    done.state = "done".into();
    let effects = answered(
        &mut app,
        Change::FinishPickList {
            list: "PL-000007".into(),
        },
        Applied::PickList(Box::new(done)),
    );
    assert_eq!(cues(&effects), []);
    assert!(render(&app, 80, 24).contains("PL-000007 finished: take the cart to packing"));
}

fn ean14(ean13: &str) -> String {
    format!("0{ean13}")
}

#[test]
fn a_short_pick_asks_first_and_takes_lines_from_other_bins() {
    let mut app = claimed("default", KeyCode::Char('n'));
    scan(&mut app, "A-01-03");
    scan(&mut app, &book());
    let effects = app.update(key(KeyCode::Char('s')));
    assert_eq!(cues(&effects), [Cue::Warn]);
    assert!(changes(&effects).is_empty(), "asks before it reports");
    assert!(render(&app, 80, 24).contains("Report short: 1 of 2 BOO-1001 at A-01-03?"));
    let effects = app.update(key(KeyCode::Enter));
    let sent = changes(&effects);
    let [
        change @ Change::PickShort {
            seq: 1,
            picked: 1,
            reason,
            ..
        },
    ] = sent.as_slice()
    else {
        panic!("expected a short pick, got {effects:?}");
    };
    assert_eq!(reason, "short");
    // The server found the missing unit in another bin: a new line at the end of the walk.
    let mut after = pick_list();
    after.lines[0].state = "short".into();
    after.lines[0].picked = 1;
    after.lines[0].short = 1;
    after.lines.push(line(
        4,
        "SO-001201",
        1,
        "C-01-01",
        "BOO-1001",
        "Taiwanese Home Cooking, paperback",
        book(),
        1,
    ));
    answered(&mut app, change.clone(), Applied::PickList(Box::new(after)));
    // Skip the tea and the pen: the extra line comes up, and skipping goes round.
    app.update(key(KeyCode::Char(' ')));
    app.update(key(KeyCode::Char(' ')));
    assert!(render(&app, 80, 24).contains("C-01-01"));
    insta::assert_snapshot!("pick_extra_line_80x24", render(&app, 80, 24));
    // Finishing with open lines is refused at once, naming them.
    let effects = app.update(key(KeyCode::Char('f')));
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Lines still open: 2, 3, 4"));
}

#[test]
fn a_tote_scanned_while_picking_holds_that_line_s_order() {
    let mut app = claimed("default", KeyCode::Char('n'));
    let effects = scan(&mut app, "TOTE-0042");
    assert_eq!(cues(&effects), [Cue::Ok]);
    assert_eq!(
        changes(&effects),
        [Change::AssignTote {
            list: "PL-000007".into(),
            slot: 1,
            tote: "TOTE-0042".into()
        }]
    );
    assert!(render(&app, 80, 24).contains("→ TOTE-0042"));
    // The same tote cannot take the other slot's order too.
    app.update(key(KeyCode::Char(' ')));
    app.update(key(KeyCode::Char(' ')));
    let effects = scan(&mut app, "TOTE-0042");
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("TOTE-0042 already holds SO-001201 (slot 1)"));
}

#[test]
fn a_refused_confirmation_is_heard_and_shown() {
    let mut app = claimed("default", KeyCode::Char('n'));
    let problem = backroom::api::Problem::new(
        backroom::api::ProblemType::Conflict,
        "SO-001201 is cancelled now; put its items back".to_string(),
    );
    let effects = app.update(Msg::Reply(Reply::Mutated {
        change: Change::Pick {
            list: "PL-000007".into(),
            seq: 1,
            picked: 2,
            lots: vec![],
        },
        result: Err(backroom::client::ClientError::Problem(Box::new(problem))),
    }));
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("put its items back"));
    // The list is read again, and what the server holds replaces the local view.
    let request = held_list_read(&effects).expect("the list is read again");
    let mut held = pick_list();
    held.lines.remove(0);
    app.update(Msg::Reply(Reply::Loaded {
        request,
        result: Ok(Loaded::HeldPickList(Some(Box::new(held.clone())))),
    }));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains(&held.lines[0].location) && !screen.contains("A-01-03"),
        "{screen}"
    );
    assert!(
        screen.contains("put its items back"),
        "the reason stays: {screen}"
    );
}

#[test]
fn picking_on_an_rf_terminal_at_20x16() {
    let mut app = claimed("rf", KeyCode::F(12));
    insta::assert_snapshot!("pick_rf_20x16", render(&app, 20, 16));
    scan(&mut app, "A-01-03");
    scan(&mut app, &book());
    insta::assert_snapshot!("pick_rf_counted_20x16", render(&app, 20, 16));
    // Digits are the count on RF keypads; F6 reports short.
    typed(&mut app, "2");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(cues(&effects), [Cue::Done]);
    app.update(key(KeyCode::F(6)));
    assert!(render(&app, 20, 16).contains("Report"));
    app.update(key(KeyCode::Esc));
    assert!(!render(&app, 20, 16).contains("Report"));
}

fn order_detail(number: &str, status: &str) -> OrderDetail {
    let eur = MoneyBody {
        amount_minor: 4530,
        currency: backroom::api::CurrencyCode(Currency::parse("EUR").unwrap()),
    };
    OrderDetail {
        order: OrderSummary {
            id: "o1".into(),
            number: number.into(),
            channel: "web".into(),
            customer_name: "林美玲".into(),
            status: status.into(),
            item_count: 2,
            total: eur,
            created_at: "2026-11-24T20:00:00Z".into(),
            queue: Some("warehouse".into()),
            priority: "normal".into(),
            ship_by: None,
            tags: vec![],
            shipment_state: None,
        },
        customer_email: "mei@example.com".into(),
        customer_phone: None,
        payment_method: "card".into(),
        ship_to: Address {
            name: "林美玲".into(),
            line1: "信義路五段7號".into(),
            line2: None,
            city: "台北市".into(),
            postal_code: "110".into(),
            region: None,
            country: "TW".into(),
        },
        lines: vec![],
        history: vec![],
        routing: None,
        shipment: None,
        duplicate: false,
    }
}

fn pack_task() -> PackTask {
    PackTask {
        list: Some("PL-000007".into()),
        orders: vec![PackOrder {
            id: "o1".into(),
            number: "SO-001201".into(),
            slot: Some(1),
            status: "picking".into(),
            carrier: Some("black-cat".into()),
            ship_to_name: "林美玲".into(),
            items: vec![
                PackItem {
                    sku: "BOO-1001".into(),
                    name: "Taiwanese Home Cooking, paperback".into(),
                    barcode: Some(book()),
                    qty: 2,
                },
                PackItem {
                    sku: "TEA-1001".into(),
                    name: "Alishan oolong, 100 g".into(),
                    barcode: Some(tea()),
                    qty: 1,
                },
            ],
        }],
    }
}

#[test]
fn packing_verifies_every_item_then_labels_and_hands_over() {
    let mut app = floor_app("default");
    app.update(key(KeyCode::F(4)));
    assert_eq!(app.workspace().unwrap().active, PaneKind::Pack);
    let effects = scan(&mut app, &book());
    assert_eq!(cues(&effects), [Cue::Error], "a label first");
    let effects = scan(&mut app, "TOTE-0042");
    assert!(
        matches!(effects.as_slice(), [Effect::LoadPackTask { code, .. }] if code == "TOTE-0042")
    );
    assert_eq!(
        cues(&scan(&mut app, "PL-000007")),
        [Cue::Error],
        "one lookup at a time"
    );
    app.update(key(KeyCode::Esc));
    let effects = scan(&mut app, "PL-000007");
    let [Effect::LoadPackTask { request, code }] = effects.as_slice() else {
        panic!("expected a lookup, got {effects:?}");
    };
    assert_eq!(code, "PL-000007");
    app.update(Msg::Reply(Reply::PackTask {
        request: *request,
        result: Ok(pack_task()),
    }));
    assert_eq!(cues(&scan(&mut app, &pen())), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Not in SO-001201"));
    assert_eq!(cues(&scan(&mut app, &tea())), [Cue::Ok]);
    assert_eq!(cues(&scan(&mut app, &tea())), [Cue::Error], "surplus");
    assert!(render(&app, 80, 24).contains("Surplus: SO-001201 needs only 1 TEA-1001"));
    scan(&mut app, &book());
    insta::assert_snapshot!("pack_verifying_80x24", render(&app, 80, 24));
    assert_eq!(cues(&scan(&mut app, &book())), [Cue::Done]);

    // Parcel type by arrow, weight typed; a weight that is no weight is refused.
    app.update(key(KeyCode::Down));
    typed(&mut app, "heavy");
    assert_eq!(cues(&app.update(key(KeyCode::Enter))), [Cue::Error]);
    for _ in 0..5 {
        app.update(key(KeyCode::Backspace));
    }
    typed(&mut app, "0,85");
    insta::assert_snapshot!("pack_details_80x24", render(&app, 80, 24));
    let effects = app.update(key(KeyCode::Enter));
    let sent = changes(&effects);
    let [
        change @ Change::Pack {
            order,
            package,
            weight_grams: 850,
            items,
        },
    ] = sent.as_slice()
    else {
        panic!("expected packing, got {effects:?}");
    };
    assert_eq!((order.as_str(), package.as_str()), ("SO-001201", "box-m"));
    assert_eq!(items.len(), 2);
    let parcel = Parcel {
        order: order_detail("SO-001201", "packed"),
        carrier: "black-cat".into(),
        tracking_no: "000000000017".into(),
        package: "box-m".into(),
        weight_grams: 850,
        label_zpl: "^XA^FDlabel^FS^XZ".into(),
        label_text: "+------+\n| 000000000017 |\n+------+".into(),
    };
    let effects = answered(&mut app, change.clone(), Applied::Parcel(Box::new(parcel)));
    assert!(effects.contains(&Effect::PrintLabel {
        order: "SO-001201".into(),
        zpl: "^XA^FDlabel^FS^XZ".into()
    }));
    assert!(cues(&effects).contains(&Cue::Done));
    app.update(Msg::Reply(Reply::Printed(Ok(
        "printer 10.0.0.40:9100".into()
    ))));
    insta::assert_snapshot!("pack_packed_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("pack_packed_20x16", render(&app, 20, 16));

    // Scanning the parcel's own label hands it over.
    let effects = scan(&mut app, "000000000017");
    assert_eq!(
        changes(&effects),
        [Change::Ship {
            order: "SO-001201".into()
        }]
    );
    let effects = answered(
        &mut app,
        Change::Ship {
            order: "SO-001201".into(),
        },
        Applied::Order(Box::new(order_detail("SO-001201", "shipped"))),
    );
    assert!(cues(&effects).contains(&Cue::Done));
    assert!(render(&app, 80, 24).contains("SO-001201 shipped"));
}

#[test]
fn the_list_in_the_cart_comes_back_on_start_and_a_new_one_needs_the_server() {
    let mut app = app_with("default", "mono");
    let effects = app.signed_in(me(Role::Warehouse));
    let request = held_list_read(&effects).expect("the pick pane asks for the list in the cart");
    // Offline, a new list cannot be handed out: said at once, nothing kept to send.
    app.update(Msg::Reply(Reply::Health(Err(ClientError::Unreachable(
        "connection refused".into(),
    )))));
    let effects = app.update(key(KeyCode::Char('n')));
    assert!(changes(&effects).is_empty(), "{effects:?}");
    assert_eq!(cues(&effects), [Cue::Error]);
    assert!(render(&app, 80, 24).contains("Taking a new pick list needs the server"));
    // The list kept from before (the cache answers at once): picking goes on where it was.
    let mut list = pick_list();
    list.lines[0].picked = 1;
    list.lines[0].state = "picked".into();
    let effects = app.update(Msg::Reply(Reply::Cached(Box::new(Reply::Loaded {
        request,
        result: Ok(Loaded::HeldPickList(Some(Box::new(list)))),
    }))));
    assert_eq!(cues(&effects), [Cue::Ok]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Pick PL-000007 1/"), "{screen}");
    assert!(
        !screen.contains("Go to A-01-03"),
        "the picked line is done: {screen}"
    );
}

#[test]
fn a_list_picked_to_the_end_before_a_restart_shows_what_each_line_got() {
    let mut app = app_with("default", "mono");
    let effects = app.signed_in(me(Role::Warehouse));
    let request = held_list_read(&effects).expect("the pick pane asks for the list in the cart");
    let mut list = pick_list();
    for line in &mut list.lines {
        line.picked = line.qty;
        line.state = "picked".into();
    }
    app.update(Msg::Reply(Reply::Loaded {
        request,
        result: Ok(Loaded::HeldPickList(Some(Box::new(list)))),
    }));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Quantity  2 of 2") && screen.contains("line picked"),
        "{screen}"
    );
    assert!(
        screen.contains("All lines done: finish the list") && !screen.contains("Go to"),
        "{screen}"
    );
}
