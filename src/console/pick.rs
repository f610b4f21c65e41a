//! The pick pane: one line at a time, large, in walk order. The picker scans the location,
//! then the item (with its lot when the product is lot-tracked) once per unit or types a
//! count; every scan is checked here, at once, against the list in hand, and answered with a
//! cue. Confirmations go to the server in the background through the one mutation path.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id};
use super::cue::Cue;
use super::floor::{Prompt, code_key, element, entry_key, expiry_of, floor_frame, say, units_in};
use super::keymap::{Action, Key};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, list_table, muted_line};
use crate::api::{PickLine, PickList, PickedLot};
use crate::client::local_view::pick_into;
use crate::client::{Change, ClientError, Loaded, Lookup, Mutation};
use crate::domain::barcode::{Gtin, Reading, Scan, ScanKind};

/// Typed numbers up to this many digits are counts; longer ones are barcodes typed by hand.
const COUNT_DIGITS: usize = 4;

#[derive(Debug, Default)]
pub struct PickPane {
    pub list: Option<PickList>,
    /// Waiting for the server to hand out a list.
    pub claiming: bool,
    /// Index of the line in hand.
    current: usize,
    /// The location scanned last; the next line there needs no new location scan.
    at_location: Option<String>,
    /// Units of the line in hand in the cart, as far as this console knows.
    count: i64,
    lots: Vec<PickedLot>,
    /// Digits typed: a count, or a barcode typed by hand.
    entry: String,
    /// The field for typing any code by hand (a torn label).
    code: TextInput,
    typing_code: bool,
    /// Asked "report short?" and waiting for the answer.
    confirming_short: bool,
    pub prompt: Option<Prompt>,
    /// The read of the list in this picker's cart.
    request: u64,
    /// That read follows a refusal: its answer replaces what is shown.
    correcting: bool,
}

/// What a scan or key did, for the app to pass on.
type Outcome = Vec<Effect>;

impl PickPane {
    pub fn is_typing(&self) -> bool {
        self.typing_code
    }

    pub fn offers(&self, action: Action) -> bool {
        let working = self.list.is_some();
        match action {
            Action::PickClaim => !working && !self.claiming,
            Action::PickShort | Action::PickSkip | Action::PickPrevious | Action::PickFinish => {
                working
            }
            Action::Search => working,
            Action::Submit => !self.entry.is_empty() || self.confirming_short,
            Action::Back => !self.entry.is_empty() || self.confirming_short,
            _ => false,
        }
    }

    fn line(&self) -> Option<&PickLine> {
        self.list.as_ref().and_then(|l| l.lines.get(self.current))
    }

    fn say(&mut self, text: impl Into<String>, cue: Cue) -> Outcome {
        say(&mut self.prompt, text, cue)
    }

    /// Asks for the list already in this picker's cart: from this terminal's cache at
    /// once, then from the server, so picking goes on after a restart, online or not.
    pub fn reload(&mut self, ids: &mut u64) -> Outcome {
        if self.list.is_some() || self.claiming {
            return Vec::new();
        }
        self.request = next_id(ids);
        vec![Effect::Load {
            request: self.request,
            lookup: Lookup::HeldPickList,
        }]
    }

    pub fn asked(&self, request: u64) -> bool {
        request != 0 && request == self.request
    }

    pub fn on_loaded(&mut self, result: Result<Loaded, ClientError>) -> Outcome {
        if std::mem::take(&mut self.correcting) {
            return match result {
                Ok(Loaded::HeldPickList(Some(list))) if list.state == "claimed" => {
                    // Replaced, not merged: the local state was what the server refused.
                    let prompt = self.prompt.take();
                    self.list = None;
                    self.on_list(*list);
                    self.prompt = prompt;
                    Vec::new()
                }
                Ok(Loaded::HeldPickList(_)) => {
                    let prompt = self.prompt.take();
                    *self = PickPane::default();
                    self.prompt = prompt;
                    Vec::new()
                }
                _ => Vec::new(),
            };
        }
        match result {
            Ok(Loaded::HeldPickList(Some(list)))
                if list.state == "claimed"
                    && self.list.as_ref().is_none_or(|l| l.id == list.id) =>
            {
                self.on_list(*list)
            }
            // Nothing held: the footer offers a claim. Unreachable: the header says so.
            _ => Vec::new(),
        }
    }

