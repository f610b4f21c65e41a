//! Routing rules: where an order goes (warehouse, CS review, hold), with what priority,
//! carrier and tags. Rules are ordered; the first whose conditions all hold wins. Within a
//! condition, a list means "any of". Every decision names its rule and says why.

use std::fmt;

use serde::Deserialize;

use std::collections::BTreeMap;

use super::carrier::CarrierSettings;
use super::intake_policy::{IntakePolicy, IntakeTable};
use super::order::OrderStatus;
use super::service_policy::{ServicePolicy, ServiceTable};
use super::settings_file::{SettingsError, SettingsSource};
use super::shipping_label::Address;
use super::shipping_label_zpl::ZplFont;

/// The rules that ship in the binary; `--rules FILE` replaces them.
pub const DEFAULT_RULES: &str = include_str!("default_rules.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    Warehouse,
    CsReview,
    Hold,
}

impl Queue {
    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Warehouse => "warehouse",
            Queue::CsReview => "cs_review",
            Queue::Hold => "hold",
        }
    }

    pub fn parse(s: &str) -> Option<Queue> {
        [Queue::Warehouse, Queue::CsReview, Queue::Hold]
            .into_iter()
            .find(|q| q.as_str() == s)
    }
    /// The status an order routed to this queue takes.
    pub fn status(self) -> OrderStatus {
        match self {
            Queue::Warehouse => OrderStatus::ReadyToPick,
            Queue::CsReview => OrderStatus::CsReview,
            Queue::Hold => OrderStatus::Hold,
        }
    }

    /// The queue an order in this status waits in, if it waits in one.
    pub fn of_status(status: OrderStatus) -> Option<Queue> {
        match status {
            OrderStatus::ReadyToPick => Some(Queue::Warehouse),
            OrderStatus::CsReview => Some(Queue::CsReview),
            OrderStatus::Hold => Some(Queue::Hold),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    #[default]
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Urgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Urgent => "urgent",
        }
    }

    pub fn parse(s: &str) -> Option<Priority> {
        Priority::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// What validation noticed about an order; rules may route on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// A unit price differs from the catalogue beyond the tolerance.
    PriceMismatch,
    /// The address lacks what the destination country needs.
    AddressIncomplete,
    /// The customer is blocked.
    CustomerBlocked,
    /// Not all units could be reserved, so nothing was (the hold policy).
    StockShort,
    /// Not all units could be reserved; what was there is, the rest is back-ordered.
    Backordered,
}

impl Flag {
    pub const ALL: [Flag; 5] = [
        Flag::PriceMismatch,
        Flag::AddressIncomplete,
        Flag::CustomerBlocked,
        Flag::StockShort,
        Flag::Backordered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::PriceMismatch => "price_mismatch",
            Flag::AddressIncomplete => "address_incomplete",
            Flag::CustomerBlocked => "customer_blocked",
            Flag::StockShort => "stock_short",
            Flag::Backordered => "backordered",
        }
    }

    pub fn parse(s: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// All present conditions must hold; an absent one does not matter.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conditions {
    /// Order total at least / at most, in minor units (cents).
    pub total_min: Option<i64>,
    pub total_max: Option<i64>,
    /// Number of units at least / at most.
    pub items_min: Option<i64>,
    pub items_max: Option<i64>,
    /// Any line is one of these SKUs / in one of these categories.
    #[serde(default)]
    pub sku: Vec<String>,
    #[serde(default)]
    pub category: Vec<String>,
    /// Destination country (ISO 3166 alpha-2) / region.
    #[serde(default)]
    pub country: Vec<String>,
    #[serde(default)]
    pub region: Vec<String>,
    /// Payment method, e.g. `cod` (cash on delivery).
    #[serde(default)]
    pub payment: Vec<String>,
    /// The customer has any of these tags (`vip`, `first_order`, `blocked`, …).
    #[serde(default)]
    pub customer_tag: Vec<String>,
    /// Validation raised any of these flags.
    #[serde(default)]
    pub flag: Vec<Flag>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    pub queue: Queue,
    #[serde(default)]
    pub priority: Priority,
    pub carrier: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Said to people with the decision, e.g. "cash on delivery for a first order".
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    #[serde(default)]
    pub when: Conditions,
    pub then: Outcome,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(rename = "rule", default)]
    rules: Vec<Rule>,
    #[serde(default)]
    intake: IntakeTable,
    #[serde(default)]
    carriers: BTreeMap<String, CarrierSettings>,
    #[serde(default)]
    shipping: ShippingTable,
    #[serde(default)]
    service: ServiceTable,
}

