//! The server's accept loop: HTTP/1.1 connections over hyper, with what `axum::serve`
//! lacks. A request head must arrive within [`HEADER_TIMEOUT`] of a connection opening
//! or of its last answer (hyper's header timer covers both the first head and a
//! keep-alive connection's idle time). Connections are capped below the open-file limit;
//! near the cap the oldest connections that have not yet sent a whole request head are
//! closed, then the oldest that sit idle between requests, so a flood of idle connections
//! cannot keep a real request out. One client address may hold a quarter of the cap
//! (a trusted proxy any number).

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};
use tower::ServiceExt;

use super::sign_in_throttle::ClientKey;

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

/// The connections open now, oldest first, and how many each client address holds.
struct Open {
    cap: usize,
    trusted_proxies: Vec<IpAddr>,
    held: Mutex<Held>,
    /// Rung when a connection ends, for an accept loop waiting at the cap.
    ended: Notify,
}

#[derive(Default)]
struct Held {
    connections: BTreeMap<u64, Connection>,
    per_address: HashMap<ClientKey, usize>,
}

struct Connection {
    address: ClientKey,
    activity: Arc<Activity>,
    close: oneshot::Sender<()>,
}

/// What a connection is doing, for choosing whom to close.
#[derive(Default)]
struct Activity {
    /// Set once the client has sent a whole request head.
    asked: AtomicBool,
    /// Requests being answered (their answer's body not yet all sent).
    answering: AtomicUsize,
    /// Requests whose body is still coming in, with no answer yet: a client that trickles
    /// a body is as slow as one that trickles a head.
    receiving: AtomicUsize,
}

impl Activity {
    fn never_asked(&self) -> bool {
        !self.asked.load(Ordering::Relaxed)
    }

    fn still_sending(&self) -> bool {
        self.receiving.load(Ordering::Relaxed) > 0
    }

    fn idle(&self) -> bool {
        self.answering.load(Ordering::Relaxed) == 0
    }
}

/// A connection's place in [`Open`]; it leaves when dropped.
struct Ticket {
    open: Arc<Open>,
    id: u64,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.open.lock().forget(self.id);
        self.open.ended.notify_one();
    }
}

impl Held {
    /// Removes a connection from the books; true if it was there.
    fn forget(&mut self, id: u64) -> Option<Connection> {
        let gone = self.connections.remove(&id)?;
        if let Some(n) = self.per_address.get_mut(&gone.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.per_address.remove(&gone.address);
            }
        }
        Some(gone)
    }

    /// Closes the oldest connections that never asked for anything, then the oldest still
    /// sending a request body, then the oldest idle between requests, among those `which`
    /// picks, until `excess` are closed.
    fn shed(&mut self, excess: usize, which: impl Fn(&Connection) -> bool) -> usize {
        if excess == 0 {
            return 0;
        }
        let tiers: [fn(&Activity) -> bool; 3] = [
            Activity::never_asked,
            |a| !a.never_asked() && a.still_sending(),
            |a| !a.never_asked() && !a.still_sending() && a.idle(),
        ];
        let mut chosen: Vec<u64> = Vec::new();
        for tier in tiers {
            if chosen.len() >= excess {
                break;
            }
            let more: Vec<u64> = self
                .connections
                .iter()
                .filter(|(_, c)| which(c) && tier(&c.activity))
                .map(|(id, _)| *id)
                .take(excess - chosen.len())
                .collect();
            chosen.extend(more);
        }
        let closed = chosen.len();
        for id in chosen {
            if let Some(gone) = self.forget(id) {
                let _ = gone.close.send(());
            }
        }
        closed
    }
}

impl Open {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where shedding starts: 90 % of the cap.
    fn high_water(&self) -> usize {
        self.cap - self.cap / 10
    }

    /// The most connections one client address may hold.
    fn per_address_cap(&self, address: &IpAddr) -> usize {
        if self.trusted_proxies.contains(address) {
            usize::MAX
        } else {
            (self.cap / 4).max(1)
        }
    }

