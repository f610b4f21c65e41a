//! Console renders (TestBackend + insta) and key sequences through `App::update`, the
//! function the terminal loop drives, on fixed data.

mod console_support;

use console_support::{app_with, key, me, render};

use backroom::api::{
    Address, MoneyBody, OrderDetail, OrderLine, OrderSummary, Page, Problem, ProblemType, Product,
    ProductDetail, StatusChange, StockLevel,
};
use backroom::client::ClientError;
use backroom::console::app::{App, Effect, Msg, PaneKind, Reply, Screen};
use backroom::console::cue::Cue;
use backroom::domain::money::Currency;
use backroom::domain::order::{OrderSort, OrderStatus};
use backroom::domain::role::Role;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

const NAMES: &[&str] = &[
    "Anna Müller",
    "林美玲",
    "George Andersson",
    "陳志明",
    "Chloé Dubois",
    "Lars Nilsson",
];

fn eur(minor: i64) -> MoneyBody {
    MoneyBody::from(backroom::domain::money::Money::new(minor, Currency::EUR))
}

fn orders(n: usize, first_number: usize) -> Vec<OrderSummary> {
    (0..n)
        .map(|i| {
            let number = first_number - i;
            OrderSummary {
                id: format!("id-{number}"),
                number: format!("SO-{number:06}"),
                channel: "web".into(),
                customer_name: NAMES[i % NAMES.len()].into(),
                status: OrderStatus::ALL[i % OrderStatus::ALL.len()].as_str().into(),
                item_count: (i % 4 + 1) as i64,
                total: eur(1290 + 735 * i as i64),
                created_at: format!(
                    "2026-11-{:02}T{:02}:{:02}:00Z",
                    24 - i / 24,
                    23 - i % 24,
                    (i * 7) % 60
                ),
                queue: Some(
                    match OrderStatus::ALL[i % OrderStatus::ALL.len()] {
                        OrderStatus::CsReview => "cs_review",
                        OrderStatus::Hold => "hold",
                        _ => "warehouse",
                    }
                    .into(),
                ),
                priority: "normal".into(),
                // Late, due within the hour, and due tomorrow, in turn.
                ship_by: Some(
                    [
                        "2026-11-24T17:30:00Z",
                        "2026-11-25T00:15:00Z",
                        "2026-11-25T17:30:00Z",
                    ][i % 3]
                        .into(),
                ),
                tags: if i % 5 == 0 {
                    vec!["vip".into()]
                } else {
                    Vec::new()
                },
                // One shipped parcel the carrier reported a problem with.
                shipment_state: match OrderStatus::ALL[i % OrderStatus::ALL.len()] {
                    OrderStatus::Shipped if i < 11 => Some("exception".into()),
                    OrderStatus::Shipped => Some("in_transit".into()),
                    _ => None,
                },
            }
        })
        .collect()
}

fn products() -> Vec<Product> {
    let names = [
        "Alishan oolong, 100 g",
        "Alishan oolong, 250 g",
        "Jasmine green tea, 100 g",
        "Cast-iron skillet, large",
        "Fountain pen, navy",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| Product {
            id: format!("p{i}"),
            sku: format!("TEA-{}", 1001 + i),
            name: (*name).into(),
            category: "Tea & Coffee".into(),
            barcode: Some(format!("471234500{i:03}0")),
            price: eur(1290 + 500 * i as i64),
            safety_stock: 20,
            on_hand: [73, 9, 0, 140, 35][i],
            available: [71, 9, 0, 138, 35][i],
        })
        .collect()
}

fn product_detail(p: &Product) -> ProductDetail {
    ProductDetail {
        product: p.clone(),
        stock: vec![
            StockLevel {
                sku: p.sku.clone(),
                product_name: p.name.clone(),
                barcode: p.barcode.clone(),
                location: Some("A-03-09".into()),
                on_hand: 4,
                reserved: 2,
                available: 2,
            },
            StockLevel {
                sku: p.sku.clone(),
                product_name: p.name.clone(),
                barcode: p.barcode.clone(),
                location: Some("B-07-09".into()),
                on_hand: 69,
                reserved: 0,
                available: 69,
            },
        ],
    }
}

/// Signs in and answers the first loads, as a server would.
fn working_app(role: Role) -> App {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(role));
    answer(&mut app, effects);
    // These tests are about the order queue; agents start at their tickets.
    app.update(Msg::Key(KeyEvent::new(KeyCode::F(1), KeyModifiers::NONE)));
    app
}

