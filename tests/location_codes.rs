//! Callers without `locations.read` (cs, analyst, integration) get no location code from
//! any route. Every GET route of the OpenAPI document is walked as each of them, with real
//! keys of orders, products, pick lists, receipts, alerts, purchase requests, returns,
//! stocktakes and tickets placed for the purpose; the answers to their own changes are
//! read; the event stream is followed. The same walk as the warehouse finds codes, so the
//! test is not vacuous.

mod common;
mod stock_support;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{TestServer, expect_problem};
use serde_json::{Value, json};
use stock_support::{above_safety, empty_bins, place, send, single_bin_product};

/// Every location code of the sample shop, as the admin reads them.
async fn location_codes(s: &TestServer, admin: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/locations?limit=200".to_string(),
            Some(c) => format!("/api/v1/locations?limit=200&cursor={c}"),
        };
        let (status, page) = s.get(admin, &path).await;
        assert_eq!(status, 200, "{page}");
        for l in page["items"].as_array().expect("items") {
            codes.push(l["code"].as_str().expect("code").to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert!(codes.len() > 300, "{} codes", codes.len());
    assert!(codes.iter().any(|c| c == "RET-01") && codes.iter().any(|c| c == "A-01-01"));
    codes
}

/// The codes `text` names.
fn named<'a>(codes: &'a [String], text: &str) -> Vec<&'a str> {
    codes
        .iter()
        .filter(|c| text.contains(c.as_str()))
        .map(String::as_str)
        .collect()
}

async fn post_ok(s: &TestServer, token: &str, path: &str, status: u16, body: Value) -> Value {
    let key = uuid::Uuid::now_v7().to_string();
    let (got, answer) = send(s, token, path, Some(&key), body).await;
    assert_eq!(got, status, "POST {path}: {answer}");
    answer
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_string()
}

/// Real keys for every kind of thing a GET route names in its path.
struct Keys {
    /// Path segment before the `{…}` → the keys to fill in.
    by_segment: BTreeMap<&'static str, Vec<String>>,
    /// Concrete paths with queries worth asking besides the bare routes.
    extra: Vec<String>,
    order_on_list: String,
    /// Ready to pick, its units reserved in a bin.
    held: String,
    held_sku: String,
    moved_sku: String,
    receipt: String,
    pick_list: String,
    ret: String,
    ticket: String,
}

/// The answers to changes that callers without `locations.read` made while setting up.
type Answers = Vec<(String, Value)>;

