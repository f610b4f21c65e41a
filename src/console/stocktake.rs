//! The stocktake pane. A counter, keyboard only: opens a count, scans a location, scans
//! each item (one scan, one unit; a typed number then a scan sets the count), sees the
//! running count, closes the location, moves on. A blind count never shows what the
//! ledger expects — the server does not even send it. A supervisor reviews variances
//! here: approve (stock changes now) or send to recount, and reads the report.

use std::sync::Arc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id};
use super::count_plan::{CountPlan, PlanStep};
use super::cue::Cue;
use super::floor::{Prompt, code_key, entry_key, floor_frame, say, units_in};
use super::keymap::{Action, Key};
use super::list_cursor::ListCursor;
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, list_table, muted_line};
use crate::api::ProblemType;
use crate::api::{Stocktake, StocktakeReport};
use crate::client::local_view::{count_into, is_product};
use crate::client::{
    Applied, Catalogue, ClientError, CountChange, KnownProduct, Loaded, Lookup, Mutation,
};
use crate::domain::barcode::{Reading, Scan, ScanKind};
use crate::domain::stocktake::{SELF_APPROVAL_REASON_MAX, self_approval_reason};

type Outcome = Vec<Effect>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    /// The counts one can work on.
    #[default]
    Tasks,
    /// Counting the open stocktake.
    Count,
    /// A supervisor's review of variances.
    Review,
    Report,
}

/// An admin approving their own count while nobody else could is asked why, on one line,
/// before the approval is sent again with the answer.
#[derive(Debug)]
struct AskingWhy {
    stocktake: String,
    lines: Vec<(String, String)>,
    input: TextInput,
}

impl AskingWhy {
    /// The question, as much of it as the prompt's room holds: on an RF screen, the item
    /// and the question only.
    fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let (what, item) = match self.lines.as_slice() {
            [(location, sku)] => (format!("{sku} at {location}"), sku.clone()),
            _ => ("These lines".to_string(), "These lines".to_string()),
        };
        let full = format!(
            "{what}: you counted it and nobody else may approve counts now. Why approve it yourself? (audited)"
        );
        let fits = Paragraph::new(full.as_str())
            .wrap(Wrap { trim: true })
            .line_count(area.width)
            <= area.height as usize;
        let text = if fits {
            full
        } else {
            format!("{item}: your own count. Why approve it?")
        };
        Prompt {
            text,
            is_error: false,
        }
        .render(f, area, theme);
    }
}

/// Room for more than a reason may hold, so that a pasted text too long is refused with
/// its length rather than cut short without a word.
const REASON_FIELD_CHARS: usize = 2 * SELF_APPROVAL_REASON_MAX;

/// The running count of one product at the location in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// What was scanned (a barcode) or the SKU: what the server is told.
    pub product: String,
    pub sku: Option<String>,
    pub name: String,
    pub counted: i64,
}

#[derive(Debug, Default)]
pub struct StocktakePane {
    pub view: View,
    pub tasks: Vec<Stocktake>,
    cursor: ListCursor,
    request: u64,
    loading: bool,
    pub open: Option<Stocktake>,
    /// The location being counted.
    pub at: Option<String>,
    pub tallies: Vec<Tally>,
    /// Count changes sent and not yet answered: until none are, this console's own tally
    /// is newer than the server's answers.
    in_flight: usize,
    last_item: Option<String>,
    entry: String,
    code: TextInput,
    typing_code: bool,
    confirming_empty: bool,
    report: Option<StocktakeReport>,
    /// May plan, review and approve (the role holds stocktake.manage).
    pub supervisor: bool,
    /// The form for planning a new count, while it is open.
    pub plan: Option<CountPlan>,
    /// Products as this terminal knows them: names scans and turns away unknown ones.
    pub catalogue: Arc<Catalogue>,
    pub prompt: Option<Prompt>,
    asking_why: Option<AskingWhy>,
}

impl StocktakePane {
    pub fn new(supervisor: bool, catalogue: Arc<Catalogue>) -> StocktakePane {
        StocktakePane {
            supervisor,
            catalogue,
            ..StocktakePane::default()
        }
    }

    pub fn is_typing(&self) -> bool {
        self.typing_code || self.plan.is_some() || self.asking_why.is_some()
    }

    /// Asking why an admin approves their own count: keys, pastes and scans are its text.
    pub fn is_asking_why(&self) -> bool {
        self.asking_why.is_some()
    }

    pub fn offers(&self, action: Action) -> bool {
        if self.plan.is_some() || self.asking_why.is_some() {
            return false;
        }
        match (self.view, action) {
            (_, Action::CountReport) => {
                self.supervisor && (self.open.is_some() || !self.tasks.is_empty())
            }
            (View::Tasks, Action::Open) => !self.tasks.is_empty(),
            (View::Tasks, Action::CountPlan) => self.supervisor && self.plan.is_none(),
            (View::Count, Action::CountClose) => self.at.is_some(),
            (View::Count, Action::Search | Action::Back) => true,
            (View::Review, Action::CountApprove | Action::CountRecount | Action::Back) => true,
            (View::Report, Action::Back) => true,
            _ => false,
        }
    }

