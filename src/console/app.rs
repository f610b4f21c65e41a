//! The console as a state machine: messages in (keys, server replies, ticks), effects out
//! (requests for the runner to perform). The terminal loop and the tests drive the same
//! `App::update`.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::tz::TimeZone;

use super::complaints::ComplaintsPane;
use super::cue::Cue;
use super::keymap::{Action, Context, Key, Keymap};
use super::order_change::{OrderChange, Step};
use super::orders::OrdersPane;
use super::pack::PackPane;
use super::palette::{Command, Palette};
use super::pick::PickPane;
use super::products::ProductsPane;
use super::replenishment::ReplenishmentPane;
use super::signin::SignIn;
use super::stock::StockPane;
use super::stocktake::StocktakePane;
use super::theme::Theme;
use crate::api::{
    LoginResponse, Me, OrderDetail, OrderSummary, PackTask, Page, Product, ProductDetail,
};
use crate::client::{Applied, Change, ClientError, Loaded, Lookup, Mutation, OrderQuery};
use crate::domain::barcode::{Reading, Scan, ScanKind, ScanSettings, read_scan};
use crate::domain::order::OrderStatus;
use crate::domain::role::{Permission, READ_TICKETS};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// One code from the barcode scanner, as the scan detector told it from typing.
    Scan(String),
    Reply(Reply),
    /// Periodic: time to check that the server is reachable.
    Tick,
    Resize,
}

/// Work for the runner; each one answers with exactly one `Reply`.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    SignIn {
        username: String,
        password: crate::api::Secret,
    },
    SignOut,
    CheckHealth,
    LoadOrders {
        request: u64,
        query: OrderQuery,
        append: bool,
    },
    LoadOrder {
        request: u64,
        key: String,
    },
    LoadShippingNote {
        request: u64,
        key: String,
    },
    LoadProducts {
        request: u64,
        text: String,
        cursor: Option<String>,
        limit: u32,
        append: bool,
    },
    LoadProduct {
        request: u64,
        key: String,
    },
    /// A change to send through the client's one mutation path.
    Mutate(Mutation),
    /// Fetch one order again: the event stream said it changed.
    RefreshOrder {
        id: String,
    },
    /// Something the stocktake pane reads.
    Load {
        request: u64,
        lookup: Lookup,
    },
    /// What a pick list or order label stands for at the packing bench.
    LoadPackTask {
        request: u64,
        code: String,
    },
    /// Send a shipping label to the configured printer (or file).
    PrintLabel {
        order: String,
        zpl: String,
    },
    /// Say something by sound (or the bell) without looking.
    Cue(Cue),
    Mute(bool),
    /// Read the changes the server refused from this terminal's outbox.
    LoadAttention,
    /// A person has seen a refused change and lets it go.
    DismissAttention(uuid::Uuid),
    /// The pane that made a refused change takes it up with the person there and then
    /// (asks for what it lacked): it needs no attention later. Answered as the one above.
    SettleRefused(Change),
}

