-- Picking and packing: pick lists walked by one picker at a time, the parcels packed from
-- them, and per-carrier counters for tracking numbers.

-- Lot-tracked products must be scanned with their batch/lot (GS1 AI 10).
ALTER TABLE products ADD COLUMN lot_tracked INTEGER NOT NULL DEFAULT 0 CHECK (lot_tracked IN (0, 1));

CREATE TABLE pick_lists (
    id          TEXT PRIMARY KEY,
    number      INTEGER NOT NULL UNIQUE,
    mode        TEXT NOT NULL CHECK (mode IN ('single', 'batch')),
    state       TEXT NOT NULL CHECK (state IN ('open', 'claimed', 'done')),
    -- User name of the picker who claimed it.
    picker      TEXT,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    claimed_at  INTEGER,
    finished_at INTEGER,
    CHECK (state <> 'open' OR picker IS NULL),
    CHECK (state <> 'claimed' OR picker IS NOT NULL)
);
CREATE INDEX pick_lists_state ON pick_lists(state, number);

CREATE TABLE pick_list_orders (
    list_id  TEXT NOT NULL REFERENCES pick_lists(id),
    order_id TEXT NOT NULL REFERENCES orders(id),
    -- The order's place on the cart: "put it in slot 2".
    slot     INTEGER NOT NULL CHECK (slot > 0),
    PRIMARY KEY (list_id, order_id),
    UNIQUE (list_id, slot)
) WITHOUT ROWID;
CREATE INDEX pick_list_orders_order ON pick_list_orders(order_id);

CREATE TABLE pick_lines (
    list_id     TEXT NOT NULL REFERENCES pick_lists(id),
    -- The walk: lines are picked in this order.
    seq         INTEGER NOT NULL CHECK (seq > 0),
    order_id    TEXT NOT NULL,
    line_no     INTEGER NOT NULL,
    location_id TEXT NOT NULL REFERENCES locations(id),
    qty         INTEGER NOT NULL CHECK (qty > 0),
    picked      INTEGER NOT NULL DEFAULT 0 CHECK (picked >= 0),
    short       INTEGER NOT NULL DEFAULT 0 CHECK (short >= 0),
    state       TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'picked', 'short')),
    -- JSON: [{"lot": "...", "expiry": "YYYY-MM-DD" | null, "qty": n}]
    lots        TEXT NOT NULL DEFAULT '[]',
    updated_at  INTEGER,
    CHECK (picked + short <= qty),
    CHECK (state <> 'picked' OR picked = qty),
    PRIMARY KEY (list_id, seq),
    FOREIGN KEY (order_id, line_no) REFERENCES order_lines(order_id, line_no)
) WITHOUT ROWID;
CREATE INDEX pick_lines_order ON pick_lines(order_id, line_no);

CREATE TABLE parcels (
    order_id     TEXT PRIMARY KEY REFERENCES orders(id),
    package      TEXT NOT NULL,
    weight_grams INTEGER NOT NULL CHECK (weight_grams > 0),
    packed_by    TEXT NOT NULL,
    packed_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE carrier_sequences (
    carrier TEXT PRIMARY KEY,
    last    INTEGER NOT NULL CHECK (last >= 0)
) WITHOUT ROWID;
