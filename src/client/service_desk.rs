//! How the complaints pane's changes to a ticket are sent.

use super::mutation::{Applied, DeskChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{
    AssignIn, DecisionIn, LineQty, PriorityIn, ReasonIn, RefundIn, ResolveIn, ReturnIn,
    TicketTextIn,
};

fn line_qtys(lines: &[(i64, i64)]) -> Vec<LineQty> {
    lines
        .iter()
        .map(|&(line_no, qty)| LineQty { line_no, qty })
        .collect()
}

impl Client {
    pub(super) async fn submit_desk(
        &self,
        change: &DeskChange,
        key: Option<&str>,
    ) -> Result<Applied, ClientError> {
        let path =
            |ticket: &str, what: &str| format!("api/v1/tickets/{}/{what}", path_segment(ticket));
        let ticket = match change {
            DeskChange::AuthoriseReturn {
                ticket,
                lines,
                reason,
            } => {
                let body = ReturnIn {
                    lines: line_qtys(lines),
                    reason: reason.clone(),
                };
                let rma = self
                    .post_once(&path(ticket, "returns"), Some(&body), key)
                    .await?;
                return Ok(Applied::Return(rma));
            }
            DeskChange::AskRefund {
                ticket,
                amount_minor,
                lines,
                reason,
            } => {
                let body = RefundIn {
                    kind: if amount_minor.is_some() {
                        "refund"
                    } else {
                        "replacement"
                    }
                    .into(),
                    amount_minor: *amount_minor,
                    lines: line_qtys(lines),
                    reason: reason.clone(),
                };
                let refund = self
                    .post_once(&path(ticket, "refunds"), Some(&body), key)
                    .await?;
                return Ok(Applied::Refund(refund));
            }
            DeskChange::DecideRefund {
                refund,
                approve,
                note,
            } => {
                let body = DecisionIn { note: note.clone() };
                let verb = if *approve { "approve" } else { "reject" };
                let path = format!("api/v1/refunds/{}/{verb}", path_segment(refund));
                return Ok(Applied::Refund(
                    self.post_once(&path, Some(&body), key).await?,
                ));
            }
            DeskChange::Reply { ticket, body } => {
                let body = TicketTextIn { body: body.clone() };
                self.post_once(&path(ticket, "replies"), Some(&body), key)
                    .await?
            }
            DeskChange::Note { ticket, body } => {
                let body = TicketTextIn { body: body.clone() };
                self.post_once(&path(ticket, "notes"), Some(&body), key)
                    .await?
            }
            DeskChange::Assign { ticket, assignee } => {
                let body = AssignIn {
                    assignee: assignee.clone(),
                };
                self.post_once(&path(ticket, "assign"), Some(&body), key)
                    .await?
            }
            DeskChange::Escalate { ticket, reason } => {
                let body = ReasonIn {
                    reason: reason.clone(),
                };
                self.post_once(&path(ticket, "escalate"), Some(&body), key)
                    .await?
            }
            DeskChange::Prioritise { ticket, priority } => {
                let body = PriorityIn {
                    priority: priority.clone(),
                };
                self.post_once(&path(ticket, "priority"), Some(&body), key)
                    .await?
            }
            DeskChange::Resolve { ticket, code, note } => {
                let body = ResolveIn {
                    code: code.clone(),
                    note: note.clone(),
                };
                self.post_once(&path(ticket, "resolve"), Some(&body), key)
                    .await?
            }
        };
        Ok(Applied::Ticket(ticket))
    }
}
