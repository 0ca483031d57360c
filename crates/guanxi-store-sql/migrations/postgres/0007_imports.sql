-- Imports started from the console (issue 3): the uploaded file's name and size, how far the
-- import got, and the first rejected rows. A running import records progress every few seconds;
-- one that stops doing so belongs to a process that stopped.
CREATE TABLE imports (
    id BIGSERIAL PRIMARY KEY,
    source TEXT NOT NULL,
    format TEXT NOT NULL,
    file_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    status TEXT NOT NULL,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    rows_read BIGINT NOT NULL DEFAULT 0,
    imported BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    -- JSON: [{"line": n, "reason": "…"}], the first rows only.
    rejected_rows TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);
