//! What the stock, stocktake, replenishment and complaints panes read: one `Lookup` per question,
//! answered by one `Loaded`.

use super::rest::{Client, ClientError, path_segment};
use crate::api::{
    CannedReplies, Page, PickList, ProductDetail, PurchaseRequest, Receipt, RefundBody,
    ReplenishmentAlert, ReturnBody, StockLevel, StockMovement, Stocktake, StocktakeReport,
    TicketDetailBody, TicketSummary,
};

/// How much movement history a lookup shows: what fits on a screen, and some more.
const HISTORY: u32 = 50;

/// Something a pane wants to read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub enum Lookup {
    /// Counts in progress: the caller's own when `mine`, else all that are not done.
    Stocktakes {
        mine: bool,
    },
    Stocktake(String),
    StocktakeReport(String),
    /// A product (SKU or barcode) with its stock per location.
    ProductStock(String),
    /// What a location holds.
    LocationStock(String),
    /// The latest movements of a product, or into and out of a location.
    Movements {
        product: Option<String>,
        location: Option<String>,
    },
    /// A receipt (`RC-…`) to go on receiving into.
    Receipt(String),
    /// Alerts for products still below safety stock.
    Alerts,
    /// Purchase requests not yet received: suggested and ordered.
    OpenPurchaseRequests,
    /// A help-desk queue: `view` is all, mine, unassigned or escalated.
    Tickets {
        view: String,
        kind: Option<String>,
    },
    /// One ticket with the customer's story.
    Ticket(String),
    CannedReplies,
    /// Refunds and replacements waiting for a second person.
    RefundsAwaitingApproval,
    /// A return (`RMA-…`) the warehouse receives.
    Return(String),
    /// The pick list in this picker's cart, if any.
    HeldPickList,
}

impl Lookup {
    /// The key its answer is kept under in the local cache: `lookup ` and the lookup in
    /// JSON (`{"Stocktake":"ST-000001"}`), which `local_view::may_touch` matches by prefix.
    /// Not Rust's `Debug` text, which may change with any release and strand what was kept.
    pub fn cache_key(&self) -> String {
        format!("lookup {}", json_key(self))
    }
}

