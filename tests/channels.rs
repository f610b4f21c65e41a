//! A storefront's key posts orders for its own channels and learns nothing about orders it
//! did not send: duplicates answer number and status only, the server's internal channels
//! (`replacement`, connectors') are refused from the API and CSV import, and a refund's
//! replacement cannot be taken over by an order posted first.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use backroom::domain::channel::PublicChannel;
use backroom::domain::role::Role;
use backroom::domain::user::hash_password;
use backroom::store::{NewUser, Store};
use common::{TestServer, expect_problem};
use jiff::Timestamp;
use serde_json::{Value, json};

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn place(s: &TestServer, token: &str, order: &Value) -> reqwest::Response {
    s.post(token, "/api/v1/orders", Some(&key()), order.clone())
        .await
}

/// Adds a user straight to the store (as `backroom admin user add` does).
fn add_user(store: &Store, name: &str, role: Role, channels: Option<&[PublicChannel]>) {
    let hash = hash_password(&format!("password of {name}!"), &[7; 16]).expect("hash");
    store
        .add_user(
            &NewUser {
                username: name,
                display_name: name,
                role,
                password_hash: &hash,
                channels,
            },
            "test",
            Timestamp::now(),
        )
        .expect("add user");
}

async fn login(s: &TestServer, name: &str) -> String {
    let res = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({ "username": name, "password": format!("password of {name}!") }))
        .send()
        .await
        .expect("login");
    assert_eq!(res.status(), 200, "login as {name}");
    let body: Value = res.json().await.expect("login body");
    body["token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn a_repeated_channel_order_answers_number_and_status_and_no_personal_data() {
    let s = TestServer::start().await;
    let shop = s.token("integration").await;
    let admin = s.token("admin").await;
    // An order the storefront did not send: someone else's, under a channel number the
    // storefront can guess (they run in sequence).
    let mut theirs = s.tea_order("W-90001");
    theirs["customer"]["name"] = json!("Ingrid Bergström");
    theirs["ship_to"]["name"] = json!("Ingrid Bergström");
    theirs["ship_to"]["line1"] = json!("Sveavägen 44");
    theirs["ship_to"]["city"] = json!("Stockholm");
    let res = place(&s, &admin, &theirs).await;
    assert_eq!(res.status(), 201);
    let placed: Value = res.json().await.expect("body");
    let number = placed["order"]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let (_, detail) = s.get(&admin, &format!("/api/v1/orders/{number}")).await;
    let existing = detail["order"].clone();
    let channel_no = "W-90001";

    // The storefront guesses that number with a made-up customer.
    let mut guess = s.tea_order("guess");
    guess["channel_order_no"] = json!(channel_no);
    let res = place(&s, &shop, &guess).await;
    assert_eq!(res.status(), 200);
    let answer: Value = res.json().await.expect("body");
    assert_eq!(
        answer,
        json!({ "duplicate": true, "order": { "number": number, "status": existing["status"] } })
    );
    let text = answer.to_string();
    for personal in [
        &detail["customer_email"],
        &detail["order"]["customer_name"],
        &detail["ship_to"]["line1"],
        &detail["ship_to"]["city"],
    ] {
        let personal = personal.as_str().expect("text");
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    assert!(!text.contains("lines"), "{text}");
}

#[tokio::test]
async fn a_storefront_is_told_of_its_new_order_nothing_the_shop_knows_of_the_customer() {
    let s = TestServer::start().await;
    let shop = s.token("integration").await;
    let ops = s.token("ops").await;
    // A customer the shop knows, with a phone and a name of their own.
    let (_, page) = s.get(&ops, "/api/v1/orders?limit=50").await;
    let number = page["items"][0]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let (_, known) = s.get(&ops, &format!("/api/v1/orders/{number}")).await;
    let email = known["customer_email"].as_str().expect("email").to_string();
    let mut order = s.tea_order("someone-elses-email");
    order["customer"]["email"] = json!(email);
    order["customer"]["name"] = json!("Not Their Name");
    let res = place(&s, &shop, &order).await;
    assert_eq!(res.status(), 201);
    let answer: Value = res.json().await.expect("body");
    let fields: Vec<&String> = answer.as_object().expect("object").keys().collect();
    assert_eq!(fields, ["duplicate", "lines", "order"], "{answer}");
    assert_eq!(answer["duplicate"], false);
    assert_eq!(answer["lines"][0]["sku"], "TEA-1001");
    assert_eq!(answer["lines"][0]["backordered"], 0);
    let text = answer.to_string();
    for known in [&known["order"]["customer_name"], &known["customer_phone"]] {
        if let Some(known) = known.as_str() {
            assert!(!text.contains(known), "{known} in {text}");
        }
    }
    assert!(!text.contains("flags") && !text.contains("tags"), "{text}");
    // Ops, who may read orders, gets the order in full.
    let res = place(&s, &ops, &s.tea_order("ops-order")).await;
    let full: Value = res.json().await.expect("body");
    assert!(full["customer_email"].is_string(), "{full}");
}

#[tokio::test]
async fn a_bound_storefront_posts_only_for_its_channels() {
    let s = TestServer::start().await;
    // The demo's storefront is bound to the channel the demo storefront uses.
    let shop = s.token("integration").await;
    let before = s.store.order_count().expect("count");
    let mut order = s.tea_order("mp-1");
    order["channel"] = json!("marketplace");
    let problem = expect_problem(place(&s, &shop, &order).await, 403, "/problems/forbidden").await;
    assert!(
        problem["detail"].as_str().expect("detail").contains("web"),
        "{problem}"
    );
    assert_eq!(s.store.order_count().expect("count"), before);
    let order = s.tea_order("web-1");
    assert_eq!(place(&s, &shop, &order).await.status(), 201);

    // Bound to two channels: a duplicate is recognised within each channel, and the same
    // channel number in the other channel is another order.
    let two = [
        PublicChannel::parse("web").expect("web"),
        PublicChannel::parse("marketplace").expect("marketplace"),
    ];
    add_user(&s.store, "market", Role::Integration, Some(&two));
    let market = login(&s, "market").await;
    let mut order = s.tea_order("web-1");
    order["channel"] = json!("marketplace");
    assert_eq!(place(&s, &market, &order).await.status(), 201);
    assert_eq!(place(&s, &market, &order).await.status(), 200);
    order["channel"] = json!("phone");
    expect_problem(place(&s, &market, &order).await, 403, "/problems/forbidden").await;

    // Users from before bindings may post any public channel.
    add_user(&s.store, "legacy", Role::Integration, None);
    let legacy = login(&s, "legacy").await;
    let mut order = s.tea_order("phone-1");
    order["channel"] = json!("phone");
    assert_eq!(place(&s, &legacy, &order).await.status(), 201);
}

#[tokio::test]
async fn internal_channels_are_refused_from_the_api() {
    let s = TestServer::start().await;
    add_user(&s.store, "legacy", Role::Integration, None);
    let legacy = login(&s, "legacy").await;
    let admin = s.token("admin").await;
    let before = s.store.order_count().expect("count");
    for (token, channel) in [
        (&legacy, "replacement"),
        (&admin, "replacement"),
        (&admin, "Replacement"),
        (&admin, "connector:shopify"),
    ] {
        let mut order = s.tea_order("RF-000001");
        order["channel"] = json!(channel);
        let problem = expect_problem(
            place(&s, token, &order).await,
            400,
            "/problems/invalid-input",
        )
        .await;
        assert!(
            problem["detail"]
                .as_str()
                .expect("detail")
                .contains("the server's own"),
            "{channel}: {problem}"
        );
    }
    assert_eq!(s.store.order_count().expect("count"), before);
}

#[tokio::test]
async fn a_refunds_replacement_goes_to_the_customer_not_to_an_order_posted_first() {
    let mut rules = backroom::server::built_in_rules();
    rules.service.approval_above_minor = 10_000_000;
    let s = TestServer::start_with(backroom::server::ServerConfig {
        rules,
        ..Default::default()
    })
    .await;
    let cs = s.token("cs").await;
    let shop = s.token("integration").await;
    let admin = s.token("admin").await;
    // The next refund's number, posted first as a replacement with the attacker's address.
    let mut grab = s.tea_order("RF-000001");
    grab["channel"] = json!("replacement");
    grab["ship_to"]["line1"] = json!("Attacker Lane 1");
    expect_problem(
        place(&s, &shop, &grab).await,
        400,
        "/problems/invalid-input",
    )
    .await;

    // A customer's ticket about a shipped order; the agent sends a replacement.
    let (_, page) = s
        .get(&cs, "/api/v1/orders?status=shipped,delivered&limit=50")
        .await;
    let order = page["items"].as_array().expect("orders")[0].clone();
    let number = order["number"].as_str().expect("number");
    let (_, detail) = s.get(&cs, &format!("/api/v1/orders/{number}")).await;
    let res = s
        .post(
            &shop,
            "/api/v1/messages",
            Some(&key()),
            json!({ "customer_email": detail["customer_email"], "subject": "Broken",
                    "body": format!("The parcel of {number} arrived broken.") }),
        )
        .await;
    assert!(res.status().is_success());
    let receipt: Value = res.json().await.expect("receipt");
    let tk = receipt["ticket_number"]
        .as_str()
        .expect("ticket")
        .to_string();
    let res = s
        .post(
            &admin,
            &format!("/api/v1/tickets/{tk}/refunds"),
            Some(&key()),
            json!({ "kind": "replacement", "lines": [{ "line_no": 1, "qty": 1 }],
                    "reason": "arrived broken" }),
        )
        .await;
    let status = res.status();
    let refund: Value = res.json().await.expect("refund");
    assert_eq!(status, 201, "{refund}");
    let sent = refund["replacement_order"]
        .as_str()
        .expect("replacement order");
    let (_, replacement) = s.get(&admin, &format!("/api/v1/orders/{sent}")).await;
    assert_eq!(replacement["order"]["channel"], "replacement");
    assert_eq!(replacement["ship_to"], detail["ship_to"], "{replacement}");
    assert_eq!(replacement["customer_email"], detail["customer_email"]);
}

#[test]
fn import_refuses_internal_channels() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let store = Store::open(&db).expect("open");
    store.seed_sample_data(Timestamp::now()).expect("seed");
    let before = store.order_count().expect("count");
    drop(store);
    let file = dir.path().join("orders.csv");
    std::fs::write(
        &file,
        "channel,channel_order_no,customer_name,email,phone,ship_name,line1,line2,city,postal_code,region,country,payment_method,currency,sku,qty,unit_price_minor\n\
         replacement,RF-000001,Camille Dubois,camille@example.com,,Camille Dubois,12 Rue Oberkampf,,Paris,75011,,FR,card,EUR,TEA-1001,1,1290\n",
    )
    .expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .env_remove("BACKROOM_DB")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains(":2:"), "the line is named: {err}");
    assert!(err.contains("the server's own"), "{err}");
    assert_eq!(
        Store::open(&db)
            .expect("open")
            .order_count()
            .expect("count"),
        before
    );
}

