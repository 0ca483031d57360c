-- Segments (issue 4): a rule over what the engine knows of customers, kept in its JSON form.
-- The engine in each server evaluates it; members and every spell of membership are recorded
-- here, so lists, exports and history read from the database.
CREATE TABLE segments (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    rule TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE segment_members (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (segment_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX segment_members_customer ON segment_members (customer_id);
-- One row per spell: entered, and left once it ends.
CREATE TABLE segment_history (
    segment_id INTEGER NOT NULL REFERENCES segments (id) ON DELETE CASCADE,
    customer_id INTEGER NOT NULL,
    entered_at INTEGER NOT NULL,
    left_at INTEGER,
    PRIMARY KEY (segment_id, customer_id, entered_at)
) WITHOUT ROWID;
CREATE INDEX segment_history_customer ON segment_history (customer_id, entered_at);
-- Entering and leaving a segment are events in the customer's timeline; the engine records
-- them under this source, which has no write key (no hash is "-").
INSERT INTO sources (name, kind, write_key_hash, created_at)
    VALUES ('guanxi:engine', 'engine', '-', 0) ON CONFLICT DO NOTHING;
