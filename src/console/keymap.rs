//! Keymaps: keys bound to actions per context, each binding with a description that feeds
//! the footer, the help overlay and the command palette.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::settings_file::{
    SettingsError, SettingsSource, expect_str, expect_table, in_file_order,
};
use super::settings_lookup::{inherited, locate};

pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../keymaps/default.toml")),
    ("vim", include_str!("../../keymaps/vim.toml")),
    ("rf", include_str!("../../keymaps/rf.toml")),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    Palette,
    PaneOrders,
    PaneProducts,
    PanePick,
    PanePack,
    PaneStock,
    PaneStocktake,
    PaneReplenishment,
    PaneNext,
    PanePrev,
    Refresh,
    SignOut,
    SoundMute,
    CursorUp,
    CursorDown,
    PageUp,
    PageDown,
    First,
    Last,
    Search,
    FilterStatus,
    FilterStatusBack,
    FilterClear,
    SortNext,
    Open,
    Back,
    Complete,
    Submit,
    Cancel,
    OrderApprove,
    OrderHold,
    OrderRelease,
    OrderCancel,
    OrderReroute,
    OrderNote,
    PickClaim,
    PickShort,
    PickSkip,
    PickPrevious,
    PickFinish,
    PackHandover,
    CountClose,
    CountApprove,
    CountRecount,
    CountReport,
    CountPlan,
    StockReceive,
    StockMove,
    StockClose,
    AlertRequest,
    AlertDismiss,
    RequestOrder,
    RequestCancel,
    ReplenishmentView,
    PaneComplaints,
    TicketFilter,
    TicketKind,
    TicketReply,
    TicketNote,
    TicketTake,
    TicketEscalate,
    TicketPriority,
    TicketResolve,
    TicketRemedy,
    RefundApprove,
    RefundReject,
    EditorSend,
    EditorCanned,
    Attention,
    AttentionDismiss,
}

