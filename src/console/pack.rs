//! The pack pane: scan a pick list or an order label, then every item into the parcel; a
//! wrong or surplus item is refused with the error cue. When all are verified the packer
//! picks the parcel type and types the weight; the order is packed with a tracking number,
//! its label goes to the printer, and the parcel is handed over (shipped).

use std::collections::BTreeMap;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{Effect, next_id};
use super::cue::Cue;
use super::floor::{Prompt, code_key, entry_key, floor_frame, say};
use super::keymap::{Action, Key};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, muted_line};
use crate::api::{PackOrder, PackTask, PackedItem, Parcel};
use crate::client::{Applied, Change, ClientError, Mutation};
use crate::domain::barcode::{Reading, Scan, ScanKind};
use crate::domain::parcel_weight::weight_from_text;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a pick list or order label.
    #[default]
    Label,
    Verifying,
    /// All verified: parcel type and weight.
    Details,
    Packed,
}

#[derive(Debug, Default)]
pub struct PackPane {
    task: Option<PackTask>,
    /// Index of the order being packed in `task`.
    current: usize,
    phase: Phase,
    /// SKU → units scanned into the parcel.
    verified: BTreeMap<String, i64>,
    package: usize,
    weight: TextInput,
    parcel: Option<Parcel>,
    /// Where the label went, or why it did not.
    printed: Option<Result<String, String>>,
    /// A request is out; its answer decides what comes next.
    waiting: bool,
    request: u64,
    code: TextInput,
    typing_code: bool,
    /// Digits typed: a barcode typed by hand.
    entry: String,
    pub prompt: Option<Prompt>,
}

impl PackPane {
    pub fn is_typing(&self) -> bool {
        self.typing_code || self.phase == Phase::Details
    }

    pub fn offers(&self, action: Action) -> bool {
        match action {
            Action::PackHandover => self.phase == Phase::Packed,
            Action::Search => !self.is_typing(),
            Action::Submit => self.phase == Phase::Packed || !self.entry.is_empty(),
            Action::Back => self.phase != Phase::Label,
            _ => false,
        }
    }

    fn order(&self) -> Option<&PackOrder> {
        self.task.as_ref()?.orders.get(self.current)
    }

    fn say(&mut self, text: impl Into<String>, cue: Cue) -> Vec<Effect> {
        say(&mut self.prompt, text, cue)
    }

    /// Digits of a barcode typed by hand (a torn label), confirmed with Enter.
    pub fn on_entry_key(&mut self, key: Key) -> bool {
        !self.is_typing() && entry_key(&mut self.entry, key)
    }

    pub fn on_typing(
        &mut self,
        input: Option<Action>,
        key: Key,
        scan: &dyn Fn(&str) -> Scan,
        packages: &[String],
        ids: &mut u64,
    ) -> Option<Vec<Effect>> {
        if self.typing_code {
            return match code_key(&mut self.code, &mut self.typing_code, input, key)? {
                Some(text) => Some(self.on_scan(&scan(&text), ids)),
                None => Some(Vec::new()),
            };
        }
        // Parcel details: arrows choose the type, the field takes the weight.
        match (input, key.code) {
            (Some(Action::Submit), _) => Some(self.submit_details(packages)),
            (Some(Action::Cancel), _) => Some(self.put_aside()),
            (_, crossterm::event::KeyCode::Up) => {
                self.package = self.package.saturating_sub(1);
                Some(Vec::new())
            }
            (_, crossterm::event::KeyCode::Down) => {
                self.package = (self.package + 1).min(packages.len().saturating_sub(1));
                Some(Vec::new())
            }
            _ => {
                let edited = self.weight.edit(key);
                if edited {
                    // The last complaint was about the weight as it was.
                    self.prompt = None;
                }
                edited.then(Vec::new)
            }
        }
    }

