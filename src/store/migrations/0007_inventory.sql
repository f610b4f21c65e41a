-- Inventory: lots on the ledger, the ledger made append-only, replenishment alerts and
-- purchase requests, purchase receipts, and stocktakes with their counts.

-- Lot and expiry of the units moved, for lot-tracked products (GS1 AIs 10 and 17).
ALTER TABLE stock_movements ADD COLUMN lot TEXT;
ALTER TABLE stock_movements ADD COLUMN expiry TEXT;
CREATE INDEX stock_movements_from ON stock_movements(from_location_id, id) WHERE from_location_id IS NOT NULL;
CREATE INDEX stock_movements_to ON stock_movements(to_location_id, id) WHERE to_location_id IS NOT NULL;
CREATE INDEX stock_movements_reference ON stock_movements(reference);

CREATE TRIGGER stock_movements_no_update BEFORE UPDATE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;
CREATE TRIGGER stock_movements_no_delete BEFORE DELETE ON stock_movements
BEGIN SELECT RAISE(ABORT, 'the stock ledger is append-only'); END;

-- A balance row may not be removed while it holds stock.
CREATE TRIGGER stock_balances_no_delete BEFORE DELETE ON stock_balances
WHEN old.on_hand <> 0 OR old.reserved <> 0
BEGIN SELECT RAISE(ABORT, 'a stock balance holding units cannot be deleted'); END;

-- Products whose available stock may have changed in the running transaction; the store
-- reviews their replenishment alerts before it commits and empties this table again.
-- (Not INSERT OR IGNORE: an upsert around the trigger would override the IGNORE.)
CREATE TABLE stock_touched (
    product_id TEXT PRIMARY KEY
) WITHOUT ROWID;
CREATE TRIGGER stock_balances_touched_insert AFTER INSERT ON stock_balances
BEGIN
    INSERT INTO stock_touched (product_id) SELECT new.product_id
    WHERE NOT EXISTS (SELECT 1 FROM stock_touched WHERE product_id = new.product_id);
END;
CREATE TRIGGER stock_balances_touched_update AFTER UPDATE OF on_hand, reserved ON stock_balances
BEGIN
    INSERT INTO stock_touched (product_id) SELECT new.product_id
    WHERE NOT EXISTS (SELECT 1 FROM stock_touched WHERE product_id = new.product_id);
END;

-- Replenishment settings beside safety_stock and reorder_qty.
ALTER TABLE products ADD COLUMN max_level INTEGER CHECK (max_level IS NULL OR max_level > 0);
ALTER TABLE products ADD COLUMN lead_time_days INTEGER NOT NULL DEFAULT 7 CHECK (lead_time_days BETWEEN 0 AND 365);
-- Cost of one unit, for the value of stock variances; NULL means "use the price".
ALTER TABLE products ADD COLUMN cost_minor INTEGER CHECK (cost_minor IS NULL OR cost_minor >= 0);

-- An alert lives while available stock is below safety stock (cleared_at NULL); purchasing
-- turns it into a purchase request or dismisses it, and it is cleared when stock recovers.
CREATE TABLE replenishment_alerts (
    id            TEXT PRIMARY KEY,
    number        INTEGER NOT NULL UNIQUE,
    product_id    TEXT NOT NULL REFERENCES products(id),
    state         TEXT NOT NULL CHECK (state IN ('open', 'requested', 'dismissed')),
    raised_at     INTEGER NOT NULL,
    -- Available stock when raised, and the quantity suggested from recent sales.
    available     INTEGER NOT NULL,
    safety_stock  INTEGER NOT NULL,
    suggested_qty INTEGER NOT NULL CHECK (suggested_qty > 0),
    decided_at    INTEGER,
    decided_by    TEXT,
    reason        TEXT,
    cleared_at    INTEGER,
    CHECK (state = 'open' OR decided_at IS NOT NULL),
    CHECK (state <> 'dismissed' OR reason IS NOT NULL)
);
-- One alert per dip below safety stock, however many orders take stock down.
CREATE UNIQUE INDEX replenishment_alerts_live ON replenishment_alerts(product_id)
    WHERE cleared_at IS NULL;
CREATE INDEX replenishment_alerts_state ON replenishment_alerts(state, number);

-- Recent sales per product, for suggested quantities.
CREATE INDEX order_lines_product ON order_lines(product_id);

CREATE TABLE purchase_requests (
    id           TEXT PRIMARY KEY,
    number       INTEGER NOT NULL UNIQUE,
    product_id   TEXT NOT NULL REFERENCES products(id),
    alert_id     TEXT REFERENCES replenishment_alerts(id),
    qty          INTEGER NOT NULL CHECK (qty > 0),
    received_qty INTEGER NOT NULL DEFAULT 0 CHECK (received_qty >= 0),
    state        TEXT NOT NULL CHECK (state IN ('suggested', 'ordered', 'received', 'cancelled')),
    supplier     TEXT,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    ordered_by   TEXT,
    ordered_at   INTEGER,
    received_at  INTEGER,
    cancelled_at INTEGER,
    reason       TEXT,
    CHECK (state NOT IN ('ordered', 'received') OR ordered_at IS NOT NULL),
    CHECK (state <> 'received' OR received_at IS NOT NULL)
);
CREATE INDEX purchase_requests_state ON purchase_requests(state, number);
CREATE INDEX purchase_requests_product ON purchase_requests(product_id, state);

