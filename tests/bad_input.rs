//! Bad input is refused whole, with what is wrong named, and changes nothing: text longer
//! than the `maxLength` the OpenAPI document states, control and bidi-override characters,
//! a key given twice, fields a body does not have, a body sent where none is taken, an
//! emptied or stale reply book. And a retry is recognised by what it asks, not by how its
//! JSON is spelled: reordered keys, a resend through `/changes`, and records kept from
//! before fingerprints were canonical.

mod common;

use common::{TestServer, expect_problem, ok};
use serde_json::{Value, json};

fn key() -> String {
    uuid::Uuid::now_v7().to_string()
}

async fn post_raw(
    s: &TestServer,
    token: &str,
    path: &str,
    key: &str,
    body: &str,
) -> reqwest::Response {
    s.http
        .post(s.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request")
}

async fn document(s: &TestServer) -> Value {
    s.http
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("document")
        .json()
        .await
        .expect("json")
}

fn detail(problem: &Value) -> &str {
    problem["detail"].as_str().expect("detail")
}

#[tokio::test]
async fn text_is_limited_exactly_as_the_document_says() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let doc = document(&s).await;
    let most = doc["components"]["schemas"]["CustomerIn"]["properties"]["name"]["maxLength"]
        .as_u64()
        .expect("the document states a maxLength") as usize;
    let before = s.store.order_count().expect("count");
    let mut order = s.tea_order("long-name");
    // Counted in characters, as JSON Schema counts them.
    order["customer"]["name"] = json!("é".repeat(most + 1));
    let problem = expect_problem(
        s.post(&ops, "/api/v1/orders", Some(&key()), order.clone())
            .await,
        400,
        "/problems/invalid-input",
    )
    .await;
    assert!(
        detail(&problem).contains(&format!(
            "customer.name is {} characters long; at most {most}",
            most + 1
        )),
        "{problem}"
    );
    assert_eq!(s.store.order_count().expect("count"), before);
    order["customer"]["name"] = json!("é".repeat(most));
    let res = s.post(&ops, "/api/v1/orders", Some(&key()), order).await;
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn control_and_bidi_characters_are_refused_in_names_and_subjects() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let shop = s.token("integration").await;
    let before = s.store.order_count().expect("count");
    for (field, value, named) in [
        (
            "/customer/name",
            "Erika\u{202E}nnamretsuM",
            "customer.name holds U+202E",
        ),
        (
            "/ship_to/line1",
            "Main St\u{1b}[2J",
            "ship_to.line1 holds the control character U+001B",
        ),
        (
            "/ship_to/city",
            "Paris\nLyon",
            "ship_to.city holds the control character U+000A",
        ),
        (
            "/lines/0/sku",
            "TEA-1001\u{2066}",
            "lines[0].sku holds U+2066",
        ),
    ] {
        let mut order = s.tea_order("bidi");
        *order.pointer_mut(field).expect("field") = json!(value);
        let problem = expect_problem(
            s.post(&ops, "/api/v1/orders", Some(&key()), order).await,
            400,
            "/problems/invalid-input",
        )
        .await;
        assert!(detail(&problem).contains(named), "{field}: {problem}");
    }
    assert_eq!(s.store.order_count().expect("count"), before);

    let message = |subject: &str, body: &str| json!({ "customer_email": "plain.text@example.net", "subject": subject, "body": body });
    let problem = expect_problem(
        s.post(
            &shop,
            "/api/v1/messages",
            Some(&key()),
            message("Hi\u{202E}", "Hello"),
        )
        .await,
        400,
        "/problems/invalid-input",
    )
    .await;
    assert!(
        detail(&problem).contains("subject holds U+202E"),
        "{problem}"
    );
    // A message's body may have lines; it may not turn the text around.
    let res = s
        .post(
            &shop,
            "/api/v1/messages",
            Some(&key()),
            message("Hi", "Hello,\n\tsee below."),
        )
        .await;
    assert_eq!(res.status(), 201);
    let problem = expect_problem(
        s.post(
            &shop,
            "/api/v1/messages",
            Some(&key()),
            message("Hi", "Hello \u{202E}olleh"),
        )
        .await,
        400,
        "/problems/invalid-input",
    )
    .await;
    assert!(detail(&problem).contains("body holds U+202E"), "{problem}");
}

