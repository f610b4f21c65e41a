//! The stock side of the client: what the stock, replenishment and stocktake panes read,
//! and how their changes are sent.

use super::mutation::{Applied, StockChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{
    AlertRequestIn, CloseIn, CountIn, LineKey, MoveIn, Page, ProductDetail, PurchaseOrderIn,
    PurchaseRequest, ReasonIn, ReceiptIn, ReceiveIn, ReplenishmentAlert, ReviewIn, StockLevel,
    StockMovement, Stocktake, StocktakeReport,
};

/// Something a pane wants to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Counts in progress: the caller's own when `mine`, else all that are not done.
    Stocktakes {
        mine: bool,
    },
    Stocktake(String),
    StocktakeReport(String),
    /// A product (SKU or barcode) with its stock per location.
    Product(String),
    /// What a location holds.
    Location(String),
    /// Latest movements of a product or at a location.
    Movements {
        product: Option<String>,
        location: Option<String>,
    },
    Alerts,
    PurchaseRequests,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Stocktakes(Vec<Stocktake>),
    Stocktake(Box<Stocktake>),
    StocktakeReport(Box<StocktakeReport>),
    Product(Box<ProductDetail>),
    Location(String, Vec<StockLevel>),
    Movements(Vec<StockMovement>),
    Alerts(Vec<ReplenishmentAlert>),
    PurchaseRequests(Vec<PurchaseRequest>),
}

impl Client {
    pub async fn load(&self, lookup: &Lookup) -> Result<Loaded, ClientError> {
        Ok(match lookup {
            Lookup::Stocktakes { mine } => {
                let mut stocktakes: Vec<Stocktake> = if *mine {
                    self.get(
                        "api/v1/stocktakes",
                        &[("state", "counting".into()), ("mine", "true".into())],
                    )
                    .await?
                } else {
                    self.get("api/v1/stocktakes", &[("limit", "100".into())])
                        .await?
                };
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
            Lookup::Product(key) => Loaded::Product(Box::new(self.product(key).await?)),
            Lookup::Location(code) => {
                let page: Page<StockLevel> = self
                    .get(
                        "api/v1/stock",
                        &[("location", code.clone()), ("limit", "500".into())],
                    )
                    .await?;
                Loaded::Location(code.clone(), page.items)
            }
            Lookup::Movements { product, location } => {
                let mut query = vec![("limit", "100".to_string())];
                if let Some(p) = product {
                    query.push(("product", p.clone()));
                }
                if let Some(l) = location {
                    query.push(("location", l.clone()));
                }
                let page: Page<StockMovement> = self.get("api/v1/stock/movements", &query).await?;
                Loaded::Movements(page.items)
            }
            Lookup::Alerts => Loaded::Alerts(
                self.get("api/v1/replenishment/alerts", &[("limit", "500".into())])
                    .await?,
            ),
            Lookup::PurchaseRequests => Loaded::PurchaseRequests(
                self.get("api/v1/purchase-requests", &[("limit", "200".into())])
                    .await?,
            ),
        })
    }

    pub(super) async fn submit_stock(
        &self,
        change: &StockChange,
        key: Option<&str>,
    ) -> Result<Applied, ClientError> {
        let none = None::<&()>;
        let place = |stocktake: &str, location: &str, what: &str| {
            format!(
                "api/v1/stocktakes/{}/locations/{}/{what}",
                path_segment(stocktake),
                path_segment(location)
            )
        };
        Ok(match change {
            StockChange::StartCount {
                stocktake,
                location,
            } => Applied::Stocktake(
                self.post_once(&place(stocktake, location, "start"), none, key)
                    .await?,
            ),
            StockChange::Count {
                stocktake,
                location,
                product,
                qty,
                set,
            } => {
                let body = CountIn {
                    product: product.clone(),
                    qty: *qty,
                    set: *set,
                };
                Applied::Stocktake(
                    self.post_once(&place(stocktake, location, "count"), Some(&body), key)
                        .await?,
                )
            }
            StockChange::CloseCount {
                stocktake,
                location,
                empty,
            } => {
                let body = CloseIn { empty: *empty };
                Applied::Stocktake(
                    self.post_once(&place(stocktake, location, "close"), Some(&body), key)
                        .await?,
                )
            }
            StockChange::Review {
                stocktake,
                lines,
                approve,
            } => {
                let body = ReviewIn {
                    lines: (!lines.is_empty()).then(|| {
                        lines
                            .iter()
                            .map(|(location, sku)| LineKey {
                                location: location.clone(),
                                sku: sku.clone(),
                            })
                            .collect()
                    }),
                };
                let what = if *approve { "approve" } else { "recount" };
                let path = format!("api/v1/stocktakes/{}/{what}", path_segment(stocktake));
                Applied::Stocktake(self.post_once(&path, Some(&body), key).await?)
            }
            StockChange::Move {
                product,
                from,
                to,
                qty,
                lot,
                expiry,
            } => {
                let body = MoveIn {
                    product: product.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    qty: *qty,
                    lot: lot.clone(),
                    expiry: expiry.clone(),
                };
                Applied::Movement(
                    self.post_once("api/v1/stock/moves", Some(&body), key)
                        .await?,
                )
            }
            StockChange::OpenReceipt => Applied::Receipt(
                self.post_once("api/v1/receipts", Some(&ReceiptIn::default()), key)
                    .await?,
            ),
            StockChange::Receive {
                receipt,
                product,
                qty,
                lot,
                expiry,
            } => {
                let body = ReceiveIn {
                    product: product.clone(),
                    qty: *qty,
                    lot: lot.clone(),
                    expiry: expiry.clone(),
                };
                let path = format!("api/v1/receipts/{}/items", path_segment(receipt));
                Applied::Receipt(self.post_once(&path, Some(&body), key).await?)
            }
            StockChange::CloseReceipt { receipt } => {
                let path = format!("api/v1/receipts/{}/close", path_segment(receipt));
                Applied::Receipt(self.post_once(&path, none, key).await?)
            }
            StockChange::RequestPurchase { alert } => {
                let path = format!(
                    "api/v1/replenishment/alerts/{}/request",
                    path_segment(alert)
                );
                Applied::Alert(
                    self.post_once(&path, Some(&AlertRequestIn::default()), key)
                        .await?,
                )
            }
            StockChange::DismissAlert { alert, reason } => {
                let path = format!(
                    "api/v1/replenishment/alerts/{}/dismiss",
                    path_segment(alert)
                );
                let body = ReasonIn {
                    reason: reason.clone(),
                };
                Applied::Alert(self.post_once(&path, Some(&body), key).await?)
            }
            StockChange::OrderPurchase { request } => {
                let path = format!("api/v1/purchase-requests/{}/order", path_segment(request));
                Applied::PurchaseRequest(
                    self.post_once(&path, Some(&PurchaseOrderIn::default()), key)
                        .await?,
                )
            }
        })
    }
}