    pub fn reload(&mut self, ids: &mut u64) -> Outcome {
        self.request = next_id(ids);
        self.loading = true;
        vec![Effect::Load {
            request: self.request,
            lookup: Lookup::Stocktakes {
                mine: !self.supervisor,
            },
        }]
    }

    fn say(&mut self, text: impl Into<String>, cue: Cue) -> Outcome {
        say(&mut self.prompt, text, cue)
    }

    /// Digits of a count, while a location is being counted.
    pub fn on_entry_key(&mut self, key: Key) -> bool {
        self.view == View::Count
            && self.at.is_some()
            && !self.typing_code
            && entry_key(&mut self.entry, key)
    }

    pub fn on_typing(
        &mut self,
        input: Option<Action>,
        key: Key,
        scan: &dyn Fn(&str) -> Scan,
    ) -> Option<Outcome> {
        if self.asking_why.is_some() {
            return self.on_reason_key(input, key);
        }
        if let Some(plan) = &mut self.plan {
            return match plan.on_key(input, key) {
                PlanStep::Stay => {
                    // A refusal stands until the form is changed.
                    if self.prompt.as_ref().is_some_and(|p| p.is_error) {
                        self.prompt = None;
                    }
                    Some(Vec::new())
                }
                PlanStep::Pass => None,
                PlanStep::Cancel => {
                    self.plan = None;
                    self.prompt = None;
                    Some(Vec::new())
                }
                PlanStep::Invalid(text) => Some(self.say(text, Cue::Error)),
                PlanStep::Submit(plan) => {
                    self.prompt = Some(Prompt {
                        text: "Planning…".into(),
                        is_error: false,
                    });
                    Some(vec![Effect::Mutate(Mutation::new(
                        crate::client::Change::Count(CountChange::Plan(plan)),
                    ))])
                }
            };
        }
        match code_key(&mut self.code, &mut self.typing_code, input, key)? {
            Some(text) => Some(self.on_scan(&text, &scan(&text))),
            None => Some(Vec::new()),
        }
    }

    fn on_reason_key(&mut self, input: Option<Action>, key: Key) -> Option<Outcome> {
        let asking = self.asking_why.as_mut()?;
        match input {
            Some(Action::Cancel) => {
                self.asking_why = None;
                self.prompt = Some(Prompt {
                    text: "Not approved: the line still waits for review".into(),
                    is_error: false,
                });
                Some(Vec::new())
            }
            Some(Action::Submit) => Some(self.approve_with_reason()),
            _ => {
                let before = asking.input.text().to_string();
                if !asking.input.edit(key) {
                    return None;
                }
                // A refusal stands until the answer is changed; then the question is back.
                if asking.input.text() != before && self.prompt.as_ref().is_some_and(|p| p.is_error)
                {
                    self.prompt = None;
                }
                Some(Vec::new())
            }
        }
    }

    /// Sends the approval again with the reason given, if it will do; else says why not
    /// and keeps asking, the text as typed.
    fn approve_with_reason(&mut self) -> Outcome {
        let Some(asking) = &self.asking_why else {
            return Vec::new();
        };
        // Checked as the server will check it, so a refusal comes before anything is sent.
        let reason = match self_approval_reason(Some(asking.input.text())) {
            Ok(Some(reason)) => reason,
            Ok(None) => {
                return self.say(
                    "A reason is needed: why do you approve your own count?",
                    Cue::Error,
                );
            }
            Err(why) => return self.say(format!("Not sent: {why}"), Cue::Error),
        };
        let Some(asking) = self.asking_why.take() else {
            return Vec::new();
        };
        self.prompt = Some(Prompt {
            text: "Approving…".into(),
            is_error: false,
        });
        vec![Effect::Mutate(Mutation::new(crate::client::Change::Count(
            CountChange::Review {
                stocktake: asking.stocktake,
                lines: asking.lines,
                approve: true,
                reason: Some(reason),
            },
        )))]
    }

    /// Asks why, for an approval the server takes only with a reason; `typed` is what was
    /// given before, when the approval could not be sent.
    fn ask_why(&mut self, stocktake: &str, lines: &[(String, String)], typed: &str) -> Outcome {
        let mut input = TextInput::with_limit(REASON_FIELD_CHARS);
        input.set(typed);
        self.asking_why = Some(AskingWhy {
            stocktake: stocktake.to_string(),
            lines: lines.to_vec(),
            input,
        });
        // The question is drawn in the room there is, in place of the prompt.
        self.prompt = None;
        vec![Effect::Cue(Cue::Warn)]
    }

