-- A one-row version of everything identity resolution reads. Every write transaction bumps it
-- right after it takes the writer lock (and so holds the row until it commits), and triggers
-- bump it whenever identities or merges change by any other path (an older replica, an
-- import, hand-written SQL). A writer that finds the epoch elsewhere than where its own last
-- commit left it forgets the identity owners it remembered (`owner_cache.rs`). SQLite needs no
-- such row: `PRAGMA data_version` tells the same.
CREATE TABLE writer_epoch (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    epoch BIGINT NOT NULL
);
INSERT INTO writer_epoch (only_row, epoch) VALUES (TRUE, 0);

CREATE FUNCTION bump_writer_epoch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE writer_epoch SET epoch = epoch + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER identities_bump_writer_epoch
    AFTER INSERT OR UPDATE OR DELETE ON identities
    FOR EACH STATEMENT EXECUTE FUNCTION bump_writer_epoch();
CREATE TRIGGER merges_bump_writer_epoch
    AFTER UPDATE OF merged_into OR DELETE ON customers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_writer_epoch();