#[tokio::test]
async fn a_key_given_twice_and_a_field_not_there_are_refused_by_name() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let before = s.store.order_count().expect("count");
    let order = s.tea_order("twice").to_string();
    // serde alone keeps the last: this was an order of 20000.
    let twice = order.replacen("\"qty\":1", "\"qty\":1,\"qty\":20000", 1);
    assert_ne!(twice, order);
    let problem = expect_problem(
        post_raw(&s, &ops, "/api/v1/orders", &key(), &twice).await,
        400,
        "/problems/malformed-body",
    )
    .await;
    assert!(
        detail(&problem).contains("`qty` is given twice"),
        "{problem}"
    );

    let mut extra = s.tea_order("extra");
    extra["ship_to"]["floor"] = json!(3);
    let problem = expect_problem(
        s.post(&ops, "/api/v1/orders", Some(&key()), extra).await,
        400,
        "/problems/malformed-body",
    )
    .await;
    assert!(
        detail(&problem).contains("unknown field `floor`"),
        "{problem}"
    );
    assert_eq!(s.store.order_count().expect("count"), before);
}

#[tokio::test]
async fn routes_that_take_no_body_refuse_one_and_do_nothing() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let admin = s.token("admin").await;
    let placed = s.place_tea_order(&ops, "no-body").await;
    let number = placed["order"]["number"].as_str().expect("number");
    let (_, before) = s.get(&ops, &format!("/api/v1/orders/{number}")).await;
    for path in [
        format!("/api/v1/orders/{number}/reroute"),
        "/api/v1/receipts/RC-000001/close".to_string(),
        "/api/v1/pick-lists/PL-000001/finish".to_string(),
        "/api/v1/stocktakes/ST-000001/locations/A-01-01/start".to_string(),
    ] {
        let res = post_raw(&s, &admin, &path, &key(), r#"{"status":"cancelled"}"#).await;
        let problem = expect_problem(res, 400, "/problems/malformed-body").await;
        assert!(
            detail(&problem).contains("takes no body"),
            "{path}: {problem}"
        );
    }
    let (_, after) = s.get(&ops, &format!("/api/v1/orders/{number}")).await;
    assert_eq!(after["history"], before["history"]);
    // Without one, the same route works.
    let res = s
        .http
        .post(s.url(&format!("/api/v1/orders/{number}/reroute")))
        .bearer_auth(&ops)
        .send()
        .await
        .expect("reroute");
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_reply_book_takes_back_what_it_gives_and_is_never_emptied() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let put = |path: &'static str, body: Value| {
        s.http.put(s.url(path)).bearer_auth(&ops).json(&body).send()
    };
    for (path, items) in [
        ("/api/v1/faq-rules", "rules"),
        ("/api/v1/canned-replies", "replies"),
    ] {
        let (_, read) = s.get(&ops, path).await;
        let version = read["version"].as_i64().expect("version");
        let saved = ok(put(path, read.clone()).await.expect("put")).await;
        assert_eq!(saved["version"], version + 1, "{path}");
        assert_eq!(saved[items], read[items], "{path}");

        // Someone saved since `read` was read: the edit is not written over theirs.
        let problem = expect_problem(
            put(path, read.clone()).await.expect("put"),
            409,
            "/problems/conflict",
        )
        .await;
        assert!(detail(&problem).contains("read it again"), "{problem}");

        let mut emptied = saved.clone();
        emptied[items] = json!([]);
        let problem = expect_problem(
            put(path, emptied).await.expect("put"),
            400,
            "/problems/invalid-input",
        )
        .await;
        assert!(detail(&problem).contains("would be empty"), "{problem}");
        let (_, now) = s.get(&ops, path).await;
        assert_eq!(now, saved, "{path}: nothing changed");
    }
}