    pub fn on_loaded(&mut self, request: u64, result: Result<Loaded, ClientError>) -> Outcome {
        match result {
            Ok(Loaded::Stocktakes(list)) if request == self.request => {
                self.loading = false;
                self.tasks = list;
                self.cursor.clamp(self.tasks.len());
                Vec::new()
            }
            Ok(Loaded::Stocktake(st)) if request == self.request => {
                self.loading = false;
                self.adopt(*st);
                Vec::new()
            }
            Ok(Loaded::StocktakeReport(report)) if request == self.request => {
                self.loading = false;
                self.report = Some(*report);
                self.view = View::Report;
                Vec::new()
            }
            Err(e) if request == self.request => {
                self.loading = false;
                self.say(e.to_string(), Cue::Error)
            }
            _ => Vec::new(),
        }
    }

    fn selected_task(&self) -> Option<&Stocktake> {
        self.tasks.get(self.cursor.selected)
    }

    /// Opens a stocktake: counting for counters, review for a supervisor once counted.
    fn enter(&mut self, st: Stocktake) -> Outcome {
        self.view = if self.supervisor && st.state != "counting" {
            View::Review
        } else {
            View::Count
        };
        // A location left half counted is taken up again by scanning it.
        self.at = None;
        self.tallies.clear();
        self.cursor.reset();
        let text = match self.view {
            View::Review => format!("{}: review the variances", st.number),
            _ => match next_location(&st) {
                Some(code) => format!("{}: scan location {code}", st.number),
                None => format!("{}: every location is counted", st.number),
            },
        };
        self.open = Some(st);
        self.say(text, Cue::Ok)
    }

    /// A fresh answer from the server becomes what the pane shows, unless changes of this
    /// console are still on their way: then what it shows is newer than the answer.
    fn adopt(&mut self, st: Stocktake) {
        if self.in_flight > 0 {
            return;
        }
        self.tallies = match &self.at {
            Some(code) => tallies_at(&st, code),
            None => Vec::new(),
        };
        if let Some(i) = self.tasks.iter().position(|t| t.id == st.id) {
            self.tasks[i] = st.clone();
        }
        self.open = Some(st);
    }

    /// A scanned product as the stocktake or, failing that, the catalogue knows it.
    fn name_of(&self, st: &Stocktake, product: &str) -> Option<KnownProduct> {
        describe(st, product).or_else(|| self.catalogue.product(product))
    }

    /// A count change, applied here at once as the server will apply it: counting goes
    /// on while the server is away. `named`: the product a count is of, as known here.
    fn apply_here(&mut self, change: CountChange, named: Option<KnownProduct>) -> Effect {
        let known = |_: &str| named.clone();
        let number = self.open.as_ref().map(|st| st.number.clone());
        if let Some(st) = &mut self.open {
            count_into(&change, st, &known);
        }
        if let Some(st) = self
            .tasks
            .iter_mut()
            .find(|t| Some(&t.number) == number.as_ref())
        {
            count_into(&change, st, &known);
        }
        self.in_flight += 1;
        Effect::Mutate(Mutation::new(crate::client::Change::Count(change)))
    }

