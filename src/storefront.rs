//! A storefront simulator for the demo: it posts realistic orders through the real API,
//! some of them made to trip each routing rule, so a newcomer sees the automation work.

use std::time::Duration;

use crate::api::{Address, CustomerIn, OrderIn, OrderLineIn};
use crate::client::{Client, ClientError};

/// What a sample order is made to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// A plain paid order: straight to the warehouse.
    Standard,
    /// Shipping to Taiwan: the domestic carrier.
    Taiwan,
    /// Cash on delivery from a new customer: CS confirms first.
    CashOnDelivery,
    /// A unit price well below the catalogue's: CS checks it.
    PriceMismatch,
    /// No postal code: CS completes the address.
    IncompleteAddress,
    /// Over 500.00: checked before it goes out.
    LargeOrder,
}

impl Scenario {
    /// One scenario per roll of 0..100, weighted like a shop's day.
    pub fn from_roll(roll: u64) -> Scenario {
        match roll {
            0..=59 => Scenario::Standard,
            60..=74 => Scenario::Taiwan,
            75..=82 => Scenario::CashOnDelivery,
            83..=88 => Scenario::PriceMismatch,
            89..=93 => Scenario::IncompleteAddress,
            _ => Scenario::LargeOrder,
        }
    }
}

const NAMES: &[&str] = &[
    "Marta Kowalska",
    "Jan de Boer",
    "Élodie Martin",
    "Tom Becker",
    "Sara Rossi",
    "Nils Berg",
];
const TW_NAMES: &[&str] = &["王小明", "陳怡君", "林志豪", "黃雅琪"];

/// A sample order for `scenario`; `n` makes channel numbers and e-mails unique,
/// `catalogue` is (SKU, price in minor units).
pub fn sample_order(
    scenario: Scenario,
    n: u64,
    catalogue: &[(String, i64)],
    pick: &mut impl FnMut(u64) -> u64,
) -> OrderIn {
    let item = |pick: &mut dyn FnMut(u64) -> u64| {
        let (sku, price) =
            &catalogue[pick(catalogue.len().max(1) as u64) as usize % catalogue.len().max(1)];
        (sku.clone(), *price)
    };
    let taiwan = scenario == Scenario::Taiwan;
    let name = if taiwan {
        TW_NAMES[pick(TW_NAMES.len() as u64) as usize]
    } else {
        NAMES[pick(NAMES.len() as u64) as usize]
    };
    let (line1, city, postal, country) = match (taiwan, scenario) {
        (true, _) => ("信義區松仁路100號", "台北市", "110", "TW"),
        (false, Scenario::IncompleteAddress) => ("Invalidenstraße 12", "Berlin", "", "DE"),
        _ => ("Invalidenstraße 12", "Berlin", "10115", "DE"),
    };
    let mut lines = Vec::new();
    let count = 1 + pick(3);
    for _ in 0..count {
        let (sku, price) = item(pick);
        if lines.iter().any(|l: &OrderLineIn| l.sku == sku) {
            continue;
        }
        let unit = if scenario == Scenario::PriceMismatch {
            price * 4 / 5
        } else {
            price
        };
        lines.push(OrderLineIn {
            sku,
            qty: 1 + pick(2) as i64,
            unit_price_minor: unit,
        });
    }
    if scenario == Scenario::LargeOrder {
        let total: i64 = lines.iter().map(|l| l.qty * l.unit_price_minor).sum();
        if let Some(first) = lines.first_mut() {
            let more = (60_000 - total) / first.unit_price_minor.max(1) + 1;
            first.qty += more.clamp(0, 50);
        }
    }
    OrderIn {
        channel: crate::domain::channel::WEB.into(),
        channel_order_no: Some(format!("SIM-{n}")),
        customer: CustomerIn {
            name: name.into(),
            email: format!("shopper{n}@example.com"),
            phone: None,
        },
        ship_to: Address {
            name: name.into(),
            line1: line1.into(),
            line2: None,
            city: city.into(),
            postal_code: postal.into(),
            region: None,
            country: country.into(),
        },
        payment_method: if scenario == Scenario::CashOnDelivery {
            "cod"
        } else {
            "card"
        }
        .into(),
        currency: "EUR".into(),
        lines,
    }
}

/// Posts one order every `every` (with some jitter) until `limit` orders, or for ever.
/// Each post has its own idempotency key, so a retry never doubles an order.
pub async fn run(
    client: Client,
    catalogue: Vec<(String, i64)>,
    every: Duration,
    limit: Option<u64>,
) -> Result<u64, ClientError> {
    if catalogue.is_empty() {
        return Ok(0);
    }
    let mut pick = |n: u64| rand::random::<u64>() % n.max(1);
    let start = jiff::Timestamp::now().as_second() as u64;
    let mut placed = 0;
    while limit.is_none_or(|l| placed < l) {
        let n = start * 1000 + placed;
        let scenario = Scenario::from_roll(pick(100));
        let order = sample_order(scenario, n, &catalogue, &mut pick);
        match client.place_order(&order, &format!("sim-{n}")).await {
            Ok(_) => {}
            Err(e) if e.is_unreachable() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, ?scenario, "the simulated storefront's order was refused")
            }
        }
        placed += 1;
        if limit.is_none_or(|l| placed < l) {
            let jitter = every.mul_f64(0.5 * (pick(1000) as f64 / 1000.0));
            tokio::time::sleep(every.mul_f64(0.75) + jitter).await;
        }
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_shape_the_orders() {
        let catalogue = vec![
            ("TEA-1001".to_string(), 2000),
            ("KIT-1001".to_string(), 3000),
        ];
        let mut i = 0u64;
        let mut pick = |n: u64| {
            i += 1;
            i % n.max(1)
        };
        let cod = sample_order(Scenario::CashOnDelivery, 1, &catalogue, &mut pick);
        assert_eq!(cod.payment_method, "cod");
        let tw = sample_order(Scenario::Taiwan, 2, &catalogue, &mut pick);
        assert_eq!(tw.ship_to.country, "TW");
        let gap = sample_order(Scenario::IncompleteAddress, 3, &catalogue, &mut pick);
        assert!(gap.ship_to.postal_code.is_empty());
        let cheap = sample_order(Scenario::PriceMismatch, 4, &catalogue, &mut pick);
        assert!(
            cheap
                .lines
                .iter()
                .all(|l| l.unit_price_minor < 3000 && l.unit_price_minor != 2000)
        );
        let big = sample_order(Scenario::LargeOrder, 5, &catalogue, &mut pick);
        assert!(
            big.lines
                .iter()
                .map(|l| l.qty * l.unit_price_minor)
                .sum::<i64>()
                >= 50_000
        );
        for n in 0..100 {
            assert!(
                !sample_order(Scenario::from_roll(n), 10 + n, &catalogue, &mut pick)
                    .lines
                    .is_empty()
            );
        }
    }
}
