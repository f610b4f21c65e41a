//! The replenishment pane, for purchasing: products below safety stock, live from the event
//! stream, each turned into a purchase request (for the suggested quantity or another) or
//! dismissed with a reason; and the purchase requests on their way from suggested to
//! ordered to received.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id};
use super::cue::Cue;
use super::floor::{Prompt, floor_frame, say};
use super::keymap::{Action, Key};
use super::list_cursor::ListCursor;
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, list_table, muted_line};
use crate::api::{FeedEvent, PurchaseRequest, ReplenishmentAlert};
use crate::client::{Applied, Change, ClientError, Loaded, Lookup, Mutation, PurchasingChange};

type Outcome = Vec<Effect>;

/// The largest quantity one request may ask for; more is a typing slip.
const MAX_QTY: i64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Alerts,
    Requests,
}

/// What the pane is asking before it sends a decision.
#[derive(Debug)]
pub enum Asking {
    /// How many to request; starts at the suggestion.
    Quantity {
        alert: String,
        input: TextInput,
    },
    DismissReason {
        alert: String,
        input: TextInput,
    },
    CancelReason {
        request: String,
        input: TextInput,
    },
}

impl Asking {
    fn input(&mut self) -> &mut TextInput {
        match self {
            Asking::Quantity { input, .. }
            | Asking::DismissReason { input, .. }
            | Asking::CancelReason { input, .. } => input,
        }
    }

    fn shown(&self) -> &TextInput {
        match self {
            Asking::Quantity { input, .. }
            | Asking::DismissReason { input, .. }
            | Asking::CancelReason { input, .. } => input,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Asking::Quantity { .. } => "Qty",
            Asking::DismissReason { .. } | Asking::CancelReason { .. } => "Why",
        }
    }
}

#[derive(Debug, Default)]
pub struct ReplenishmentPane {
    pub view: View,
    pub alerts: Vec<ReplenishmentAlert>,
    pub requests: Vec<PurchaseRequest>,
    alerts_cursor: ListCursor,
    requests_cursor: ListCursor,
    alerts_request: u64,
    requests_request: u64,
    loading: bool,
    pub asking: Option<Asking>,
    pub prompt: Option<Prompt>,
}

impl ReplenishmentPane {
    pub fn is_typing(&self) -> bool {
        self.asking.is_some()
    }

    pub fn offers(&self, action: Action) -> bool {
        let alert_open = self.selected_alert().is_some_and(|a| a.state == "open");
        let request = self.selected_request();
        match (self.view, action) {
            (_, Action::ReplenishmentView) => true,
            (View::Alerts, Action::AlertRequest | Action::AlertDismiss) => alert_open,
            (View::Requests, Action::RequestOrder) => {
                request.is_some_and(|r| r.state == "suggested")
            }
            (View::Requests, Action::RequestCancel) => {
                request.is_some_and(|r| r.state == "suggested" || r.state == "ordered")
            }
            _ => false,
        }
    }

    pub fn reload(&mut self, ids: &mut u64) -> Outcome {
        self.alerts_request = next_id(ids);
        self.requests_request = next_id(ids);
        self.loading = true;
        vec![
            Effect::Load {
                request: self.alerts_request,
                lookup: Lookup::Alerts,
            },
            Effect::Load {
                request: self.requests_request,
                lookup: Lookup::OpenPurchaseRequests,
            },
        ]
    }

    fn say(&mut self, text: impl Into<String>, cue: Cue) -> Outcome {
        say(&mut self.prompt, text, cue)
    }

    fn selected_alert(&self) -> Option<&ReplenishmentAlert> {
        self.alerts.get(self.alerts_cursor.selected)
    }

    fn selected_request(&self) -> Option<&PurchaseRequest> {
        self.requests.get(self.requests_cursor.selected)
    }

    /// Whether `request` is one of this pane's reads.
    pub fn asked(&self, request: u64) -> bool {
        request != 0 && (request == self.alerts_request || request == self.requests_request)
    }

