//! The event stream over real HTTP: resume with Last-Event-ID in order, live delivery,
//! and streams that end when the server stops.

mod common;
mod stock_support;

use std::time::Duration;

use common::{TestServer, expect_problem};
use serde_json::{Value, json};
use stock_support::{above_safety, send};

struct Sse {
    res: reqwest::Response,
    buffer: String,
}

#[derive(Debug)]
struct Received {
    id: i64,
    kind: String,
    data: Value,
}

impl Sse {
    async fn open(s: &TestServer, token: &str, last_event_id: Option<i64>) -> Sse {
        let mut req = s.http.get(s.url("/api/v1/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Sse {
            res,
            buffer: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped); `None` when the stream ends.
    async fn next(&mut self) -> Option<Received> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut kind, mut data) = (None, None, None);
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = serde_json::from_str(v.trim()).ok();
                    }
                }
                if let (Some(id), Some(kind), Some(data)) = (id, kind, data) {
                    return Some(Received { id, kind, data });
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.res.chunk())
                .await
                .expect("no event within 20 s");
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

#[tokio::test]
async fn resume_gets_what_was_missed_in_order_then_live_events() {
    let s = TestServer::start().await;
    let shop = s.token("integration").await;
    let ops = s.token("ops").await;
    let start = s.store.last_event_id().unwrap();
    let mut numbers = Vec::new();
    for n in 0..3 {
        numbers.push(
            s.place_tea_order(&shop, &format!("p-{n}")).await["order"]["number"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }

    let mut feed = Sse::open(&s, &ops, Some(start)).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let e = feed.next().await.unwrap();
        assert_eq!(e.kind, "order.created");
        seen.push((
            e.id,
            e.data["payload"]["number"].as_str().unwrap().to_string(),
        ));
    }
    assert_eq!(
        seen.iter().map(|(_, n)| n.clone()).collect::<Vec<_>>(),
        numbers
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "ids must rise: {seen:?}"
    );

    // A client that saw only the first resumes from it and misses nothing.
    let mut resumed = Sse::open(&s, &ops, Some(seen[0].0)).await;
    let again: Vec<i64> = vec![
        resumed.next().await.unwrap().id,
        resumed.next().await.unwrap().id,
    ];
    assert_eq!(again, vec![seen[1].0, seen[2].0]);

    // Live: a change while connected arrives on both streams.
    let placed = s.place_tea_order(&shop, "p-3").await;
    let live = feed.next().await.unwrap();
    assert_eq!(live.data["entity_id"], placed["order"]["id"]);
    assert_eq!(resumed.next().await.unwrap().id, live.id);
    let number = placed["order"]["number"].as_str().unwrap();
    let res = s
        .http
        .post(s.url(&format!("/api/v1/orders/{number}/status")))
        .bearer_auth(&ops)
        .json(&json!({ "status": "cancelled", "reason": "test" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let status = feed.next().await.unwrap();
    assert_eq!(
        (status.kind.as_str(), status.data["payload"]["to"].as_str()),
        ("order.status", Some("cancelled"))
    );
}

#[tokio::test]
async fn any_signed_in_user_may_follow_and_last_event_id_is_a_number() {
    let s = TestServer::start().await;
    let res = s.http.get(s.url("/api/v1/events")).send().await.unwrap();
    expect_problem(res, 401, "/problems/unauthenticated").await;
    // Even a storefront's key: it hears nothing, for it may read no event's kind.
    let shop = s.token("integration").await;
    Sse::open(&s, &shop, None).await;
    let ops = s.token("ops").await;
    let res = s
        .http
        .get(s.url("/api/v1/events"))
        .bearer_auth(&ops)
        .header("last-event-id", "abc")
        .send()
        .await
        .unwrap();
    expect_problem(res, 400, "/problems/invalid-input").await;
}

#[tokio::test]
async fn open_streams_end_when_the_server_stops() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let mut feed = Sse::open(&s, &ops, None).await;
    drop(s);
    assert!(
        feed.next().await.is_none(),
        "the stream should end with the server"
    );
}

#[tokio::test]
async fn the_client_follows_the_stream() {
    let s = TestServer::start().await;
    let shop = s.token("integration").await;
    let ops = s.token("ops").await;
    let client = backroom::client::Client::new(&s.base)
        .unwrap()
        .with_token(ops);
    let mut feed = client.follow_events(None).await.unwrap();
    let placed = s.place_tea_order(&shop, "follow-1").await;
    let event = tokio::time::timeout(Duration::from_secs(20), feed.next())
        .await
        .expect("an event")
        .expect("stream open");
    assert_eq!(
        (event.kind.as_str(), &event.entity_id),
        (
            "order.created",
            &placed["order"]["id"].as_str().unwrap().to_string()
        )
    );
    // Resuming after it gives the next one, not it again.
    let mut resumed = client.follow_events(Some(event.id)).await.unwrap();
    let second = s.place_tea_order(&shop, "follow-2").await;
    let next = tokio::time::timeout(Duration::from_secs(20), resumed.next())
        .await
        .expect("an event")
        .expect("stream open");
    assert_eq!(next.entity_id, second["order"]["id"].as_str().unwrap());
}

/// Whether the stream ends within a few seconds (it is asked once a second).
async fn ends_soon(feed: &mut Sse) -> bool {
    tokio::time::timeout(Duration::from_secs(5), async {
        while feed.next().await.is_some() {}
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn a_stream_ends_when_its_session_does() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let mut signed_out = Sse::open(&s, &ops, None).await;
    let analyst = s.token("analyst").await;
    let mut disabled = Sse::open(&s, &analyst, None).await;
    let cs = s.token("cs").await;
    let mut role_changed = Sse::open(&s, &cs, None).await;
    let warehouse = s.token("warehouse").await;
    let mut untouched = Sse::open(&s, &warehouse, None).await;

    let res = s
        .http
        .post(s.url("/api/v1/auth/logout"))
        .bearer_auth(&ops)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(ends_soon(&mut signed_out).await, "signed out");

    let now = jiff::Timestamp::now();
    s.store
        .set_user_disabled("analyst", true, "admin", now)
        .unwrap();
    assert!(ends_soon(&mut disabled).await, "user disabled");

    s.store
        .set_user_role("cs", backroom::domain::role::Role::Analyst, "admin", now)
        .unwrap();
    assert!(ends_soon(&mut role_changed).await, "role changed");

    assert!(
        !ends_soon(&mut untouched).await,
        "a stream whose session stands goes on"
    );
}

#[tokio::test]
async fn one_user_may_hold_only_so_many_streams() {
    let s = TestServer::start_with(backroom::server::ServerConfig {
        max_streams_per_user: 2,
        ..backroom::server::ServerConfig::default()
    })
    .await;
    let ops = s.token("ops").await;
    let first = Sse::open(&s, &ops, None).await;
    let _second = Sse::open(&s, &ops, None).await;
    let ask = || s.http.get(s.url("/api/v1/events")).bearer_auth(&ops).send();
    expect_problem(ask().await.unwrap(), 429, "/problems/too-many-streams").await;
    let other = s.token("cs").await;
    let _theirs = Sse::open(&s, &other, None).await;
    drop(first);
    // The closed stream's slot comes free once the server sees the connection go.
    let mut reopened = false;
    for _ in 0..50 {
        if ask().await.unwrap().status() == 200 {
            reopened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reopened, "a slot comes free when a stream closes");
}

#[tokio::test]
async fn purchasing_follows_the_stream_and_hears_of_alerts_not_of_orders() {
    let s = TestServer::start().await;
    let ops = s.token("ops").await;
    let shop = s.token("integration").await;
    let purchasing = s.token("purchasing").await;
    let mut theirs = Sse::open(&s, &purchasing, None).await;
    let mut ops_feed = Sse::open(&s, &ops, None).await;

    // An order comes first: ops hears of it; purchasing, which reads no orders, must not.
    let placed = s.place_tea_order(&shop, "buyer-1").await;
    let heard_by_ops = ops_feed.next().await.expect("ops' stream open");
    assert_eq!(heard_by_ops.kind, "order.created");
    assert_eq!(heard_by_ops.data["entity_id"], placed["order"]["id"]);

    // Then lost units take a product below its safety stock: a new alert.
    let (sku, bin, free, safety) = above_safety(&s);
    let (status, lost) = send(
        &s,
        &ops,
        "/api/v1/stock/adjustments",
        Some("lost-below-safety"),
        json!({ "product": sku, "location": bin, "delta": -(free - (safety - 1)), "reason": "lost" }),
    )
    .await;
    assert_eq!(status, 201, "{lost}");

    let mut before = Vec::new();
    let alert = loop {
        let e = theirs.next().await.expect("purchasing's stream open");
        if e.kind == "stock.alert_raised" && e.data["payload"]["sku"] == sku.as_str() {
            break e;
        }
        before.push(e.kind);
    };
    assert!(
        before
            .iter()
            .all(|k| k.starts_with("stock.") || k.starts_with("purchase.")),
        "purchasing heard what is not its work: {before:?}"
    );
    let number = alert.data["payload"]["number"].as_str().expect("number");
    let (status, listed) = s
        .get(
            &purchasing,
            &format!("/api/v1/replenishment/alerts/{number}"),
        )
        .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["sku"], sku.as_str());
    assert_eq!(listed["state"], "open");
}
