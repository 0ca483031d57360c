-- One row that every write transaction bumps right after it takes the writer lock. A writer
-- that finds the epoch moved since its own last commit knows another writer (another replica,
-- an import) committed meanwhile, and forgets the identity owners it remembered
-- (`owner_cache.rs`). SQLite needs no such row: `PRAGMA data_version` tells the same.
CREATE TABLE writer_epoch (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    epoch BIGINT NOT NULL
);
INSERT INTO writer_epoch (only_row, epoch) VALUES (TRUE, 0);