    /// Takes in a connection from `address`, making room as needed; `None` when its
    /// address holds its share and none of its connections can be closed for it.
    fn admit(&self, id: u64, ip: IpAddr, close: oneshot::Sender<()>) -> Option<Arc<Activity>> {
        let mut held = self.lock();
        let share = self.per_address_cap(&ip);
        // IPv6 by its /64, as the sign-in limits count it: one host holds a whole /64.
        let address = ClientKey::from(ip);
        let holding = held.per_address.get(&address).copied().unwrap_or(0);
        if holding >= share && held.shed(1, |c| c.address == address) == 0 {
            return None;
        }
        let activity = Arc::new(Activity::default());
        held.connections.insert(
            id,
            Connection {
                address,
                activity: activity.clone(),
                close,
            },
        );
        *held.per_address.entry(address).or_default() += 1;
        let excess = held.connections.len().saturating_sub(self.high_water());
        // The newcomer has not asked for anything yet either; it is not the one to go.
        held.shed(excess, |c| !Arc::ptr_eq(&c.activity, &activity));
        Some(activity)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets each connection finish
/// the request it is on and waits for all of them. `stopping` is set at shutdown (event
/// streams end on it).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    trusted_proxies: Vec<IpAddr>,
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
        trusted_proxies: trusted_proxies.iter().map(IpAddr::to_canonical).collect(),
        held: Mutex::default(),
        ended: Notify::new(),
    });
    let mut next_id = 0u64;
    let (draining, drain) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        if open.lock().connections.len() >= cap {
            // Every connection is busy answering: wait for one to end.
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
                let excess = open
                    .lock()
                    .connections
                    .len()
                    .saturating_sub(open.high_water())
                    + 1;
                open.lock().shed(excess, |_| true);
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        next_id += 1;
        let (close, closed) = oneshot::channel();
        let Some(activity) = open.admit(next_id, peer.ip().to_canonical(), close) else {
            tracing::debug!(%peer, "connection refused: its address holds its share");
            continue;
        };
        let ticket = Ticket {
            open: open.clone(),
            id: next_id,
        };
        tokio::spawn(connection(
            stream,
            peer,
            app.clone(),
            activity,
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

async fn connection(
    stream: tokio::net::TcpStream,
    peer: SocketAddr,
    app: Router,
    activity: Arc<Activity>,
    _ticket: Ticket,
    mut closed: oneshot::Receiver<()>,
    mut drain: watch::Receiver<bool>,
) {
    let service = tower::service_fn(move |request: hyper::Request<Incoming>| {
        activity.asked.store(true, Ordering::Relaxed);
        let busy = Answering::start(activity.clone());
        let receiving = Arc::new(Receiving::start(activity.clone()));
        let (mut parts, body) = request.into_parts();
        if body.is_end_stream() {
            receiving.done();
        }
        parts.extensions.insert(ConnectInfo(peer));
        let body = Body::new(Watched {
            body,
            watcher: receiving.clone(),
        });
        let answer = app.clone().oneshot(hyper::Request::from_parts(parts, body));
        async move {
            let response = answer.await?;
            receiving.done();
            Ok::<_, Infallible>(response.map(|body| {
                Body::new(Watched {
                    body,
                    watcher: busy,
                })
            }))
        }
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
            // Shed: room was needed, and it was not answering anything.
            _ = &mut closed => return,
            _ = drain.wait_for(|d| *d), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// A request being answered, until its answer's body is all sent (or dropped).
struct Answering(Arc<Activity>);

impl Answering {
    fn start(activity: Arc<Activity>) -> Answering {
        activity.answering.fetch_add(1, Ordering::Relaxed);
        Answering(activity)
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request whose body is still coming in, until it has all come, an answer is ready, or
/// the request is gone.
struct Receiving {
    activity: Arc<Activity>,
    done: AtomicBool,
}

impl Receiving {
    fn start(activity: Arc<Activity>) -> Receiving {
        activity.receiving.fetch_add(1, Ordering::Relaxed);
        Receiving {
            activity,
            done: AtomicBool::new(false),
        }
    }

    fn done(&self) {
        if !self.done.swap(true, Ordering::Relaxed) {
            self.activity.receiving.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        self.done();
    }
}

/// What a [`Watched`] body holds while it lasts, told when the body has all gone by.
trait Watcher: Unpin {
    fn body_ended(&self) {}
}

/// A request's body, telling [`Receiving`] when it has all come in.
impl Watcher for Arc<Receiving> {
    fn body_ended(&self) {
        self.done();
    }
}

/// An answer's body keeps its request counted as being answered while it is sent (an
/// event stream for as long as it lasts): [`Answering`] counts down when dropped.
impl Watcher for Answering {}

/// A body passed on as it is, with a [`Watcher`] that lives as long as the body.
struct Watched<B, W> {
    body: B,
    watcher: W,
}

impl<B, W> HttpBody for Watched<B, W>
where
    B: HttpBody<Data = Bytes> + Unpin,
    W: Watcher,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.body).poll_frame(cx);
        if matches!(polled, Poll::Ready(None)) || this.body.is_end_stream() {
            this.watcher.body_ended();
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(cap: usize) -> Open {
        Open {
            cap,
            trusted_proxies: vec![IpAddr::from([10, 0, 0, 1])],
            held: Mutex::default(),
            ended: Notify::new(),
        }
    }

    fn admit(open: &Open, id: u64, last: u8) -> (Option<Arc<Activity>>, oneshot::Receiver<()>) {
        let (close, closed) = oneshot::channel();
        (
            open.admit(id, IpAddr::from([127, 0, 0, last]), close),
            closed,
        )
    }

    #[test]
    fn near_the_cap_the_silent_go_first_then_the_idle_never_the_answering() {
        let open = open(100);
        let (a, _a) = admit(&open, 1, 1);
        let a = a.expect("admitted");
        a.asked.store(true, Ordering::Relaxed);
        a.answering.store(1, Ordering::Relaxed);
        let (idle, _i) = admit(&open, 2, 2);
        idle.expect("admitted").asked.store(true, Ordering::Relaxed);
        let mut silent = Vec::new();
        for id in 3..=90 {
            let (c, closed) = admit(&open, id, (id % 20 + 3) as u8);
            c.expect("admitted");
            silent.push(closed);
        }
        assert_eq!(open.lock().connections.len(), 90);
        let (newcomer, _n) = admit(&open, 91, 50);
        assert!(newcomer.is_some());
        let held = open.lock();
        assert_eq!(held.connections.len(), 90, "back to the high-water mark");
        assert!(
            !held.connections.contains_key(&3),
            "the oldest silent one went"
        );
        assert!(held.connections.contains_key(&1) && held.connections.contains_key(&2));
        drop(held);
        assert!(silent[0].try_recv().is_ok(), "and was told to close");
    }

    #[test]
    fn a_request_whose_body_still_trickles_goes_before_an_idle_connection() {
        let open = open(10);
        let (idle, _i) = admit(&open, 1, 1);
        idle.expect("admitted").asked.store(true, Ordering::Relaxed);
        let (slow, mut slow_closed) = admit(&open, 2, 2);
        let slow = slow.expect("admitted");
        slow.asked.store(true, Ordering::Relaxed);
        slow.answering.store(1, Ordering::Relaxed);
        slow.receiving.store(1, Ordering::Relaxed);
        for id in 3..=9 {
            let (c, _) = admit(&open, id, (id + 10) as u8);
            let c = c.expect("admitted");
            c.asked.store(true, Ordering::Relaxed);
            c.answering.store(1, Ordering::Relaxed);
        }
        let (newcomer, _n) = admit(&open, 10, 4);
        assert!(newcomer.is_some());
        assert!(slow_closed.try_recv().is_ok(), "the trickler went first");
        assert!(
            open.lock().connections.contains_key(&1),
            "the idle one stays"
        );
    }

    #[test]
    fn one_address_holds_a_quarter_of_the_cap_a_trusted_proxy_any_number() {
        let open = open(100);
        let mut kept = Vec::new();
        for id in 1..=25 {
            let (c, closed) = admit(&open, id, 9);
            let c = c.expect("within its share");
            c.asked.store(true, Ordering::Relaxed);
            c.answering.store(1, Ordering::Relaxed);
            kept.push((c, closed));
        }
        let (refused, _r) = admit(&open, 26, 9);
        assert!(
            refused.is_none(),
            "all 25 are answering: no room for a 26th"
        );
        kept[0].0.answering.store(0, Ordering::Relaxed);
        let (taken, _t) = admit(&open, 27, 9);
        assert!(taken.is_some(), "its own idle one made room");
        for id in 100..140 {
            let (close, _closed) = oneshot::channel();
            assert!(open.admit(id, IpAddr::from([10, 0, 0, 1]), close).is_some());
        }
    }
}
