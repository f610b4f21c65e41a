//! How the stocktake pane's changes are sent: counting a location, closing it, review.

use super::mutation::{Applied, CountChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{CloseIn, CountIn, LineKey, ReviewIn};

impl Client {
    pub(super) async fn submit_count(
        &self,
        change: &CountChange,
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
            CountChange::StartCount {
                stocktake,
                location,
            } => Applied::Stocktake(
                self.post_once(&place(stocktake, location, "start"), none, key)
                    .await?,
            ),
            CountChange::Count {
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
            CountChange::CloseCount {
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
            CountChange::Plan(plan) => {
                Applied::Stocktake(self.post_once("api/v1/stocktakes", Some(plan), key).await?)
            }
            CountChange::Review {
                stocktake,
                lines,
                approve,
                reason,
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
                    reason: reason.clone().filter(|_| *approve),
                };
                let what = if *approve { "approve" } else { "recount" };
                let path = format!("api/v1/stocktakes/{}/{what}", path_segment(stocktake));
                Applied::Stocktake(self.post_once(&path, Some(&body), key).await?)
            }
        })
    }
}
