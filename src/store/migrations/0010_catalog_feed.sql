-- The catalogue feed: every product or location written gets a new sequence number, so a
-- terminal asks only for what changed since the number it holds (its cursor).
CREATE TABLE catalog_changes (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('product', 'location')),
    key  TEXT NOT NULL
);
CREATE INDEX catalog_changes_key ON catalog_changes(kind, key, seq);

INSERT INTO catalog_changes (kind, key) SELECT 'product', id FROM products ORDER BY sku;
INSERT INTO catalog_changes (kind, key) SELECT 'location', id FROM locations ORDER BY code;

CREATE TRIGGER products_feed_insert AFTER INSERT ON products BEGIN
    INSERT INTO catalog_changes (kind, key) VALUES ('product', NEW.id);
END;
CREATE TRIGGER products_feed_update AFTER UPDATE OF sku, name, category, barcode, active ON products BEGIN
    INSERT INTO catalog_changes (kind, key) VALUES ('product', NEW.id);
END;
CREATE TRIGGER locations_feed_insert AFTER INSERT ON locations BEGIN
    INSERT INTO catalog_changes (kind, key) VALUES ('location', NEW.id);
END;
CREATE TRIGGER locations_feed_update AFTER UPDATE OF code, zone, kind ON locations BEGIN
    INSERT INTO catalog_changes (kind, key) VALUES ('location', NEW.id);
END;
