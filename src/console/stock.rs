//! The stock pane: what is where, and goods in and around by scanning. Scan (or type) a
//! product or a location to see its balances and latest movements. Receiving: scan the
//! purchase requests a delivery brings (or none), then each item into the receiving
//! location. Returns: scan the RMA, then each item back into the returns location.
//! Moving and putting away: scan where from, the items, then where to.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id};
use super::cue::Cue;
use super::floor::{Prompt, code_key, element, entry_key, expiry_of, floor_frame, say, units_in};
use super::keymap::{Action, Key};
use super::list_cursor::ListCursor;
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, list_table, muted_line};
use crate::api::{Receipt, ReturnBody, StockLevel, StockMovement};
use crate::client::{Applied, Change, ClientError, Loaded, Lookup, Mutation, StockChange};
use crate::domain::barcode::{Gtin, Reading, Scan, ScanKind};

type Outcome = Vec<Effect>;

/// Typed numbers up to this many digits are quantities; longer ones are barcodes.
const QTY_DIGITS: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Balances and history of what was scanned last.
    #[default]
    Lookup,
    Receive,
    Move,
}

/// What the lookup shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// As scanned or typed: a barcode or a SKU.
    Product(String),
    Location(String),
}

/// Units in hand, on their way from `from` to wherever is scanned next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    pub sku: String,
    pub name: String,
    pub qty: i64,
    pub lot: Option<String>,
    /// Sent to the server and not yet answered.
    pub sending: bool,
}

#[derive(Debug, Default)]
pub struct StockPane {
    pub mode: Mode,
    pub subject: Option<Subject>,
    /// The product's name, or the location code, once known.
    heading: String,
    pub balances: Vec<StockLevel>,
    pub history: Vec<StockMovement>,
    history_cursor: ListCursor,
    balances_request: u64,
    history_request: u64,
    loading: bool,
    /// The receipt being scanned into.
    pub receipt: Option<Receipt>,
    /// Purchase requests scanned before the receipt is opened.
    pub expected: Vec<String>,
    /// Asked the server for a receipt; item scans wait in `held` until it answers.
    opening: bool,
    held: Vec<StockChange>,
    receipt_request: u64,
    /// Receive scans sent and not yet answered.
    receiving: usize,
    /// The customer return (RMA) being scanned back in, instead of a receipt.
    pub rma: Option<ReturnBody>,
    rma_request: u64,
    /// Where the units in the cart come from, and what it holds.
    pub from: Option<String>,
    from_stock: Vec<StockLevel>,
    from_request: u64,
    pub cart: Vec<CartLine>,
    /// Esc was pressed once with a full cart.
    confirming_drop: bool,
    last_item: Option<String>,
    entry: String,
    code: TextInput,
    typing_code: bool,
    /// May receive and move (the role holds stock.move).
    pub may_move: bool,
    pub prompt: Option<Prompt>,
}

impl StockPane {
    pub fn new(may_move: bool) -> StockPane {
        StockPane {
            may_move,
            ..StockPane::default()
        }
    }

    pub fn is_typing(&self) -> bool {
        self.typing_code
    }

    pub fn offers(&self, action: Action) -> bool {
        match (self.mode, action) {
            (_, Action::Search) => true,
            (Mode::Lookup, Action::StockReceive | Action::StockMove) => self.may_move,
            (Mode::Receive, Action::StockClose) => self.receipt.is_some(),
            (Mode::Receive, Action::StockMove) => self.receipt.is_none(),
            (Mode::Receive | Mode::Move, Action::Back) => true,
            (_, Action::Submit) => !self.entry.is_empty(),
            _ => false,
        }
    }

    fn say(&mut self, text: impl Into<String>, cue: Cue) -> Outcome {
        say(&mut self.prompt, text, cue)
    }

    /// Reads again what the pane shows.
    pub fn reload(&mut self, ids: &mut u64) -> Outcome {
        let mut effects = match self.subject.clone() {
            Some(subject) => self.look_up(subject, ids),
            None => Vec::new(),
        };
        if let Some(from) = self.from.clone() {
            effects.extend(self.load_from(&from, ids));
        }
        effects
    }

    /// Digits: a quantity for the next scan, or a barcode typed by hand.
    /// Only while receiving or moving: in a look-up, digits stay free for keymap bindings.
    pub fn on_entry_key(&mut self, key: Key) -> bool {
        self.mode != Mode::Lookup && !self.typing_code && entry_key(&mut self.entry, key)
    }

    pub fn on_typing(
        &mut self,
        input: Option<Action>,
        key: Key,
        scan: &dyn Fn(&str) -> Scan,
        ids: &mut u64,
    ) -> Option<Outcome> {
        match code_key(&mut self.code, &mut self.typing_code, input, key)? {
            Some(text) => Some(self.on_scan(&text, &scan(&text), ids)),
            None => Some(Vec::new()),
        }
    }

