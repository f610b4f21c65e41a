//! The console's figures (issue 8), each beside a limit measured in the same run:
//!
//! - scan to cue: key bursts as a USB scanner types them (a 13-digit EAN and Enter, 8 ms per
//!   key) through the console's own event loop and scan detector into the pick pane, with
//!   the pick list and the catalogue in the local cache on disk and the server unreachable;
//! - order queue frame: the order queue pane at 200×50 with 100k and with 1M orders in its
//!   model, scrolling a row per frame, beside a bare ratatui `Table` of the rows on screen;
//! - console memory and warm start: the `backroom` binary itself on a pseudo-terminal,
//!   started `--offline` on a kept session and a full local cache, beside a bare ratatui +
//!   tokio binary (`examples/bare_console.rs`) started the same way.
//!
//! `cargo bench --bench console`; `BENCH_RUNS` and `BENCH_SCALE` make it shorter, and
//! `cargo bench --bench console -- scan process frame` runs only the parts named.

mod support;

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use backroom::api::{
    CatalogChanges, CatalogProduct, Location, Me, MoneyBody, OrderSummary, Page, PickLine,
    PickList, PickListOrder, Secret,
};
use backroom::client::{Client, Loaded, LocalCache, Lookup, OrderQuery, StoredSession, TokenStore};
use backroom::console::app::{App, Effect, PaneKind};
use backroom::console::cue::{Cue, CueSink};
use backroom::console::keymap::{Action, Keymap};
use backroom::console::orders::{Clock, OrdersPane};
use backroom::console::run::{LoopOptions, Runner, event_loop};
use backroom::console::scan_input::ScanInput;
use backroom::console::theme::Theme;
use backroom::domain::barcode::{KeyboardWedge, complete_ean13};
use backroom::domain::money::{Currency, Money};
use backroom::domain::order::OrderStatus;
use backroom::domain::role::Role;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Constraint, Position, Size};
use ratatui::widgets::{Row, Table};
use support::{Goal, Samples, Table as Figures, quantile_ms, runs, scaled};
use tokio::sync::mpsc;

/// Products in the catalogue kept on the terminal, as the issue sets them.
const PRODUCTS: usize = 10_000;
/// How a USB scanner types: one key every 8 ms.
const KEY_GAP: Duration = Duration::from_millis(8);
/// From one scan's Enter to the next scan's first key: a quick picker, and long enough for
/// the scan detector to tell the bursts apart.
const BETWEEN_SCANS: Duration = Duration::from_millis(60);
/// For a start to settle: the kept answers and the catalogue are in well before this.
const SETTLE: Duration = Duration::from_secs(1);
/// The terminal size of the order queue figures and of the real process.
const WIDE: (u16, u16) = (200, 50);

fn me(role: Role) -> Me {
    Me {
        id: format!("u-{}", role.as_str()),
        username: role.as_str().into(),
        display_name: "Morgan Reyes".into(),
        role: role.as_str().into(),
        permissions: role
            .permissions()
            .iter()
            .map(|p| p.as_str().to_string())
            .collect(),
    }
}

fn app(server: &str) -> App {
    App::new(
        Keymap::load("default", None).expect("the built-in keymap"),
        Theme::load("default", None).expect("the built-in theme"),
        server,
        None,
    )
}

/// A server address where nothing listens: the port was free a moment ago.
fn unreachable_server() -> Client {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    Client::new(&format!("http://127.0.0.1:{port}")).unwrap()
}

fn ean(product: usize) -> String {
    complete_ean13(&format!("400638{product:06}")).expect("12 digits")
}

fn sku(product: usize) -> String {
    format!("SKU-{product:05}")
}

fn location(i: usize) -> String {
    format!("A-{:02}-{:02}", 1 + i / 25 % 40, 1 + i % 25)
}

/// The whole catalogue as the feed would bring it: products and a thousand bins.
fn catalogue() -> CatalogChanges {
    CatalogChanges {
        products: (0..PRODUCTS)
            .map(|i| CatalogProduct {
                sku: sku(i),
                name: format!("Alishan oolong, {} g, batch {i}", 50 + i % 200),
                category: "tea".into(),
                barcode: Some(ean(i)),
                active: true,
            })
            .collect(),
        locations: (0..1_000)
            .map(|i| Location {
                id: format!("loc-{i}"),
                code: location(i),
                zone: "A".into(),
                kind: "bin".into(),
            })
            .collect(),
        cursor: PRODUCTS as i64,
        more: false,
    }
}

