-- Journeys (issue 5): definitions with every published version, each customer's run (the step
-- they are at and when they are due: durable, so a restart loses no step), counts per step,
-- and the position of the event feed journeys follow.
CREATE TABLE journeys (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE journey_versions (
    journey_id INTEGER NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version)
);
-- A run is live until ended_at; one live run per journey and customer.
CREATE TABLE journey_runs (
    id INTEGER PRIMARY KEY,
    journey_id INTEGER NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    customer_id INTEGER NOT NULL,
    step TEXT NOT NULL,
    status TEXT NOT NULL,
    wake_at INTEGER,
    waiting_for TEXT,
    correlation TEXT,
    entered_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    ended_at INTEGER,
    -- Moves recorded: a move is recorded only from the count it was computed at.
    moves INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX journey_runs_live ON journey_runs (journey_id, customer_id) WHERE ended_at IS NULL;
CREATE INDEX journey_runs_due ON journey_runs (wake_at) WHERE ended_at IS NULL;
CREATE INDEX journey_runs_customer ON journey_runs (customer_id) WHERE ended_at IS NULL;
CREATE INDEX journey_runs_entries ON journey_runs (journey_id, customer_id, entered_at);
CREATE TABLE journey_step_counts (
    journey_id INTEGER NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    step TEXT NOT NULL,
    entered INTEGER NOT NULL,
    PRIMARY KEY (journey_id, version, step)
);
CREATE TABLE feed_cursors (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
