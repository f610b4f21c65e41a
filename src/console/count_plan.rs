//! The form in which a supervisor plans a stocktake: what to count (a zone, some locations,
//! some products, or the cycle-count schedule's most overdue items), blind or not, and who
//! counts. Keyboard only: ↑↓ between fields, ←→ or Space to choose, Enter plans it.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::keymap::{Action, Key};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::{input_line, muted_line};
use crate::api::StocktakeIn;

const SCOPES: [&str; 4] = ["zone", "locations", "products", "cycle"];
/// The most products one cycle count takes, as the server allows.
const MAX_CYCLE: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Field {
    #[default]
    Scope,
    What,
    Blind,
    Counters,
}

impl Field {
    const ORDER: [Field; 4] = [Field::Scope, Field::What, Field::Blind, Field::Counters];

    fn step(self, by: isize) -> Field {
        let i = Field::ORDER.iter().position(|f| *f == self).unwrap_or(0) as isize;
        Field::ORDER[(i + by).clamp(0, 3) as usize]
    }
}

#[derive(Debug, Default)]
pub struct CountPlan {
    pub field: Field,
    scope: usize,
    what: TextInput,
    pub blind: bool,
    counters: TextInput,
}

/// What a key did to the form.
#[derive(Debug, PartialEq)]
pub enum PlanStep {
    Stay,
    Cancel,
    /// A plan the server can be asked for.
    Submit(StocktakeIn),
    /// What is wrong with the form as filled in.
    Invalid(String),
    /// Not a key for the form.
    Pass,
}

impl CountPlan {
    pub fn new() -> CountPlan {
        CountPlan {
            blind: true,
            ..CountPlan::default()
        }
    }