impl Action {
    pub const ALL: [Action; 72] = [
        Action::Quit,
        Action::Help,
        Action::Palette,
        Action::PaneOrders,
        Action::PaneProducts,
        Action::PanePick,
        Action::PanePack,
        Action::PaneStock,
        Action::PaneStocktake,
        Action::PaneReplenishment,
        Action::PaneNext,
        Action::PanePrev,
        Action::Refresh,
        Action::SignOut,
        Action::SoundMute,
        Action::CursorUp,
        Action::CursorDown,
        Action::PageUp,
        Action::PageDown,
        Action::First,
        Action::Last,
        Action::Search,
        Action::FilterStatus,
        Action::FilterStatusBack,
        Action::FilterClear,
        Action::SortNext,
        Action::Open,
        Action::Back,
        Action::Complete,
        Action::Submit,
        Action::Cancel,
        Action::OrderApprove,
        Action::OrderHold,
        Action::OrderRelease,
        Action::OrderCancel,
        Action::OrderReroute,
        Action::OrderNote,
        Action::PickClaim,
        Action::PickShort,
        Action::PickSkip,
        Action::PickPrevious,
        Action::PickFinish,
        Action::PackHandover,
        Action::CountClose,
        Action::CountApprove,
        Action::CountRecount,
        Action::CountReport,
        Action::CountPlan,
        Action::StockReceive,
        Action::StockMove,
        Action::StockClose,
        Action::AlertRequest,
        Action::AlertDismiss,
        Action::RequestOrder,
        Action::RequestCancel,
        Action::ReplenishmentView,
        Action::PaneComplaints,
        Action::TicketFilter,
        Action::TicketKind,
        Action::TicketReply,
        Action::TicketNote,
        Action::TicketTake,
        Action::TicketEscalate,
        Action::TicketPriority,
        Action::TicketResolve,
        Action::TicketRemedy,
        Action::RefundApprove,
        Action::RefundReject,
        Action::EditorSend,
        Action::EditorCanned,
        Action::Attention,
        Action::AttentionDismiss,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Quit => "quit",
            Action::Help => "help",
            Action::Palette => "palette",
            Action::PaneOrders => "pane.orders",
            Action::PaneProducts => "pane.products",
            Action::PanePick => "pane.pick",
            Action::PanePack => "pane.pack",
            Action::PaneStock => "pane.stock",
            Action::PaneStocktake => "pane.stocktake",
            Action::PaneReplenishment => "pane.replenishment",
            Action::PaneNext => "pane.next",
            Action::PanePrev => "pane.prev",
            Action::Refresh => "refresh",
            Action::SignOut => "sign_out",
            Action::SoundMute => "sound.mute",
            Action::CursorUp => "cursor.up",
            Action::CursorDown => "cursor.down",
            Action::PageUp => "cursor.page_up",
            Action::PageDown => "cursor.page_down",
            Action::First => "cursor.first",
            Action::Last => "cursor.last",
            Action::Search => "search",
            Action::FilterStatus => "filter.status",
            Action::FilterStatusBack => "filter.status_back",
            Action::FilterClear => "filter.clear",
            Action::SortNext => "sort.next",
            Action::Open => "open",
            Action::Back => "back",
            Action::Complete => "complete",
            Action::Submit => "submit",
            Action::Cancel => "cancel",
            Action::OrderApprove => "order.approve",
            Action::OrderHold => "order.hold",
            Action::OrderRelease => "order.release",
            Action::OrderCancel => "order.cancel",
            Action::OrderReroute => "order.reroute",
            Action::OrderNote => "order.note",
            Action::PickClaim => "pick.claim",
            Action::PickShort => "pick.short",
            Action::PickSkip => "pick.skip",
            Action::PickPrevious => "pick.previous",
            Action::PickFinish => "pick.finish",
            Action::PackHandover => "pack.handover",
            Action::CountClose => "count.close",
            Action::CountApprove => "count.approve",
            Action::CountRecount => "count.recount",
            Action::CountReport => "count.report",
            Action::CountPlan => "count.plan",
            Action::StockReceive => "stock.receive",
            Action::StockMove => "stock.move",
            Action::StockClose => "stock.close",
            Action::AlertRequest => "alert.request",
            Action::AlertDismiss => "alert.dismiss",
            Action::RequestOrder => "request.order",
            Action::RequestCancel => "request.cancel",
            Action::ReplenishmentView => "replenishment.view",
            Action::PaneComplaints => "pane.complaints",
            Action::TicketFilter => "ticket.filter",
            Action::TicketKind => "ticket.kind",
            Action::TicketReply => "ticket.reply",
            Action::TicketNote => "ticket.note",
            Action::TicketTake => "ticket.take",
            Action::TicketEscalate => "ticket.escalate",
            Action::TicketPriority => "ticket.priority",
            Action::TicketResolve => "ticket.resolve",
            Action::TicketRemedy => "ticket.remedy",
            Action::RefundApprove => "refund.approve",
            Action::RefundReject => "refund.reject",
            Action::EditorSend => "editor.send",
            Action::EditorCanned => "editor.canned",
            Action::Attention => "attention",
            Action::AttentionDismiss => "attention.dismiss",
        }
    }

    /// What the action does, for the palette when no binding describes it.
    pub fn summary(self) -> &'static str {
        match self {
            Action::Quit => "Quit backroom",
            Action::Help => "Show keys",
            Action::Palette => "Command palette",
            Action::PaneOrders => "Go to the order queue",
            Action::PaneProducts => "Go to products",
            Action::PanePick => "Go to picking",
            Action::PanePack => "Go to packing",
            Action::PaneStock => "Go to stock: look up, receive, move",
            Action::PaneStocktake => "Go to stocktakes: count, review, report",
            Action::PaneReplenishment => "Go to replenishment: alerts and purchase requests",
            Action::PaneNext => "Next pane",
            Action::PanePrev => "Previous pane",
            Action::Refresh => "Reload from the server",
            Action::SignOut => "Sign out and end the session",
            Action::SoundMute => "Sound cues off / on",
            Action::CursorUp => "Move up",
            Action::CursorDown => "Move down",
            Action::PageUp => "Page up",
            Action::PageDown => "Page down",
            Action::First => "Go to the first row",
            Action::Last => "Go to the last row",
            Action::Search => "Search",
            Action::FilterStatus => "Next status filter",
            Action::FilterStatusBack => "Previous status filter",
            Action::FilterClear => "Clear filter and search",
            Action::SortNext => "Sort by the next key (newest, oldest, ship-by, total)",
            Action::Open => "Open the selected row",
            Action::Back => "Back",
            Action::Complete => "Complete",
            Action::Submit => "Confirm",
            Action::Cancel => "Cancel",
            Action::OrderApprove => "Approve the order out of CS review",
            Action::OrderHold => "Put the order on hold (asks for a reason)",
            Action::OrderRelease => "Release a held order to picking",
            Action::OrderCancel => "Cancel the order (asks for a reason, then to confirm)",
            Action::OrderReroute => "Route the order again with the rules in force",
            Action::OrderNote => "Show the order's shipping note (or the order again)",
            Action::PickClaim => "Take the next pick list (or the one you hold)",
            Action::PickShort => "Report the line short (asks to confirm)",
            Action::PickSkip => "Skip to the next open line (comes back later)",
            Action::PickPrevious => "Back to the previous line",
            Action::PickFinish => "Finish the pick list",
            Action::PackHandover => "Hand the packed parcel over to the carrier (shipped)",
            Action::CountClose => "Close the location being counted (asks when empty)",
            Action::CountApprove => "Approve the selected variance (stock changes now)",
            Action::CountRecount => "Send the selected line to a recount by someone else",
            Action::CountReport => "Stocktake report: accuracy, variances, counters",
            Action::CountPlan => "Plan a stocktake: zone, locations, products or cycle",
            Action::StockReceive => "Receive a delivery: purchase requests, then items",
            Action::StockMove => "Move or put away: scan from, the items, then where to",
            Action::StockClose => "Close the receipt (settles its purchase requests)",
            Action::AlertRequest => "Turn the alert into a purchase request (asks how many)",
            Action::AlertDismiss => "Dismiss the alert (asks why)",
            Action::RequestOrder => "Mark the purchase request ordered with the supplier",
            Action::RequestCancel => "Cancel the purchase request (asks why)",
            Action::ReplenishmentView => "Switch between alerts and purchase requests",
            Action::PaneComplaints => "Go to complaints: the help-desk queue and tickets",
            Action::TicketFilter => "Next queue: all, mine, unassigned, escalated",
            Action::TicketKind => "Next kind: all, inquiry, complaint, return request",
            Action::TicketReply => "Write a reply to the customer",
            Action::TicketNote => "Write an internal note",
            Action::TicketTake => "Take the ticket, or give it back",
            Action::TicketEscalate => "Escalate to a supervisor (asks why)",
            Action::TicketPriority => "Set the priority",
            Action::TicketResolve => "Resolve with a resolution code",
            Action::TicketRemedy => "Return, refund or replacement for the ticket's order",
            Action::RefundApprove => "Approve the refund or replacement (a second person)",
            Action::RefundReject => "Reject the refund or replacement, with a note",
            Action::EditorSend => "Send what is written",
            Action::EditorCanned => "Insert a canned reply (by key or search)",
            Action::Attention => "Changes the server refused (needs attention)",
            Action::AttentionDismiss => "Let a refused change go (it is not sent)",
        }
    }

    pub fn parse(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where keys are looked up. Pane contexts and overlays win over `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Global,
    Orders,
    Products,
    Pick,
    Pack,
    Stock,
    Stocktake,
    Replenishment,
    Complaints,
    /// The reply editor of the complaints pane: every other key types.
    Editor,
    /// The changes the server refused, kept for a person to see.
    Attention,
    Help,
    Palette,
    Input,
}

const GLOBAL_ACTIONS: &[Action] = &[
    Action::Quit,
    Action::Help,
    Action::Palette,
    Action::PaneOrders,
    Action::PaneProducts,
    Action::PanePick,
    Action::PanePack,
    Action::PaneStock,
    Action::PaneStocktake,
    Action::PaneReplenishment,
    Action::PaneComplaints,
    Action::PaneNext,
    Action::PanePrev,
    Action::Refresh,
    Action::SignOut,
    Action::SoundMute,
    Action::Attention,
];
const CURSOR_ACTIONS: &[Action] = &[
    Action::CursorUp,
    Action::CursorDown,
    Action::PageUp,
    Action::PageDown,
    Action::First,
    Action::Last,
];

impl Context {
    pub const ALL: [Context; 14] = [
        Context::Global,
        Context::Orders,
        Context::Products,
        Context::Pick,
        Context::Pack,
        Context::Stock,
        Context::Stocktake,
        Context::Replenishment,
        Context::Complaints,
        Context::Editor,
        Context::Attention,
        Context::Help,
        Context::Palette,
        Context::Input,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Context::Global => "global",
            Context::Orders => "orders",
            Context::Products => "products",
            Context::Pick => "pick",
            Context::Pack => "pack",
            Context::Stock => "stock",
            Context::Stocktake => "stocktake",
            Context::Replenishment => "replenishment",
            Context::Complaints => "complaints",
            Context::Editor => "editor",
            Context::Attention => "attention",
            Context::Help => "help",
            Context::Palette => "palette",
            Context::Input => "input",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Everywhere",
            Context::Orders => "Order queue",
            Context::Products => "Products",
            Context::Pick => "Picking",
            Context::Pack => "Packing",
            Context::Stock => "Stock",
            Context::Stocktake => "Stocktake",
            Context::Replenishment => "Replenishment",
            Context::Complaints => "Complaints",
            Context::Editor => "Reply editor",
            Context::Attention => "Needs attention",
            Context::Help => "This help",
            Context::Palette => "Command palette",
            Context::Input => "Text fields",
        }
    }

    fn parse(name: &str) -> Option<Context> {
        Context::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Actions that mean something in this context.
    pub fn allows(self, action: Action) -> bool {
        let own: &[Action] = match self {
            Context::Global => &[],
            Context::Orders => &[
                Action::Search,
                Action::FilterStatus,
                Action::FilterStatusBack,
                Action::FilterClear,
                Action::SortNext,
                Action::Open,
                Action::Back,
                Action::OrderApprove,
                Action::OrderHold,
                Action::OrderRelease,
                Action::OrderCancel,
                Action::OrderReroute,
                Action::OrderNote,
            ],
            Context::Products => &[
                Action::Search,
                Action::FilterClear,
                Action::Open,
                Action::Back,
            ],
            Context::Pick => &[
                Action::PickClaim,
                Action::PickShort,
                Action::PickSkip,
                Action::PickPrevious,
                Action::PickFinish,
                Action::Search,
                Action::Submit,
                Action::Back,
            ],
            Context::Pack => &[
                Action::PackHandover,
                Action::Search,
                Action::Submit,
                Action::Back,
            ],
            Context::Stocktake => &[
                Action::CountClose,
                Action::CountApprove,
                Action::CountRecount,
                Action::CountReport,
                Action::CountPlan,
                Action::Open,
                Action::Search,
                Action::Submit,
                Action::Back,
            ],
            Context::Stock => &[
                Action::StockReceive,
                Action::StockMove,
                Action::StockClose,
                Action::Open,
                Action::Search,
                Action::Submit,
                Action::Back,
            ],
            Context::Replenishment => &[
                Action::AlertRequest,
                Action::AlertDismiss,
                Action::RequestOrder,
                Action::RequestCancel,
                Action::ReplenishmentView,
            ],
            Context::Complaints => &[
                Action::Open,
                Action::Back,
                Action::TicketFilter,
                Action::TicketKind,
                Action::TicketReply,
                Action::TicketNote,
                Action::TicketTake,
                Action::TicketEscalate,
                Action::TicketPriority,
                Action::TicketResolve,
                Action::TicketRemedy,
                Action::RefundApprove,
                Action::RefundReject,
            ],
            Context::Editor => {
                return matches!(
                    action,
                    Action::EditorSend | Action::EditorCanned | Action::Cancel
                );
            }
            Context::Help => &[Action::Back],
            Context::Attention => &[Action::Back, Action::AttentionDismiss],
            Context::Palette => {
                return matches!(
                    action,
                    Action::CursorUp | Action::CursorDown | Action::Complete
                );
            }
            Context::Input => return matches!(action, Action::Submit | Action::Cancel),
        };
        let cursor = self != Context::Global && CURSOR_ACTIONS.contains(&action);
        GLOBAL_ACTIONS.contains(&action) || own.contains(&action) || cursor
    }
}

/// A key as bound: shift is folded into the character for printable keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                if mods.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    /// Parses `ctrl-c`, `f1`, `shift-up`, `?`, `G`, `pagedown`, `space`, …
    pub fn parse(spec: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = spec;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (prefix, m) = if lower.starts_with("ctrl-") {
                ("ctrl-", KeyModifiers::CONTROL)
            } else if lower.starts_with("alt-") {
                ("alt-", KeyModifiers::ALT)
            } else if lower.starts_with("shift-") {
                ("shift-", KeyModifiers::SHIFT)
            } else {
                break;
            };
            if rest.len() == prefix.len() {
                break;
            }
            mods |= m;
            rest = &rest[prefix.len()..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" => KeyCode::PageUp,
                "pagedown" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                "insert" => KeyCode::Insert,
                "space" => KeyCode::Char(' '),
                f if f.starts_with('f') && f.len() > 1 => match f[1..].parse::<u8>() {
                    Ok(n @ 1..=24) => KeyCode::F(n),
                    _ => {
                        return Err(format!(
                            "{spec:?} is not a key (function keys are f1 to f24)"
                        ));
                    }
                },
                _ => return Err(format!("{spec:?} is not a key")),
            },
        };
        Ok(Key::new(code, mods))
    }

    /// Printable keys without ctrl/alt type into text fields.
    pub fn is_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("C-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("M-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("S-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("S-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Backspace => f.write_str("Bksp"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            other => write!(f, "{other:?}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub key: Key,
    pub action: Action,
    pub desc: String,
    /// Label for narrow screens; falls back to `desc`.
    pub short: Option<String>,
}

impl Binding {
    pub fn label(&self, narrow: bool) -> &str {
        match (&self.short, narrow) {
            (Some(s), true) => s,
            _ => &self.desc,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Keymap {
    pub name: String,
    contexts: HashMap<Context, Vec<Binding>>,
}

impl Keymap {
    /// Loads a keymap by name (or path), following `inherits`.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Keymap, SettingsError> {
        let source = locate("keymaps", name, user_dir, BUILT_IN)?;
        Keymap::from_toml(name, &source, user_dir)
    }

    /// Reads a keymap from the text of a file already found; `inherits` is looked up as by
    /// `load` (built in, the user's directory, or a path).
    pub fn from_toml(
        name: &str,
        source: &SettingsSource,
        user_dir: Option<&Path>,
    ) -> Result<Keymap, SettingsError> {
        Keymap::from_source(name, source, user_dir, 0)
    }

    fn from_source(
        name: &str,
        source: &SettingsSource,
        user_dir: Option<&Path>,
        depth: usize,
    ) -> Result<Keymap, SettingsError> {
        let doc = source.parse()?;
        let mut keymap = Keymap {
            name: name.to_string(),
            contexts: HashMap::new(),
        };
        if let Some(parent) = doc.get_ref().get("inherits") {
            let (parent_name, parent_source) =
                inherited("keymaps", name, source, parent, depth, user_dir, BUILT_IN)?;
            keymap.contexts =
                Keymap::from_source(&parent_name, &parent_source, user_dir, depth + 1)?.contexts;
        }
        for (section, value) in in_file_order(doc.get_ref()) {
            if section.get_ref() == "inherits" {
                continue;
            }
            let context = Context::parse(section.get_ref()).ok_or_else(|| {
                source.error_at(
                    section.span(),
                    format!(
                        "unknown section [{}]; sections are: {}",
                        section.get_ref(),
                        Context::ALL.map(|c| c.name()).join(", ")
                    ),
                )
            })?;
            let table = expect_table(source, value, &format!("[{}]", context.name()))?;
            let mut seen: HashMap<Key, usize> = HashMap::new();
            for (key_spec, binding) in in_file_order(table) {
                let key = Key::parse(key_spec.get_ref())
                    .map_err(|e| source.error_at(key_spec.span(), e))?;
                let line = source.error_at(key_spec.span(), "").line;
                if let Some(first) = seen.insert(key, line) {
                    return Err(source.error_at(
                        key_spec.span(),
                        format!(
                            "{key} is bound twice in [{}] (first on line {first})",
                            context.name()
                        ),
                    ));
                }
                let parsed = parse_binding(source, context, key, binding)?;
                let list = keymap.contexts.entry(context).or_default();
                list.retain(|b| b.key != key);
                if let Some(b) = parsed {
                    list.push(b);
                }
            }
        }
        if depth == 0 {
            keymap.check_essentials(source)?;
        }
        Ok(keymap)
    }

    /// Without these a user could be stuck: no way out of the console or of a text field.
    fn check_essentials(&self, source: &SettingsSource) -> Result<(), SettingsError> {
        // A letter types into the sign-in form, so it cannot be the only way out.
        let typed_only = self
            .bindings(Context::Global)
            .iter()
            .filter(|b| b.action == Action::Quit)
            .all(|b| b.key.is_text());
        if typed_only && self.first_key(Context::Global, Action::Quit).is_some() {
            return Err(source.error(
                "every quit key in [global] is a character, which types into text fields; add one like \"ctrl-c\" or \"f10\"",
            ));
        }
        for (context, action) in [
            (Context::Global, Action::Quit),
            (Context::Input, Action::Submit),
            (Context::Input, Action::Cancel),
            (Context::Help, Action::Back),
        ] {
            if self.first_key(context, action).is_none() {
                return Err(source.error(format!(
                    "no key for {action:?} in [{}]: add a binding with action = \"{}\"",
                    context.name(),
                    action.name()
                )));
            }
        }
        Ok(())
    }

    /// The action bound to `key` in `context` alone (callers decide the fallback order).
    pub fn action(&self, context: Context, key: Key) -> Option<Action> {
        self.contexts
            .get(&context)?
            .iter()
            .find(|b| b.key == key)
            .map(|b| b.action)
    }

    pub fn bindings(&self, context: Context) -> &[Binding] {
        self.contexts
            .get(&context)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    pub fn first_key(&self, context: Context, action: Action) -> Option<&Binding> {
        self.bindings(context).iter().find(|b| b.action == action)
    }
}

/// `None` for `action = "none"`, which removes an inherited binding.
fn parse_binding(
    source: &SettingsSource,
    context: Context,
    key: Key,
    value: &toml::Spanned<toml::de::DeValue<'_>>,
) -> Result<Option<Binding>, SettingsError> {
    let table = expect_table(source, value, &format!("binding for {key}"))?;
    let mut action = None;
    let mut desc = None;
    let mut short = None;
    for (field, v) in in_file_order(table) {
        match field.get_ref().as_ref() {
            "action" => action = Some((expect_str(source, v, "action")?, v.span())),
            "desc" => desc = Some(expect_str(source, v, "desc")?),
            "short" => short = Some(expect_str(source, v, "short")?.to_string()),
            other => {
                return Err(source.error_at(
                    field.span(),
                    format!("unknown field {other:?} in binding; fields are action, desc, short"),
                ));
            }
        }
    }
    let Some((action_name, action_span)) = action else {
        return Err(source.error_at(value.span(), format!("binding for {key} has no action")));
    };
    if action_name == "none" {
        return Ok(None);
    }
    let action = Action::parse(action_name).ok_or_else(|| {
        source.error_at(
            action_span.clone(),
            format!(
                "unknown action {action_name:?}; actions are: {}",
                Action::ALL.map(|a| a.name()).join(", ")
            ),
        )
    })?;
    if !context.allows(action) {
        return Err(source.error_at(
            action_span,
            format!(
                "action {action_name:?} means nothing in [{}]",
                context.name()
            ),
        ));
    }
    let desc = desc.filter(|d| !d.trim().is_empty()).ok_or_else(|| {
        source.error_at(
            value.span(),
            format!("binding for {key} needs a desc (it feeds help and the footer)"),
        )
    })?;
    Ok(Some(Binding {
        key,
        action,
        desc: desc.to_string(),
        short,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Keymap, SettingsError> {
        let src = SettingsSource {
            origin: "mine.toml".into(),
            text: text.into(),
        };
        Keymap::from_source("mine", &src, None, 0)
    }

    #[test]
    fn every_shipped_keymap_loads_and_every_binding_has_a_description() {
        for (name, _) in BUILT_IN {
            let km = Keymap::load(name, None).unwrap_or_else(|e| panic!("{e}"));
            for ctx in Context::ALL {
                for b in km.bindings(ctx) {
                    assert!(!b.desc.is_empty(), "{name} {ctx:?} {}", b.key);
                }
            }
        }
    }

    #[test]
    fn rf_keymap_needs_no_letters() {
        let km = Keymap::load("rf", None).unwrap();
        for ctx in Context::ALL {
            for b in km.bindings(ctx) {
                let ok = match b.key.code {
                    KeyCode::F(_) | KeyCode::Enter | KeyCode::Esc => true,
                    KeyCode::Char(c) => c.is_ascii_digit(),
                    _ => false,
                };
                assert!(ok && b.key.mods.is_empty(), "rf binds {} in {ctx:?}", b.key);
            }
        }
    }

    #[test]
    fn vim_inherits_default_and_adds_keys() {
        let km = Keymap::load("vim", None).unwrap();
        let key = |s| Key::parse(s).unwrap();
        assert_eq!(km.action(Context::Global, key("q")), Some(Action::Quit));
        assert_eq!(
            km.action(Context::Global, key("ctrl-c")),
            Some(Action::Quit)
        );
        assert_eq!(km.action(Context::Orders, key("G")), Some(Action::Last));
        assert_eq!(
            km.action(Context::Orders, key("j")),
            Some(Action::CursorDown)
        );
    }

    #[test]
    fn keys_parse_and_match_events() {
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&shift_g), Key::parse("G").unwrap());
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(Key::from_event(&ctrl_c), Key::parse("Ctrl-C").unwrap());
        let back = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(Key::from_event(&back), Key::parse("shift-tab").unwrap());
        assert_eq!(Key::parse("f12").unwrap().code, KeyCode::F(12));
        assert_eq!(Key::parse("-").unwrap().code, KeyCode::Char('-'));
        assert!(Key::parse("f25").is_err());
        assert!(Key::parse("hyper-x").is_err());
        assert_eq!(Key::parse("ctrl-r").unwrap().to_string(), "C-r");
    }

    #[test]
    fn broken_files_name_path_line_and_reason() {
        let cases = [
            (
                "[global]\n\"ctrl-c\" = { action = \"qiut\", desc = \"Quit\" }\n",
                2,
                "unknown action \"qiut\"",
            ),
            (
                "[global]\n\"ctrl-c\" = { action = \"quit\", desc = \"Quit\" }\n\"hyper-q\" = { action = \"quit\", desc = \"Q\" }\n",
                3,
                "not a key",
            ),
            ("[orderz]\n", 1, "unknown section [orderz]"),
            (
                "[global]\n\"q\" = { action = \"quit\" }\n",
                2,
                "needs a desc",
            ),
            (
                "[global]\n\"q\" = { action = \"quit\", desc = \"Q\", colour = 1 }\n",
                2,
                "unknown field \"colour\"",
            ),
            (
                "[global]\n\"q\" = { action = \"submit\", desc = \"Q\" }\n",
                2,
                "means nothing in [global]",
            ),
            (
                "[global]\n\"q\" = { action = \"quit\", desc = \"Q\" }\n\"Q\" = { action = \"quit\", desc = \"Q\" }\n\"q\" = 1\n",
                4,
                "duplicate key",
            ),
            (
                "[global]\n\"ctrl-c\" = { action = \"quit\", desc = \"Q\" }\n\"Ctrl-C\" = { action = \"help\", desc = \"H\" }\n",
                3,
                "bound twice",
            ),
            ("inherits = \"nope\"\n", 1, "no such keymaps"),
            ("[global\n", 1, ""),
        ];
        for (text, line, needle) in cases {
            let err = parse(text)
                .err()
                .unwrap_or_else(|| panic!("accepted: {text}"));
            assert_eq!(err.origin, "mine.toml");
            assert_eq!(err.line, line, "{err}");
            assert!(
                err.to_string().contains(needle),
                "{err} should say {needle}"
            );
            assert!(
                err.to_string().starts_with(&format!("mine.toml:{line}:")),
                "{err}"
            );
        }
    }

    #[test]
    fn a_keymap_without_a_way_out_is_refused() {
        let err = parse("[global]\n\"?\" = { action = \"help\", desc = \"Help\" }\n")
            .err()
            .unwrap();
        assert!(err.to_string().contains("action = \"quit\""), "{err}");
        let letters_only = "inherits = \"default\"\n[global]\n\"ctrl-c\" = { action = \"none\" }\n\"f10\" = { action = \"none\" }\n\"q\" = { action = \"quit\", desc = \"Quit\" }\n";
        let err = parse(letters_only).err().unwrap();
        assert!(err.to_string().contains("types into text fields"), "{err}");
    }

    #[test]
    fn user_override_may_inherit_its_built_in_and_cycles_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keymaps = dir.path().join("keymaps");
        std::fs::create_dir_all(&keymaps).unwrap();
        std::fs::write(
            keymaps.join("default.toml"),
            "inherits = \"default\"\n[global]\n\"f12\" = { action = \"help\", desc = \"Keys\" }\n",
        )
        .unwrap();
        let km = Keymap::load("default", Some(dir.path())).unwrap();
        assert_eq!(
            km.action(Context::Global, Key::parse("f12").unwrap()),
            Some(Action::Help)
        );
        assert_eq!(
            km.action(Context::Global, Key::parse("ctrl-c").unwrap()),
            Some(Action::Quit)
        );

        std::fs::write(keymaps.join("a.toml"), "inherits = \"b\"\n").unwrap();
        std::fs::write(keymaps.join("b.toml"), "inherits = \"a\"\n").unwrap();
        let err = Keymap::load("a", Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("too deep"), "{err}");
    }

    #[test]
    fn user_file_inherits_and_unbinds() {
        let km = parse("inherits = \"default\"\n[orders]\n\"j\" = { action = \"none\" }\n\"n\" = { action = \"cursor.down\", desc = \"Next\" }\n").unwrap();
        let key = |s| Key::parse(s).unwrap();
        assert_eq!(km.action(Context::Orders, key("j")), None);
        assert_eq!(
            km.action(Context::Orders, key("n")),
            Some(Action::CursorDown)
        );
        assert_eq!(
            km.action(Context::Global, key("ctrl-c")),
            Some(Action::Quit)
        );
    }
}