    pub fn on_loaded(&mut self, request: u64, result: Result<Loaded, ClientError>) -> Outcome {
        if !self.asked(request) {
            return Vec::new();
        }
        self.loading = false;
        match result {
            Ok(Loaded::Alerts(alerts)) if request == self.alerts_request => {
                self.alerts = alerts;
                self.alerts_cursor.clamp(self.alerts.len());
                Vec::new()
            }
            Ok(Loaded::PurchaseRequests(requests)) if request == self.requests_request => {
                self.requests = requests;
                self.requests_cursor.clamp(self.requests.len());
                Vec::new()
            }
            Ok(_) => Vec::new(),
            Err(e) => self.say(e.to_string(), Cue::Error),
        }
    }

    /// Something happened on the server: alerts and requests come and go live.
    pub fn on_feed(&mut self, event: &FeedEvent, active: bool, ids: &mut u64) -> Outcome {
        let about_alerts = event.kind.starts_with("stock.alert_");
        if !about_alerts && !event.kind.starts_with("purchase.") {
            return Vec::new();
        }
        let mut effects = self.reload(ids);
        if event.kind == "stock.alert_raised" {
            let field = |name: &str| {
                event
                    .payload
                    .get(name)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            self.prompt = Some(Prompt {
                text: format!(
                    "New alert {}: {} is below safety stock",
                    field("number"),
                    field("sku")
                ),
                is_error: false,
            });
            if active {
                effects.push(Effect::Cue(Cue::Warn));
            }
        }
        effects
    }

    pub fn on_typing(&mut self, input: Option<Action>, key: Key) -> Option<Outcome> {
        let asking = self.asking.as_mut()?;
        match input {
            Some(Action::Cancel) => {
                self.asking = None;
                self.prompt = None;
                Some(Vec::new())
            }
            Some(Action::Submit) => Some(self.decide()),
            _ => asking.input().edit(key).then(Vec::new),
        }
    }

    /// Sends what was asked for, if the answer will do; otherwise asks again.
    fn decide(&mut self) -> Outcome {
        let Some(asking) = self.asking.as_mut() else {
            return Vec::new();
        };
        let text = asking.input().text().trim().to_string();
        let change = match asking {
            Asking::Quantity { alert, .. } => match text.parse::<i64>() {
                Ok(qty) if (1..=MAX_QTY).contains(&qty) => PurchasingChange::RequestFromAlert {
                    alert: alert.clone(),
                    qty: Some(qty),
                },
                _ => {
                    return self.say(
                        format!("{text:?} is not a quantity: a whole number from 1 to {MAX_QTY}"),
                        Cue::Error,
                    );
                }
            },
            Asking::DismissReason { .. } | Asking::CancelReason { .. } if text.is_empty() => {
                return self.say("A reason is needed", Cue::Error);
            }
            Asking::DismissReason { alert, .. } => PurchasingChange::DismissAlert {
                alert: alert.clone(),
                reason: text,
            },
            Asking::CancelReason { request, .. } => PurchasingChange::CancelRequest {
                request: request.clone(),
                reason: text,
            },
        };
        self.asking = None;
        self.prompt = Some(Prompt {
            text: "Sending…".into(),
            is_error: false,
        });
        vec![Effect::Mutate(Mutation::new(Change::Purchasing(change)))]
    }

    pub fn on_action(&mut self, action: Action) -> Outcome {
        match (self.view, action) {
            (View::Alerts, Action::ReplenishmentView) => {
                self.view = View::Requests;
                Vec::new()
            }
            (View::Requests, Action::ReplenishmentView) => {
                self.view = View::Alerts;
                Vec::new()
            }
            (View::Alerts, Action::AlertRequest | Action::AlertDismiss) => {
                let Some(alert) = self.selected_alert().cloned() else {
                    return self.say("No alert is selected", Cue::Error);
                };
                if alert.state != "open" {
                    return self.say(
                        format!("{} is {} already", alert.number, alert.state),
                        Cue::Error,
                    );
                }
                if action == Action::AlertRequest {
                    let suggested = alert.suggested_qty.map(|q| q.to_string());
                    self.asking = Some(Asking::Quantity {
                        alert: alert.number.clone(),
                        input: TextInput::with_text(suggested.as_deref().unwrap_or("")),
                    });
                    let text = match suggested {
                        Some(qty) => format!(
                            "Request {qty} of {} (suggested); Enter to confirm",
                            alert.sku
                        ),
                        // The server suggests nothing to someone counting blind.
                        None => format!("Request how many of {}? Enter to confirm", alert.sku),
                    };
                    self.prompt = Some(Prompt {
                        text,
                        is_error: false,
                    });
                } else {
                    self.asking = Some(Asking::DismissReason {
                        alert: alert.number.clone(),
                        input: TextInput::default(),
                    });
                    self.prompt = Some(Prompt {
                        text: format!("Why is {} ({}) set aside?", alert.number, alert.sku),
                        is_error: false,
                    });
                }
                Vec::new()
            }
            (View::Requests, Action::RequestOrder) => {
                let Some(request) = self.selected_request().cloned() else {
                    return self.say("No purchase request is selected", Cue::Error);
                };
                if request.state != "suggested" {
                    return self.say(
                        format!("{} is {} already", request.number, request.state),
                        Cue::Error,
                    );
                }
                vec![Effect::Mutate(Mutation::new(Change::Purchasing(
                    PurchasingChange::OrderRequest {
                        request: request.number,
                    },
                )))]
            }
            (View::Requests, Action::RequestCancel) => {
                let Some(request) = self.selected_request().cloned() else {
                    return self.say("No purchase request is selected", Cue::Error);
                };
                self.asking = Some(Asking::CancelReason {
                    request: request.number.clone(),
                    input: TextInput::default(),
                });
                self.prompt = Some(Prompt {
                    text: format!("Why is {} cancelled?", request.number),
                    is_error: false,
                });
                Vec::new()
            }
            (View::Alerts, _) => {
                self.alerts_cursor.apply(action, self.alerts.len());
                Vec::new()
            }
            (View::Requests, _) => {
                self.requests_cursor.apply(action, self.requests.len());
                Vec::new()
            }
        }
    }

    /// The server's answer to one of this pane's decisions.
    pub fn on_applied(
        &mut self,
        change: &PurchasingChange,
        result: Result<Applied, ClientError>,
        ids: &mut u64,
    ) -> Outcome {
        match result {
            Ok(Applied::Alert(alert)) => {
                let text = match (change, &alert.purchase_request) {
                    (PurchasingChange::RequestFromAlert { .. }, Some(pr)) => {
                        format!("{} → purchase request {pr}", alert.number)
                    }
                    _ => format!("{} dismissed", alert.number),
                };
                match self.alerts.iter_mut().find(|a| a.id == alert.id) {
                    Some(a) => *a = *alert,
                    None => self.alerts.push(*alert),
                }
                // The new request shows in the other list.
                self.requests_request = next_id(ids);
                let mut effects = vec![Effect::Load {
                    request: self.requests_request,
                    lookup: Lookup::OpenPurchaseRequests,
                }];
                effects.extend(self.say(text, Cue::Done));
                effects
            }
            Ok(Applied::PurchaseRequest(request)) => {
                let text = format!("{} is {}", request.number, request.state);
                let open = request.state == "suggested" || request.state == "ordered";
                match self.requests.iter().position(|r| r.id == request.id) {
                    Some(i) if open => self.requests[i] = *request,
                    Some(i) => {
                        self.requests.remove(i);
                    }
                    None if open => self.requests.push(*request),
                    None => {}
                }
                self.requests_cursor.clamp(self.requests.len());
                self.say(text, Cue::Done)
            }
            Ok(_) => Vec::new(),
            Err(e) => self.say(e.to_string(), Cue::Error),
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool, active: bool) {
        let open = self.alerts.iter().filter(|a| a.state == "open").count();
        let title = match self.view {
            View::Alerts => format!("Reorder · {open} open alert(s)"),
            View::Requests => format!("Reorder · {} request(s)", self.requests.len()),
        };
        let [body, prompt_area, entry_area] = floor_frame(f, area, theme, &title, active, compact);
        match self.view {
            View::Alerts => self.render_alerts(f, body, theme, compact),
            View::Requests => self.render_requests(f, body, theme, compact),
        }
        if let Some(p) = &self.prompt {
            p.render(f, prompt_area, theme);
        }
        if let Some(asking) = &self.asking {
            input_line(
                f,
                entry_area,
                theme,
                asking.label(),
                5,
                asking.shown(),
                true,
            );
        }
    }

    fn empty(&self, f: &mut Frame, area: Rect, theme: &Theme, text: &str) {
        let text = if self.loading { "Loading…" } else { text };
        f.render_widget(
            Paragraph::new(muted_line(theme, text)).wrap(Wrap { trim: true }),
            area,
        );
    }

    fn render_alerts(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        if self.alerts.is_empty() {
            return self.empty(f, area, theme, "Every product is above its safety stock.");
        }
        let range = self
            .alerts_cursor
            .window(self.alerts.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = self.alerts[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, a)| {
                let cells = if compact {
                    vec![
                        a.sku.clone(),
                        format!("{}/{}", a.available, a.safety_stock),
                        a.suggested_qty.map_or("—".into(), |q| q.to_string()),
                        a.state.chars().take(3).collect(),
                    ]
                } else {
                    vec![
                        a.number.clone(),
                        format!("{} {}", a.sku, a.name),
                        format!("{}/{}", a.available, a.safety_stock),
                        a.on_order.to_string(),
                        a.suggested_qty.map_or("—".into(), |q| q.to_string()),
                        a.raised_at
                            .get(5..16)
                            .unwrap_or(&a.raised_at)
                            .replace('T', " "),
                        match (&a.purchase_request, &a.reason) {
                            (Some(pr), _) => pr.clone(),
                            (None, Some(reason)) => format!("{}: {reason}", a.state),
                            (None, None) => a.state.clone(),
                        },
                    ]
                };
                let row = Row::new(cells);
                let row = if a.state == "open" {
                    row.style(theme.style(ThemeRole::Warning))
                } else {
                    row.style(theme.style(ThemeRole::TextMuted))
                };
                self.alerts_cursor.highlight(row, range.start + i, theme)
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Item", "Free", "Sug", "St"],
                vec![
                    Constraint::Min(8),
                    Constraint::Length(7),
                    Constraint::Length(5),
                    Constraint::Length(3),
                ],
            )
        } else {
            (
                vec![
                    "Alert", "Item", "Free/Min", "OnOrd", "Sugg", "Raised", "Decision",
                ],
                vec![
                    Constraint::Length(9),
                    Constraint::Min(9),
                    Constraint::Length(8),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(11),
                    Constraint::Length(10),
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

    fn render_requests(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        if self.requests.is_empty() {
            return self.empty(
                f,
                area,
                theme,
                "No purchase request is waiting or on order.",
            );
        }
        let range = self
            .requests_cursor
            .window(self.requests.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = self.requests[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let cells = if compact {
                    vec![
                        r.sku.clone(),
                        format!("{}/{}", r.received_qty, r.qty),
                        r.state.chars().take(3).collect(),
                    ]
                } else {
                    vec![
                        r.number.clone(),
                        format!("{} {}", r.sku, r.name),
                        r.qty.to_string(),
                        r.received_qty.to_string(),
                        r.state.clone(),
                        r.alert.clone().unwrap_or_default(),
                        r.created_by.clone(),
                    ]
                };
                let row = Row::new(cells);
                self.requests_cursor.highlight(row, range.start + i, theme)
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Item", "Rcvd", "St"],
                vec![
                    Constraint::Min(8),
                    Constraint::Length(9),
                    Constraint::Length(3),
                ],
            )
        } else {
            (
                vec!["Request", "Item", "Qty", "Rcvd", "State", "Alert", "By"],
                vec![
                    Constraint::Length(9),
                    Constraint::Min(9),
                    Constraint::Length(5),
                    Constraint::Length(5),
                    Constraint::Length(9),
                    Constraint::Length(9),
                    Constraint::Length(10),
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
}
