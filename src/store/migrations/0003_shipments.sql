-- Shipments and what carriers report about them.

CREATE TABLE shipments (
    id          TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL UNIQUE REFERENCES orders(id),
    carrier     TEXT NOT NULL,
    tracking_no TEXT NOT NULL UNIQUE,
    state       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE tracking_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    shipment_id TEXT NOT NULL REFERENCES shipments(id),
    -- The carrier's own id for the event: a webhook delivered twice is stored once.
    external_id TEXT,
    at          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('picked_up', 'in_transit', 'out_for_delivery', 'delivered', 'exception')),
    location    TEXT,
    description TEXT,
    received_at INTEGER NOT NULL,
    UNIQUE (shipment_id, external_id)
);
CREATE INDEX tracking_events_shipment ON tracking_events(shipment_id, at);
