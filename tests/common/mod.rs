//! A real server on 127.0.0.1:0 over a fresh SQLite file, seeded with the sample shop.
//! It stops when the `TestServer` is dropped.

#![allow(dead_code)]

use backroom::server::{AppState, ServerConfig, serve};
use backroom::store::Store;
use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::oneshot;

pub struct TestServer {
    pub base: String,
    pub store: Store,
    pub state: AppState,
    pub http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    stopped: Option<tokio::task::JoinHandle<()>>,
    config: ServerConfig,
    _dir: tempfile::TempDir,
}

/// Serves `state` on `listener` until the returned sender is dropped or fired.
fn serve_on(
    listener: tokio::net::TcpListener,
    state: AppState,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });
    (stop, task)
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(ServerConfig::default()).await
    }

    pub async fn start_with(config: ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("shop.db")).expect("open store");
        store.seed_sample_data(Timestamp::now()).expect("seed");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = AppState::new(store.clone(), config.clone());
        let (stop, stopped) = serve_on(listener, state.clone());
        TestServer {
            base,
            store,
            state,
            http: reqwest::Client::new(),
            stop: Some(stop),
            stopped: Some(stopped),
            config,
            _dir: dir,
        }
    }

    /// Stops serving (connections are refused from now on); the database stays.
    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.stopped.take() {
            let _ = task.await;
        }
    }

    /// Serves the same database again, on the same address, like a restarted server.
    pub async fn restart(&mut self) {
        self.stop().await;
        let addr = self.base.trim_start_matches("http://").to_string();
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .expect("bind the same address again");
        self.state = AppState::new(self.store.clone(), self.config.clone());
        let (stop, stopped) = serve_on(listener, self.state.clone());
        self.stop = Some(stop);
        self.stopped = Some(stopped);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Signs in a demo user (user name = role name) and returns the token.
    pub async fn token(&self, role: &str) -> String {
        let res = self
            .http
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "username": role, "password": format!("backroom-{role}") }))
            .send()
            .await
            .expect("login request");
        assert_eq!(res.status(), 200, "login as {role}");
        let body: Value = res.json().await.expect("login body");
        body["token"].as_str().expect("token").to_string()
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

impl TestServer {
    /// Puts the sample shop's waiting orders on hold, so pick lists hold only a test's orders.
    pub fn park_waiting_orders(&self) {
        use backroom::domain::order::OrderStatus;
        let filter = backroom::store::OrderFilter {
            statuses: vec![OrderStatus::ReadyToPick],
            ..Default::default()
        };
        for order in self
            .store
            .list_orders(&filter, None, 10_000)
            .expect("orders")
        {
            self.store
                .change_order_status(
                    &order.id,
                    None,
                    OrderStatus::Hold,
                    Some("out of the way of the test"),
                    "test",
                    Timestamp::now(),
                )
                .expect("park");
        }
    }

    /// A POST with an idempotency key when one is given.
    pub async fn post(
        &self,
        token: &str,
        path: &str,
        key: Option<&str>,
        body: Value,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .json(&body);
        if let Some(key) = key {
            req = req.header("idempotency-key", key);
        }
        req.send().await.expect("request")
    }

    /// A one-line order of TEA-1001 at its catalogue price; `label` makes it unique.
    pub fn tea_order(&self, label: &str) -> Value {
        let price = self
            .store
            .product_with_stock("TEA-1001")
            .expect("store")
            .expect("TEA-1001")
            .0
            .price
            .minor;
        serde_json::json!({
            "channel": "web", "channel_order_no": label,
            "customer": { "name": "Hugo Meyer", "email": format!("hugo.{label}@example.com"), "phone": null },
            "ship_to": { "name": "Hugo Meyer", "line1": "Rue Oberkampf 9", "line2": null, "city": "Paris",
                         "postal_code": "75011", "region": null, "country": "FR" },
            "payment_method": "card", "currency": "EUR",
            "lines": [{ "sku": "TEA-1001", "qty": 1, "unit_price_minor": price }]
        })
    }

    /// Places [`TestServer::tea_order`] with the key `key-{label}`.
    pub async fn place_tea_order(&self, token: &str, label: &str) -> Value {
        let body = self.tea_order(label);
        let res = self
            .http
            .post(self.url("/api/v1/orders"))
            .bearer_auth(token)
            .header("idempotency-key", format!("key-{label}"))
            .json(&body)
            .send()
            .await
            .expect("order request");
        assert_eq!(res.status(), 201, "placing {label}");
        res.json().await.expect("order body")
    }
}