    fn look_up(&mut self, subject: Subject, ids: &mut u64) -> Outcome {
        self.balances_request = next_id(ids);
        self.history_request = next_id(ids);
        self.loading = true;
        let (balances, history) = match &subject {
            Subject::Product(key) => (
                Lookup::ProductStock(key.clone()),
                Lookup::Movements {
                    product: Some(key.clone()),
                    location: None,
                },
            ),
            Subject::Location(code) => (
                Lookup::LocationStock(code.clone()),
                Lookup::Movements {
                    product: None,
                    location: Some(code.clone()),
                },
            ),
        };
        if self.subject.as_ref() != Some(&subject) {
            self.heading = match &subject {
                Subject::Product(key) => key.clone(),
                Subject::Location(code) => code.clone(),
            };
            self.balances.clear();
            self.history.clear();
            self.history_cursor.reset();
        }
        self.subject = Some(subject);
        vec![
            Effect::Load {
                request: self.balances_request,
                lookup: balances,
            },
            Effect::Load {
                request: self.history_request,
                lookup: history,
            },
        ]
    }

    fn load_from(&mut self, code: &str, ids: &mut u64) -> Outcome {
        self.from_request = next_id(ids);
        vec![Effect::Load {
            request: self.from_request,
            lookup: Lookup::LocationStock(code.to_string()),
        }]
    }

    /// Whether `request` is one of this pane's reads.
    pub fn asked(&self, request: u64) -> bool {
        request != 0
            && [
                self.balances_request,
                self.history_request,
                self.receipt_request,
                self.from_request,
                self.rma_request,
            ]
            .contains(&request)
    }

    pub fn on_loaded(&mut self, request: u64, result: Result<Loaded, ClientError>) -> Outcome {
        if !self.asked(request) {
            return Vec::new();
        }
        let loaded = match result {
            Ok(loaded) => loaded,
            Err(e) => {
                self.loading = false;
                if request == self.balances_request && e.is_not_found() {
                    self.balances.clear();
                    return self.say(
                        format!("{} is not a product here", self.heading),
                        Cue::Error,
                    );
                }
                return self.say(e.to_string(), Cue::Error);
            }
        };
        match loaded {
            Loaded::ProductStock(detail) if request == self.balances_request => {
                self.loading = false;
                self.heading = format!("{} {}", detail.product.sku, detail.product.name);
                self.balances = detail.stock;
            }
            Loaded::LocationStock(levels) if request == self.balances_request => {
                self.loading = false;
                self.balances = levels;
            }
            Loaded::LocationStock(levels) if request == self.from_request => {
                self.from_stock = levels;
            }
            Loaded::Movements(moves) if request == self.history_request => {
                self.history = moves;
                self.history_cursor.clamp(self.history.len());
            }
            Loaded::Receipt(receipt) if request == self.receipt_request => {
                if receipt.state != "open" {
                    return self.say(format!("{} is closed already", receipt.number), Cue::Error);
                }
                let text = format!("{} again: scan the items", receipt.number);
                self.mode = Mode::Receive;
                self.expected.clear();
                self.receipt = Some(*receipt);
                return self.say(text, Cue::Ok);
            }
            Loaded::Return(rma) if request == self.rma_request => {
                if rma.status == "received" {
                    return self.say(
                        format!("{} is back in full already", rma.number),
                        Cue::Error,
                    );
                }
                let text = format!(
                    "{} ({}): scan the items coming back",
                    rma.number, rma.order_number
                );
                self.mode = Mode::Receive;
                self.expected.clear();
                self.rma = Some(*rma);
                return self.say(text, Cue::Ok);
            }
            _ => {}
        }
        Vec::new()
    }

