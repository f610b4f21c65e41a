//! The order queue: sorted newest first (or by age, ship-by, total), filtered by status,
//! carrier exceptions and search (number, customer, SKU, `#tag`), loaded a page at a time as
//! the cursor nears the end; Enter opens one order whole, with its shipping note a key away.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id, scrolled};
use super::keymap::{Action, Key};
use super::list_cursor::ListCursor;
use super::text_input::{SearchEdit, TextInput, search_key};
use super::theme::{Theme, ThemeRole};
use super::ui::{empty_list_line, input_line, list_table, money, muted_line, pane_block};
use crate::api::{OrderDetail, OrderSummary, Page};
use crate::client::{ClientError, OrderQuery};
use crate::domain::order::{OrderSort, OrderStatus};
use crate::domain::tracking::TrackingKind;

const PAGE: u32 = 200;
/// Load the next page when the cursor is this close to the last loaded row.
const PREFETCH: usize = 40;

/// The queue's filters, cycled with `filter.status`.
pub struct QueueFilter {
    pub label: &'static str,
    pub short: &'static str,
    pub statuses: Vec<OrderStatus>,
    /// Only parcels the carrier reported a problem with: CS's alert list.
    pub carrier_exception: bool,
}

/// Built once: the list is fixed, and the queue asks for it on every frame.
pub fn queue_filters() -> &'static [QueueFilter] {
    static FILTERS: std::sync::LazyLock<Vec<QueueFilter>> =
        std::sync::LazyLock::new(build_queue_filters);
    &FILTERS
}

fn build_queue_filters() -> Vec<QueueFilter> {
    let by_status = |label, short, statuses| QueueFilter {
        label,
        short,
        statuses,
        carrier_exception: false,
    };
    let mut filters = vec![
        by_status("All", "All", Vec::new()),
        by_status(
            "Open",
            "Open",
            OrderStatus::ALL
                .into_iter()
                .filter(|s| !s.is_closed())
                .collect(),
        ),
        by_status(
            "Needs attention",
            "Attn",
            OrderStatus::ALL
                .into_iter()
                .filter(|s| s.needs_attention())
                .collect(),
        ),
        QueueFilter {
            label: "Carrier exceptions",
            short: "Exc",
            statuses: Vec::new(),
            carrier_exception: true,
        },
    ];
    filters.extend(
        OrderStatus::ALL
            .into_iter()
            .map(|s| by_status(s.label(), s.short_label(), vec![s])),
    );
    filters
}