#[tokio::test]
async fn a_retry_is_the_same_request_however_its_json_is_spelled() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let before = s.store.order_count().expect("count");
    let key = key();
    let order = s.tea_order("reordered");
    let first = post_raw(&s, &ops, "/api/v1/orders", &key, &order.to_string()).await;
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.expect("body");
    // The same order with its keys in reverse order and a number written as 1.0.
    let fields: Vec<String> = order
        .as_object()
        .expect("object")
        .iter()
        .rev()
        .map(|(k, v)| format!("{}:{v}", json!(k)))
        .collect();
    let reordered = format!("{{{}}}", fields.join(", ")).replace("\"qty\":1", "\"qty\":1.0");
    let again = post_raw(&s, &ops, "/api/v1/orders", &key, &reordered).await;
    assert_eq!(again.status(), 201, "a replay, not a refusal");
    assert_eq!(again.json::<Value>().await.expect("body"), first);
    assert_eq!(s.store.order_count().expect("count"), before + 1);
}

#[tokio::test]
async fn a_change_sent_alone_and_again_in_a_batch_is_one_change() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let placed = s.place_tea_order(&ops, "batch-resend").await;
    let number = placed["order"]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let path = format!("/api/v1/orders/{number}/status");
    let key = key();
    let first = post_raw(
        &s,
        &ops,
        &path,
        &key,
        r#"{"status":"hold","reason":"call the customer"}"#,
    )
    .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.expect("body");
    let batch = json!({ "changes": [{ "method": "POST", "path": path, "idempotency_key": key,
        "body": { "reason": "call the customer", "status": "hold" } }] });
    let res = s
        .http
        .post(s.url("/api/v1/changes"))
        .bearer_auth(&ops)
        .json(&batch)
        .send()
        .await
        .expect("batch");
    let answers: Value = ok(res).await;
    assert_eq!(answers["answers"][0]["status"], 200, "{answers}");
    assert_eq!(answers["answers"][0]["body"], first);
    let (_, detail) = s.get(&ops, &format!("/api/v1/orders/{number}")).await;
    let holds = detail["history"]
        .as_array()
        .expect("history")
        .iter()
        .filter(|h| h["to"] == "hold")
        .count();
    assert_eq!(holds, 1);
}

#[tokio::test]
async fn a_record_kept_from_before_canonical_fingerprints_matches_on_its_key() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let placed = s.place_tea_order(&ops, "old-record").await;
    let number = placed["order"]["number"]
        .as_str()
        .expect("number")
        .to_string();
    let path = format!("/api/v1/orders/{number}/status");
    let key = key();
    let first = post_raw(
        &s,
        &ops,
        &path,
        &key,
        r#"{"status":"hold","reason":"wait"}"#,
    )
    .await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.expect("body");
    // As an older server wrote it: a hash of the request's Debug text.
    let db = rusqlite::Connection::open(s.store.path()).expect("open");
    let changed = db
        .execute(
            "UPDATE idempotency_keys SET request_hash = 'a3f1d2…debug text of StatusChangeIn' WHERE key = ?1",
            [&key],
        )
        .expect("update");
    assert_eq!(changed, 1);
    drop(db);
    // A console upgraded meanwhile sends the change waiting in its outbox: applied already,
    // so it gets the first answer, whatever the new version makes of its text.
    let again = post_raw(
        &s,
        &ops,
        &path,
        &key,
        r#"{"reason":"wait","status":"hold"}"#,
    )
    .await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.expect("body"), first);
    // A new record is canonical: another body under its key is refused.
    let other = key_with_new_record(&s, &ops, &number).await;
    let res = post_raw(
        &s,
        &ops,
        &path,
        &other,
        r#"{"status":"cancelled","reason":"changed mind"}"#,
    )
    .await;
    expect_problem(res, 422, "/problems/idempotency-key-reused").await;
}

