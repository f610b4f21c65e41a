-- Order automation: routing decisions, reservations per line, idempotent intake and
-- the event feed behind GET /api/v1/events.

ALTER TABLE orders ADD COLUMN queue TEXT;
ALTER TABLE orders ADD COLUMN priority TEXT NOT NULL DEFAULT 'normal';
ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tags TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN rule TEXT;
ALTER TABLE orders ADD COLUMN rule_why TEXT;
ALTER TABLE orders ADD COLUMN flags TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN ship_by INTEGER;
ALTER TABLE orders ADD COLUMN stock_policy TEXT;

UPDATE orders SET queue = CASE
    WHEN status = 'cs_review' THEN 'cs_review'
    WHEN status = 'hold' THEN 'hold'
    ELSE 'warehouse' END;

ALTER TABLE order_lines ADD COLUMN catalogue_price_minor INTEGER;
ALTER TABLE order_lines ADD COLUMN backordered INTEGER NOT NULL DEFAULT 0 CHECK (backordered >= 0);

-- Which bins hold the stock reserved for each line.
CREATE TABLE order_reservations (
    order_id    TEXT NOT NULL REFERENCES orders(id),
    line_no     INTEGER NOT NULL,
    location_id TEXT NOT NULL REFERENCES locations(id),
    qty         INTEGER NOT NULL CHECK (qty > 0),
    PRIMARY KEY (order_id, line_no, location_id)
) WITHOUT ROWID;

-- Same key and same body: the stored answer. Same key, other body: refused.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) WITHOUT ROWID;

-- What happened, in order; the id is the SSE event id clients resume from.
CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    kind      TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    payload   TEXT NOT NULL
);