/// A value as a cache key. The types keyed this way hold only text, numbers and flags, which
/// JSON always writes.
pub(super) fn json_key(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Loaded {
    Stocktakes(Vec<Stocktake>),
    Stocktake(Box<Stocktake>),
    StocktakeReport(Box<StocktakeReport>),
    ProductStock(Box<ProductDetail>),
    LocationStock(Vec<StockLevel>),
    Movements(Vec<StockMovement>),
    Receipt(Box<Receipt>),
    Alerts(Vec<ReplenishmentAlert>),
    PurchaseRequests(Vec<PurchaseRequest>),
    Tickets(Vec<TicketSummary>),
    Ticket(Box<TicketDetailBody>),
    CannedReplies(Box<CannedReplies>),
    Refunds(Vec<RefundBody>),
    Return(Box<ReturnBody>),
    HeldPickList(Option<Box<PickList>>),
}

impl Client {
    pub async fn load(&self, lookup: &Lookup) -> Result<Loaded, ClientError> {
        Ok(match lookup {
            Lookup::Stocktakes { mine } => {
                let page: Page<Stocktake> = if *mine {
                    self.get(
                        "api/v1/stocktakes",
                        &[("state", "counting".into()), ("mine", "true".into())],
                    )
                    .await?
                } else {
                    self.get("api/v1/stocktakes", &[("limit", "100".into())])
                        .await?
                };
                let mut stocktakes = page.items;
                if !*mine {
                    stocktakes.retain(|s| s.state != "cancelled");
                }
                Loaded::Stocktakes(stocktakes)
            }
            Lookup::Stocktake(key) => Loaded::Stocktake(Box::new(
                self.get(&format!("api/v1/stocktakes/{}", path_segment(key)), &[])
                    .await?,
            )),
            Lookup::StocktakeReport(key) => Loaded::StocktakeReport(Box::new(
                self.get(
                    &format!("api/v1/stocktakes/{}/report", path_segment(key)),
                    &[],
                )
                .await?,
            )),
            Lookup::ProductStock(key) => Loaded::ProductStock(Box::new(
                self.get(&format!("api/v1/products/{}", path_segment(key)), &[])
                    .await?,
            )),
            Lookup::LocationStock(code) => {
                let page: Page<StockLevel> = self
                    .get(
                        "api/v1/stock",
                        &[("location", code.clone()), ("limit", "200".into())],
                    )
                    .await?;
                Loaded::LocationStock(page.items)
            }
            Lookup::Movements { product, location } => {
                let mut query = vec![("limit", HISTORY.to_string())];
                if let Some(p) = product {
                    query.push(("product", p.clone()));
                }
                if let Some(l) = location {
                    query.push(("location", l.clone()));
                }
                let page: Page<StockMovement> = self.get("api/v1/stock/movements", &query).await?;
                Loaded::Movements(page.items)
            }
            Lookup::Receipt(key) => Loaded::Receipt(Box::new(
                self.get(&format!("api/v1/receipts/{}", path_segment(key)), &[])
                    .await?,
            )),
            Lookup::Alerts => {
                let page: Page<ReplenishmentAlert> = self
                    .get("api/v1/replenishment/alerts", &[("limit", "200".into())])
                    .await?;
                Loaded::Alerts(page.items)
            }
            Lookup::OpenPurchaseRequests => {
                let mut requests: Vec<PurchaseRequest> = Vec::new();
                for state in ["suggested", "ordered"] {
                    let some: Page<PurchaseRequest> = self
                        .get(
                            "api/v1/purchase-requests",
                            &[("state", state.into()), ("limit", "200".into())],
                        )
                        .await?;
                    requests.extend(some.items);
                }
                Loaded::PurchaseRequests(requests)
            }
            Lookup::Tickets { view, kind } => {
                let mut query = vec![("view", view.clone()), ("limit", "200".into())];
                if let Some(k) = kind {
                    query.push(("kind", k.clone()));
                }
                let page: Page<TicketSummary> = self.get("api/v1/tickets", &query).await?;
                Loaded::Tickets(page.items)
            }
            Lookup::Ticket(key) => Loaded::Ticket(Box::new(
                self.get(&format!("api/v1/tickets/{}", path_segment(key)), &[])
                    .await?,
            )),
            Lookup::CannedReplies => {
                Loaded::CannedReplies(Box::new(self.get("api/v1/canned-replies", &[]).await?))
            }
            Lookup::RefundsAwaitingApproval => {
                let page: Page<RefundBody> = self
                    .get(
                        "api/v1/refunds",
                        &[
                            ("status", "awaiting_approval".into()),
                            ("limit", "200".into()),
                        ],
                    )
                    .await?;
                Loaded::Refunds(page.items)
            }
            Lookup::Return(key) => Loaded::Return(Box::new(
                self.get(&format!("api/v1/returns/{}", path_segment(key)), &[])
                    .await?,
            )),
            Lookup::HeldPickList => {
                // A picker holds one list at a time: the first of one page is it.
                let held: Page<PickList> = self
                    .get(
                        "api/v1/pick-lists",
                        &[
                            ("state", "claimed".into()),
                            ("mine", "true".into()),
                            ("limit", "1".into()),
                        ],
                    )
                    .await?;
                Loaded::HeldPickList(held.items.into_iter().next().map(Box::new))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::local_view::fixtures::stocktake;

    /// The local cache keeps `Loaded` as JSON, the console's form of an answer, not the
    /// server's body: lists are kept as the list the pane shows, whether the server answers
    /// with a bare array or a page. An answer kept before the lists were paged is in that
    /// same form and reads as it did.
    #[test]
    fn an_answer_kept_before_lists_were_paged_reads_as_it_did() {
        let count = serde_json::to_string(&stocktake()).unwrap();
        let kept = format!(r#"{{"Stocktakes":[{count}]}}"#);
        assert_eq!(
            serde_json::from_str::<Loaded>(&kept).unwrap(),
            Loaded::Stocktakes(vec![stocktake()])
        );
        assert_eq!(
            serde_json::from_str::<Loaded>(r#"{"Tickets":[]}"#).unwrap(),
            Loaded::Tickets(Vec::new())
        );
    }

    /// A kept answer in another shape (here the server's page) does not read as a `Loaded`,
    /// and the runner takes an answer that does not read for none kept: it is never shown
    /// as something else.
    #[test]
    fn a_page_is_not_taken_for_a_kept_list() {
        let count = serde_json::to_string(&stocktake()).unwrap();
        for kept in [
            format!(r#"{{"Stocktakes":{{"items":[{count}],"next_cursor":"7"}}}}"#),
            r#"{"Tickets":{"items":[]}}"#.to_string(),
            r#"{"Alerts":{"items":[],"next_cursor":"3"}}"#.to_string(),
        ] {
            assert!(serde_json::from_str::<Loaded>(&kept).is_err(), "{kept}");
        }
    }
}
