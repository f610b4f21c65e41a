//! The form an agent fills to put a ticket's order right: a return (RMA) for chosen lines,
//! money back, or the goods sent again, each with a reason. It knows what may be asked
//! (units not yet on a return, money not yet refunded) so most mistakes never reach the
//! server; the server still decides.

use crossterm::event::KeyCode;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::keymap::{Action, Key};
use super::text_input::TextInput;
use super::theme::{Theme, ThemeRole};
use super::ui::input_line;
use crate::api::TicketDetailBody;
use crate::client::DeskChange;
use crate::domain::money::{Currency, Money};
use crate::domain::remedy::{Given, Worth, left_to_give};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remedy {
    Return,
    Refund,
    Replacement,
}

impl Remedy {
    const ALL: [Remedy; 3] = [Remedy::Return, Remedy::Refund, Remedy::Replacement];

    fn label(self, narrow: bool) -> &'static str {
        match (self, narrow) {
            (Remedy::Return, false) => "return (RMA)",
            (Remedy::Return, true) => "RMA",
            (Remedy::Refund, _) => "refund",
            (Remedy::Replacement, false) => "replacement",
            (Remedy::Replacement, true) => "replace",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyLine {
    pub line_no: i64,
    pub sku: String,
    pub name: String,
    pub ordered: i64,
    /// Units not on an earlier return.
    pub returnable: i64,
    pub chosen: i64,
}

/// Where the keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Kind,
    Line(usize),
    Amount,
    Reason,
}

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormStep {
    Stay,
    Cancel,
    Send(DeskChange),
    /// Not sendable as it is; the form stays open.
    Refused(String),
    /// Not a key for the form (an F-key, Ctrl-C): it goes on to the bindings.
    Pass,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemedyForm {
    pub remedy: Remedy,
    ticket: String,
    order: String,
    pub lines: Vec<RemedyLine>,
    currency: Currency,
    /// What is left of the order's total to refund.
    refundable_minor: i64,
    amount: TextInput,
    reason: TextInput,
    focus: Field,
}

impl RemedyForm {
    /// A form for the ticket's order, or why there can be none.
    pub fn new(d: &TicketDetailBody, remedy: Remedy) -> Result<RemedyForm, String> {
        let ticket = d.ticket.number.clone();
        let Some(order) = &d.order else {
            return Err(format!(
                "{ticket} has no order; link one by opening a ticket for it"
            ));
        };
        let on_returns = |line_no: i64| -> i64 {
            d.returns
                .iter()
                .flat_map(|r| &r.lines)
                .filter(|l| l.line_no == line_no)
                .map(|l| l.qty)
                .sum()
        };
        let lines = order
            .lines
            .iter()
            .map(|l| RemedyLine {
                line_no: l.line_no,
                sku: l.sku.clone(),
                name: l.name.clone(),
                ordered: l.qty,
                returnable: (l.qty - on_returns(l.line_no)).max(0),
                chosen: 0,
            })
            .collect();
        // Replacements are money's worth too: together with refunds they never pass what
        // the customer paid.
        let given: Vec<Given> = d
            .refunds
            .iter()
            .map(|r| Given {
                worth: Worth::money(r.amount.amount_minor),
                rejected: r.status == "rejected",
            })
            .collect();
        let total = Money::from(order.order.total);
        Ok(RemedyForm {
            remedy,
            ticket,
            order: order.order.number.clone(),
            lines,
            currency: total.currency,
            refundable_minor: left_to_give(total.minor, &given),
            amount: TextInput::default(),
            reason: TextInput::default(),
            focus: Field::Kind,
        })
    }

    fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::Kind];
        match self.remedy {
            Remedy::Refund => fields.push(Field::Amount),
            _ => fields.extend((0..self.lines.len()).map(Field::Line)),
        }
        fields.push(Field::Reason);
        fields
    }

    fn most(&self, line: &RemedyLine) -> i64 {
        match self.remedy {
            Remedy::Return => line.returnable,
            _ => line.ordered,
        }
    }

    fn move_focus(&mut self, by: isize) {
        let fields = self.fields();
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        let to = (at + by).clamp(0, fields.len() as isize - 1) as usize;
        self.focus = fields[to];
    }

