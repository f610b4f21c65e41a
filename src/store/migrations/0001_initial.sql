-- Times are UTC microseconds since the Unix epoch, everywhere.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Append-only; each row carries the hash of the one before, so an edit breaks the chain.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id   TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '{}',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;

CREATE TABLE products (
    id           TEXT PRIMARY KEY,
    sku          TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    category     TEXT NOT NULL,
    barcode      TEXT UNIQUE,
    price_minor  INTEGER NOT NULL CHECK (price_minor >= 0),
    currency     TEXT NOT NULL,
    safety_stock INTEGER NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    reorder_qty  INTEGER NOT NULL DEFAULT 0 CHECK (reorder_qty >= 0),
    active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX products_name ON products(name COLLATE NOCASE);

CREATE TABLE locations (
    id         TEXT PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    zone       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('bin', 'receiving', 'shipping', 'returns', 'damaged')),
    created_at INTEGER NOT NULL
);

CREATE TABLE stock_balances (
    product_id  TEXT NOT NULL REFERENCES products(id),
    location_id TEXT NOT NULL REFERENCES locations(id),
    on_hand     INTEGER NOT NULL CHECK (on_hand >= 0),
    reserved    INTEGER NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    version     INTEGER NOT NULL DEFAULT 0,
    CHECK (reserved <= on_hand),
    PRIMARY KEY (product_id, location_id)
) WITHOUT ROWID;
CREATE INDEX stock_balances_location ON stock_balances(location_id);

CREATE TABLE stock_movements (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    at               INTEGER NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    from_location_id TEXT REFERENCES locations(id),
    to_location_id   TEXT REFERENCES locations(id),
    qty              INTEGER NOT NULL CHECK (qty > 0),
    kind             TEXT NOT NULL,
    reference        TEXT,
    actor            TEXT NOT NULL,
    CHECK (from_location_id IS NOT NULL OR to_location_id IS NOT NULL)
);
CREATE INDEX stock_movements_product ON stock_movements(product_id, at);

CREATE TABLE customers (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    phone         TEXT,
    address_line1 TEXT NOT NULL,
    address_line2 TEXT,
    city          TEXT NOT NULL,
    postal_code   TEXT NOT NULL,
    region        TEXT,
    country       TEXT NOT NULL,
    tags          TEXT NOT NULL DEFAULT '',
    blocked       INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),
    created_at    INTEGER NOT NULL
);

CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    number           INTEGER NOT NULL UNIQUE,
    channel          TEXT NOT NULL,
    channel_order_no TEXT,
    customer_id      TEXT NOT NULL REFERENCES customers(id),
    status           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    total_minor      INTEGER NOT NULL,
    item_count       INTEGER NOT NULL CHECK (item_count > 0),
    payment_method   TEXT NOT NULL,
    ship_name        TEXT NOT NULL,
    ship_line1       TEXT NOT NULL,
    ship_line2       TEXT,
    ship_city        TEXT NOT NULL,
    ship_postal_code TEXT NOT NULL,
    ship_region      TEXT,
    ship_country     TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (channel, channel_order_no)
);
CREATE INDEX orders_recent ON orders(created_at DESC, number DESC);
CREATE INDEX orders_status_recent ON orders(status, created_at DESC, number DESC);
CREATE INDEX orders_customer ON orders(customer_id);

CREATE TABLE order_lines (
    order_id         TEXT NOT NULL REFERENCES orders(id),
    line_no          INTEGER NOT NULL,
    product_id       TEXT NOT NULL REFERENCES products(id),
    sku              TEXT NOT NULL,
    name             TEXT NOT NULL,
    qty              INTEGER NOT NULL CHECK (qty > 0),
    unit_price_minor INTEGER NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, line_no)
) WITHOUT ROWID;

CREATE TABLE order_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    TEXT NOT NULL REFERENCES orders(id),
    at          INTEGER NOT NULL,
    from_status TEXT,
    to_status   TEXT NOT NULL,
    actor       TEXT NOT NULL,
    reason      TEXT
);
CREATE INDEX order_events_order ON order_events(order_id, at);
