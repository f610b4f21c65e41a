//! The event loop: merges terminal events, server replies and ticks, redraws only when
//! something changed, and performs the app's effects with the REST client. Changes go
//! through the outbox: kept in its file before their cue, on the disk itself right after
//! the cue and the frame, then sent in order by the sync worker.

use std::collections::HashSet;
use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::Event;
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::Backend;
use tokio::sync::{Notify, mpsc};
use uuid::Uuid;

use super::app::{App, Effect, Msg, Reply};
use super::cue::CueSink;
use super::label_printer::LabelPrinter;
use super::scan_input::{Input, ScanInput};
use crate::client::{
    Client, ClientError, LocalCache, StoredSession, SyncEvent, TokenStore, run_sync,
};

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("terminal: {0}")]
    Terminal(String),
    #[error("terminal input: {0}")]
    Input(#[from] io::Error),
}

/// Performs effects with the client; each effect sends back exactly one reply.
pub struct Runner {
    client: Client,
    tokens: Option<TokenStore>,
    tx: mpsc::UnboundedSender<Reply>,
    rx: mpsc::UnboundedReceiver<Reply>,
    in_flight: usize,
    /// Of those, changes: kept on disk, waiting for the server's answer.
    changes_in_flight: usize,
    /// Whether to follow the server's event stream while signed in.
    follow: bool,
    feed: Option<tokio::task::JoinHandle<()>>,
    /// Plays cues; `None` where nothing may make a sound (tests).
    cues: Option<Box<dyn CueSink>>,
    printer: LabelPrinter,
    /// Where outboxes are kept (one per server and user); `None`: in memory only.
    cache_dir: Option<PathBuf>,
    outbox: Arc<LocalCache>,
    wake: Arc<Notify>,
    /// A change was kept and is neither on the disk itself nor told to the sync worker:
    /// both wait until the cue is asked for and the frame drawn. The disk's flush took
    /// 0.5–1 ms, and the worker's thread, woken at once, took the CPU from this one for up
    /// to 0.7 ms (BENCHMARKS.md, scan to cue).
    kept_since_flush: bool,
    sync: Option<tokio::task::JoinHandle<()>>,
    /// Changes made in this run and not answered yet: their answers go to the panes.
    live: Arc<Mutex<HashSet<Uuid>>>,
}

