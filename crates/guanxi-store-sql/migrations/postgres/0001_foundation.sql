-- Foundation schema. Instants are UTC milliseconds, money is integer minor units,
-- JSON is text (the same SQL runs on SQLite). Append-only: change the schema in new files.

CREATE TABLE sources (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    write_key_hash TEXT NOT NULL UNIQUE,
    webhook_secret TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE TABLE customers (
    id BIGSERIAL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    merged_into BIGINT REFERENCES customers (id),
    traits TEXT NOT NULL DEFAULT '{}',
    name_search TEXT
);
CREATE INDEX customers_merged_into ON customers (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE identities (
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    source_id BIGINT NOT NULL REFERENCES sources (id),
    created_at BIGINT NOT NULL,
    PRIMARY KEY (kind, value)
);
CREATE INDEX identities_customer ON identities (customer_id);

CREATE TABLE customer_tags (
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    tag TEXT NOT NULL,
    PRIMARY KEY (customer_id, tag)
);
CREATE INDEX customer_tags_tag ON customer_tags (tag, customer_id);

CREATE TABLE merges (
    id BIGSERIAL PRIMARY KEY,
    from_id BIGINT NOT NULL REFERENCES customers (id),
    into_id BIGINT NOT NULL REFERENCES customers (id),
    reason TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX merges_into ON merges (into_id);
CREATE INDEX merges_from ON merges (from_id);

CREATE TABLE receipts (
    source_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (source_id, key)
);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES sources (id),
    message_id TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    name TEXT,
    properties TEXT NOT NULL,
    timestamp BIGINT NOT NULL,
    received_at BIGINT NOT NULL
);
CREATE INDEX events_customer ON events (customer_id, id);

CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT,
    price_minor BIGINT,
    currency TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    source_id BIGINT NOT NULL REFERENCES sources (id),
    external_id TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    total_minor BIGINT NOT NULL,
    refunded_minor BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    fingerprint TEXT NOT NULL,
    UNIQUE (source_id, external_id)
);
CREATE INDEX orders_customer ON orders (customer_id, id);

CREATE TABLE order_items (
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT,
    quantity BIGINT NOT NULL,
    price_minor BIGINT NOT NULL,
    PRIMARY KEY (order_id, line)
);

CREATE TABLE refunds (
    order_id BIGINT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    external_id TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    reason TEXT,
    PRIMARY KEY (order_id, external_id)
);

CREATE TABLE changes (
    seq BIGSERIAL PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL
);

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL DEFAULT 'queued',
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX jobs_due ON jobs (status, run_at);
