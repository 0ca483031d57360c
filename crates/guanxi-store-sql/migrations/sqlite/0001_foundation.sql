-- Foundation schema. Instants are UTC milliseconds, money is integer minor units,
-- JSON is text. Append-only: change the schema in new files, never here.

CREATE TABLE sources (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    write_key_hash TEXT NOT NULL UNIQUE,
    webhook_secret TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    merged_into INTEGER REFERENCES customers (id),
    traits TEXT NOT NULL DEFAULT '{}',
    name_search TEXT
);
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    source_id INTEGER NOT NULL REFERENCES sources (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX identities_customer ON identities (customer_id);

CREATE TABLE customer_tags (
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
) WITHOUT ROWID;
CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

CREATE TABLE merges (
    id INTEGER PRIMARY KEY,
    from_id INTEGER NOT NULL REFERENCES customers (id),
    into_id INTEGER NOT NULL REFERENCES customers (id),
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX merges_into ON merges (into_id);
CREATE INDEX merges_from ON merges (from_id);

CREATE TABLE receipts (
    source_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (source_id, key)
) WITHOUT ROWID;

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources (id),
    message_id TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    name TEXT,
    properties TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX events_customer ON events (customer_id, id);

CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT,
    price_minor INTEGER,
    currency TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES sources (id),
    external_id TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor INTEGER NOT NULL,
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    UNIQUE (source_id, external_id)
);
CREATE INDEX orders_customer ON orders (customer_id, id);

CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT,
    quantity INTEGER NOT NULL,
    price_minor INTEGER NOT NULL,
    PRIMARY KEY (order_id, line)
) WITHOUT ROWID;

CREATE TABLE refunds (
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    amount_minor INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    reason TEXT,
    PRIMARY KEY (order_id, external_id)
) WITHOUT ROWID;

CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'queued',
    run_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX jobs_due ON jobs (status, run_at);
