-- Engagement (issue 5): consent per channel, suppression lists, templates, campaigns and
-- deliveries.
--
-- Consent rows stay on the customer they were recorded on; a merged customer's status combines
-- its own rows with those of the customers merged into it (an unsubscribe wins), so a merge
-- moves nothing and can lose no decision.
CREATE TABLE consents (
    customer_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (customer_id, channel)
) WITHOUT ROWID;
CREATE INDEX consents_channel ON consents (channel, status);
-- Addresses no message may reach, by blind index (as identities.value) with the address sealed.
CREATE TABLE suppressions (
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    sealed_address TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (channel, address)
) WITHOUT ROWID;
CREATE TABLE message_templates (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    channel TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    scheduled_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    launched_at INTEGER
);
CREATE INDEX campaigns_due ON campaigns (status, scheduled_at);
-- One row per (origin, customer), for ever: the queue of messages and the guard against a
-- second send. Origins are `campaign:ID` and `journey:ID:STEP`.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    variant TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    queued_at INTEGER NOT NULL,
    sent_at INTEGER,
    opened_at INTEGER,
    clicked_at INTEGER,
    UNIQUE (origin, customer_id)
);
CREATE INDEX deliveries_due ON deliveries (run_at) WHERE status IN ('queued', 'sending');
CREATE INDEX deliveries_customer ON deliveries (customer_id, sent_at);
-- The in-app inbox the shop's app reads over the API; subject and text sealed together.
CREATE TABLE inbox_messages (
    delivery_id INTEGER PRIMARY KEY REFERENCES deliveries (id),
    customer_id INTEGER NOT NULL,
    sealed_content TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX inbox_messages_customer ON inbox_messages (customer_id, created_at);
-- Delivery states are events in the customer's timeline, under this source (no write key;
-- write_key_hash is unique, and '-' is the engine's).
INSERT INTO sources (name, kind, write_key_hash, created_at)
    VALUES ('guanxi:messaging', 'engine', '-messaging', 0) ON CONFLICT DO NOTHING;