/// Answers every load effect with the fixed data, recursively.
fn answer(app: &mut App, effects: Vec<Effect>) {
    answer_as(app, effects, Bins::Shown);
}

/// Whether the answers name bins: not for a caller without `locations.read` (an agent),
/// whose orders come without `pick_from` and whose product stock is one line of totals.
#[derive(Clone, Copy, PartialEq)]
enum Bins {
    Shown,
    Hidden,
}

fn answer_as(app: &mut App, effects: Vec<Effect>, bins: Bins) {
    for effect in effects {
        let reply = match effect {
            Effect::CheckHealth => Reply::Health(Ok(())),
            Effect::LoadOrders {
                request,
                append,
                query,
            } => {
                let all = orders(60, 1200);
                let mut rows: Vec<_> = all
                    .into_iter()
                    .filter(|o| query.statuses.is_empty() || query.statuses.contains(&o.status))
                    .filter(|o| {
                        o.number.contains(&query.text) || o.customer_name.contains(&query.text)
                    })
                    .filter(|o| query.tag.as_ref().is_none_or(|t| o.tags.contains(t)))
                    .filter(|o| {
                        !query.carrier_exception || o.shipment_state.as_deref() == Some("exception")
                    })
                    .collect();
                match query.sort {
                    OrderSort::Newest => {}
                    OrderSort::Oldest => rows.reverse(),
                    OrderSort::ShipBy => rows.sort_by(|a, b| a.ship_by.cmp(&b.ship_by)),
                    OrderSort::Total => {
                        rows.sort_by_key(|o| std::cmp::Reverse(o.total.amount_minor))
                    }
                }
                Reply::Orders {
                    request,
                    append,
                    result: Ok(Page {
                        items: rows,
                        next_cursor: None,
                    }),
                }
            }
            Effect::LoadOrder { request, key } => {
                let mut detail = order_detail(&key);
                if bins == Bins::Hidden {
                    for line in &mut detail.lines {
                        line.pick_from = None;
                    }
                }
                Reply::Order {
                    request,
                    result: Ok(Box::new(detail)),
                }
            }
            Effect::LoadShippingNote { request, key } => Reply::ShippingNote {
                request,
                result: Ok(shipping_note(&key)),
            },
            Effect::LoadProducts {
                request,
                append,
                text,
                ..
            } => {
                let items = products()
                    .into_iter()
                    .filter(|p| p.name.to_lowercase().contains(&text.to_lowercase()))
                    .collect();
                Reply::Products {
                    request,
                    append,
                    result: Ok(Page {
                        items,
                        next_cursor: None,
                    }),
                }
            }
            Effect::LoadProduct { request, key } => {
                let p = products().into_iter().find(|p| p.sku == key).unwrap();
                let mut detail = product_detail(&p);
                if bins == Bins::Hidden {
                    let (on_hand, reserved) = detail
                        .stock
                        .iter()
                        .fold((0, 0), |(h, r), s| (h + s.on_hand, r + s.reserved));
                    detail.stock = vec![StockLevel {
                        location: None,
                        on_hand,
                        reserved,
                        available: on_hand - reserved,
                        ..detail.stock[0].clone()
                    }];
                }
                Reply::Product {
                    request,
                    result: Ok(Box::new(detail)),
                }
            }
            // No stocktake in these tests.
            Effect::Load { request, .. } => Reply::Loaded {
                request,
                result: Ok(backroom::client::Loaded::Stocktakes(Vec::new())),
            },
            Effect::Cue(_) | Effect::Mute(_) => continue,
            other => panic!("unexpected effect {other:?}"),
        };
        let next = app.update(Msg::Reply(reply));
        answer_as(app, next, bins);
    }
}