/// `[shipping]`: who parcels come from, and how labels are printed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShippingTable {
    sender: Option<SenderTable>,
    #[serde(default)]
    zpl_font: ZplFont,
    default_carrier: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SenderTable {
    name: String,
    line1: String,
    line2: Option<String>,
    postal_code: String,
    city: String,
    region: Option<String>,
    country: String,
}

/// How parcels leave: the sender on every label, the printer's font, the carrier of orders
/// routing gave none.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipping {
    pub sender: Address,
    pub zpl_font: ZplFont,
    pub default_carrier: Option<String>,
}

impl Default for Shipping {
    fn default() -> Shipping {
        Shipping {
            sender: Address {
                name: "backroom shop".into(),
                line1: "Warehouse".into(),
                line2: None,
                postal_code: "".into(),
                city: "".into(),
                region: None,
                country: "".into(),
            },
            zpl_font: ZplFont::default(),
            default_carrier: None,
        }
    }
}

/// The rules file: where orders go, and (its `[intake]` table) how they are checked and
/// when they must ship, so that ops tune order automation in one reloadable file.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRules {
    pub rules: Vec<Rule>,
    pub intake: IntakePolicy,
    /// Carriers by the code rules use (`carrier = "dhl"`): names and tracking numbers.
    pub carriers: BTreeMap<String, CarrierSettings>,
    pub shipping: Shipping,
    /// How the help desk works: hours, SLA times, escalation, approvals, returns.
    pub service: ServicePolicy,
}

/// What routing knows about an order.
#[derive(Debug, Clone, Default)]
pub struct OrderFacts {
    pub total_minor: i64,
    pub item_count: i64,
    pub skus: Vec<String>,
    pub categories: Vec<String>,
    pub country: String,
    pub region: Option<String>,
    pub payment: String,
    pub customer_tags: Vec<String>,
    pub flags: Vec<Flag>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub rule: String,
    pub queue: Queue,
    pub priority: Priority,
    pub carrier: Option<String>,
    pub tags: Vec<String>,
    /// Why: the rule's reason and the conditions that matched.
    pub why: String,
}

/// An error placed at a top-level table of the file, or at no place if it cannot be found.
fn span_error(source: &SettingsSource, table: &str, message: String) -> SettingsError {
    let span = source
        .parse()
        .ok()
        .and_then(|t| t.get_ref().get(table).map(|v| v.span()));
    match span {
        Some(span) => source.error_at(span, message),
        None => source.error(message),
    }
}

impl RoutingRules {
    pub fn default_rules() -> RoutingRules {
        // The shipped file is checked by a test; an error here is a build mistake.
        RoutingRules::parse(&SettingsSource::built_in("rules", "default", DEFAULT_RULES)).unwrap_or(
            RoutingRules {
                rules: Vec::new(),
                intake: IntakePolicy::default(),
                carriers: BTreeMap::new(),
                shipping: Shipping::default(),
                service: ServicePolicy::default(),
            },
        )
    }