    pub fn on_action(&mut self, action: Action, ids: &mut u64) -> Outcome {
        // The question is answered (Enter) or put away (Esc) before anything else here.
        if self.asking_why.is_some() {
            return Vec::new();
        }
        if self.confirming_empty {
            self.confirming_empty = false;
            return match action {
                Action::Open | Action::Submit | Action::CountClose => self.close(true),
                _ => self.say("Go on counting", Cue::Ok),
            };
        }
        match (self.view, action) {
            (View::Tasks, Action::Open) => match self.selected_task().cloned() {
                Some(st) => self.enter(st),
                None => self.say("No stocktake to open", Cue::Error),
            },
            (View::Tasks, Action::CountPlan) if self.supervisor => {
                self.plan = Some(CountPlan::new());
                self.say("Plan a count: what, blind or not, who counts", Cue::Ok)
            }
            (View::Tasks, _) if self.cursor.apply(action, self.tasks.len()) => Vec::new(),
            (View::Count, Action::Search) => {
                self.typing_code = true;
                Vec::new()
            }
            (View::Count, Action::Open | Action::Submit) => self.submit_entry(),
            (View::Count, Action::CountClose) => self.close_here(),
            (View::Count, Action::Back) => {
                if !self.entry.is_empty() {
                    self.entry.clear();
                    return Vec::new();
                }
                match self.at.take() {
                    Some(code) => {
                        self.tallies.clear();
                        self.say(format!("Left {code}; scan it again to go on"), Cue::Ok)
                    }
                    None => self.back_to_tasks(ids),
                }
            }
            (View::Review, Action::CountApprove | Action::CountRecount) => {
                let approve = action == Action::CountApprove;
                let Some(st) = &self.open else {
                    return Vec::new();
                };
                let Some(line) = review_lines(st).get(self.cursor.selected).copied().cloned()
                else {
                    return self.say("Nothing waits for review", Cue::Error);
                };
                if approve && line.state != "variance" {
                    return self.say(
                        format!(
                            "{} at {} is {}: send it to recount",
                            line.sku, line.location, line.state
                        ),
                        Cue::Error,
                    );
                }
                vec![Effect::Mutate(Mutation::new(crate::client::Change::Count(
                    CountChange::Review {
                        stocktake: st.number.clone(),
                        lines: vec![(line.location.clone(), line.sku.clone())],
                        approve,
                        reason: None,
                    },
                )))]
            }
            (View::Review | View::Count, Action::CountReport) if self.supervisor => {
                let Some(st) = &self.open else {
                    return Vec::new();
                };
                self.request = next_id(ids);
                self.loading = true;
                vec![Effect::Load {
                    request: self.request,
                    lookup: Lookup::StocktakeReport(st.number.clone()),
                }]
            }
            (View::Tasks, Action::CountReport) if self.supervisor => {
                let Some(st) = self.selected_task() else {
                    return Vec::new();
                };
                let number = st.number.clone();
                self.open = Some(st.clone());
                self.request = next_id(ids);
                self.loading = true;
                vec![Effect::Load {
                    request: self.request,
                    lookup: Lookup::StocktakeReport(number),
                }]
            }
            (View::Review, Action::Back) => self.back_to_tasks(ids),
            (View::Review, _) => {
                let len = self.open.as_ref().map_or(0, |st| review_lines(st).len());
                self.cursor.apply(action, len);
                Vec::new()
            }
            (View::Report, Action::Back) => {
                self.view = if self.open.as_ref().is_some_and(|st| st.state != "counting") {
                    View::Review
                } else {
                    View::Tasks
                };
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn back_to_tasks(&mut self, ids: &mut u64) -> Outcome {
        self.view = View::Tasks;
        self.open = None;
        self.at = None;
        self.tallies.clear();
        self.prompt = None;
        self.reload(ids)
    }

    /// A typed number with Enter sets the count of the item scanned last.
    fn submit_entry(&mut self) -> Outcome {
        let typed = std::mem::take(&mut self.entry);
        if typed.is_empty() {
            return Vec::new();
        }
        if typed.len() > 6 {
            // A barcode typed by hand.
            return self.count_item(&typed, 1, None);
        }
        let Ok(n) = typed.parse::<i64>() else {
            return Vec::new();
        };
        match self.last_item.clone() {
            Some(product) => self.count_item(&product, n, Some(n)),
            None => self.say("Type the count, then scan the item", Cue::Error),
        }
    }

    /// A scan, wherever focus is.
    pub fn on_scan(&mut self, text: &str, scan: &Scan) -> Outcome {
        self.confirming_empty = false;
        let typed = std::mem::take(&mut self.entry);
        // Count sheets are ours, not one of the configured label shapes.
        let trimmed = text.trim();
        if trimmed.to_ascii_uppercase().starts_with("ST-") {
            let Some(st) = self
                .tasks
                .iter()
                .find(|t| t.number.eq_ignore_ascii_case(trimmed))
                .cloned()
            else {
                return self.say(
                    format!("{trimmed} is not a count you can work on"),
                    Cue::Error,
                );
            };
            return self.enter(st);
        }
        if let Err(e) = &scan.reading {
            return self.say(format!("Unreadable: {e}"), Cue::Error);
        }
        if self.view != View::Count {
            return self.say(
                "Open a stocktake first (Enter), then scan locations",
                Cue::Error,
            );
        }
        let Some(st) = self.open.clone() else {
            return Vec::new();
        };
        if let Ok(Reading::Label(label)) = &scan.reading
            && scan.kind() == ScanKind::Location
        {
            return self.at_location(&st, &label.text);
        }
        if self.at.is_none() {
            return self.say(
                match next_location(&st) {
                    Some(code) => format!("Scan a location first (next: {code})"),
                    None => "Every location is counted".to_string(),
                },
                Cue::Error,
            );
        }
        let Some(gtin) = scan.gtin() else {
            return self.say(
                "Not an item: scan a product barcode, or a location",
                Cue::Error,
            );
        };
        let product = gtin.as_scanned().to_string();
        match typed.parse::<i64>() {
            Ok(n) if !typed.is_empty() => self.count_item(&product, n, Some(n)),
            _ => self.count_item(&product, units_in(scan), None),
        }
    }

    fn at_location(&mut self, st: &Stocktake, code: &str) -> Outcome {
        if self.at.as_deref() == Some(code) {
            // The same label again: done here.
            return self.close_here();
        }
        if let Some(current) = &self.at {
            return self.say(
                format!("Close {current} first, or scan it again to close it"),
                Cue::Error,
            );
        }
        let Some(place) = st.locations.iter().find(|l| l.code == code) else {
            return self.say(format!("{code} is not part of {}", st.number), Cue::Error);
        };
        if place.state == "closed" {
            return self.say(format!("{code} was counted already"), Cue::Error);
        }
        self.at = Some(code.to_string());
        self.tallies = tallies_at(st, code);
        self.last_item = None;
        let mut effects = vec![self.apply_here(
            CountChange::StartCount {
                stocktake: st.number.clone(),
                location: code.to_string(),
            },
            None,
        )];
        effects.extend(self.say(format!("At {code}: scan each item"), Cue::Ok));
        effects
    }

    /// Adds `units` (or sets the count to `set`) of a product, here at once and on the server.
    fn count_item(&mut self, product: &str, units: i64, set: Option<i64>) -> Outcome {
        let (Some(st), Some(code)) = (self.open.as_ref(), self.at.clone()) else {
            return self.say("Scan a location first", Cue::Error);
        };
        if !(0..=100_000).contains(&units) {
            return self.say(format!("{units} is not a count"), Cue::Error);
        }
        let named = self.name_of(st, product);
        // Checked here, as the server will check it, so a count made offline is not
        // refused later when nobody is at the shelf any more.
        if named.is_none() && !self.catalogue.is_empty() {
            return self.say(
                format!("{product} is not a product we know: put it aside for a supervisor"),
                Cue::Error,
            );
        }
        let limited = st
            .locations
            .iter()
            .find(|l| l.code == code)
            .map(|l| l.products.clone())
            .unwrap_or_default();
        if let Some(known) = &named
            && !limited.is_empty()
            && !limited.contains(&known.sku)
        {
            return self.say(
                format!("{} is not part of this count at {code}", known.sku),
                Cue::Error,
            );
        }
        let number = st.number.clone();
        let index = match self.tallies.iter().position(|t| same_item(t, product)) {
            Some(i) => i,
            None => {
                self.tallies.push(Tally {
                    product: product.to_string(),
                    sku: named.as_ref().map(|k| k.sku.clone()),
                    name: named.as_ref().map(|k| k.name.clone()).unwrap_or_default(),
                    counted: 0,
                });
                self.tallies.len() - 1
            }
        };
        let tally = &mut self.tallies[index];
        tally.counted = match set {
            Some(n) => n,
            None => tally.counted + units,
        };
        let label = tally.sku.clone().unwrap_or_else(|| tally.product.clone());
        let text = format!("{label}: {}", tally.counted);
        self.last_item = Some(product.to_string());
        let mut effects = vec![self.apply_here(
            CountChange::Count {
                stocktake: number,
                location: code,
                product: product.to_string(),
                qty: set.unwrap_or(units),
                set: set.is_some(),
            },
            named,
        )];
        effects.extend(self.say(text, Cue::Ok));
        effects
    }

    /// Closes the location in hand; with nothing counted there, asks whether it is empty.
    fn close_here(&mut self) -> Outcome {
        match self.at.clone() {
            Some(_) if self.tallies.iter().all(|t| t.counted == 0) => {
                self.confirming_empty = true;
                let code = self.at.clone().unwrap_or_default();
                self.prompt = Some(Prompt {
                    text: format!("{code}: nothing counted. Empty? Enter yes, Esc no"),
                    is_error: false,
                });
                vec![Effect::Cue(Cue::Warn)]
            }
            Some(_) => self.close(false),
            None => self.say("Scan a location first", Cue::Error),
        }
    }

    /// Closes the location here at once and points at the next one; the server is told
    /// in the background.
    fn close(&mut self, empty: bool) -> Outcome {
        let (Some(st), Some(code)) = (self.open.as_ref(), self.at.clone()) else {
            return Vec::new();
        };
        let change = CountChange::CloseCount {
            stocktake: st.number.clone(),
            location: code.clone(),
            empty,
        };
        let mut effects = vec![self.apply_here(change, None)];
        let items = self.tallies.iter().filter(|t| t.counted > 0).count();
        self.at = None;
        self.tallies.clear();
        self.last_item = None;
        let done = if empty {
            format!("{code} closed as empty")
        } else {
            format!("{code} closed: {items} item(s)")
        };
        let text = match self.open.as_ref() {
            Some(st) => match next_location(st) {
                Some(next) => format!("{done}. Next: {next}"),
                None => format!("{done}. Every location of {} is counted", st.number),
            },
            None => done,
        };
        effects.extend(self.say(text, Cue::Done));
        effects
    }

    /// The server's answer to one of this pane's changes.
    pub fn on_applied(
        &mut self,
        change: &CountChange,
        result: Result<Applied, ClientError>,
        ids: &mut u64,
    ) -> Outcome {
        let counting = matches!(
            change,
            CountChange::StartCount { .. }
                | CountChange::Count { .. }
                | CountChange::CloseCount { .. }
        );
        if counting {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        match result {
            Ok(Applied::Stocktake(st)) if matches!(change, CountChange::Plan(_)) => {
                self.plan = None;
                let text = format!(
                    "{} planned: {} location(s) to count",
                    st.number,
                    st.locations.len()
                );
                self.tasks.insert(0, *st);
                self.cursor.reset();
                self.say(text, Cue::Done)
            }
            Ok(Applied::Stocktake(st)) => {
                let st = *st;
                if let CountChange::Review {
                    approve, reason, ..
                } = change
                {
                    let text = match (approve, reason) {
                        (true, Some(_)) => {
                            "Approved as your own count: stock corrected, reason on record"
                        }
                        (true, None) => "Approved: stock corrected",
                        (false, _) => "Sent to recount",
                    };
                    self.adopt(st);
                    let len = self.open.as_ref().map_or(0, |st| review_lines(st).len());
                    self.cursor.clamp(len);
                    return self.say(text, Cue::Done);
                }
                self.adopt(st);
                Vec::new()
            }
            Ok(_) => Vec::new(),
            Err(e) if self.may_ask_why(change, &e) => {
                let CountChange::Review {
                    stocktake,
                    lines,
                    reason,
                    ..
                } = change
                else {
                    return Vec::new();
                };
                let mut effects = self.ask_why(stocktake, lines, reason.as_deref().unwrap_or(""));
                if matches!(e, ClientError::NeedsServer(_)) {
                    // Not sent: the reason stays typed, and this says why it did not go.
                    return self.say(e.to_string(), Cue::Error);
                }
                // Asked here and now: not a refusal left for later.
                effects.push(Effect::SettleRefused(crate::client::Change::Count(
                    change.clone(),
                )));
                effects
            }
            Err(e) => {
                let mut effects = Vec::new();
                if counting && let Some(st) = &self.open {
                    // The server has the truth; what is still on its way is laid over it.
                    self.request = next_id(ids);
                    effects.push(Effect::Load {
                        request: self.request,
                        lookup: Lookup::Stocktake(st.number.clone()),
                    });
                }
                match change {
                    // What the server refused is not counted: back to its figure.
                    CountChange::Count {
                        product, qty, set, ..
                    } => {
                        if let Some(t) = self.tallies.iter_mut().find(|t| same_item(t, product)) {
                            if *set {
                                t.counted = 0;
                            } else {
                                t.counted = (t.counted - qty).max(0);
                            }
                        }
                        self.tallies.retain(|t| t.counted > 0 || t.sku.is_some());
                    }
                    CountChange::StartCount { location, .. }
                        if self.at.as_deref() == Some(location.as_str()) =>
                    {
                        self.at = None;
                        self.tallies.clear();
                    }
                    _ => {}
                }
                effects.extend(self.say(e.to_string(), Cue::Error));
                effects
            }
        }
    }

    /// Whether a refused approval is one a reason will carry: the server asks for one, or a
    /// reasoned approval could not be sent at all. Only while its stocktake is in review here.
    fn may_ask_why(&self, change: &CountChange, e: &ClientError) -> bool {
        let CountChange::Review {
            stocktake,
            approve: true,
            reason,
            ..
        } = change
        else {
            return false;
        };
        let here = self.view == View::Review
            && self.open.as_ref().is_some_and(|st| &st.number == stocktake);
        let unsent = reason.is_some() && matches!(e, ClientError::NeedsServer(_));
        here && (e.problem_type() == Some(ProblemType::ReasonRequired) || unsent)
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool, active: bool) {
        let title = match (&self.open, self.view) {
            (Some(st), View::Count | View::Review | View::Report) => {
                let closed = st.locations.iter().filter(|l| l.state == "closed").count();
                let blind = if st.blind && !compact {
                    " · blind"
                } else {
                    ""
                };
                format!("{} {closed}/{}{blind}", st.number, st.locations.len())
            }
            _ => "Stocktake".to_string(),
        };
        let [body, prompt_area, entry_area] = floor_frame(f, area, theme, &title, active, compact);
        match (self.view, &self.open) {
            (View::Tasks, _) if self.plan.is_some() => {
                if let Some(plan) = &self.plan {
                    plan.render(f, body, theme, compact);
                }
            }
            (View::Tasks, _) | (_, None) => self.render_tasks(f, body, theme, compact),
            (View::Count, Some(st)) => self.render_count(f, body, theme, compact, st),
            (View::Review, Some(st)) => self.render_review(f, body, theme, compact, st),
            (View::Report, Some(_)) => self.render_report(f, body, theme),
        }
        match (&self.prompt, &self.asking_why) {
            (Some(p), _) => p.render(f, prompt_area, theme),
            (None, Some(asking)) => asking.render(f, prompt_area, theme),
            (None, None) => {}
        }
        if let Some(asking) = &self.asking_why {
            input_line(f, entry_area, theme, "Why", 5, &asking.input, true);
        } else if self.typing_code {
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

    fn render_tasks(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        if self.tasks.is_empty() {
            let text = if self.loading {
                "Loading counts…"
            } else if self.supervisor {
                "No stocktakes. Press n to plan one."
            } else {
                "No count is waiting for you."
            };
            f.render_widget(
                Paragraph::new(muted_line(theme, text)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let range = self
            .cursor
            .window(self.tasks.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = self.tasks[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let closed = st.locations.iter().filter(|l| l.state == "closed").count();
                let what = match st.scope.as_str() {
                    "recount" => format!("recount {}", st.recount_of.clone().unwrap_or_default()),
                    scope => format!("{scope} {}", st.scope_detail.join(" ")),
                };
                let cells = if compact {
                    vec![
                        st.number.clone(),
                        format!("{closed}/{}", st.locations.len()),
                    ]
                } else {
                    vec![
                        st.number.clone(),
                        what,
                        format!("{closed}/{}", st.locations.len()),
                        if st.blind {
                            "blind".into()
                        } else {
                            "open".into()
                        },
                        st.state.clone(),
                    ]
                };
                let row = Row::new(cells);
                self.cursor.highlight(row, range.start + i, theme)
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Count", "Done"],
                vec![Constraint::Length(9), Constraint::Min(4)],
            )
        } else {
            (
                vec!["Count", "Scope", "Places", "Kind", "State"],
                vec![
                    Constraint::Length(9),
                    Constraint::Min(12),
                    Constraint::Length(7),
                    Constraint::Length(5),
                    Constraint::Length(8),
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

    fn render_count(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        st: &Stocktake,
    ) {
        let big = theme.style(ThemeRole::Title).add_modifier(Modifier::BOLD);
        let muted = theme.style(ThemeRole::TextMuted);
        let Some(code) = &self.at else {
            let next = next_location(st);
            let mut lines = vec![Line::from(vec![
                Span::styled(if compact { "Next " } else { "Next location  " }, muted),
                Span::styled(
                    next.clone().unwrap_or_else(|| "none: all counted".into()),
                    big.add_modifier(Modifier::REVERSED),
                ),
            ])];
            for l in st
                .locations
                .iter()
                .take(area.height.saturating_sub(2) as usize)
            {
                let mark = match l.state.as_str() {
                    "closed" => "✓",
                    "counting" => "▸",
                    _ => "·",
                };
                lines.push(Line::from(Span::styled(
                    format!("{mark} {}", l.code),
                    muted,
                )));
            }
            f.render_widget(Paragraph::new(lines), area);
            return;
        };
        let expected = st.ledger.as_ref().filter(|_| !st.blind);
        let mut lines = vec![Line::from(vec![
            Span::styled(if compact { "" } else { "Location  " }, muted),
            Span::styled(
                format!(" {code} "),
                theme.style(ThemeRole::Ok).add_modifier(Modifier::BOLD),
            ),
        ])];
        let total: i64 = self.tallies.iter().map(|t| t.counted).sum();
        lines.push(Line::from(vec![
            Span::styled(if compact { "Units " } else { "Counted   " }, muted),
            Span::styled(total.to_string(), big),
        ]));
        f.render_widget(Paragraph::new(lines), area);
        let [_, rest] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
        if rest.height < 2 {
            return;
        }
        let rows: Vec<Row> = self
            .tallies
            .iter()
            .rev()
            .take(rest.height.saturating_sub(1) as usize)
            .map(|t| {
                let sku = t.sku.clone().unwrap_or_else(|| t.product.clone());
                let mut cells = vec![sku, t.counted.to_string()];
                if !compact {
                    cells.push(t.name.clone());
                }
                if let Some(ledger) = expected {
                    let on_hand = ledger
                        .iter()
                        .find(|l| &l.location == code && Some(&l.sku) == t.sku.as_ref())
                        .map_or(0, |l| l.on_hand);
                    cells.insert(2, format!("/{on_hand}"));
                }
                Row::new(cells)
            })
            .collect();
        let mut header = vec!["Item", "Count"];
        let mut widths = vec![
            Constraint::Length(if compact { 10 } else { 14 }),
            Constraint::Length(5),
        ];
        if expected.is_some() {
            header.push("Exp");
            widths.push(Constraint::Length(5));
        }
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

    fn render_review(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        st: &Stocktake,
    ) {
        let lines = review_lines(st);
        if lines.is_empty() {
            let text = match st.state.as_str() {
                "counting" => "Still counting; variances show here once locations are closed.",
                _ => "Nothing waits for review.",
            };
            f.render_widget(
                Paragraph::new(muted_line(theme, text)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let range = self
            .cursor
            .window(lines.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = lines[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let value = l
                    .value
                    .map(|v| format!("{:.2}", v as f64 / 100.0))
                    .unwrap_or_default();
                let variance = l.variance.map(|v| format!("{v:+}")).unwrap_or_default();
                let cells = if compact {
                    vec![l.sku.clone(), variance, l.state.chars().take(3).collect()]
                } else {
                    vec![
                        l.location.clone(),
                        l.sku.clone(),
                        l.expected.map(|e| e.to_string()).unwrap_or_default(),
                        l.counted.to_string(),
                        variance,
                        value,
                        l.state.clone(),
                        l.counted_by.clone().unwrap_or_default(),
                    ]
                };
                let row = Row::new(cells);
                self.cursor.highlight(row, range.start + i, theme)
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Item", "Var", "St"],
                vec![
                    Constraint::Min(8),
                    Constraint::Length(5),
                    Constraint::Length(3),
                ],
            )
        } else {
            (
                vec![
                    "Location", "Item", "Exp", "Count", "Var", "Value", "State", "By",
                ],
                vec![
                    Constraint::Length(8),
                    Constraint::Min(10),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(8),
                    Constraint::Length(8),
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

    fn render_report(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let Some(r) = &self.report else {
            f.render_widget(
                Paragraph::new(muted_line(theme, "Loading the report…")),
                area,
            );
            return;
        };
        let muted = theme.style(ThemeRole::TextMuted);
        let row = |label: &str, value: String| {
            Line::from(vec![
                Span::styled(format!("{label:<16}"), muted),
                Span::raw(value),
            ])
        };
        let mut lines = vec![
            row(
                "Locations",
                format!("{} of {} counted", r.locations_counted, r.locations_total),
            ),
            row(
                "Lines",
                format!(
                    "{} counted, {} without variance",
                    r.lines_counted, r.lines_without_variance
                ),
            ),
            row(
                "Accuracy",
                format!("{:.1} % of lines", r.line_accuracy * 100.0),
            ),
            row(
                "Value accuracy",
                format!("{:.1} %", r.value_accuracy * 100.0),
            ),
            row(
                "Variance",
                format!(
                    "{:+} units ({} either way), {:+.2} ({:.2} either way)",
                    r.variance_units,
                    r.variance_units_abs,
                    r.variance_value as f64 / 100.0,
                    r.variance_value_abs as f64 / 100.0
                ),
            ),
            row(
                "Time taken",
                r.minutes_taken
                    .map_or_else(|| "still counting".into(), |m| format!("{m} min")),
            ),
        ];
        for c in &r.counters {
            lines.push(row(
                "Counted by",
                format!(
                    "{}: {} locations, {} lines",
                    c.counter, c.locations, c.lines
                ),
            ));
        }
        lines.push(muted_line(
            theme,
            &format!(
                "CSV: GET /api/v1/stocktakes/{}/report?format=csv",
                r.stocktake.number
            ),
        ));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
    }
}

/// The first location not yet closed, in walking order.
fn next_location(st: &Stocktake) -> Option<String> {
    st.locations
        .iter()
        .filter(|l| l.state != "closed")
        .min_by_key(|l| (l.state != "counting", l.seq))
        .map(|l| l.code.clone())
}

/// What the server has counted at a location.
fn tallies_at(st: &Stocktake, code: &str) -> Vec<Tally> {
    st.lines
        .iter()
        .filter(|l| l.location == code && l.counted > 0)
        .map(|l| Tally {
            product: l.barcode.clone().unwrap_or_else(|| l.sku.clone()),
            sku: Some(l.sku.clone()),
            name: l.name.clone(),
            counted: l.counted,
        })
        .collect()
}

/// Whether a tally is for the product scanned (by barcode, GTIN form, or SKU).
fn same_item(t: &Tally, product: &str) -> bool {
    t.product == product || is_product(t.sku.as_deref().unwrap_or(""), Some(&t.product), product)
}

/// A scanned product when the stocktake already knows it (a count line or the ledger).
fn describe(st: &Stocktake, product: &str) -> Option<KnownProduct> {
    let lines = st.lines.iter().map(|l| (&l.sku, &l.name, &l.barcode));
    let ledger = st
        .ledger
        .iter()
        .flatten()
        .map(|l| (&l.sku, &l.name, &l.barcode));
    lines
        .chain(ledger)
        .find(|(sku, _, barcode)| is_product(sku, barcode.as_deref(), product))
        .map(|(sku, name, barcode)| KnownProduct {
            sku: sku.clone(),
            name: name.clone(),
            barcode: barcode.clone(),
        })
}

/// Lines a supervisor decides on.
fn review_lines(st: &Stocktake) -> Vec<&crate::api::CountLine> {
    st.lines
        .iter()
        .filter(|l| l.state == "variance" || l.state == "outdated")
        .collect()
}