    /// `input` is the key's binding in the text-field context (submit, cancel), `editor` in
    /// the editor context (send).
    pub fn on_key(&mut self, input: Option<Action>, editor: Option<Action>, key: Key) -> FormStep {
        if input == Some(Action::Cancel) {
            return FormStep::Cancel;
        }
        if editor == Some(Action::EditorSend) {
            return self.send();
        }
        match key.code {
            KeyCode::Up | KeyCode::BackTab => self.move_focus(-1),
            KeyCode::Down | KeyCode::Tab => self.move_focus(1),
            KeyCode::Enter if self.focus == Field::Reason => return self.send(),
            KeyCode::Enter => self.move_focus(1),
            _ => return self.on_field_key(key),
        }
        FormStep::Stay
    }

    fn on_field_key(&mut self, key: Key) -> FormStep {
        match self.focus {
            Field::Kind => {
                let at = Remedy::ALL
                    .iter()
                    .position(|r| *r == self.remedy)
                    .unwrap_or(0);
                let n = Remedy::ALL.len();
                self.remedy = match key.code {
                    KeyCode::Left => Remedy::ALL[(at + n - 1) % n],
                    KeyCode::Right | KeyCode::Char(' ') => Remedy::ALL[(at + 1) % n],
                    _ => return self.begin_reason(key),
                };
                // What is chosen for one remedy means nothing for another.
                for line in &mut self.lines {
                    line.chosen = 0;
                }
                FormStep::Stay
            }
            Field::Line(i) => {
                let Some(line) = self.lines.get(i) else {
                    return FormStep::Stay;
                };
                let most = self.most(line);
                let chosen = match key.code {
                    KeyCode::Left | KeyCode::Char('-') => line.chosen - 1,
                    KeyCode::Right | KeyCode::Char('+') => line.chosen + 1,
                    // All of the line, or none.
                    KeyCode::Char(' ') if line.chosen == 0 => most,
                    KeyCode::Char(' ') => 0,
                    KeyCode::Char(c) if c.is_ascii_digit() => i64::from(c as u8 - b'0'),
                    _ => return self.begin_reason(key),
                };
                if chosen > most {
                    return FormStep::Refused(match self.remedy {
                        Remedy::Return if most < line.ordered => format!(
                            "{}: {} of {} units are on a return already; {most} can be returned",
                            line.sku,
                            line.ordered - most,
                            line.ordered
                        ),
                        _ => format!("{}: {most} units were ordered", line.sku),
                    });
                }
                self.lines[i].chosen = chosen.max(0);
                FormStep::Stay
            }
            Field::Amount => {
                self.amount.edit(key);
                FormStep::Stay
            }
            Field::Reason => {
                if self.reason.edit(key) {
                    FormStep::Stay
                } else {
                    FormStep::Pass
                }
            }
        }
    }

    /// Letters typed where no text goes begin the reason: an agent who starts writing
    /// before moving down loses nothing.
    fn begin_reason(&mut self, key: Key) -> FormStep {
        if !key.is_text() {
            return FormStep::Pass;
        }
        self.focus = Field::Reason;
        self.reason.edit(key);
        FormStep::Stay
    }

    fn send(&self) -> FormStep {
        let reason = self.reason.text().trim().to_string();
        let chosen: Vec<(i64, i64)> = self
            .lines
            .iter()
            .filter(|l| l.chosen > 0)
            .map(|l| (l.line_no, l.chosen))
            .collect();
        let change = match self.remedy {
            Remedy::Refund => {
                let amount = match Money::parse_amount(self.amount.text(), self.currency) {
                    Ok(m) => m,
                    Err(e) => return FormStep::Refused(e.to_string()),
                };
                let left = Money::new(self.refundable_minor, self.currency);
                if amount.minor < 1 || amount.minor > self.refundable_minor {
                    return FormStep::Refused(format!(
                        "A refund of {} is more than is left to refund or replace ({left}) or nothing",
                        amount
                    ));
                }
                DeskChange::AskRefund {
                    ticket: self.ticket.clone(),
                    amount_minor: Some(amount.minor),
                    lines: Vec::new(),
                    reason: reason.clone(),
                }
            }
            Remedy::Return | Remedy::Replacement if chosen.is_empty() => {
                return FormStep::Refused(
                    "Choose units on at least one line (→ or a digit, space for all)".into(),
                );
            }
            Remedy::Return => DeskChange::AuthoriseReturn {
                ticket: self.ticket.clone(),
                lines: chosen,
                reason: reason.clone(),
            },
            Remedy::Replacement => DeskChange::AskRefund {
                ticket: self.ticket.clone(),
                amount_minor: None,
                lines: chosen,
                reason: reason.clone(),
            },
        };
        if reason.is_empty() {
            return FormStep::Refused("A reason is needed (the last field)".into());
        }
        FormStep::Send(change)
    }