#[derive(Debug)]
pub enum Reply {
    SignedIn(Result<Box<LoginResponse>, ClientError>),
    SignedOut,
    Health(Result<(), ClientError>),
    Orders {
        request: u64,
        append: bool,
        result: Result<Page<OrderSummary>, ClientError>,
    },
    Order {
        request: u64,
        result: Result<Box<OrderDetail>, ClientError>,
    },
    ShippingNote {
        request: u64,
        result: Result<String, ClientError>,
    },
    Products {
        request: u64,
        append: bool,
        result: Result<Page<Product>, ClientError>,
    },
    Product {
        request: u64,
        result: Result<Box<ProductDetail>, ClientError>,
    },
    /// The answer to a mutation, with the change it answers.
    Mutated {
        change: Change,
        result: Result<Applied, ClientError>,
    },
    /// How the outbox stands: online, syncing or offline, with what waits in it.
    Sync(crate::client::SyncStatus),
    /// An answer kept from before, shown while the server's own is on its way.
    Cached(Box<Reply>),
    /// The catalogue this terminal holds, to name and check scans with.
    Catalogue(std::sync::Arc<crate::client::Catalogue>),
    /// The changes kept since the last frame could not be put on this terminal's disk
    /// itself: they are in the outbox's file and go to the server, but a power cut before
    /// then would lose them.
    NotOnDisk(String),
    /// The changes the server refused, newest first (or why they cannot be read).
    Attention(Result<Vec<crate::client::SetAside>, String>),
    PackTask {
        request: u64,
        result: Result<PackTask, ClientError>,
    },
    Loaded {
        request: u64,
        result: Result<Loaded, ClientError>,
    },
    /// Where the label went, or why it could not be printed.
    Printed(Result<String, String>),
    /// Something changed on the server (from the event stream).
    Feed(Box<crate::api::FeedEvent>),
    /// An order fetched again after an event.
    OrderRefreshed(Result<Box<OrderDetail>, ClientError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaneKind {
    Orders,
    Products,
    Pick,
    Pack,
    Stock,
    Replenishment,
    Stocktake,
    Complaints,
}

impl PaneKind {
    pub const ALL: [PaneKind; 8] = [
        PaneKind::Orders,
        PaneKind::Products,
        PaneKind::Pick,
        PaneKind::Pack,
        PaneKind::Stock,
        PaneKind::Replenishment,
        PaneKind::Stocktake,
        PaneKind::Complaints,
    ];

    pub fn title(self) -> &'static str {
        match self {
            PaneKind::Orders => "Orders",
            PaneKind::Products => "Products",
            PaneKind::Pick => "Pick",
            PaneKind::Pack => "Pack",
            PaneKind::Stock => "Stock",
            PaneKind::Stocktake => "Stocktake",
            PaneKind::Replenishment => "Replenishment",
            PaneKind::Complaints => "Complaints",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            PaneKind::Orders => "Ord",
            PaneKind::Products => "Prod",
            PaneKind::Pick => "Pick",
            PaneKind::Pack => "Pack",
            PaneKind::Stock => "Stock",
            PaneKind::Stocktake => "Count",
            PaneKind::Replenishment => "Reord",
            PaneKind::Complaints => "CS",
        }
    }

    pub fn context(self) -> Context {
        match self {
            PaneKind::Orders => Context::Orders,
            PaneKind::Products => Context::Products,
            PaneKind::Pick => Context::Pick,
            PaneKind::Pack => Context::Pack,
            PaneKind::Stock => Context::Stock,
            PaneKind::Stocktake => Context::Stocktake,
            PaneKind::Replenishment => Context::Replenishment,
            PaneKind::Complaints => Context::Complaints,
        }
    }

    pub fn action(self) -> Action {
        match self {
            PaneKind::Orders => Action::PaneOrders,
            PaneKind::Products => Action::PaneProducts,
            PaneKind::Pick => Action::PanePick,
            PaneKind::Pack => Action::PanePack,
            PaneKind::Stock => Action::PaneStock,
            PaneKind::Stocktake => Action::PaneStocktake,
            PaneKind::Replenishment => Action::PaneReplenishment,
            PaneKind::Complaints => Action::PaneComplaints,
        }
    }

    /// The permissions of which a role needs one to see this pane.
    pub fn permissions(self) -> &'static [Permission] {
        match self {
            PaneKind::Orders => &[Permission::OrdersRead],
            PaneKind::Products => &[Permission::CatalogRead],
            PaneKind::Pick | PaneKind::Pack => &[Permission::OrdersFulfil],
            PaneKind::Stock => &[Permission::StockRead],
            PaneKind::Stocktake => &[Permission::StocktakeCount],
            PaneKind::Replenishment => &[Permission::PurchasingManage],
            // Read-only for a role that reads tickets and does not work them (an auditor).
            PaneKind::Complaints => READ_TICKETS,
        }
    }

    pub(super) fn of_action(action: Action) -> Option<PaneKind> {
        PaneKind::ALL.into_iter().find(|p| p.action() == action)
    }

    /// The panes someone with these permissions (as the server names them) may open.
    pub(super) fn open_to(permissions: &[String]) -> Vec<PaneKind> {
        PaneKind::ALL
            .into_iter()
            .filter(|p| {
                p.permissions()
                    .iter()
                    .any(|need| permissions.iter().any(|m| m == need.as_str()))
            })
            .collect()
    }
}

#[derive(Debug)]
pub enum Overlay {
    /// Asking for a reason (and, for cancelling, a yes) before changing an order.
    OrderChange(OrderChange),
    /// `max` is how far the help can scroll, known once it has been drawn.
    Help {
        scroll: usize,
        max: std::cell::Cell<usize>,
    },
    Palette(Palette),
    /// The changes the server refused, with why; `None` until read.
    Attention {
        items: Option<Vec<crate::client::SetAside>>,
        selected: usize,
    },
}

pub struct Workspace {
    pub me: Me,
    pub panes: Vec<PaneKind>,
    pub active: PaneKind,
    pub orders: OrdersPane,
    pub products: ProductsPane,
    pub pick: PickPane,
    pub pack: PackPane,
    pub stock: StockPane,
    pub stocktake: StocktakePane,
    pub replenishment: ReplenishmentPane,
    pub complaints: ComplaintsPane,
    pub overlay: Option<Overlay>,
}

impl Workspace {
    pub fn is_typing(&self) -> bool {
        match self.active {
            PaneKind::Orders => self.orders.is_typing(),
            PaneKind::Products => self.products.is_typing(),
            PaneKind::Pick => self.pick.is_typing(),
            PaneKind::Pack => self.pack.is_typing(),
            PaneKind::Stock => self.stock.is_typing(),
            PaneKind::Stocktake => self.stocktake.is_typing(),
            PaneKind::Replenishment => self.replenishment.is_typing(),
            PaneKind::Complaints => self.complaints.is_typing(),
        }
    }
}

