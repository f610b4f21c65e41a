//! Roles over real HTTP: the auditor reads the whole help desk — tickets, refunds, returns,
//! the reply book and satisfaction — and every change it tries is refused; roles that read
//! no tickets are refused the reading, and agents the satisfaction report.

mod common;

use common::{TestServer, expect_problem, items};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

async fn get_ok(s: &TestServer, token: &str, path: &str) -> Value {
    let (status, body) = s.get(token, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// A POST with a fresh Idempotency-Key answered with `status`; its body.
async fn post_ok(s: &TestServer, token: &str, path: &str, status: u16, body: Value) -> Value {
    let res = s
        .post(token, path, Some(&Uuid::now_v7().to_string()), body)
        .await;
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "POST {path}: {body}");
    body
}

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("a string, not {v}"))
        .to_string()
}

/// A shipped order of the sample shop (its details), which may be returned and refunded.
async fn shipped_order(s: &TestServer, token: &str) -> Value {
    let list = get_ok(s, token, "/api/v1/orders?status=shipped&limit=20").await;
    let first = &list["items"].as_array().expect("items")[0];
    get_ok(
        s,
        token,
        &format!("/api/v1/orders/{}", text(&first["number"])),
    )
    .await
}

/// What the help desk holds about one ticket, to see that nothing changed.
async fn desk_state(s: &TestServer, token: &str, tk: &str) -> Value {
    let ticket = get_ok(s, token, &format!("/api/v1/tickets/{tk}")).await;
    json!({
        "status": ticket["ticket"]["status"],
        "assignee": ticket["ticket"]["assignee"],
        "priority": ticket["ticket"]["priority"],
        "messages": ticket["messages"],
        "returns": ticket["returns"],
        "refunds": get_ok(s, token, "/api/v1/refunds").await,
        "faq": get_ok(s, token, "/api/v1/faq-rules").await,
        "canned": get_ok(s, token, "/api/v1/canned-replies").await,
    })
}

