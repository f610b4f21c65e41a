//! The help desk's clock work: every minute, tickets near or past a deadline go to the
//! supervisor queue, and parcels past their expected delivery get a ticket.

use std::time::Duration;

use super::{AppState, blocking};
use crate::store::DeskRules;

const EVERY: Duration = Duration::from_secs(60);

pub async fn run(state: AppState) {
    let mut stopping = state.stopping.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(EVERY) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        let rules = state.rules();
        let now = state.now();
        let swept = blocking(&state, move |s| {
            let mut changed = s.escalate_due(&rules.service, now)?;
            let desk = DeskRules {
                policy: &rules.service,
                carriers: &rules.carriers,
            };
            changed.extend(s.open_late_delivery_tickets(desk, now)?);
            Ok(changed)
        })
        .await;
        match swept {
            Ok(changed) if !changed.is_empty() => state.ring(),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "service sweep failed; trying again in a minute"),
        }
    }
}
