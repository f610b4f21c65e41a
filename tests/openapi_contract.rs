//! The OpenAPI document against what the real server answers, over HTTP. Each case here was
//! found by `scripts/api-fuzz` (schemathesis) as a difference between the two.

mod common;

use common::{TestServer, expect_problem};
use serde_json::{Value, json};

async fn document(s: &TestServer) -> Value {
    let res = s
        .http
        .get(s.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("openapi request");
    assert_eq!(res.status(), 200);
    res.json().await.expect("openapi body")
}

/// The statuses the document names for one operation.
fn documented(doc: &Value, method: &str, path: &str) -> Vec<String> {
    doc["paths"][path][method]["responses"]
        .as_object()
        .unwrap_or_else(|| panic!("{method} {path} is not in the document"))
        .keys()
        .cloned()
        .collect()
}

fn assert_documented(doc: &Value, method: &str, path: &str, status: u16) {
    let statuses = documented(doc, method, path);
    assert!(
        statuses.contains(&status.to_string()),
        "{method} {path} answers {status}, the document names only {statuses:?}"
    );
}

#[tokio::test]
async fn query_parameters_are_documented_in_the_query_not_the_path() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            for p in operation["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().expect("parameter name");
                if p["in"] == "path" {
                    assert!(
                        path.contains(&format!("{{{name}}}")),
                        "{method} {path}: {name} is documented in the path, which has no {{{name}}}"
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} parameters");
    let orders = &doc["paths"]["/api/v1/orders"]["get"]["parameters"];
    let limit = orders
        .as_array()
        .expect("order list parameters")
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("limit");
    assert_eq!(limit["in"], "query");
    assert_eq!(limit["schema"]["minimum"], 1);
}

#[tokio::test]
async fn the_answers_of_the_shared_extractors_are_documented() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let admin = s.token("admin").await;

    let res = s.http.get(s.url("/api/v1/audit")).send().await.unwrap();
    expect_problem(res, 401, "/problems/unauthenticated").await;
    assert_documented(&doc, "get", "/api/v1/audit", 401);

    let res = s
        .http
        .post(s.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body("admin")
        .send()
        .await
        .unwrap();
    expect_problem(res, 415, "/problems/unsupported-media-type").await;
    assert_documented(&doc, "post", "/api/v1/auth/login", 415);

    let res = s
        .post(
            &admin,
            "/api/v1/stock/adjustments",
            Some("adjust-nothing"),
            json!({ "product": "NO-SUCH-SKU", "location": "A-01-01", "delta": -1, "reason": "lost" }),
        )
        .await;
    expect_problem(res, 404, "/problems/not-found").await;
    assert_documented(&doc, "post", "/api/v1/stock/adjustments", 404);

    let res = s
        .post(
            &admin,
            "/api/v1/stock/moves",
            None,
            json!({ "product": "TEA-1001", "from": "A-01-01", "to": "A-01-02", "qty": 1 }),
        )
        .await;
    let problem = expect_problem(res, 400, "/problems/invalid-input").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Idempotency-Key")),
        "{problem}"
    );
    assert_documented(&doc, "post", "/api/v1/stock/moves", 400);
    let key = doc["paths"]["/api/v1/stock/moves"]["post"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("the key is documented");
    assert_eq!(key["schema"]["pattern"], "^[!-~]{1,255}$");
    assert_documented(&doc, "post", "/api/v1/stock/moves", 422);
}

#[tokio::test]
async fn a_path_or_query_value_of_the_wrong_type_is_a_problem_not_plain_text() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let admin = s.token("admin").await;

    let path = "/api/v1/pick-lists/PL-000001/lines/9223372036854775808/pick";
    let res = s
        .post(&admin, path, Some("pick-too-far"), json!({ "picked": 1 }))
        .await;
    expect_problem(res, 400, "/problems/invalid-input").await;
    assert_documented(
        &doc,
        "post",
        "/api/v1/pick-lists/{key}/lines/{seq}/pick",
        400,
    );

    let (status, problem) = s
        .get(
            &admin,
            "/api/v1/orders/SO-000001/shipping-note?format=text&format=pdf",
        )
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["type"], "/problems/invalid-input");
}

#[tokio::test]
async fn a_json_body_is_an_object_whose_whole_numbers_may_carry_a_point() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    s.park_waiting_orders();

    // serde alone reads an array as the fields in order: this planned a pick list.
    let res = s
        .post(&admin, "/api/v1/pick-lists", None, json!([null, null]))
        .await;
    let problem = expect_problem(res, 400, "/problems/malformed-body").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("object")),
        "{problem}"
    );

    // JSON Schema's integer includes 2.0; with no order waiting the answer is 409, not 400.
    let res = s
        .post(
            &admin,
            "/api/v1/pick-lists",
            None,
            json!({ "mode": "batch", "max_orders": 2.0, "max_lines": 40.0 }),
        )
        .await;
    expect_problem(res, 409, "/problems/conflict").await;
    let res = s
        .post(
            &admin,
            "/api/v1/pick-lists",
            None,
            json!({ "max_orders": 2.5 }),
        )
        .await;
    expect_problem(res, 400, "/problems/malformed-body").await;
}

