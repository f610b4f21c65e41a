-- The order queue sorted by ship-by or total, searched by SKU, and the carrier-exception list.
CREATE INDEX orders_ship_by ON orders(ship_by, number);
CREATE INDEX orders_total ON orders(total_minor DESC, number DESC);
CREATE INDEX order_lines_sku ON order_lines(sku COLLATE NOCASE);
CREATE INDEX shipments_state ON shipments(state);