    fn claim(&mut self, mode: Option<&str>) -> Outcome {
        self.claiming = true;
        self.prompt = None;
        vec![Effect::Mutate(Mutation::new(Change::ClaimPickList {
            mode: mode.map(str::to_string),
        }))]
    }

    /// Keys the pane takes before the keymap: digits of a count and their correction.
    pub fn on_entry_key(&mut self, key: Key) -> bool {
        self.list.is_some() && !self.typing_code && entry_key(&mut self.entry, key)
    }

    pub fn on_typing(
        &mut self,
        input: Option<Action>,
        key: Key,
        scan: &dyn Fn(&str) -> Scan,
        today: jiff::civil::Date,
    ) -> Option<Outcome> {
        match code_key(&mut self.code, &mut self.typing_code, input, key)? {
            Some(text) => Some(self.on_scan(&scan(&text), today)),
            None => Some(Vec::new()),
        }
    }

    pub fn on_action(
        &mut self,
        action: Action,
        mode: Option<&str>,
        scan: &dyn Fn(&str) -> Scan,
        today: jiff::civil::Date,
    ) -> Outcome {
        if self.confirming_short {
            return match action {
                Action::Submit | Action::PickShort => self.report_short(),
                _ => {
                    self.confirming_short = false;
                    self.prompt = None;
                    Vec::new()
                }
            };
        }
        match action {
            Action::PickClaim if self.list.is_none() && !self.claiming => self.claim(mode),
            Action::Search if self.list.is_some() => {
                self.typing_code = true;
                Vec::new()
            }
            Action::Submit => self.submit_entry(scan, today),
            Action::Back => {
                self.entry.clear();
                Vec::new()
            }
            Action::PickShort => {
                let Some(line) = self.line().cloned() else {
                    return Vec::new();
                };
                if line.state != "open" {
                    return self.say(
                        format!("line {} is {} already", line.seq, line.state),
                        Cue::Error,
                    );
                }
                self.confirming_short = true;
                self.prompt = Some(Prompt {
                    text: format!(
                        "Report short: {} of {} {} at {}? Enter: yes · Esc: no",
                        self.count, line.qty, line.sku, line.location
                    ),
                    is_error: false,
                });
                vec![Effect::Cue(Cue::Warn)]
            }
            Action::PickSkip => {
                let mut effects = self.save_progress();
                effects.extend(self.move_to(self.next_open(self.current + 1)));
                effects
            }
            Action::PickPrevious => {
                let mut effects = self.save_progress();
                let previous = self.current.checked_sub(1);
                effects.extend(self.move_to(previous));
                effects
            }
            Action::PickFinish => self.finish(),
            _ => Vec::new(),
        }
    }

    /// A typed count sets the units of the item in hand; a long number is a barcode.
    fn submit_entry(&mut self, scan: &dyn Fn(&str) -> Scan, today: jiff::civil::Date) -> Outcome {
        let typed = std::mem::take(&mut self.entry);
        if typed.is_empty() {
            return Vec::new();
        }
        if typed.len() > COUNT_DIGITS {
            return self.on_scan(&scan(&typed), today);
        }
        let Some(line) = self.line().cloned() else {
            return Vec::new();
        };
        let Ok(n) = typed.parse::<i64>() else {
            return Vec::new();
        };
        if line.state != "open" {
            return self.say(
                format!("line {} is {} already", line.seq, line.state),
                Cue::Error,
            );
        }
        if self.count == 0 {
            return self.say(
                format!("Scan one {} first, then type the count", line.sku),
                Cue::Error,
            );
        }
        if line.lot_tracked {
            return self.say(
                format!("{} is lot-tracked: scan each unit's label", line.sku),
                Cue::Error,
            );
        }
        if n > line.qty {
            return self.say(format!("Only {} wanted, not {n}", line.qty), Cue::Error);
        }
        self.count = n;
        self.counted(&line)
    }

