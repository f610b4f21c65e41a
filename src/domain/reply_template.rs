//! Reply templates with variables (`{order.number}`, `{tracking.url}`, …), shared by the
//! FAQ auto-replies the server sends and the canned replies agents insert in the console.
//! `{{` and `}}` write a literal brace.

use std::collections::BTreeMap;

/// Every variable a template may use, with what it says.
pub const VARIABLES: &[(&str, &str)] = &[
    ("customer.name", "the customer's name"),
    ("ticket.number", "the ticket, e.g. TK-000012"),
    ("order.number", "the order, e.g. SO-000123"),
    (
        "order.status",
        "where the order is: received, packed, shipped, delivered…",
    ),
    ("order.carrier", "the carrier's name"),
    ("order.expected", "the expected delivery date"),
    (
        "order.ships_by",
        "when an order not yet shipped leaves the warehouse",
    ),
    ("tracking.number", "the parcel's tracking number"),
    ("tracking.url", "where the customer can follow the parcel"),
    ("tracking.latest", "the carrier's latest word on the parcel"),
    ("return.policy", "the shop's return policy"),
    ("agent.name", "the agent answering"),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("{{{0}}} is not a variable; use one of: {list}", list = VARIABLES.iter().map(|(v, _)| format!("{{{v}}}")).collect::<Vec<_>>().join(", "))]
    Unknown(String),
    #[error("a {{ is not closed (write {{{{ for a literal brace)")]
    Unclosed,
    #[error("a }} has no {{ before it (write }}}} for a literal brace)")]
    Unopened,
    #[error("nothing is known yet for {{{0}}}")]
    Missing(String),
}

/// The values at hand for one ticket; absent ones make a template that uses them fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateValues(BTreeMap<&'static str, String>);

impl TemplateValues {
    /// Sets a variable; a name that is not in [`VARIABLES`] is a programming error and ignored.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        if let Some((known, _)) = VARIABLES.iter().find(|(v, _)| *v == name) {
            self.0.insert(known, value.into());
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        let Some(at) = rest.find(['{', '}']) else {
            out.push(Piece::Text(rest));
            break;
        };
        out.push(Piece::Text(&rest[..at]));
        let tail = &rest[at..];
        if let Some(after) = tail.strip_prefix("{{") {
            out.push(Piece::Text("{"));
            rest = after;
        } else if let Some(after) = tail.strip_prefix("}}") {
            out.push(Piece::Text("}"));
            rest = after;
        } else if tail.starts_with('}') {
            return Err(TemplateError::Unopened);
        } else {
            let end = tail.find('}').ok_or(TemplateError::Unclosed)?;
            let name = tail[1..end].trim();
            if !VARIABLES.iter().any(|(v, _)| *v == name) {
                return Err(TemplateError::Unknown(name.to_string()));
            }
            out.push(Piece::Variable(name));
            rest = &tail[end + 1..];
        }
    }
    Ok(out)
}

/// Whether a template is well formed and uses only known variables.
pub fn check(template: &str) -> Result<(), TemplateError> {
    pieces(template).map(|_| ())
}

/// The variables a template uses, in order of first use.
pub fn variables(template: &str) -> Result<Vec<&str>, TemplateError> {
    let mut names = Vec::new();
    for piece in pieces(template)? {
        if let Piece::Variable(v) = piece
            && !names.contains(&v)
        {
            names.push(v);
        }
    }
    Ok(names)
}

/// The template with every variable filled in.
pub fn fill(template: &str, values: &TemplateValues) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Variable(v) => out.push_str(
                values
                    .get(v)
                    .ok_or_else(|| TemplateError::Missing(v.to_string()))?,
            ),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_and_braces_escaped() {
        let mut v = TemplateValues::default();
        v.set("order.number", "SO-000123");
        v.set("tracking.url", "https://t.example/JJD1");
        assert_eq!(
            fill("Order {order.number}: {tracking.url} {{ok}}", &v).unwrap(),
            "Order SO-000123: https://t.example/JJD1 {ok}"
        );
        assert_eq!(
            fill("您的訂單 {order.number}", &v).unwrap(),
            "您的訂單 SO-000123"
        );
    }

    #[test]
    fn unknown_missing_and_broken_templates_are_refused() {
        let v = TemplateValues::default();
        assert_eq!(
            fill("{order.nmuber}", &v),
            Err(TemplateError::Unknown("order.nmuber".into()))
        );
        assert_eq!(
            fill("{order.number}", &v),
            Err(TemplateError::Missing("order.number".into()))
        );
        assert_eq!(check("a {order.number"), Err(TemplateError::Unclosed));
        assert_eq!(check("a } b"), Err(TemplateError::Unopened));
        assert_eq!(
            variables("{order.number} {tracking.url} {order.number}").unwrap(),
            ["order.number", "tracking.url"]
        );
    }
}
