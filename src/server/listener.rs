//! The server's accept loop: HTTP/1.1 connections over hyper, with what `axum::serve`
//! lacks. A request head must arrive within [`HEADER_TIMEOUT`] of a connection opening
//! or of its last answer (hyper's header timer covers both the first head and a
//! keep-alive connection's idle time). Connections are capped below the open-file limit,
//! and near the cap the oldest that have not yet sent a whole request head are closed, so
//! a flood of idle connections cannot keep a real request out.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};
use tower::ServiceExt;

/// How long a client may take to send a request head, and a kept-alive connection may
/// sit idle.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// File descriptors kept free below the open-file limit: the database, its WAL, logs,
/// the rules file, and the accept itself.
const SPARE_FILES: u64 = 64;

/// How many connections the server holds at most: the open-file limit less
/// [`SPARE_FILES`].
pub fn connection_cap() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    usize::try_from(limit.saturating_sub(SPARE_FILES).max(16)).unwrap_or(usize::MAX)
}

/// The connections open now, oldest first.
struct Open {
    cap: usize,
    connections: Mutex<BTreeMap<u64, Held>>,
    /// Rung when a connection ends, for an accept loop waiting at the cap.
    ended: Notify,
}

struct Held {
    /// Set once the client has sent a whole request head.
    asked: Arc<AtomicBool>,
    close: oneshot::Sender<()>,
}

/// A connection's place in [`Open`]; it leaves when dropped.
struct Ticket {
    open: Arc<Open>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.open.lock().remove(&self.id);
        self.open.ended.notify_one();
    }
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Held>> {
        self.connections.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where shedding starts: 90 % of the cap.
    fn high_water(&self) -> usize {
        self.cap - self.cap / 10
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets each connection finish
/// the request it is on and waits for all of them. `stopping` is set at shutdown (event
/// streams end on it).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    stopping: Arc<watch::Sender<bool>>,
) -> std::io::Result<()> {
    let cap = connection_cap();
    tracing::info!(
        cap,
        header_timeout_s = HEADER_TIMEOUT.as_secs(),
        "connections capped below the open-file limit"
    );
    let open = Arc::new(Open {
        cap,
        connections: Mutex::new(BTreeMap::new()),
        ended: Notify::new(),
    });
    let mut next_id = 0u64;
    let (draining, drain) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        if open.lock().len() >= cap {
            // Every connection has asked for something: wait for one to end.
            tokio::select! {
                _ = open.ended.notified() => continue,
                _ = &mut shutdown => break,
            }
        }
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors, or the peer left before the accept: shed and go on.
                tracing::warn!(error = %e, "accept failed");
                shed(&open, open.high_water().saturating_sub(1));
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        next_id += 1;
        let asked = Arc::new(AtomicBool::new(false));
        let (close, closed) = oneshot::channel();
        open.lock().insert(
            next_id,
            Held {
                asked: asked.clone(),
                close,
            },
        );
        let ticket = Ticket {
            open: open.clone(),
            id: next_id,
        };
        shed(&open, open.high_water());
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            asked,
            ticket,
            closed,
            drain.clone(),
        ));
    }
    drop(listener);
    drop(drain);
    stopping.send_replace(true);
    draining.send_replace(true);
    // Each connection holds a receiver of `drain`; once all are gone, so are they.
    draining.closed().await;
    Ok(())
}

/// Closes the oldest connections that have not yet sent a request head, until no more
/// than `most` are open (or none of that kind is left).
fn shed(open: &Open, most: usize) {
    let mut connections = open.lock();
    if connections.len() <= most {
        return;
    }
    let excess = connections.len() - most;
    let idle: Vec<u64> = connections
        .iter()
        .filter(|(_, held)| !held.asked.load(Ordering::Relaxed))
        .map(|(id, _)| *id)
        .take(excess)
        .collect();
    for id in idle {
        if let Some(held) = connections.remove(&id) {
            let _ = held.close.send(());
        }
    }
}

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    asked: Arc<AtomicBool>,
    _ticket: Ticket,
    mut closed: oneshot::Receiver<()>,
    mut drain: watch::Receiver<bool>,
) {
    let service = app.map_request(move |mut request: hyper::Request<Incoming>| {
        asked.store(true, Ordering::Relaxed);
        request.extensions_mut().insert(ConnectInfo(peer));
        request
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                return;
            }
            // Shed: it never asked for anything and room is needed.
            _ = &mut closed => return,
            _ = drain.wait_for(|d| *d), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}