fn order_detail(number: &str) -> OrderDetail {
    let summary = orders(60, 1200)
        .into_iter()
        .find(|o| o.number == number)
        .unwrap();
    OrderDetail {
        customer_email: "mei-ling.lin7@example.tw".into(),
        customer_phone: Some("+886 912 345 678".into()),
        payment_method: "card".into(),
        ship_to: Address {
            name: summary.customer_name.clone(),
            line1: "信義區松仁路100號".into(),
            line2: Some("5樓".into()),
            city: "台北市".into(),
            postal_code: "110".into(),
            region: None,
            country: "TW".into(),
        },
        lines: vec![
            OrderLine {
                line_no: 1,
                sku: "TEA-1001".into(),
                name: "Alishan oolong, 100 g".into(),
                qty: 2,
                unit_price: eur(1290),
                catalogue_price: Some(eur(1290)),
                backordered: 1,
                pick_from: Some(vec![backroom::api::PickLocation {
                    location: "A-03-09".into(),
                    qty: 1,
                }]),
            },
            OrderLine {
                line_no: 2,
                sku: "KIT-1007".into(),
                name: "Ceramic teapot, small".into(),
                qty: 1,
                unit_price: eur(3490),
                catalogue_price: Some(eur(3490)),
                backordered: 0,
                pick_from: Some(Vec::new()),
            },
        ],
        history: vec![
            StatusChange {
                at: "2026-11-24T09:00:00Z".into(),
                from: None,
                to: "received".into(),
                actor: "system".into(),
                reason: None,
            },
            StatusChange {
                at: "2026-11-24T09:01:00Z".into(),
                from: Some("received".into()),
                to: "hold".into(),
                actor: "system".into(),
                reason: Some("not enough stock to reserve".into()),
            },
        ],
        order: summary,
        routing: Some(backroom::api::Routing {
            rule: "not enough stock".into(),
            why: "waiting for stock: flag stock_short".into(),
            carrier: Some("black-cat".into()),
            tags: vec![],
            flags: vec!["stock_short".into()],
        }),
        shipment: Some(backroom::api::Shipment {
            id: "s1".into(),
            carrier: "black-cat".into(),
            tracking_no: "BR000001198".into(),
            state: "exception".into(),
            events: vec![backroom::api::TrackingEvent {
                at: "2026-11-24T12:00:00Z".into(),
                kind: "exception".into(),
                location: Some("Taoyuan hub".into()),
                description: Some("address not found".into()),
            }],
        }),
        duplicate: false,
    }
}

fn press(app: &mut App, keys: &str) {
    for c in keys.chars() {
        let effects = app.update(key(KeyCode::Char(c)));
        answer(app, effects);
    }
}

fn press_code(app: &mut App, code: KeyCode) {
    let effects = app.update(key(code));
    answer(app, effects);
}

#[test]
fn orders_pane_80x24() {
    insta::assert_snapshot!(render(&working_app(Role::Admin), 80, 24));
}

#[test]
fn orders_pane_40x16() {
    insta::assert_snapshot!(render(&working_app(Role::Admin), 40, 16));
}

#[test]
fn products_pane_80x24() {
    let mut app = working_app(Role::Admin);
    press_code(&mut app, KeyCode::F(2));
    press_code(&mut app, KeyCode::Down);
    insta::assert_snapshot!(render(&app, 80, 24));
}

