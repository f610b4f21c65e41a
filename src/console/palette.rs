//! The `:` command palette: every action the current place offers, plus order status
//! filters, found by fuzzy match on name or description; Tab completes, Enter runs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::PaneKind;
use super::keymap::{Action, Context, Key, Keymap};
use super::orders::queue_filters;
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::input_line;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Action(Action),
    /// An order status filter, by index into `queue_filters()`.
    Filter(usize),
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub desc: String,
    pub key: Option<String>,
    pub command: Command,
}

#[derive(Debug)]
pub struct Palette {
    pub input: TextInput,
    entries: Vec<Entry>,
    /// Indexes into `entries`, best match first.
    matches: Vec<usize>,
    selected: usize,
}

pub enum Outcome {
    Stay,
    Close,
    Run(Command),
    Unknown(String),
    /// Not a palette key; the caller may try global bindings.
    Pass,
}

const SHOWN: usize = 8;

impl Palette {
    pub fn new(keymap: &Keymap, active: PaneKind, panes: &[PaneKind]) -> Palette {
        let mut entries = Vec::new();
        let pane_context = active.context();
        for action in Action::ALL {
            let offered = (Context::Global.allows(action) || pane_context.allows(action))
                && !matches!(
                    action,
                    Action::Palette | Action::Submit | Action::Cancel | Action::Complete
                )
                && !matches!(
                    action,
                    Action::CursorUp
                        | Action::CursorDown
                        | Action::PageUp
                        | Action::PageDown
                        | Action::First
                        | Action::Last
                );
            // Every pane command, not only some: offering a pane the role cannot open
            // only leads to a refusal.
            let pane_ok = PaneKind::of_action(action).is_none_or(|pane| panes.contains(&pane));
            if !offered || !pane_ok {
                continue;
            }
            let binding = keymap
                .first_key(pane_context, action)
                .or_else(|| keymap.first_key(Context::Global, action));
            entries.push(Entry {
                name: action.name().to_string(),
                desc: binding
                    .map(|b| b.desc.clone())
                    .unwrap_or_else(|| action.summary().to_string()),
                key: binding.map(|b| b.key.to_string()),
                command: Command::Action(action),
            });
        }
        if panes.contains(&PaneKind::Orders) {
            for (i, filter) in queue_filters().iter().enumerate() {
                entries.push(Entry {
                    name: format!("status {}", filter.label.to_lowercase().replace(' ', "-")),
                    desc: format!("Show orders: {}", filter.label),
                    key: None,
                    command: Command::Filter(i),
                });
            }
        }
        let mut palette = Palette {
            input: TextInput::default(),
            matches: Vec::new(),
            entries,
            selected: 0,
        };
        palette.refilter();
        palette
    }

    pub fn matches(&self) -> impl Iterator<Item = &Entry> {
        self.matches.iter().map(|&i| &self.entries[i])
    }

    fn refilter(&mut self) {
        let query = self.input.text().trim().to_lowercase();
        let mut scored: Vec<(u8, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| score(&query, e).map(|s| (s, i)))
            .collect();
        scored.sort_by_key(|(s, i)| (*s, *i));
        self.matches = scored.into_iter().map(|(_, i)| i).collect();
        self.selected = 0;
    }

    pub fn on_key(&mut self, keymap: &Keymap, key: Key, _active: PaneKind) -> Outcome {
        match keymap.action(Context::Palette, key) {
            Some(Action::CursorDown) => {
                self.selected = (self.selected + 1).min(self.matches.len().saturating_sub(1));
                return Outcome::Stay;
            }
            Some(Action::CursorUp) => {
                self.selected = self.selected.saturating_sub(1);
                return Outcome::Stay;
            }
            Some(Action::Complete) => {
                if let Some(&i) = self.matches.get(self.selected) {
                    let name = self.entries[i].name.clone();
                    self.input.set(&name);
                    self.refilter();
                }
                return Outcome::Stay;
            }
            _ => {}
        }
        match keymap.action(Context::Input, key) {
            Some(Action::Submit) => {
                let typed = self.input.text().trim().to_lowercase();
                let exact = self.entries.iter().find(|e| e.name == typed);
                return match exact
                    .or_else(|| self.matches.get(self.selected).map(|&i| &self.entries[i]))
                {
                    Some(entry) => Outcome::Run(entry.command),
                    None => Outcome::Unknown(self.input.text().to_string()),
                };
            }
            Some(Action::Cancel) => return Outcome::Close,
            _ => {}
        }
        let before = self.input.text().to_string();
        if self.input.edit(key) {
            if self.input.text() != before {
                self.refilter();
            }
            return Outcome::Stay;
        }
        if key.is_text() {
            Outcome::Stay
        } else {
            Outcome::Pass
        }
    }

