//! The sync worker: sends the outbox's changes to the server one at a time, oldest first,
//! each with its own id as the idempotency key. A change the server could not be asked
//! about (unreachable, overloaded, signed out) stays first in line and is tried again after
//! a growing, jittered pause; one it refuses is set aside for a person.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};

use super::catalogue::Catalogue;
use super::local_cache::{CacheCounts, LocalCache};
use super::mutation::{Applied, Mutation};
use super::rest::{Client, ClientError};

/// Whether changes are reaching the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Link {
    #[default]
    Online,
    Syncing,
    Offline,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncStatus {
    pub link: Link,
    pub counts: CacheCounts,
}

#[derive(Debug)]
pub enum SyncEvent {
    /// The server answered a change: applied, or refused (then it is set aside).
    Answered {
        mutation: Mutation,
        result: Result<Applied, ClientError>,
    },
    Status(SyncStatus),
    /// The catalogue as kept: once at start, then after the feed brought changes.
    Catalogue(Arc<Catalogue>),
}

impl ClientError {
    /// Worth asking again later: the server was not reached, was overloaded, or did not
    /// know us any more. Anything else is the server's answer about the change itself.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable(_) | ClientError::Unexpected(_) => true,
            ClientError::Problem(p) => p.status >= 500 || p.status == 429 || p.status == 401,
            ClientError::BadUrl(_) | ClientError::Local(_) | ClientError::NeedsServer(_) => false,
        }
    }
}

/// Changes sent in one request while draining: one round trip and a few commits for all.
const MOST_IN_BATCH: usize = 200;
const FIRST_PAUSE: Duration = Duration::from_millis(500);
/// While draining, the header's count is refreshed this often, not per change: counting
/// the outbox for each of thousands of changes would cost more than sending them.
const STATUS_EVERY: Duration = Duration::from_millis(250);

/// Says how the outbox stands when the link changes, when it is idle again, and now and
/// then while draining.
struct Reporter {
    outbox: Arc<LocalCache>,
    events: mpsc::UnboundedSender<SyncEvent>,
    told: Option<(Link, Instant)>,
}

impl Reporter {
    /// `false` once nobody listens any more.
    fn tell(&mut self, link: Link) -> bool {
        let due = match self.told {
            Some((last, at)) => {
                last != link || link == Link::Online || at.elapsed() >= STATUS_EVERY
            }
            None => true,
        };
        if !due {
            return !self.events.is_closed();
        }
        self.told = Some((link, Instant::now()));
        let counts = self.outbox.counts().unwrap_or_default();
        self.events
            .send(SyncEvent::Status(SyncStatus { link, counts }))
            .is_ok()
    }
}
const LONGEST_PAUSE: Duration = Duration::from_secs(30);
/// How often the catalogue feed is asked what changed while all is quiet; also at start
/// and each time the server is back.
const CATALOGUE_EVERY: Duration = Duration::from_secs(300);

/// Fetches the catalogue feed from the kept cursor to its end; whether anything changed.
async fn refresh_catalogue(client: &Client, outbox: &LocalCache) -> Result<bool, ClientError> {
    let local = |e: super::local_cache::CacheError| ClientError::Local(e.to_string());
    let mut cursor = outbox.catalog_cursor().map_err(local)?;
    let mut changed = false;
    loop {
        let page = client.catalog_changes(cursor).await?;
        changed |= !page.products.is_empty() || !page.locations.is_empty();
        outbox.keep_catalog(&page).map_err(local)?;
        cursor = page.cursor;
        if !page.more {
            return Ok(changed);
        }
    }
}

fn send_catalogue(outbox: &LocalCache, events: &mpsc::UnboundedSender<SyncEvent>) -> bool {
    match outbox.catalogue() {
        Ok(catalogue) => events
            .send(SyncEvent::Catalogue(Arc::new(catalogue)))
            .is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "kept catalogue unreadable");
            true
        }
    }
}

/// Says the server is away and waits `pause` (jittered, so terminals that lost it together
/// do not come back together), or until woken; the next, longer pause. `None` once nobody
/// listens any more.
async fn offline(reporter: &mut Reporter, wake: &Notify, pause: Duration) -> Option<Duration> {
    if !reporter.tell(Link::Offline) {
        return None;
    }
    let jitter = Duration::from_millis(rand::random::<u64>() % 250);
    tokio::select! {
        _ = tokio::time::sleep(pause + jitter) => {}
        _ = wake.notified() => {}
    }
    Some((pause * 2).min(LONGEST_PAUSE))
}