    /// Checks one scan against the line in hand.
    pub fn on_scan(&mut self, scan: &Scan, today: jiff::civil::Date) -> Outcome {
        self.entry.clear();
        if self.confirming_short {
            self.confirming_short = false;
        }
        let Some(list) = &self.list else {
            return self.say("Press the claim key to get a pick list first", Cue::Error);
        };
        let Some(line) = self.line().cloned() else {
            return self.say("All lines are done: finish the list", Cue::Error);
        };
        let list_number = list.number.clone();
        if let Err(e) = &scan.reading {
            return self.say(format!("Unreadable: {e}"), Cue::Error);
        }
        if scan.kind() == ScanKind::PickList {
            return self.say(
                format!("You are on {list_number}; finish it first"),
                Cue::Error,
            );
        }
        if let Ok(Reading::Label(label)) = &scan.reading
            && scan.kind() == ScanKind::Tote
        {
            return self.put_in_tote(&label.text, &line);
        }
        if let Ok(Reading::Label(label)) = &scan.reading
            && scan.kind() == ScanKind::Location
        {
            if label.text == line.location {
                self.at_location = Some(label.text.clone());
                return self.say(format!("At {}: scan {}", line.location, line.sku), Cue::Ok);
            }
            return self.say(
                format!("Wrong location {}: go to {}", label.text, line.location),
                Cue::Error,
            );
        }
        if line.state != "open" {
            return self.say(
                format!("line {} is {} already", line.seq, line.state),
                Cue::Error,
            );
        }
        if self.at_location.as_deref() != Some(line.location.as_str()) {
            return self.say(format!("Scan location {} first", line.location), Cue::Error);
        }
        let Some(gtin) = scan.gtin() else {
            return self.say(
                format!("Not an item: scan {} ({})", line.sku, line.name),
                Cue::Error,
            );
        };
        if !gtin.is_item(line.barcode.as_deref()) {
            let other = list_sku_of(list, gtin);
            let what = other.map_or_else(
                || gtin.as_scanned().to_string(),
                |sku| format!("{sku} (another line)"),
            );
            return self.say(
                format!("Wrong item {what}: expected {} {}", line.sku, line.name),
                Cue::Error,
            );
        }
        let units = units_in(scan);
        if self.count + units > line.qty {
            return self.say(
                format!(
                    "Too many: {} of {} wanted; put {} back",
                    line.qty,
                    line.sku,
                    self.count + units - line.qty
                ),
                Cue::Error,
            );
        }
        if line.lot_tracked {
            let Some(lot) = element(scan, "10") else {
                return self.say(
                    format!(
                        "{} is lot-tracked: scan the label with its lot (GS1)",
                        line.sku
                    ),
                    Cue::Error,
                );
            };
            let expiry = expiry_of(scan);
            if let Some(date) = expiry
                .as_deref()
                .and_then(|d| d.parse::<jiff::civil::Date>().ok())
                && date < today
            {
                return self.say(format!("Expired {date}: take another unit"), Cue::Error);
            }
            match self
                .lots
                .iter_mut()
                .find(|l| l.lot == lot && l.expiry == expiry)
            {
                Some(known) => known.qty += units,
                None => self.lots.push(PickedLot {
                    lot,
                    expiry,
                    qty: units,
                }),
            }
        }
        self.count += units;
        self.counted(&line)
    }

    /// The order of the line in hand goes into this tote (its cart slot does).
    fn put_in_tote(&mut self, tote: &str, line: &PickLine) -> Outcome {
        let Some(list) = &mut self.list else {
            return Vec::new();
        };
        if let Some(other) = list
            .orders
            .iter()
            .find(|o| o.tote.as_deref() == Some(tote) && o.slot != line.slot)
        {
            let text = format!(
                "{tote} already holds {} (slot {})",
                other.number, other.slot
            );
            return self.say(text, Cue::Error);
        }
        let mutation = Mutation::new(Change::AssignTote {
            list: list.number.clone(),
            slot: line.slot,
            tote: tote.to_string(),
        });
        pick_into(&mutation.change, list);
        let mut effects = vec![Effect::Mutate(mutation)];
        effects.extend(self.say(
            format!("{tote} holds {} (slot {})", line.order, line.slot),
            Cue::Ok,
        ));
        effects
    }

