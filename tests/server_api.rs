//! The REST API over real HTTP against a real server on a temp SQLite file.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use backroom::domain::role::{Permission, Role};
use backroom::server::ServerConfig;
use backroom::server::auth::token_hash;
use common::{TestServer, expect_problem};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

#[tokio::test]
async fn login_me_and_logout() {
    let s = TestServer::start().await;
    let token = s.token("warehouse").await;
    let (status, me) = s.get(&token, "/api/v1/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "warehouse");
    assert_eq!(me["role"], "warehouse");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("orders.read"))
    );

    let res = s
        .http
        .post(s.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let res = s
        .http
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(res.headers().contains_key("www-authenticate"));
    expect_problem(res, 401, "/problems/unauthenticated").await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let s = TestServer::start().await;
    for (user, pass) in [
        ("admin", "not-the-password"),
        ("nobody", "whatever123"),
        ("x", "y"),
        ("", ""),
    ] {
        let res = s
            .http
            .post(s.url("/api/v1/auth/login"))
            .json(&json!({ "username": user, "password": pass }))
            .send()
            .await
            .unwrap();
        expect_problem(res, 401, "/problems/invalid-credentials").await;
    }
}

#[tokio::test]
async fn repeated_failures_lock_the_user_name_even_for_the_right_password() {
    let s = TestServer::start_with(ServerConfig {
        free_login_attempts: 3,
        login_lockout: Duration::from_secs(60),
        ..ServerConfig::default()
    })
    .await;
    let attempt = |password: &'static str| {
        s.http
            .post(s.url("/api/v1/auth/login"))
            .json(&json!({ "username": "ops", "password": password }))
            .send()
    };
    for _ in 0..3 {
        expect_problem(
            attempt("guess-guess").await.unwrap(),
            401,
            "/problems/invalid-credentials",
        )
        .await;
    }
    let res = attempt("backroom-ops").await.unwrap();
    let retry: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    expect_problem(res, 429, "/problems/too-many-attempts").await;
    // Other users are not affected.
    s.token("cs").await;
}

#[tokio::test]
async fn expired_revoked_and_garbage_tokens_are_refused() {
    let s = TestServer::start().await;
    let admin = s.store.user("admin").unwrap().unwrap();
    let past = Timestamp::now() - SignedDuration::from_hours(1);
    s.store
        .create_session(
            &admin,
            &token_hash("expired-token"),
            past - SignedDuration::from_hours(12),
            past,
        )
        .unwrap();
    for header in [
        "Bearer expired-token",
        "Bearer not-a-token",
        "Basic YWRtaW46eA==",
        "Bearer ",
    ] {
        let res = s
            .http
            .get(s.url("/api/v1/me"))
            .header("authorization", header)
            .send()
            .await
            .unwrap();
        expect_problem(res, 401, "/problems/unauthenticated").await;
    }
    let res = s.http.get(s.url("/api/v1/orders")).send().await.unwrap();
    expect_problem(res, 401, "/problems/unauthenticated").await;
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_and_sign_ins() {
    let s = TestServer::start().await;
    let token = s.token("analyst").await;
    // Used once first, so the server has the session in mind when the user is disabled.
    assert_eq!(s.get(&token, "/api/v1/me").await.0, 200);
    s.store
        .set_user_disabled("analyst", true, "admin", Timestamp::now())
        .unwrap();
    let res = s
        .http
        .get(s.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "/problems/unauthenticated").await;
    let res = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({ "username": "analyst", "password": "backroom-analyst" }))
        .send()
        .await
        .unwrap();
    expect_problem(res, 401, "/problems/invalid-credentials").await;
}

/// Every protected read route and the permission it needs.
const ROUTES: &[(&str, Permission)] = &[
    ("/api/v1/products", Permission::CatalogRead),
    ("/api/v1/products/TEA-1001", Permission::CatalogRead),
    ("/api/v1/locations", Permission::LocationsRead),
    ("/api/v1/stock", Permission::StockRead),
    ("/api/v1/orders", Permission::OrdersRead),
    ("/api/v1/orders/SO-000001", Permission::OrdersRead),
    ("/api/v1/audit", Permission::AuditRead),
];

