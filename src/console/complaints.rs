//! The complaints pane, for customer-service agents: the ticket queue sorted by SLA
//! deadline (time left, coloured by urgency), filtered by queue and kind; a ticket with its
//! conversation and the customer's story (order, parcel, other orders and tickets); and a
//! multi-line reply editor with canned replies, internal notes, take, escalate, priority
//! and resolve; returns, refunds and replacements from the ticket, and for supervisors the
//! refunds awaiting their approval.

use std::cell::RefCell;

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id};
use super::cue::Cue;
use super::floor::{Prompt, floor_frame, say};
use super::keymap::{Action, Key};
use super::list_cursor::ListCursor;
use super::remedy_form::{FormStep, Remedy, RemedyForm};
use super::reply_editor::ReplyEditor;
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, list_table, muted_line};
use crate::api::{CannedReplyBody, FeedEvent, RefundBody, TicketDetailBody, TicketSummary};
use crate::client::{Applied, Change, ClientError, DeskChange, Loaded, Lookup, Mutation};
use crate::domain::reply_template::{TemplateValues, fill};

type Outcome = Vec<Effect>;

/// Which tickets the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Queue {
    #[default]
    All,
    Mine,
    Unassigned,
    Escalated,
    /// Refunds and replacements waiting for a second person (supervisors only).
    Approvals,
}

impl Queue {
    const ALL: [Queue; 5] = [
        Queue::All,
        Queue::Mine,
        Queue::Unassigned,
        Queue::Escalated,
        Queue::Approvals,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Queue::All => "all",
            Queue::Mine => "mine",
            Queue::Unassigned => "unassigned",
            Queue::Escalated => "escalated",
            Queue::Approvals => "approvals",
        }
    }
}

const KINDS: [Option<&str>; 4] = [
    None,
    Some("inquiry"),
    Some("complaint"),
    Some("return_request"),
];
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
const RESOLUTIONS: [&str; 7] = [
    "answered",
    "refunded",
    "replaced",
    "returned",
    "no_fault",
    "duplicate",
    "no_reply",
];

/// What is being written in the editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writing {
    Reply,
    Note,
}

/// Looking for a canned reply: typed key or words, and the matches' cursor.
#[derive(Debug, Default)]
pub struct CannedSearch {
    pub query: TextInput,
    pub selected: usize,
}

/// A one-line question before a change is sent.
#[derive(Debug)]
pub enum Asking {
    EscalateReason(TextInput),
    /// Chosen with ←/→ from `PRIORITIES`.
    Priority(usize),
    /// Chosen with ←/→ from `RESOLUTIONS`.
    Resolution(usize),
    /// A supervisor's note on approving or rejecting a refund.
    Decision {
        refund: String,
        approve: bool,
        note: TextInput,
    },
}

#[derive(Debug, Default)]
pub struct ComplaintsPane {
    me: String,
    /// May approve others' refunds: the approvals queue is offered.
    supervises: bool,
    /// May work tickets; without it (an auditor) the pane only reads.
    works: bool,
    pub queue: Queue,
    kind: usize,
    pub tickets: Vec<TicketSummary>,
    cursor: ListCursor,
    queue_request: u64,
    loading: bool,
    /// The open ticket, once loaded; `opening` until then.
    pub ticket: Option<Box<TicketDetailBody>>,
    opening: Option<String>,
    ticket_request: u64,
    /// Lines scrolled up from the newest end of the conversation.
    scroll: usize,
    canned: Vec<CannedReplyBody>,
    canned_request: u64,
    pub writing: Option<Writing>,
    pub editor: RefCell<ReplyEditor>,
    pub canned_search: Option<CannedSearch>,
    pub asking: Option<Asking>,
    pub remedy: Option<RemedyForm>,
    /// A remedy sent and not yet answered; it comes back to the screen if refused.
    remedy_sent: Option<RemedyForm>,
    /// The approvals queue.
    pub refunds: Vec<RefundBody>,
    pub prompt: Option<Prompt>,
}

/// Whether the action changes a ticket (or starts writing a change), as opposed to
/// looking at the queue and the tickets.
fn changes_a_ticket(action: Action) -> bool {
    matches!(
        action,
        Action::TicketReply
            | Action::TicketNote
            | Action::TicketTake
            | Action::TicketEscalate
            | Action::TicketPriority
            | Action::TicketResolve
            | Action::TicketRemedy
            | Action::RefundApprove
            | Action::RefundReject
    )
}

impl ComplaintsPane {
    pub fn new(me: &str, supervises: bool, works: bool) -> ComplaintsPane {
        ComplaintsPane {
            me: me.to_string(),
            supervises,
            works,
            ..ComplaintsPane::default()
        }
    }

    pub fn is_typing(&self) -> bool {
        self.writing.is_some() || self.asking.is_some() || self.remedy.is_some()
    }