    /// After the count of the line in hand changed: done when all are there.
    fn counted(&mut self, line: &PickLine) -> Outcome {
        if self.count < line.qty {
            return self.say(
                format!("{} of {} {}", self.count, line.qty, line.sku),
                Cue::Ok,
            );
        }
        let Some(list) = &mut self.list else {
            return Vec::new();
        };
        let mutation = Mutation::new(Change::Pick {
            list: list.number.clone(),
            seq: line.seq,
            picked: self.count,
            lots: std::mem::take(&mut self.lots),
        });
        pick_into(&mutation.change, list);
        let mut effects = vec![Effect::Mutate(mutation)];
        let next = self.next_open(self.current + 1);
        effects.extend(self.move_to(next));
        let text = match self.line() {
            Some(next) if next.state == "open" => format!("{} done → {}", line.sku, next.location),
            _ => "All lines done: finish the list".to_string(),
        };
        effects.extend(self.say(text, Cue::Done));
        effects
    }

    /// Partial progress on the line being left is kept on the server.
    fn save_progress(&mut self) -> Outcome {
        let (Some(list), Some(line)) = (&self.list, self.line()) else {
            return Vec::new();
        };
        if line.state != "open" || self.count == line.picked {
            return Vec::new();
        }
        let mutation = Mutation::new(Change::Pick {
            list: list.number.clone(),
            seq: line.seq,
            picked: self.count,
            lots: self.lots.clone(),
        });
        if let Some(list) = &mut self.list {
            pick_into(&mutation.change, list);
        }
        vec![Effect::Mutate(mutation)]
    }

    /// The first open line at or after `from`, going round; the current one if none is open.
    fn next_open(&self, from: usize) -> Option<usize> {
        let lines = &self.list.as_ref()?.lines;
        let n = lines.len();
        (0..n)
            .map(|i| (from + i) % n)
            .find(|&i| lines[i].state == "open")
    }

    fn move_to(&mut self, index: Option<usize>) -> Outcome {
        let Some(index) = index else {
            return Vec::new();
        };
        self.current = index;
        self.entry.clear();
        self.count = self.line().map_or(0, |l| l.picked);
        self.lots = self.line().map(|l| l.lots.clone()).unwrap_or_default();
        self.prompt = None;
        Vec::new()
    }

    fn report_short(&mut self) -> Outcome {
        self.confirming_short = false;
        let (Some(list), Some(line)) = (&self.list, self.line().cloned()) else {
            return Vec::new();
        };
        let missing = line.qty - self.count;
        let mutation = Mutation::new(Change::PickShort {
            list: list.number.clone(),
            seq: line.seq,
            picked: self.count,
            reason: if self.count == 0 { "empty" } else { "short" }.into(),
            lots: std::mem::take(&mut self.lots),
        });
        if let Some(list) = &mut self.list {
            pick_into(&mutation.change, list);
        }
        let mut effects = vec![Effect::Mutate(mutation)];
        effects.extend(self.move_to(self.next_open(self.current + 1)));
        effects.extend(self.say(
            format!(
                "{} short by {missing} reported; the server looks for stock elsewhere",
                line.sku
            ),
            Cue::Warn,
        ));
        effects
    }

    fn finish(&mut self) -> Outcome {
        let Some(list) = &self.list else {
            return Vec::new();
        };
        let open: Vec<String> = list
            .lines
            .iter()
            .filter(|l| l.state == "open")
            .map(|l| l.seq.to_string())
            .collect();
        if !open.is_empty() {
            return self.say(
                format!(
                    "Lines still open: {}; pick or report short",
                    open.join(", ")
                ),
                Cue::Error,
            );
        }
        // Finished here at once, whether or not the server is there to hear it now.
        let mutation = Mutation::new(Change::FinishPickList {
            list: list.number.clone(),
        });
        let mut done = list.clone();
        pick_into(&mutation.change, &mut done);
        let mut effects = vec![Effect::Mutate(mutation)];
        effects.extend(self.on_list(done));
        effects
    }

