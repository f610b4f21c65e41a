//! The stocktake side of the client: what the stocktake pane reads, and how its changes
//! are sent.

use super::mutation::{Applied, StockChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{CloseIn, CountIn, LineKey, ReviewIn, Stocktake, StocktakeReport};

/// Something a pane wants to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Counts in progress: the caller's own when `mine`, else all that are not done.
    Stocktakes {
        mine: bool,
    },
    Stocktake(String),
    StocktakeReport(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Loaded {
    Stocktakes(Vec<Stocktake>),
    Stocktake(Box<Stocktake>),
    StocktakeReport(Box<StocktakeReport>),
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
        })
    }
}
