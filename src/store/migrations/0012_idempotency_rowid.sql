-- Each key keeps its whole answer (kilobytes of JSON). As a WITHOUT ROWID table keyed by
-- random keys, every insert landed in the middle of a tree of few, large rows and split
-- pages; as a rowid table the answers are appended and only the small key index is
-- searched.
CREATE TABLE idempotency_answers (
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER NOT NULL,
    response     TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
INSERT INTO idempotency_answers (scope, key, request_hash, status, response, created_at)
    SELECT scope, key, request_hash, status, response, created_at FROM idempotency_keys
    ORDER BY created_at;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_answers RENAME TO idempotency_keys;
CREATE UNIQUE INDEX idempotency_keys_key ON idempotency_keys(scope, key);