    pub fn scope(&self) -> &'static str {
        SCOPES[self.scope]
    }

    fn what_label(&self) -> &'static str {
        match self.scope() {
            "zone" => "Zone",
            "locations" => "Locations",
            "products" => "Products",
            _ => "How many",
        }
    }

    fn what_hint(&self) -> &'static str {
        match self.scope() {
            "zone" => "a zone, e.g. A",
            "locations" => "location codes, space between",
            "products" => "SKUs or barcodes, space between",
            _ => "most overdue items first; 20 when empty",
        }
    }

    pub fn on_key(&mut self, input: Option<Action>, key: Key) -> PlanStep {
        match input {
            Some(Action::Submit) => return self.plan(),
            Some(Action::Cancel) => return PlanStep::Cancel,
            _ => {}
        }
        match key.code {
            KeyCode::Up => self.field = self.field.step(-1),
            KeyCode::Down => self.field = self.field.step(1),
            KeyCode::Left | KeyCode::Right | KeyCode::Char(' ')
                if matches!(self.field, Field::Scope | Field::Blind) =>
            {
                if self.field == Field::Blind {
                    self.blind = !self.blind;
                } else {
                    let n = SCOPES.len();
                    self.scope = if key.code == KeyCode::Left {
                        (self.scope + n - 1) % n
                    } else {
                        (self.scope + 1) % n
                    };
                    self.what.clear();
                }
            }
            _ => {
                let edited = match self.field {
                    Field::What => self.what.edit(key),
                    Field::Counters => self.counters.edit(key),
                    Field::Scope | Field::Blind => false,
                };
                if !edited {
                    // Letters on a choice field do nothing; other keys reach the keymap.
                    return if key.is_text() {
                        PlanStep::Stay
                    } else {
                        PlanStep::Pass
                    };
                }
            }
        }
        PlanStep::Stay
    }

    /// The plan as the server takes it, or what is missing.
    fn plan(&self) -> PlanStep {
        let words: Vec<String> = self
            .what
            .text()
            .split([' ', ','])
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        let counters: Vec<String> = self
            .counters
            .text()
            .split([' ', ','])
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect();
        let mut plan = StocktakeIn {
            scope: self.scope().to_string(),
            zone: None,
            locations: Vec::new(),
            products: Vec::new(),
            limit: None,
            blind: Some(self.blind),
            counters,
            tolerance_qty: None,
            tolerance_value: None,
        };
        match self.scope() {
            "zone" => match words.as_slice() {
                [zone] => plan.zone = Some(zone.to_ascii_uppercase()),
                [] => return PlanStep::Invalid("Name the zone to count".into()),
                _ => return PlanStep::Invalid("One zone at a time".into()),
            },
            "locations" if words.is_empty() => {
                return PlanStep::Invalid("Name the locations to count".into());
            }
            "locations" => plan.locations = words,
            "products" if words.is_empty() => {
                return PlanStep::Invalid("Name the products to count".into());
            }
            "products" => plan.products = words,
            _ => match words.as_slice() {
                [] => {}
                [n] => match n.parse::<usize>() {
                    Ok(n) if (1..=MAX_CYCLE).contains(&n) => plan.limit = Some(n),
                    _ => {
                        return PlanStep::Invalid(format!(
                            "{n:?}: how many items, from 1 to {MAX_CYCLE}"
                        ));
                    }
                },
                _ => return PlanStep::Invalid("How many items: one number".into()),
            },
        }
        PlanStep::Submit(plan)
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        let muted = theme.style(ThemeRole::TextMuted);
        let focus = theme.style(ThemeRole::InputFocus);
        let label = |field: Field, text: &str| {
            let style = if self.field == field {
                focus.add_modifier(Modifier::BOLD)
            } else {
                muted
            };
            Span::styled(format!("{text:<11}"), style)
        };
        let rows = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(0),
        ])
        .split(area);
        let mut scopes = vec![label(Field::Scope, "Scope")];
        for (i, s) in SCOPES.iter().enumerate() {
            if compact && i != self.scope {
                continue;
            }
            if i == self.scope {
                scopes.push(Span::styled(format!("‹{s}›"), focus));
            } else {
                scopes.push(Span::styled(format!(" {s} "), muted));
            }
        }
        f.render_widget(
            Paragraph::new(Line::from(Span::styled(
                "Plan a count",
                theme.style(ThemeRole::Title).add_modifier(Modifier::BOLD),
            ))),
            rows[0],
        );
        f.render_widget(Paragraph::new(Line::from(scopes)), rows[1]);
        input_line(
            f,
            rows[2],
            theme,
            self.what_label(),
            11,
            &self.what,
            self.field == Field::What,
        );
        f.render_widget(
            Paragraph::new(Line::from(vec![
                label(Field::Blind, "Blind"),
                Span::raw(match (self.blind, compact) {
                    (true, true) => "yes",
                    (false, true) => "no",
                    (true, false) => "yes: counters do not see what is expected",
                    (false, false) => "no: counters see the expected quantity",
                }),
            ])),
            rows[3],
        );
        input_line(
            f,
            rows[4],
            theme,
            "Counters",
            11,
            &self.counters,
            self.field == Field::Counters,
        );
        let hint = match self.field {
            Field::What => self.what_hint(),
            Field::Counters => "user names, space between; anyone who counts when empty",
            _ => "↑↓ field · ←→ or Space choose · Enter plans · Esc cancels",
        };
        f.render_widget(
            Paragraph::new(muted_line(theme, hint)).wrap(Wrap { trim: true }),
            rows[5],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn press(plan: &mut CountPlan, code: KeyCode) -> PlanStep {
        plan.on_key(None, Key::new(code, KeyModifiers::NONE))
    }

    fn type_text(plan: &mut CountPlan, text: &str) {
        for c in text.chars() {
            press(plan, KeyCode::Char(c));
        }
    }

    #[test]
    fn each_scope_needs_its_own_answer() {
        let mut plan = CountPlan::new();
        assert!(
            matches!(plan.on_key(Some(Action::Submit), Key::new(KeyCode::Enter, KeyModifiers::NONE)), PlanStep::Invalid(t) if t.contains("zone"))
        );
        press(&mut plan, KeyCode::Down);
        type_text(&mut plan, "b");
        let PlanStep::Submit(zone) = plan.plan() else {
            panic!("a zone plan");
        };
        assert_eq!(zone.zone.as_deref(), Some("B"));
        assert_eq!(zone.blind, Some(true), "blind unless told otherwise");

        press(&mut plan, KeyCode::Up);
        press(&mut plan, KeyCode::Right);
        assert_eq!(plan.scope(), "locations");
        press(&mut plan, KeyCode::Down);
        type_text(&mut plan, "A-01-01, A-01-02");
        press(&mut plan, KeyCode::Down);
        press(&mut plan, KeyCode::Char(' '));
        press(&mut plan, KeyCode::Down);
        type_text(&mut plan, "warehouse counter2");
        let PlanStep::Submit(places) = plan.plan() else {
            panic!("a locations plan");
        };
        assert_eq!(places.locations, ["A-01-01", "A-01-02"]);
        assert_eq!(places.blind, Some(false));
        assert_eq!(places.counters, ["warehouse", "counter2"]);

        press(&mut plan, KeyCode::Up);
        press(&mut plan, KeyCode::Up);
        press(&mut plan, KeyCode::Up);
        press(&mut plan, KeyCode::Left);
        press(&mut plan, KeyCode::Left);
        assert_eq!(plan.scope(), "cycle");
        assert!(
            matches!(plan.plan(), PlanStep::Submit(ref p) if p.limit.is_none()),
            "the schedule's default"
        );
        press(&mut plan, KeyCode::Down);
        type_text(&mut plan, "9999");
        assert!(matches!(plan.plan(), PlanStep::Invalid(_)));
    }
}
