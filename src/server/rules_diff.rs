//! What a rules file would change: open orders routed again, or a CSV file's orders
//! rehearsed under two rule sets. Changes nothing and prints nothing.

use std::fmt;

use jiff::Timestamp;

use crate::domain::order::OrderNumber;
use crate::domain::routing::{Decision, RoutingRules};
use crate::store::{NewOrder, OrderDetailRow, Placed, RoutedOrder, Store, StoreError};

/// Open orders that `rules` would route differently than they were.
#[derive(Debug)]
pub struct OpenOrdersDiff {
    /// How many open orders were replayed.
    pub open: usize,
    pub rerouted: Vec<Rerouted>,
}

/// An open order as it was routed, and what the rules decide now.
#[derive(Debug)]
pub struct Rerouted {
    pub order: RoutedOrder,
    pub now: Decision,
}

pub fn replay_open_orders(
    store: &Store,
    rules: &RoutingRules,
) -> Result<OpenOrdersDiff, StoreError> {
    let orders = store.open_orders_for_routing()?;
    let open = orders.len();
    let rerouted = orders
        .into_iter()
        .filter_map(|order| {
            let now = rules.route(&order.facts);
            let same = order.rule.as_deref() == Some(now.rule.as_str())
                && order.queue.as_deref() == Some(now.queue.as_str())
                && order.priority == now.priority.as_str();
            (!same).then_some(Rerouted { order, now })
        })
        .collect();
    Ok(OpenOrdersDiff { open, rerouted })
}

/// Where an order goes: its status, the rule that decided, priority and carrier, with
/// "none" for what is not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub status: &'static str,
    pub rule: String,
    pub priority: String,
    pub carrier: String,
}

impl Route {
    fn of(d: &OrderDetailRow) -> Route {
        Route {
            status: d.order.status.label(),
            rule: d.rule.as_deref().unwrap_or("none").to_string(),
            priority: d.order.priority.clone(),
            carrier: d.carrier.as_deref().unwrap_or("none").to_string(),
        }
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} by rule {:?}, priority {}, carrier {}",
            self.status, self.rule, self.priority, self.carrier
        )
    }
}

/// One order of the file under the proposed rules and the baseline.
#[derive(Debug, Clone, PartialEq)]
pub enum Rehearsed {
    Same {
        route: Route,
        why: String,
    },
    Changed {
        from: Route,
        to: Route,
        why: String,
    },
    /// The channel sent this order before, stored under this number.
    AlreadyStored(OrderNumber),
}

/// The file's good orders (in file order), each rehearsed.
#[derive(Debug)]
pub struct CsvDiff {
    pub orders: Vec<Rehearsed>,
    pub changed: usize,
}

/// Routes `orders` under `proposed` and under `baseline`, each in a transaction that is
/// rolled back, and says for each whether the two differ.
pub fn rehearse_orders(
    store: &Store,
    orders: &[NewOrder],
    proposed: &RoutingRules,
    baseline: &RoutingRules,
    now: Timestamp,
) -> Result<CsvDiff, StoreError> {
    let new = store.rehearse_orders(orders, proposed, now)?;
    let old = store.rehearse_orders(orders, baseline, now)?;
    let mut changed = 0;
    let orders = new
        .iter()
        .zip(&old)
        .map(|(new, old)| match (new, old) {
            (Placed::Created(new), Placed::Created(old)) => {
                let (to, from) = (Route::of(new), Route::of(old));
                let why = new.rule_why.clone().unwrap_or_default();
                if to == from {
                    Rehearsed::Same { route: to, why }
                } else {
                    changed += 1;
                    Rehearsed::Changed { from, to, why }
                }
            }
            (Placed::Duplicate(d), _) | (_, Placed::Duplicate(d)) => {
                Rehearsed::AlreadyStored(d.order.number)
            }
        })
        .collect();
    Ok(CsvDiff { orders, changed })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::built_in_rules;
    use crate::server::order_import::check_csv_orders;
    use crate::server::order_import::tests::{HEADER, row, seeded};

    /// Every order to the hold queue, by one rule.
    fn all_on_hold() -> RoutingRules {
        let source = crate::domain::settings_file::SettingsSource {
            origin: "test".into(),
            text: "[[rule]]\nname = \"hold-everything\"\nthen = { queue = \"hold\", reason = \"testing\" }\n".into(),
        };
        RoutingRules::parse(&source).unwrap()
    }

    #[test]
    fn open_orders_are_named_only_where_the_rules_decide_otherwise() {
        let (dir, store) = seeded();
        let built_in = built_in_rules();
        let text = format!(
            "{HEADER}{}{}",
            row("O-1", "TEA-1001", "1"),
            row("O-2", "TEA-1002", "1")
        );
        let import = crate::server::order_import::ImportOrders {
            file: &dir.path().join("orders.csv"),
            text: &text,
            skip_bad: false,
            rejects: None,
        };
        crate::server::order_import::import_orders(&store, &built_in, &import, Timestamp::now())
            .unwrap();
        let open = store.open_orders_for_routing().unwrap();
        let imported: Vec<OrderNumber> = open.iter().rev().take(2).map(|o| o.number).collect();

        let same = replay_open_orders(&store, &built_in).unwrap();
        assert_eq!(same.open, open.len());
        for r in &same.rerouted {
            assert!(!imported.contains(&r.order.number), "{r:?}");
            let o = &r.order;
            assert!(
                o.rule.as_deref() != Some(r.now.rule.as_str())
                    || o.queue.as_deref() != Some(r.now.queue.as_str())
                    || o.priority != r.now.priority.as_str(),
                "{r:?}"
            );
        }

        let hold = replay_open_orders(&store, &all_on_hold()).unwrap();
        let named: Vec<OrderNumber> = hold.rerouted.iter().map(|r| r.order.number).collect();
        for number in &imported {
            assert!(named.contains(number), "{number:?} not in {named:?}");
        }
        for r in &hold.rerouted {
            assert_eq!(r.now.rule, "hold-everything");
            assert_eq!(r.now.queue.as_str(), "hold");
        }
    }

    #[test]
    fn csv_orders_are_compared_under_both_rule_sets_and_nothing_is_stored() {
        let (_dir, store) = seeded();
        let before = store.order_count().unwrap();
        let text = format!(
            "{HEADER}{}{}",
            row("R-1", "TEA-1001", "1"),
            row("R-2", "TEA-1002", "1")
        );
        let checked = check_csv_orders(&store, &text).unwrap();
        let orders: Vec<NewOrder> = checked.good.iter().map(|(o, _)| o.clone()).collect();
        let (built_in, hold) = (built_in_rules(), all_on_hold());
        let now = Timestamp::now();

        let same = rehearse_orders(&store, &orders, &built_in, &built_in, now).unwrap();
        assert_eq!(same.changed, 0);
        assert_eq!(same.orders.len(), 2);
        assert!(
            same.orders
                .iter()
                .all(|r| matches!(r, Rehearsed::Same { .. }))
        );

        let moved = rehearse_orders(&store, &orders, &hold, &built_in, now).unwrap();
        assert_eq!(moved.changed, 2);
        for r in &moved.orders {
            let Rehearsed::Changed { from, to, .. } = r else {
                panic!("not changed: {r:?}");
            };
            assert_eq!(to.rule, "hold-everything");
            assert_ne!(from.rule, "hold-everything");
        }
        assert_eq!(store.order_count().unwrap(), before);
    }
}
