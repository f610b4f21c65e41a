//! Drawing the frame: header, pane bar, the active pane, overlays, notices and the footer of
//! key hints from the keymap. At 80×24 the full layout; below 60×20 a compact one (one pane,
//! short labels, function-key footer); below 20×8 a note that the terminal is too small.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, Wrap};

use super::app::{App, Overlay, PaneKind, Screen, Workspace};
use super::keymap::{Action, Binding, Context, Keymap};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use crate::api::MoneyBody;
use crate::client::Link;
use crossterm::event::KeyCode;

pub const MIN_WIDTH: u16 = 20;
pub const MIN_HEIGHT: u16 = 8;

pub fn is_compact(area: Rect) -> bool {
    area.width < 60 || area.height < 20
}

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    let theme = &app.theme;
    f.render_widget(Block::default().style(theme.style(ThemeRole::Text)), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "Terminal too small: {}×{}. backroom needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(Span::styled(text, theme.style(ThemeRole::Warning)))
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let compact = is_compact(area);
    let work = app.workspace();
    let tabs = u16::from(!compact && work.is_some());
    let notice = u16::from(app.notice.is_some());
    let [header, tab_bar, body, notice_area, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(tabs),
        Constraint::Min(1),
        Constraint::Length(notice),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(f, header, app, compact);
    match &app.screen {
        Screen::SignIn(form) => form.render(f, body, theme, &app.server, compact),
        Screen::Work(work) => {
            if !compact {
                draw_tabs(f, tab_bar, theme, &app.keymap, work);
            }
            if work.panes.is_empty() {
                let text = format!(
                    "Your role ({}) has no panes in the console: it is for API clients. Sign in as another user, or ask an admin for a role.",
                    work.me.role
                );
                f.render_widget(
                    Paragraph::new(Span::styled(text, theme.style(ThemeRole::Warning)))
                        .wrap(Wrap { trim: true }),
                    body,
                );
            } else {
                match work.active {
                    PaneKind::Orders => {
                        let clock = super::orders::Clock {
                            tz: &app.tz,
                            now: app.now(),
                        };
                        work.orders
                            .render(f, body, theme, compact, &clock, work.overlay.is_none())
                    }
                    PaneKind::Products => {
                        work.products
                            .render(f, body, theme, compact, work.overlay.is_none())
                    }
                    PaneKind::Pick => {
                        work.pick
                            .render(f, body, theme, compact, work.overlay.is_none())
                    }
                    PaneKind::Pack => work.pack.render(
                        f,
                        body,
                        theme,
                        compact,
                        work.overlay.is_none(),
                        &app.packages,
                    ),
                    PaneKind::Stocktake => {
                        work.stocktake
                            .render(f, body, theme, compact, work.overlay.is_none())
                    }
                    PaneKind::Stock => {
                        work.stock
                            .render(f, body, theme, compact, work.overlay.is_none())
                    }
                    PaneKind::Replenishment => {
                        work.replenishment
                            .render(f, body, theme, compact, work.overlay.is_none())
                    }
                    PaneKind::Complaints => work.complaints.render(
                        f,
                        body,
                        theme,
                        compact,
                        work.overlay.is_none(),
                        app.now(),
                    ),
                }
            }
            match &work.overlay {
                Some(Overlay::Help { scroll, max }) => draw_help(
                    f,
                    body,
                    theme,
                    &app.keymap,
                    work.active,
                    *scroll,
                    max,
                    compact,
                ),
                Some(Overlay::Palette(palette)) => palette.render(f, body, theme),
                Some(Overlay::Attention { items, selected }) => {
                    super::attention::render(f, body, theme, items.as_deref(), *selected)
                }
                Some(Overlay::OrderChange(change)) => change.render(f, body, theme),
                None => {}
            }
        }
    }
    if let Some(n) = &app.notice {
        let style = if n.is_error {
            ThemeRole::Error
        } else {
            ThemeRole::Ok
        };
        f.render_widget(
            Paragraph::new(Span::styled(n.text.clone(), theme.style(style))),
            notice_area,
        );
    }
    draw_footer(f, footer, app, compact);
}

/// Online, offline or syncing, with the changes still waiting and those refused.
fn link_state(app: &App) -> (&'static str, String, ThemeRole) {
    let counts = app.sync.counts;
    let (dot, mut state, role) = match (app.online, app.sync.link) {
        (Some(false), _) | (_, Link::Offline) => {
            ("○", "offline".to_string(), ThemeRole::HeaderOffline)
        }
        (_, Link::Syncing) if counts.pending > 0 => ("◐", "syncing".to_string(), ThemeRole::Header),
        (Some(true), _) => ("●", "online".to_string(), ThemeRole::HeaderOnline),
        (None, _) => ("…", "connecting".to_string(), ThemeRole::Header),
    };
    if counts.pending > 0 {
        state.push_str(&format!(" · {} pending", counts.pending));
    }
    if counts.attention > 0 {
        state.push_str(&format!(" · {} refused", counts.attention));
    }
    (dot, state, role)
}

fn draw_header(f: &mut Frame, area: Rect, app: &App, compact: bool) {
    let theme = &app.theme;
    let base = theme.style(ThemeRole::Header);
    f.render_widget(Block::default().style(base), area);
    let (dot, state, role) = link_state(app);
    let (left, right) = match (app.workspace(), compact) {
        (Some(w), false) => (
            vec![
                Span::styled(" backroom ", header_title(theme, base)),
                Span::styled(format!("{} · {}", w.me.display_name, w.me.role), base),
            ],
            format!(
                "{dot} {state}  {}",
                app.server.trim_start_matches("http://")
            ),
        ),
        (Some(w), true) => (
            vec![Span::styled(
                format!("{} {}", w.active.short(), w.me.username),
                base,
            )],
            if area.width >= 30 {
                format!("{dot} {state}")
            } else {
                dot.to_string()
            },
        ),
        (None, _) => (
            vec![Span::styled(" backroom", base)],
            if compact {
                dot.to_string()
            } else {
                format!(
                    "{dot} {state}  {}",
                    app.server.trim_start_matches("http://")
                )
            },
        ),
    };
    let right_width = right.chars().count() as u16 + 1;
    let [l, r] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_width)]).areas(area);
    f.render_widget(Paragraph::new(Line::from(left)), l);
    f.render_widget(
        Paragraph::new(Span::styled(right, theme.style(role))).alignment(Alignment::Right),
        r,
    );
}