#[tokio::test]
async fn the_auditor_reads_the_help_desk_and_may_change_nothing() {
    let s = TestServer::start().await;
    let cs = s.token("cs").await;
    let auditor = s.token("auditor").await;

    // An agent's ticket with a return and a refund on it.
    let order = shipped_order(&s, &cs).await;
    let number = text(&order["order"]["number"]);
    let opened = post_ok(
        &s,
        &cs,
        "/api/v1/tickets",
        201,
        json!({ "customer_email": order["customer_email"], "order_number": number,
                "subject": "Broken lid", "body": "The lid arrived broken.", "kind": "complaint" }),
    )
    .await;
    let tk = text(&opened["number"]);
    let rma = post_ok(
        &s,
        &cs,
        &format!("/api/v1/tickets/{tk}/returns"),
        201,
        json!({ "lines": [{ "line_no": 1, "qty": 1 }], "reason": "broken" }),
    )
    .await;
    let rma = text(&rma["number"]);
    let refund = post_ok(
        &s,
        &cs,
        &format!("/api/v1/tickets/{tk}/refunds"),
        201,
        json!({ "kind": "refund", "amount_minor": 100, "reason": "goodwill" }),
    )
    .await;
    let rf = text(&refund["number"]);

    // Everything reads.
    let queue = get_ok(&s, &auditor, "/api/v1/tickets?view=all&limit=500").await;
    assert!(items(&queue).iter().any(|t| t["number"] == tk), "{queue}");
    let detail = get_ok(&s, &auditor, &format!("/api/v1/tickets/{tk}")).await;
    assert_eq!(detail["ticket"]["number"], tk.as_str());
    assert_eq!(detail["refunds"][0]["number"], rf.as_str(), "{detail}");
    let refunds = get_ok(&s, &auditor, "/api/v1/refunds").await;
    assert!(
        items(&refunds).iter().any(|r| r["number"] == rf),
        "{refunds}"
    );
    let got = get_ok(&s, &auditor, &format!("/api/v1/returns/{rma}")).await;
    assert_eq!(got["number"], rma.as_str());
    let faq = get_ok(&s, &auditor, "/api/v1/faq-rules").await;
    let canned = get_ok(&s, &auditor, "/api/v1/canned-replies").await;
    let csat = get_ok(&s, &auditor, "/api/v1/reports/csat").await;
    assert!(csat.is_object(), "{csat}");
    let before = desk_state(&s, &auditor, &tk).await;

    // Every change is refused, with what it would need.
    let t = |rest: &str| format!("/api/v1/tickets/{tk}{rest}");
    let changes: Vec<(Method, String, Value, &str)> = vec![
        (
            Method::POST,
            "/api/v1/tickets".into(),
            json!({ "customer_email": order["customer_email"], "subject": "Call",
                    "body": "The customer called." }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/replies"),
            json!({ "body": "Sorry!" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/notes"),
            json!({ "body": "noted" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/assign"),
            json!({ "assignee": "auditor" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/escalate"),
            json!({ "reason": "looks bad" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/priority"),
            json!({ "priority": "urgent" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/resolve"),
            json!({ "code": "answered" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/returns"),
            json!({ "lines": [{ "line_no": 1, "qty": 1 }], "reason": "again" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/refunds"),
            json!({ "kind": "refund", "amount_minor": 100, "reason": "more" }),
            "tickets.work",
        ),
        (
            Method::POST,
            t("/csat"),
            json!({ "customer_email": "someone@example.com", "score": 1 }),
            "messages.post",
        ),
        (
            Method::POST,
            format!("/api/v1/refunds/{rf}/approve"),
            json!({ "note": "fine" }),
            "tickets.supervise",
        ),
        (
            Method::POST,
            format!("/api/v1/refunds/{rf}/reject"),
            json!({ "note": "no" }),
            "tickets.supervise",
        ),
        (
            Method::POST,
            format!("/api/v1/returns/{rma}/receive"),
            json!({ "product": order["lines"][0]["sku"] }),
            "stock.move",
        ),
        (
            Method::PUT,
            "/api/v1/faq-rules".into(),
            faq["rules"].clone(),
            "replies.manage",
        ),
        (
            Method::PUT,
            "/api/v1/canned-replies".into(),
            canned["replies"].clone(),
            "replies.manage",
        ),
    ];
    for (method, path, body, needs) in changes {
        let res = s
            .http
            .request(method.clone(), s.url(&path))
            .bearer_auth(&auditor)
            .header("Idempotency-Key", Uuid::now_v7().to_string())
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = expect_problem(res, 403, "/problems/forbidden").await;
        assert_eq!(problem["permission"], needs, "{method} {path}");
    }
    assert_eq!(desk_state(&s, &auditor, &tk).await, before);
}

#[tokio::test]
async fn who_reads_no_tickets_is_refused_them_and_agents_read_no_csat_report() {
    let s = TestServer::start().await;
    for role in ["warehouse", "purchasing", "integration"] {
        let token = s.token(role).await;
        for path in [
            "/api/v1/tickets",
            "/api/v1/refunds",
            "/api/v1/canned-replies",
            "/api/v1/faq-rules",
        ] {
            let res = s
                .http
                .get(s.url(path))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
            let problem = expect_problem(res, 403, "/problems/forbidden").await;
            assert_eq!(problem["permission"], "tickets.read", "{role} {path}");
        }
        let res = s
            .http
            .get(s.url("/api/v1/reports/csat"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        expect_problem(res, 403, "/problems/forbidden").await;
    }
    // Reports without tickets, or reading tickets without working them; agents, who work
    // them, read their tickets and not the report on everyone.
    for role in ["analyst", "auditor"] {
        let token = s.token(role).await;
        get_ok(&s, &token, "/api/v1/reports/csat").await;
    }
    let cs = s.token("cs").await;
    get_ok(&s, &cs, "/api/v1/tickets").await;
    get_ok(&s, &cs, "/api/v1/refunds").await;
    let (status, problem) = s.get(&cs, "/api/v1/reports/csat").await;
    assert_eq!(status, 403, "{problem}");
    assert_eq!(problem["permission"], "reports.read");
}