/// Runs until `events` is closed. `wake` is notified when a change is kept, so an idle
/// worker starts at once and a waiting one tries again without finishing its pause.
pub async fn run_sync(
    client: Client,
    outbox: Arc<LocalCache>,
    wake: Arc<Notify>,
    events: mpsc::UnboundedSender<SyncEvent>,
) {
    let mut pause = FIRST_PAUSE;
    let mut reporter = Reporter {
        outbox: outbox.clone(),
        events: events.clone(),
        told: None,
    };
    if !send_catalogue(&outbox, &events) {
        return;
    }
    let mut catalogue_due = Instant::now();
    loop {
        let batch = match outbox.oldest(MOST_IN_BATCH) {
            Ok(batch) => batch,
            Err(e) => {
                tracing::error!(error = %e, "the outbox cannot be read");
                Vec::new()
            }
        };
        if batch.is_empty() {
            // Changes first: the catalogue only names and checks scans.
            if Instant::now() >= catalogue_due {
                match refresh_catalogue(&client, &outbox).await {
                    Ok(changed) => {
                        catalogue_due = Instant::now() + CATALOGUE_EVERY;
                        if changed && !send_catalogue(&outbox, &events) {
                            return;
                        }
                    }
                    Err(e) if e.is_transient() => {
                        match offline(&mut reporter, &wake, pause).await {
                            Some(longer) => {
                                pause = longer;
                                continue;
                            }
                            None => return,
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "catalogue not refreshed");
                        catalogue_due = Instant::now() + CATALOGUE_EVERY;
                    }
                }
                pause = FIRST_PAUSE;
            }
            if !reporter.tell(Link::Online) {
                return;
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep_until(catalogue_due.into()) => {}
            }
            continue;
        }
        if !reporter.tell(Link::Syncing) {
            return;
        }
        let results = send(&client, &batch).await;
        let mut done = Vec::new();
        let mut answered = Vec::new();
        let mut unreachable = false;
        for (mutation, result) in batch.into_iter().zip(results) {
            match &result {
                Err(e) if e.is_transient() => {
                    if let Err(stored) = outbox.failed_attempt(mutation.id, &e.to_string()) {
                        tracing::warn!(error = %stored, "attempt not recorded");
                    }
                    // It stays first in line, and those after it stay behind it.
                    unreachable = true;
                    break;
                }
                Err(e) => {
                    if let Err(stored) = outbox.set_aside(mutation.id, &e.to_string()) {
                        tracing::error!(error = %stored, "refused change not set aside");
                    }
                }
                Ok(_) => done.push(mutation.id),
            }
            answered.push(SyncEvent::Answered { mutation, result });
        }
        // Not removed (a full disk): they are sent again and the server answers the same
        // without applying them twice.
        if let Err(stored) = outbox.done(&done) {
            tracing::error!(error = %stored, "applied changes not removed");
        }
        for event in answered {
            if events.send(event).is_err() {
                return;
            }
        }
        if unreachable {
            // Back online, the catalogue is asked what changed meanwhile.
            catalogue_due = Instant::now();
            match offline(&mut reporter, &wake, pause).await {
                Some(longer) => pause = longer,
                None => return,
            }
            continue;
        }
        pause = FIRST_PAUSE;
    }
}

/// The oldest waiting changes, sent as one batch when there are several: a result for
/// each, in order, possibly fewer than sent (those after a failure were not tried).
async fn send(client: &Client, batch: &[Mutation]) -> Vec<Result<Applied, ClientError>> {
    let Some(first) = batch.first() else {
        return Vec::new();
    };
    if batch.len() == 1 {
        return vec![client.submit(first).await];
    }
    match client.submit_batch(batch).await {
        Ok(results) => results,
        Err(e) if e.is_transient() => vec![Err(e)],
        // A server that takes no batches takes the changes one by one.
        Err(e) => {
            tracing::warn!(error = %e, "the server did not take a batch; sending one change");
            vec![client.submit(first).await]
        }
    }
}