impl Runner {
    /// `tokens`: where to keep the sign-in between runs; `None` keeps nothing on disk.
    pub fn new(client: Client, tokens: Option<TokenStore>) -> Runner {
        let (tx, rx) = mpsc::unbounded_channel();
        Runner {
            client,
            tokens,
            tx,
            rx,
            in_flight: 0,
            changes_in_flight: 0,
            follow: false,
            feed: None,
            cues: None,
            printer: LabelPrinter::ScreenOnly,
            cache_dir: None,
            outbox: Arc::new(LocalCache::in_memory()),
            wake: Arc::new(Notify::new()),
            kept_since_flush: false,
            sync: None,
            live: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    /// Keeps each user's outbox in a file under `dir`, so no change is lost when the
    /// console stops before the server has it.
    pub fn with_cache_dir(mut self, dir: PathBuf) -> Runner {
        self.cache_dir = Some(dir);
        self
    }

    pub fn outbox(&self) -> &Arc<LocalCache> {
        &self.outbox
    }

    /// Keeps who is signed in, with their permissions, for the next start.
    pub fn remember_signed_in(&self, me: &crate::api::Me) {
        let kept = serde_json::to_string(me)
            .map_err(|e| e.to_string())
            .and_then(|json| self.outbox.keep_signed_in(&json).map_err(|e| e.to_string()));
        if let Err(e) = kept {
            tracing::warn!(error = %e, "sign-in not kept for the next start");
        }
    }

    /// For a user signed in before the loop starts (a kept session): sends what waits in
    /// their outbox from an earlier run.
    pub fn resume(&mut self, username: &str) {
        self.start_sync(Some(username));
    }

    fn stop_sync(&mut self) {
        if let Some(old) = self.sync.take() {
            old.abort();
        }
    }

    /// Opens the user's outbox (`None`: the one in use) and (re)starts sending from it.
    fn start_sync(&mut self, username: Option<&str>) {
        self.stop_sync();
        if let (Some(dir), Some(username)) = (&self.cache_dir, username) {
            let path = LocalCache::path_for(dir, self.client.base_url(), username);
            match LocalCache::open(&path) {
                Ok(outbox) => self.outbox = Arc::new(outbox),
                Err(e) => tracing::error!(error = %e, "outbox kept in memory only"),
            }
        }
        let (events, mut answers) = mpsc::unbounded_channel::<SyncEvent>();
        let worker = tokio::spawn(run_sync(
            self.client.clone(),
            self.outbox.clone(),
            self.wake.clone(),
            events,
        ));
        let (tx, live) = (self.tx.clone(), self.live.clone());
        self.sync = Some(tokio::spawn(async move {
            let _worker = AbortOnDrop(worker);
            while let Some(event) = answers.recv().await {
                let reply = match event {
                    SyncEvent::Status(status) => Reply::Sync(status),
                    SyncEvent::Catalogue(catalogue) => Reply::Catalogue(catalogue),
                    SyncEvent::Answered { mutation, result } => {
                        let ours = live
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(&mutation.id);
                        // Left from an earlier run: no pane is waiting for it.
                        if !ours {
                            continue;
                        }
                        Reply::Mutated {
                            change: mutation.change,
                            result,
                        }
                    }
                };
                if tx.send(reply).is_err() {
                    return;
                }
            }
        }));
    }

    /// Sends shipping labels to `printer`.
    pub fn with_printer(mut self, printer: LabelPrinter) -> Runner {
        self.printer = printer;
        self
    }

    /// Plays the console's sound cues through `cues`.
    pub fn with_cues(mut self, cues: impl CueSink + 'static) -> Runner {
        self.cues = Some(Box::new(cues));
        self
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// What a loop that waits for answers waits for: everything, except that with the
    /// server away, kept changes are done as far as the person at the terminal is
    /// concerned (they are on disk and on screen; the server hears of them later).
    fn awaited(&self, offline: bool) -> usize {
        if offline {
            self.in_flight - self.changes_in_flight
        } else {
            self.in_flight
        }
    }

    /// Counts a reply off what is in flight.
    fn answered(&mut self, reply: &Reply) {
        if Runner::answers_effect(reply) {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        if let Reply::Mutated { .. } = reply {
            self.changes_in_flight = self.changes_in_flight.saturating_sub(1);
        }
    }

    /// Follows the event stream from now on (and after each sign-in), so lists update live.
    pub fn follow_events(&mut self) {
        self.follow = true;
        self.restart_feed();
    }

    /// (Re)starts following with the current sign-in. It reconnects with the last event id
    /// it saw, after a growing, jittered pause, so nothing is missed and a restarting
    /// server is not stampeded.
    fn restart_feed(&mut self) {
        if let Some(old) = self.feed.take() {
            old.abort();
        }
        if !self.follow || !self.client.has_token() {
            return;
        }
        let client = self.client.clone();
        let tx = self.tx.clone();
        let cache = self.outbox.clone();
        self.feed = Some(tokio::spawn(async move {
            // Where the last run stopped, so a restart misses nothing.
            let mut last: Option<i64> = cache.last_event().ok().flatten();
            let mut pause = Duration::from_secs(1);
            loop {
                match client.follow_events(last).await {
                    Ok(mut feed) => {
                        pause = Duration::from_secs(1);
                        // The position is written at most once a second, a second after
                        // the event: after a crash, that second's events come again (they
                        // only cause reloads); none are missed.
                        let mut due: Option<tokio::time::Instant> = None;
                        loop {
                            let deadline = due.unwrap_or_else(tokio::time::Instant::now);
                            tokio::select! {
                                event = feed.next() => {
                                    let Some(event) = event else { break };
                                    last = Some(event.id);
                                    due.get_or_insert_with(|| {
                                        tokio::time::Instant::now() + EVENT_ID_KEPT_EVERY
                                    });
                                    if tx.send(Reply::Feed(Box::new(event))).is_err() {
                                        return;
                                    }
                                }
                                _ = tokio::time::sleep_until(deadline), if due.is_some() => {
                                    due = None;
                                    keep_last_event(&cache, last).await;
                                }
                            }
                        }
                        keep_last_event(&cache, last).await;
                    }
                    Err(e) if e.is_unauthenticated() => return,
                    Err(e) => tracing::debug!(error = %e, "event stream unavailable"),
                }
                let jitter = Duration::from_millis(rand::random::<u64>() % 500);
                tokio::time::sleep(pause + jitter).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }));
    }

    fn execute(&mut self, effect: Effect) {
        match effect {
            Effect::Cue(cue) => {
                if let Some(cues) = &self.cues {
                    cues.play(cue);
                }
                return;
            }
            Effect::Mute(muted) => {
                if let Some(cues) = &self.cues {
                    cues.set_muted(muted);
                }
                return;
            }
            Effect::PrintLabel { order, zpl } => {
                // The printer on the bench, not the server: no client is needed.
                let (printer, tx) = (self.printer.clone(), self.tx.clone());
                self.in_flight += 1;
                tokio::spawn(async move {
                    let _ = tx.send(Reply::Printed(printer.print(&order, &zpl).await));
                });
                return;
            }
            Effect::Mutate(mutation) => {
                self.in_flight += 1;
                self.changes_in_flight += 1;
                return self.keep(mutation);
            }
            Effect::LoadAttention | Effect::DismissAttention(_) | Effect::SettleRefused(_) => {
                // The terminal's own outbox: answered at once, server or not.
                self.in_flight += 1;
                let dismissed = match &effect {
                    Effect::DismissAttention(id) => self.outbox.dismiss(*id),
                    Effect::SettleRefused(change) => self.outbox.attention().and_then(|items| {
                        items
                            .iter()
                            .filter(|item| &item.mutation.change == change)
                            .try_for_each(|item| self.outbox.dismiss(item.mutation.id))
                    }),
                    _ => Ok(()),
                };
                if let Err(e) = dismissed {
                    let _ = self.tx.send(Reply::Attention(Err(e.to_string())));
                    return;
                }
                let list = self.outbox.attention().map_err(|e| e.to_string());
                let _ = self.tx.send(Reply::Attention(list));
                return;
            }
            _ => {}
        }
        let client = self.client.clone();
        let tx = self.tx.clone();
        if effect == Effect::SignOut {
            // Forget locally at once; telling the server may fail if it is unreachable.
            if let Some(store) = &self.tokens
                && let Err(e) = store.forget(client.base_url())
            {
                tracing::warn!(error = %e, "could not delete the stored session");
            }
            self.client = self.client.clone().without_token();
            self.restart_feed();
        }
        // A read answered before: the kept answer shows at once (the first frame, or while
        // the server is away); the server's answer follows and is kept in turn.
        let key = read_key(&effect);
        let kept = key
            .as_deref()
            .and_then(|k| self.outbox.recall(k).ok().flatten())
            .and_then(|body| kept_reply(&effect, &body));
        let had_kept = kept.is_some();
        if let Some(reply) = kept {
            let _ = tx.send(Reply::Cached(Box::new(reply)));
        }
        let cache = self.outbox.clone();
        self.in_flight += 1;
        tokio::spawn(async move {
            let reply = match effect {
                // Handled above, never sent to the server.
                Effect::Cue(_) | Effect::Mute(_) | Effect::PrintLabel { .. } => return,
                Effect::SignIn { username, password } => Reply::SignedIn(
                    client
                        .login(&username, password.expose())
                        .await
                        .map(Box::new),
                ),
                Effect::SignOut => {
                    if let Err(e) = client.logout().await {
                        tracing::warn!(error = %e, "sign-out not confirmed by the server");
                    }
                    Reply::SignedOut
                }
                Effect::CheckHealth => Reply::Health(client.health().await.map(|_| ())),
                Effect::LoadOrders {
                    request,
                    query,
                    append,
                } => Reply::Orders {
                    request,
                    append,
                    result: client.orders(&query).await,
                },
                Effect::LoadOrder { request, key } => Reply::Order {
                    request,
                    result: client.order(&key).await.map(Box::new),
                },
                Effect::LoadShippingNote { request, key } => Reply::ShippingNote {
                    request,
                    result: client.shipping_note(&key).await,
                },
                Effect::LoadProducts {
                    request,
                    text,
                    cursor,
                    limit,
                    append,
                } => Reply::Products {
                    request,
                    append,
                    result: client.products(&text, cursor.as_deref(), limit).await,
                },
                Effect::RefreshOrder { id } => {
                    Reply::OrderRefreshed(client.order(&id).await.map(Box::new))
                }
                // Kept and sent through the outbox, never from here.
                Effect::Mutate(_)
                | Effect::LoadAttention
                | Effect::DismissAttention(_)
                | Effect::SettleRefused(_) => return,
                Effect::Load { request, lookup } => Reply::Loaded {
                    request,
                    result: client.load(&lookup).await,
                },
                Effect::LoadPackTask { request, code } => Reply::PackTask {
                    request,
                    result: client.pack_task(&code).await,
                },
                Effect::LoadProduct { request, key } => Reply::Product {
                    request,
                    result: client.product(&key).await.map(Box::new),
                },
            };
            let reply = match key {
                Some(key) if answer_body(&reply).is_some() => {
                    // A durable write, off the async threads; kept before it is shown, so
                    // the next start finds what was last on screen.
                    let kept =
                        tokio::task::spawn_blocking(move || keep_answer(&cache, &key, reply));
                    match kept.await {
                        Ok(reply) => reply,
                        Err(e) => Reply::Health(Err(ClientError::Local(e.to_string()))),
                    }
                }
                // The kept answer stands; the header says the server is away.
                Some(_) if had_kept => match reply {
                    Reply::Orders { result: Err(e), .. } | Reply::Loaded { result: Err(e), .. }
                        if e.is_unreachable() =>
                    {
                        Reply::Health(Err(e))
                    }
                    other => other,
                },
                _ => reply,
            };
            let _ = tx.send(reply);
        });
    }

    /// Into the outbox, then the sync worker sends it; a change that cannot be kept is
    /// answered as not taken at once.
    fn keep(&mut self, mutation: crate::client::Mutation) {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(mutation.id);
        if self.sync.is_none() {
            self.start_sync(None);
        }
        match self.outbox.enqueue(&mutation) {
            Ok(()) => self.kept_since_flush = true,
            Err(e) => {
                self.live
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&mutation.id);
                let _ = self.tx.send(Reply::Mutated {
                    change: mutation.change,
                    result: Err(ClientError::Local(e.to_string())),
                });
            }
        }
    }

    /// Puts the changes kept since the last frame on the disk itself, then wakes the sync
    /// worker for them. Should the disk fail, they are still in the outbox's file and go to
    /// the server as usual, and the person at the terminal is told.
    fn flush_kept(&mut self) {
        if !std::mem::take(&mut self.kept_since_flush) {
            return;
        }
        if let Err(e) = self.outbox.flush() {
            tracing::error!(error = %e, "kept changes not confirmed on the disk");
            let _ = self.tx.send(Reply::NotOnDisk(e.to_string()));
        }
        self.wake.notify_one();
    }

    /// Whether a reply answers one of the effects counted in flight (the event stream,
    /// the sync worker's status and kept answers speak on their own).
    fn answers_effect(reply: &Reply) -> bool {
        !matches!(
            reply,
            Reply::Feed(_)
                | Reply::Sync(_)
                | Reply::Cached(_)
                | Reply::Catalogue(_)
                | Reply::NotOnDisk(_)
        )
    }

    /// Keeps the client's token in step with what the server said.
    fn observe(&mut self, reply: &Reply) {
        if let Reply::SignedOut = reply {
            self.stop_sync();
        }
        // The server answers again: what waits need not sit out the rest of its pause.
        if let Reply::Health(Ok(())) = reply {
            self.wake.notify_one();
        }
        if let Reply::SignedIn(Ok(login)) = reply {
            self.client = self.client.clone().with_token(login.token.expose());
            // The user's cache first: the event stream resumes from the position kept there.
            self.start_sync(Some(&login.user.username));
            self.restart_feed();
            self.remember_signed_in(&login.user);
            if let Some(store) = &self.tokens {
                let session = StoredSession {
                    server: self.client.base_url().to_string(),
                    username: login.user.username.clone(),
                    token: login.token.clone(),
                    expires_at: login.expires_at.clone(),
                };
                if let Err(e) = store.save(&session) {
                    tracing::warn!(error = %e, "could not keep the session for the next start");
                }
            }
        }
    }
}

/// The key under which a read's answer is kept: whole reads only, not a next page.
fn read_key(effect: &Effect) -> Option<String> {
    match effect {
        Effect::LoadOrders {
            query,
            append: false,
            ..
        } => Some(query.cache_key()),
        Effect::Load { lookup, .. } => Some(lookup.cache_key()),
        _ => None,
    }
}

/// A kept answer in the shape of the reply to `effect`.
fn kept_reply(effect: &Effect, body: &str) -> Option<Reply> {
    match effect {
        Effect::LoadOrders {
            request, append, ..
        } => serde_json::from_str(body).ok().map(|page| Reply::Orders {
            request: *request,
            append: *append,
            result: Ok(page),
        }),
        Effect::Load { request, .. } => {
            serde_json::from_str(body).ok().map(|loaded| Reply::Loaded {
                request: *request,
                result: Ok(loaded),
            })
        }
        _ => None,
    }
}

/// How often the event stream's position is written to the local cache.
const EVENT_ID_KEPT_EVERY: Duration = Duration::from_secs(1);

async fn keep_last_event(cache: &Arc<LocalCache>, last: Option<i64>) {
    let Some(id) = last else {
        return;
    };
    let cache = cache.clone();
    let kept = tokio::task::spawn_blocking(move || cache.keep_last_event(id)).await;
    if let Err(e) = kept
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()))
    {
        tracing::warn!(error = %e, "event position not kept");
    }
}

/// Keeps a read's answer for the next start, as the server gave it (the cache lays the
/// waiting changes over it when it is recalled), and lays the changes still waiting in the
/// outbox over the answer shown (the server has not heard them yet).
fn keep_answer(cache: &LocalCache, key: &str, mut reply: Reply) -> Reply {
    if let Some(body) = answer_body(&reply)
        && let Err(e) = cache.remember(key, &body)
    {
        tracing::warn!(error = %e, "answer not kept");
    }
    if let Reply::Loaded {
        result: Ok(loaded), ..
    } = &mut reply
        && let Err(e) = cache.overlay_pending(key, loaded)
    {
        tracing::warn!(error = %e, "waiting changes not shown over the answer");
    }
    reply
}

/// What is kept of a read's reply: the server's answer, as JSON.
fn answer_body(reply: &Reply) -> Option<String> {
    match reply {
        Reply::Orders {
            result: Ok(page), ..
        } => serde_json::to_string(page).ok(),
        Reply::Loaded {
            result: Ok(loaded), ..
        } => serde_json::to_string(loaded).ok(),
        _ => None,
    }
}

impl Drop for Runner {
    /// A console that stops stops sending: what it kept waits on disk for the next start.
    fn drop(&mut self) {
        self.stop_sync();
        if let Some(feed) = self.feed.take() {
            feed.abort();
        }
    }
}

/// Stops the sync worker with the task that forwards its answers.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub struct LoopOptions {
    /// How often to check that the server is reachable.
    pub tick: Option<Duration>,
    /// Scripted input (tests): take the next event only when no reply is outstanding.
    pub wait_for_replies: bool,
    /// Tells scans from typing; `None` passes every key on as typed.
    pub scanner: Option<ScanInput>,
}

/// A terminal event through the scan detector: what the app sees, in order.
fn read_event(scanner: &mut Option<ScanInput>, event: Event, at: Instant) -> Vec<Msg> {
    let inputs = match (scanner.as_mut(), event) {
        (Some(s), Event::Key(key)) => s.key(key, at),
        (Some(s), Event::Paste(text)) => s.paste(&text, at),
        (None, Event::Key(key)) => vec![Input::Key(key)],
        (None, Event::Paste(text)) => vec![Input::Scan(text)],
        (_, Event::Resize(_, _)) => return vec![Msg::Resize],
        _ => Vec::new(),
    };
    inputs.into_iter().map(Msg::from).collect()
}

impl From<Input> for Msg {
    fn from(input: Input) -> Msg {
        match input {
            Input::Key(key) => Msg::Key(key),
            Input::Scan(text) => Msg::Scan(text),
        }
    }
}

/// Runs until the app quits or the input ends (and, then, every outstanding reply is in).
pub async fn event_loop<B, S>(
    terminal: &mut Terminal<B>,
    app: &mut App,
    runner: &mut Runner,
    mut events: S,
    initial: Vec<Effect>,
    options: LoopOptions,
) -> Result<(), ConsoleError>
where
    B: Backend,
    B::Error: std::fmt::Display,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    for effect in initial {
        runner.execute(effect);
    }
    let mut tick = options.tick.map(|period| {
        let mut t = tokio::time::interval(period);
        t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        t
    });
    let mut input_done = false;
    let mut scanner = options.scanner;
    loop {
        if app.dirty {
            terminal
                .draw(|f| super::ui::draw(f, app))
                .map_err(|e| ConsoleError::Terminal(e.to_string()))?;
            app.dirty = false;
        }
        runner.flush_kept();
        let awaited = runner.awaited(app.online == Some(false));
        if app.quit || (input_done && awaited == 0) {
            break;
        }
        let waiting = options.wait_for_replies && awaited > 0;
        let may_read = !input_done && !waiting;
        // Keys held back as a possible scan come out when the burst is over.
        let held_until = scanner.as_ref().and_then(ScanInput::deadline);
        let msgs = tokio::select! {
            event = events.next(), if may_read => match event {
                Some(Ok(event)) => read_event(&mut scanner, event, Instant::now()),
                Some(Err(e)) => return Err(ConsoleError::Input(e)),
                None => {
                    input_done = true;
                    // Whatever was held is typing: nothing more will come.
                    scanner.as_mut().map_or_else(Vec::new, ScanInput::finish)
                        .into_iter().map(Msg::from).collect()
                }
            },
            Some(reply) = runner.rx.recv() => {
                runner.answered(&reply);
                runner.observe(&reply);
                vec![Msg::Reply(reply)]
            },
            _ = async {
                match held_until {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending::<()>().await,
                }
            } => scanner.as_mut().map_or_else(Vec::new, |s| s.expire(Instant::now()))
                .into_iter().map(Msg::from).collect(),
            _ = async {
                match tick.as_mut() {
                    Some(t) => { t.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => vec![Msg::Tick],
        };
        for msg in msgs {
            for effect in app.update(msg) {
                runner.execute(effect);
            }
        }
    }
    Ok(())
}

/// Takes over the terminal, runs the loop, and gives the terminal back however it ends
/// (quit, SIGTERM, SIGHUP, or a panic: ratatui's hook restores it first).
pub async fn run_terminal(
    mut app: App,
    mut runner: Runner,
    initial: Vec<Effect>,
    scanner: ScanInput,
) -> Result<(), ConsoleError> {
    let mut terminal = ratatui::try_init().map_err(|e| ConsoleError::Terminal(e.to_string()))?;
    // Scanners (and phone apps) that paste arrive whole, as one scan.
    if let Err(e) = crossterm::execute!(io::stdout(), crossterm::event::EnableBracketedPaste) {
        tracing::warn!(error = %e, "bracketed paste unavailable");
    }
    let events = crossterm::event::EventStream::new();
    runner.follow_events();
    let options = LoopOptions {
        tick: Some(Duration::from_secs(5)),
        wait_for_replies: false,
        scanner: Some(scanner),
    };
    let (result, hung_up) = tokio::select! {
        r = event_loop(&mut terminal, &mut app, &mut runner, events, initial, options) => (r, false),
        signal = hang_up_or_terminate() => {
            tracing::info!(?signal, "console stopped by signal");
            (Ok(()), signal == StopSignal::HangUp)
        }
    };
    if hung_up {
        // The terminal is gone: restoring it, or dropping `Terminal` (which shows the cursor
        // and reports failure on stderr, panicking when stderr is gone too) would abort the
        // process before it cleans up.
        std::mem::forget(terminal);
    } else {
        let _ = crossterm::execute!(io::stdout(), crossterm::event::DisableBracketedPaste);
        ratatui::restore();
    }
    result
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopSignal {
    Terminate,
    HangUp,
}

async fn hang_up_or_terminate() -> StopSignal {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) {
            (Ok(mut term), Ok(mut hup)) => {
                tokio::select! {
                    _ = term.recv() => StopSignal::Terminate,
                    _ = hup.recv() => StopSignal::HangUp,
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    std::future::pending().await
}