    pub fn on_action(
        &mut self,
        action: Action,
        scan: &dyn Fn(&str) -> Scan,
        ids: &mut u64,
    ) -> Vec<Effect> {
        match action {
            Action::Search => {
                self.typing_code = true;
                Vec::new()
            }
            Action::Submit if !self.entry.is_empty() => {
                let typed = std::mem::take(&mut self.entry);
                self.on_scan(&scan(&typed), ids)
            }
            Action::Submit if self.phase == Phase::Packed => self.next_order(),
            Action::PackHandover => self.hand_over(),
            Action::Back if !self.entry.is_empty() => {
                self.entry.clear();
                Vec::new()
            }
            Action::Back => self.put_aside(),
            _ => Vec::new(),
        }
    }

    pub fn on_scan(&mut self, scan: &Scan, ids: &mut u64) -> Vec<Effect> {
        self.entry.clear();
        if let Err(e) = &scan.reading {
            return self.say(format!("Unreadable: {e}"), Cue::Error);
        }
        if self.waiting {
            return self.say("One moment: the server is answering", Cue::Error);
        }
        let label = match &scan.reading {
            Ok(Reading::Label(label)) => Some(label.text.clone()),
            _ => None,
        };
        match (self.phase, scan.kind(), label) {
            (Phase::Verifying, ScanKind::Gtin | ScanKind::Gs1, _) => self.verify(scan),
            (Phase::Packed, _, _) if self.is_tracking_number(scan) => self.hand_over(),
            (
                Phase::Verifying | Phase::Details,
                ScanKind::PickList | ScanKind::Order | ScanKind::Tote,
                _,
            ) => {
                let number = self.order().map(|o| o.number.clone()).unwrap_or_default();
                self.say(
                    format!("Finish {number} first, or put it aside (Esc)"),
                    Cue::Error,
                )
            }
            (_, ScanKind::PickList | ScanKind::Order | ScanKind::Tote, Some(code)) => {
                self.request = next_id(ids);
                self.waiting = true;
                self.prompt = None;
                vec![Effect::LoadPackTask {
                    request: self.request,
                    code,
                }]
            }
            (Phase::Label | Phase::Packed, _, _) => {
                self.say("Scan a pick list, a tote or an order label", Cue::Error)
            }
            (Phase::Details, _, _) => self.say(
                "All verified: choose the parcel type, type the weight, Enter",
                Cue::Error,
            ),
            (Phase::Verifying, _, _) => self.say("Scan the items of this order", Cue::Error),
        }
    }

    fn is_tracking_number(&self, scan: &Scan) -> bool {
        let scanned = match &scan.reading {
            Ok(Reading::Gtin(g)) => g.as_scanned().to_string(),
            Ok(Reading::Label(l)) => l.text.clone(),
            _ => return false,
        };
        self.parcel
            .as_ref()
            .is_some_and(|p| p.tracking_no == scanned)
    }

    fn verify(&mut self, scan: &Scan) -> Vec<Effect> {
        let Some(order) = self.order().cloned() else {
            return Vec::new();
        };
        let Some(gtin) = scan.gtin() else {
            return self.say("Not an item", Cue::Error);
        };
        let Some(item) = order
            .items
            .iter()
            .find(|i| gtin.is_item(i.barcode.as_deref()))
        else {
            return self.say(
                format!(
                    "Not in {}: {} — put it aside",
                    order.number,
                    gtin.as_scanned()
                ),
                Cue::Error,
            );
        };
        let done = self.verified.get(&item.sku).copied().unwrap_or(0);
        if done >= item.qty {
            return self.say(
                format!(
                    "Surplus: {} needs only {} {}",
                    order.number, item.qty, item.sku
                ),
                Cue::Error,
            );
        }
        self.verified.insert(item.sku.clone(), done + 1);
        let all = order
            .items
            .iter()
            .all(|i| self.verified.get(&i.sku) == Some(&i.qty));
        if all {
            self.phase = Phase::Details;
            return self.say(
                "All verified: parcel type (↑↓), weight in kg, Enter",
                Cue::Done,
            );
        }
        self.say(format!("{} {}/{}", item.sku, done + 1, item.qty), Cue::Ok)
    }