async fn set_up(s: &TestServer) -> (Keys, Answers) {
    s.park_waiting_orders();
    let admin = s.token("admin").await;
    let warehouse = s.token("warehouse").await;
    let supervisor = s.token("supervisor").await;
    let purchasing = s.token("purchasing").await;
    let cs = s.token("cs").await;
    let shop = s.token("integration").await;
    let mut answers: Answers = Vec::new();

    // A replenishment alert: stock taken below safety.
    let (alert_sku, alert_bin, free, safety) = above_safety(s);
    post_ok(
        s,
        &supervisor,
        "/api/v1/stock/adjustments",
        201,
        json!({ "product": alert_sku, "location": alert_bin, "delta": -(free - (safety - 1)), "reason": "lost" }),
    )
    .await;
    let (_, alerts) = s.get(&admin, "/api/v1/replenishment/alerts").await;
    let alert = text(&alerts["items"][0]["number"]);
    let request = post_ok(
        s,
        &purchasing,
        "/api/v1/purchase-requests",
        201,
        json!({ "product": alert_sku, "qty": 5 }),
    )
    .await;

    // An order from the storefront, on a pick list, one line reported short.
    let (picked_sku, _) = single_bin_product(s, 2, &[&alert_sku]);
    let on_list = place(s, &shop, "codes-picked", &[(&picked_sku, 2)]).await;
    answers.push(("integration: POST /api/v1/orders".into(), on_list.clone()));
    let order_on_list = text(&on_list["order"]["number"]);
    let list = post_ok(s, &warehouse, "/api/v1/pick-lists/claim", 200, json!({})).await;
    let pick_list = text(&list["number"]);
    post_ok(
        s,
        &warehouse,
        &format!("/api/v1/pick-lists/{pick_list}/lines/1/short"),
        200,
        json!({ "picked": 0, "reason": "empty" }),
    )
    .await;

    // Another order an agent holds and releases: with a key and without.
    let (held_sku, _) = single_bin_product(s, 2, &[&alert_sku, &picked_sku]);
    let held = place(s, &shop, "codes-held", &[(&held_sku, 1)]).await;
    let held = text(&held["order"]["number"]);
    let status = format!("/api/v1/orders/{held}/status");
    let hold = post_ok(
        s,
        &cs,
        &status,
        200,
        json!({ "status": "hold", "reason": "customer asks to wait" }),
    )
    .await;
    answers.push((format!("cs: POST {status} (hold)"), hold));
    let res = s
        .post(&cs, &status, None, json!({ "status": "ready_to_pick" }))
        .await;
    assert_eq!(res.status(), 200);
    answers.push((
        format!("cs: POST {status} (release)"),
        res.json().await.expect("body"),
    ));

    // A shipped order comes back: ticket, return, received into the returns location.
    let (_, shipped) = s
        .get(&cs, "/api/v1/orders?status=shipped&sort=total&limit=100")
        .await;
    let mut returned = None;
    for o in shipped["items"].as_array().expect("orders") {
        let (_, d) = s
            .get(
                &warehouse,
                &format!("/api/v1/orders/{}", text(&o["number"])),
            )
            .await;
        if !text(&d["lines"][0]["sku"]).starts_with("TEA") {
            returned = Some(d);
            break;
        }
    }
    let returned = returned.expect("a shipped order without a lot-tracked first line");
    let returned_no = text(&returned["order"]["number"]);
    let returned_sku = text(&returned["lines"][0]["sku"]);
    let ticket = post_ok(
        s,
        &cs,
        "/api/v1/tickets",
        201,
        json!({ "customer_email": returned["customer_email"], "order_number": returned_no,
                "subject": "Faulty", "body": "It does not work.", "kind": "return_request" }),
    )
    .await;
    let ticket = text(&ticket["number"]);
    let rma = post_ok(
        s,
        &cs,
        &format!("/api/v1/tickets/{ticket}/returns"),
        201,
        json!({ "lines": [{ "line_no": 1, "qty": 1 }], "reason": "does not work" }),
    )
    .await;
    answers.push(("cs: POST /api/v1/tickets/…/returns".into(), rma.clone()));
    let ret = text(&rma["number"]);
    let received = post_ok(
        s,
        &warehouse,
        &format!("/api/v1/returns/{ret}/receive"),
        200,
        json!({ "product": returned_sku }),
    )
    .await;
    assert_eq!(received["received_into"], "RET-01", "{received}");

    // A delivery being received, and a move between bins.
    let receipt = post_ok(s, &warehouse, "/api/v1/receipts", 201, json!({})).await;
    let receipt = text(&receipt["number"]);
    let (moved_sku, from) = single_bin_product(s, 3, &[&alert_sku, &picked_sku, &held_sku]);
    let to = empty_bins(s).into_iter().next().expect("an empty bin");
    post_ok(
        s,
        &warehouse,
        "/api/v1/stock/moves",
        201,
        json!({ "product": moved_sku, "from": from, "to": to, "qty": 1 }),
    )
    .await;

    let (_, stocktakes) = s.get(&admin, "/api/v1/stocktakes").await;
    let stocktake = text(&stocktakes["items"][0]["number"]);

    let by_segment = BTreeMap::from([
        (
            "orders",
            vec![order_on_list.clone(), held.clone(), returned_no.clone()],
        ),
        (
            "products",
            vec![
                picked_sku.clone(),
                held_sku.clone(),
                moved_sku.clone(),
                alert_sku.clone(),
            ],
        ),
        ("pick-lists", vec![pick_list.clone()]),
        ("pack", vec![pick_list.clone(), order_on_list.clone()]),
        ("receipts", vec![receipt.clone()]),
        ("alerts", vec![alert]),
        ("purchase-requests", vec![text(&request["number"])]),
        ("returns", vec![ret.clone()]),
        ("stocktakes", vec![stocktake.clone()]),
        ("tickets", vec![ticket.clone()]),
    ]);
    let extra = vec![
        "/api/v1/stock?limit=500".to_string(),
        format!("/api/v1/stock?sku={picked_sku}"),
        "/api/v1/stock/movements?limit=500".to_string(),
        format!("/api/v1/stock/movements?product={moved_sku}"),
        format!("/api/v1/stock/movements?reference={ret}"),
        format!("/api/v1/stock/movements?reference={pick_list}"),
        format!("/api/v1/products?q={picked_sku}"),
        "/api/v1/catalog/changes?limit=5000".to_string(),
        "/api/v1/pick-lists?state=claimed".to_string(),
        "/api/v1/receipts?state=open".to_string(),
        "/api/v1/replenishment/alerts?all=true".to_string(),
        format!("/api/v1/orders/{held}/shipping-note?format=text"),
        format!("/api/v1/stocktakes/{stocktake}/report?format=csv"),
    ];
    (
        Keys {
            by_segment,
            extra,
            order_on_list,
            held,
            held_sku,
            moved_sku,
            receipt,
            pick_list,
            ret,
            ticket,
        },
        answers,
    )
}