    fn queues(&self) -> &'static [Queue] {
        if self.supervises {
            &Queue::ALL
        } else {
            &Queue::ALL[..4]
        }
    }

    fn in_approvals(&self) -> bool {
        self.queue == Queue::Approvals && self.ticket.is_none() && self.opening.is_none()
    }

    fn queue_len(&self) -> usize {
        if self.queue == Queue::Approvals {
            self.refunds.len()
        } else {
            self.tickets.len()
        }
    }

    fn kind(&self) -> Option<&'static str> {
        KINDS[self.kind % KINDS.len()]
    }

    pub fn offers(&self, action: Action) -> bool {
        // While writing, or a question or the canned search is open, keys go there.
        if self.is_typing() || self.canned_search.is_some() {
            return false;
        }
        let open = self.ticket.as_ref().map(|t| t.ticket.status != "resolved");
        if !self.works && changes_a_ticket(action) {
            return false;
        }
        match action {
            Action::TicketFilter => self.ticket.is_none(),
            Action::TicketKind => self.ticket.is_none() && self.queue != Queue::Approvals,
            Action::Open => self.ticket.is_none() && self.queue_len() > 0,
            Action::RefundApprove | Action::RefundReject => {
                self.in_approvals() && !self.refunds.is_empty()
            }
            Action::TicketRemedy => {
                open == Some(true) && self.ticket.as_ref().is_some_and(|t| t.order.is_some())
            }
            Action::Back => self.ticket.is_some(),
            Action::TicketReply
            | Action::TicketEscalate
            | Action::TicketPriority
            | Action::TicketResolve => open == Some(true),
            Action::TicketNote | Action::TicketTake => open.is_some(),
            _ => false,
        }
    }

    pub fn reload(&mut self, ids: &mut u64) -> Outcome {
        self.queue_request = next_id(ids);
        self.loading = true;
        let lookup = if self.queue == Queue::Approvals {
            Lookup::RefundsAwaitingApproval
        } else {
            Lookup::Tickets {
                view: self.queue.as_str().into(),
                kind: self.kind().map(str::to_string),
            }
        };
        let mut effects = vec![Effect::Load {
            request: self.queue_request,
            lookup,
        }];
        if self.canned.is_empty() {
            self.canned_request = next_id(ids);
            effects.push(Effect::Load {
                request: self.canned_request,
                lookup: Lookup::CannedReplies,
            });
        }
        if let Some(number) = self.ticket.as_ref().map(|t| t.ticket.number.clone()) {
            effects.extend(self.load_ticket(&number, ids));
        }
        effects
    }

    fn load_ticket(&mut self, number: &str, ids: &mut u64) -> Outcome {
        self.ticket_request = next_id(ids);
        vec![Effect::Load {
            request: self.ticket_request,
            lookup: Lookup::Ticket(number.to_string()),
        }]
    }

    pub fn asked(&self, request: u64) -> bool {
        request != 0
            && [self.queue_request, self.ticket_request, self.canned_request].contains(&request)
    }

    fn say(&mut self, text: impl Into<String>, cue: Cue) -> Outcome {
        say(&mut self.prompt, text, cue)
    }

    fn number(&self) -> Option<String> {
        self.ticket.as_ref().map(|t| t.ticket.number.clone())
    }

    pub fn on_loaded(&mut self, request: u64, result: Result<Loaded, ClientError>) -> Outcome {
        if !self.asked(request) {
            return Vec::new();
        }
        match result {
            Ok(Loaded::Tickets(tickets)) if request == self.queue_request => {
                self.loading = false;
                self.tickets = tickets;
                self.cursor.clamp(self.tickets.len());
                Vec::new()
            }
            Ok(Loaded::Refunds(refunds)) if request == self.queue_request => {
                self.loading = false;
                self.refunds = refunds;
                self.cursor.clamp(self.refunds.len());
                Vec::new()
            }
            Ok(Loaded::Ticket(detail)) if request == self.ticket_request => {
                let same = self.number().as_deref() == Some(detail.ticket.number.as_str());
                if !same {
                    self.scroll = 0;
                }
                self.opening = None;
                self.ticket = Some(detail);
                Vec::new()
            }
            Ok(Loaded::CannedReplies(canned)) if request == self.canned_request => {
                self.canned = canned.replies;
                Vec::new()
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                self.loading = false;
                self.opening = None;
                self.say(e.to_string(), Cue::Error)
            }
        }
    }

    /// Tickets change on the server (new messages, the SLA sweep, other agents).
    pub fn on_feed(&mut self, event: &FeedEvent, active: bool, ids: &mut u64) -> Outcome {
        if !event.kind.starts_with("ticket.")
            && !event.kind.starts_with("return.")
            && !event.kind.starts_with("refund.")
        {
            return Vec::new();
        }
        let mut effects = self.reload(ids);
        if event.kind == "ticket.escalated" && self.queue == Queue::Escalated {
            let number = event
                .payload
                .get("number")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            self.prompt = Some(Prompt {
                text: format!("{number} escalated: its deadline is near or past"),
                is_error: false,
            });
            if active {
                effects.push(Effect::Cue(Cue::Warn));
            }
        }
        effects
    }

    pub fn on_action(&mut self, action: Action, ids: &mut u64) -> Outcome {
        if self.ticket.is_none() && self.opening.is_none() {
            return self.on_queue_action(action, ids);
        }
        match action {
            Action::Back => {
                self.ticket = None;
                self.opening = None;
                self.prompt = None;
                self.reload(ids)
            }
            Action::CursorUp => {
                self.scroll += 1;
                Vec::new()
            }
            Action::CursorDown => {
                self.scroll = self.scroll.saturating_sub(1);
                Vec::new()
            }
            Action::PageUp => {
                self.scroll += 10;
                Vec::new()
            }
            Action::PageDown => {
                self.scroll = self.scroll.saturating_sub(10);
                Vec::new()
            }
            _ => self.on_ticket_action(action),
        }
    }

    fn on_queue_action(&mut self, action: Action, ids: &mut u64) -> Outcome {
        match action {
            Action::TicketFilter => {
                let queues = self.queues();
                let i = queues.iter().position(|q| *q == self.queue).unwrap_or(0);
                self.queue = queues[(i + 1) % queues.len()];
                self.cursor.reset();
                self.prompt = None;
                self.reload(ids)
            }
            Action::RefundApprove | Action::RefundReject => {
                let Some(r) = self.refunds.get(self.cursor.selected) else {
                    return self.say("No refund is selected", Cue::Error);
                };
                if r.requested_by == self.me {
                    return self.say(
                        format!("{} was asked for by you; a second person decides", r.number),
                        Cue::Error,
                    );
                }
                let approve = action == Action::RefundApprove;
                let text = format!(
                    "{} {} {} {}: {}",
                    if approve { "Approve" } else { "Reject" },
                    r.number,
                    r.kind,
                    super::ui::money(&r.amount),
                    if approve {
                        "a note for the record (Enter)"
                    } else {
                        "why? (Enter)"
                    }
                );
                self.asking = Some(Asking::Decision {
                    refund: r.number.clone(),
                    approve,
                    note: TextInput::default(),
                });
                self.prompt = Some(Prompt {
                    text,
                    is_error: false,
                });
                Vec::new()
            }
            Action::TicketKind => {
                self.kind = (self.kind + 1) % KINDS.len();
                self.cursor.reset();
                self.reload(ids)
            }
            Action::Open => {
                let number = if self.queue == Queue::Approvals {
                    self.refunds
                        .get(self.cursor.selected)
                        .map(|r| r.ticket.clone())
                } else {
                    self.tickets
                        .get(self.cursor.selected)
                        .map(|t| t.number.clone())
                };
                let Some(number) = number else {
                    return self.say("No ticket is selected", Cue::Error);
                };
                self.opening = Some(number.clone());
                self.prompt = None;
                self.load_ticket(&number, ids)
            }
            other => {
                self.cursor.apply(other, self.queue_len());
                Vec::new()
            }
        }
    }

    fn on_ticket_action(&mut self, action: Action) -> Outcome {
        let Some(detail) = &self.ticket else {
            return self.say("The ticket is still loading", Cue::Warn);
        };
        let t = &detail.ticket;
        let resolved = t.status == "resolved";
        let number = t.number.clone();
        if !self.works && changes_a_ticket(action) {
            return self.say("Your role reads tickets; it cannot change them", Cue::Error);
        }
        match action {
            Action::TicketReply
            | Action::TicketEscalate
            | Action::TicketPriority
            | Action::TicketResolve
            | Action::TicketRemedy
                if resolved =>
            {
                self.say(
                    format!("{number} is resolved; it reopens when the customer writes"),
                    Cue::Error,
                )
            }
            Action::TicketReply | Action::TicketNote => {
                let writing = if action == Action::TicketReply {
                    Writing::Reply
                } else {
                    Writing::Note
                };
                self.writing = Some(writing);
                self.editor.borrow_mut().clear();
                self.prompt = Some(Prompt {
                    text: match writing {
                        Writing::Reply => "Reply: Enter is a new line; send with Ctrl-S, canned replies with Ctrl-T".into(),
                        Writing::Note => "Internal note (the customer never sees it); send with Ctrl-S".into(),
                    },
                    is_error: false,
                });
                Vec::new()
            }
            Action::TicketTake => {
                let assignee = if t.assignee.as_deref() == Some(self.me.as_str()) {
                    None
                } else {
                    Some(self.me.clone())
                };
                self.send(DeskChange::Assign {
                    ticket: number,
                    assignee,
                })
            }
            Action::TicketEscalate => {
                if t.escalated_at.is_some() {
                    return self.say(format!("{number} is escalated already"), Cue::Error);
                }
                self.asking = Some(Asking::EscalateReason(TextInput::default()));
                self.prompt = Some(Prompt {
                    text: format!("Why does {number} need a supervisor?"),
                    is_error: false,
                });
                Vec::new()
            }
            Action::TicketPriority => {
                let at = PRIORITIES
                    .iter()
                    .position(|p| *p == t.priority)
                    .unwrap_or(1);
                self.asking = Some(Asking::Priority(at));
                self.prompt = Some(Prompt {
                    text: "Priority: ←/→ choose, Enter sets it".into(),
                    is_error: false,
                });
                Vec::new()
            }
            Action::TicketRemedy => match RemedyForm::new(detail, Remedy::Return) {
                Ok(form) => {
                    self.remedy = Some(form);
                    self.prompt = Some(Prompt {
                        text: "↑/↓ field · ←/→ or digits choose · space: all · Ctrl-S sends".into(),
                        is_error: false,
                    });
                    Vec::new()
                }
                Err(e) => self.say(e, Cue::Error),
            },
            Action::TicketResolve => {
                self.asking = Some(Asking::Resolution(0));
                self.prompt = Some(Prompt {
                    text: format!("Resolve {number}: ←/→ choose the code, Enter resolves"),
                    is_error: false,
                });
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    fn send(&mut self, change: DeskChange) -> Outcome {
        self.prompt = Some(Prompt {
            text: "Sending…".into(),
            is_error: false,
        });
        vec![Effect::Mutate(Mutation::new(Change::Desk(change)))]
    }

    /// Keys while writing or answering a question. `editor` is the key's binding in the
    /// editor context (send, canned), `input` in the text-field context (confirm, cancel).
    pub fn on_typing(
        &mut self,
        input: Option<Action>,
        editor: Option<Action>,
        key: Key,
    ) -> Option<Outcome> {
        if self.canned_search.is_some() {
            return Some(self.on_canned_key(input, key));
        }
        if let Some(form) = self.remedy.as_mut() {
            return match form.on_key(input, editor, key) {
                FormStep::Stay => Some(Vec::new()),
                FormStep::Pass => None,
                FormStep::Cancel => {
                    self.remedy = None;
                    self.prompt = None;
                    Some(Vec::new())
                }
                FormStep::Refused(why) => Some(self.say(why, Cue::Error)),
                FormStep::Send(change) => {
                    self.remedy_sent = self.remedy.take();
                    Some(self.send(change))
                }
            };
        }
        if let Some(Asking::Decision {
            refund,
            approve,
            note,
        }) = self.asking.as_mut()
        {
            return Some(match input {
                Some(Action::Cancel) => {
                    self.asking = None;
                    self.prompt = None;
                    Vec::new()
                }
                Some(Action::Submit) => {
                    let mut text = note.text().trim().to_string();
                    if text.is_empty() && !*approve {
                        return Some(self.say("Say why it is rejected", Cue::Error));
                    }
                    if text.is_empty() {
                        text = "approved".into();
                    }
                    let change = DeskChange::DecideRefund {
                        refund: refund.clone(),
                        approve: *approve,
                        note: text,
                    };
                    self.asking = None;
                    self.send(change)
                }
                _ => {
                    note.edit(key);
                    Vec::new()
                }
            });
        }
        if let Some(asking) = self.asking.as_mut() {
            let number = self.ticket.as_ref().map(|t| t.ticket.number.clone())?;
            let step = |i: &mut usize, n: usize| match key.code {
                crossterm::event::KeyCode::Left => *i = (*i + n - 1) % n,
                crossterm::event::KeyCode::Right | crossterm::event::KeyCode::Char(' ') => {
                    *i = (*i + 1) % n
                }
                _ => {}
            };
            return Some(match (asking, input) {
                (_, Some(Action::Cancel)) => {
                    self.asking = None;
                    self.prompt = None;
                    Vec::new()
                }
                (Asking::EscalateReason(reason), Some(Action::Submit)) => {
                    let reason = reason.text().trim().to_string();
                    if reason.is_empty() {
                        return Some(self.say("A reason is needed", Cue::Error));
                    }
                    self.asking = None;
                    self.send(DeskChange::Escalate {
                        ticket: number,
                        reason,
                    })
                }
                (Asking::EscalateReason(reason), _) => {
                    reason.edit(key);
                    Vec::new()
                }
                (Asking::Priority(i), Some(Action::Submit)) => {
                    let priority = PRIORITIES[*i].to_string();
                    self.asking = None;
                    self.send(DeskChange::Prioritise {
                        ticket: number,
                        priority,
                    })
                }
                (Asking::Priority(i), _) => {
                    step(i, PRIORITIES.len());
                    Vec::new()
                }
                (Asking::Resolution(i), Some(Action::Submit)) => {
                    let code = RESOLUTIONS[*i].to_string();
                    self.asking = None;
                    self.send(DeskChange::Resolve {
                        ticket: number,
                        code,
                        note: None,
                    })
                }
                (Asking::Resolution(i), _) => {
                    step(i, RESOLUTIONS.len());
                    Vec::new()
                }
                // Answered above, before the ticket is needed.
                (Asking::Decision { .. }, _) => Vec::new(),
            });
        }
        let writing = self.writing?;
        Some(match (editor, input) {
            (Some(Action::EditorSend), _) => {
                let text = self.editor.borrow().text();
                if text.trim().is_empty() {
                    return Some(self.say("Nothing is written yet", Cue::Error));
                }
                let ticket = self.number()?;
                self.writing = None;
                let body = text.trim_end().to_string();
                self.send(match writing {
                    Writing::Reply => DeskChange::Reply { ticket, body },
                    Writing::Note => DeskChange::Note { ticket, body },
                })
            }
            (Some(Action::EditorCanned), _) if writing == Writing::Reply => {
                if self.canned.is_empty() {
                    return Some(self.say("No canned replies are loaded", Cue::Error));
                }
                self.canned_search = Some(CannedSearch::default());
                Vec::new()
            }
            (Some(Action::Cancel), _) | (_, Some(Action::Cancel)) => {
                // Esc twice throws a written reply away; once only warns.
                let blank = self.editor.borrow().is_blank();
                let warned = self
                    .prompt
                    .as_ref()
                    .is_some_and(|p| p.text.starts_with("Esc again"));
                if blank || warned {
                    self.writing = None;
                    self.editor.borrow_mut().clear();
                    self.prompt = None;
                    Vec::new()
                } else {
                    self.say(
                        "Esc again throws away what is written; Ctrl-S sends it",
                        Cue::Warn,
                    )
                }
            }
            // Keys that are no edit (F-keys, Ctrl-C) go on to the bindings.
            _ => return self.editor.borrow_mut().edit(key).then(Vec::new),
        })
    }

    /// Canned replies that match the search: an exact key first, then by fuzzy match.
    pub fn canned_matches(&self) -> Vec<&CannedReplyBody> {
        let query = self
            .canned_search
            .as_ref()
            .map(|s| s.query.text().trim().to_lowercase())
            .unwrap_or_default();
        let mut scored: Vec<(u32, &CannedReplyBody)> = self
            .canned
            .iter()
            .filter_map(|c| {
                if query.is_empty() {
                    return Some((0, c));
                }
                if c.key == query {
                    return Some((u32::MAX, c));
                }
                let haystack = format!("{} {}", c.key, c.title).to_lowercase();
                fuzzy_score(&query, &haystack).map(|s| (s, c))
            })
            .collect();
        scored.sort_by_key(|(score, _)| std::cmp::Reverse(*score));
        scored.into_iter().map(|(_, c)| c).collect()
    }

    fn on_canned_key(&mut self, input: Option<Action>, key: Key) -> Outcome {
        let count = self.canned_matches().len();
        let Some(search) = self.canned_search.as_mut() else {
            return Vec::new();
        };
        match (input, key.code) {
            (Some(Action::Cancel), _) => {
                self.canned_search = None;
                Vec::new()
            }
            (_, crossterm::event::KeyCode::Down) => {
                search.selected = (search.selected + 1).min(count.saturating_sub(1));
                Vec::new()
            }
            (_, crossterm::event::KeyCode::Up) => {
                search.selected = search.selected.saturating_sub(1);
                Vec::new()
            }
            (Some(Action::Submit), _) => {
                let chosen = self
                    .canned_matches()
                    .get(search_index(&self.canned_search))
                    .map(|c| (*c).clone());
                let Some(chosen) = chosen else {
                    return self.say("No canned reply matches", Cue::Error);
                };
                let values = self.values();
                match fill(&chosen.body, &values) {
                    Ok(text) => {
                        self.canned_search = None;
                        self.editor.borrow_mut().insert(&text);
                        self.prompt = Some(Prompt {
                            text: format!("Inserted {:?}; edit it, then Ctrl-S", chosen.key),
                            is_error: false,
                        });
                        Vec::new()
                    }
                    Err(e) => self.say(
                        format!("{:?} cannot be used here: {e}", chosen.key),
                        Cue::Error,
                    ),
                }
            }
            _ => {
                search.query.edit(key);
                search.selected = 0;
                Vec::new()
            }
        }
    }

    /// What canned replies may say about the open ticket.
    fn values(&self) -> TemplateValues {
        let mut values = TemplateValues::default();
        if let Some(t) = &self.ticket {
            for (name, value) in &t.values {
                values.set(name, value.clone());
            }
        }
        values
    }

    /// The server's answer to one of this pane's changes.
    pub fn on_applied(
        &mut self,
        change: &DeskChange,
        result: Result<Applied, ClientError>,
        ids: &mut u64,
    ) -> Outcome {
        match result {
            Ok(Applied::Ticket(t)) => {
                let text = match change {
                    DeskChange::Reply { .. } => {
                        format!("Reply sent; {} waits for the customer", t.number)
                    }
                    DeskChange::Note { .. } => "Note added".to_string(),
                    DeskChange::Assign {
                        assignee: Some(_), ..
                    } => format!("{} is yours", t.number),
                    DeskChange::Assign { assignee: None, .. } => {
                        format!("{} is back in the queue", t.number)
                    }
                    DeskChange::Escalate { .. } => format!("{} is with a supervisor", t.number),
                    DeskChange::Prioritise { .. } => {
                        format!("{} is {} priority now", t.number, t.priority)
                    }
                    DeskChange::Resolve { code, .. } => {
                        format!("{} resolved: {}", t.number, code.replace('_', " "))
                    }
                    _ => format!("{} changed", t.number),
                };
                self.editor.borrow_mut().clear();
                let mut effects = self.say(text, Cue::Done);
                effects.extend(self.reload(ids));
                effects
            }
            Ok(Applied::Return(rma)) => {
                self.remedy_sent = None;
                let units: i64 = rma.lines.iter().map(|l| l.qty).sum();
                let mut effects = self.say(
                    format!(
                        "{} authorised for {units} unit{} of {}; the warehouse scans {} when it arrives",
                        rma.number,
                        if units == 1 { "" } else { "s" },
                        rma.order_number,
                        rma.number
                    ),
                    Cue::Done,
                );
                effects.extend(self.reload(ids));
                effects
            }
            Ok(Applied::Refund(r)) => {
                self.remedy_sent = None;
                let what = format!("{} {} {}", r.number, r.kind, super::ui::money(&r.amount));
                let text = match (r.status.as_str(), &r.replacement_order) {
                    ("awaiting_approval", _) => {
                        format!("{what} waits for a supervisor's approval (above the limit)")
                    }
                    ("rejected", _) => format!("{what} rejected"),
                    (_, Some(so)) => format!("{what} approved; replacement order {so} placed"),
                    _ => format!("{what} approved, in effect"),
                };
                let mut effects = self.say(text, Cue::Done);
                effects.extend(self.reload(ids));
                effects
            }
            Ok(_) => Vec::new(),
            Err(e) => {
                // A form that was refused comes back as it was, to be corrected.
                if let Some(form) = self.remedy_sent.take() {
                    self.remedy = Some(form);
                }
                // A reply that did not go out stays in the editor to be sent again.
                if matches!(change, DeskChange::Reply { .. }) {
                    self.writing = Some(Writing::Reply);
                } else if matches!(change, DeskChange::Note { .. }) {
                    self.writing = Some(Writing::Note);
                }
                self.say(e.to_string(), Cue::Error)
            }
        }
    }

    pub fn render(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        active: bool,
        now: Timestamp,
    ) {
        let title = match (&self.ticket, &self.opening) {
            (Some(t), _) => format!("Complaints · {}", t.ticket.number),
            (None, Some(n)) => format!("Complaints · {n}"),
            (None, None) => {
                let kind = self
                    .kind()
                    .map(|k| format!(" · {}", k.replace('_', " ")))
                    .unwrap_or_default();
                format!(
                    "Complaints · {} ({}){kind}",
                    self.queue.as_str(),
                    self.queue_len()
                )
            }
        };
        let [body, prompt_area, entry_area] = floor_frame(f, area, theme, &title, active, compact);
        match &self.ticket {
            Some(t) => self.render_ticket(f, body, theme, t, now),
            None if self.opening.is_some() => {
                f.render_widget(Paragraph::new(muted_line(theme, "Loading…")), body)
            }
            None if self.queue == Queue::Approvals => {
                self.render_approvals(f, body, theme, compact)
            }
            None => self.render_queue(f, body, theme, compact, now),
        }
        if let Some(p) = &self.prompt {
            p.render(f, prompt_area, theme);
        }
        match (&self.asking, &self.canned_search) {
            (_, Some(search)) => input_line(f, entry_area, theme, "Canned", 7, &search.query, true),
            (Some(Asking::EscalateReason(reason)), _) => {
                input_line(f, entry_area, theme, "Why", 5, reason, true)
            }
            (Some(Asking::Priority(i)), _) => {
                choice_line(f, entry_area, theme, "Priority", &PRIORITIES, *i)
            }
            (Some(Asking::Resolution(i)), _) => {
                choice_line(f, entry_area, theme, "Code", &RESOLUTIONS, *i)
            }
            (Some(Asking::Decision { note, approve, .. }), _) => {
                let label = if *approve { "Note" } else { "Why" };
                input_line(f, entry_area, theme, label, 6, note, true)
            }
            (None, None) => {}
        }
    }

    fn render_queue(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        now: Timestamp,
    ) {
        if self.tickets.is_empty() {
            let text = if self.loading {
                "Loading…"
            } else {
                "No ticket in this queue."
            };
            f.render_widget(
                Paragraph::new(muted_line(theme, text)).wrap(Wrap { trim: true }),
                area,
            );
            return;
        }
        let range = self
            .cursor
            .window(self.tickets.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = self.tickets[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let left = time_left(&t.due_at, now);
                let flag = if t.escalated_at.is_some() { "!" } else { " " };
                let cells = if compact {
                    vec![
                        format!("{flag}{left}"),
                        short_number(&t.number),
                        t.subject.clone(),
                    ]
                } else {
                    vec![
                        format!("{flag}{left}"),
                        t.number.clone(),
                        kind_short(&t.kind).into(),
                        t.priority.clone(),
                        t.customer_name.clone(),
                        t.subject.clone(),
                        t.assignee.clone().unwrap_or_else(|| "—".into()),
                    ]
                };
                let row = Row::new(cells).style(theme.style(sla_role(&t.sla, &t.status)));
                self.cursor.highlight(row, range.start + i, theme)
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Left", "No", "Subject"],
                vec![
                    Constraint::Length(7),
                    Constraint::Length(4),
                    Constraint::Min(6),
                ],
            )
        } else {
            (
                vec![
                    "Left", "Ticket", "Kind", "Prio", "Customer", "Subject", "Agent",
                ],
                vec![
                    Constraint::Length(7),
                    Constraint::Length(9),
                    Constraint::Length(4),
                    Constraint::Length(6),
                    Constraint::Length(14),
                    Constraint::Min(10),
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

    fn render_approvals(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        if self.refunds.is_empty() {
            let text = if self.loading {
                "Loading…"
            } else {
                "Nothing waits for approval."
            };
            f.render_widget(Paragraph::new(muted_line(theme, text)), area);
            return;
        }
        let range = self
            .cursor
            .window(self.refunds.len(), area.height.saturating_sub(1) as usize);
        let rows: Vec<Row> = self.refunds[range.clone()]
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let amount = super::ui::money(&r.amount);
                let cells = if compact {
                    vec![r.number.clone(), amount, r.kind.clone()]
                } else {
                    vec![
                        r.number.clone(),
                        r.ticket.clone(),
                        r.order_number.clone(),
                        r.kind.clone(),
                        amount,
                        r.requested_by.clone(),
                        r.reason.clone(),
                    ]
                };
                // One's own requests are there to see, not to decide.
                let role = if r.requested_by == self.me {
                    ThemeRole::TextMuted
                } else {
                    ThemeRole::Text
                };
                self.cursor.highlight(
                    Row::new(cells).style(theme.style(role)),
                    range.start + i,
                    theme,
                )
            })
            .collect();
        let (header, widths): (Vec<&str>, Vec<Constraint>) = if compact {
            (
                vec!["Refund", "Amount", "Kind"],
                vec![
                    Constraint::Length(9),
                    Constraint::Length(11),
                    Constraint::Min(6),
                ],
            )
        } else {
            (
                vec![
                    "Refund", "Ticket", "Order", "Kind", "Amount", "Asked by", "Reason",
                ],
                vec![
                    Constraint::Length(9),
                    Constraint::Length(9),
                    Constraint::Length(9),
                    Constraint::Length(11),
                    Constraint::Length(11),
                    Constraint::Length(10),
                    Constraint::Min(10),
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

    fn render_ticket(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        d: &TicketDetailBody,
        now: Timestamp,
    ) {
        let t = &d.ticket;
        let wide = area.width >= 100;
        let editor_height = match (&self.remedy, self.writing) {
            (Some(form), _) => form.height().min(area.height * 2 / 3),
            (None, Some(_)) => (area.height / 3).max(3),
            (None, None) => 0,
        };
        let [top, editor_area] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(editor_height)]).areas(area);
        let [left, story] = if wide {
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(top)
        } else {
            [top, Rect::default()]
        };
        // Who, what and how long is left stay in view; the conversation scrolls below.
        let mut pinned = vec![header_line(theme, t, now)];
        if !wide {
            pinned.extend(story_lines(theme, d).into_iter().take(3));
        }
        let pinned = Paragraph::new(pinned).wrap(Wrap { trim: true });
        let pinned_height = (pinned.line_count(left.width) as u16).min(left.height / 2);
        let [pinned_area, _, conversation] = Layout::vertical([
            Constraint::Length(pinned_height),
            Constraint::Length(1),
            Constraint::Min(1),
        ])
        .areas(left);
        f.render_widget(pinned, pinned_area);
        let mut lines = Vec::new();
        for (i, m) in d.messages.iter().enumerate() {
            if i > 0 {
                lines.push(Line::default());
            }
            let (role, label) = match m.author_kind.as_str() {
                "customer" => (ThemeRole::Title, "customer"),
                "agent" => (ThemeRole::Ok, "agent"),
                "auto" => (ThemeRole::StatusDone, "auto-reply"),
                "note" => (ThemeRole::Warning, "note"),
                _ => (ThemeRole::TextMuted, "system"),
            };
            let when = m.at.get(5..16).unwrap_or(&m.at).replace('T', " ");
            lines.push(Line::from(vec![
                Span::styled(format!("{label} · {}", m.author), theme.style(role)),
                Span::styled(format!(" · {when}"), theme.style(ThemeRole::TextMuted)),
            ]));
            let style = if matches!(m.author_kind.as_str(), "note" | "system") {
                theme.style(ThemeRole::TextMuted)
            } else {
                theme.style(ThemeRole::Text)
            };
            lines.extend(
                m.body
                    .lines()
                    .map(|l| Line::from(Span::styled(l.to_string(), style))),
            );
        }
        let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
        let total = paragraph.line_count(conversation.width) as u16;
        // Newest at the bottom, as in a chat; scrolling goes back in time.
        let bottom = total.saturating_sub(conversation.height);
        let offset = bottom.saturating_sub(self.scroll as u16);
        f.render_widget(paragraph.scroll((offset, 0)), conversation);
        if wide {
            f.render_widget(
                Paragraph::new(story_lines(theme, d)).wrap(Wrap { trim: true }),
                story,
            );
        }
        if let Some(form) = &self.remedy {
            form.render(f, editor_area, theme);
        } else if self.writing.is_some() && editor_area.height > 0 {
            let label = match self.writing {
                Some(Writing::Note) => " note ",
                _ => " reply ",
            };
            let [label_area, text_area] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(editor_area);
            f.render_widget(
                Paragraph::new(Span::styled(
                    format!("─{label}─"),
                    theme.style(ThemeRole::BorderActive),
                )),
                label_area,
            );
            if self.canned_search.is_some() {
                self.render_canned(f, text_area, theme);
            } else {
                let mut editor = self.editor.borrow_mut();
                if let Some(at) = editor.render(
                    text_area,
                    f.buffer_mut(),
                    theme.style(ThemeRole::InputFocus),
                ) {
                    f.set_cursor_position(at);
                }
            }
        }
    }

    fn render_canned(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        let selected = search_index(&self.canned_search);
        let lines: Vec<Line> = self
            .canned_matches()
            .into_iter()
            .enumerate()
            .take(area.height as usize)
            .map(|(i, c)| {
                let style = if i == selected {
                    theme.style(ThemeRole::Selection)
                } else {
                    theme.style(ThemeRole::Text)
                };
                Line::from(Span::styled(format!("{:<9} {}", c.key, c.title), style))
            })
            .collect();
        let lines = if lines.is_empty() {
            vec![muted_line(theme, "no canned reply matches")]
        } else {
            lines
        };
        f.render_widget(Paragraph::new(lines), area);
    }
}

fn search_index(search: &Option<CannedSearch>) -> usize {
    search.as_ref().map_or(0, |s| s.selected)
}

/// Letters of the query in order in the text; closer together and earlier scores higher.
/// (The list is a few dozen replies: a dependency for fuzzy matching is not worth it.)
fn fuzzy_score(query: &str, text: &str) -> Option<u32> {
    let mut score = 1000u32;
    let mut chars = text.char_indices();
    let mut last: Option<usize> = None;
    for q in query.chars().filter(|c| !c.is_whitespace()) {
        let (at, _) = chars.by_ref().find(|(_, c)| *c == q)?;
        let gap = last.map_or(at, |l| at - l - 1);
        score = score.saturating_sub(gap as u32);
        last = Some(at);
    }
    Some(score)
}

fn short_number(number: &str) -> String {
    number
        .trim_start_matches("TK-")
        .trim_start_matches('0')
        .to_string()
}

fn kind_short(kind: &str) -> &'static str {
    match kind {
        "complaint" => "CMP",
        "return_request" => "RET",
        _ => "INQ",
    }
}

fn sla_role(sla: &str, status: &str) -> ThemeRole {
    match (sla, status) {
        (_, "waiting") => ThemeRole::TextMuted,
        ("breached", _) => ThemeRole::Error,
        ("near", _) => ThemeRole::Warning,
        _ => ThemeRole::Text,
    }
}

/// Time to a deadline as agents read it: `45m`, `3h05`, `2d4h`; past it, with a minus.
pub fn time_left(due: &str, now: Timestamp) -> String {
    let Ok(due) = due.parse::<Timestamp>() else {
        return "?".into();
    };
    let secs = due.as_second() - now.as_second();
    let sign = if secs < 0 { "-" } else { "" };
    let mins = secs.abs() / 60;
    let (d, h, m) = (mins / 1440, mins / 60 % 24, mins % 60);
    if d > 0 {
        format!("{sign}{d}d{h}h")
    } else if h > 0 {
        format!("{sign}{h}h{m:02}")
    } else {
        format!("{sign}{m}m")
    }
}

fn header_line(theme: &Theme, t: &TicketSummary, now: Timestamp) -> Line<'static> {
    let mut spans = vec![
        Span::styled(
            format!("{} {} {}", t.number, t.kind.replace('_', " "), t.priority),
            theme.style(ThemeRole::Title),
        ),
        Span::styled(format!(" · {}", t.status), theme.style(ThemeRole::Text)),
    ];
    if t.status != "resolved" {
        let left = time_left(&t.due_at, now);
        let said = match left.strip_prefix('-') {
            Some(over) => format!(" · {} overdue by {over}", t.due_is),
            None => format!(" · {} {left} left", t.due_is),
        };
        spans.push(Span::styled(said, theme.style(sla_role(&t.sla, &t.status))));
    }
    if t.escalated_at.is_some() {
        spans.push(Span::styled(" · escalated", theme.style(ThemeRole::Error)));
    }
    spans.push(Span::styled(
        format!(" · {}", t.assignee.as_deref().unwrap_or("unassigned")),
        theme.style(ThemeRole::TextMuted),
    ));
    spans.push(Span::styled(
        format!(" · {}", t.subject),
        theme.style(ThemeRole::Text),
    ));
    Line::from(spans)
}

/// The customer's story: who, the order and where its parcel is, other orders and tickets.
fn story_lines(theme: &Theme, d: &TicketDetailBody) -> Vec<Line<'static>> {
    let t = &d.ticket;
    let text = |s: String| Line::from(Span::styled(s, theme.style(ThemeRole::Text)));
    let muted = |s: String| muted_line(theme, &s);
    let mut lines = vec![text(format!("{} <{}>", t.customer_name, t.customer_email))];
    match &d.order {
        Some(o) => {
            let mut parcel = format!(
                "{} {} {}",
                o.order.number,
                o.order.status.replace('_', " "),
                super::ui::money(&o.order.total)
            );
            if let Some(s) = &o.shipment {
                parcel.push_str(&format!(
                    " · {} {} {}",
                    s.carrier,
                    s.tracking_no,
                    s.state.replace('_', " ")
                ));
            }
            lines.push(text(parcel));
            if let Some(e) = o.shipment.as_ref().and_then(|s| s.events.last()) {
                let when = e.at.get(5..16).unwrap_or(&e.at).replace('T', " ");
                let place = e.location.clone().unwrap_or_default();
                lines.push(muted(format!(
                    "  {when} {} {place}",
                    e.kind.replace('_', " ")
                )));
            }
        }
        None => lines.push(muted("no order linked".into())),
    }
    let others: Vec<String> = d
        .customer_orders
        .iter()
        .filter(|o| Some(&o.number) != d.order.as_ref().map(|x| &x.order.number))
        .take(3)
        .map(|o| format!("{} {}", o.number, o.status.replace('_', " ")))
        .collect();
    if !others.is_empty() {
        lines.push(muted(format!("orders: {}", others.join(", "))));
    }
    if !d.past_tickets.is_empty() {
        let past: Vec<String> = d
            .past_tickets
            .iter()
            .take(3)
            .map(|p| format!("{} {}", p.number, p.status))
            .collect();
        lines.push(muted(format!("tickets: {}", past.join(", "))));
    }
    for r in &d.returns {
        lines.push(muted(format!("{} {}", r.number, r.status)));
    }
    for r in &d.refunds {
        lines.push(muted(format!(
            "{} {} {} {}",
            r.number,
            r.kind,
            super::ui::money(&r.amount),
            r.status.replace('_', " ")
        )));
    }
    if let Some(c) = &d.csat {
        lines.push(muted(match c.score {
            Some(s) => format!("satisfaction {s}/5"),
            None => "satisfaction asked".into(),
        }));
    }
    lines
}

fn choice_line(f: &mut Frame, area: Rect, theme: &Theme, label: &str, choices: &[&str], at: usize) {
    let mut spans = vec![Span::styled(
        format!("{label} "),
        theme.style(ThemeRole::TextMuted),
    )];
    for (i, c) in choices.iter().enumerate() {
        let style = if i == at {
            theme.style(ThemeRole::Selection)
        } else {
            Style::default()
        };
        spans.push(Span::styled(format!(" {} ", c.replace('_', " ")), style));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_left_reads_like_a_person_says_it() {
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        assert_eq!(time_left("2026-11-25T10:45:00Z", now), "45m");
        assert_eq!(time_left("2026-11-25T13:05:00Z", now), "3h05");
        assert_eq!(time_left("2026-11-27T14:00:00Z", now), "2d4h");
        assert_eq!(time_left("2026-11-25T09:30:00Z", now), "-30m");
        assert_eq!(time_left("nonsense", now), "?");
    }

    #[test]
    fn fuzzy_search_keeps_letters_in_order() {
        assert!(fuzzy_score("trk", "track where the parcel is").is_some());
        assert!(fuzzy_score("rtk", "track").is_none());
        assert!(fuzzy_score("ref", "refund issued") > fuzzy_score("ref", "return label follows"));
    }
}
