//! Typed REST client over the `api` wire types.

use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::batch::BatchSeat;
use super::mutation::{Applied, Change, Mutation};
use crate::api::BatchedChange;
use crate::api::{
    Health, LoginRequest, LoginResponse, Me, OrderDetail, OrderSummary, PackIn, PackTask, Page,
    PickIn, PickListRequest, Problem, ProblemType, Product, ProductDetail, ShortIn, StatusChangeIn,
    ToteIn,
};
use crate::api::{OrderIn, OrderPlaced};
use crate::domain::order::OrderSort;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    #[error("{0:?} is not a server URL (expected e.g. http://127.0.0.1:8080)")]
    BadUrl(String),
    #[error("cannot reach the server: {0}")]
    Unreachable(String),
    #[error("{}", .0.detail.clone().unwrap_or_else(|| .0.title.clone()))]
    Problem(Box<Problem>),
    #[error("unexpected answer from the server: {0}")]
    Unexpected(String),
    /// The change could not be kept on this terminal (its outbox), so it was not taken.
    #[error("not kept on this terminal: {0}")]
    Local(String),
    /// Made while the server is away, by a change that cannot wait for it.
    #[error(
        "{0} needs the server, and it cannot be reached: nothing was changed. Try again when the header says online"
    )]
    NeedsServer(&'static str),
}

impl ClientError {
    pub fn problem_type(&self) -> Option<ProblemType> {
        match self {
            ClientError::Problem(p) => p.problem_type(),
            _ => None,
        }
    }

    /// The server does not accept our token any more: sign in again.
    pub fn is_unauthenticated(&self) -> bool {
        self.problem_type() == Some(ProblemType::Unauthenticated)
    }

    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Unreachable(_))
    }

    pub fn is_not_found(&self) -> bool {
        self.problem_type() == Some(ProblemType::NotFound)
    }
}

/// Filters for the order queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OrderQuery {
    pub statuses: Vec<String>,
    pub text: String,
    /// Only orders with this routing tag.
    pub tag: Option<String>,
    pub carrier_exception: bool,
    pub sort: OrderSort,
    pub cursor: Option<String>,
    pub limit: u32,
}

impl OrderQuery {
    /// The key its answer is kept under in the local cache: `orders ` and the query in
    /// JSON, as [`crate::client::Lookup::cache_key`] does for lookups.
    pub fn cache_key(&self) -> String {
        format!("orders {}", super::lookup::json_key(self))
    }
}

#[derive(Clone)]
pub struct Client {
    base: Url,
    http: reqwest::Client,
    token: Option<String>,
    /// Set only inside [`Client::submit_batch`]: the change's request is gathered there.
    pub(super) batch: Option<BatchSeat>,
}

impl Client {
    pub fn new(base_url: &str) -> Result<Client, ClientError> {
        let bad = || ClientError::BadUrl(base_url.to_string());
        let mut base = Url::parse(base_url.trim()).map_err(|_| bad())?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(bad());
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .build()
            .map_err(|e| ClientError::Unexpected(e.to_string()))?;
        Ok(Client {
            base,
            http,
            token: None,
            batch: None,
        })
    }

    pub fn with_token(mut self, token: impl Into<String>) -> Client {
        self.token = Some(token.into());
        self
    }

    pub fn without_token(mut self) -> Client {
        self.token = None;
        self
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    pub fn base_url(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    fn url(&self, path: &str) -> Result<Url, ClientError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| ClientError::Unexpected(e.to_string()))
    }

