//! The "needs attention" list: changes this terminal made that the server refused (a
//! count for a closed stocktake, a pick for a cancelled order), each with the server's
//! reason, until a person has seen them and lets them go.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use serde_json::Value;

use super::theme::{Theme, ThemeRole};
use crate::client::{Change, SetAside};

/// A change in a line a person can read: what kind, then what it named, e.g.
/// `Count · location A-01-01 · product KIT-1001 · qty 1 · stocktake ST-000001`.
pub fn describe(change: &Change) -> String {
    fn words(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match inner {
                        Value::String(s) if !s.is_empty() => out.push(format!("{key} {s}")),
                        Value::Number(n) => out.push(format!("{key} {n}")),
                        Value::Bool(true) => out.push(key.replace('_', " ")),
                        Value::Object(_) | Value::Array(_) => {
                            // An enum variant's name says what kind of change it is.
                            if key.chars().next().is_some_and(char::is_uppercase) && out.is_empty()
                            {
                                out.push(key.clone());
                            }
                            words(inner, out);
                        }
                        _ => {}
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|i| words(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(value) = serde_json::to_value(change) {
        words(&value, &mut out);
    }
    out.join(" · ")
}

pub fn render(
    f: &mut Frame,
    body: Rect,
    theme: &Theme,
    items: Option<&[SetAside]>,
    selected: usize,
) {
    f.render_widget(Clear, body);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Needs attention: refused by the server ")
        .border_style(theme.style(ThemeRole::BorderActive))
        .style(theme.style(ThemeRole::Popup));
    let inner = block.inner(body);
    f.render_widget(block, body);
    let muted = theme.style(ThemeRole::TextMuted);
    let lines: Vec<Line> = match items {
        None => vec![Line::from(Span::styled("Reading…", muted))],
        Some([]) => vec![Line::from(Span::styled(
            "Nothing was refused by the server.",
            muted,
        ))],
        Some(items) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| {
                let style = if i == selected {
                    theme.style(ThemeRole::Selection)
                } else {
                    theme.style(ThemeRole::Text)
                };
                let when = item.set_aside.get(5..16).unwrap_or(&item.set_aside);
                [
                    Line::from(Span::styled(
                        format!(
                            "{} {}",
                            when.replace('T', " "),
                            describe(&item.mutation.change)
                        ),
                        style,
                    )),
                    Line::from(Span::styled(
                        format!("  {}", item.reason),
                        theme.style(ThemeRole::Error),
                    )),
                ]
            })
            .collect(),
    };
    // Keep the selected change in view: two lines each.
    let skip = (selected * 2 + 2).saturating_sub(inner.height as usize) as u16;
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((skip, 0)),
        inner,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::CountChange;

    #[test]
    fn a_change_reads_as_its_kind_and_what_it_named() {
        let change = Change::Count(CountChange::Count {
            stocktake: "ST-000001".into(),
            location: "A-01-01".into(),
            product: "KIT-1001".into(),
            qty: 3,
            set: false,
        });
        assert_eq!(
            describe(&change),
            "Count · location A-01-01 · product KIT-1001 · qty 3 · stocktake ST-000001"
        );
        let change = Change::Ship {
            order: "SO-000042".into(),
        };
        assert_eq!(describe(&change), "Ship · order SO-000042");
    }
}