fn eur(minor: i64) -> MoneyBody {
    MoneyBody::from(Money::new(minor, Currency::EUR))
}

const NAMES: [&str; 8] = [
    "Lena Weber",
    "Chen Wei-Lin",
    "Priya Natarajan",
    "Mateo García",
    "Chloé Dubois",
    "Lars Nilsson",
    "Aiko Tanaka",
    "Olusegun Adeyemi",
];

/// `n` orders, newest first, numbered down from `SO-{n}`.
fn orders(n: usize) -> Vec<OrderSummary> {
    let now = jiff::Timestamp::now();
    (0..n)
        .map(|i| {
            let status = OrderStatus::ALL[i % OrderStatus::ALL.len()];
            let created = now - jiff::SignedDuration::from_secs(60 * i as i64);
            OrderSummary {
                id: format!("0193a5b0-0000-7000-8000-{:012}", n - i),
                number: format!("SO-{:06}", n - i),
                channel: "web".into(),
                customer_name: NAMES[i % NAMES.len()].into(),
                status: status.as_str().into(),
                item_count: (i % 4 + 1) as i64,
                total: eur(1290 + 735 * (i % 100) as i64),
                created_at: created.to_string(),
                queue: Some("warehouse".into()),
                priority: "normal".into(),
                ship_by: Some((created + jiff::SignedDuration::from_hours(24)).to_string()),
                tags: if i % 5 == 0 {
                    vec!["vip".into()]
                } else {
                    Vec::new()
                },
                shipment_state: None,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Scan to cue

/// The cues the runner asks for, each with when it asked.
#[derive(Clone, Default)]
struct HeardCues(Arc<Mutex<Vec<(Instant, Cue)>>>);

impl CueSink for HeardCues {
    fn play(&self, cue: Cue) {
        self.0.lock().unwrap().push((Instant::now(), cue));
    }

    fn set_muted(&self, _muted: bool) {}
}

/// A test terminal that notes when each frame has reached it.
struct TimedFrames {
    screen: TestBackend,
    frames: Arc<Mutex<Vec<Instant>>>,
}

impl Backend for TimedFrames {
    type Error = <TestBackend as Backend>::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.screen.draw(content)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.screen.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.screen.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.screen.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.screen.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.screen.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.screen.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.screen.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.screen.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.screen.flush()?;
        self.frames.lock().unwrap().push(Instant::now());
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ScanKind {
    Location,
    /// One unit of the line in hand, more to come: a cue and the count on screen.
    Unit,
    /// The last unit: the line is done, and the change is kept in the outbox first.
    LineDone,
}

/// A pick list of `lines` lines in walk order, one to three units each.
fn pick_list(lines: usize) -> PickList {
    PickList {
        id: "pl-bench".into(),
        number: "PL-000001".into(),
        mode: "single".into(),
        state: "claimed".into(),
        picker: Some("warehouse".into()),
        created_at: "2026-11-25T08:00:00Z".into(),
        claimed_at: Some("2026-11-25T08:01:00Z".into()),
        finished_at: None,
        orders: vec![PickListOrder {
            id: "o-1".into(),
            number: "SO-000001".into(),
            slot: 1,
            status: "picking".into(),
            tote: None,
        }],
        lines: (0..lines)
            .map(|i| {
                let product = i * 7 % PRODUCTS;
                PickLine {
                    seq: i as i64 + 1,
                    order: "SO-000001".into(),
                    slot: 1,
                    line_no: i as i64 + 1,
                    sku: sku(product),
                    name: format!("Alishan oolong, batch {product}"),
                    barcode: Some(ean(product)),
                    lot_tracked: false,
                    location: location(i),
                    qty: 1 + (i % 3) as i64,
                    picked: 0,
                    short: 0,
                    state: "open".into(),
                    lots: Vec::new(),
                }
            })
            .collect(),
    }
}

/// Every scan that picks `list` whole: each line's bin, then its units.
fn scans_for(list: &PickList) -> Vec<(String, ScanKind)> {
    let mut scans = Vec::new();
    for line in &list.lines {
        scans.push((line.location.clone(), ScanKind::Location));
        let barcode = line.barcode.clone().unwrap_or_default();
        for unit in 1..=line.qty {
            let kind = if unit == line.qty {
                ScanKind::LineDone
            } else {
                ScanKind::Unit
            };
            scans.push((barcode.clone(), kind));
        }
    }
    scans
}

fn key(code: KeyCode, mods: KeyModifiers) -> io::Result<Event> {
    Ok(Event::Key(KeyEvent::new(code, mods)))
}

/// What the scanner typed: when each scan's Enter was handed over, and whether the scanner
/// itself fell behind its pace within a burst.
struct Typed {
    entered: Vec<(Instant, ScanKind)>,
    stalled: bool,
}

/// Types each scan as the scanner would, then quits. On a thread of its own, as a scanner
/// is: the console's runtime being busy must not make the keys come late.
fn type_scans(
    keys: mpsc::UnboundedSender<io::Result<Event>>,
    scans: Vec<(String, ScanKind)>,
) -> Typed {
    // A gap this long between two keys makes the scan detector take the burst for typing.
    let too_late = Duration::from_millis(KeyboardWedge::default().max_key_gap_ms.into());
    let press = |code| keys.send(key(code, KeyModifiers::NONE)).unwrap();
    std::thread::sleep(SETTLE);
    let mut typed = Typed {
        entered: Vec::with_capacity(scans.len()),
        stalled: false,
    };
    for (code, kind) in scans {
        let mut previous: Option<Instant> = None;
        for key in code.chars().map(KeyCode::Char).chain([KeyCode::Enter]) {
            let now = Instant::now();
            typed.stalled |= previous.is_some_and(|p| now - p >= too_late);
            previous = Some(now);
            press(key);
            if key == KeyCode::Enter {
                typed.entered.push((now, kind));
            } else {
                std::thread::sleep(KEY_GAP);
            }
        }
        std::thread::sleep(BETWEEN_SCANS);
    }
    keys.send(key(KeyCode::Char('c'), KeyModifiers::CONTROL))
        .unwrap();
    typed
}

/// Latencies of one run, from each EAN scan's Enter.
#[derive(Default)]
struct ScanRun {
    /// To the cue asked for: every EAN scan.
    cue: Vec<Duration>,
    /// To the first frame after the cue: the count or the next line on screen.
    frame: Vec<Duration>,
    /// To the cue, for scans that kept a change in the outbox first.
    cue_kept: Vec<Duration>,
    /// Bare durable commits beside the console's cache, as many as scans kept a change:
    /// what the flush that follows a kept change's cue costs on this disk.
    commit: Vec<Duration>,
}

/// Single-row commits, each durable (WAL, `synchronous=FULL`), in `dir` and paced like
/// scans: what a cue that waited for the disk would cost at least.
fn durable_commits(dir: &Path, n: usize) -> Vec<Duration> {
    let conn = rusqlite::Connection::open(dir.join("bare-commits.sqlite")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
        .unwrap();
    let mut insert = conn.prepare("INSERT INTO t (body) VALUES (?1)").unwrap();
    (0..n)
        .map(|i| {
            std::thread::sleep(BETWEEN_SCANS);
            let started = Instant::now();
            insert.execute([format!("change {i}")]).unwrap();
            started.elapsed()
        })
        .collect()
}

/// One console picking a list of `lines` lines through its real loop, offline, with its
/// local cache in `dir`; `None` when the machine held the scanner up mid-burst.
async fn scan_run(lines: usize, catalogue: &CatalogChanges, dir: &Path) -> Option<ScanRun> {
    let client = unreachable_server();
    let list = pick_list(lines);
    {
        let path = LocalCache::path_for(dir, client.base_url(), "warehouse");
        let cache = LocalCache::open(&path).unwrap();
        cache.keep_catalog(catalogue).unwrap();
        let kept = Loaded::HeldPickList(Some(Box::new(list.clone())));
        cache
            .remember(
                &Lookup::HeldPickList.cache_key(),
                &serde_json::to_string(&kept).unwrap(),
            )
            .unwrap();
    }
    let heard = HeardCues::default();
    let mut runner = Runner::new(client.clone().with_token("kept-session"), None)
        .with_cache_dir(dir.to_path_buf())
        .with_cues(heard.clone());
    runner.resume("warehouse");
    runner.follow_events();
    let mut app = app(client.base_url());
    let initial = app.signed_in(me(Role::Warehouse));
    let frames = Arc::new(Mutex::new(Vec::new()));
    let mut terminal = Terminal::new(TimedFrames {
        screen: TestBackend::new(80, 24),
        frames: frames.clone(),
    })
    .unwrap();
    let (keys, typed) = mpsc::unbounded_channel();
    let events = Box::pin(futures_util::stream::unfold(
        typed,
        |mut typed| async move { typed.recv().await.map(|event| (event, typed)) },
    ));
    let scans = scans_for(&list);
    let typist = std::thread::spawn(move || type_scans(keys, scans));
    let options = LoopOptions {
        tick: Some(Duration::from_secs(5)),
        wait_for_replies: false,
        scanner: Some(ScanInput::from_settings(&KeyboardWedge::default()).unwrap()),
    };
    event_loop(
        &mut terminal,
        &mut app,
        &mut runner,
        events,
        initial,
        options,
    )
    .await
    .unwrap();
    let typed = typist.join().unwrap();
    if typed.stalled {
        return None;
    }

    let screen = terminal.backend().screen.to_string();
    let heard = heard.0.lock().unwrap().clone();
    let frames = frames.lock().unwrap().clone();
    let mut run = ScanRun::default();
    for (i, (at, kind)) in typed.entered.into_iter().enumerate() {
        let expected = match kind {
            ScanKind::LineDone => Cue::Done,
            ScanKind::Location | ScanKind::Unit => Cue::Ok,
        };
        let Some(&(cued, cue)) = heard.iter().find(|(t, _)| *t >= at) else {
            panic!("scan {i} ({kind:?}) got no cue:\n{screen}");
        };
        // The scanner kept its pace (checked above): a burst taken for typing means the
        // console read its keys more than the detector's gap apart.
        assert_eq!(cue, expected, "scan {i} ({kind:?}):\n{screen}");
        let shown = *frames
            .iter()
            .find(|t| **t >= cued)
            .expect("every scan is shown");
        if kind == ScanKind::Location {
            continue;
        }
        run.cue.push(cued - at);
        run.frame.push(shown - at);
        if kind == ScanKind::LineDone {
            run.cue_kept.push(cued - at);
        }
    }
    let pick = &app.workspace().expect("signed in").pick;
    let done = pick
        .list
        .as_ref()
        .is_some_and(|l| l.lines.iter().all(|l| l.state == "picked"));
    assert!(done, "every line is picked through the scans:\n{screen}");
    Some(run)
}

fn scan_to_cue(catalogue: &CatalogChanges, runtime: &tokio::runtime::Runtime) -> Figures {
    // Two units a line on average: about two EAN scans per line.
    let lines = scaled(120).div_ceil(2);
    let mut figures = [(); 7].map(|_| Samples::default());
    let mut scans = 0;
    for _ in 0..runs() {
        let (dir, mut run) = (0..5)
            .find_map(|_| {
                let dir = tempfile::tempdir().unwrap();
                let run = runtime.block_on(scan_run(lines, catalogue, dir.path()));
                if run.is_none() {
                    eprintln!("scan to cue: the machine held the scanner up; once more");
                }
                run.map(|run| (dir, run))
            })
            .expect("the machine held the scanner up five times in a row: too busy to measure");
        // Once the console is gone, so that nothing else writes to the disk meanwhile.
        run.commit = durable_commits(dir.path(), run.cue_kept.len());
        scans = run.cue.len();
        figures[0].push(quantile_ms(&mut run.cue, 0.5));
        figures[1].push(quantile_ms(&mut run.cue, 0.99));
        figures[2].push(quantile_ms(&mut run.frame, 0.99));
        figures[3].push(quantile_ms(&mut run.cue_kept, 0.5));
        figures[4].push(quantile_ms(&mut run.commit, 0.5));
        figures[5].push(quantile_ms(&mut run.cue_kept, 0.99));
        figures[6].push(quantile_ms(&mut run.commit, 0.99));
    }
    let [
        cue_p50,
        cue_p99,
        frame_p99,
        kept_p50,
        commit_p50,
        kept_p99,
        commit_p99,
    ] = figures;
    let mut table = Figures::new(&format!(
        "Scan to cue: {scans} EAN scans per run (8 ms per key) into the pick pane, offline, \
         {PRODUCTS} products cached"
    ));
    table.add("scan to cue p50", "ms", cue_p50, None, Goal::None, "—");
    table.add(
        "scan to cue p99",
        "ms",
        cue_p99,
        None,
        Goal::AtMost(1.0),
        "≤ 1 ms",
    );
    table.add(
        "scan to cue and frame p99",
        "ms",
        frame_p99,
        None,
        Goal::AtMost(1.0),
        "≤ 1 ms",
    );
    table.add(
        "scan to cue p50, line done (outbox row written first)",
        "ms",
        kept_p50,
        Some(("bare durable commit p50, same disk (ms)", commit_p50)),
        Goal::None,
        "—",
    );
    table.add(
        "scan to cue p99, line done (outbox row written first)",
        "ms",
        kept_p99,
        Some(("bare durable commit p99, same disk (ms)", commit_p99)),
        Goal::None,
        "—",
    );
    table
}

// ---------------------------------------------------------------------------------------
// Order queue frame

/// Frame times of the order queue pane scrolling a row per frame from the middle.
fn queue_frames(pane: &mut OrdersPane, theme: &Theme, frames: usize) -> Vec<Duration> {
    let mut terminal = Terminal::new(TestBackend::new(WIDE.0, WIDE.1)).unwrap();
    let tz = jiff::tz::TimeZone::UTC;
    let clock = Clock {
        tz: &tz,
        now: jiff::Timestamp::now(),
    };
    let mut ids = 0;
    pane.cursor.reset();
    pane.cursor.selected = pane.rows.len() / 2;
    let mut times = Vec::with_capacity(frames);
    for _ in 0..frames {
        let started = Instant::now();
        pane.on_action(Action::CursorDown, &mut ids);
        terminal
            .draw(|f| pane.render(f, f.area(), theme, false, &clock, true))
            .unwrap();
        times.push(started.elapsed());
    }
    times
}

/// Frame times of a bare ratatui `Table` of the rows on screen, text made beforehand,
/// scrolling a row per frame.
fn bare_frames(rows: &[[String; 8]], frames: usize) -> Vec<Duration> {
    let mut terminal = Terminal::new(TestBackend::new(WIDE.0, WIDE.1)).unwrap();
    let visible = usize::from(WIDE.1);
    let widths = [
        Constraint::Length(9),
        Constraint::Length(4),
        Constraint::Length(11),
        Constraint::Fill(1),
        Constraint::Length(13),
        Constraint::Length(5),
        Constraint::Length(3),
        Constraint::Length(10),
    ];
    let mut times = Vec::with_capacity(frames);
    for frame in 0..frames {
        let started = Instant::now();
        let top = frame % (rows.len() - visible);
        let table = Table::new(
            rows[top..top + visible]
                .iter()
                .map(|cells| Row::new(cells.iter().map(String::as_str))),
            widths,
        )
        .header(Row::new([
            "Order", "Age", "Ship by", "Customer", "Status", "Queue", "Qty", "Total",
        ]));
        terminal.draw(|f| f.render_widget(table, f.area())).unwrap();
        times.push(started.elapsed());
    }
    times
}

/// The text of the bare table's rows, as the pane would show them.
fn bare_rows(orders: &[OrderSummary]) -> Vec<[String; 8]> {
    orders
        .iter()
        .map(|o| {
            [
                o.number.clone(),
                "3h".into(),
                "11-26 14:03".into(),
                o.customer_name.clone(),
                o.status.clone(),
                "WH".into(),
                o.item_count.to_string(),
                format!(
                    "€{}.{:02}",
                    o.total.amount_minor / 100,
                    o.total.amount_minor % 100
                ),
            ]
        })
        .collect()
}

/// Resident memory of this process, in MB.
fn own_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status_kb(&status, "VmRSS:") as f64 / 1024.0
}

/// The order queue frame at 100k and 1M orders; with it, what 100k orders in the pane's
/// model cost in memory.
fn order_queue_frame(theme: &Theme) -> Figures {
    let (small, large) = (scaled(100_000), scaled(1_000_000));
    let frames = scaled(2_000);
    let before = own_rss_mb();
    let mut large_pane = OrdersPane::default();
    large_pane.rows = orders(large);
    let mut model = Samples::default();
    model.push((own_rss_mb() - before) * 100_000.0 / large as f64);
    let mut small_pane = OrdersPane::default();
    small_pane.rows = large_pane.rows[..small].to_vec();
    for pane in [&mut large_pane, &mut small_pane] {
        pane.loaded = true;
    }
    let bare = bare_rows(&orders(1_000));
    let mut figures = [(); 5].map(|_| Samples::default());
    for _ in 0..runs() {
        let mut times = bare_frames(&bare, frames);
        figures[0].push(quantile_ms(&mut times, 0.5));
        let mut times = queue_frames(&mut small_pane, theme, frames);
        figures[1].push(quantile_ms(&mut times, 0.5));
        figures[2].push(quantile_ms(&mut times, 0.99));
        let mut times = queue_frames(&mut large_pane, theme, frames);
        figures[3].push(quantile_ms(&mut times, 0.5));
        figures[4].push(quantile_ms(&mut times, 0.99));
    }
    let [bare, small_p50, small_p99, large_p50, large_p99] = figures;
    let mut table = Figures::new(&format!(
        "Order queue frame: {}×{}, {frames} frames per run, a row per frame",
        WIDE.0, WIDE.1
    ));
    let bare_limit = format!("bare ratatui Table of {} rows (ms)", WIDE.1);
    table.add(
        &format!("order queue frame p50, {small} orders"),
        "ms",
        small_p50.clone(),
        Some((&bare_limit, bare.clone())),
        Goal::RatioAtMost(2.0),
        "≤ 2× bare table",
    );
    table.add(
        &format!("order queue frame p50, {large} orders"),
        "ms",
        large_p50.clone(),
        Some((&bare_limit, bare)),
        Goal::RatioAtMost(2.0),
        "≤ 2× bare table",
    );
    table.add(
        &format!("order queue frame p50, {large} orders"),
        "ms",
        large_p50,
        Some((&format!("the same at {small} orders (ms)"), small_p50)),
        Goal::RatioAtMost(1.2),
        "the same as at 100k (≤ 1.2×)",
    );
    table.add(
        &format!("order queue frame p99, {small} orders"),
        "ms",
        small_p99,
        None,
        Goal::None,
        "—",
    );
    table.add(
        &format!("order queue frame p99, {large} orders"),
        "ms",
        large_p99,
        None,
        Goal::None,
        "—",
    );
    table.add(
        &format!("order queue model: 100k orders in the pane (measured over {large}, once)"),
        "MB",
        model,
        None,
        Goal::None,
        "—",
    );
    table
}

// ---------------------------------------------------------------------------------------
// Console memory and warm start: real processes on a pseudo-terminal

/// A program on a pseudo-terminal of its own, with what it wrote there read as it came.
struct OnTerminal {
    child: Child,
    master: File,
    /// When `marker` first appeared on the screen.
    seen: std::sync::mpsc::Receiver<Instant>,
    output: std::thread::JoinHandle<Vec<u8>>,
}

/// A pseudo-terminal of `cols`×`rows`: its master, and its terminal end for the child.
fn open_pty(cols: u16, rows: u16) -> io::Result<(File, OwnedFd)> {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let terminal = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )?;
    rustix::termios::tcsetwinsize(
        &master,
        rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )?;
    Ok((File::from(master), terminal))
}

/// Starts `command` on a new pseudo-terminal, as its controlling terminal (the console reads
/// its keys and size from /dev/tty); `marker` is the text that says the first frame is up.
fn start_on_terminal(mut command: Command, marker: &str) -> (Instant, OnTerminal) {
    let (master, terminal) = open_pty(WIDE.0, WIDE.1).unwrap();
    command
        .stdin(Stdio::from(terminal.try_clone().unwrap()))
        .stdout(Stdio::from(terminal.try_clone().unwrap()))
        .stderr(Stdio::from(terminal));
    // SAFETY: only system calls between fork and exec, no allocation.
    unsafe {
        command.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(BorrowedFd::borrow_raw(0))?;
            Ok(())
        });
    }
    let (tell, seen) = std::sync::mpsc::channel();
    let mut reader = master.try_clone().unwrap();
    let marker = marker.as_bytes().to_vec();
    let started = Instant::now();
    let child = command.spawn().unwrap();
    // The terminal ends held by `command` close with it, so the reader sees the end.
    drop(command);
    let output = std::thread::spawn(move || {
        let mut screen = Vec::new();
        let mut buf = [0u8; 65536];
        let mut told = false;
        // EIO once the program and its terminal are gone.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            let from = screen.len().saturating_sub(marker.len());
            screen.extend_from_slice(&buf[..n]);
            if !told && screen[from..].windows(marker.len()).any(|w| w == marker) {
                told = true;
                let _ = tell.send(Instant::now());
            }
        }
        screen
    });
    (
        started,
        OnTerminal {
            child,
            master,
            seen,
            output,
        },
    )
}

fn status_kb(status: &str, field: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// What one start of a program showed.
struct Started {
    to_first_frame: Duration,
    rss_mb: f64,
    hwm_mb: f64,
    anon_mb: f64,
}

/// Starts `command`, waits for `marker` on its screen, lets it settle, reads its memory,
/// and quits it with `quit`.
fn measure_start(command: Command, marker: &str, quit: &[u8]) -> Started {
    let (started, mut on) = start_on_terminal(command, marker);
    let pid = on.child.id();
    let shown = match on.seen.recv_timeout(Duration::from_secs(30)) {
        Ok(at) => at,
        Err(_) => {
            let _ = on.child.kill();
            let _ = on.child.wait();
            drop(on.master);
            let screen = on.output.join().unwrap_or_default();
            panic!(
                "no {marker:?} on the screen; it showed:\n{}",
                String::from_utf8_lossy(&screen)
            );
        }
    };
    // What it holds once at work: the catalogue read, the first answers in.
    std::thread::sleep(SETTLE);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let mb = |field| status_kb(&status, field) as f64 / 1024.0;
    let figures = Started {
        to_first_frame: shown - started,
        rss_mb: mb("VmRSS:"),
        hwm_mb: mb("VmHWM:"),
        anon_mb: mb("RssAnon:"),
    };
    on.master.write_all(quit).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while on.child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = on.child.kill();
            panic!("{marker:?}: did not quit on its key");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(on.master);
    let _ = on.output.join();
    figures
}

/// A home and a cache directory for the console, as one that has worked with the server:
/// a kept session for `ops`, who they are, the catalogue, and the order queue's answers.
/// Returns the server's address and the newest kept order, which the first frame shows.
fn prepare_home(root: &Path, catalogue: &CatalogChanges, orders_cached: usize) -> (String, String) {
    let client = unreachable_server();
    let server = client.base_url().to_string();
    let home = root.join("home");
    // Where `backroom console` looks for it: the user's cache directory under $HOME.
    TokenStore::new(home.join(".cache/backroom/sessions"))
        .save(&StoredSession {
            server: server.clone(),
            username: "ops".into(),
            token: Secret::new("kept-session"),
            expires_at: "2099-01-01T00:00:00Z".into(),
        })
        .unwrap();
    let cache =
        LocalCache::open(&LocalCache::path_for(&root.join("cache"), &server, "ops")).unwrap();
    let ops = me(Role::Ops);
    cache
        .keep_signed_in(&serde_json::to_string(&ops).unwrap())
        .unwrap();
    cache.keep_catalog(catalogue).unwrap();
    // The cache keeps no order table: it keeps the answer to each read, up to 500 of them,
    // and the order queue's answer is its first page. So 100k orders are 500 pages: the
    // queue's own first read (what a warm start shows), and searches made before.
    let mut app = app(&server);
    let first_read = app
        .signed_in(ops)
        .into_iter()
        .find_map(|effect| match effect {
            Effect::LoadOrders { query, .. } => Some(query),
            _ => None,
        })
        .expect("the order queue reads on start");
    assert!(matches!(
        app.workspace().map(|w| w.active),
        Some(PaneKind::Orders)
    ));
    let page_size = first_read.limit as usize;
    let all = orders(orders_cached.max(page_size));
    let newest = all[0].number.clone();
    for (i, page) in all.chunks(page_size).enumerate().rev() {
        let query = if i == 0 {
            first_read.clone()
        } else {
            OrderQuery {
                text: format!("search {i}"),
                ..first_read.clone()
            }
        };
        let answer = Page {
            items: page.to_vec(),
            next_cursor: Some(format!("cursor-{i}")),
        };
        cache
            .remember(&query.cache_key(), &serde_json::to_string(&answer).unwrap())
            .unwrap();
    }
    (server, newest)
}

/// What the bare binary's one frame says; without spaces, which the first frame skips (the
/// screen is blank there already).
const BARE_MARKER: &str = "bare_console";

/// The example binary, built as this bench is.
fn bare_console() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let built = Command::new(cargo)
        .args([
            "build",
            "--manifest-path",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
            "--profile",
            "bench",
            "--example",
            "bare_console",
            "--message-format=json",
        ])
        .stderr(Stdio::inherit())
        .output()
        .unwrap();
    assert!(built.status.success(), "building examples/bare_console.rs");
    String::from_utf8_lossy(&built.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["target"]["name"] == "bare_console")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the example's executable")
}

fn plain_env(command: &mut Command, home: &Path) {
    command
        .env_clear()
        .env("HOME", home)
        .env("TERM", "xterm-256color");
    if let Some(path) = std::env::var_os("PATH") {
        command.env("PATH", path);
    }
}

fn console_process(catalogue: &CatalogChanges) -> Figures {
    let orders_cached = scaled(100_000);
    let root = tempfile::tempdir().unwrap();
    let (server, newest) = prepare_home(root.path(), catalogue, orders_cached);
    let home = root.path().join("home");
    let cache_dir = root.path().join("cache");
    let cache_mb = std::fs::metadata(LocalCache::path_for(&cache_dir, &server, "ops"))
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(f64::NAN);
    let bare = bare_console();
    let console = || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_backroom"));
        plain_env(&mut command, &home);
        command.env("BACKROOM_CACHE_DIR", &cache_dir).args([
            "console",
            "--offline",
            "--server",
            &server,
        ]);
        command
    };
    let bare_command = || {
        let mut command = Command::new(&bare);
        plain_env(&mut command, &home);
        command
    };
    // Once each first, not counted: both start with their files in the page cache.
    measure_start(bare_command(), BARE_MARKER, b"q");
    measure_start(console(), &newest, b"\x03");
    let mut figures = [(); 7].map(|_| Samples::default());
    for _ in 0..runs() {
        let b = measure_start(bare_command(), BARE_MARKER, b"q");
        let c = measure_start(console(), &newest, b"\x03");
        figures[0].push(c.to_first_frame.as_secs_f64() * 1000.0);
        figures[1].push(b.to_first_frame.as_secs_f64() * 1000.0);
        figures[2].push(c.rss_mb);
        figures[3].push(b.rss_mb);
        figures[4].push(c.hwm_mb);
        figures[5].push(b.hwm_mb);
        figures[6].push(c.anon_mb);
    }
    let [warm, bare_start, rss, bare_rss, hwm, bare_hwm, anon] = figures;
    let mut table = Figures::new(&format!(
        "Console process: `backroom console --offline` at {}×{} on a pseudo-terminal, \
         server unreachable; cache of {orders_cached} orders in kept answers and {PRODUCTS} \
         products ({cache_mb:.0} MB on disk)",
        WIDE.0, WIDE.1
    ));
    table.add(
        "warm start: process start to the order queue's first frame",
        "ms",
        warm,
        Some((
            "bare ratatui + tokio binary, start to first frame (ms)",
            bare_start,
        )),
        Goal::AtMost(50.0),
        "≤ 50 ms",
    );
    table.add(
        "console memory: VmRSS once showing",
        "MB",
        rss,
        Some(("bare binary VmRSS (MB)", bare_rss)),
        Goal::AtMost(60.0),
        "≤ 60 MB",
    );
    table.add(
        "console memory: VmHWM (peak)",
        "MB",
        hwm,
        Some(("bare binary VmHWM (MB)", bare_hwm)),
        Goal::AtMost(60.0),
        "≤ 60 MB",
    );
    table.add(
        "console memory: RssAnon (heap and stacks)",
        "MB",
        anon,
        None,
        Goal::None,
        "—",
    );
    table
}

fn main() {
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let runs_part = |part: &str| wanted.is_empty() || wanted.iter().any(|w| w == part);
    // As the console runs: tokio's multi-threaded runtime, one worker per core.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let catalogue = catalogue();
    if runs_part("scan") {
        scan_to_cue(&catalogue, &runtime).print();
    }
    // Before the frames' million orders: this process forks each start, and a fork costs
    // more the more memory it has.
    if runs_part("process") {
        console_process(&catalogue).print();
    }
    if runs_part("frame") {
        order_queue_frame(&Theme::load("default", None).unwrap()).print();
    }
}
