//! Readiness tells the truth: while the database cannot be written (a full disk, a
//! read-only file, I/O errors — the store knows it from the last write's own error),
//! `/healthz` and every write answer 503 `/problems/unavailable` with `Retry-After`, not 200
//! and 500. Meanwhile a probe writes through the writer every `write_probe_interval`, so that
//! the server is ready again as soon as the disk is, without waiting for a client's write.

use std::time::Duration;

use super::{ApiError, AppState};

/// How often a server that cannot write tries again, unless configured otherwise.
pub const PROBE_EVERY: Duration = Duration::from_secs(10);

/// Probes while writes are failing; does nothing (but look) while they work.
pub(super) async fn run(state: AppState) {
    // A zero interval would spin; the floor is far below anything worth configuring.
    let every = state
        .config
        .write_probe_interval
        .max(Duration::from_millis(50));
    let mut stopping = state.stopping.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        if state.store.write_fault().is_none() {
            continue;
        }
        let now = state.now();
        let store = state.store.clone();
        // The store logs the change either way; a probe that fails again is no news.
        match tokio::task::spawn_blocking(move || store.probe_write(now)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::debug!(error = %e, "the database still cannot be written"),
            Err(e) => tracing::error!(error = %e, "the write probe failed to run"),
        }
    }
}

/// When a client should try again: by then the next probe has run.
fn retry_after_secs(state: &AppState) -> u64 {
    state
        .config
        .write_probe_interval
        .as_secs_f64()
        .ceil()
        .max(1.0) as u64
}

/// A store call that failed on a fault of the disk is answered 503 with when to come back,
/// not 500: the fault is the disk's and passes; any other error is left as it is.
pub(super) fn unavailable_if_unwritable(state: &AppState, e: ApiError) -> ApiError {
    let fault = match &e {
        ApiError::Store(store) => store.disk_fault(),
        _ => None,
    };
    match fault {
        Some(fault) => {
            let retry_after_secs = retry_after_secs(state);
            tracing::warn!(error = %e, "a request failed on a fault of the disk");
            ApiError::Unavailable {
                detail: format!(
                    "the database's disk is failing ({fault}); try again in {retry_after_secs} s (a change is not known to be saved: retry it with the same Idempotency-Key)"
                ),
                retry_after_secs,
            }
        }
        None => e,
    }
}

/// `/healthz`'s answer while the last write failed on a fault of the disk.
pub(super) fn writable(state: &AppState) -> Result<(), ApiError> {
    match state.store.write_fault() {
        None => Ok(()),
        Some(fault) => {
            let retry_after_secs = retry_after_secs(state);
            Err(ApiError::Unavailable {
                detail: format!(
                    "the database cannot be written since {} ({}); try again in {retry_after_secs} s",
                    fault.since, fault.kind
                ),
                retry_after_secs,
            })
        }
    }
}