pub enum Screen {
    SignIn(SignIn),
    Work(Box<Workspace>),
}

/// A one-line message under the body until the next key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

pub struct App {
    pub keymap: Keymap,
    pub theme: Theme,
    pub server: String,
    /// `None` until the first answer from the server.
    pub online: Option<bool>,
    /// The outbox: changes waiting to reach the server, and those it refused.
    pub sync: crate::client::SyncStatus,
    pub screen: Screen,
    pub notice: Option<Notice>,
    pub tz: TimeZone,
    /// A fixed "now" for tests; `None` reads the clock.
    pub frozen_now: Option<jiff::Timestamp>,
    pub quit: bool,
    /// Something changed since the last frame.
    pub dirty: bool,
    /// Sound cues are off.
    pub muted: bool,
    /// How scans are read (labels, separators) and how the scanner types.
    pub scanner: ScanSettings,
    /// `single` or `batch`: the kind of pick list this console asks for.
    pub pick_mode: Option<String>,
    /// Parcel types offered at packing.
    pub packages: Vec<String>,
    /// Products and locations as kept on this terminal.
    pub catalogue: std::sync::Arc<crate::client::Catalogue>,
    next_request: u64,
}

impl App {
    pub fn new(keymap: Keymap, theme: Theme, server: &str, username: Option<&str>) -> App {
        App {
            keymap,
            theme,
            server: server.to_string(),
            online: None,
            sync: crate::client::SyncStatus::default(),
            catalogue: Default::default(),
            screen: Screen::SignIn(SignIn::new(username)),
            notice: None,
            tz: TimeZone::try_system().unwrap_or(TimeZone::UTC),
            frozen_now: None,
            quit: false,
            muted: false,
            scanner: ScanSettings::default(),
            pick_mode: None,
            packages: default_packages(),
            dirty: true,
            next_request: 0,
        }
    }

    /// Starts signed in (the demo, or a token kept from an earlier run).
    pub fn signed_in(&mut self, me: Me) -> Vec<Effect> {
        let panes = PaneKind::open_to(&me.permissions);
        // People start where they work: the floor at picking, purchasing at its alerts.
        let home = match me.role.as_str() {
            "warehouse" => Some(PaneKind::Pick),
            "purchasing" => Some(PaneKind::Replenishment),
            "cs" => Some(PaneKind::Complaints),
            _ => None,
        };
        let active = match home {
            Some(pane) if panes.contains(&pane) => pane,
            _ => panes.first().copied().unwrap_or(PaneKind::Orders),
        };
        let holds = |p: Permission| me.permissions.iter().any(|m| m == p.as_str());
        let may_move = holds(Permission::StockMove);
        let supervisor = me
            .permissions
            .iter()
            .any(|p| p == Permission::StocktakeManage.as_str());
        let complaints = ComplaintsPane::new(
            &me.username,
            holds(Permission::TicketsSupervise),
            holds(Permission::TicketsWork),
        );
        let mut work = Workspace {
            me,
            panes,
            active,
            orders: OrdersPane::default(),
            products: ProductsPane::default(),
            pick: PickPane::default(),
            pack: PackPane::default(),
            stock: StockPane::new(may_move),
            stocktake: StocktakePane::new(supervisor, self.catalogue.clone()),
            replenishment: ReplenishmentPane::default(),
            complaints,
            overlay: None,
        };
        let mut effects = vec![Effect::CheckHealth];
        for pane in work.panes.clone() {
            effects.extend(match pane {
                PaneKind::Orders => work.orders.reload(&mut self.next_request),
                PaneKind::Products => work.products.reload(&mut self.next_request),
                PaneKind::Stocktake => work.stocktake.reload(&mut self.next_request),
                PaneKind::Replenishment => work.replenishment.reload(&mut self.next_request),
                PaneKind::Complaints => work.complaints.reload(&mut self.next_request),
                PaneKind::Pick => work.pick.reload(&mut self.next_request),
                PaneKind::Pack | PaneKind::Stock => Vec::new(),
            });
        }
        self.screen = Screen::Work(Box::new(work));
        self.dirty = true;
        effects
    }

    pub fn now(&self) -> jiff::Timestamp {
        self.frozen_now.unwrap_or_else(jiff::Timestamp::now)
    }

