-- One row the server rewrites, while the database cannot be written, to learn when it can
-- again (see store/readiness.rs). `room` is filled and emptied in the probe's transaction:
-- filling it asks for fresh pages, as a growing write does; nothing of it stays.
CREATE TABLE write_probe (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at INTEGER NOT NULL,
    room      BLOB
);