/// Asserts a problem+json response of the given type and returns its body.
pub async fn expect_problem(res: reqwest::Response, status: u16, kind: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status");
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let body: Value = res.json().await.expect("problem body");
    assert_eq!(body["type"], kind, "{body}");
    assert_eq!(body["status"], status);
    body
}

/// The body of a 200 answer (the test fails on anything else, showing the body).
pub async fn ok(res: reqwest::Response) -> Value {
    let status = res.status();
    let body: Value = res.json().await.expect("body");
    assert_eq!(status, 200, "{body}");
    body
}

/// Server-sent events from `after`, read until the stream has nothing for a while.
pub struct EventStream {
    res: reqwest::Response,
    buffer: String,
}

impl EventStream {
    pub async fn open(s: &TestServer, token: &str, after: i64) -> EventStream {
        let res = s
            .http
            .get(s.url("/api/v1/events"))
            .bearer_auth(token)
            .header("last-event-id", after.to_string())
            .send()
            .await
            .expect("events");
        assert_eq!(res.status(), 200);
        EventStream {
            res,
            buffer: String::new(),
        }
    }

    /// The next event's kind and body; `None` when none comes within 10 s.
    pub async fn next(&mut self) -> Option<(String, Value)> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut kind = None;
                let mut data = None;
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        kind = Some(v.trim().to_string());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data = serde_json::from_str::<Value>(v.trim()).ok();
                    }
                }
                if let (Some(kind), Some(data)) = (kind, data) {
                    return Some((kind, data));
                }
                continue;
            }
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), self.res.chunk())
                .await
                .ok()?;
            match chunk {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

/// Text as a query value: everything but unreserved characters percent-encoded.
pub fn query_value(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The items of a list's page, `{items, next_cursor}`; the test fails on any other shape.
pub fn items(page: &Value) -> Vec<Value> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .clone()
}

impl TestServer {
    /// A list's first page (`path` may carry a query), failing on anything but 200.
    pub async fn first_page(&self, token: &str, path: &str) -> Vec<Value> {
        let (status, page) = self.get(token, path).await;
        assert_eq!(status, 200, "{path}: {page}");
        items(&page)
    }

    /// Every item of a list, read `limit` at a time by following `next_cursor`.
    pub async fn every_page(&self, token: &str, path: &str, limit: usize) -> Vec<Value> {
        let join = if path.contains('?') { '&' } else { '?' };
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..1000 {
            let url = match &cursor {
                None => format!("{path}{join}limit={limit}"),
                Some(c) => format!("{path}{join}limit={limit}&cursor={}", query_value(c)),
            };
            let (status, page) = self.get(token, &url).await;
            assert_eq!(status, 200, "{url}: {page}");
            let some = items(&page);
            assert!(some.len() <= limit, "{url} gave {} items", some.len());
            all.extend(some);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return all,
            }
        }
        panic!("{path} did not end after 1000 pages")
    }

    /// A list read `limit` at a time gives the same items in the same order as one page
    /// read at once, each once (`key` names them), at least `at_least` of them; and a cursor
    /// the server did not give is refused. Returns the items.
    pub async fn pages_through(
        &self,
        token: &str,
        path: &str,
        key: &str,
        limit: usize,
        at_least: usize,
    ) -> Vec<Value> {
        let join = if path.contains('?') { '&' } else { '?' };
        let whole = self
            .first_page(token, &format!("{path}{join}limit=500"))
            .await;
        assert!(
            whole.len() >= at_least,
            "{path}: only {} items",
            whole.len()
        );
        assert!(
            whole.len() > limit,
            "{path}: {} items fit on one page of {limit}",
            whole.len()
        );
        let paged = self.every_page(token, path, limit).await;
        let keys = |list: &[Value]| -> Vec<String> {
            list.iter()
                .map(|item| item[key].as_str().expect(key).to_string())
                .collect()
        };
        assert_eq!(keys(&paged), keys(&whole), "{path}");
        let mut once = keys(&paged);
        once.sort();
        once.dedup();
        assert_eq!(once.len(), paged.len(), "{path}: an item came twice");
        for bad in ["not-a-cursor", "0", "-3", "999999999999999999999"] {
            let (status, problem) = self
                .get(token, &format!("{path}{join}limit={limit}&cursor={bad}"))
                .await;
            assert_eq!(status, 400, "{path} with cursor {bad}: {problem}");
            assert_eq!(problem["type"], "/problems/bad-cursor", "{problem}");
        }
        paged
    }
}