/// The search text `#vip` filters by the routing tag `vip`.
fn searched_tag(text: &str) -> Option<&str> {
    text.trim()
        .strip_prefix('#')
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The carrier reported a problem with the parcel.
fn has_exception(order: &OrderSummary) -> bool {
    order.shipment_state.as_deref() == Some(TrackingKind::Exception.as_str())
}

#[derive(Debug, Default)]
pub struct OrderView {
    pub number: String,
    pub request: u64,
    pub order: Option<OrderDetail>,
    pub error: Option<String>,
    pub scroll: usize,
    /// How far the view can scroll, known once it has been drawn.
    pub max_scroll: std::cell::Cell<usize>,
    /// The shipping note, shown instead of the order while set.
    pub note: Option<NoteView>,
}

#[derive(Debug, Default)]
pub struct NoteView {
    pub request: u64,
    /// The text, or why there is none (e.g. not ready to pick yet).
    pub text: Option<Result<String, String>>,
}

#[derive(Debug, Default)]
pub struct OrdersPane {
    pub filter: usize,
    pub sort: OrderSort,
    pub search: TextInput,
    pub searching: bool,
    pub rows: Vec<OrderSummary>,
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<String>,
    pub cursor: ListCursor,
    pub open: Option<OrderView>,
    request: u64,
}

impl OrdersPane {
    pub fn is_typing(&self) -> bool {
        self.searching && self.open.is_none()
    }

    /// The order an action is about: the one open, or the one under the cursor.
    pub fn target(&self) -> Option<String> {
        match &self.open {
            Some(view) => Some(view.number.clone()),
            None => self
                .rows
                .get(self.cursor.selected)
                .map(|o| o.number.clone()),
        }
    }

    /// Shows a changed order where it is, without moving the cursor.
    pub fn apply_changed(&mut self, order: OrderDetail) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.id == order.order.id) {
            *row = order.order.clone();
        }
        if let Some(view) = &mut self.open
            && view.number == order.order.number
        {
            view.order = Some(order);
        }
    }

    /// Takes in an order that changed on the server: updated where it is, dropped if it no
    /// longer fits the filter, or put on top if it is new and fits. The cursor stays on the
    /// order it was on, however rows move around it.
    pub fn upsert(&mut self, order: OrderDetail) {
        let summary = order.order.clone();
        let fits = self.fits(&summary);
        match self.rows.iter().position(|r| r.id == summary.id) {
            Some(i) if fits => self.rows[i] = summary,
            Some(i) => {
                self.rows.remove(i);
                if i < self.cursor.selected {
                    self.cursor.selected -= 1;
                }
                self.cursor.clamp(self.rows.len());
            }
            // A search is answered by the server; only orders already listed are updated then.
            // An order new to the list (just placed, or an old one that now fits the filter,
            // such as a parcel with a fresh carrier exception) goes where newest-first puts
            // it, if that is within what is loaded.
            None if fits
                && self.loaded
                && self.sort == OrderSort::Newest
                && (self.search.is_empty() || searched_tag(self.search.text()).is_some()) =>
            {
                let key = |o: &OrderSummary| (o.created_at.clone(), o.number.clone());
                let at = self.rows.iter().position(|r| key(r) < key(&summary));
                let at = match at {
                    Some(i) => Some(i),
                    None if self.next_cursor.is_none() => Some(self.rows.len()),
                    None => None,
                };
                if let Some(i) = at {
                    let was_empty = self.rows.is_empty();
                    self.rows.insert(i, summary);
                    if !was_empty && i <= self.cursor.selected {
                        self.cursor.selected += 1;
                    }
                }
            }
            None => {}
        }
        if let Some(view) = &mut self.open
            && view.number == order.order.number
        {
            view.order = Some(order);
        }
    }

    /// Whether an order belongs in the list under the current filter and tag.
    fn fits(&self, order: &OrderSummary) -> bool {
        let filters = queue_filters();
        let Some(filter) = filters.get(self.filter) else {
            return true;
        };
        let status_fits = filter.statuses.is_empty()
            || filter.statuses.iter().any(|s| s.as_str() == order.status);
        let tag_fits = searched_tag(self.search.text())
            .is_none_or(|t| order.tags.iter().any(|o| o.eq_ignore_ascii_case(t)));
        status_fits && tag_fits && (!filter.carrier_exception || has_exception(order))
    }

    /// Whether `action` does something in the pane's present state (for the footer).
    pub fn offers(&self, action: Action) -> bool {
        match action {
            Action::Back => self.open.is_some() || !self.search.is_empty(),
            Action::Open => self.open.is_none() && !self.rows.is_empty(),
            _ => self.open.is_none(),
        }
    }

    fn query(&self, cursor: Option<String>) -> OrderQuery {
        let filters = queue_filters();
        let filter = filters.get(self.filter);
        let statuses = filter
            .map(|f| f.statuses.iter().map(|s| s.as_str().to_string()).collect())
            .unwrap_or_default();
        let tag = searched_tag(self.search.text()).map(String::from);
        OrderQuery {
            statuses,
            text: if tag.is_some() {
                String::new()
            } else {
                self.search.text().to_string()
            },
            tag,
            carrier_exception: filter.is_some_and(|f| f.carrier_exception),
            sort: self.sort,
            cursor,
            limit: PAGE,
        }
    }

    /// Loads the first page again for the current filter and search.
    pub fn reload(&mut self, ids: &mut u64) -> Vec<Effect> {
        self.request = next_id(ids);
        self.loading = true;
        vec![Effect::LoadOrders {
            request: self.request,
            query: self.query(None),
            append: false,
        }]
    }

    pub fn set_filter(&mut self, index: usize, ids: &mut u64) -> Vec<Effect> {
        self.filter = index % queue_filters().len();
        self.open = None;
        self.cursor.reset();
        self.reload(ids)
    }

    fn load_more_if_near_end(&mut self, ids: &mut u64) -> Vec<Effect> {
        match &self.next_cursor {
            Some(c) if !self.loading && self.cursor.selected + PREFETCH >= self.rows.len() => {
                self.request = next_id(ids);
                self.loading = true;
                vec![Effect::LoadOrders {
                    request: self.request,
                    query: self.query(Some(c.clone())),
                    append: true,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// Keys while the search field has focus. `None`: not handled here.
    pub fn on_typing(
        &mut self,
        input: Option<Action>,
        key: Key,
        ids: &mut u64,
    ) -> Option<Vec<Effect>> {
        match search_key(&mut self.search, &mut self.searching, input, key) {
            SearchEdit::Changed => Some(self.restart(ids)),
            SearchEdit::Unchanged => Some(Vec::new()),
            SearchEdit::NotAnEdit => None,
        }
    }

    /// Shows what a scan named: the search is set to it.
    pub fn find(&mut self, text: &str, ids: &mut u64) -> Vec<Effect> {
        self.searching = false;
        self.search.set(text);
        self.restart(ids)
    }

    fn restart(&mut self, ids: &mut u64) -> Vec<Effect> {
        self.cursor.reset();
        self.reload(ids)
    }

    pub fn on_action(&mut self, action: Action, ids: &mut u64) -> Vec<Effect> {
        if let Some(view) = &mut self.open {
            match action {
                Action::Back if view.note.is_some() => {
                    view.note = None;
                    view.scroll = 0;
                }
                Action::Back => self.open = None,
                Action::OrderNote if view.note.is_some() => {
                    view.note = None;
                    view.scroll = 0;
                }
                Action::OrderNote => {
                    let request = next_id(ids);
                    view.note = Some(NoteView {
                        request,
                        text: None,
                    });
                    view.scroll = 0;
                    return vec![Effect::LoadShippingNote {
                        request,
                        key: view.number.clone(),
                    }];
                }
                other => view.scroll = scrolled(view.scroll, other, view.max_scroll.get()),
            }
            return Vec::new();
        }
        let filters = queue_filters().len();
        match action {
            Action::Search => {
                self.searching = true;
                Vec::new()
            }
            Action::FilterStatus => self.set_filter(self.filter + 1, ids),
            Action::FilterStatusBack => self.set_filter(self.filter + filters - 1, ids),
            Action::FilterClear => {
                self.search.clear();
                self.searching = false;
                self.sort = OrderSort::default();
                self.set_filter(0, ids)
            }
            Action::SortNext => {
                let at = OrderSort::ALL.iter().position(|s| *s == self.sort);
                self.sort = OrderSort::ALL[at.map_or(0, |i| (i + 1) % OrderSort::ALL.len())];
                self.cursor.reset();
                self.reload(ids)
            }
            Action::Open => match self.rows.get(self.cursor.selected) {
                Some(row) => {
                    let request = next_id(ids);
                    self.open = Some(OrderView {
                        number: row.number.clone(),
                        request,
                        ..OrderView::default()
                    });
                    vec![Effect::LoadOrder {
                        request,
                        key: row.number.clone(),
                    }]
                }
                None => Vec::new(),
            },
            Action::Back if self.searching || !self.search.is_empty() => {
                self.searching = false;
                self.search.clear();
                self.restart(ids)
            }
            other => {
                if self.cursor.apply(other, self.rows.len()) {
                    self.load_more_if_near_end(ids)
                } else {
                    Vec::new()
                }
            }
        }
    }

    pub fn on_page(
        &mut self,
        request: u64,
        append: bool,
        result: Result<Page<OrderSummary>, ClientError>,
        ids: &mut u64,
    ) -> Vec<Effect> {
        if request != self.request {
            return Vec::new();
        }
        self.loading = false;
        match result {
            Ok(page) => {
                self.error = None;
                self.loaded = true;
                if append {
                    self.rows.extend(page.items);
                } else {
                    self.rows = page.items;
                }
                self.next_cursor = page.next_cursor;
                self.cursor.clamp(self.rows.len());
                self.load_more_if_near_end(ids)
            }
            Err(err) => {
                self.error = Some(err.to_string());
                Vec::new()
            }
        }
    }

    pub fn on_note(&mut self, request: u64, result: Result<String, ClientError>) {
        if let Some(note) = self.open.as_mut().and_then(|v| v.note.as_mut())
            && note.request == request
        {
            note.text = Some(result.map_err(|e| e.to_string()));
        }
    }

    pub fn on_detail(&mut self, request: u64, result: Result<Box<OrderDetail>, ClientError>) {
        if let Some(view) = &mut self.open
            && view.request == request
        {
            match result {
                Ok(order) => view.order = Some(*order),
                Err(err) => view.error = Some(err.to_string()),
            }
        }
    }

    pub fn render(
        &self,
        f: &mut Frame,
        area: Rect,
        theme: &Theme,
        compact: bool,
        clock: &Clock,
        active: bool,
    ) {
        let tz = clock.tz;
        if let Some(view) = &self.open {
            render_order(f, area, theme, view, compact, tz);
            return;
        }
        let filters = queue_filters();
        let filter = filters.get(self.filter);
        let count = if self.next_cursor.is_some() {
            format!("{}+", self.rows.len())
        } else {
            self.rows.len().to_string()
        };
        let sorted = if self.sort == OrderSort::Newest {
            String::new()
        } else if compact {
            format!(" ↕{}", self.sort.as_str().replace('_', "-"))
        } else {
            format!(" · {}", self.sort.label())
        };
        let title = if compact {
            format!(
                "{} {}{sorted}",
                filter.map(|f| f.short).unwrap_or(""),
                count
            )
        } else {
            format!(
                "Orders · {} · {}{sorted}",
                filter.map(|f| f.label).unwrap_or(""),
                count
            )
        };
        let block = pane_block(theme, &title, active, compact);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let show_search = self.searching || !self.search.is_empty();
        let [search_area, list_area] = Layout::vertical([
            Constraint::Length(u16::from(show_search)),
            Constraint::Min(0),
        ])
        .areas(inner);
        if show_search {
            input_line(
                f,
                search_area,
                theme,
                "Search",
                if compact { 0 } else { 7 },
                &self.search,
                self.searching,
            );
        }
        if self.rows.is_empty() {
            let text = empty_list_line(
                theme,
                self.error.as_deref(),
                self.loading,
                self.loaded,
                "orders",
            );
            f.render_widget(Paragraph::new(text), list_area);
            return;
        }
        let body_rows = list_area.height.saturating_sub(1) as usize;
        let window = self.cursor.window(self.rows.len(), body_rows);
        let narrow = list_area.width < 50;
        let rows = self.rows[window.clone()].iter().enumerate().map(|(i, o)| {
            let status = o.status.parse::<OrderStatus>().ok();
            let status_style = status
                .map(status_role)
                .map(|r| theme.style(r))
                .unwrap_or_default();
            let (status_text, status_style) = match (status, narrow) {
                _ if has_exception(o) => (
                    if narrow { "Exc!" } else { "Exception" }.to_string(),
                    theme.style(ThemeRole::Error),
                ),
                (Some(s), true) => (s.short_label().to_string(), status_style),
                (Some(s), false) => (s.label().to_string(), status_style),
                (None, _) => (o.status.clone(), status_style),
            };
            let due = ship_by(o, status, clock, narrow);
            let due = Span::styled(due.0, theme.style(due.1));
            let cells: Vec<ratatui::text::Text> = if narrow {
                vec![
                    o.number.clone().into(),
                    Span::styled(status_text, status_style).into(),
                    due.into(),
                    o.customer_name.clone().into(),
                ]
            } else {
                vec![
                    o.number.clone().into(),
                    Line::from(age(&o.created_at, clock.now))
                        .right_aligned()
                        .into(),
                    due.into(),
                    o.customer_name.clone().into(),
                    Span::styled(status_text, status_style).into(),
                    queue_label(o.queue.as_deref()).into(),
                    Line::from(o.item_count.to_string()).right_aligned().into(),
                    Line::from(money(&o.total)).right_aligned().into(),
                ]
            };
            let row = Row::new(cells);
            if window.start + i == self.cursor.selected {
                row.style(theme.style(ThemeRole::Selection))
            } else {
                row.style(theme.style(ThemeRole::Text))
            }
        });
        let (header, widths): (Vec<Line>, Vec<Constraint>) = if narrow {
            (
                vec![
                    "Order".into(),
                    "Stat".into(),
                    "Ship".into(),
                    "Customer".into(),
                ],
                vec![
                    Constraint::Length(9),
                    Constraint::Length(4),
                    Constraint::Length(5),
                    Constraint::Fill(1),
                ],
            )
        } else {
            (
                vec![
                    "Order".into(),
                    Line::from("Age").right_aligned(),
                    "Ship by".into(),
                    "Customer".into(),
                    "Status".into(),
                    "Queue".into(),
                    Line::from("Qty").right_aligned(),
                    Line::from("Total").right_aligned(),
                ],
                vec![
                    Constraint::Length(9),
                    Constraint::Length(4),
                    Constraint::Length(11),
                    Constraint::Fill(1),
                    Constraint::Length(13),
                    Constraint::Length(5),
                    Constraint::Length(3),
                    Constraint::Length(10),
                ],
            )
        };
        let table = list_table(theme, header, widths, rows);
        f.render_widget(table, list_area);
    }
}

/// The time zone to show times in and the time it is now (fixed in tests).
pub struct Clock<'a> {
    pub tz: &'a TimeZone,
    pub now: Timestamp,
}

/// How long ago, in the largest unit that fits: `45m`, `5h`, `3d`.
fn age(rfc3339: &str, now: Timestamp) -> String {
    let Ok(t) = rfc3339.parse::<Timestamp>() else {
        return String::new();
    };
    let minutes = now.duration_since(t).as_secs().max(0) / 60;
    match minutes {
        0..60 => format!("{minutes}m"),
        60..2880 => format!("{}h", minutes / 60),
        _ => format!("{}d", minutes / 1440),
    }
}

/// The ship-by time and how urgent it is: late orders stand out, those due within two
/// hours warn, finished ones are muted.
fn ship_by(
    o: &OrderSummary,
    status: Option<OrderStatus>,
    clock: &Clock,
    narrow: bool,
) -> (String, ThemeRole) {
    let gone = status.is_none_or(|s| !s.awaits_dispatch());
    let Some(due) = o
        .ship_by
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .filter(|_| !gone)
    else {
        return ("—".into(), ThemeRole::TextMuted);
    };
    let local = clock.tz.to_datetime(due);
    let left = due.duration_since(clock.now).as_secs();
    let text = match (narrow, left < 24 * 3600) {
        (true, true) => local.strftime("%H:%M").to_string(),
        (true, false) => local.strftime("%m-%d").to_string(),
        (false, _) => local.strftime("%m-%d %H:%M").to_string(),
    };
    if left < 0 {
        let late = age(&due.to_string(), clock.now);
        (
            if narrow {
                "LATE".into()
            } else {
                format!("late {late}")
            },
            ThemeRole::Error,
        )
    } else if left < 2 * 3600 {
        (text, ThemeRole::Warning)
    } else {
        (text, ThemeRole::Text)
    }
}

fn queue_label(queue: Option<&str>) -> &'static str {
    match queue {
        Some("warehouse") => "WH",
        Some("cs_review") => "CS",
        Some("hold") => "HOLD",
        _ => "",
    }
}

/// `11-24 14:03` in the console's time zone.
fn placed(rfc3339: &str, tz: &TimeZone) -> String {
    rfc3339
        .parse::<Timestamp>()
        .map(|t| tz.to_datetime(t).strftime("%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| rfc3339.to_string())
}

pub fn status_role(status: OrderStatus) -> ThemeRole {
    if status.needs_attention() {
        ThemeRole::StatusAttention
    } else if status == OrderStatus::Delivered {
        ThemeRole::StatusDone
    } else if status.is_closed() {
        ThemeRole::StatusClosed
    } else {
        ThemeRole::StatusOpen
    }
}

fn render_order(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    view: &OrderView,
    compact: bool,
    tz: &TimeZone,
) {
    if let Some(note) = &view.note {
        render_note(f, area, theme, view, note, compact);
        return;
    }
    let block = pane_block(theme, &view.number, true, compact);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(order) = &view.order else {
        let line = match &view.error {
            Some(e) => Line::from(Span::styled(e.clone(), theme.style(ThemeRole::Error))),
            None => muted_line(theme, "loading order…"),
        };
        f.render_widget(Paragraph::new(line), inner);
        return;
    };
    let text = theme.style(ThemeRole::Text);
    let muted = theme.style(ThemeRole::TextMuted);
    let section = theme.style(ThemeRole::TableHeader);
    let o = &order.order;
    let status = o.status.parse::<OrderStatus>().ok();
    let mut lines = vec![Line::from(vec![
        Span::styled(
            status.map(|s| s.label()).unwrap_or(&o.status).to_string(),
            status.map(|s| theme.style(status_role(s))).unwrap_or(text),
        ),
        Span::styled(
            format!(" · {} · {}", o.channel, placed(&o.created_at, tz)),
            muted,
        ),
    ])];
    let a = &order.ship_to;
    lines.push(Line::from(Span::styled(
        o.customer_name.clone(),
        theme.style(ThemeRole::Title),
    )));
    lines.push(Line::from(Span::styled(order.customer_email.clone(), text)));
    if let Some(phone) = &order.customer_phone {
        lines.push(Line::from(Span::styled(phone.clone(), text)));
    }
    let mut address = a.line1.clone();
    if let Some(l2) = &a.line2 {
        address.push_str(&format!(", {l2}"));
    }
    lines.push(Line::from(Span::styled(address, text)));
    lines.push(Line::from(Span::styled(
        format!("{} {}, {}", a.postal_code, a.city, a.country),
        text,
    )));
    lines.push(Line::from(vec![
        Span::styled("Payment ", muted),
        Span::styled(order.payment_method.clone(), text),
        Span::styled("  Total ", muted),
        Span::styled(money(&o.total), theme.style(ThemeRole::Title)),
    ]));
    lines.push(Line::from(Span::styled("Lines", section)));
    for l in &order.lines {
        if compact {
            lines.push(Line::from(Span::styled(
                format!("{} ×{}", l.sku, l.qty),
                text,
            )));
            lines.push(Line::from(Span::styled(format!("  {}", l.name), muted)));
        } else {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<9}", l.sku), text),
                Span::styled(
                    format!("{:>3} × {:>9}  ", l.qty, money(&l.unit_price)),
                    text,
                ),
                Span::styled(l.name.clone(), muted),
            ]));
        }
        // Where to pick it (for those who may know), and what is still missing.
        let mut place: Vec<Span> = l
            .pick_from
            .iter()
            .flatten()
            .map(|p| {
                Span::styled(
                    format!("  {} ×{}", p.location, p.qty),
                    theme.style(ThemeRole::Ok),
                )
            })
            .collect();
        if l.backordered > 0 {
            place.push(Span::styled(
                format!("  {} back-ordered", l.backordered),
                theme.style(ThemeRole::StockLow),
            ));
        }
        if !place.is_empty() {
            lines.push(Line::from(place));
        }
    }
    if let Some(r) = &order.routing {
        lines.push(Line::from(Span::styled("Routing", section)));
        let mut decided = vec![Span::styled(format!("rule {:?}", r.rule), text)];
        if let Some(carrier) = &r.carrier {
            decided.push(Span::styled(format!(" · {carrier}"), text));
        }
        if !r.tags.is_empty() {
            decided.push(Span::styled(format!(" · {}", r.tags.join(", ")), muted));
        }
        lines.push(Line::from(decided));
        lines.push(Line::from(Span::styled(r.why.clone(), muted)));
        if !r.flags.is_empty() {
            lines.push(Line::from(Span::styled(
                format!("flags: {}", r.flags.join(", ")),
                theme.style(ThemeRole::Warning),
            )));
        }
    }
    if let Some(sh) = &order.shipment {
        lines.push(Line::from(Span::styled("Shipment", section)));
        lines.push(Line::from(Span::styled(
            format!(
                "{} {} · {}",
                sh.carrier,
                sh.tracking_no,
                sh.state.replace('_', " ")
            ),
            text,
        )));
        for e in &sh.events {
            let role = if e.kind == TrackingKind::Exception.as_str() {
                ThemeRole::Error
            } else {
                ThemeRole::TextMuted
            };
            let mut spans = vec![
                Span::styled(format!("{} ", placed(&e.at, tz)), muted),
                Span::styled(e.kind.replace('_', " "), theme.style(role)),
            ];
            for extra in [&e.location, &e.description].into_iter().flatten() {
                spans.push(Span::styled(format!(" · {extra}"), muted));
            }
            lines.push(Line::from(spans));
        }
    }
    lines.push(Line::from(Span::styled("History", section)));
    for h in &order.history {
        let label =
            h.to.parse::<OrderStatus>()
                .map(|s| s.label())
                .unwrap_or(&h.to)
                .to_string();
        let mut spans = vec![
            Span::styled(format!("{} ", placed(&h.at, tz)), muted),
            Span::styled(label, text),
        ];
        if !compact {
            spans.push(Span::styled(format!(" · {}", h.actor), muted));
        }
        if let Some(reason) = &h.reason {
            spans.push(Span::styled(format!(" · {reason}"), muted));
        }
        lines.push(Line::from(spans));
    }
    render_scrolled(f, inner, view, lines);
}