    fn submit_details(&mut self, packages: &[String]) -> Vec<Effect> {
        let grams = match weight_from_text(self.weight.text()) {
            Ok(g) => g,
            Err(e) => return self.say(e.to_string(), Cue::Error),
        };
        let (Some(order), Some(package)) = (self.order().cloned(), packages.get(self.package))
        else {
            return Vec::new();
        };
        self.waiting = true;
        self.prompt = None;
        vec![Effect::Mutate(Mutation::new(Change::Pack {
            order: order.number,
            package: package.clone(),
            weight_grams: grams,
            items: self
                .verified
                .iter()
                .map(|(sku, qty)| PackedItem {
                    sku: sku.clone(),
                    qty: *qty,
                })
                .collect(),
        }))]
    }

    fn hand_over(&mut self) -> Vec<Effect> {
        let Some(parcel) = &self.parcel else {
            return Vec::new();
        };
        self.waiting = true;
        vec![Effect::Mutate(Mutation::new(Change::Ship {
            order: parcel.order.order.number.clone(),
        }))]
    }

    fn put_aside(&mut self) -> Vec<Effect> {
        let number = self.order().map(|o| o.number.clone());
        *self = PackPane::default();
        match number {
            Some(n) => self.say(format!("{n} put aside; scan the next label"), Cue::Warn),
            None => Vec::new(),
        }
    }

    /// The next order of the scanned pick list that waits for packing, or the next label.
    fn next_order(&mut self) -> Vec<Effect> {
        let next = self.task.as_ref().and_then(|t| {
            (self.current + 1..t.orders.len()).find(|&i| t.orders[i].status == "picking")
        });
        match next {
            Some(i) => {
                self.start(i);
                let text = self.order().map(start_text).unwrap_or_default();
                self.say(text, Cue::Ok)
            }
            None => {
                *self = PackPane::default();
                self.say("Scan the next pick list or order label", Cue::Ok)
            }
        }
    }

    fn start(&mut self, index: usize) {
        self.current = index;
        self.phase = Phase::Verifying;
        self.verified.clear();
        self.weight.clear();
        self.package = 0;
        self.parcel = None;
        self.printed = None;
    }

    pub fn on_task(&mut self, request: u64, result: Result<PackTask, ClientError>) -> Vec<Effect> {
        if request != self.request {
            return Vec::new();
        }
        self.waiting = false;
        let task = match result {
            Ok(task) => task,
            Err(e) => return self.say(e.to_string(), Cue::Error),
        };
        let first = task.orders.iter().position(|o| o.status == "picking");
        let what = task
            .list
            .clone()
            .or_else(|| task.orders.first().map(|o| o.number.clone()))
            .unwrap_or_default();
        let status = task.orders.first().map(|o| o.status.replace('_', " "));
        self.task = Some(task);
        match first {
            Some(i) => {
                self.start(i);
                let text = self.order().map(start_text).unwrap_or_default();
                self.say(text, Cue::Ok)
            }
            None => {
                self.task = None;
                let text = match status {
                    Some(s) if !what.starts_with("PL-") => {
                        format!("{what} is {s}: nothing to pack")
                    }
                    _ => format!("Nothing on {what} waits for packing"),
                };
                self.say(text, Cue::Error)
            }
        }
    }

    /// The answer to packing or handing over.
    pub fn on_applied(&mut self, result: Result<Applied, ClientError>) -> Vec<Effect> {
        self.waiting = false;
        match result {
            Ok(Applied::Parcel(parcel)) => {
                let mut effects = vec![Effect::PrintLabel {
                    order: parcel.order.order.number.clone(),
                    zpl: parcel.label_zpl.clone(),
                }];
                let text = format!(
                    "Packed: {} {}. Hand over (scan the label or press the key), Enter: next",
                    parcel.carrier, parcel.tracking_no
                );
                self.parcel = Some(*parcel);
                self.phase = Phase::Packed;
                effects.extend(self.say(text, Cue::Done));
                effects
            }
            Ok(Applied::Order(order)) => {
                let number = order.order.number.clone();
                let mut effects = self.next_order();
                if self.task.is_none() {
                    effects.extend(
                        self.say(format!("{number} shipped; scan the next label"), Cue::Done),
                    );
                }
                effects
            }
            Ok(_) => Vec::new(),
            Err(e) => self.say(e.to_string(), Cue::Error),
        }
    }