/// Every GET path of the OpenAPI document with its keys filled in, and the extra queries.
/// A route whose path names something this test has no key for fails the test: a new
/// route must join the walk.
async fn get_paths(s: &TestServer, keys: &Keys) -> Vec<String> {
    let doc: Value = s
        .http
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("document");
    let mut paths = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if item.get("get").is_none() || path == "/api/v1/events" {
            continue;
        }
        let Some(open) = path.find('{') else {
            paths.push(path.clone());
            continue;
        };
        let close = path[open..].find('}').expect("closing brace") + open;
        assert!(
            !path[close..].contains('{'),
            "{path}: more than one key; fill it in here"
        );
        let segment = path[..open - 1].rsplit('/').next().expect("segment");
        let values = keys
            .by_segment
            .get(segment)
            .unwrap_or_else(|| panic!("GET {path}: this test has no key for {segment:?}"));
        for value in values {
            paths.push(format!("{}{value}{}", &path[..open], &path[close + 1..]));
        }
    }
    assert!(paths.len() > 30, "only {} GET paths", paths.len());
    paths.extend(keys.extra.iter().cloned());
    paths
}

/// Each path as `token` asks it: status and body as text.
async fn walk(s: &TestServer, token: &str, paths: &[String]) -> BTreeMap<String, (u16, String)> {
    let mut answers = BTreeMap::new();
    for path in paths {
        let res = s
            .http
            .get(s.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        let body = res.text().await.expect("body");
        assert!(status < 500, "GET {path}: {status} {body}");
        answers.insert(path.clone(), (status, body));
    }
    answers
}

#[derive(Debug)]
struct Received {
    id: i64,
    kind: String,
    data: String,
}

/// The events `token` hears after `after`, up to `until` or until the stream is quiet.
async fn follow(s: &TestServer, token: &str, after: i64, until: i64) -> Option<Vec<Received>> {
    let mut res = s
        .http
        .get(s.url("/api/v1/events"))
        .bearer_auth(token)
        .header("last-event-id", after.to_string())
        .send()
        .await
        .expect("events");
    if res.status() != 200 {
        assert_eq!(res.status(), 403, "the stream answers 200 or 403");
        return None;
    }
    let mut buffer = String::new();
    let mut events = Vec::new();
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut id, mut kind, mut data) = (None, None, None);
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    kind = Some(v.trim().to_string());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = Some(v.trim().to_string());
                }
            }
            if let (Some(id), Some(kind), Some(data)) = (id, kind, data) {
                events.push(Received { id, kind, data });
            }
        }
        if events.last().is_some_and(|e| e.id >= until) {
            return Some(events);
        }
        // Events the caller may not hear never come: a quiet stream has said all.
        match tokio::time::timeout(Duration::from_secs(3), res.chunk()).await {
            Ok(Ok(Some(bytes))) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return Some(events),
        }
    }
}