    pub fn on_action(&mut self, action: Action, ids: &mut u64) -> Outcome {
        let dropping = std::mem::take(&mut self.confirming_drop);
        match (self.mode, action) {
            (_, Action::Search) => {
                self.typing_code = true;
                Vec::new()
            }
            (_, Action::Submit | Action::Open) => self.submit_entry(ids),
            (_, Action::StockReceive | Action::StockMove) if !self.may_move => {
                self.say("Your role cannot receive or move stock", Cue::Error)
            }
            (Mode::Lookup, Action::StockReceive) => {
                self.mode = Mode::Receive;
                let text = if self.receipt.is_some() {
                    "Go on scanning the delivery's items"
                } else {
                    "Receiving: scan the delivery's purchase requests (PR-…), or the first item"
                };
                self.say(text, Cue::Ok)
            }
            (Mode::Lookup | Mode::Receive, Action::StockMove) => {
                if self.mode == Mode::Receive && self.receipt.is_some() {
                    return self.say("Close the receipt first (c)", Cue::Error);
                }
                self.rma = None;
                self.mode = Mode::Move;
                let start = match &self.subject {
                    Some(Subject::Location(code)) => Some(code.clone()),
                    _ => None,
                };
                match self.from.clone().or(start) {
                    Some(code) => self.move_from(&code, ids),
                    None => self.say("Moving: scan the location to take from", Cue::Ok),
                }
            }
            (Mode::Receive, Action::StockClose) => self.close_receipt(),
            (_, Action::Back) => {
                if !self.entry.is_empty() {
                    self.entry.clear();
                    return Vec::new();
                }
                if self.mode == Mode::Move && self.cart.iter().any(|l| !l.sending) && !dropping {
                    self.confirming_drop = true;
                    return self.say(
                        "The cart is not moved yet: Esc again to drop it, or scan where it goes",
                        Cue::Warn,
                    );
                }
                match self.mode {
                    Mode::Move => {
                        self.cart.retain(|l| l.sending);
                        self.from = None;
                    }
                    Mode::Receive if self.receipt.is_none() => {
                        self.expected.clear();
                        self.rma = None;
                    }
                    _ => {}
                }
                self.mode = Mode::Lookup;
                self.prompt = None;
                Vec::new()
            }
            (Mode::Lookup, _) => {
                self.history_cursor.apply(action, self.history.len());
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A typed number with Enter: a barcode typed by hand, or in a move the quantity of the
    /// item scanned last.
    fn submit_entry(&mut self, ids: &mut u64) -> Outcome {
        let typed = std::mem::take(&mut self.entry);
        if typed.is_empty() {
            return Vec::new();
        }
        if typed.len() > QTY_DIGITS {
            let scan_of_typed = Gtin::parse(&typed);
            return match scan_of_typed {
                Ok(gtin) => self.on_item(gtin.as_scanned(), 1, None, None, ids),
                Err(e) => self.say(format!("{typed}: {e}"), Cue::Error),
            };
        }
        let Ok(qty) = typed.parse::<i64>() else {
            return Vec::new();
        };
        match (self.mode, self.last_item.clone()) {
            (Mode::Move, Some(sku)) => self.set_cart_qty(&sku, qty),
            _ => self.say("Type the quantity, then scan the item", Cue::Error),
        }
    }

    /// A scan, wherever focus is.
    pub fn on_scan(&mut self, text: &str, scan: &Scan, ids: &mut u64) -> Outcome {
        self.confirming_drop = false;
        let typed = std::mem::take(&mut self.entry);
        let trimmed = text.trim();
        let upper = trimmed.to_ascii_uppercase();
        let papers =
            upper.starts_with("RC-") || upper.starts_with("PR-") || upper.starts_with("RMA-");
        if papers && self.cart.iter().any(|l| !l.sending) {
            // Receiving now would leave the units in hand booked to the wrong place.
            return self.say(
                "Put what is in hand away first (scan where it goes), or Esc to drop it",
                Cue::Error,
            );
        }
        // Our own papers first: they are not one of the configured label shapes.
        if upper.starts_with("RC-") {
            if !self.may_move {
                return self.say("Your role cannot receive stock", Cue::Error);
            }
            if let Some(open) = &self.receipt {
                return self.say(format!("Close {} first (c)", open.number), Cue::Error);
            }
            self.receipt_request = next_id(ids);
            return vec![Effect::Load {
                request: self.receipt_request,
                lookup: Lookup::Receipt(upper),
            }];
        }
        if upper.starts_with("PR-") {
            return self.expect(&upper);
        }
        if upper.starts_with("RMA-") {
            if !self.may_move {
                return self.say("Your role cannot take returns back", Cue::Error);
            }
            if let Some(open) = &self.receipt {
                return self.say(format!("Close {} first (c)", open.number), Cue::Error);
            }
            self.rma_request = next_id(ids);
            return vec![Effect::Load {
                request: self.rma_request,
                lookup: Lookup::Return(upper),
            }];
        }
        let location = match &scan.reading {
            Ok(Reading::Label(label)) if scan.kind() == ScanKind::Location => {
                Some(label.text.clone())
            }
            _ => None,
        };
        let qty = match typed.parse::<i64>() {
            Ok(n) if !typed.is_empty() => n,
            _ => units_in(scan),
        };
        match (self.mode, location, scan.gtin()) {
            (Mode::Move, Some(code), _) => self.location_in_move(&code, ids),
            (Mode::Receive, Some(code), _) => self.say(
                format!("Receiving goes into the receipt's location; to look at {code}, Esc first"),
                Cue::Error,
            ),
            (Mode::Lookup, Some(code), _) => self.look_up(Subject::Location(code), ids),
            (Mode::Lookup, None, Some(gtin)) => {
                self.look_up(Subject::Product(gtin.as_scanned().to_string()), ids)
            }
            (Mode::Receive | Mode::Move, None, Some(gtin)) => {
                let lot = element(scan, "10");
                let product = gtin.as_scanned().to_string();
                self.on_item(&product, qty, lot, expiry_of(scan), ids)
            }
            // Anything else looked up is taken for a SKU.
            (Mode::Lookup, None, None) if !trimmed.is_empty() => {
                self.look_up(Subject::Product(trimmed.to_string()), ids)
            }
            (_, None, None) => match &scan.reading {
                Err(e) => self.say(format!("Unreadable: {e}"), Cue::Error),
                Ok(_) => self.say("Not an item or a location", Cue::Error),
            },
        }
    }

    /// A purchase request the delivery being received brings.
    fn expect(&mut self, number: &str) -> Outcome {
        if !self.may_move {
            return self.say("Your role cannot receive stock", Cue::Error);
        }
        if let Some(open) = &self.receipt {
            return self.say(
                format!(
                    "{} is open already; close it (c) to receive against {number}",
                    open.number
                ),
                Cue::Error,
            );
        }
        self.mode = Mode::Receive;
        if !self.expected.iter().any(|e| e == number) {
            self.expected.push(number.to_string());
        }
        let text = format!(
            "Expecting {}: scan another, or the first item",
            self.expected.join(", ")
        );
        self.say(text, Cue::Ok)
    }

    fn on_item(
        &mut self,
        product: &str,
        qty: i64,
        lot: Option<String>,
        expiry: Option<String>,
        ids: &mut u64,
    ) -> Outcome {
        if !(1..=100_000).contains(&qty) {
            return self.say(format!("{qty} is not a quantity"), Cue::Error);
        }
        match self.mode {
            Mode::Receive => self.receive(product, qty, lot, expiry),
            Mode::Move => self.add_to_cart(product, qty, lot),
            Mode::Lookup => self.look_up(Subject::Product(product.to_string()), ids),
        }
    }

    fn receive(
        &mut self,
        product: &str,
        qty: i64,
        lot: Option<String>,
        expiry: Option<String>,
    ) -> Outcome {
        let item = |receipt: String| StockChange::Receive {
            receipt,
            product: product.to_string(),
            qty,
            lot: lot.clone(),
            expiry: expiry.clone(),
        };
        let said = format!("+{qty} {product}");
        if let Some(rma) = &self.rma {
            let change = StockChange::ReceiveReturn {
                rma: rma.number.clone(),
                product: product.to_string(),
                qty,
                lot,
            };
            self.receiving += 1;
            let mut effects = vec![Effect::Mutate(Mutation::new(Change::Stock(change)))];
            effects.extend(self.say(said, Cue::Ok));
            return effects;
        }
        match &self.receipt {
            Some(r) => {
                let change = item(r.number.clone());
                self.receiving += 1;
                let mut effects = vec![Effect::Mutate(Mutation::new(Change::Stock(change)))];
                effects.extend(self.say(said, Cue::Ok));
                effects
            }
            None => {
                // The scan waits for the receipt it goes into; it is not lost meanwhile.
                self.held.push(item(String::new()));
                let mut effects = Vec::new();
                if !self.opening {
                    self.opening = true;
                    effects.push(Effect::Mutate(Mutation::new(Change::Stock(
                        StockChange::OpenReceipt {
                            expected: self.expected.clone(),
                        },
                    ))));
                }
                effects.extend(self.say(format!("{said} (opening the receipt…)"), Cue::Ok));
                effects
            }
        }
    }

    fn close_receipt(&mut self) -> Outcome {
        let Some(r) = &self.receipt else {
            return self.say("No receipt is open", Cue::Error);
        };
        if self.receiving > 0 {
            return self.say("Wait: scans are still being received", Cue::Error);
        }
        let number = r.number.clone();
        let mut effects = vec![Effect::Mutate(Mutation::new(Change::Stock(
            StockChange::CloseReceipt {
                receipt: number.clone(),
            },
        )))];
        self.prompt = Some(Prompt {
            text: format!("Closing {number}…"),
            is_error: false,
        });
        effects.push(Effect::Cue(Cue::Ok));
        effects
    }

    fn move_from(&mut self, code: &str, ids: &mut u64) -> Outcome {
        self.from = Some(code.to_string());
        self.from_stock.clear();
        let mut effects = self.load_from(code, ids);
        effects.extend(self.say(format!("From {code}: scan the items"), Cue::Ok));
        effects
    }

    /// In a move, a location is where to take from (empty cart) or where to put (full).
    fn location_in_move(&mut self, code: &str, ids: &mut u64) -> Outcome {
        let waiting: Vec<&CartLine> = self.cart.iter().filter(|l| !l.sending).collect();
        let Some(from) = self.from.clone() else {
            return self.move_from(code, ids);
        };
        if waiting.is_empty() {
            if from == code {
                return self.say(format!("From {code}: scan the items"), Cue::Ok);
            }
            return self.move_from(code, ids);
        }
        if from == code {
            return self.say(
                format!("The items are from {code}: scan where they go"),
                Cue::Error,
            );
        }
        let mut effects = Vec::new();
        let mut units = 0;
        for line in self.cart.iter_mut().filter(|l| !l.sending) {
            line.sending = true;
            units += line.qty;
            effects.push(Effect::Mutate(Mutation::new(Change::Stock(
                StockChange::Move {
                    product: line.sku.clone(),
                    from: from.clone(),
                    to: code.to_string(),
                    qty: line.qty,
                    lot: line.lot.clone(),
                },
            ))));
        }
        self.prompt = Some(Prompt {
            text: format!("Moving {units} unit(s) {from} → {code}…"),
            is_error: false,
        });
        effects
    }

    /// What the source location holds of a scanned product.
    fn at_source(&self, product: &str) -> Option<&StockLevel> {
        let gtin = Gtin::parse(product).ok();
        self.from_stock.iter().find(|s| {
            s.sku.eq_ignore_ascii_case(product)
                || gtin
                    .as_ref()
                    .is_some_and(|g| g.is_item(s.barcode.as_deref()))
        })
    }

    fn in_cart(&self, sku: &str) -> i64 {
        self.cart
            .iter()
            .filter(|l| l.sku == sku && !l.sending)
            .map(|l| l.qty)
            .sum()
    }

    fn add_to_cart(&mut self, product: &str, qty: i64, lot: Option<String>) -> Outcome {
        let Some(from) = self.from.clone() else {
            return self.say("Scan the location to take from first", Cue::Error);
        };
        let Some(level) = self.at_source(product).cloned() else {
            return self.say(format!("{product} is not at {from}"), Cue::Error);
        };
        let wanted = self.in_cart(&level.sku) + qty;
        if wanted > level.available {
            return self.say(
                format!(
                    "{from} has {} of {} free: not {wanted}",
                    level.available, level.sku
                ),
                Cue::Error,
            );
        }
        match self
            .cart
            .iter_mut()
            .find(|l| l.sku == level.sku && l.lot == lot && !l.sending)
        {
            Some(line) => line.qty += qty,
            None => self.cart.push(CartLine {
                sku: level.sku.clone(),
                name: level.product_name.clone(),
                qty,
                lot,
                sending: false,
            }),
        }
        self.last_item = Some(level.sku.clone());
        let text = format!("{}: {wanted} in hand", level.sku);
        self.say(text, Cue::Ok)
    }

    fn set_cart_qty(&mut self, sku: &str, qty: i64) -> Outcome {
        let available = self
            .from_stock
            .iter()
            .find(|s| s.sku == sku)
            .map_or(0, |s| s.available);
        if !(1..=available).contains(&qty) {
            return self.say(format!("{available} of {sku} are free here"), Cue::Error);
        }
        let others: i64 = self
            .cart
            .iter()
            .filter(|l| l.sku == sku && !l.sending)
            .skip(1)
            .map(|l| l.qty)
            .sum();
        if let Some(line) = self.cart.iter_mut().find(|l| l.sku == sku && !l.sending) {
            line.qty = (qty - others).max(1);
        }
        self.say(format!("{sku}: {qty} in hand"), Cue::Ok)
    }

    /// The server's answer to one of this pane's changes.
    pub fn on_applied(
        &mut self,
        change: &StockChange,
        result: Result<Applied, ClientError>,
        ids: &mut u64,
    ) -> Outcome {
        match (change, result) {
            (StockChange::OpenReceipt { .. }, Ok(Applied::Receipt(receipt))) => {
                self.opening = false;
                self.expected.clear();
                let number = receipt.number.clone();
                self.receipt = Some(*receipt);
                let held = std::mem::take(&mut self.held);
                self.receiving += held.len();
                let mut effects: Outcome = held
                    .into_iter()
                    .map(|c| match c {
                        StockChange::Receive {
                            product,
                            qty,
                            lot,
                            expiry,
                            ..
                        } => StockChange::Receive {
                            receipt: number.clone(),
                            product,
                            qty,
                            lot,
                            expiry,
                        },
                        other => other,
                    })
                    .map(|c| Effect::Mutate(Mutation::new(Change::Stock(c))))
                    .collect();
                effects.extend(self.say(format!("{number} open: scan the items"), Cue::Ok));
                effects
            }
            (StockChange::OpenReceipt { .. }, Err(e)) => {
                self.opening = false;
                let lost = std::mem::take(&mut self.held).len();
                self.say(
                    format!("No receipt: {e}. The {lost} scan(s) held were not received"),
                    Cue::Error,
                )
            }
            (StockChange::Receive { product, qty, .. }, result) => {
                self.receiving = self.receiving.saturating_sub(1);
                match result {
                    Ok(Applied::Receipt(receipt)) => {
                        // The line this scan added to says what the scan was.
                        let before = |sku: &str| {
                            self.receipt.as_ref().and_then(|r| {
                                r.lines.iter().find(|l| l.sku == sku).map(|l| l.received)
                            })
                        };
                        let text = receipt
                            .lines
                            .iter()
                            .find(|l| before(&l.sku).is_none_or(|b| b < l.received))
                            .map(|l| match l.expected {
                                0 => format!("{}: {} received", l.sku, l.received),
                                e => {
                                    format!("{}: {} received, {e} more expected", l.sku, l.received)
                                }
                            });
                        self.receipt = Some(*receipt);
                        if let Some(text) = text {
                            self.prompt = Some(Prompt {
                                text,
                                is_error: false,
                            });
                        }
                        Vec::new()
                    }
                    Ok(_) => Vec::new(),
                    Err(e) => self.say(format!("{qty} × {product} not received: {e}"), Cue::Error),
                }
            }
            (StockChange::ReceiveReturn { product, qty, .. }, result) => {
                self.receiving = self.receiving.saturating_sub(1);
                match result {
                    Ok(Applied::Return(rma)) => self.returned(*rma, ids),
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        self.say(format!("{qty} × {product} not taken back: {e}"), Cue::Error)
                    }
                }
            }
            (StockChange::CloseReceipt { .. }, Ok(Applied::Receipt(receipt))) => {
                let units: i64 = receipt.lines.iter().map(|l| l.received).sum();
                self.receipt = None;
                self.mode = Mode::Lookup;
                // Whoever receives may read locations; without one there is nothing to put away from.
                let Some(at) = receipt.location.clone() else {
                    return self.say(
                        format!("{} closed: {units} unit(s) in.", receipt.number),
                        Cue::Done,
                    );
                };
                let text = format!(
                    "{} closed: {units} unit(s) in {at}. Put away: m",
                    receipt.number
                );
                if self.cart.is_empty() {
                    self.from = Some(at.clone());
                }
                let mut effects = self.look_up(Subject::Location(at), ids);
                effects.extend(self.say(text, Cue::Done));
                effects
            }
            (
                StockChange::Move {
                    product,
                    from,
                    to,
                    qty,
                    lot,
                },
                result,
            ) => {
                let index = self
                    .cart
                    .iter()
                    .position(|l| l.sending && &l.sku == product && &l.lot == lot && l.qty == *qty);
                match result {
                    Ok(Applied::Movement(m)) => {
                        if let Some(i) = index {
                            self.cart.remove(i);
                        }
                        let kind = if m.kind == "put_away" {
                            "Put away"
                        } else {
                            "Moved"
                        };
                        let text = format!("{kind} {qty} × {product} {from} → {to}");
                        let mut effects = self.load_from(from, ids);
                        if self.cart.iter().any(|l| l.sending) {
                            self.prompt = Some(Prompt {
                                text,
                                is_error: false,
                            });
                        } else {
                            effects.extend(self.say(text, Cue::Done));
                        }
                        effects
                    }
                    Ok(_) => Vec::new(),
                    Err(e) => {
                        // Still in hand: scan another place, or Esc to drop it.
                        if let Some(i) = index {
                            self.cart[i].sending = false;
                        }
                        self.say(format!("{product} not moved: {e}"), Cue::Error)
                    }
                }
            }
            (_, Err(e)) => self.say(e.to_string(), Cue::Error),
            _ => Vec::new(),
        }
    }

    /// A return's units are booked back; once all are, they wait to be put away.
    fn returned(&mut self, rma: ReturnBody, ids: &mut u64) -> Outcome {
        let before = |sku: &str| {
            self.rma
                .as_ref()
                .and_then(|r| r.lines.iter().find(|l| l.sku == sku).map(|l| l.received))
        };
        let text = rma
            .lines
            .iter()
            .find(|l| before(&l.sku).is_some_and(|b| b < l.received))
            .map(|l| format!("{}: {} of {} back", l.sku, l.received, l.qty));
        let into = rma.received_into.clone().unwrap_or_default();
        if rma.status != "received" {
            self.rma = Some(rma);
            if let Some(text) = text {
                self.prompt = Some(Prompt {
                    text,
                    is_error: false,
                });
            }
            return Vec::new();
        }
        self.rma = None;
        self.mode = Mode::Lookup;
        if self.cart.is_empty() {
            self.from = Some(into.clone());
        }
        let mut effects = self.look_up(Subject::Location(into.clone()), ids);
        effects.extend(self.say(
            format!(
                "{} back in full in {into}. Put away: m, then a bin (or damaged)",
                rma.number
            ),
            Cue::Done,
        ));
        effects
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool, active: bool) {
        let title = match self.mode {
            Mode::Lookup => "Stock".to_string(),
            Mode::Receive => match (&self.receipt, &self.rma) {
                (Some(r), _) => format!("Receiving {}", r.number),
                (None, Some(rma)) => format!("Return {}", rma.number),
                (None, None) => "Receiving".to_string(),
            },
            Mode::Move => match &self.from {
                Some(code) => format!("Move from {code}"),
                None => "Move".to_string(),
            },
        };
        let [body, prompt_area, entry_area] = floor_frame(f, area, theme, &title, active, compact);
        match self.mode {
            Mode::Lookup => self.render_lookup(f, body, theme, compact),
            Mode::Receive if self.rma.is_some() => self.render_return(f, body, theme, compact),
            Mode::Receive => self.render_receipt(f, body, theme, compact),
            Mode::Move => self.render_cart(f, body, theme, compact),
        }
        if let Some(p) = &self.prompt {
            p.render(f, prompt_area, theme);
        }
        if self.typing_code {
            input_line(f, entry_area, theme, "Code", 6, &self.code, true);
        } else if !self.entry.is_empty() {
            f.render_widget(
                Line::from(vec![
                    Span::styled("Qty ", theme.style(ThemeRole::TextMuted)),
                    Span::styled(self.entry.clone(), theme.style(ThemeRole::InputFocus)),
                ]),
                entry_area,
            );
        }
    }

    fn render_lookup(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        let Some(subject) = &self.subject else {
            let text = if self.may_move {
                "Scan or type (/) a product or a location to see its stock. r receives a delivery, an RMA-… takes a return back, m moves stock."
            } else {
                "Scan or type (/) a product or a location to see its stock."
            };
            f.render_widget(
                Paragraph::new(muted_line(theme, text)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let on_hand: i64 = self.balances.iter().map(|b| b.on_hand).sum();
        let free: i64 = self.balances.iter().map(|b| b.available).sum();
        let muted = theme.style(ThemeRole::TextMuted);
        let heading = Line::from(vec![
            Span::styled(
                self.heading.clone(),
                theme.style(ThemeRole::Title).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("  {on_hand} on hand · {free} free"), muted),
        ]);
        let balance_rows = if self.balances.is_empty() {
            1
        } else {
            self.balances.len() as u16 + 1
        };
        let [head, balances_area, history_area] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Max(balance_rows.min(area.height.saturating_sub(1) / 2)),
            Constraint::Min(0),
        ])
        .areas(area);
        f.render_widget(Paragraph::new(heading), head);
        let one_product = matches!(subject, Subject::Product(_));
        if self.balances.is_empty() {
            let text = if self.loading {
                "Loading…"
            } else {
                "No stock here."
            };
            f.render_widget(Paragraph::new(muted_line(theme, text)), balances_area);
        } else {
            let rows: Vec<Row> = self
                .balances
                .iter()
                .map(|b| {
                    let what = if one_product {
                        // Without a location: the product's total, for who may not know where.
                        b.location.clone().unwrap_or_else(|| "all".into())
                    } else {
                        b.sku.clone()
                    };
                    let mut cells = vec![
                        what,
                        b.on_hand.to_string(),
                        b.reserved.to_string(),
                        b.available.to_string(),
                    ];
                    if !compact && !one_product {
                        cells.push(b.product_name.clone());
                    }
                    Row::new(cells)
                })
                .collect();
            let first = if one_product { "Location" } else { "Item" };
            let mut header = vec![first, "Hand", "Resv", "Free"];
            let mut widths = vec![
                Constraint::Length(if compact { 10 } else { 14 }),
                Constraint::Length(5),
                Constraint::Length(5),
                Constraint::Length(5),
            ];
            if !compact && !one_product {
                header.push("Name");
                widths.push(Constraint::Min(8));
            }
            f.render_widget(
                list_table(
                    theme,
                    header.into_iter().map(Line::from).collect(),
                    widths,
                    rows,
                ),
                balances_area,
            );
        }
        self.render_history(f, history_area, theme, compact, one_product);
    }

    fn render_history(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        one_product: bool,
    ) {
        if area.height < 2 {
            return;
        }
        let range = self
            .history_cursor
            .window(self.history.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = self.history[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let place = |p: &Option<String>| p.clone().unwrap_or_else(|| "·".into());
                let route = format!("{}→{}", place(&m.from), place(&m.to));
                let when = m.at.get(5..16).unwrap_or(&m.at).replace('T', " ");
                let cells = if compact {
                    vec![m.kind.clone(), m.qty.to_string(), route]
                } else {
                    vec![
                        when,
                        m.kind.clone(),
                        if one_product {
                            m.qty.to_string()
                        } else {
                            format!("{} {}", m.qty, m.sku)
                        },
                        route,
                        m.reference.clone().unwrap_or_default(),
                        m.actor.clone(),
                    ]
                };
                let row = Row::new(cells);
                self.history_cursor.highlight(row, range.start + i, theme)
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Moved", "Qty", "Route"],
                vec![
                    Constraint::Length(8),
                    Constraint::Length(4),
                    Constraint::Min(8),
                ],
            )
        } else {
            (
                vec!["When", "Kind", "Qty", "Route", "Ref", "By"],
                vec![
                    Constraint::Length(11),
                    Constraint::Length(10),
                    Constraint::Length(if one_product { 4 } else { 13 }),
                    Constraint::Min(15),
                    Constraint::Length(9),
                    Constraint::Length(9),
                ],
            )
        };
        f.render_widget(
            list_table(
                theme,
                header.into_iter().map(Line::from).collect(),
                widths,
                rows,
            ),
            area,
        );
    }

    fn render_receipt(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        let muted = theme.style(ThemeRole::TextMuted);
        let Some(r) = &self.receipt else {
            let text = if self.expected.is_empty() {
                "Scan the delivery's purchase requests (PR-…), or the first item to receive without one.".to_string()
            } else {
                format!(
                    "Expecting {}. Scan the first item.",
                    self.expected.join(", ")
                )
            };
            f.render_widget(
                Paragraph::new(muted_line(theme, &text)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let expecting: Vec<&str> = r.expected.iter().map(|p| p.number.as_str()).collect();
        let mut head = vec![Span::styled(
            format!("Into {}", r.location.as_deref().unwrap_or("receiving")),
            theme.style(ThemeRole::Ok).add_modifier(Modifier::BOLD),
        )];
        if !expecting.is_empty() && !compact {
            head.push(Span::styled(
                format!("  expecting {}", expecting.join(", ")),
                muted,
            ));
        }
        let [head_area, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        f.render_widget(Paragraph::new(Line::from(head)), head_area);
        let rows: Vec<Row> = r
            .lines
            .iter()
            .map(|l| {
                let mut cells = vec![
                    l.sku.clone(),
                    l.received.to_string(),
                    if l.expected > 0 {
                        l.expected.to_string()
                    } else {
                        String::new()
                    },
                ];
                if !compact {
                    cells.push(l.name.clone());
                }
                Row::new(cells)
            })
            .collect();
        let mut header = vec!["Item", "Rcvd", "Due"];
        let mut widths = vec![
            Constraint::Length(if compact { 10 } else { 14 }),
            Constraint::Length(5),
            Constraint::Length(5),
        ];
        if !compact {
            header.push("Name");
            widths.push(Constraint::Min(8));
        }
        f.render_widget(
            list_table(
                theme,
                header.into_iter().map(Line::from).collect(),
                widths,
                rows,
            ),
            rest,
        );
    }

    fn render_return(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        let Some(rma) = &self.rma else {
            return;
        };
        let head = Line::from(vec![
            Span::styled(
                format!("From {}", rma.order_number),
                theme.style(ThemeRole::Ok).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!("  {}", rma.reason),
                theme.style(ThemeRole::TextMuted),
            ),
        ]);
        let [head_area, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        f.render_widget(Paragraph::new(head), head_area);
        let rows: Vec<Row> = rma
            .lines
            .iter()
            .map(|l| {
                let mut cells = vec![l.sku.clone(), l.received.to_string(), l.qty.to_string()];
                if !compact {
                    cells.push(l.name.clone());
                }
                let role = if l.received >= l.qty {
                    ThemeRole::StatusDone
                } else {
                    ThemeRole::Text
                };
                Row::new(cells).style(theme.style(role))
            })
            .collect();
        let mut header = vec!["Item", "Back", "Of"];
        let mut widths = vec![
            Constraint::Length(if compact { 10 } else { 14 }),
            Constraint::Length(5),
            Constraint::Length(5),
        ];
        if !compact {
            header.push("Name");
            widths.push(Constraint::Min(8));
        }
        f.render_widget(
            list_table(
                theme,
                header.into_iter().map(Line::from).collect(),
                widths,
                rows,
            ),
            rest,
        );
    }

    fn render_cart(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        let Some(from) = &self.from else {
            f.render_widget(
                Paragraph::new(muted_line(
                    theme,
                    "Scan the location to take from (a receiving location puts away).",
                ))
                .wrap(Wrap { trim: true }),
                area,
            );
            return;
        };
        let units: i64 = self.cart.iter().map(|l| l.qty).sum();
        let head = Line::from(vec![
            Span::styled(
                format!(" {from} "),
                theme.style(ThemeRole::Ok).add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                if self.cart.is_empty() {
                    " scan the items".to_string()
                } else {
                    format!(" {units} in hand: scan where to")
                },
                theme.style(ThemeRole::TextMuted),
            ),
        ]);
        let [head_area, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        f.render_widget(Paragraph::new(head), head_area);
        let rows: Vec<Row> = self
            .cart
            .iter()
            .map(|l| {
                let mut cells = vec![l.sku.clone(), l.qty.to_string()];
                if !compact {
                    cells.push(l.lot.clone().unwrap_or_default());
                    cells.push(if l.sending {
                        "moving…".into()
                    } else {
                        l.name.clone()
                    });
                }
                Row::new(cells)
            })
            .collect();
        let mut header = vec!["Item", "Qty"];
        let mut widths = vec![
            Constraint::Length(if compact { 10 } else { 14 }),
            Constraint::Length(5),
        ];
        if !compact {
            header.extend(["Lot", "Name"]);
            widths.extend([Constraint::Length(10), Constraint::Min(8)]);
        }
        f.render_widget(
            list_table(
                theme,
                header.into_iter().map(Line::from).collect(),
                widths,
                rows,
            ),
            rest,
        );
    }
}
