//! How the complaints pane's changes to a ticket are sent.

use super::mutation::{Applied, DeskChange};
use super::rest::{Client, ClientError, path_segment};
use crate::api::{AssignIn, PriorityIn, ReasonIn, ResolveIn, TicketTextIn};

impl Client {
    pub(super) async fn submit_desk(
        &self,
        change: &DeskChange,
        key: Option<&str>,
    ) -> Result<Applied, ClientError> {
        let path =
            |ticket: &str, what: &str| format!("api/v1/tickets/{}/{what}", path_segment(ticket));
        let ticket = match change {
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
