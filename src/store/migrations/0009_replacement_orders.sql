-- An approved replacement is sent as an order of its own; the refund row points to it.
ALTER TABLE refunds ADD COLUMN replacement_order_id TEXT REFERENCES orders(id);