    pub fn workspace(&self) -> Option<&Workspace> {
        match &self.screen {
            Screen::Work(w) => Some(w),
            Screen::SignIn(_) => None,
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Effect> {
        match msg {
            Msg::Key(ev) => {
                // Terminals that report releases and repeats would otherwise act twice.
                if ev.kind != KeyEventKind::Press {
                    return Vec::new();
                }
                self.dirty = true;
                self.notice = None;
                let effects = self.on_key(Key::from_event(&ev));
                self.refuse_offline(effects)
            }
            Msg::Scan(text) => {
                self.dirty = true;
                self.notice = None;
                let effects = self.on_scan(&text);
                self.refuse_offline(effects)
            }
            Msg::Reply(reply) => {
                self.dirty = true;
                self.on_reply(reply)
            }
            Msg::Tick => vec![Effect::CheckHealth],
            Msg::Resize => {
                self.dirty = true;
                Vec::new()
            }
        }
    }

    /// While the server is away, a change that cannot wait for it is refused at once and
    /// the pane that made it says why; every other change is kept and sent later.
    fn refuse_offline(&mut self, effects: Vec<Effect>) -> Vec<Effect> {
        if self.online != Some(false) {
            return effects;
        }
        let mut out = Vec::with_capacity(effects.len());
        for effect in effects {
            match effect {
                Effect::Mutate(m) => match m.change.needs_server() {
                    Some(what) => out.extend(self.on_reply(Reply::Mutated {
                        change: m.change,
                        result: Err(ClientError::NeedsServer(what)),
                    })),
                    None => out.push(Effect::Mutate(m)),
                },
                other => out.push(other),
            }
        }
        out
    }

    /// Reads a scan as configured.
    fn read(&self, text: &str) -> Scan {
        read_scan(text, &self.scanner, i32::from(self.today().year()))
    }

    fn today(&self) -> jiff::civil::Date {
        self.tz.to_datetime(self.now()).date()
    }

    /// A scan goes to the active pane, whatever has focus there.
    fn on_scan(&mut self, text: &str) -> Vec<Effect> {
        // Password managers and pasted text come as fast as scans: on the sign-in form, and
        // in a free-text answer, it is typing.
        let free_text = match &self.screen {
            Screen::SignIn(_) => true,
            Screen::Work(work) => {
                (work.active == PaneKind::Replenishment && work.replenishment.is_typing())
                    || (work.active == PaneKind::Complaints && work.complaints.is_typing())
                    || (work.active == PaneKind::Stocktake && work.stocktake.is_asking_why())
            }
        };
        if free_text {
            let suffix = Key::parse(&self.scanner.keyboard.suffix)
                .unwrap_or(Key::new(KeyCode::Enter, KeyModifiers::NONE));
            let keys: Vec<Key> = text
                .chars()
                .map(|c| Key::new(KeyCode::Char(c), KeyModifiers::NONE))
                .chain([suffix])
                .collect();
            return keys.into_iter().flat_map(|k| self.on_key(k)).collect();
        }
        let scan = self.read(text);
        let today = self.today();
        let ids = &mut self.next_request;
        let Screen::Work(work) = &mut self.screen else {
            return Vec::new();
        };
        if matches!(
            work.overlay,
            Some(Overlay::Help { .. }) | Some(Overlay::Palette(_))
        ) {
            work.overlay = None;
        }
        let wanted = match work.active {
            PaneKind::Pick => return work.pick.on_scan(&scan, today),
            PaneKind::Pack => return work.pack.on_scan(&scan, ids),
            PaneKind::Stocktake => return work.stocktake.on_scan(text, &scan),
            PaneKind::Stock => return work.stock.on_scan(text, &scan, ids),
            PaneKind::Replenishment => "nothing (scan in the stock pane)",
            PaneKind::Complaints => "nothing (returns are received in the stock pane)",
            PaneKind::Orders => match &scan.reading {
                Ok(Reading::Label(label)) if scan.kind() == ScanKind::Order => {
                    return work.orders.find(&label.text, ids);
                }
                _ => "an order label",
            },
            PaneKind::Products => match scan.gtin() {
                Some(gtin) => return work.products.find(gtin.as_scanned(), ids),
                None => "a product barcode",
            },
        };
        let text = match &scan.reading {
            Err(e) => format!("unreadable scan: {e}"),
            Ok(_) => format!("this pane takes {wanted}; scan it, or go to picking or packing"),
        };
        self.notice = Some(Notice {
            text,
            is_error: true,
        });
        vec![Effect::Cue(Cue::Error)]
    }

    fn on_key(&mut self, key: Key) -> Vec<Effect> {
        let today = self.today();
        let scanner = &self.scanner;
        let year = i32::from(today.year());
        let reader = |text: &str| read_scan(text, scanner, year);
        let ids = &mut self.next_request;
        match &mut self.screen {
            Screen::SignIn(form) => {
                if let Some(effects) = form.on_key(&self.keymap, key) {
                    return effects;
                }
                if self.keymap.action(Context::Global, key) == Some(Action::Quit) {
                    self.quit = true;
                }
                Vec::new()
            }
            Screen::Work(work) => {
                let action = match work.overlay {
                    Some(Overlay::Help { .. }) => self
                        .keymap
                        .action(Context::Help, key)
                        .or_else(|| self.keymap.action(Context::Global, key)),
                    Some(Overlay::OrderChange(ref mut change)) => {
                        match change.on_key(&self.keymap, key) {
                            Step::Stay => return Vec::new(),
                            Step::Close => {
                                work.overlay = None;
                                return Vec::new();
                            }
                            Step::NeedReason => {
                                self.notice = Some(Notice {
                                    text: "a reason is needed".into(),
                                    is_error: true,
                                });
                                return Vec::new();
                            }
                            Step::Submit(mutation) => {
                                work.overlay = None;
                                return vec![Effect::Mutate(mutation)];
                            }
                            Step::Pass => self.keymap.action(Context::Global, key),
                        }
                    }
                    Some(Overlay::Attention { .. }) => self
                        .keymap
                        .action(Context::Attention, key)
                        .or_else(|| self.keymap.action(Context::Global, key)),
                    Some(Overlay::Palette(ref mut palette)) => {
                        match palette.on_key(&self.keymap, key, work.active) {
                            super::palette::Outcome::Stay => return Vec::new(),
                            super::palette::Outcome::Close => {
                                work.overlay = None;
                                return Vec::new();
                            }
                            super::palette::Outcome::Run(command) => {
                                work.overlay = None;
                                return self.run_command(command);
                            }
                            super::palette::Outcome::Unknown(text) => {
                                self.notice = Some(Notice {
                                    text: format!("no command matches {text:?}"),
                                    is_error: true,
                                });
                                return Vec::new();
                            }
                            super::palette::Outcome::Pass => {
                                self.keymap.action(Context::Global, key)
                            }
                        }
                    }
                    None => {
                        let entered = match work.active {
                            PaneKind::Pick => work.pick.on_entry_key(key),
                            PaneKind::Pack => work.pack.on_entry_key(key),
                            PaneKind::Stocktake => work.stocktake.on_entry_key(key),
                            PaneKind::Stock => work.stock.on_entry_key(key),
                            _ => false,
                        };
                        if entered {
                            return Vec::new();
                        }
                        if work.is_typing() {
                            let input_action = self.keymap.action(Context::Input, key);
                            let handled = match work.active {
                                PaneKind::Orders => work.orders.on_typing(input_action, key, ids),
                                PaneKind::Products => {
                                    work.products.on_typing(input_action, key, ids)
                                }
                                PaneKind::Pick => {
                                    work.pick.on_typing(input_action, key, &reader, today)
                                }
                                PaneKind::Pack => work.pack.on_typing(
                                    input_action,
                                    key,
                                    &reader,
                                    &self.packages,
                                    ids,
                                ),
                                PaneKind::Stocktake => {
                                    work.stocktake.on_typing(input_action, key, &reader)
                                }
                                PaneKind::Stock => {
                                    work.stock.on_typing(input_action, key, &reader, ids)
                                }
                                PaneKind::Replenishment => {
                                    work.replenishment.on_typing(input_action, key)
                                }
                                PaneKind::Complaints => work.complaints.on_typing(
                                    input_action,
                                    self.keymap.action(Context::Editor, key),
                                    key,
                                ),
                            };
                            if let Some(effects) = handled {
                                return effects;
                            }
                            // Letters type; only keys that cannot be text reach the bindings.
                            if key.is_text() {
                                return Vec::new();
                            }
                        }
                        self.keymap
                            .action(work.active.context(), key)
                            .or_else(|| self.keymap.action(Context::Global, key))
                    }
                };
                match action {
                    Some(action) => self.run_action(action),
                    None => Vec::new(),
                }
            }
        }
    }

    fn run_command(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::Action(action) => self.run_action(action),
            Command::Filter(index) => {
                let ids = &mut self.next_request;
                match &mut self.screen {
                    Screen::Work(work) if work.panes.contains(&PaneKind::Orders) => {
                        work.active = PaneKind::Orders;
                        work.orders.set_filter(index, ids)
                    }
                    _ => Vec::new(),
                }
            }
        }
    }

    fn run_action(&mut self, action: Action) -> Vec<Effect> {
        let today = self.today();
        let scanner = &self.scanner;
        let year = i32::from(today.year());
        let reader = |text: &str| read_scan(text, scanner, year);
        let ids = &mut self.next_request;
        let Screen::Work(work) = &mut self.screen else {
            return Vec::new();
        };
        match action {
            Action::Quit => {
                self.quit = true;
                Vec::new()
            }
            Action::Help => {
                work.overlay = Some(Overlay::Help {
                    scroll: 0,
                    max: std::cell::Cell::new(usize::MAX),
                });
                Vec::new()
            }
            Action::Attention => {
                work.overlay = Some(Overlay::Attention {
                    items: None,
                    selected: 0,
                });
                vec![Effect::LoadAttention]
            }
            Action::Back if matches!(work.overlay, Some(Overlay::Attention { .. })) => {
                work.overlay = None;
                Vec::new()
            }
            Action::AttentionDismiss => match &work.overlay {
                Some(Overlay::Attention {
                    items: Some(items),
                    selected,
                }) => match items.get(*selected) {
                    Some(item) => vec![Effect::DismissAttention(item.mutation.id)],
                    None => Vec::new(),
                },
                _ => Vec::new(),
            },
            other @ (Action::CursorUp | Action::CursorDown)
                if matches!(work.overlay, Some(Overlay::Attention { .. })) =>
            {
                if let Some(Overlay::Attention { items, selected }) = &mut work.overlay {
                    let last = items.as_ref().map_or(0, |i| i.len().saturating_sub(1));
                    *selected = match other {
                        Action::CursorUp => selected.saturating_sub(1),
                        _ => (*selected + 1).min(last),
                    };
                }
                Vec::new()
            }
            Action::Palette => {
                work.overlay = Some(Overlay::Palette(Palette::new(
                    &self.keymap,
                    work.active,
                    &work.panes,
                )));
                Vec::new()
            }
            Action::PaneOrders
            | Action::PaneProducts
            | Action::PanePick
            | Action::PanePack
            | Action::PaneStock
            | Action::PaneStocktake
            | Action::PaneReplenishment
            | Action::PaneComplaints => {
                let Some(wanted) = PaneKind::of_action(action) else {
                    return Vec::new();
                };
                if work.panes.contains(&wanted) {
                    work.active = wanted;
                } else {
                    self.notice = Some(Notice {
                        text: format!("your role ({}) cannot use {}", work.me.role, wanted.title()),
                        is_error: true,
                    });
                }
                Vec::new()
            }
            Action::PaneNext | Action::PanePrev => {
                if let Some(i) = work.panes.iter().position(|p| *p == work.active) {
                    let n = work.panes.len();
                    let next = if action == Action::PaneNext {
                        (i + 1) % n
                    } else {
                        (i + n - 1) % n
                    };
                    work.active = work.panes[next];
                }
                Vec::new()
            }
            Action::Refresh => {
                let mut effects = vec![Effect::CheckHealth];
                effects.extend(match work.active {
                    PaneKind::Orders => work.orders.reload(ids),
                    PaneKind::Products => work.products.reload(ids),
                    PaneKind::Stocktake => work.stocktake.reload(ids),
                    PaneKind::Stock => work.stock.reload(ids),
                    PaneKind::Replenishment => work.replenishment.reload(ids),
                    PaneKind::Complaints => work.complaints.reload(ids),
                    PaneKind::Pick => work.pick.reload(ids),
                    PaneKind::Pack => Vec::new(),
                });
                effects
            }
            Action::SoundMute => {
                self.muted = !self.muted;
                self.notice = Some(Notice {
                    text: if self.muted {
                        "sound cues off".into()
                    } else {
                        "sound cues on".into()
                    },
                    is_error: false,
                });
                vec![Effect::Mute(self.muted)]
            }
            Action::SignOut => {
                let username = work.me.username.clone();
                self.screen = Screen::SignIn(SignIn::new(Some(&username)));
                vec![Effect::SignOut]
            }
            Action::OrderApprove
            | Action::OrderHold
            | Action::OrderRelease
            | Action::OrderCancel
            | Action::OrderReroute => {
                if work.active != PaneKind::Orders {
                    return Vec::new();
                }
                let Some(number) = work.orders.target() else {
                    return Vec::new();
                };
                if !work.me.permissions.iter().any(|p| p == "orders.manage") {
                    self.notice = Some(Notice {
                        text: format!("your role ({}) cannot change orders", work.me.role),
                        is_error: true,
                    });
                    return Vec::new();
                }
                match action {
                    Action::OrderHold => {
                        work.overlay = Some(Overlay::OrderChange(OrderChange::new(
                            &number,
                            OrderStatus::Hold,
                        )));
                        Vec::new()
                    }
                    Action::OrderCancel => {
                        work.overlay = Some(Overlay::OrderChange(OrderChange::new(
                            &number,
                            OrderStatus::Cancelled,
                        )));
                        Vec::new()
                    }
                    Action::OrderReroute => {
                        vec![Effect::Mutate(Mutation::new(Change::Reroute {
                            order: number,
                        }))]
                    }
                    // Approving out of CS review and releasing a hold both send it to picking.
                    _ => vec![Effect::Mutate(Mutation::new(Change::OrderStatus {
                        order: number,
                        to: OrderStatus::ReadyToPick.as_str().to_string(),
                        reason: None,
                    }))],
                }
            }
            Action::Back if matches!(work.overlay, Some(Overlay::Help { .. })) => {
                work.overlay = None;
                Vec::new()
            }
            other => {
                if let Some(Overlay::Help { scroll, max }) = &mut work.overlay {
                    *scroll = scrolled(*scroll, other, max.get());
                    return Vec::new();
                }
                match work.active {
                    PaneKind::Orders => work.orders.on_action(other, ids),
                    PaneKind::Products => work.products.on_action(other, ids),
                    PaneKind::Pick => {
                        work.pick
                            .on_action(other, self.pick_mode.as_deref(), &reader, today)
                    }
                    PaneKind::Pack => work.pack.on_action(other, &reader, ids),
                    PaneKind::Stocktake => work.stocktake.on_action(other, ids),
                    PaneKind::Stock => work.stock.on_action(other, ids),
                    PaneKind::Replenishment => work.replenishment.on_action(other),
                    PaneKind::Complaints => work.complaints.on_action(other, ids),
                }
            }
        }
    }

    fn on_reply(&mut self, reply: Reply) -> Vec<Effect> {
        if let Reply::Cached(kept) = reply {
            // From this terminal, not the server: it says nothing about being online.
            let online = self.online;
            let effects = self.on_reply(*kept);
            self.online = online;
            return effects;
        }
        if let Reply::Attention(result) = reply {
            match result {
                Ok(list) => {
                    self.sync.counts.attention = list.len();
                    if let Screen::Work(work) = &mut self.screen
                        && let Some(Overlay::Attention { items, selected }) = &mut work.overlay
                    {
                        *selected = (*selected).min(list.len().saturating_sub(1));
                        *items = Some(list);
                    }
                }
                Err(text) => {
                    self.notice = Some(Notice {
                        text,
                        is_error: true,
                    })
                }
            }
            return Vec::new();
        }
        if let Reply::Catalogue(catalogue) = reply {
            if let Screen::Work(work) = &mut self.screen {
                work.stocktake.catalogue = catalogue.clone();
            }
            self.catalogue = catalogue;
            return Vec::new();
        }
        if let Reply::NotOnDisk(why) = reply {
            self.notice = Some(Notice {
                text: format!(
                    "Disk error: the last scans are not on this terminal's disk yet; they \
                     are still sent. If it loses power first, scan them again. Have the \
                     disk looked at ({why})."
                ),
                is_error: true,
            });
            return vec![Effect::Cue(Cue::Error)];
        }
        if let Reply::Sync(status) = reply {
            if status.link == crate::client::Link::Offline {
                self.online = Some(false);
            }
            self.sync = status;
            return Vec::new();
        }
        if let Some(err) = reply_error(&reply) {
            if err.is_unreachable() {
                self.online = Some(false);
            } else if err.is_unauthenticated() && matches!(self.screen, Screen::Work(_)) {
                let username = self.workspace().map(|w| w.me.username.clone());
                let mut form = SignIn::new(username.as_deref());
                form.error = Some("your session has ended; please sign in again".into());
                self.screen = Screen::SignIn(form);
                return Vec::new();
            }
        } else if !matches!(reply, Reply::SignedOut) {
            self.online = Some(true);
        }
        let ids = &mut self.next_request;
        match (&mut self.screen, reply) {
            (_, Reply::Health(_)) | (_, Reply::SignedOut) => Vec::new(),
            (Screen::SignIn(form), Reply::SignedIn(result)) => match result {
                Ok(login) => self.signed_in(login.user),
                Err(err) => {
                    form.failed(&err);
                    Vec::new()
                }
            },
            (
                Screen::Work(work),
                Reply::Orders {
                    request,
                    append,
                    result,
                },
            ) => work.orders.on_page(request, append, result, ids),
            (Screen::Work(work), Reply::Order { request, result }) => {
                work.orders.on_detail(request, result);
                Vec::new()
            }
            (Screen::Work(work), Reply::ShippingNote { request, result }) => {
                work.orders.on_note(request, result);
                Vec::new()
            }
            (
                Screen::Work(work),
                Reply::Products {
                    request,
                    append,
                    result,
                },
            ) => work.products.on_page(request, append, result, ids),
            (Screen::Work(work), Reply::Product { request, result }) => {
                work.products.on_detail(request, result);
                Vec::new()
            }
            (Screen::Work(work), Reply::PackTask { request, result }) => {
                work.pack.on_task(request, result)
            }
            (Screen::Work(work), Reply::Loaded { request, result }) => {
                // Request ids are unique: the pane that asked takes the answer.
                if work.stock.asked(request) {
                    work.stock.on_loaded(request, result)
                } else if work.replenishment.asked(request) {
                    work.replenishment.on_loaded(request, result)
                } else if work.complaints.asked(request) {
                    work.complaints.on_loaded(request, result)
                } else if work.pick.asked(request) {
                    work.pick.on_loaded(result)
                } else {
                    work.stocktake.on_loaded(request, result)
                }
            }
            (Screen::Work(work), Reply::Printed(result)) => {
                let failed = result.is_err();
                work.pack.on_printed(result);
                if failed {
                    vec![Effect::Cue(Cue::Warn)]
                } else {
                    Vec::new()
                }
            }
            (Screen::Work(work), Reply::Feed(event)) => {
                let mut effects = Vec::new();
                if event.kind == "alert.carrier_exception" {
                    self.notice = Some(carrier_alert(&event.payload));
                    effects.push(Effect::Cue(Cue::Warn));
                }
                let about_orders =
                    event.kind.starts_with("order.") || event.kind.starts_with("shipment.");
                if work.panes.contains(&PaneKind::Replenishment) {
                    let active = work.active == PaneKind::Replenishment;
                    effects.extend(work.replenishment.on_feed(&event, active, ids));
                }
                if work.panes.contains(&PaneKind::Complaints) {
                    let active = work.active == PaneKind::Complaints;
                    effects.extend(work.complaints.on_feed(&event, active, ids));
                }
                if about_orders && work.panes.contains(&PaneKind::Orders) {
                    effects.push(Effect::RefreshOrder {
                        id: event.entity_id,
                    });
                }
                effects
            }
            (Screen::Work(work), Reply::OrderRefreshed(Ok(order))) => {
                work.orders.upsert(*order);
                Vec::new()
            }
            (Screen::Work(work), Reply::Mutated { change, result }) => match change {
                Change::ClaimPickList { .. }
                | Change::Pick { .. }
                | Change::PickShort { .. }
                | Change::FinishPickList { .. }
                | Change::AssignTote { .. } => match result {
                    Ok(Applied::PickList(list)) => work.pick.on_list(*list),
                    Ok(_) => Vec::new(),
                    Err(e) => work.pick.on_refused(&e, ids),
                },
                Change::Count(change) => work.stocktake.on_applied(&change, result, ids),
                Change::Stock(change) => work.stock.on_applied(&change, result, ids),
                Change::Purchasing(change) => work.replenishment.on_applied(&change, result, ids),
                Change::Desk(change) => work.complaints.on_applied(&change, result, ids),
                Change::Pack { .. } | Change::Ship { .. } => {
                    // The queue shows the order's new status too.
                    match &result {
                        Ok(Applied::Order(order)) => work.orders.apply_changed((**order).clone()),
                        Ok(Applied::Parcel(parcel)) => {
                            work.orders.apply_changed(parcel.order.clone())
                        }
                        _ => {}
                    }
                    work.pack.on_applied(result)
                }
                Change::OrderStatus { .. } | Change::Reroute { .. } => {
                    let (notice, cue) = match result {
                        Ok(Applied::Order(order)) => {
                            let label = order
                                .order
                                .status
                                .parse::<OrderStatus>()
                                .map(|s| s.label())
                                .unwrap_or("changed");
                            let text = format!("{} is now {label}", order.order.number);
                            work.orders.apply_changed(*order);
                            (
                                Notice {
                                    text,
                                    is_error: false,
                                },
                                Cue::Ok,
                            )
                        }
                        Ok(_) => return Vec::new(),
                        Err(e) => (
                            Notice {
                                text: e.to_string(),
                                is_error: true,
                            },
                            Cue::Error,
                        ),
                    };
                    self.notice = Some(notice);
                    vec![Effect::Cue(cue)]
                }
            },
            // A late answer for a screen that is gone.
            _ => Vec::new(),
        }
    }
}

/// What CS must hear at once when a carrier reports a problem with a parcel.
fn carrier_alert(payload: &serde_json::Value) -> Notice {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str()).unwrap_or("");
    let mut text = format!(
        "Carrier exception: {} ({})",
        field("number"),
        field("carrier")
    );
    for extra in [field("description"), field("location")] {
        if !extra.is_empty() {
            text.push_str(&format!(" · {extra}"));
        }
    }
    Notice {
        text,
        is_error: true,
    }
}