#[tokio::test]
async fn a_report_ending_at_the_earliest_time_is_refused_not_a_crash() {
    let s = TestServer::start().await;
    let admin = s.token("admin").await;
    // No 30 days lie before it for the default `from`; the subtraction used to panic.
    let (status, problem) = s
        .get(&admin, "/api/v1/reports/csat?to=-009999-01-20T00:00:00Z")
        .await;
    assert_eq!(status, 400, "{problem}");
    assert_eq!(problem["type"], "/problems/invalid-input");
    let (status, report) = s
        .get(
            &admin,
            "/api/v1/reports/csat?from=-009999-01-03T00:00:00Z&to=-009999-01-20T00:00:00Z",
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["team"]["surveys"], 0);
}

#[tokio::test]
async fn every_content_type_a_route_answers_with_is_documented() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let content = |path: &str| -> Vec<String> {
        doc["paths"][path]["get"]["responses"]["200"]["content"]
            .as_object()
            .unwrap_or_else(|| panic!("{path} has no 200 content"))
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        content("/api/v1/orders/{key}/shipping-note"),
        ["application/pdf", "text/plain"]
    );
    assert_eq!(
        content("/api/v1/stocktakes/{key}/report"),
        ["application/json", "text/csv"]
    );
    let admin = s.token("admin").await;
    let res = s
        .http
        .get(s.url("/api/v1/stocktakes/ST-000001/report?format=json"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
}

#[tokio::test]
async fn faq_rules_the_server_keeps_fit_the_document_and_none_matches_everything() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let admin = s.token("admin").await;
    let put = |rules: Value| {
        s.http
            .put(s.url("/api/v1/faq-rules"))
            .bearer_auth(&admin)
            .json(&rules)
            .send()
    };

    // An empty pattern answered every message; the document said patterns were not blank.
    let res = put(json!({ "version": 0, "rules": [{ "name": "all", "patterns": ["where", ""], "reply": "Hello" }] }))
        .await
        .unwrap();
    let problem = expect_problem(res, 400, "/problems/invalid-input").await;
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("matches empty text")),
        "{problem}"
    );

    // Spaces are a pattern like any other: kept, and described as kept.
    let res = put(json!({ "version": 0, "rules": [{ "name": "spaced", "patterns": ["   "], "reply": "Hello" }] }))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let kept: Value = res.json().await.unwrap();
    assert_eq!(kept["rules"][0]["patterns"], json!(["   "]));
    let branches = doc["components"]["schemas"]["FaqRuleBody"]["allOf"][1]["anyOf"]
        .as_array()
        .expect("the keywords-or-patterns rule");
    let patterns = branches
        .iter()
        .find_map(|b| b["properties"].get("patterns"))
        .expect("the patterns branch");
    let kept = patterns["items"]["pattern"].as_str().is_none_or(|p| {
        regex::Regex::new(p)
            .expect("a pattern Rust reads")
            .is_match("   ")
    });
    assert!(kept, "{patterns}");
}

/// Every list answers `{items, next_cursor}` and takes `limit` and `cursor`, as the
/// document says: no route answers a bare array.
#[tokio::test]
async fn every_list_is_a_page_with_limit_and_cursor() {
    let s = TestServer::start().await;
    let doc = document(&s).await;
    let mut lists = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else {
            continue;
        };
        let mut schema = &get["responses"]["200"]["content"]["application/json"]["schema"];
        if let Some(name) = schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            schema = &doc["components"]["schemas"][name];
        }
        assert_ne!(schema["type"], "array", "GET {path} answers a bare array");
        if schema["properties"]["items"]["type"] != "array" {
            continue;
        }
        let params: Vec<&str> = get["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        assert!(
            params.contains(&"limit") && params.contains(&"cursor"),
            "GET {path} takes {params:?}"
        );
        assert!(
            schema["properties"]["next_cursor"].is_object(),
            "GET {path}: {schema}"
        );
        lists.push(path.as_str());
    }
    for path in [
        "/api/v1/tickets",
        "/api/v1/refunds",
        "/api/v1/pick-lists",
        "/api/v1/stocktakes",
        "/api/v1/purchase-requests",
        "/api/v1/replenishment/alerts",
        "/api/v1/receipts",
        "/api/v1/orders",
        "/api/v1/audit",
    ] {
        assert!(lists.contains(&path), "{path} is not a page: {lists:?}");
    }
}
