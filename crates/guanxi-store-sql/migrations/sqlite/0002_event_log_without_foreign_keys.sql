-- The event log is append-only and written only by the ingest writer, which resolves each
-- event's customer in the same transaction; merges re-point events and erasure must delete
-- them explicitly. Its two foreign-key checks per event bought nothing the writer does not already
-- guarantee (see the PostgreSQL migration of the same name). SQLite cannot drop a constraint,
-- so the table is rebuilt with the same columns, rows and index.
CREATE TABLE events_next (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    customer_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    properties TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
INSERT INTO events_next (id, source_id, message_id, customer_id, kind, name, properties, timestamp, received_at)
    SELECT id, source_id, message_id, customer_id, kind, name, properties, timestamp, received_at FROM events;
DROP TABLE events;
ALTER TABLE events_next RENAME TO events;
CREATE INDEX events_customer ON events (customer_id, id);