#[test]
fn products_pane_40x16_list_and_stock() {
    let mut app = working_app(Role::Warehouse);
    press_code(&mut app, KeyCode::F(2));
    insta::assert_snapshot!("products_40x16_list", render(&app, 40, 16));
    press_code(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("products_40x16_stock", render(&app, 40, 16));
}

#[test]
fn help_overlay_80x24_and_40x16() {
    let mut app = working_app(Role::Admin);
    press(&mut app, "?");
    insta::assert_snapshot!("help_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("help_40x16", render(&app, 40, 16));
    press_code(&mut app, KeyCode::Esc);
    assert!(!render(&app, 80, 24).contains("Keys — Esc closes"));
}

#[test]
fn order_detail_opens_and_closes() {
    let mut app = working_app(Role::Cs);
    press(&mut app, "jj");
    press_code(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("SO-001198") && screen.contains("Alishan oolong"),
        "{screen}"
    );
    insta::assert_snapshot!("order_detail_80x24", screen);
    press_code(&mut app, KeyCode::Esc);
    assert!(render(&app, 80, 24).contains("Orders · All · 60"));
}

#[test]
fn status_filter_cycles_and_reloads() {
    let mut app = app_with("default", "default");
    app.signed_in(me(Role::Ops));
    let effects = app.update(key(KeyCode::Char('s')));
    match effects.as_slice() {
        [
            Effect::LoadOrders {
                query,
                append: false,
                ..
            },
        ] => {
            assert!(query.statuses.contains(&"hold".to_string()));
            assert!(!query.statuses.contains(&"delivered".to_string()));
        }
        other => panic!("expected one reload, got {other:?}"),
    }
    answer(&mut app, effects);
    assert!(render(&app, 80, 24).contains("Orders · Open"));
    press(&mut app, "S");
    assert!(render(&app, 80, 24).contains("Orders · All"));
}

#[test]
fn typing_in_search_is_text_not_commands() {
    let mut app = working_app(Role::Admin);
    press(&mut app, "/");
    // `s` would cycle the filter and `?` open help if they were not typed into the field.
    press(&mut app, "林s?");
    let Some(work) = app.workspace() else {
        panic!("signed in")
    };
    assert_eq!(work.orders.search.text(), "林s?");
    assert_eq!(work.orders.filter, 0);
    assert!(!render(&app, 80, 24).contains("Keys — Esc closes"));
    press_code(&mut app, KeyCode::Backspace);
    press_code(&mut app, KeyCode::Backspace);
    press_code(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Search 林")
            && screen.contains("林美玲")
            && !screen.contains("Anna Müller"),
        "{screen}"
    );
    press_code(&mut app, KeyCode::Esc);
    assert!(render(&app, 80, 24).contains("Anna Müller"));
}

#[test]
fn stale_answers_are_ignored() {
    let mut app = working_app(Role::Admin);
    press(&mut app, "/");
    let first = app.update(key(KeyCode::Char('A')));
    let second = app.update(key(KeyCode::Char('n')));
    let id = |e: &[Effect]| match e {
        [Effect::LoadOrders { request, .. }] => *request,
        other => panic!("{other:?}"),
    };
    let (old, new) = (id(&first), id(&second));
    let page = |rows| {
        Ok(Page {
            items: rows,
            next_cursor: None,
        })
    };
    app.update(Msg::Reply(Reply::Orders {
        request: new,
        append: false,
        result: page(orders(2, 50)),
    }));
    app.update(Msg::Reply(Reply::Orders {
        request: old,
        append: false,
        result: page(orders(40, 900)),
    }));
    assert_eq!(app.workspace().unwrap().orders.rows.len(), 2);
}

#[test]
fn key_releases_and_repeats_do_nothing() {
    let mut app = working_app(Role::Admin);
    let mut release = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    app.update(Msg::Key(release));
    assert_eq!(app.workspace().unwrap().orders.cursor.selected, 0);
    press(&mut app, "j");
    assert_eq!(app.workspace().unwrap().orders.cursor.selected, 1);
}

#[test]
fn near_the_end_the_next_page_is_fetched() {
    let mut app = app_with("default", "default");
    app.signed_in(me(Role::Ops));
    let first = Page {
        items: orders(30, 1200),
        next_cursor: Some("c1".into()),
    };
    let effects = app.update(Msg::Reply(Reply::Orders {
        request: 1,
        append: false,
        result: Ok(first),
    }));
    match effects.as_slice() {
        [
            Effect::LoadOrders {
                query,
                append: true,
                ..
            },
        ] => assert_eq!(query.cursor.as_deref(), Some("c1")),
        other => panic!("expected a prefetch, got {other:?}"),
    }
    assert!(render(&app, 80, 24).contains("30+"));
}

#[test]
fn panes_follow_the_role() {
    let mut app = working_app(Role::Purchasing);
    let work = app.workspace().unwrap();
    assert_eq!(
        work.panes,
        vec![PaneKind::Products, PaneKind::Stock, PaneKind::Replenishment]
    );
    assert_eq!(
        work.active,
        PaneKind::Replenishment,
        "purchasing starts at its alerts"
    );
    press_code(&mut app, KeyCode::F(1));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("your role (purchasing) cannot use Orders"),
        "{screen}"
    );
    assert!(!screen.contains("F1 Orders"));
}

#[test]
fn palette_completes_and_runs() {
    let mut app = working_app(Role::Admin);
    press(&mut app, ":");
    press(&mut app, "on-hold");
    insta::assert_snapshot!("palette_80x24", render(&app, 80, 24));
    press_code(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Orders · On hold"), "{screen}");
    press(&mut app, ":");
    press(&mut app, "nonsense");
    press_code(&mut app, KeyCode::Enter);
    assert!(render(&app, 80, 24).contains("no command matches \"nonsense\""));
}

#[test]
fn sign_in_screen_masks_and_reports_failures() {
    let mut app = app_with("default", "default");
    press(&mut app, "mei");
    press_code(&mut app, KeyCode::Enter);
    press(&mut app, "hunter22");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("••••••••") && !screen.contains("hunter22"),
        "{screen}"
    );
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::SignIn {
            username: "mei".into(),
            password: "hunter22".into()
        }]
    );
    let problem = Problem::new(ProblemType::InvalidCredentials, None);
    app.update(Msg::Reply(Reply::SignedIn(Err(ClientError::Problem(
        Box::new(problem),
    )))));
    insta::assert_snapshot!("signin_failed_80x24", render(&app, 80, 24));
    insta::assert_snapshot!("signin_failed_40x16", render(&app, 40, 16));
}