    /// The server's answer: the list as it stands (with lines from other bins after a short
    /// pick), or finished.
    pub fn on_list(&mut self, list: PickList) -> Outcome {
        self.claiming = false;
        if list.state == "done" {
            // Finished here already (offline, or before the answer came).
            if self.list.as_ref().is_none_or(|l| l.id != list.id) {
                return Vec::new();
            }
            let held = list.orders.iter().filter(|o| o.status == "hold").count();
            let text = if held == 0 {
                format!("{} finished: take the cart to packing", list.number)
            } else {
                format!(
                    "{} finished; {held} order(s) short went to ops",
                    list.number
                )
            };
            *self = PickPane::default();
            return self.say(text, Cue::Done);
        }
        let fresh = self.list.as_ref().is_none_or(|l| l.id != list.id);
        let seq = self.line().map(|l| l.seq);
        // Lines this console counted ahead of the answer keep the local state.
        let mut list = list;
        if let Some(mine) = &self.list {
            for line in &mut list.lines {
                if let Some(local) = mine.lines.iter().find(|l| l.seq == line.seq)
                    && local.state != "open"
                    && line.state == "open"
                {
                    line.state = local.state.clone();
                    line.picked = local.picked;
                }
            }
        }
        self.list = Some(list);
        if fresh {
            let first = self.next_open(0);
            self.at_location = None;
            self.move_to(first);
            let text = match self.line() {
                Some(l) if l.state == "open" => format!("Go to {}", l.location),
                _ => "All lines done: finish the list".into(),
            };
            return self.say(text, Cue::Ok);
        }
        if let Some(index) =
            seq.and_then(|s| self.list.as_ref()?.lines.iter().position(|l| l.seq == s))
        {
            self.current = index;
        }
        if self.line().is_some_and(|l| l.state != "open")
            && let Some(next) = self.next_open(self.current)
        {
            self.move_to(Some(next));
        }
        Vec::new()
    }

    /// The server refused a change: say why, loudly.
    /// A change refused: said, and the list read again so the screen shows what the
    /// server holds (with what still waits on this terminal laid over it).
    pub fn on_refused(&mut self, error: &ClientError, ids: &mut u64) -> Outcome {
        self.claiming = false;
        let mut effects = self.say(error.to_string(), Cue::Error);
        if self.list.is_some() {
            self.correcting = true;
            self.request = next_id(ids);
            effects.push(Effect::Load {
                request: self.request,
                lookup: Lookup::HeldPickList,
            });
        }
        effects
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool, active: bool) {
        let title = match &self.list {
            Some(list) => {
                let done = list.lines.iter().filter(|l| l.state != "open").count();
                format!("Pick {} {done}/{}", list.number, list.lines.len())
            }
            None => "Pick".to_string(),
        };
        let [body, prompt_area, entry_area] = floor_frame(f, area, theme, &title, active, compact);
        match (self.list.as_ref(), self.line()) {
            (None, _) => {
                let text = if self.claiming {
                    "Getting a pick list…"
                } else {
                    "No pick list. Press the claim key (see the footer) for the next one."
                };
                f.render_widget(
                    Paragraph::new(muted_line(theme, text)).wrap(Wrap { trim: true }),
                    body,
                );
            }
            (Some(list), Some(line)) => self.render_line(f, body, theme, compact, list, line),
            (Some(_), None) => {}
        }
        if let Some(p) = &self.prompt {
            p.render(f, prompt_area, theme);
        }
        if self.typing_code {
            input_line(f, entry_area, theme, "Code", 6, &self.code, true);
        } else if !self.entry.is_empty() {
            f.render_widget(
                Line::from(vec![
                    Span::styled("Count ", theme.style(ThemeRole::TextMuted)),
                    Span::styled(self.entry.clone(), theme.style(ThemeRole::InputFocus)),
                ]),
                entry_area,
            );
        }
    }