#[tokio::test]
async fn callers_without_locations_read_get_no_location_code_from_any_route() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    let codes = location_codes(&s, &admin).await;
    let first_event = s.store.last_event_id().expect("events");
    let (keys, answers) = set_up(&s).await;
    let last_event = s.store.last_event_id().expect("events");
    let paths = get_paths(&s, &keys).await;

    // The answers to their own changes: an order placed, a status changed, a return made.
    for (what, answer) in &answers {
        let found = named(&codes, &answer.to_string());
        assert!(found.is_empty(), "{what} names {found:?}: {answer}");
    }

    for role in ["cs", "analyst", "integration"] {
        let token = s.token(role).await;
        let answers = walk(&s, &token, &paths).await;
        let leaks: Vec<String> = answers
            .iter()
            .filter(|(_, (status, _))| *status == 200)
            .filter_map(|(path, (_, body))| {
                let found = named(&codes, body);
                (!found.is_empty()).then(|| format!("GET {path} names {found:?}"))
            })
            .collect();
        assert!(leaks.is_empty(), "{role}:\n{}", leaks.join("\n"));

        let events = follow(&s, &token, first_event, last_event).await;
        for e in events.iter().flatten() {
            let found = named(&codes, &e.data);
            assert!(
                found.is_empty(),
                "{role} hears {} naming {found:?}: {}",
                e.kind,
                e.data
            );
        }
        if role != "integration" {
            // They hear of the short pick, without the bin.
            let events = events.expect("a stream");
            assert!(
                events.iter().any(|e| e.kind == "pick.short"),
                "{role}: {events:?}"
            );
        }

        if role == "cs" {
            // Not vacuous: the agent reads what the help desk works with.
            let ok = |path: String| {
                let (status, body) = &answers[&path];
                assert_eq!(*status, 200, "cs GET {path}: {body}");
                serde_json::from_str::<Value>(body).unwrap_or(Value::Null)
            };
            let order = ok(format!("/api/v1/orders/{}", keys.order_on_list));
            assert!(order["lines"][0].get("pick_from").is_none(), "{order}");
            assert_eq!(order["lines"][0]["qty"], 2);
            let ticket = ok(format!("/api/v1/tickets/{}", keys.ticket));
            assert_eq!(ticket["returns"][0]["number"], keys.ret.as_str());
            assert_eq!(ticket["returns"][0]["lines"][0]["received"], 1);
            assert!(
                ticket["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .any(|m| text(&m["body"]).contains("received into returns")),
                "{ticket}"
            );
            ok(format!("/api/v1/returns/{}", keys.ret));
            ok(format!("/api/v1/receipts/{}", keys.receipt));
            let moves = ok(format!(
                "/api/v1/stock/movements?product={}",
                keys.moved_sku
            ));
            assert_eq!(moves["items"][0]["kind"], "move", "{moves}");
            assert_eq!(moves["items"][0]["from"], Value::Null);
            assert_eq!(moves["items"][0]["qty"], 1);
            let (status, note) =
                &answers[&format!("/api/v1/orders/{}/shipping-note?format=text", keys.held)];
            assert_eq!(*status, 200, "{note}");
            assert!(
                note.contains(&keys.held_sku) && !note.contains("Pick from"),
                "{note}"
            );
            // Pick lists are walks through bins: refused whole.
            assert_eq!(
                answers[&format!("/api/v1/pick-lists/{}", keys.pick_list)].0,
                403
            );
        }
    }

    // The same walk as the warehouse names codes where the routes are about places.
    let warehouse = s.token("warehouse").await;
    let answers = walk(&s, &warehouse, &paths).await;
    for path in [
        format!("/api/v1/orders/{}", keys.held),
        "/api/v1/stock?limit=500".to_string(),
        format!("/api/v1/stock/movements?product={}", keys.moved_sku),
        format!("/api/v1/receipts/{}", keys.receipt),
        format!("/api/v1/returns/{}", keys.ret),
        format!("/api/v1/pick-lists/{}", keys.pick_list),
        format!("/api/v1/products/{}", keys.held_sku),
        format!("/api/v1/orders/{}/shipping-note?format=text", keys.held),
    ] {
        let (status, body) = &answers[&path];
        assert_eq!(*status, 200, "warehouse GET {path}: {body}");
        assert!(
            !named(&codes, body).is_empty(),
            "warehouse GET {path}: {body}"
        );
    }
    let events = follow(&s, &warehouse, first_event, last_event)
        .await
        .expect("a stream");
    let short = events
        .iter()
        .find(|e| e.kind == "pick.short")
        .expect("the short pick");
    assert!(!named(&codes, &short.data).is_empty(), "{}", short.data);
}

