-- The event log is append-only and written only by the ingest writer, which resolves each
-- event's customer in the same transaction; merges re-point events and erasure must delete
-- them explicitly. Checking two foreign keys per event cost about a third of the database's work
-- under ingest (one trigger and one row-locking look-up per key), for nothing the writer does
-- not already guarantee. Orders, identities and the rest keep theirs.
ALTER TABLE events
    DROP CONSTRAINT events_customer_id_fkey,
    DROP CONSTRAINT events_source_id_fkey;