    pub fn on_printed(&mut self, result: Result<String, String>) {
        self.printed = Some(result);
    }

    pub fn render(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        active: bool,
        packages: &[String],
    ) {
        let title = match self.order() {
            Some(o) => match (o.slot, self.task.as_ref().and_then(|t| t.list.clone())) {
                (Some(slot), Some(list)) => format!("Pack {} · {list} slot {slot}", o.number),
                _ => format!("Pack {}", o.number),
            },
            None => "Pack".into(),
        };
        let [body, prompt_area, entry_area] = floor_frame(f, area, theme, &title, active, compact);
        let muted = theme.style(ThemeRole::TextMuted);
        let lines: Vec<Line> = match (self.phase, self.order()) {
            (Phase::Label, _) | (_, None) => vec![muted_line(
                theme,
                if self.waiting {
                    "Looking it up…"
                } else {
                    "Scan a pick list, a tote or an order label."
                },
            )],
            (Phase::Verifying, Some(order)) => {
                let mut lines = vec![Line::from(Span::styled(
                    format!(
                        "{} · {}",
                        order.ship_to_name,
                        order.carrier.as_deref().unwrap_or("no carrier")
                    ),
                    muted,
                ))];
                for item in &order.items {
                    let done = self.verified.get(&item.sku).copied().unwrap_or(0);
                    let (mark, style) = if done == item.qty {
                        ("✓", theme.style(ThemeRole::Ok))
                    } else {
                        (" ", theme.style(ThemeRole::Text))
                    };
                    let count = format!("{mark} {done}/{} ", item.qty);
                    lines.push(if compact {
                        Line::from(vec![
                            Span::styled(count, style),
                            Span::raw(item.sku.clone()),
                        ])
                    } else {
                        Line::from(vec![
                            Span::styled(count, style),
                            Span::styled(
                                format!("{:<10} ", item.sku),
                                style.add_modifier(Modifier::BOLD),
                            ),
                            Span::raw(item.name.clone()),
                        ])
                    });
                }
                lines
            }
            (Phase::Details, Some(_)) => {
                let mut lines = vec![Line::from(Span::styled("Parcel type", muted))];
                for (i, p) in packages.iter().enumerate() {
                    let style = if i == self.package {
                        theme.style(ThemeRole::Selection)
                    } else {
                        theme.style(ThemeRole::Text)
                    };
                    let marker = if i == self.package { "▶ " } else { "  " };
                    lines.push(Line::from(Span::styled(format!("{marker}{p}"), style)));
                }
                lines
            }
            (Phase::Packed, Some(_)) => {
                let mut lines: Vec<Line> = match &self.printed {
                    Some(Ok(to)) => vec![Line::from(Span::styled(
                        format!("label sent to {to}"),
                        theme.style(ThemeRole::Ok),
                    ))],
                    Some(Err(e)) => vec![Line::from(Span::styled(
                        format!("label not printed: {e}"),
                        theme.style(ThemeRole::Error),
                    ))],
                    None => vec![muted_line(theme, "printing the label…")],
                };
                if let Some(parcel) = &self.parcel {
                    lines.extend(parcel.label_text.lines().map(|l| Line::from(l.to_string())));
                }
                lines
            }
        };
        f.render_widget(Paragraph::new(lines), body);
        if let Some(p) = &self.prompt {
            p.render(f, prompt_area, theme);
        }
        if self.typing_code {
            input_line(f, entry_area, theme, "Code", 6, &self.code, true);
        } else if self.phase == Phase::Details {
            input_line(f, entry_area, theme, "Weight kg", 10, &self.weight, true);
        } else if !self.entry.is_empty() {
            f.render_widget(
                Line::from(vec![
                    Span::styled("Code ", muted),
                    Span::styled(self.entry.clone(), theme.style(ThemeRole::InputFocus)),
                ]),
                entry_area,
            );
        }
    }
}

fn start_text(order: &PackOrder) -> String {
    let units: i64 = order.items.iter().map(|i| i.qty).sum();
    format!("{}: scan {units} item(s) into the parcel", order.number)
}