#[test]
fn an_ended_session_returns_to_sign_in() {
    let mut app = working_app(Role::Admin);
    let problem = Problem::new(ProblemType::Unauthenticated, None);
    app.update(Msg::Reply(Reply::Orders {
        request: 99,
        append: false,
        result: Err(ClientError::Problem(Box::new(problem))),
    }));
    assert!(matches!(app.screen, Screen::SignIn(_)));
    assert!(render(&app, 80, 24).contains("session has ended"));
}

#[test]
fn unreachable_server_shows_offline() {
    let mut app = working_app(Role::Admin);
    assert!(render(&app, 80, 24).contains("● online"));
    app.update(Msg::Reply(Reply::Health(Err(ClientError::Unreachable(
        "connection refused".into(),
    )))));
    assert!(render(&app, 80, 24).contains("○ offline"));
}

#[test]
fn too_small_says_so() {
    let app = working_app(Role::Admin);
    insta::assert_snapshot!("too_small_19x7", render(&app, 19, 7));
}

#[test]
fn rf_keymap_works_with_digits_and_function_keys() {
    let mut app = app_with("rf", "mono");
    let effects = app.signed_in(me(Role::Warehouse));
    answer(&mut app, effects);
    assert_eq!(
        app.workspace().unwrap().active,
        PaneKind::Pick,
        "the floor starts at picking"
    );
    press_code(&mut app, KeyCode::F(1));
    press(&mut app, "22");
    assert_eq!(app.workspace().unwrap().orders.cursor.selected, 2);
    press_code(&mut app, KeyCode::F(6));
    assert!(render(&app, 40, 16).contains("Open"));
    insta::assert_snapshot!("rf_orders_40x16", render(&app, 40, 16));
}

#[test]
fn long_chinese_search_keeps_what_you_type_in_view() {
    let mut app = working_app(Role::Admin);
    press(&mut app, "/");
    let text: String = "林美玲陳志明黃雅婷".repeat(4);
    press(&mut app, &text);
    let screen = render(&app, 40, 16);
    let search_line = screen
        .lines()
        .find(|l| l.contains("婷"))
        .unwrap_or_default()
        .to_string();
    // The end of the text, where the cursor is, must be on screen.
    assert!(
        search_line.contains("黃 雅 婷") || search_line.contains("黃雅婷"),
        "{screen}"
    );
}

#[test]
fn order_detail_scrolls_to_its_last_line_on_a_tiny_screen() {
    let mut app = working_app(Role::Admin);
    press(&mut app, "jj");
    press_code(&mut app, KeyCode::Enter);
    let top = render(&app, 20, 8);
    assert!(!top.contains("reserve"), "{top}");
    press_code(&mut app, KeyCode::End);
    let bottom = render(&app, 20, 8);
    assert!(
        bottom.contains("reserve"),
        "the last history line must be reachable: {bottom}"
    );
    // Pressing past the end and then up moves at once: no dead keys.
    for _ in 0..20 {
        press_code(&mut app, KeyCode::Down);
    }
    render(&app, 20, 8);
    press_code(&mut app, KeyCode::Up);
    assert_ne!(render(&app, 20, 8), bottom);
}

#[test]
fn a_role_without_panes_is_told_so() {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Integration));
    assert_eq!(effects, vec![Effect::CheckHealth]);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("has no panes in the console"), "{screen}");
    press_code(&mut app, KeyCode::F(1));
    assert!(render(&app, 80, 24).contains("cannot use Orders"));
}

fn mutation_of(effects: &[Effect]) -> (String, String, Option<String>) {
    match effects {
        [Effect::Mutate(m)] => match &m.change {
            backroom::client::Change::OrderStatus { order, to, reason } => {
                (order.clone(), to.clone(), reason.clone())
            }
            backroom::client::Change::Reroute { order } => (order.clone(), "reroute".into(), None),
            other => panic!("expected an order change, got {other:?}"),
        },
        other => panic!("expected one mutation, got {other:?}"),
    }
}