    pub fn render(&self, f: &mut Frame, body: Rect, theme: &Theme) {
        let shown = self.matches.len().clamp(1, SHOWN);
        let height = (shown as u16 + 3).min(body.height);
        let area = Rect::new(body.x, body.y + body.height - height, body.width, height);
        f.render_widget(Clear, area);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.style(ThemeRole::BorderActive))
            .style(theme.style(ThemeRole::Popup));
        let inner = block.inner(area);
        f.render_widget(block, area);
        input_line(
            f,
            Rect { height: 1, ..inner },
            theme,
            ":",
            2,
            &self.input,
            true,
        );
        let mut lines = vec![Line::default()];
        if self.matches.is_empty() {
            lines.push(Line::from(Span::styled(
                "no matching command",
                theme.style(ThemeRole::TextMuted),
            )));
        }
        // Keep the selection in view when it is below the first screenful.
        let first = self.selected.saturating_sub(SHOWN - 1);
        for (n, entry) in self.matches().enumerate().skip(first).take(SHOWN) {
            let style = if n == self.selected {
                theme.style(ThemeRole::Selection)
            } else {
                theme.style(ThemeRole::Text)
            };
            let mut spans = vec![
                Span::styled(format!("{:<20} ", entry.name), style),
                Span::styled(entry.desc.clone(), style),
            ];
            if let Some(k) = &entry.key {
                spans.push(Span::styled(
                    format!("  {k}"),
                    theme.style(ThemeRole::HelpKey),
                ));
            }
            lines.push(Line::from(spans));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}

/// Lower is better; `None` is no match.
fn score(query: &str, entry: &Entry) -> Option<u8> {
    if query.is_empty() {
        return Some(0);
    }
    let name = entry.name.to_lowercase();
    let desc = entry.desc.to_lowercase();
    if name.starts_with(query) {
        Some(0)
    } else if name.contains(query) {
        Some(1)
    } else if desc.contains(query) {
        Some(2)
    } else if is_subsequence(query, &name) {
        Some(3)
    } else {
        None
    }
}

fn is_subsequence(needle: &str, hay: &str) -> bool {
    let mut hay = hay.chars();
    needle
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| hay.any(|h| h == c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn palette() -> (Keymap, Palette) {
        let km = Keymap::load("default", None).unwrap();
        let p = Palette::new(
            &km,
            PaneKind::Orders,
            &[PaneKind::Orders, PaneKind::Products],
        );
        (km, p)
    }

    fn typed(p: &mut Palette, km: &Keymap, text: &str) {
        for c in text.chars() {
            p.on_key(km, Key::parse(&c.to_string()).unwrap(), PaneKind::Orders);
        }
    }

    #[test]
    fn fuzzy_match_prefers_prefixes() {
        let (km, mut p) = palette();
        typed(&mut p, &km, "qu");
        assert_eq!(p.matches().next().unwrap().name, "quit");
        p.input.clear();
        p.refilter();
        typed(&mut p, &km, "hold");
        assert_eq!(p.matches().next().unwrap().name, "order.hold");
        p.input.clear();
        p.refilter();
        typed(&mut p, &km, "on-hold");
        assert_eq!(p.matches().next().unwrap().name, "status on-hold");
        p.input.clear();
        p.refilter();
        typed(&mut p, &km, "zzz");
        assert_eq!(p.matches().count(), 0);
        assert!(matches!(
            p.on_key(&km, Key::parse("enter").unwrap(), PaneKind::Orders),
            Outcome::Unknown(_)
        ));
    }

    #[test]
    fn tab_completes_and_enter_runs() {
        let (km, mut p) = palette();
        typed(&mut p, &km, "prod");
        p.on_key(&km, Key::parse("tab").unwrap(), PaneKind::Orders);
        assert_eq!(p.input.text(), "pane.products");
        match p.on_key(&km, Key::parse("enter").unwrap(), PaneKind::Orders) {
            Outcome::Run(Command::Action(Action::PaneProducts)) => {}
            _ => panic!("enter should run pane.products"),
        }
    }

    #[test]
    fn each_role_is_offered_exactly_the_panes_it_may_open() {
        use crate::domain::role::Role;
        let km = Keymap::load("default", None).unwrap();
        for role in Role::ALL {
            let permissions: Vec<String> = role
                .permissions()
                .iter()
                .map(|p| p.as_str().to_string())
                .collect();
            let panes = PaneKind::open_to(&permissions);
            let active = panes.first().copied().unwrap_or(PaneKind::Orders);
            let p = Palette::new(&km, active, &panes);
            let offered: Vec<&str> = p
                .entries
                .iter()
                .filter(
                    |e| matches!(e.command, Command::Action(a) if PaneKind::of_action(a).is_some()),
                )
                .map(|e| e.name.as_str())
                .collect();
            let allowed: Vec<&str> = PaneKind::ALL
                .into_iter()
                .filter(|k| panes.contains(k))
                .map(|k| k.action().name())
                .collect();
            let mut offered_sorted = offered.clone();
            offered_sorted.sort_unstable();
            let mut allowed_sorted = allowed.clone();
            allowed_sorted.sort_unstable();
            assert_eq!(offered_sorted, allowed_sorted, "{role}");
        }
    }

    #[test]
    fn panes_the_role_cannot_use_are_not_offered() {
        let km = Keymap::load("default", None).unwrap();
        let p = Palette::new(&km, PaneKind::Products, &[PaneKind::Products]);
        assert!(
            p.matches()
                .all(|e| e.name != "pane.orders" && !e.name.starts_with("status"))
        );
    }
}