    pub fn parse(source: &SettingsSource) -> Result<RoutingRules, SettingsError> {
        let file: RulesFile = source.deserialize()?;
        let Some(last) = file.rules.last() else {
            return Err(source.error("no [[rule]] at all: every order must go somewhere"));
        };
        if last.when != Conditions::default() {
            return Err(source.error(format!(
                "the last rule ({:?}) has conditions; end with a rule without `when` so every order goes somewhere",
                last.name
            )));
        }
        let mut names = std::collections::HashSet::new();
        for rule in &file.rules {
            if rule.name.trim().is_empty() {
                return Err(source.error("a rule has an empty name"));
            }
            if !names.insert(rule.name.as_str()) {
                return Err(source.error(format!("two rules are named {:?}", rule.name)));
            }
            let w = &rule.when;
            if w.total_min.zip(w.total_max).is_some_and(|(a, b)| a > b)
                || w.items_min.zip(w.items_max).is_some_and(|(a, b)| a > b)
            {
                return Err(source.error(format!(
                    "rule {:?}: a minimum above its maximum can never match",
                    rule.name
                )));
            }
        }
        let intake = file
            .intake
            .policy()
            .map_err(|message| span_error(source, "intake", message))?;
        let service = file
            .service
            .policy()
            .map_err(|message| span_error(source, "service", message))?;
        let table_error = |table: &str, message: String| span_error(source, table, message);
        for (code, carrier) in &file.carriers {
            carrier
                .validate()
                .map_err(|e| table_error("carriers", format!("carrier {code:?}: {e}")))?;
        }
        let named = file
            .rules
            .iter()
            .filter_map(|r| r.then.carrier.as_deref().map(|c| (r.name.as_str(), c)))
            .chain(
                file.shipping
                    .default_carrier
                    .as_deref()
                    .map(|c| ("[shipping] default_carrier", c)),
            );
        if !file.carriers.is_empty() {
            for (by, carrier) in named {
                if !file.carriers.contains_key(carrier) {
                    return Err(table_error(
                        "carriers",
                        format!(
                            "{by:?} names carrier {carrier:?}, which has no [carriers.{carrier}] table"
                        ),
                    ));
                }
            }
        }
        let shipping = Shipping {
            sender: file.shipping.sender.map_or_else(
                || Shipping::default().sender,
                |s| Address {
                    name: s.name,
                    line1: s.line1,
                    line2: s.line2,
                    postal_code: s.postal_code,
                    city: s.city,
                    region: s.region,
                    country: s.country,
                },
            ),
            zpl_font: file.shipping.zpl_font,
            default_carrier: file.shipping.default_carrier,
        };
        Ok(RoutingRules {
            rules: file.rules,
            intake,
            carriers: file.carriers,
            shipping,
            service,
        })
    }

    /// The first rule that matches. The last rule always matches (checked when parsed).
    pub fn route(&self, facts: &OrderFacts) -> Decision {
        for rule in &self.rules {
            if let Some(matched) = matches(&rule.when, facts) {
                let mut why = rule.then.reason.clone().unwrap_or_default();
                if !matched.is_empty() {
                    if !why.is_empty() {
                        why.push_str(": ");
                    }
                    why.push_str(&matched.join(", "));
                }
                if why.is_empty() {
                    why = "no earlier rule matched".into();
                }
                return Decision {
                    rule: rule.name.clone(),
                    queue: rule.then.queue,
                    priority: rule.then.priority,
                    carrier: rule.then.carrier.clone(),
                    tags: rule.then.tags.clone(),
                    why,
                };
            }
        }
        Decision {
            rule: "(none)".into(),
            queue: Queue::CsReview,
            priority: Priority::Normal,
            carrier: None,
            tags: Vec::new(),
            why: "no rule matched; a person should look".into(),
        }
    }
}

fn any_of(wanted: &[String], have: &[String]) -> Option<String> {
    have.iter()
        .find(|h| wanted.iter().any(|w| w.eq_ignore_ascii_case(h)))
        .cloned()
}