/// The title style on the header's background.
fn header_title(theme: &Theme, header: Style) -> Style {
    match header.bg {
        Some(bg) => theme.style(ThemeRole::Title).bg(bg),
        None => theme.style(ThemeRole::Title),
    }
}

fn draw_tabs(f: &mut Frame, area: Rect, theme: &Theme, keymap: &Keymap, work: &Workspace) {
    let labels = |short: bool| -> Vec<(String, bool)> {
        work.panes
            .iter()
            .map(|pane| {
                let key = keymap
                    .first_key(Context::Global, pane.action())
                    .map(|b| format!("{} ", b.key))
                    .unwrap_or_default();
                let name = if short { pane.short() } else { pane.title() };
                (format!(" {key}{name} "), *pane == work.active)
            })
            .collect()
    };
    let width = |tabs: &[(String, bool)]| -> usize {
        tabs.iter().map(|(t, _)| t.chars().count() + 1).sum()
    };
    // Full names while they fit; with many panes, the short ones.
    let mut tabs = labels(false);
    if width(&tabs) > area.width as usize {
        tabs = labels(true);
    }
    let mut spans = Vec::new();
    for (text, active) in tabs {
        let role = if active {
            ThemeRole::TabActive
        } else {
            ThemeRole::Tab
        };
        spans.push(Span::styled(text, theme.style(role)));
        spans.push(Span::raw(" "));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Bindings for the footer: those the keymap marks with a `short` label, most specific
/// context first, one per action, and only what applies right now.
fn hint_bindings(app: &App) -> Vec<&Binding> {
    let km = &app.keymap;
    let mut contexts: Vec<Context> = Vec::new();
    let mut typing = false;
    let mut pane: Option<(PaneKind, &Workspace)> = None;
    match &app.screen {
        Screen::SignIn(_) => {
            typing = true;
            contexts.push(Context::Input);
        }
        Screen::Work(w) => match &w.overlay {
            Some(Overlay::Help { .. }) => contexts.push(Context::Help),
            Some(Overlay::Attention { .. }) => contexts.push(Context::Attention),
            Some(Overlay::Palette(_)) => {
                typing = true;
                contexts.extend([Context::Input, Context::Palette]);
            }
            Some(Overlay::OrderChange(_)) => {
                typing = true;
                contexts.push(Context::Input);
            }
            None => {
                typing = w.is_typing();
                let c = &w.complaints;
                let editing = w.active == PaneKind::Complaints
                    && c.writing.is_some()
                    && c.canned_search.is_none()
                    && c.asking.is_none();
                // In the editor Enter is a new line, not "confirm".
                if editing {
                    contexts.push(Context::Editor);
                } else if typing {
                    contexts.push(Context::Input);
                }
                contexts.push(w.active.context());
                pane = Some((w.active, w));
            }
        },
    }
    contexts.push(Context::Global);
    let signing_in = matches!(app.screen, Screen::SignIn(_));
    let mut seen: Vec<Action> = Vec::new();
    let mut out = Vec::new();
    for ctx in contexts {
        for b in km.bindings(ctx) {
            let applies = match (ctx, pane) {
                (Context::Orders, Some((_, w))) => w.orders.offers(b.action),
                (Context::Products, Some((_, w))) => w.products.offers(b.action),
                (Context::Pick, Some((_, w))) => w.pick.offers(b.action),
                (Context::Pack, Some((_, w))) => w.pack.offers(b.action),
                (Context::Stocktake, Some((_, w))) => w.stocktake.offers(b.action),
                (Context::Stock, Some((_, w))) => w.stock.offers(b.action),
                (Context::Replenishment, Some((_, w))) => w.replenishment.offers(b.action),
                (Context::Complaints, Some((_, w))) => w.complaints.offers(b.action),
                // The key for the pane already shown is no use.
                (Context::Global, Some((active, _))) if b.action == active.action() => false,
                (Context::Global, _) => {
                    !(typing && b.key.is_text()) && (!signing_in || b.action == Action::Quit)
                }
                _ => true,
            };
            if b.short.is_none() || !applies || seen.contains(&b.action) {
                continue;
            }
            seen.push(b.action);
            out.push(b);
        }
    }
    out
}

fn draw_footer(f: &mut Frame, area: Rect, app: &App, compact: bool) {
    let theme = &app.theme;
    f.render_widget(Block::default().style(theme.style(ThemeRole::Footer)), area);
    let mut bindings = hint_bindings(app);
    if compact {
        // Function keys first: on RF terminals and small screens they are what people press.
        // Going to another pane comes last: what can be done here matters more.
        bindings.sort_by_key(|b| {
            let switch = PaneKind::ALL.iter().any(|p| p.action() == b.action);
            (switch, !matches!(b.key.code, KeyCode::F(_)))
        });
    }
    let mut spans = Vec::new();
    let mut used = 0usize;
    for b in bindings {
        let key = b.key.to_string();
        let label = b.label(compact);
        let len = key.chars().count() + 1 + label.chars().count() + 1;
        if used + len > area.width as usize {
            if compact {
                continue;
            }
            break;
        }
        used += len;
        spans.push(Span::styled(key, theme.style(ThemeRole::FooterKey)));
        spans.push(Span::styled(
            format!(" {label} "),
            theme.style(ThemeRole::Footer),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[allow(clippy::too_many_arguments)]
fn draw_help(
    f: &mut Frame,
    body: Rect,
    theme: &Theme,
    keymap: &Keymap,
    active: PaneKind,
    scroll: usize,
    max_scroll: &std::cell::Cell<usize>,
    compact: bool,
) {
    let area = if compact {
        body
    } else {
        let w = body.width.min(72);
        let h = body.height.saturating_sub(2).max(5).min(body.height);
        Rect::new(
            body.x + (body.width - w) / 2,
            body.y + (body.height - h) / 2,
            w,
            h,
        )
    };
    f.render_widget(Clear, area);
    let block = Block::default()
        .borders(if compact { Borders::NONE } else { Borders::ALL })
        .border_style(theme.style(ThemeRole::BorderActive))
        .style(theme.style(ThemeRole::Popup))
        .title(Span::styled(
            if compact {
                "Keys"
            } else {
                " Keys — Esc closes "
            },
            theme.style(ThemeRole::Title),
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let key_width = if compact { 8 } else { 14 };
    let mut lines = Vec::new();
    for ctx in [
        active.context(),
        Context::Global,
        Context::Input,
        Context::Palette,
        Context::Help,
    ] {
        let bindings = keymap.bindings(ctx);
        if bindings.is_empty() {
            continue;
        }
        lines.push(Line::from(Span::styled(
            ctx.title().to_string(),
            theme.style(ThemeRole::HelpSection),
        )));
        let mut grouped: Vec<(String, &str)> = Vec::new();
        for b in bindings {
            match grouped.iter_mut().find(|(_, d)| *d == b.desc) {
                Some((keys, _)) => {
                    keys.push(' ');
                    keys.push_str(&b.key.to_string());
                }
                None => grouped.push((b.key.to_string(), &b.desc)),
            }
        }
        for (keys, desc) in grouped {
            lines.push(Line::from(vec![
                Span::styled(
                    format!(" {keys:<key_width$} "),
                    theme.style(ThemeRole::HelpKey),
                ),
                Span::styled(desc.to_string(), theme.style(ThemeRole::Text)),
            ]));
        }
    }
    let max = lines.len().saturating_sub(inner.height as usize);
    max_scroll.set(max);
    f.render_widget(
        Paragraph::new(lines).scroll((scroll.min(max) as u16, 0)),
        inner,
    );
}

/// A bordered pane with a title; on compact screens just the title line.
pub fn pane_block<'a>(theme: &Theme, title: &str, active: bool, compact: bool) -> Block<'a> {
    let border = if active {
        ThemeRole::BorderActive
    } else {
        ThemeRole::Border
    };
    let block = Block::default().title(Span::styled(
        format!(" {title} "),
        theme.style(ThemeRole::Title),
    ));
    if compact {
        block
    } else {
        block
            .borders(Borders::ALL)
            .border_style(theme.style(border))
    }
}

/// `Label  text` with the visible tail of the text and a cursor when focused.
pub fn input_line(
    f: &mut Frame,
    area: Rect,
    theme: &Theme,
    label: &str,
    label_width: u16,
    input: &TextInput,
    focused: bool,
) {
    if area.height == 0 {
        return;
    }
    let label_width = if label.is_empty() {
        0
    } else {
        label_width.max(label.chars().count() as u16 + 1)
    };
    let [l, field] =
        Layout::horizontal([Constraint::Length(label_width), Constraint::Min(1)]).areas(area);
    if label_width > 0 {
        f.render_widget(
            Paragraph::new(Span::styled(
                label.to_string(),
                theme.style(ThemeRole::TextMuted),
            )),
            l,
        );
    }
    let shown: Vec<char> = input.display().chars().collect();
    let cursor = input.cursor().min(shown.len());
    // Leave one column for the cursor; Chinese characters take two.
    let room = field.width.saturating_sub(1) as usize;
    let mut start = cursor;
    let mut used = 0;
    while start > 0 {
        let w = char_width(shown[start - 1]);
        if used + w > room {
            break;
        }
        used += w;
        start -= 1;
    }
    let mut visible = String::new();
    let mut width = 0;
    for &c in &shown[start..] {
        width += char_width(c);
        if width > room + 1 {
            break;
        }
        visible.push(c);
    }
    let style = if focused {
        theme.style(ThemeRole::InputFocus)
    } else {
        theme.style(ThemeRole::Input)
    };
    f.render_widget(Block::default().style(style), field);
    f.render_widget(Paragraph::new(Span::styled(visible, style)), field);
    if focused {
        let x = field.x + used as u16;
        f.set_cursor_position((x.min(field.right().saturating_sub(1)), field.y));
    }
}

fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// A list table as every pane draws it: a styled header row, one space between columns.
pub fn list_table<'a>(
    theme: &Theme,
    header: Vec<Line<'a>>,
    widths: Vec<Constraint>,
    rows: impl IntoIterator<Item = Row<'a>>,
) -> Table<'a> {
    Table::new(rows, widths)
        .header(Row::new(header).style(theme.style(ThemeRole::TableHeader)))
        .column_spacing(1)
}

/// What an empty list says: the error, that it is still loading, or that nothing matches.
pub fn empty_list_line(
    theme: &Theme,
    error: Option<&str>,
    loading: bool,
    loaded: bool,
    things: &str,
) -> Line<'static> {
    match error {
        Some(e) => Line::from(Span::styled(e.to_string(), theme.style(ThemeRole::Error))),
        None if loading || !loaded => muted_line(theme, &format!("loading {things}…")),
        None => muted_line(theme, &format!("no {things} match")),
    }
}

pub fn muted_line(theme: &Theme, text: &str) -> Line<'static> {
    Line::from(Span::styled(
        text.to_string(),
        theme.style(ThemeRole::TextMuted),
    ))
}

/// `€12.90`, `NT$300`, or the amount and the code for other currencies.
pub fn money(m: &MoneyBody) -> String {
    let money: crate::domain::money::Money = (*m).into();
    let amount = money.amount();
    match money.currency.as_str() {
        "EUR" => format!("€{amount}"),
        "USD" => format!("${amount}"),
        "GBP" => format!("£{amount}"),
        "TWD" => format!("NT${amount}"),
        code => format!("{amount} {code}"),
    }
}