    pub(super) async fn send<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl serde::Serialize>,
    ) -> Result<Option<T>, ClientError> {
        self.send_once(method, path, query, body, None).await
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl serde::Serialize>,
        idempotency_key: Option<&str>,
    ) -> Result<Option<T>, ClientError> {
        let answer = self
            .exchange(
                method,
                path,
                query,
                body,
                idempotency_key,
                "application/json",
            )
            .await?;
        match answer {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| ClientError::Unexpected(e.to_string())),
        }
    }

    /// One request; the body of a successful answer (`None` for 204), or the problem.
    async fn exchange(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&impl serde::Serialize>,
        idempotency_key: Option<&str>,
        accept: &str,
    ) -> Result<Option<Vec<u8>>, ClientError> {
        if let (Some(seat), Some(key)) = (&self.batch, idempotency_key)
            && method != Method::GET
        {
            let mut within = path.trim_start_matches('/').to_string();
            if !query.is_empty() {
                let mut url = self.url(path)?;
                url.query_pairs_mut().extend_pairs(query);
                within = format!("{within}?{}", url.query().unwrap_or_default());
            }
            let body = body
                .map(serde_json::to_value)
                .transpose()
                .map_err(|e| ClientError::Unexpected(e.to_string()))?;
            let change = BatchedChange {
                method: method.to_string(),
                path: format!("/{within}"),
                idempotency_key: key.to_string(),
                body,
            };
            if let Some(answer) = seat.ask(change).await {
                return answer;
            }
        }
        let mut url = self.url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        // Ordinary requests give up after 15 s; the event stream has no such limit.
        let mut req = self
            .http
            .request(method, url)
            .timeout(Duration::from_secs(15))
            .header(reqwest::header::ACCEPT, accept);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(key) = idempotency_key {
            req = req.header("idempotency-key", key);
        }
        let res = req
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(without_url(&e)))?;
        let status = res.status();
        if status == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let bytes = res
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable(without_url(&e)))?;
        if status.is_success() {
            return Ok(Some(bytes.to_vec()));
        }
        match serde_json::from_slice::<Problem>(&bytes) {
            Ok(problem) => Err(ClientError::Problem(Box::new(problem))),
            Err(_) => Err(ClientError::Unexpected(format!("HTTP {status}"))),
        }
    }

    pub(super) async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ClientError> {
        self.send::<T>(Method::GET, path, query, None::<&()>)
            .await?
            .ok_or_else(|| ClientError::Unexpected("empty answer".into()))
    }

    pub async fn health(&self) -> Result<Health, ClientError> {
        self.get("healthz", &[]).await
    }

    pub async fn login(
        &self,
        username: &str,
        password: &str,
    ) -> Result<LoginResponse, ClientError> {
        let body = LoginRequest {
            username: username.to_string(),
            password: password.into(),
        };
        self.send(Method::POST, "api/v1/auth/login", &[], Some(&body))
            .await?
            .ok_or_else(|| ClientError::Unexpected("empty answer".into()))
    }

    pub async fn logout(&self) -> Result<(), ClientError> {
        self.send::<serde_json::Value>(Method::POST, "api/v1/auth/logout", &[], None::<&()>)
            .await
            .map(|_| ())
    }

    /// A streaming GET (server-sent events), resuming after `after`.
    pub(super) async fn open_stream(
        &self,
        path: &str,
        after: Option<i64>,
    ) -> Result<reqwest::Response, ClientError> {
        let mut req = self.http.get(self.url(path)?);
        if let Some(token) = &self.token {
            req = req.bearer_auth(token);
        }
        if let Some(id) = after {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req
            .send()
            .await
            .map_err(|e| ClientError::Unreachable(without_url(&e)))?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status();
        let bytes = res
            .bytes()
            .await
            .map_err(|e| ClientError::Unreachable(without_url(&e)))?;
        Err(match serde_json::from_slice::<Problem>(&bytes) {
            Ok(problem) => ClientError::Problem(Box::new(problem)),
            Err(_) => ClientError::Unexpected(format!("HTTP {status}")),
        })
    }

    /// Places an order as a storefront would, under the given idempotency key.
    pub async fn place_order(
        &self,
        order: &OrderIn,
        key: &str,
    ) -> Result<OrderPlaced, ClientError> {
        self.send_once(Method::POST, "api/v1/orders", &[], Some(order), Some(key))
            .await?
            .ok_or_else(|| ClientError::Unexpected("empty answer".into()))
    }

    /// Sends a mutation with its id as the idempotency key; the answer is the changed order.
    pub async fn submit(&self, mutation: &Mutation) -> Result<Applied, ClientError> {
        let key = mutation.id.to_string();
        let key = Some(key.as_str());
        let none = None::<&()>;
        let list_line = |list: &str, seq: i64, what: &str| {
            format!(
                "api/v1/pick-lists/{}/lines/{seq}/{what}",
                path_segment(list)
            )
        };
        let applied = match &mutation.change {
            Change::Reroute { order } => {
                let path = format!("api/v1/orders/{}/reroute", path_segment(order));
                Applied::Order(self.post_once(&path, none, key).await?)
            }
            Change::OrderStatus { order, to, reason } => {
                let body = StatusChangeIn {
                    status: to.clone(),
                    reason: reason.clone(),
                };
                let path = format!("api/v1/orders/{}/status", path_segment(order));
                Applied::Order(self.post_once(&path, Some(&body), key).await?)
            }
            Change::Ship { order } => {
                let body = StatusChangeIn {
                    status: "shipped".into(),
                    reason: None,
                };
                let path = format!("api/v1/orders/{}/status", path_segment(order));
                Applied::Order(self.post_once(&path, Some(&body), key).await?)
            }
            Change::ClaimPickList { mode } => {
                let body = PickListRequest {
                    mode: mode.clone(),
                    ..PickListRequest::default()
                };
                Applied::PickList(
                    self.post_once("api/v1/pick-lists/claim", Some(&body), key)
                        .await?,
                )
            }
            Change::Pick {
                list,
                seq,
                picked,
                lots,
            } => {
                let body = PickIn {
                    picked: *picked,
                    lots: lots.clone(),
                };
                Applied::PickList(
                    self.post_once(&list_line(list, *seq, "pick"), Some(&body), key)
                        .await?,
                )
            }
            Change::PickShort {
                list,
                seq,
                picked,
                reason,
                lots,
            } => {
                let body = ShortIn {
                    picked: *picked,
                    reason: reason.clone(),
                    lots: lots.clone(),
                };
                Applied::PickList(
                    self.post_once(&list_line(list, *seq, "short"), Some(&body), key)
                        .await?,
                )
            }
            Change::AssignTote { list, slot, tote } => {
                let path = format!("api/v1/pick-lists/{}/slots/{slot}/tote", path_segment(list));
                let body = ToteIn { tote: tote.clone() };
                Applied::PickList(self.post_once(&path, Some(&body), key).await?)
            }
            Change::FinishPickList { list } => {
                let path = format!("api/v1/pick-lists/{}/finish", path_segment(list));
                Applied::PickList(self.post_once(&path, none, key).await?)
            }
            Change::Pack {
                order,
                package,
                weight_grams,
                items,
            } => {
                let body = PackIn {
                    package: package.clone(),
                    weight_grams: *weight_grams,
                    items: items.clone(),
                };
                let path = format!("api/v1/orders/{}/pack", path_segment(order));
                Applied::Parcel(self.post_once(&path, Some(&body), key).await?)
            }
            Change::Count(change) => self.submit_count(change, key).await?,
            Change::Stock(change) => self.submit_stock(change, key).await?,
            Change::Purchasing(change) => self.submit_purchasing(change, key).await?,
            Change::Desk(change) => self.submit_desk(change, key).await?,
        };
        Ok(applied)
    }

    /// A POST whose answer has a body, sent with the mutation's key.
    pub(super) async fn post_once<T: DeserializeOwned>(
        &self,
        path: &str,
        body: Option<&impl serde::Serialize>,
        key: Option<&str>,
    ) -> Result<Box<T>, ClientError> {
        self.send_once(Method::POST, path, &[], body, key)
            .await?
            .map(Box::new)
            .ok_or_else(|| ClientError::Unexpected("empty answer".into()))
    }

    /// What a scanned pick list, tote or order label stands for at the packing bench.
    pub async fn pack_task(&self, code: &str) -> Result<PackTask, ClientError> {
        self.get(&format!("api/v1/pack/{}", path_segment(code)), &[])
            .await
    }

    pub async fn me(&self) -> Result<Me, ClientError> {
        self.get("api/v1/me", &[]).await
    }

    pub async fn orders(&self, q: &OrderQuery) -> Result<Page<OrderSummary>, ClientError> {
        let mut query = vec![("limit", q.limit.max(1).to_string())];
        if !q.statuses.is_empty() {
            query.push(("status", q.statuses.join(",")));
        }
        if !q.text.trim().is_empty() {
            query.push(("q", q.text.trim().to_string()));
        }
        if let Some(tag) = &q.tag {
            query.push(("tag", tag.clone()));
        }
        if q.carrier_exception {
            query.push(("carrier_exception", "true".into()));
        }
        if q.sort != OrderSort::default() {
            query.push(("sort", q.sort.as_str().into()));
        }
        if let Some(c) = &q.cursor {
            query.push(("cursor", c.clone()));
        }
        self.get("api/v1/orders", &query).await
    }

    /// The order's shipping note as text, ready to show or print.
    pub async fn shipping_note(&self, key: &str) -> Result<String, ClientError> {
        let path = format!("api/v1/orders/{}/shipping-note", path_segment(key));
        let bytes = self
            .exchange(Method::GET, &path, &[], None::<&()>, None, "text/plain")
            .await?
            .unwrap_or_default();
        String::from_utf8(bytes).map_err(|e| ClientError::Unexpected(e.to_string()))
    }

    pub async fn order(&self, key: &str) -> Result<OrderDetail, ClientError> {
        self.get(&format!("api/v1/orders/{}", path_segment(key)), &[])
            .await
    }

    pub async fn products(
        &self,
        text: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<Page<Product>, ClientError> {
        let mut query = vec![("limit", limit.max(1).to_string())];
        if !text.trim().is_empty() {
            query.push(("q", text.trim().to_string()));
        }
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        self.get("api/v1/products", &query).await
    }

    pub async fn product(&self, key: &str) -> Result<ProductDetail, ClientError> {
        self.get(&format!("api/v1/products/{}", path_segment(key)), &[])
            .await
    }
}

/// Percent-encodes a path segment (SKUs and order numbers are plain, but be safe).
pub(super) fn path_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// reqwest's messages repeat the URL, which the header already shows.
fn without_url(e: &reqwest::Error) -> String {
    if e.is_connect() {
        "connection refused or host unreachable".to_string()
    } else if e.is_timeout() {
        "timed out".to_string()
    } else {
        match std::error::Error::source(e) {
            Some(inner) => inner.to_string(),
            None => e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        assert!(Client::new("http://127.0.0.1:8080").is_ok());
        assert_eq!(
            Client::new("http://h:1/prefix")
                .unwrap()
                .url("api/v1/me")
                .unwrap()
                .as_str(),
            "http://h:1/prefix/api/v1/me"
        );
        for bad in ["127.0.0.1:8080", "ftp://x", "not a url", ""] {
            assert!(
                matches!(Client::new(bad), Err(ClientError::BadUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("SO-000123"), "SO-000123");
        assert_eq!(path_segment("a/b c"), "a%2Fb%20c");
    }
}