#[tokio::test]
async fn every_role_gets_403_exactly_where_it_lacks_the_permission() {
    let s = TestServer::start().await;
    let mut forbidden_seen = 0;
    for role in Role::ALL {
        let token = s.token(role.as_str()).await;
        for (path, permission) in ROUTES {
            let res = s
                .http
                .get(s.url(path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            if role.allows(*permission) {
                assert_eq!(res.status(), 200, "{role} on {path}");
            } else {
                let body = expect_problem(res, 403, "/problems/forbidden").await;
                assert_eq!(body["permission"], permission.as_str(), "{role} on {path}");
                forbidden_seen += 1;
            }
        }
    }
    assert!(
        forbidden_seen >= 6,
        "the role table should forbid something to most roles"
    );
}

#[tokio::test]
async fn order_pages_cover_every_order_once_newest_first() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    let total = s.store.order_count().unwrap() as usize;
    let mut seen = HashSet::new();
    let mut last_created = String::from("9999");
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/orders?limit=150&cursor={c}"),
            None => "/api/v1/orders?limit=150".to_string(),
        };
        let (status, page) = s.get(&token, &path).await;
        assert_eq!(status, 200);
        pages += 1;
        for order in page["items"].as_array().unwrap() {
            let created = order["created_at"].as_str().unwrap().to_string();
            assert!(created <= last_created, "not newest first");
            last_created = created;
            assert!(
                seen.insert(order["number"].as_str().unwrap().to_string()),
                "duplicate"
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    assert_eq!(pages, total.div_ceil(150));
}

#[tokio::test]
async fn every_sort_pages_through_every_order_once_in_its_order() {
    let s = TestServer::start().await;
    let token = s.token("ops").await;
    let total = s.store.order_count().unwrap() as usize;
    for sort in ["oldest", "ship_by", "total"] {
        let mut seen = HashSet::new();
        let mut keys: Vec<(i64, String)> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/orders?limit=200&sort={sort}");
            if let Some(c) = &cursor {
                path.push_str(&format!("&cursor={c}"));
            }
            let (status, page) = s.get(&token, &path).await;
            assert_eq!(status, 200, "{sort}: {page}");
            for o in page["items"].as_array().unwrap() {
                assert!(seen.insert(o["number"].as_str().unwrap().to_string()));
                let key = match sort {
                    "oldest" => 0,
                    "total" => -o["total"]["amount_minor"].as_i64().unwrap(),
                    _ => {
                        let gone = ["shipped", "delivered", "cancelled", "returned"]
                            .contains(&o["status"].as_str().unwrap());
                        i64::from(gone || o["ship_by"].is_null())
                    }
                };
                let text = match sort {
                    "oldest" => o["created_at"].as_str().unwrap().to_string(),
                    "ship_by" if key == 0 => o["ship_by"].as_str().unwrap().to_string(),
                    _ => String::new(),
                };
                keys.push((key, text));
            }
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), total, "{sort}");
        assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{sort} out of order");
    }
    // A cursor belongs to its sort.
    let (_, first) = s.get(&token, "/api/v1/orders?limit=5&sort=total").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (status, body) = s
        .get(&token, &format!("/api/v1/orders?limit=5&cursor={cursor}"))
        .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (400, Some("/problems/bad-cursor"))
    );
    let (status, _) = s.get(&token, "/api/v1/orders?sort=cheapest").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn orders_are_found_by_sku_and_by_tag() {
    let s = TestServer::start().await;
    let token = s.token("cs").await;
    let (_, vip) = s.get(&token, "/api/v1/orders?tag=vip&limit=500").await;
    let vip = vip["items"].as_array().unwrap();
    assert!(!vip.is_empty(), "the sample shop has VIP orders");
    assert!(vip.iter().all(|o| {
        o["tags"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("vip"))
    }));
    let (_, none) = s.get(&token, "/api/v1/orders?tag=vi").await;
    assert!(
        none["items"].as_array().unwrap().is_empty(),
        "tags match whole"
    );

    let (_, detail) = s.get(&token, "/api/v1/orders/SO-000042").await;
    let sku = detail["lines"][0]["sku"].as_str().unwrap().to_lowercase();
    let (_, found) = s
        .get(&token, &format!("/api/v1/orders?q={sku}&limit=500"))
        .await;
    let found = found["items"].as_array().unwrap();
    assert!(
        found.iter().any(|o| o["number"] == "SO-000042"),
        "case does not matter"
    );
    for o in found.iter().take(5) {
        let (_, d) = s
            .get(
                &token,
                &format!("/api/v1/orders/{}", o["number"].as_str().unwrap()),
            )
            .await;
        assert!(
            d["lines"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["sku"].as_str().unwrap().eq_ignore_ascii_case(&sku)),
            "{d}"
        );
    }
}