    fn render_line(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        list: &PickList,
        line: &PickLine,
    ) {
        let big = theme.style(ThemeRole::Title).add_modifier(Modifier::BOLD);
        let muted = theme.style(ThemeRole::TextMuted);
        let here = self.at_location.as_deref() == Some(line.location.as_str());
        let location_style = if here {
            theme.style(ThemeRole::Ok).add_modifier(Modifier::BOLD)
        } else {
            big.add_modifier(Modifier::REVERSED)
        };
        let tote = list
            .orders
            .iter()
            .find(|o| o.slot == line.slot)
            .and_then(|o| o.tote.clone());
        let slot = match (list.orders.len() > 1, tote) {
            (_, Some(tote)) => format!(" → {tote}"),
            (true, None) => format!(" → slot {}", line.slot),
            (false, None) => String::new(),
        };
        // A line done before (another terminal, or before a restart) shows what it got, not
        // this session's scans of it.
        let counted = if line.state == "open" {
            self.count
        } else {
            line.picked
        };
        let count = format!("{counted} of {}", line.qty);
        let mut lines = if compact {
            vec![
                Line::from(Span::styled(line.location.clone(), location_style)),
                Line::from(Span::styled(line.sku.clone(), big)),
                Line::from(line.name.clone()),
                Line::from(vec![Span::styled(count, big), Span::raw(slot)]),
            ]
        } else {
            vec![
                Line::from(vec![
                    Span::styled("Location  ", muted),
                    Span::styled(format!(" {} ", line.location), location_style),
                ]),
                Line::from(vec![
                    Span::styled("Item      ", muted),
                    Span::styled(line.sku.clone(), big),
                    Span::raw("  "),
                    Span::raw(line.name.clone()),
                ]),
                Line::from(vec![
                    Span::styled("Quantity  ", muted),
                    Span::styled(count, big),
                    Span::raw(slot),
                    Span::styled(format!("   {}", line.order), muted),
                ]),
            ]
        };
        if line.lot_tracked {
            let lots: Vec<String> = self
                .lots
                .iter()
                .map(|l| format!("{}×{}", l.lot, l.qty))
                .collect();
            let text = if lots.is_empty() {
                "lot: scan GS1 label".to_string()
            } else {
                format!("lot: {}", lots.join(", "))
            };
            lines.push(Line::from(Span::styled(text, muted)));
        }
        if line.state != "open" {
            lines.push(Line::from(Span::styled(
                format!("line {}", line.state),
                theme.style(ThemeRole::StatusDone),
            )));
        }
        let height = lines.len() as u16;
        let [head, rest] =
            Layout::vertical([Constraint::Length(height + 1), Constraint::Min(0)]).areas(area);
        f.render_widget(Paragraph::new(lines), head);
        if compact || rest.height < 3 {
            return;
        }
        let rows: Vec<Row> = list
            .lines
            .iter()
            .skip(self.current + 1)
            .chain(list.lines.iter().take(self.current))
            .filter(|l| l.state == "open")
            .take(rest.height as usize)
            .map(|l| {
                Row::new(vec![
                    l.location.clone(),
                    l.sku.clone(),
                    format!("×{}", l.qty),
                    format!("slot {}", l.slot),
                ])
            })
            .collect();
        let widths = vec![
            Constraint::Length(10),
            Constraint::Length(12),
            Constraint::Length(5),
            Constraint::Min(6),
        ];
        let header = ["Next", "SKU", "Qty", ""].map(Line::from).into();
        f.render_widget(list_table(theme, header, widths, rows), rest);
    }
}

fn list_sku_of(list: &PickList, gtin: &Gtin) -> Option<String> {
    list.lines
        .iter()
        .find(|l| gtin.is_item(l.barcode.as_deref()))
        .map(|l| l.sku.clone())
}
