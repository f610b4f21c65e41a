-- Customer service: tickets and their conversations, the reply book, returns (RMAs),
-- refunds and replacements with maker-checker approval, and satisfaction scores.

CREATE TABLE tickets (
    id                 TEXT PRIMARY KEY,
    number             INTEGER NOT NULL UNIQUE,
    kind               TEXT NOT NULL CHECK (kind IN ('inquiry', 'complaint', 'return_request')),
    status             TEXT NOT NULL CHECK (status IN ('open', 'waiting', 'resolved')),
    priority           TEXT NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    source             TEXT NOT NULL CHECK (source IN ('message', 'agent', 'carrier_exception', 'late_delivery')),
    subject            TEXT NOT NULL,
    customer_email     TEXT NOT NULL,
    customer_name      TEXT NOT NULL,
    customer_id        TEXT REFERENCES customers(id),
    order_id           TEXT REFERENCES orders(id),
    assignee_id        TEXT REFERENCES users(id),
    -- A customer's reply after the reopen window starts a new ticket that points back.
    follow_up_of       TEXT REFERENCES tickets(id),
    -- SLA deadlines: business time from sla_from, when the customer asked or reopened.
    sla_from           INTEGER NOT NULL,
    first_response_due INTEGER NOT NULL,
    resolution_due     INTEGER NOT NULL,
    first_responded_at INTEGER,
    escalated_at       INTEGER,
    escalation_reason  TEXT,
    resolved_at        INTEGER,
    resolution_code    TEXT,
    reopened           INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL AND resolution_code IS NOT NULL))
);
CREATE INDEX tickets_queue ON tickets(status, resolution_due);
CREATE INDEX tickets_customer ON tickets(customer_email COLLATE NOCASE);
CREATE INDEX tickets_order ON tickets(order_id);
CREATE INDEX tickets_assignee ON tickets(assignee_id, status);

CREATE TABLE ticket_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   TEXT NOT NULL REFERENCES tickets(id),
    at          INTEGER NOT NULL,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('customer', 'agent', 'auto', 'note', 'system')),
    -- The customer's e-mail, the agent's user name, or the FAQ rule's name.
    author      TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages(ticket_id, id);
CREATE TRIGGER ticket_messages_no_update BEFORE UPDATE ON ticket_messages
BEGIN SELECT RAISE(ABORT, 'a conversation is append-only'); END;
CREATE TRIGGER ticket_messages_no_delete BEFORE DELETE ON ticket_messages
BEGIN SELECT RAISE(ABORT, 'a conversation is append-only'); END;

-- The reply book, one JSON document per part ('faq', 'canned'), replaced whole.
CREATE TABLE reply_book (
    part       TEXT PRIMARY KEY CHECK (part IN ('faq', 'canned')),
    body       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE returns (
    id         TEXT PRIMARY KEY,
    number     INTEGER NOT NULL UNIQUE,
    ticket_id  TEXT NOT NULL REFERENCES tickets(id),
    order_id   TEXT NOT NULL REFERENCES orders(id),
    status     TEXT NOT NULL CHECK (status IN ('authorised', 'received')),
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX returns_ticket ON returns(ticket_id);

CREATE TABLE return_lines (
    return_id  TEXT NOT NULL REFERENCES returns(id),
    line_no    INTEGER NOT NULL,
    product_id TEXT NOT NULL REFERENCES products(id),
    qty        INTEGER NOT NULL CHECK (qty > 0),
    received   INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= qty),
    PRIMARY KEY (return_id, line_no)
) WITHOUT ROWID;

CREATE TABLE refunds (
    id            TEXT PRIMARY KEY,
    number        INTEGER NOT NULL UNIQUE,
    ticket_id     TEXT NOT NULL REFERENCES tickets(id),
    order_id      TEXT NOT NULL REFERENCES orders(id),
    kind          TEXT NOT NULL CHECK (kind IN ('refund', 'replacement')),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    currency      TEXT NOT NULL,
    -- For a replacement: the order lines and units sent again, as JSON [[line_no, qty], …].
    lines         TEXT NOT NULL DEFAULT '[]',
    reason        TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('awaiting_approval', 'approved', 'rejected')),
    requested_by  TEXT NOT NULL,
    decided_by    TEXT,
    decided_at    INTEGER,
    decision_note TEXT,
    created_at    INTEGER NOT NULL,
    -- Maker-checker: whoever asked never decides.
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX refunds_status ON refunds(status, created_at);
CREATE INDEX refunds_ticket ON refunds(ticket_id);

-- Asked when a ticket is resolved; answered once by the customer.
CREATE TABLE csat (
    ticket_id    TEXT PRIMARY KEY REFERENCES tickets(id),
    agent        TEXT NOT NULL,
    requested_at INTEGER NOT NULL,
    score        INTEGER CHECK (score BETWEEN 1 AND 5),
    comment      TEXT,
    answered_at  INTEGER,
    CHECK ((score IS NULL) = (answered_at IS NULL))
);
CREATE INDEX csat_answered ON csat(answered_at);
