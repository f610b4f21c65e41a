//! How the replenishment pane's decisions are sent.

use super::mutation::{Applied, PurchasingChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{AlertRequestIn, PurchaseOrderIn, ReasonIn};

impl Client {
    pub(super) async fn submit_purchasing(
        &self,
        change: &PurchasingChange,
        key: Option<&str>,
    ) -> Result<Applied, ClientError> {
        let alert_path = |alert: &str, what: &str| {
            format!("api/v1/replenishment/alerts/{}/{what}", path_segment(alert))
        };
        let request_path = |request: &str, what: &str| {
            format!("api/v1/purchase-requests/{}/{what}", path_segment(request))
        };
        Ok(match change {
            PurchasingChange::RequestFromAlert { alert, qty } => {
                let body = AlertRequestIn {
                    qty: *qty,
                    supplier: None,
                };
                Applied::Alert(
                    self.post_once(&alert_path(alert, "request"), Some(&body), key)
                        .await?,
                )
            }
            PurchasingChange::DismissAlert { alert, reason } => {
                let body = ReasonIn {
                    reason: reason.clone(),
                };
                Applied::Alert(
                    self.post_once(&alert_path(alert, "dismiss"), Some(&body), key)
                        .await?,
                )
            }
            PurchasingChange::OrderRequest { request } => Applied::PurchaseRequest(
                self.post_once(
                    &request_path(request, "order"),
                    Some(&PurchaseOrderIn::default()),
                    key,
                )
                .await?,
            ),
            PurchasingChange::CancelRequest { request, reason } => {
                let body = ReasonIn {
                    reason: reason.clone(),
                };
                Applied::PurchaseRequest(
                    self.post_once(&request_path(request, "cancel"), Some(&body), key)
                        .await?,
                )
            }
        })
    }
}
