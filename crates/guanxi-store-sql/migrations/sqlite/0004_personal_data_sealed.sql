-- Personal data sealed at rest (issue 3). The application seals names, phones, emails and
-- addresses with a data key (XChaCha20-Poly1305) and finds them through blind indexes
-- (keyed HMAC); see guanxi-store-sql/src/vault and sealed.rs. Rows written before this
-- migration are sealed by the application when it next opens the database (data_migrations).

-- The data keys and the blind-index key, each wrapped by the master key (GUANXI_SECRET_KEY).
-- One current key per purpose; retired data keys still open what they sealed until a rotation
-- has re-sealed it.
CREATE TABLE data_keys (
    id INTEGER PRIMARY KEY,
    purpose TEXT NOT NULL,
    wrapped TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    retired_at INTEGER
);
CREATE UNIQUE INDEX data_keys_one_current ON data_keys (purpose) WHERE retired_at IS NULL;

-- Email and phone identities: value holds the blind index, sealed_value the sealed address.
ALTER TABLE identities ADD COLUMN sealed_value TEXT;

-- The name is searched by its blind index, not by its lower-cased text.
ALTER TABLE customers RENAME COLUMN name_search TO name_index;
CREATE INDEX customers_name_index ON customers (name_index) WHERE name_index IS NOT NULL;

-- Steps the application runs once over existing rows, by name.
CREATE TABLE data_migrations (
    name TEXT PRIMARY KEY,
    done_at INTEGER NOT NULL
);