-- A delivery being received: scanned into a receiving location, optionally against the
-- purchase requests it was expected to bring.
CREATE TABLE receipts (
    id          TEXT PRIMARY KEY,
    number      INTEGER NOT NULL UNIQUE,
    location_id TEXT NOT NULL REFERENCES locations(id),
    state       TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    supplier    TEXT,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    closed_by   TEXT,
    closed_at   INTEGER
);
CREATE TABLE receipt_expected (
    receipt_id TEXT NOT NULL REFERENCES receipts(id),
    request_id TEXT NOT NULL REFERENCES purchase_requests(id),
    PRIMARY KEY (receipt_id, request_id)
) WITHOUT ROWID;

CREATE TABLE stocktakes (
    id              TEXT PRIMARY KEY,
    number          INTEGER NOT NULL UNIQUE,
    -- zone | locations | products | cycle | recount
    scope           TEXT NOT NULL CHECK (scope IN ('zone', 'locations', 'products', 'cycle', 'recount')),
    -- What the scope named: a zone, location codes, SKUs (JSON array).
    scope_detail    TEXT NOT NULL DEFAULT '[]',
    blind           INTEGER NOT NULL CHECK (blind IN (0, 1)),
    state           TEXT NOT NULL CHECK (state IN ('counting', 'review', 'done', 'cancelled')),
    tolerance_qty   INTEGER NOT NULL CHECK (tolerance_qty >= 0),
    tolerance_value INTEGER NOT NULL CHECK (tolerance_value >= 0),
    -- A recount names the stocktake whose lines it counts again.
    recount_of      TEXT REFERENCES stocktakes(id),
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
);
CREATE INDEX stocktakes_state ON stocktakes(state, number);

CREATE TABLE stocktake_counters (
    stocktake_id TEXT NOT NULL REFERENCES stocktakes(id),
    username     TEXT NOT NULL,
    PRIMARY KEY (stocktake_id, username)
) WITHOUT ROWID;

-- Products a product-scoped count (or a recount) is limited to at a location.
CREATE TABLE stocktake_products (
    stocktake_id TEXT NOT NULL REFERENCES stocktakes(id),
    location_id  TEXT NOT NULL REFERENCES locations(id),
    product_id   TEXT NOT NULL REFERENCES products(id),
    PRIMARY KEY (stocktake_id, location_id, product_id)
) WITHOUT ROWID;

CREATE TABLE stocktake_locations (
    stocktake_id TEXT NOT NULL REFERENCES stocktakes(id),
    location_id  TEXT NOT NULL REFERENCES locations(id),
    seq          INTEGER NOT NULL,
    state        TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'counting', 'closed')),
    counter      TEXT,
    -- A recount may not be done by who counted before.
    not_counter  TEXT,
    started_at   INTEGER,
    -- The ledger's last movement id when counting began: later movements here make the
    -- count outdated.
    started_mark INTEGER,
    closed_at    INTEGER,
    empty        INTEGER NOT NULL DEFAULT 0 CHECK (empty IN (0, 1)),
    PRIMARY KEY (stocktake_id, location_id),
    CHECK (state = 'pending' OR (counter IS NOT NULL AND started_mark IS NOT NULL))
) WITHOUT ROWID;

CREATE TABLE stocktake_lines (
    stocktake_id TEXT NOT NULL REFERENCES stocktakes(id),
    location_id  TEXT NOT NULL REFERENCES locations(id),
    product_id   TEXT NOT NULL REFERENCES products(id),
    counted      INTEGER NOT NULL DEFAULT 0 CHECK (counted >= 0),
    -- Set when the location is closed: the ledger's figure then, and the verdict.
    expected     INTEGER,
    unit_value   INTEGER,
    state        TEXT NOT NULL DEFAULT 'counting'
        CHECK (state IN ('counting', 'matched', 'variance', 'outdated', 'recount', 'approved', 'recounted')),
    counted_by   TEXT,
    counted_at   INTEGER,
    reviewed_by  TEXT,
    reviewed_at  INTEGER,
    PRIMARY KEY (stocktake_id, location_id, product_id)
) WITHOUT ROWID;
CREATE INDEX stocktake_lines_state ON stocktake_lines(stocktake_id, state);

-- When each product was last counted, for the cycle-count schedule.
CREATE TABLE product_counts (
    product_id      TEXT PRIMARY KEY REFERENCES products(id),
    last_counted_at INTEGER NOT NULL
) WITHOUT ROWID;
