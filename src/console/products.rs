//! Products: search by SKU, name or barcode; the selected product's stock per location.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Wrap};

use super::app::{Effect, next_id};
use super::keymap::{Action, Key};
use super::list_cursor::ListCursor;
use super::text_input::{SearchEdit, TextInput, search_key};
use super::theme::{Theme, ThemeRole};
use super::ui::{empty_list_line, input_line, list_table, money, muted_line, pane_block};
use crate::api::{Page, Product, ProductDetail};
use crate::client::ClientError;

const PAGE: u32 = 200;
const PREFETCH: usize = 40;

#[derive(Debug, Default)]
pub struct ProductsPane {
    pub search: TextInput,
    pub searching: bool,
    pub rows: Vec<Product>,
    pub next_cursor: Option<String>,
    pub loading: bool,
    pub loaded: bool,
    pub error: Option<String>,
    pub cursor: ListCursor,
    /// Stock of the selected product, once loaded.
    pub detail: Option<ProductDetail>,
    pub detail_error: Option<String>,
    /// On narrow screens the stock is a view of its own.
    pub open: bool,
    request: u64,
    detail_request: u64,
}

impl ProductsPane {
    pub fn is_typing(&self) -> bool {
        self.searching && !self.open
    }

    /// Whether `action` does something in the pane's present state (for the footer).
    pub fn offers(&self, action: Action) -> bool {
        match action {
            Action::Back => self.open || !self.search.is_empty(),
            Action::Open => !self.open && !self.rows.is_empty(),
            _ => !self.open,
        }
    }