/// `Some(descriptions of the conditions that held)` if all present conditions hold.
fn matches(when: &Conditions, f: &OrderFacts) -> Option<Vec<String>> {
    let mut why = Vec::new();
    let money = |m: i64| format!("{}.{:02}", m / 100, (m % 100).abs());
    if let Some(min) = when.total_min {
        (f.total_minor >= min)
            .then(|| why.push(format!("total {} ≥ {}", money(f.total_minor), money(min))))?;
    }
    if let Some(max) = when.total_max {
        (f.total_minor <= max)
            .then(|| why.push(format!("total {} ≤ {}", money(f.total_minor), money(max))))?;
    }
    if let Some(min) = when.items_min {
        (f.item_count >= min).then(|| why.push(format!("{} items ≥ {min}", f.item_count)))?;
    }
    if let Some(max) = when.items_max {
        (f.item_count <= max).then(|| why.push(format!("{} items ≤ {max}", f.item_count)))?;
    }
    let lists: [(&[String], &[String], &str); 4] = [
        (&when.sku, &f.skus, "SKU"),
        (&when.category, &f.categories, "category"),
        (&when.payment, std::slice::from_ref(&f.payment), "payment"),
        (&when.customer_tag, &f.customer_tags, "customer tag"),
    ];
    for (wanted, have, label) in lists {
        if !wanted.is_empty() {
            let hit = any_of(wanted, have)?;
            why.push(format!("{label} {hit}"));
        }
    }
    if !when.country.is_empty() {
        let hit = any_of(&when.country, std::slice::from_ref(&f.country))?;
        why.push(format!("ships to {hit}"));
    }
    if !when.region.is_empty() {
        let region = f.region.clone().unwrap_or_default();
        let hit = any_of(&when.region, std::slice::from_ref(&region))?;
        why.push(format!("region {hit}"));
    }
    if !when.flag.is_empty() {
        let hit = when.flag.iter().find(|w| f.flags.contains(w))?;
        why.push(format!("flag {hit}"));
    }
    Some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Result<RoutingRules, SettingsError> {
        RoutingRules::parse(&SettingsSource {
            origin: "rules.toml".into(),
            text: text.into(),
        })
    }

    fn facts() -> OrderFacts {
        OrderFacts {
            total_minor: 4_990,
            item_count: 2,
            skus: vec!["TEA-1001".into()],
            categories: vec!["Tea & Coffee".into()],
            country: "DE".into(),
            payment: "card".into(),
            ..OrderFacts::default()
        }
    }

    #[test]
    fn the_shipped_rules_parse_and_route_a_plain_order_to_the_warehouse() {
        let r = RoutingRules::parse(&SettingsSource::built_in("rules", "default", DEFAULT_RULES))
            .unwrap();
        let d = r.route(&facts());
        assert_eq!(d.queue, Queue::Warehouse);
        assert_eq!(d, RoutingRules::default_rules().route(&facts()));
        // The file documents the defaults; they must be the defaults.
        assert_eq!(r.intake, IntakePolicy::default());
    }

    #[test]
    fn an_inconsistent_intake_table_is_refused_at_its_line() {
        let err = rules(
            "[[rule]]\nname = \"all\"\nthen = { queue = \"warehouse\" }\n\n[intake]\nlast_truck = \"11:00\"\n",
        )
        .unwrap_err();
        assert_eq!(err.line, 5, "{err}");
        assert!(err.message.contains("after the last truck"), "{err}");
        let err = rules("[intake]\nwhen_short = \"wait\"\n").unwrap_err();
        assert_eq!(err.line, 2, "{err}");
    }

    #[test]
    fn queues_and_statuses_map_both_ways() {
        for q in [Queue::Warehouse, Queue::CsReview, Queue::Hold] {
            assert_eq!(Queue::of_status(q.status()), Some(q));
        }
        assert_eq!(Queue::of_status(OrderStatus::Shipped), None);
    }

    #[test]
    fn each_condition_matches_and_misses() {
        type Case = (&'static str, fn(&mut OrderFacts));
        let cases: [Case; 11] = [
            ("total_min = 10000", |f| f.total_minor = 10_000),
            ("total_max = 1000", |f| f.total_minor = 999),
            ("items_min = 5", |f| f.item_count = 5),
            ("items_max = 1", |f| f.item_count = 1),
            ("sku = [\"KIT-1001\"]", |f| f.skus.push("KIT-1001".into())),
            ("category = [\"Books\"]", |f| {
                f.categories.push("Books".into())
            }),
            ("country = [\"TW\"]", |f| f.country = "TW".into()),
            ("region = [\"Islands\"]", |f| {
                f.region = Some("islands".into())
            }),
            ("payment = [\"cod\"]", |f| f.payment = "cod".into()),
            ("customer_tag = [\"vip\"]", |f| {
                f.customer_tags.push("vip".into())
            }),
            ("flag = [\"price_mismatch\"]", |f| {
                f.flags.push(Flag::PriceMismatch)
            }),
        ];
        for (condition, make_match) in cases {
            let text = format!(
                "[[rule]]\nname = \"special\"\nwhen = {{ {condition} }}\nthen = {{ queue = \"cs_review\", reason = \"look\" }}\n\n[[rule]]\nname = \"rest\"\nthen = {{ queue = \"warehouse\" }}\n"
            );
            let r = rules(&text).unwrap_or_else(|e| panic!("{condition}: {e}"));
            assert_eq!(
                r.route(&facts()).rule,
                "rest",
                "{condition} should not match plain facts"
            );
            let mut f = facts();
            make_match(&mut f);
            let d = r.route(&f);
            assert_eq!(
                (d.rule.as_str(), d.queue),
                ("special", Queue::CsReview),
                "{condition}"
            );
            assert!(d.why.starts_with("look: "), "{condition}: {}", d.why);
        }
    }

    #[test]
    fn first_match_wins_and_all_conditions_must_hold() {
        let r = rules(
            r#"
[[rule]]
name = "cod first order"
when = { payment = ["cod"], customer_tag = ["first_order"] }
then = { queue = "cs_review", reason = "cash on delivery for a first order" }

[[rule]]
name = "vip"
when = { customer_tag = ["vip", "VIP-gold"] }
then = { queue = "warehouse", priority = "high", carrier = "dhl-express", tags = ["vip"] }

[[rule]]
name = "any cod"
when = { payment = ["cod"] }
then = { queue = "warehouse", tags = ["collect-cash"] }

[[rule]]
name = "rest"
then = { queue = "warehouse" }
"#,
        )
        .unwrap();
        let mut f = facts();
        f.payment = "cod".into();
        f.customer_tags = vec!["first_order".into(), "vip".into()];
        let d = r.route(&f);
        assert_eq!(d.rule, "cod first order");
        assert_eq!(
            d.why,
            "cash on delivery for a first order: payment cod, customer tag first_order"
        );
        f.customer_tags = vec!["vip".into()];
        let d = r.route(&f);
        assert_eq!(
            (d.rule.as_str(), d.priority, d.carrier.as_deref()),
            ("vip", Priority::High, Some("dhl-express"))
        );
        f.customer_tags.clear();
        assert_eq!(r.route(&f).tags, vec!["collect-cash".to_string()]);
        f.payment = "card".into();
        assert_eq!(r.route(&f).why, "no earlier rule matched");
    }

    #[test]
    fn broken_rules_are_refused_with_a_line() {
        let cases = [
            (
                "[[rule]]\nname = \"a\"\nthen = { queue = \"shelf\" }\n",
                3,
                "unknown variant `shelf`",
            ),
            (
                "[[rule]]\nname = \"a\"\nwhen = { colour = [\"red\"] }\nthen = { queue = \"hold\" }\n",
                3,
                "colour",
            ),
            (
                "[[rule]]\nname = \"a\"\nwhen = { flag = [\"late\"] }\nthen = { queue = \"hold\" }\n",
                3,
                "late",
            ),
            (
                "[[rule]]\nname = \"a\"\nwhen = { payment = [\"cod\"] }\nthen = { queue = \"hold\" }\n",
                0,
                "end with a rule without `when`",
            ),
            ("", 0, "no [[rule]]"),
            (
                "[[rule]]\nname = \"a\"\nthen = { queue = \"hold\" }\n[[rule]]\nname = \"a\"\nthen = { queue = \"hold\" }\n",
                0,
                "two rules are named",
            ),
            (
                "[[rule]]\nname = \"a\"\nwhen = { total_min = 500, total_max = 100 }\nthen = { queue = \"hold\" }\n[[rule]]\nname = \"b\"\nthen = { queue = \"hold\" }\n",
                0,
                "never match",
            ),
        ];
        for (text, line, needle) in cases {
            let err = rules(text)
                .err()
                .unwrap_or_else(|| panic!("accepted {text}"));
            assert_eq!(err.line, line, "{err}");
            assert!(
                err.to_string().contains(needle),
                "{err} should mention {needle}"
            );
            assert!(err.to_string().starts_with("rules.toml"), "{err}");
        }
    }
}
