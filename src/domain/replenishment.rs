//! When a product needs buying, and how much: available stock against safety stock, and a
//! suggested quantity from what recent sales say the lead time will use up.

/// Where a product stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockPosition {
    /// On hand minus reserved, in bins.
    pub available: i64,
    /// Ordered from suppliers and not yet received.
    pub on_order: i64,
    pub safety_stock: i64,
    /// Units per purchase (a supplier's case or lot); 0 means any quantity.
    pub reorder_qty: i64,
    /// Fill up to this level instead of ordering lots of `reorder_qty`.
    pub max_level: Option<i64>,
    pub lead_time_days: i64,
}

/// Units sold over the last `days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecentSales {
    pub units: i64,
    pub days: i64,
}

/// How many days of sales count as "recent".
pub const SALES_WINDOW_DAYS: i64 = 30;

impl StockPosition {
    /// Below safety stock: an alert is due. A product without safety stock never alerts.
    pub fn below_safety(&self) -> bool {
        self.safety_stock > 0 && self.available < self.safety_stock
    }

    /// What to order so that, after the lead time's sales, stock is back at safety stock
    /// (or up to the max level), counting what is already on order; rounded up to whole
    /// lots of `reorder_qty`. Never less than one unit: an alert always suggests something.
    pub fn suggested_qty(&self, sales: RecentSales) -> i64 {
        let during_lead_time = if sales.days > 0 && sales.units > 0 {
            // Rounded up: a part of a unit sold is a unit needed.
            (sales.units * self.lead_time_days.max(0) + sales.days - 1) / sales.days
        } else {
            0
        };
        let target = match self.max_level {
            Some(max) => max.max(self.safety_stock) + during_lead_time,
            None => self.safety_stock + during_lead_time,
        };
        let short = target - self.available - self.on_order;
        let lots = if self.reorder_qty > 0 && self.max_level.is_none() {
            let lots = (short.max(1) + self.reorder_qty - 1) / self.reorder_qty;
            lots * self.reorder_qty
        } else {
            short
        };
        lots.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(available: i64) -> StockPosition {
        StockPosition {
            available,
            on_order: 0,
            safety_stock: 10,
            reorder_qty: 0,
            max_level: None,
            lead_time_days: 7,
        }
    }

    #[test]
    fn alerts_only_below_safety_stock() {
        assert!(position(9).below_safety());
        assert!(!position(10).below_safety());
        assert!(
            !StockPosition {
                safety_stock: 0,
                ..position(0)
            }
            .below_safety()
        );
    }

    #[test]
    fn suggests_what_the_lead_time_sells_plus_safety_stock() {
        // 60 sold in 30 days = 2 a day; 7 days' lead time = 14; back to 10 from 4 → 20.
        let sales = RecentSales {
            units: 60,
            days: 30,
        };
        assert_eq!(position(4).suggested_qty(sales), 20);
        // Ten already on order.
        let ordered = StockPosition {
            on_order: 10,
            ..position(4)
        };
        assert_eq!(ordered.suggested_qty(sales), 10);
    }

    #[test]
    fn rounds_up_to_whole_lots_and_never_below_one() {
        let sales = RecentSales { units: 0, days: 30 };
        let cased = StockPosition {
            reorder_qty: 24,
            ..position(4)
        };
        assert_eq!(cased.suggested_qty(sales), 24);
        let covered = StockPosition {
            on_order: 100,
            ..position(4)
        };
        assert_eq!(covered.suggested_qty(sales), 1);
        // One unit sold in 30 days still needs a unit over a week.
        let slow = RecentSales { units: 1, days: 30 };
        assert_eq!(position(10).suggested_qty(slow), 1);
    }

    #[test]
    fn fills_up_to_the_max_level() {
        let sales = RecentSales { units: 0, days: 30 };
        let capped = StockPosition {
            max_level: Some(50),
            reorder_qty: 24,
            ..position(4)
        };
        assert_eq!(capped.suggested_qty(sales), 46);
    }
}
