#![no_main]

use backroom::api::order_csv::{self, Parsed};
use backroom::domain::intake::{
    MAX_LINES, address_gaps, check_email, check_lines, country_ok, price_ok,
};
use backroom::server::order_from_wire;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Parsed { orders, .. } = order_csv::parse(text);
    for csv_order in orders {
        // The import points every order-level problem at the order's first row.
        assert!(!csv_order.lines.is_empty());
        assert_eq!(csv_order.lines.len(), csv_order.order.lines.len());
        // What `backroom import` does next with each order: the same checks as the HTTP intake.
        let Ok(order) = order_from_wire(csv_order.order) else {
            continue;
        };
        let refusals = check_lines(&order.lines, |sku| !sku.is_empty());
        let _ = check_email(&order.customer.email);
        let _ = country_ok(&order.ship_to.country);
        let _ = address_gaps(&order.ship_to);
        if refusals.is_empty() {
            assert!(order.lines.len() <= MAX_LINES);
            let mut total: i64 = 0;
            for l in &order.lines {
                let _ = price_ok(1290, l.unit_price_minor, 200);
                // The store adds up accepted lines unchecked; the limits must keep it in range.
                let line = l.unit_price_minor.checked_mul(l.qty);
                total = line
                    .and_then(|v| total.checked_add(v))
                    .expect("total overflows");
            }
        }
    }
});
