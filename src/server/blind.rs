//! Blind stays blind: a user counting a location in an open blind count gets no on-hand
//! figure for it from any route until they close it. `domain::stocktake::hides_on_hand`
//! decides, `Store::blind_locations` reads which locations that makes; this applies it
//! once per kind of answer: stock lines, product totals, movements and events. The
//! stocktake routes hide expected quantities themselves (`stocktake::wire`).

use std::collections::BTreeSet;

use crate::api::Page;
use crate::store::{MovementRow, ProductRow, StockFilter, StockRow, Store, StoreError};

/// The most products read for one location being counted blind.
const LOCATION_PRODUCTS_MAX: usize = 10_000;

#[derive(Debug, Default)]
pub(super) struct Blind {
    locations: BTreeSet<String>,
    /// What the ledger holds at those locations, to take out of totals over locations.
    stock: Vec<StockRow>,
}

impl Blind {
    /// The locations `username` is counting blind now.
    pub(super) fn read(s: &Store, username: &str) -> Result<Blind, StoreError> {
        Ok(Blind {
            locations: s.blind_locations(username)?,
            stock: Vec::new(),
        })
    }

    /// The same, with what those locations hold: for answers that sum over locations.
    pub(super) fn read_with_stock(s: &Store, username: &str) -> Result<Blind, StoreError> {
        let mut blind = Blind::read(s, username)?;
        for code in &blind.locations {
            blind.stock.extend(s.stock_levels(&StockFilter {
                location: Some(code),
                limit: LOCATION_PRODUCTS_MAX,
                ..StockFilter::default()
            })?);
        }
        Ok(blind)
    }

    pub(super) fn hides(&self, code: &str) -> bool {
        self.locations.contains(code)
    }

    /// Stock lines, less those at locations counted blind.
    pub(super) fn stock(&self, mut rows: Vec<StockRow>) -> Vec<StockRow> {
        rows.retain(|r| !self.hides(&r.location));
        rows
    }

    /// A product's totals as if the locations counted blind held none of it: otherwise the
    /// total less the lines still shown would give the hidden figure away.
    pub(super) fn product(&self, mut row: ProductRow) -> ProductRow {
        for here in self.stock.iter().filter(|s| s.sku == row.sku) {
            row.on_hand -= here.on_hand;
            row.reserved -= here.reserved;
        }
        row
    }

    /// Whether a movement went into or out of a location counted blind: the history of a
    /// location adds up to what it holds.
    pub(super) fn hides_movement(&self, m: &MovementRow) -> bool {
        [&m.from, &m.to]
            .into_iter()
            .flatten()
            .any(|code| self.hides(code))
    }

    /// Whether an event tells of stock at a location counted blind (its `location`, or a
    /// movement's `from` and `to`).
    pub(super) fn hides_event(&self, payload: &serde_json::Value) -> bool {
        ["location", "from", "to"]
            .into_iter()
            .filter_map(|field| payload.get(field)?.as_str())
            .any(|code| self.hides(code))
    }
}

/// A page whose hidden items were mapped to `None`: the cursor was taken before, so the
/// next page starts where this one would have ended, and a page may come out shorter.
pub(super) fn seen<T>(page: Page<Option<T>>) -> Page<T> {
    Page {
        items: page.items.into_iter().flatten().collect(),
        next_cursor: page.next_cursor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Money;

    fn stock(sku: &str, location: &str, on_hand: i64, reserved: i64) -> StockRow {
        StockRow {
            sku: sku.into(),
            product_name: sku.into(),
            barcode: None,
            location: location.into(),
            on_hand,
            reserved,
        }
    }

    fn blind_at(code: &str, stock: Vec<StockRow>) -> Blind {
        Blind {
            locations: [code.to_string()].into(),
            stock,
        }
    }

    #[test]
    fn what_is_counted_blind_is_left_out_of_lines_and_totals() {
        let blind = blind_at("A-01-01", vec![stock("TEA-1", "A-01-01", 5, 1)]);
        let lines = blind.stock(vec![
            stock("TEA-1", "A-01-01", 5, 1),
            stock("TEA-1", "B-02-02", 3, 0),
        ]);
        assert_eq!(lines, vec![stock("TEA-1", "B-02-02", 3, 0)]);
        let product = ProductRow {
            id: "p".into(),
            sku: "TEA-1".into(),
            name: "Tea".into(),
            category: "tea".into(),
            barcode: None,
            price: Money::new(100, crate::domain::money::Currency::EUR),
            safety_stock: 0,
            on_hand: 8,
            reserved: 1,
        };
        let seen = blind.product(product.clone());
        assert_eq!((seen.on_hand, seen.reserved), (3, 0));
        let other = ProductRow {
            sku: "PEN-1".into(),
            ..product
        };
        assert_eq!(blind.product(other.clone()), other);
    }

    #[test]
    fn movements_and_events_at_a_blind_location_are_left_out() {
        let blind = blind_at("A-01-01", Vec::new());
        let movement = |from: Option<&str>, to: Option<&str>| MovementRow {
            id: 1,
            at: jiff::Timestamp::UNIX_EPOCH,
            sku: "TEA-1".into(),
            product_name: "Tea".into(),
            from: from.map(Into::into),
            to: to.map(Into::into),
            qty: 1,
            kind: "move".into(),
            reference: None,
            lot: None,
            expiry: None,
            actor: "ops".into(),
        };
        assert!(blind.hides_movement(&movement(Some("A-01-01"), Some("B-02-02"))));
        assert!(blind.hides_movement(&movement(None, Some("A-01-01"))));
        assert!(!blind.hides_movement(&movement(Some("B-02-02"), None)));
        assert!(blind.hides_event(
            &serde_json::json!({ "sku": "TEA-1", "location": "A-01-01", "missing": 2 })
        ));
        assert!(!blind.hides_event(&serde_json::json!({ "sku": "TEA-1", "location": "B-02-02" })));
        assert!(!blind.hides_event(&serde_json::json!({ "from": "picking", "to": "packed" })));
        let nobody = Blind::default();
        assert!(!nobody.hides_movement(&movement(Some("A-01-01"), None)));
    }
}
