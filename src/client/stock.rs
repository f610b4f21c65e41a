//! How the stock pane's changes are sent: receipts and moves.

use super::mutation::{Applied, StockChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{MoveIn, ReceiptIn, ReceiveIn, ReturnReceiveIn};

impl Client {
    pub(super) async fn submit_stock(
        &self,
        change: &StockChange,
        key: Option<&str>,
    ) -> Result<Applied, ClientError> {
        let receipt_path =
            |receipt: &str, what: &str| format!("api/v1/receipts/{}/{what}", path_segment(receipt));
        Ok(match change {
            StockChange::OpenReceipt { expected } => {
                let body = ReceiptIn {
                    expected: expected.clone(),
                    ..ReceiptIn::default()
                };
                Applied::Receipt(self.post_once("api/v1/receipts", Some(&body), key).await?)
            }
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
                Applied::Receipt(
                    self.post_once(&receipt_path(receipt, "items"), Some(&body), key)
                        .await?,
                )
            }
            StockChange::CloseReceipt { receipt } => Applied::Receipt(
                self.post_once(&receipt_path(receipt, "close"), None::<&()>, key)
                    .await?,
            ),
            StockChange::ReceiveReturn {
                rma,
                product,
                qty,
                lot,
            } => {
                let body = ReturnReceiveIn {
                    product: product.clone(),
                    qty: *qty,
                    location: None,
                    lot: lot.clone(),
                };
                let path = format!("api/v1/returns/{}/receive", path_segment(rma));
                Applied::Return(self.post_once(&path, Some(&body), key).await?)
            }
            StockChange::Move {
                product,
                from,
                to,
                qty,
                lot,
            } => {
                let body = MoveIn {
                    product: product.clone(),
                    from: from.clone(),
                    to: to.clone(),
                    qty: *qty,
                    lot: lot.clone(),
                    expiry: None,
                };
                Applied::Movement(
                    self.post_once("api/v1/stock/moves", Some(&body), key)
                        .await?,
                )
            }
        })
    }
}