/// A key whose record was written by this version (a release from hold).
async fn key_with_new_record(s: &TestServer, ops: &str, number: &str) -> String {
    let key = key();
    let res = post_raw(
        s,
        ops,
        &format!("/api/v1/orders/{number}/status"),
        &key,
        r#"{"status":"ready_to_pick"}"#,
    )
    .await;
    let status = res.status();
    let body: Value = res.json().await.expect("body");
    assert_eq!(status, 200, "{body}");
    key
}

#[tokio::test]
async fn path_and_query_values_are_limited_as_the_document_says() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let doc = document(&s).await;
    let q = doc["paths"]["/api/v1/orders"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "q")
        .expect("q")
        .clone();
    let most = q["schema"]["maxLength"].as_u64().expect("maxLength") as usize;
    let (status, _) = s
        .get(&ops, &format!("/api/v1/orders?q={}", "a".repeat(most)))
        .await;
    assert_eq!(status, 200);
    let (status, problem) = s
        .get(&ops, &format!("/api/v1/orders?q={}", "a".repeat(most + 1)))
        .await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        detail(&problem).contains(&format!("at most {most}")),
        "{problem}"
    );
    let (status, problem) = s.get(&ops, "/api/v1/orders?q=Hugo%1B%5B2J").await;
    assert_eq!(status, 400, "{problem}");
    assert!(
        detail(&problem).contains("q holds the control character U+001B"),
        "{problem}"
    );
    let (status, problem) = s
        .get(&ops, &format!("/api/v1/orders/SO-{}", "1".repeat(most)))
        .await;
    assert_eq!(status, 400, "{problem}");
    assert!(detail(&problem).contains("key is"), "{problem}");
}

#[tokio::test]
async fn what_a_refusal_quotes_back_cannot_reach_a_terminal_as_control_characters() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let mut order = s.tea_order("quoted");
    order["ship_to"]["\u{1b}[2Jfloor\u{202E}"] = json!(3);
    let problem = expect_problem(
        s.post(&ops, "/api/v1/orders", Some(&key()), order).await,
        400,
        "/problems/malformed-body",
    )
    .await;
    let said = detail(&problem);
    assert!(said.contains("\\u{001b}[2Jfloor\\u{202e}"), "{said}");
    assert!(
        !said.contains('\u{1b}') && !said.contains('\u{202E}'),
        "{said}"
    );
}

#[test]
fn an_import_is_held_to_the_text_rules_of_the_api() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("shop.db");
    let store = backroom::store::Store::open(&db).expect("open");
    store
        .seed_sample_data(jiff::Timestamp::now())
        .expect("seed");
    let before = store.order_count().expect("count");
    drop(store);
    let file = dir.path().join("orders.csv");
    let header = "channel,channel_order_no,customer_name,email,phone,ship_name,line1,line2,city,postal_code,region,country,payment_method,currency,sku,qty,unit_price_minor\n";
    let row = |no: &str, name: &str, line1: &str| {
        format!(
            "web,{no},{name},eve.{no}@example.com,,Eve,{line1},,Berlin,10115,,DE,card,EUR,TEA-1001,1,3110\n"
        )
    };
    std::fs::write(
        &file,
        format!(
            "{header}{}{}{}",
            row("I-1", "Eve\u{1b}[31mred", "Street 1"),
            row("I-2", "Eve\u{202E}live", "Street 2"),
            row("I-3", "Eve", &"x".repeat(201)),
        ),
    )
    .expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backroom"))
        .args(["import", "orders"])
        .arg(&file)
        .arg("--db")
        .arg(&db)
        .env_remove("BACKROOM_DB")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(":2: customer.name holds the control character U+001B"),
        "{err}"
    );
    assert!(err.contains(":3: customer.name holds U+202E"), "{err}");
    assert!(
        err.contains(":4: ship_to.line1 is 201 characters long"),
        "{err}"
    );
    assert!(
        !err.contains('\u{1b}') && !err.contains('\u{202E}'),
        "{err}"
    );
    assert_eq!(
        backroom::store::Store::open(&db)
            .expect("open")
            .order_count()
            .expect("count"),
        before
    );
}