/// Every line of `GET /api/v1/stock` as `token` reads it, page after page.
async fn whole_stock_list(s: &TestServer, token: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/stock?limit=500".to_string(),
            Some(c) => format!("/api/v1/stock?limit=500&cursor={}", urlencoding(c)),
        };
        let (status, page) = s.get(token, &path).await;
        assert_eq!(status, 200, "{page}");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return items,
        }
    }
}

#[tokio::test]
async fn an_agent_reads_stock_totals_per_product_and_may_not_ask_about_a_place() {
    let s = TestServer::start().await;
    let cs = s.token("cs").await;
    let warehouse = s.token("warehouse").await;
    let per_place = whole_stock_list(&s, &warehouse).await;
    assert!(per_place.iter().all(|r| r["location"].is_string()));
    let mut expected: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    for r in &per_place {
        let sums = expected.entry(text(&r["sku"])).or_default();
        for (i, field) in ["on_hand", "reserved", "available"].iter().enumerate() {
            sums[i] += r[*field].as_i64().expect("figure");
        }
    }
    assert!(
        per_place.len() > expected.len(),
        "some product is in two places"
    );

    // One line per product, with the totals, and no location.
    let totals = whole_stock_list(&s, &cs).await;
    let mut seen: BTreeMap<String, [i64; 3]> = BTreeMap::new();
    for t in &totals {
        assert!(t.get("location").is_none(), "{t}");
        let figures = ["on_hand", "reserved", "available"].map(|f| t[f].as_i64().expect("figure"));
        assert!(seen.insert(text(&t["sku"]), figures).is_none(), "{t} twice");
    }
    assert_eq!(seen, expected);
    // Short pages too: each product once.
    let (_, first) = s.get(&cs, "/api/v1/stock?limit=7").await;
    let cursor = text(&first["next_cursor"]);
    let (_, second) = s
        .get(
            &cs,
            &format!("/api/v1/stock?limit=7&cursor={}", urlencoding(&cursor)),
        )
        .await;
    let skus = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|i| text(&i["sku"]))
            .collect()
    };
    let both: Vec<String> = [skus(&first), skus(&second)].concat();
    assert_eq!(both, seen.keys().take(14).cloned().collect::<Vec<_>>());

    let (sku, figures) = expected
        .iter()
        .find(|(sku, _)| {
            per_place
                .iter()
                .filter(|r| r["sku"] == sku.as_str())
                .count()
                > 1
        })
        .expect("a product in two places");
    let (_, product) = s.get(&cs, &format!("/api/v1/products/{sku}")).await;
    let stock = product["stock"].as_array().expect("stock");
    assert_eq!(stock.len(), 1, "{product}");
    assert!(stock[0].get("location").is_none(), "{product}");
    assert_eq!(stock[0]["on_hand"], figures[0]);
    assert_eq!(stock[0]["reserved"], figures[1]);
    assert_eq!(stock[0]["available"], figures[2]);

    // Asking what a place holds is asking about places.
    for path in [
        "/api/v1/stock?location=A-01-01",
        "/api/v1/stock/movements?location=A-01-01",
        "/api/v1/locations",
        "/api/v1/pick-lists",
        "/api/v1/stocktakes",
    ] {
        let res = s
            .http
            .get(s.url(path))
            .bearer_auth(&cs)
            .send()
            .await
            .expect("request");
        let problem = expect_problem(res, 403, "/problems/forbidden").await;
        assert_eq!(problem["permission"], "locations.read", "{path}: {problem}");
    }
}

/// A cursor as a query value: `|` and anything else outside unreserved characters escaped.
fn urlencoding(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