#[test]
fn ops_approve_hold_and_cancel_from_the_queue() {
    let mut app = working_app(Role::Ops);
    press(&mut app, "jj");
    // Approve: straight to the one mutation path, with its own id.
    let effects = app.update(key(KeyCode::Char('a')));
    assert_eq!(
        mutation_of(&effects),
        ("SO-001198".into(), "ready_to_pick".into(), None)
    );

    // Hold asks for a reason and will not go on without one.
    press(&mut app, "h");
    press_code(&mut app, KeyCode::Enter);
    assert!(render(&app, 80, 24).contains("a reason is needed"));
    press(&mut app, "waiting for the customer");
    let effects = app.update(key(KeyCode::Enter));
    assert_eq!(
        mutation_of(&effects).2.as_deref(),
        Some("waiting for the customer")
    );
    assert_eq!(mutation_of(&effects).1, "hold");

    // Cancel asks for a reason and then for a yes; Esc at the question keeps the order.
    press(&mut app, "c");
    press(&mut app, "customer asked");
    press_code(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("cancel_confirm_80x24", render(&app, 80, 24));
    press_code(&mut app, KeyCode::Esc);
    assert!(!render(&app, 80, 24).contains("Really cancel"));
    press(&mut app, "c");
    press(&mut app, "customer asked");
    press_code(&mut app, KeyCode::Enter);
    let effects = app.update(key(KeyCode::Char('y')));
    assert_eq!(
        mutation_of(&effects),
        (
            "SO-001198".into(),
            "cancelled".into(),
            Some("customer asked".into())
        )
    );

    // The answer updates the row where it is; the cursor stays on it.
    let mut changed = order_detail("SO-001198");
    changed.order.status = "cancelled".into();
    let effects = app.update(Msg::Reply(Reply::Mutated {
        change: backroom::client::Change::OrderStatus {
            order: "SO-001198".into(),
            to: "cancelled".into(),
            reason: Some("customer asked".into()),
        },
        result: Ok(backroom::client::Applied::Order(Box::new(changed))),
    }));
    assert_eq!(effects, vec![Effect::Cue(Cue::Ok)], "the change is heard");
    let work = app.workspace().unwrap();
    assert_eq!(work.orders.cursor.selected, 2);
    assert_eq!(work.orders.rows[2].status, "cancelled");
    assert!(render(&app, 80, 24).contains("SO-001198 is now Cancelled"));
}

#[test]
fn a_role_without_orders_manage_cannot_change_orders() {
    let mut app = working_app(Role::Warehouse);
    press_code(&mut app, KeyCode::F(1));
    let effects = app.update(key(KeyCode::Char('c')));
    assert!(effects.is_empty());
    assert!(render(&app, 80, 24).contains("your role (warehouse) cannot change orders"));
}

fn feed(kind: &str, entity: &str) -> Msg {
    Msg::Reply(Reply::Feed(Box::new(backroom::api::FeedEvent {
        id: 1,
        at: "2026-11-24T23:29:00Z".into(),
        kind: kind.into(),
        entity_id: entity.into(),
        payload: serde_json::json!({}),
    })))
}

#[test]
fn a_live_update_arrives_while_a_row_is_selected() {
    let mut app = working_app(Role::Ops);
    press(&mut app, "jj");
    assert_eq!(app.workspace().unwrap().orders.rows[2].number, "SO-001198");

    // A new order: the event asks for it, it lands on top, the cursor stays on SO-001198.
    let effects = app.update(feed("order.created", "id-1201"));
    assert_eq!(
        effects,
        vec![Effect::RefreshOrder {
            id: "id-1201".into()
        }]
    );
    let mut new = order_detail("SO-001200");
    new.order.id = "id-1201".into();
    new.order.number = "SO-001201".into();
    new.order.status = "ready_to_pick".into();
    new.order.created_at = "2026-11-24T23:29:00Z".into();
    app.update(Msg::Reply(Reply::OrderRefreshed(Ok(Box::new(new)))));
    let work = app.workspace().unwrap();
    assert_eq!(work.orders.rows[0].number, "SO-001201");
    assert_eq!(
        work.orders.rows[work.orders.cursor.selected].number,
        "SO-001198"
    );
    insta::assert_snapshot!("live_update_80x24", render(&app, 80, 24));

    // A change to a listed order shows where it is.
    let mut held = order_detail("SO-001199");
    held.order.status = "hold".into();
    app.update(Msg::Reply(Reply::OrderRefreshed(Ok(Box::new(held)))));
    let work = app.workspace().unwrap();
    assert_eq!(work.orders.rows[2].status, "hold");
    assert_eq!(
        work.orders.rows[work.orders.cursor.selected].number,
        "SO-001198"
    );
}

#[test]
fn an_order_that_no_longer_fits_the_filter_leaves_the_list() {
    let mut app = working_app(Role::Cs);
    press(&mut app, "ss");
    let work = app.workspace().unwrap();
    let before = work.orders.rows.len();
    let first = work.orders.rows[0].number.clone();
    press(&mut app, "j");
    let selected = app.workspace().unwrap().orders.rows[1].number.clone();
    let mut released = order_detail(&first);
    released.order.status = "ready_to_pick".into();
    app.update(Msg::Reply(Reply::OrderRefreshed(Ok(Box::new(released)))));
    let work = app.workspace().unwrap();
    assert_eq!(work.orders.rows.len(), before - 1);
    assert_eq!(
        work.orders.rows[work.orders.cursor.selected].number,
        selected
    );
}

#[test]
fn shift_r_reroutes_the_selected_order() {
    let mut app = working_app(Role::Cs);
    press(&mut app, "j");
    let effects = app.update(key(KeyCode::Char('R')));
    assert_eq!(
        mutation_of(&effects),
        ("SO-001199".into(), "reroute".into(), None)
    );
}

fn shipping_note(number: &str) -> String {
    format!(
        "SHIPPING NOTE 發貨單{number:>52}\n{}\nPlaced   2026-11-24 09:12    Ship by 2026-11-24 17:30\nCarrier  dhl\n\nShip to  林美玲\n         台北市大安區忠孝東路四段 100 號 5 樓\n         106 台北市, TW\n\nLine SKU        Qty  Item                           Pick from\n   1 TEA-1001     2  Alishan oolong, 100 g          A-03-09 ×2\n",
        "=".repeat(72)
    )
}

#[test]
fn sort_cycles_through_keys_and_shows_in_the_title() {
    let mut app = working_app(Role::Ops);
    let mut sorts = Vec::new();
    for _ in 0..4 {
        let effects = app.update(key(KeyCode::Char('o')));
        match effects.as_slice() {
            [
                Effect::LoadOrders {
                    query,
                    append: false,
                    ..
                },
            ] => sorts.push(query.sort),
            other => panic!("expected one reload, got {other:?}"),
        }
        answer(&mut app, effects);
        if sorts.len() == 2 {
            let work = app.workspace().unwrap();
            let due: Vec<_> = work.orders.rows.iter().map(|o| o.ship_by.clone()).collect();
            assert!(due.windows(2).all(|w| w[0] <= w[1]));
            insta::assert_snapshot!("orders_by_ship_by_80x24", render(&app, 80, 24));
            insta::assert_snapshot!("orders_by_ship_by_40x16", render(&app, 40, 16));
        }
    }
    assert_eq!(
        sorts,
        vec![
            OrderSort::Oldest,
            OrderSort::ShipBy,
            OrderSort::Total,
            OrderSort::Newest
        ]
    );
    assert!(render(&app, 80, 24).contains("Orders · All · 60 "));
}

#[test]
fn carrier_exceptions_are_a_filter_and_an_alert() {
    let mut app = working_app(Role::Cs);
    press(&mut app, "sss");
    let work = app.workspace().unwrap();
    assert_eq!(work.orders.rows.len(), 1);
    assert_eq!(
        work.orders.rows[0].shipment_state.as_deref(),
        Some("exception")
    );
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Orders · Carrier exceptions · 1"),
        "{screen}"
    );
    insta::assert_snapshot!("carrier_exceptions_80x24", screen);
    insta::assert_snapshot!("carrier_exceptions_40x16", render(&app, 40, 16));

    // An older parcel with a fresh exception joins the list where it belongs.
    let mut older = order_detail("SO-001150");
    older.order.id = "id-1150".into();
    older.order.status = "shipped".into();
    older.order.created_at = "2026-11-20T10:00:00Z".into();
    older.order.shipment_state = Some("exception".into());
    app.update(Msg::Reply(Reply::OrderRefreshed(Ok(Box::new(older)))));
    let numbers: Vec<_> = app
        .workspace()
        .unwrap()
        .orders
        .rows
        .iter()
        .map(|o| o.number.clone())
        .collect();
    assert_eq!(numbers, ["SO-001193", "SO-001150"]);

    // A new exception from the event stream is said at once.
    let Msg::Reply(Reply::Feed(mut event)) = feed("alert.carrier_exception", "id-1195") else {
        unreachable!()
    };
    event.payload = serde_json::json!({ "number": "SO-001195", "carrier": "black-cat", "description": "address not found", "location": "Taichung" });
    let effects = app.update(Msg::Reply(Reply::Feed(event)));
    assert!(effects.contains(&Effect::Cue(Cue::Warn)), "{effects:?}");
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("Carrier exception: SO-001195 (black-cat) · address not found · Taichung"),
        "{screen}"
    );
}