#[tokio::test]
async fn order_filters_and_detail() {
    let s = TestServer::start().await;
    let token = s.token("cs").await;
    let (_, held) = s
        .get(&token, "/api/v1/orders?status=hold,cs_review&limit=500")
        .await;
    let items = held["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|o| o["status"] == "hold" || o["status"] == "cs_review")
    );

    let (status, one) = s.get(&token, "/api/v1/orders?q=SO-000042").await;
    assert_eq!(status, 200);
    assert_eq!(one["items"].as_array().unwrap().len(), 1);
    let (status, detail) = s.get(&token, "/api/v1/orders/SO-000042").await;
    assert_eq!(status, 200);
    assert_eq!(detail["order"]["number"], "SO-000042");
    assert!(!detail["lines"].as_array().unwrap().is_empty());
    assert_eq!(detail["history"][0]["to"], "received");
    let sum: i64 = detail["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["qty"].as_i64().unwrap() * l["unit_price"]["amount_minor"].as_i64().unwrap())
        .sum();
    assert_eq!(detail["order"]["total"]["amount_minor"], sum);

    let (status, body) = s.get(&token, "/api/v1/orders/SO-999999").await;
    assert_eq!(
        (status, body["type"].as_str()),
        (404, Some("/problems/not-found"))
    );

    // Search by a customer's name, including Chinese names.
    let name = s.store.list_orders(&Default::default(), None, 1).unwrap()[0]
        .customer_name
        .clone();
    let (_, found) = s
        .get(&token, &format!("/api/v1/orders?q={}", urlencode(&name)))
        .await;
    assert!(
        found["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["customer_name"] == name.as_str())
    );
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn product_search_by_sku_name_and_barcode_with_stock() {
    let s = TestServer::start().await;
    let token = s.token("warehouse").await;
    let (_, by_sku) = s.get(&token, "/api/v1/products?q=TEA-10").await;
    let items = by_sku["items"].as_array().unwrap();
    assert!(
        !items.is_empty()
            && items
                .iter()
                .all(|p| p["sku"].as_str().unwrap().starts_with("TEA-10"))
    );

    let (_, by_name) = s.get(&token, "/api/v1/products?q=oolong").await;
    let items = by_name["items"].as_array().unwrap();
    assert!(
        items.len() >= 2
            && items.iter().all(|p| p["name"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("oolong"))
    );

    let barcode = items[0]["barcode"].as_str().unwrap().to_string();
    let (_, by_code) = s
        .get(&token, &format!("/api/v1/products?q={barcode}"))
        .await;
    assert_eq!(by_code["items"].as_array().unwrap().len(), 1);
    assert_eq!(by_code["items"][0]["sku"], items[0]["sku"]);

    let (status, detail) = s.get(&token, &format!("/api/v1/products/{barcode}")).await;
    assert_eq!(status, 200);
    let stock = detail["stock"].as_array().unwrap();
    let on_hand: i64 = stock.iter().map(|l| l["on_hand"].as_i64().unwrap()).sum();
    assert_eq!(detail["product"]["on_hand"], on_hand);

    // A wildcard in the search is taken literally.
    let (_, none) = s.get(&token, "/api/v1/products?q=%25").await;
    assert!(none["items"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn locations_and_stock_pages() {
    let s = TestServer::start().await;
    let token = s.token("purchasing").await;
    let (_, zone_b) = s.get(&token, "/api/v1/locations?zone=B&limit=500").await;
    let items = zone_b["items"].as_array().unwrap();
    assert_eq!(items.len(), 120);
    assert!(
        items
            .iter()
            .all(|l| l["code"].as_str().unwrap().starts_with("B-"))
    );
    let (status, _) = s.get(&token, "/api/v1/locations?kind=shelf").await;
    assert_eq!(status, 400);

    let (_, first) = s.get(&token, "/api/v1/stock?limit=3").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = s
        .get(
            &token,
            &format!("/api/v1/stock?limit=3&cursor={}", urlencode(&cursor)),
        )
        .await;
    assert_ne!(first["items"][2], second["items"][0]);
    for line in second["items"].as_array().unwrap() {
        assert_eq!(
            line["available"].as_i64().unwrap(),
            line["on_hand"].as_i64().unwrap() - line["reserved"].as_i64().unwrap()
        );
    }
}

#[tokio::test]
async fn bad_input_gets_problem_json_and_changes_nothing() {
    let s = TestServer::start().await;
    let token = s.token("admin").await;
    let audit_before = s.store.audit_entries(None, 10_000).unwrap().len();
    let login = s.url("/api/v1/auth/login");

    let res = s
        .http
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    expect_problem(res, 400, "/problems/malformed-body").await;
    let res = s
        .http
        .post(&login)
        .header("content-type", "application/json")
        .body("{\"user\": 1}")
        .send()
        .await
        .unwrap();
    expect_problem(res, 400, "/problems/malformed-body").await;
    let res = s
        .http
        .post(&login)
        .body("username=admin")
        .send()
        .await
        .unwrap();
    expect_problem(res, 415, "/problems/unsupported-media-type").await;

    for (path, kind) in [
        ("/api/v1/orders?cursor=garbage", "/problems/bad-cursor"),
        ("/api/v1/orders?status=lost", "/problems/invalid-input"),
        ("/api/v1/orders?limit=abc", "/problems/invalid-input"),
        ("/api/v1/orders?limit=0", "/problems/invalid-input"),
        ("/api/v1/audit?cursor=x", "/problems/bad-cursor"),
        ("/api/v1/stock?cursor=nopipe", "/problems/bad-cursor"),
    ] {
        let res = s
            .http
            .get(s.url(path))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        expect_problem(res, 400, kind).await;
    }
    let res = s
        .http
        .get(s.url("/api/v1/nowhere"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(res, 404, "/problems/not-found").await;
    let res = s
        .http
        .delete(s.url("/api/v1/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_problem(res, 405, "/problems/method-not-allowed").await;

    assert_eq!(
        s.store.audit_entries(None, 10_000).unwrap().len(),
        audit_before
    );
}

#[tokio::test]
async fn sign_in_out_and_failures_are_audited() {
    let s = TestServer::start().await;
    let cs = s.token("cs").await;
    s.http
        .post(s.url("/api/v1/auth/logout"))
        .bearer_auth(&cs)
        .send()
        .await
        .unwrap();
    s.http
        .post(s.url("/api/v1/auth/login"))
        .json(&json!({ "username": "ops", "password": "wrong-wrong" }))
        .send()
        .await
        .unwrap();
    let auditor = s.token("auditor").await;
    let (status, page) = s.get(&auditor, "/api/v1/audit?limit=10").await;
    assert_eq!(status, 200);
    let actions: Vec<(String, String)> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["action"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for expected in [
        ("cs", "auth.login"),
        ("cs", "auth.logout"),
        ("ops", "auth.login_failed"),
        ("auditor", "auth.login"),
    ] {
        assert!(
            actions.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn health_and_openapi() {
    let s = TestServer::start().await;
    let health: Value = s
        .http
        .get(s.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let doc: Value = s
        .http
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/orders",
        "/api/v1/orders/{key}",
        "/api/v1/products",
        "/api/v1/stock",
        "/api/v1/audit",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_is_throttled_too() {
    let s = TestServer::start_with(ServerConfig {
        free_login_attempts: 5,
        login_lockout: Duration::from_secs(60),
        ..ServerConfig::default()
    })
    .await;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let http = s.http.clone();
        let url = s.url("/api/v1/auth/login");
        tasks.push(tokio::spawn(async move {
            let body = json!({ "username": "admin", "password": format!("guess-{i:04}") });
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut checked = 0;
    for t in tasks {
        match t.await.unwrap() {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        checked <= 5,
        "{checked} guesses were checked; at most 5 may be"
    );
}

#[tokio::test]
async fn the_catalogue_feed_serves_everything_from_zero_then_nothing_from_its_cursor() {
    let s = TestServer::start().await;
    let warehouse = s.token("warehouse").await;
    let (status, all) = s
        .get(&warehouse, "/api/v1/catalog/changes?after=0&limit=5000")
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["more"], false);
    let skus: HashSet<&str> = all["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert!(
        skus.contains("TEA-1001") && skus.contains("KIT-1001"),
        "{skus:?}"
    );
    assert!(!all["locations"].as_array().unwrap().is_empty());
    let cursor = all["cursor"].as_i64().unwrap();
    let (_, none) = s
        .get(
            &warehouse,
            &format!("/api/v1/catalog/changes?after={cursor}"),
        )
        .await;
    assert_eq!(none["products"], json!([]));
    assert_eq!(none["cursor"], cursor);

    // Help-desk agents read the catalogue but not the warehouse's locations.
    let cs = s.token("cs").await;
    let (status, theirs) = s.get(&cs, "/api/v1/catalog/changes").await;
    assert_eq!(status, 200);
    assert_eq!(theirs["locations"], json!([]));
    assert!(!theirs["products"].as_array().unwrap().is_empty());

    for bad in ["after=-1", "limit=0", "limit=5001", "after=soon"] {
        let (status, problem) = s
            .get(&warehouse, &format!("/api/v1/catalog/changes?{bad}"))
            .await;
        assert_eq!(status, 400, "{bad}: {problem}");
        assert!(problem["detail"].as_str().is_some(), "{problem}");
    }
}

/// A body over the limit is 413 problem+json, whether its length is declared up front or
/// it simply keeps coming; every answer carries a request id.
#[tokio::test]
async fn an_oversized_body_is_a_problem_and_answers_carry_a_request_id() {
    let s = TestServer::start().await;
    let shop = s.token("integration").await;
    let huge = format!(r#"{{"note":"{}"}}"#, "x".repeat(3 * 1024 * 1024));
    let declared = s
        .http
        .post(s.url("/api/v1/orders"))
        .bearer_auth(&shop)
        .header("idempotency-key", "huge-1")
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await
        .unwrap();
    assert!(declared.headers().contains_key("x-request-id"));
    expect_problem(declared, 413, "/problems/too-large").await;
    // Chunked, with no length declared: refused as it passes the limit.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut raw = tokio::net::TcpStream::connect(s.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {shop}\r\nIdempotency-Key: huge-2\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    raw.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
    for _ in 0..48 {
        if raw.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), raw.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.contains("application/problem+json") && answer.contains("/problems/too-large"),
        "{answer}"
    );
    let res = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "till-7-morning")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "till-7-morning");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
}