    pub fn reload(&mut self, ids: &mut u64) -> Vec<Effect> {
        self.request = next_id(ids);
        self.loading = true;
        vec![Effect::LoadProducts {
            request: self.request,
            text: self.search.text().to_string(),
            cursor: None,
            limit: PAGE,
            append: false,
        }]
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

    fn selection_changed(&mut self, ids: &mut u64) -> Vec<Effect> {
        let mut effects = Vec::new();
        let selected = self.rows.get(self.cursor.selected).map(|p| p.sku.clone());
        let shown = self.detail.as_ref().map(|d| d.product.sku.clone());
        if let Some(sku) = selected.filter(|s| Some(s) != shown.as_ref()) {
            self.detail_request = next_id(ids);
            self.detail_error = None;
            effects.push(Effect::LoadProduct {
                request: self.detail_request,
                key: sku,
            });
        }
        if let Some(c) = &self.next_cursor
            && !self.loading
            && self.cursor.selected + PREFETCH >= self.rows.len()
        {
            self.request = next_id(ids);
            self.loading = true;
            effects.push(Effect::LoadProducts {
                request: self.request,
                text: self.search.text().to_string(),
                cursor: Some(c.clone()),
                limit: PAGE,
                append: true,
            });
        }
        effects
    }

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

    pub fn on_action(&mut self, action: Action, ids: &mut u64) -> Vec<Effect> {
        match action {
            Action::Search => {
                self.open = false;
                self.searching = true;
                Vec::new()
            }
            Action::FilterClear => {
                self.searching = false;
                self.search.clear();
                self.restart(ids)
            }
            Action::Open => {
                self.open = !self.rows.is_empty();
                Vec::new()
            }
            Action::Back if self.open => {
                self.open = false;
                Vec::new()
            }
            Action::Back if self.searching || !self.search.is_empty() => {
                self.searching = false;
                self.search.clear();
                self.restart(ids)
            }
            other if self.cursor.apply(other, self.rows.len()) => self.selection_changed(ids),
            _ => Vec::new(),
        }
    }

    pub fn on_page(
        &mut self,
        request: u64,
        append: bool,
        result: Result<Page<Product>, ClientError>,
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
                    self.detail = None;
                }
                self.next_cursor = page.next_cursor;
                self.cursor.clamp(self.rows.len());
                if self.rows.is_empty() {
                    self.open = false;
                }
                self.selection_changed(ids)
            }
            Err(err) => {
                self.error = Some(err.to_string());
                Vec::new()
            }
        }
    }

    pub fn on_detail(&mut self, request: u64, result: Result<Box<ProductDetail>, ClientError>) {
        if request != self.detail_request {
            return;
        }
        match result {
            Ok(detail) => self.detail = Some(*detail),
            Err(err) => self.detail_error = Some(err.to_string()),
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool, active: bool) {
        if compact && self.open {
            self.render_stock(f, area, theme, compact);
            return;
        }
        if compact {
            self.render_list(f, area, theme, compact, active);
            return;
        }
        let split = if area.width >= 76 {
            Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).split(area)
        } else {
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).split(area)
        };
        self.render_list(f, split[0], theme, compact, active && !self.open);
        self.render_stock(f, split[1], theme, compact);
    }

    fn render_list(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool, active: bool) {
        let count = if self.next_cursor.is_some() {
            format!("{}+", self.rows.len())
        } else {
            self.rows.len().to_string()
        };
        let title = if compact {
            format!("Prod {count}")
        } else {
            format!("Products · {count}")
        };
        let block = pane_block(theme, &title, active, compact);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let [search_area, list_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
        input_line(
            f,
            search_area,
            theme,
            if compact { "" } else { "Search" },
            if compact { 0 } else { 7 },
            &self.search,
            self.searching,
        );
        if self.search.is_empty() && !self.searching {
            let hint = if compact {
                "SKU, name, barcode"
            } else {
                "SKU, name or barcode"
            };
            let x = search_area.x + if compact { 0 } else { 7 };
            let w = search_area.width.saturating_sub(x - search_area.x);
            f.render_widget(
                Paragraph::new(Span::styled(hint, theme.style(ThemeRole::InputPlaceholder))),
                Rect::new(x, search_area.y, w, 1),
            );
        }
        if self.rows.is_empty() {
            let text = empty_list_line(
                theme,
                self.error.as_deref(),
                self.loading,
                self.loaded,
                "products",
            );
            f.render_widget(Paragraph::new(text), list_area);
            return;
        }
        let window = self
            .cursor
            .window(self.rows.len(), list_area.height.saturating_sub(1) as usize);
        let narrow = list_area.width < 40;
        let rows = self.rows[window.clone()].iter().enumerate().map(|(i, p)| {
            let avail = Span::styled(
                p.available.to_string(),
                stock_style(theme, p.available, p.safety_stock),
            );
            let cells: Vec<ratatui::text::Text> = if narrow {
                vec![
                    p.sku.clone().into(),
                    Line::from(avail).right_aligned().into(),
                    p.name.clone().into(),
                ]
            } else {
                vec![
                    p.sku.clone().into(),
                    p.name.clone().into(),
                    Line::from(avail).right_aligned().into(),
                    Line::from(money(&p.price)).right_aligned().into(),
                ]
            };
            let style = if window.start + i == self.cursor.selected {
                ThemeRole::Selection
            } else {
                ThemeRole::Text
            };
            Row::new(cells).style(theme.style(style))
        });
        let (header, widths): (Vec<Line>, Vec<Constraint>) = if narrow {
            (
                vec![
                    "SKU".into(),
                    Line::from("Avl").right_aligned(),
                    "Name".into(),
                ],
                vec![
                    Constraint::Length(8),
                    Constraint::Length(4),
                    Constraint::Fill(1),
                ],
            )
        } else {
            (
                vec![
                    "SKU".into(),
                    "Name".into(),
                    Line::from("Avail").right_aligned(),
                    Line::from("Price").right_aligned(),
                ],
                vec![
                    Constraint::Length(8),
                    Constraint::Fill(1),
                    Constraint::Length(5),
                    Constraint::Length(10),
                ],
            )
        };
        let table = list_table(theme, header, widths, rows);
        f.render_widget(table, list_area);
    }

    fn render_stock(&self, f: &mut Frame, area: Rect, theme: &Theme, compact: bool) {
        let selected = self.rows.get(self.cursor.selected);
        let title = selected
            .map(|p| p.sku.clone())
            .unwrap_or_else(|| "Stock".into());
        let block = pane_block(theme, &title, compact && self.open, compact);
        let inner = block.inner(area);
        f.render_widget(block, area);
        let detail = self
            .detail
            .as_ref()
            .filter(|d| Some(&d.product.sku) == selected.map(|p| &p.sku));
        let Some(detail) = detail else {
            let line = match (&self.detail_error, selected) {
                (Some(e), _) => Line::from(Span::styled(e.clone(), theme.style(ThemeRole::Error))),
                (None, Some(_)) => muted_line(theme, "loading stock…"),
                (None, None) => muted_line(theme, "no product selected"),
            };
            f.render_widget(Paragraph::new(line), inner);
            return;
        };
        let p = &detail.product;
        let muted = theme.style(ThemeRole::TextMuted);
        let text = theme.style(ThemeRole::Text);
        let mut facts = vec![
            Span::styled(money(&p.price), text),
            Span::styled(format!(" {}", p.barcode.clone().unwrap_or_default()), muted),
        ];
        if !compact {
            facts.push(Span::styled(format!(" · {}", p.category), muted));
        }
        let lines = vec![
            Line::from(Span::styled(p.name.clone(), theme.style(ThemeRole::Title))),
            Line::from(facts),
            Line::from(vec![
                Span::styled("avail ", muted),
                Span::styled(
                    p.available.to_string(),
                    stock_style(theme, p.available, p.safety_stock),
                ),
                Span::styled(
                    format!(" · on hand {} · min {}", p.on_hand, p.safety_stock),
                    muted,
                ),
            ]),
        ];
        let facts = Paragraph::new(lines).wrap(Wrap { trim: true });
        let head_height = facts.line_count(inner.width) as u16;
        let [head, table_area] = Layout::vertical([
            Constraint::Length(head_height.min(inner.height)),
            Constraint::Min(0),
        ])
        .areas(inner);
        f.render_widget(facts, head);
        if detail.stock.is_empty() {
            f.render_widget(
                Paragraph::new(muted_line(theme, "no stock anywhere")),
                table_area,
            );
            return;
        }
        let rows = detail.stock.iter().map(|s| {
            Row::new(vec![
                // A line without a location is the product's total: the caller may not
                // know which bins hold it.
                Line::from(s.location.clone().unwrap_or_else(|| "all".into())),
                Line::from(s.on_hand.to_string()).right_aligned(),
                Line::from(s.reserved.to_string()).right_aligned(),
                Line::from(Span::styled(
                    s.available.to_string(),
                    stock_style(theme, s.available, 1),
                ))
                .right_aligned(),
            ])
            .style(text)
        });
        let header = ["Where", "OnHd", "Rsvd", "Avl"]
            .map(|h| {
                if h == "Where" {
                    Line::from(h)
                } else {
                    Line::from(h).right_aligned()
                }
            })
            .to_vec();
        let widths = vec![
            Constraint::Length(8),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(5),
        ];
        let table = list_table(theme, header, widths, rows);
        f.render_widget(table, table_area);
    }
}

fn stock_style(theme: &Theme, available: i64, safety: i64) -> ratatui::style::Style {
    if available <= 0 {
        theme.style(ThemeRole::StockOut)
    } else if available < safety {
        theme.style(ThemeRole::StockLow)
    } else {
        theme.style(ThemeRole::Text)
    }
}