fn reply_error(reply: &Reply) -> Option<&ClientError> {
    match reply {
        Reply::SignedIn(Err(e)) | Reply::Health(Err(e)) => Some(e),
        Reply::Orders { result: Err(e), .. } | Reply::Products { result: Err(e), .. } => Some(e),
        Reply::Order { result: Err(e), .. } | Reply::Product { result: Err(e), .. } => Some(e),
        Reply::ShippingNote { result: Err(e), .. } | Reply::PackTask { result: Err(e), .. } => {
            Some(e)
        }
        Reply::Loaded { result: Err(e), .. } => Some(e),
        Reply::Mutated { result: Err(e), .. } | Reply::OrderRefreshed(Err(e)) => Some(e),
        _ => None,
    }
}

/// A scroll position after a cursor action, kept within `0..=max`.
pub fn scrolled(scroll: usize, action: Action, max: usize) -> usize {
    let moved = match action {
        Action::CursorDown => scroll + 1,
        Action::CursorUp => scroll.saturating_sub(1),
        Action::PageDown => scroll + 10,
        Action::PageUp => scroll.saturating_sub(10),
        Action::First => 0,
        Action::Last => max,
        _ => scroll,
    };
    moved.min(max)
}

/// Hands out request ids, so that answers to superseded requests can be told apart.
pub fn next_id(ids: &mut u64) -> u64 {
    *ids += 1;
    *ids
}

/// Parcel types a packing bench offers unless the config file names its own.
pub fn default_packages() -> Vec<String> {
    ["box-s", "box-m", "box-l", "mailer"]
        .map(String::from)
        .into()
}