#[test]
fn a_hash_searches_by_tag() {
    let mut app = working_app(Role::Cs);
    press(&mut app, "/");
    let mut last = Vec::new();
    for c in "#vip".chars() {
        last = app.update(key(KeyCode::Char(c)));
        answer(&mut app, last.clone());
    }
    match last.as_slice() {
        [Effect::LoadOrders { query, .. }] => {
            assert_eq!(query.tag.as_deref(), Some("vip"));
            assert_eq!(query.text, "");
        }
        other => panic!("expected a reload, got {other:?}"),
    }
    let work = app.workspace().unwrap();
    assert_eq!(work.orders.rows.len(), 12);
    assert!(work.orders.rows.iter().all(|o| o.tags == ["vip"]));
}

#[test]
fn the_shipping_note_is_a_key_away_from_the_order() {
    let mut app = working_app(Role::Warehouse);
    press_code(&mut app, KeyCode::F(1));
    press(&mut app, "jj");
    press_code(&mut app, KeyCode::Enter);
    let effects = app.update(key(KeyCode::Char('n')));
    assert!(matches!(
        effects.as_slice(),
        [Effect::LoadShippingNote { key, .. }] if key == "SO-001198"
    ));
    assert!(render(&app, 80, 24).contains("loading shipping note"));
    answer(&mut app, effects);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("SO-001198 · shipping note") && screen.contains("A-03-09 ×2"),
        "{screen}"
    );
    insta::assert_snapshot!("shipping_note_80x24", screen);
    insta::assert_snapshot!("shipping_note_40x16", render(&app, 40, 16));
    press(&mut app, "n");
    assert!(
        render(&app, 80, 24).contains("Alishan oolong"),
        "n again shows the order"
    );
    press(&mut app, "n");
    press_code(&mut app, KeyCode::Esc);
    let screen = render(&app, 80, 24);
    assert!(
        !screen.contains("shipping note") && screen.contains("SO-001198"),
        "Esc leaves the note first"
    );
}