/// The shipping note as the server renders it, scrollable; monospace columns survive
/// because the terminal is monospace too.
fn render_note(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    view: &OrderView,
    note: &NoteView,
    compact: bool,
) {
    let title = if compact {
        format!("{} note", view.number)
    } else {
        format!("{} · shipping note", view.number)
    };
    let block = pane_block(theme, &title, true, compact);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let lines: Vec<Line> = match &note.text {
        None => vec![muted_line(theme, "loading shipping note…")],
        Some(Err(e)) => vec![Line::from(Span::styled(
            e.clone(),
            theme.style(ThemeRole::Error),
        ))],
        Some(Ok(text)) => text
            .lines()
            .map(|l| Line::from(Span::styled(l.to_string(), theme.style(ThemeRole::Text))))
            .collect(),
    };
    render_scrolled(f, inner, view, lines);
}

/// Wrapped lines at the view's scroll position, remembering how far it can scroll.
fn render_scrolled(f: &mut Frame, inner: Rect, view: &OrderView, lines: Vec<Line>) {
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    let max = paragraph
        .line_count(inner.width)
        .saturating_sub(inner.height as usize);
    view.max_scroll.set(max);
    let scroll = view.scroll.min(max) as u16;
    f.render_widget(paragraph.scroll((scroll, 0)), inner);
}