    /// How many rows the form wants.
    pub fn height(&self) -> u16 {
        self.fields().len() as u16 + 2
    }

    pub fn render(&self, f: &mut Frame, area: Rect, theme: &Theme) {
        if area.height == 0 {
            return;
        }
        let focus_style = |field: Field| {
            if self.focus == field {
                theme.style(ThemeRole::Selection)
            } else {
                theme.style(ThemeRole::Text)
            }
        };
        let narrow = area.width < 50;
        let order = if narrow {
            String::new()
        } else {
            format!("─ {} · ", self.order)
        };
        let mut kinds = vec![Span::styled(order, theme.style(ThemeRole::BorderActive))];
        for r in Remedy::ALL {
            let style = if r == self.remedy {
                focus_style(Field::Kind)
            } else {
                theme.style(ThemeRole::TextMuted)
            };
            kinds.push(Span::styled(format!(" {} ", r.label(narrow)), style));
        }
        let mut rows = vec![Line::from(kinds)];
        if self.remedy != Remedy::Refund {
            rows.push(Line::from(Span::styled(
                if narrow {
                    "  SKU        up to  take".to_string()
                } else {
                    format!(
                        "  {:<12} {:<24} {:>7} {:>5}",
                        "SKU", "Item", "up to", "take"
                    )
                },
                theme.style(ThemeRole::TextMuted),
            )));
            for (i, l) in self.lines.iter().enumerate() {
                let text = if narrow {
                    format!("  {:<12} {:>3} {:>5}", l.sku, self.most(l), l.chosen)
                } else {
                    let name: String = l.name.chars().take(24).collect();
                    format!(
                        "  {:<12} {name:<24} {:>7} {:>5}",
                        l.sku,
                        self.most(l),
                        l.chosen
                    )
                };
                rows.push(Line::from(Span::styled(text, focus_style(Field::Line(i)))));
            }
        }
        let rows_height = (rows.len() as u16).min(area.height);
        let [list, amount_area, reason_area] = Layout::vertical([
            Constraint::Length(rows_height),
            Constraint::Length(u16::from(self.remedy == Remedy::Refund)),
            Constraint::Length(1),
        ])
        .areas(area);
        // Keep the focused line in view when the order has more lines than fit.
        let focused_row = match self.focus {
            Field::Line(i) => i + 2,
            _ => 0,
        };
        let skip = (focused_row + 1).saturating_sub(list.height as usize);
        let shown: Vec<Line> = rows
            .into_iter()
            .enumerate()
            .filter(|(i, _)| *i == 0 || *i > skip)
            .map(|(_, l)| l)
            .collect();
        f.render_widget(Paragraph::new(shown), list);
        if self.remedy == Remedy::Refund {
            let label = format!(
                "Amount ({} left)",
                Money::new(self.refundable_minor, self.currency)
            );
            input_line(
                f,
                amount_area,
                theme,
                &label,
                8,
                &self.amount,
                self.focus == Field::Amount,
            );
        }
        input_line(
            f,
            reason_area,
            theme,
            "Reason",
            8,
            &self.reason,
            self.focus == Field::Reason,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{
        LineQty, MoneyBody, OrderDetail, OrderLine, RefundBody, ReturnBody, ReturnLine,
        TicketDetailBody,
    };
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> Key {
        Key::new(code, KeyModifiers::NONE)
    }

    fn eur(minor: i64) -> MoneyBody {
        MoneyBody::from(Money::new(minor, Currency::EUR))
    }

    fn detail() -> TicketDetailBody {
        let mut d: TicketDetailBody = serde_json::from_value(serde_json::json!({
            "ticket": {
                "id": "t", "number": "TK-000004", "kind": "complaint", "status": "open",
                "priority": "high", "source": "email", "subject": "Broken",
                "customer_name": "Lena", "customer_email": "lena@example.com",
                "order_number": "SO-000420", "assignee": null,
                "first_response_due": "2026-11-25T10:00:00Z", "resolution_due": "2026-11-26T10:00:00Z",
                "first_responded_at": null, "due_at": "2026-11-25T10:00:00Z",
                "due_is": "first response", "sla": "ok", "escalated_at": null,
                "escalation_reason": null, "resolved_at": null, "resolution_code": null,
                "reopened": 0, "follow_up_of": null,
                "created_at": "2026-11-24T10:00:00Z", "updated_at": "2026-11-24T10:00:00Z"
            },
            "messages": [], "order": null, "customer_orders": [], "past_tickets": [],
            "values": {}, "returns": [], "refunds": [], "csat": null,
            "now": "2026-11-25T09:00:00Z"
        }))
        .expect("a ticket");
        let mut order: OrderDetail = serde_json::from_value(serde_json::json!({
            "order": {
                "id": "o", "number": "SO-000420", "channel": "web", "customer_name": "Lena",
                "queue": "warehouse", "ship_by": null,
                "status": "delivered", "item_count": 3, "total": { "amount_minor": 5000, "currency": "EUR" },
                "created_at": "2026-11-20T10:00:00Z", "priority": "normal", "tags": []
            },
            "customer_email": "lena@example.com", "customer_phone": null, "payment_method": "card",
            "ship_to": { "name": "Lena", "line1": "Main 1", "line2": null, "city": "Berlin",
                         "postal_code": "10115", "region": null, "country": "DE" },
            "lines": [], "history": [], "routing": null, "shipment": null
        }))
        .expect("an order");
        for (no, sku, qty) in [(1, "TEA-1001", 2), (2, "CUP-2002", 1)] {
            order.lines.push(OrderLine {
                line_no: no,
                sku: sku.into(),
                name: format!("{sku} item"),
                qty,
                unit_price: eur(2000),
                catalogue_price: None,
                backordered: 0,
                pick_from: None,
            });
        }
        d.order = Some(order);
        d
    }

    fn typed(form: &mut RemedyForm, text: &str) {
        for c in text.chars() {
            form.on_key(None, None, key(KeyCode::Char(c)));
        }
    }

    fn enter(form: &mut RemedyForm) -> FormStep {
        form.on_key(Some(Action::Submit), None, key(KeyCode::Enter))
    }

    #[test]
    fn a_return_takes_chosen_units_and_a_reason() {
        let mut form = RemedyForm::new(&detail(), Remedy::Return).unwrap();
        enter(&mut form); // to line 1
        typed(&mut form, "1");
        form.on_key(None, None, key(KeyCode::Down));
        assert_eq!(
            form.on_key(None, None, key(KeyCode::Char('3'))),
            FormStep::Refused("CUP-2002: 1 units were ordered".into())
        );
        assert_eq!(
            form.on_key(None, Some(Action::EditorSend), key(KeyCode::Char('s'))),
            FormStep::Refused("A reason is needed (the last field)".into())
        );
        // Letters on a line begin the reason.
        typed(&mut form, "broken lid");
        assert_eq!(form.reason.text(), "broken lid");
        assert_eq!(
            enter(&mut form),
            FormStep::Send(DeskChange::AuthoriseReturn {
                ticket: "TK-000004".into(),
                lines: vec![(1, 1)],
                reason: "broken lid".into(),
            })
        );
    }

    #[test]
    fn units_on_an_earlier_return_cannot_be_returned_again() {
        let mut d = detail();
        d.returns.push(ReturnBody {
            id: "r".into(),
            number: "RMA-000001".into(),
            ticket: "TK-000004".into(),
            order_number: "SO-000420".into(),
            status: "authorised".into(),
            reason: "first".into(),
            created_by: "cs".into(),
            created_at: "2026-11-24T10:00:00Z".into(),
            lines: vec![ReturnLine {
                line_no: 1,
                sku: "TEA-1001".into(),
                name: "tea".into(),
                qty: 1,
                received: 0,
            }],
            received_into: None,
        });
        let mut form = RemedyForm::new(&d, Remedy::Return).unwrap();
        form.on_key(None, None, key(KeyCode::Down));
        form.on_key(None, None, key(KeyCode::Char(' ')));
        assert_eq!(form.lines[0].chosen, 1, "all that is left");
        assert!(matches!(
            form.on_key(None, None, key(KeyCode::Right)),
            FormStep::Refused(text) if text.contains("1 of 2 units are on a return already")
        ));
        // A replacement may still send both.
        form.on_key(None, None, key(KeyCode::Up));
        form.on_key(None, None, key(KeyCode::Right));
        assert_eq!(form.remedy, Remedy::Refund);
        form.on_key(None, None, key(KeyCode::Right));
        assert_eq!(form.remedy, Remedy::Replacement);
        assert_eq!(form.lines[0].chosen, 0, "choices reset with the remedy");
        form.on_key(None, None, key(KeyCode::Down));
        typed(&mut form, "2");
        form.on_key(None, None, key(KeyCode::Tab));
        form.on_key(None, None, key(KeyCode::Tab));
        typed(&mut form, "arrived broken");
        assert_eq!(
            form.on_key(None, Some(Action::EditorSend), key(KeyCode::Char('s'))),
            FormStep::Send(DeskChange::AskRefund {
                ticket: "TK-000004".into(),
                amount_minor: None,
                lines: vec![(1, 2)],
                reason: "arrived broken".into(),
            })
        );
    }

    #[test]
    fn a_replacement_given_leaves_less_to_refund() {
        let mut d = detail();
        let refundable = |d: &TicketDetailBody| {
            RemedyForm::new(d, Remedy::Refund)
                .expect("form")
                .refundable_minor
        };
        let before = refundable(&d);
        d.refunds.push(RefundBody {
            id: "f".into(),
            number: "RF-000001".into(),
            ticket: "TK-000004".into(),
            order_number: "SO-000420".into(),
            kind: "replacement".into(),
            amount: eur(1000),
            lines: vec![LineQty { line_no: 1, qty: 1 }],
            reason: "broken".into(),
            status: "awaiting_approval".into(),
            requested_by: "cs".into(),
            decided_by: None,
            decided_at: None,
            decision_note: None,
            created_at: "2026-11-24T10:00:00Z".into(),
            replacement_order: None,
        });
        assert_eq!(refundable(&d), before - 1000);
        d.refunds[0].status = "rejected".into();
        assert_eq!(refundable(&d), before, "a rejected one gave nothing");
    }

    #[test]
    fn a_refund_is_an_amount_no_more_than_is_left() {
        let mut d = detail();
        d.refunds.push(RefundBody {
            id: "f".into(),
            number: "RF-000001".into(),
            ticket: "TK-000004".into(),
            order_number: "SO-000420".into(),
            kind: "refund".into(),
            amount: eur(1000),
            lines: Vec::new(),
            reason: "late".into(),
            status: "approved".into(),
            requested_by: "cs".into(),
            decided_by: None,
            decided_at: None,
            decision_note: None,
            created_at: "2026-11-24T10:00:00Z".into(),
            replacement_order: None,
        });
        let mut form = RemedyForm::new(&d, Remedy::Refund).unwrap();
        enter(&mut form);
        typed(&mut form, "40.01");
        enter(&mut form);
        typed(&mut form, "goodwill");
        assert!(matches!(enter(&mut form), FormStep::Refused(t) if t.contains("40.00 EUR")));
        form.on_key(None, None, key(KeyCode::Up));
        form.on_key(None, None, key(KeyCode::Backspace));
        assert_eq!(
            form.on_key(None, Some(Action::EditorSend), key(KeyCode::Char('s'))),
            FormStep::Send(DeskChange::AskRefund {
                ticket: "TK-000004".into(),
                amount_minor: Some(4000),
                lines: Vec::new(),
                reason: "goodwill".into(),
            })
        );
        form.on_key(None, None, key(KeyCode::Up));
        form.on_key(None, None, key(KeyCode::Down));
        typed(&mut form, "x");
        assert!(matches!(
            form.on_key(None, Some(Action::EditorSend), key(KeyCode::Char('s'))),
            FormStep::Refused(t) if t.contains("is not an amount in EUR")
        ));
    }

    #[test]
    fn a_ticket_without_an_order_has_no_form() {
        let mut d = detail();
        d.order = None;
        assert!(RemedyForm::new(&d, Remedy::Return).is_err());
    }
}