#[test]
fn a_refused_change_sounds_the_error_cue_and_f9_mutes() {
    let mut app = working_app(Role::Ops);
    let problem = Problem::new(
        ProblemType::IllegalTransition,
        "SO-001200 cannot go from Delivered to Hold".to_string(),
    );
    let effects = app.update(Msg::Reply(Reply::Mutated {
        change: backroom::client::Change::OrderStatus {
            order: "SO-001200".into(),
            to: "hold".into(),
            reason: Some("checking".into()),
        },
        result: Err(ClientError::Problem(Box::new(problem))),
    }));
    assert_eq!(effects, vec![Effect::Cue(Cue::Error)]);
    assert_eq!(app.update(key(KeyCode::F(9))), vec![Effect::Mute(true)]);
    assert!(render(&app, 80, 24).contains("sound cues off"));
    assert_eq!(app.update(key(KeyCode::F(9))), vec![Effect::Mute(false)]);
}

#[test]
fn an_agent_sees_orders_and_stock_without_bins() {
    let mut app = app_with("default", "default");
    let effects = app.signed_in(me(Role::Cs));
    answer_as(&mut app, effects, Bins::Hidden);
    let effects = app.update(key(KeyCode::F(1)));
    answer_as(&mut app, effects, Bins::Hidden);
    for _ in 0..2 {
        let effects = app.update(key(KeyCode::Char('j')));
        answer_as(&mut app, effects, Bins::Hidden);
    }
    let effects = app.update(key(KeyCode::Enter));
    answer_as(&mut app, effects, Bins::Hidden);
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("SO-001198") && screen.contains("Alishan oolong"),
        "{screen}"
    );
    assert!(screen.contains("1 back-ordered"), "{screen}");
    assert!(!screen.contains("A-03-09"), "{screen}");

    let effects = app.update(key(KeyCode::Esc));
    answer_as(&mut app, effects, Bins::Hidden);
    let effects = app.update(key(KeyCode::F(2)));
    answer_as(&mut app, effects, Bins::Hidden);
    let effects = app.update(key(KeyCode::Enter));
    answer_as(&mut app, effects, Bins::Hidden);
    let screen = render(&app, 80, 24);
    assert!(
        !screen.contains("A-03-09") && !screen.contains("B-07-09"),
        "{screen}"
    );
    insta::assert_snapshot!("products_without_bins_80x24", screen);
}
