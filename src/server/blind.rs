//! Blind stays blind: a user counting a location in an open blind count gets no on-hand
//! figure for it from any route until they close it. `domain::stocktake::hides_on_hand`
//! decides, `Store::blind_locations` reads which locations that makes; this applies it
//! once per kind of answer: stock lines, product totals, replenishment alerts, movements
//! and events. The stocktake routes hide expected quantities themselves (`stocktake::wire`).

use std::collections::BTreeSet;

use crate::api::{Page, ReplenishmentAlert};
use crate::domain::location::LocationKind;
use crate::store::{
    MovementRow, ProductRow, StockFilter, StockRow, StockTotalRow, Store, StoreError,
};

/// The most products read for one location being counted blind.
const LOCATION_PRODUCTS_MAX: usize = 10_000;

#[derive(Debug, Default)]
pub(super) struct Blind {
    locations: BTreeSet<String>,
    /// What the ledger holds at those locations, to take out of totals over locations.
    stock: Vec<StockRow>,
    /// Those of the locations that are bins: replenishment counts only stock in bins.
    bins: BTreeSet<String>,
}

impl Blind {
    /// The locations `username` is counting blind now.
    pub(super) fn read(s: &Store, username: &str) -> Result<Blind, StoreError> {
        Ok(Blind {
            locations: s.blind_locations(username)?,
            ..Blind::default()
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
            if s.location_kind(code)? == LocationKind::Bin {
                blind.bins.insert(code.clone());
            }
        }
        Ok(blind)
    }

    /// Whether the user counts any location blind now.
    pub(super) fn counting(&self) -> bool {
        !self.locations.is_empty()
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

    /// A product's totals over its locations as if the locations counted blind held none of
    /// it; `None` when only those hold a balance of it, as the list by location shows none.
    pub(super) fn total(&self, mut row: StockTotalRow) -> Option<StockTotalRow> {
        for here in self.stock.iter().filter(|s| s.sku == row.sku) {
            row.on_hand -= here.on_hand;
            row.reserved -= here.reserved;
            row.locations -= 1;
        }
        (row.locations > 0).then_some(row)
    }

    /// An alert as the user may see it. `available` is a total over bins: the bins counted
    /// blind are left out of it, as out of product totals. What was available when it was
    /// raised, and the quantity suggested from that, were fixed then with those bins in;
    /// what they held then cannot be taken out now without telling how their stock has
    /// moved since, so neither is shown while the user counts blind anywhere: whether a
    /// bin holds the product at all is for the count to find out.
    pub(super) fn alert(&self, mut alert: ReplenishmentAlert) -> ReplenishmentAlert {
        if !self.counting() {
            return alert;
        }
        for here in self
            .stock
            .iter()
            .filter(|s| s.sku == alert.sku && self.bins.contains(&s.location))
        {
            alert.available -= here.on_hand - here.reserved;
        }
        alert.available_when_raised = None;
        alert.suggested_qty = None;
        alert
    }

    /// An event's payload as the user may see it: replenishment alerts carry what was
    /// available over all bins then, and what that suggested, which a blind counter does
    /// not get (see [`Blind::alert`]).
    pub(super) fn applied_to_event(&self, kind: &str, payload: &mut serde_json::Value) {
        if self.counting()
            && kind.starts_with("stock.alert_")
            && let Some(fields) = payload.as_object_mut()
        {
            fields.remove("available");
            fields.remove("suggested_qty");
        }
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
            bins: [code.to_string()].into(),
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
    fn totals_leave_out_the_blind_location_and_a_product_only_there_is_not_listed() {
        let blind = blind_at("A-01-01", vec![stock("TEA-1", "A-01-01", 5, 1)]);
        let total = |sku: &str, on_hand, reserved, locations| StockTotalRow {
            sku: sku.into(),
            product_name: sku.into(),
            barcode: None,
            on_hand,
            reserved,
            locations,
        };
        assert_eq!(
            blind.total(total("TEA-1", 8, 1, 2)),
            Some(total("TEA-1", 3, 0, 1))
        );
        assert_eq!(blind.total(total("TEA-1", 5, 1, 1)), None);
        assert_eq!(
            blind.total(total("PEN-1", 4, 0, 1)),
            Some(total("PEN-1", 4, 0, 1))
        );
    }

    fn alert(sku: &str, available: i64) -> ReplenishmentAlert {
        ReplenishmentAlert {
            id: "a".into(),
            number: "RA-000001".into(),
            sku: sku.into(),
            name: sku.into(),
            state: "open".into(),
            raised_at: "2024-01-01T00:00:00Z".into(),
            available_when_raised: Some(available),
            available,
            on_order: 0,
            safety_stock: 10,
            suggested_qty: Some(12),
            decided_by: None,
            reason: None,
            cleared_at: None,
            purchase_request: None,
        }
    }

    #[test]
    fn an_alert_counts_no_blind_bin_and_withholds_what_was_fixed_with_it() {
        let mut blind = blind_at(
            "A-01-01",
            vec![
                stock("TEA-1", "A-01-01", 5, 1),
                stock("TEA-1", "RCV-01", 7, 0),
            ],
        );
        blind.locations.insert("RCV-01".into());
        let seen = blind.alert(alert("TEA-1", 6));
        // Only the bin's free units come out: the receiving dock was never in the figure.
        assert_eq!(seen.available, 2);
        assert_eq!(
            (seen.available_when_raised, seen.suggested_qty),
            (None, None)
        );
        // Another product: its figure stands, but nothing fixed at raising is shown either.
        let other = blind.alert(alert("PEN-1", 6));
        assert_eq!(other.available, 6);
        assert_eq!(other.suggested_qty, None);
        assert_eq!(Blind::default().alert(alert("TEA-1", 6)), alert("TEA-1", 6));
    }

    #[test]
    fn alert_events_lose_their_figures_for_a_blind_counter_only() {
        let raised = serde_json::json!({
            "number": "RA-000001", "sku": "TEA-1", "available": 6, "safety_stock": 10, "suggested_qty": 12
        });
        let mut seen = raised.clone();
        blind_at("A-01-01", Vec::new()).applied_to_event("stock.alert_raised", &mut seen);
        assert_eq!(
            seen,
            serde_json::json!({ "number": "RA-000001", "sku": "TEA-1", "safety_stock": 10 })
        );
        let mut untouched = raised.clone();
        Blind::default().applied_to_event("stock.alert_raised", &mut untouched);
        assert_eq!(untouched, raised);
        let mut order = serde_json::json!({ "number": "SO-000001", "available": 1 });
        blind_at("A-01-01", Vec::new()).applied_to_event("order.created", &mut order);
        assert_eq!(order["available"], 1);
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