fn admin(db: &std::path::Path, args: &[&str], stdin: &str) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("BACKROOM_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn admin_binds_users_to_channels_and_serve_warns_of_unbound_ones() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let pw = "a storefront's long secret\n";
    let (ok, said) = admin(
        &db,
        &[
            "user",
            "add",
            "shop",
            "--role",
            "integration",
            "--channel",
            "web",
            "--channel",
            "marketplace",
            "--password-stdin",
        ],
        pw,
    );
    assert!(ok, "{said}");
    let (ok, said) = admin(&db, &["user", "list"], "");
    assert!(ok, "{said}");
    assert!(said.contains("posts for web, marketplace"), "{said}");

    let (ok, said) = admin(&db, &["user", "set-channels", "shop", "phone,web"], "");
    assert!(ok, "{said}");
    assert!(
        said.contains("shop may post orders for phone, web"),
        "{said}"
    );
    let (ok, said) = admin(&db, &["user", "set-channels", "shop", "replacement"], "");
    assert!(!ok);
    assert!(said.contains("the server's own"), "{said}");
    let (ok, said) = admin(&db, &["user", "set-channels", "shop", "Web Shop"], "");
    assert!(!ok);
    assert!(said.contains("not a channel name"), "{said}");
    let (ok, said) = admin(
        &db,
        &[
            "user",
            "add",
            "ann",
            "--role",
            "cs",
            "--channel",
            "web",
            "--password-stdin",
        ],
        pw,
    );
    assert!(!ok);
    assert!(said.contains("does not post orders"), "{said}");
    let bound = Store::open(&db)
        .expect("open")
        .user("shop")
        .expect("store")
        .expect("shop");
    let names: Vec<&str> = bound
        .channels
        .as_deref()
        .expect("bound")
        .iter()
        .map(PublicChannel::as_str)
        .collect();
    assert_eq!(names, ["phone", "web"]);

    // A new integration user is always bound.
    let (ok, said) = admin(
        &db,
        &[
            "user",
            "add",
            "newshop",
            "--role",
            "integration",
            "--password-stdin",
        ],
        pw,
    );
    assert!(!ok);
    assert!(said.contains("add --channel"), "{said}");
    // One from before bindings: the server says so when it starts.
    add_user(
        &Store::open(&db).expect("open"),
        "oldshop",
        Role::Integration,
        None,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_backroom"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .env_remove("BACKROOM_DB")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve");
    // The warning comes as the server starts: read its log until it is there.
    let err = BufReader::new(child.stderr.take().expect("stderr"));
    let (lines, said) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in err.lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = String::new();
    while let Ok(line) = said.recv_timeout(std::time::Duration::from_secs(30)) {
        log.push_str(&line);
        log.push('\n');
        if line.contains("bound to no channel") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        log.contains("oldshop") && log.contains("bound to no channel"),
        "{log}"
    );
    // A log read from a pipe or a file carries no colour escapes.
    assert!(!log.contains('\u{1b}'), "{log:?}");
    assert!(!log.contains("user=shop"), "{log}");
}
