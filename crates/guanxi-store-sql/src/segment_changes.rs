//! Segment entries and exits inside a write transaction, for both backends. One statement
//! pair per change on SQLite (cached, on the writer's connection); on PostgreSQL, changes go in
//! runs where no (segment, customer) repeats, each run as one statement for entries and one for
//! exits, since order only matters between changes of the same pair.

use guanxi_store::SegmentChange;
use std::collections::HashSet;

pub(crate) const SQLITE_ENTER: &str = "INSERT INTO segment_members (segment_id, customer_id, since) \
     SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM segments WHERE id = ?1) ON CONFLICT DO NOTHING";
pub(crate) const SQLITE_OPEN_SPELL: &str = "INSERT INTO segment_history (segment_id, customer_id, entered_at) \
     VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING";
pub(crate) const SQLITE_LEAVE: &str =
    "DELETE FROM segment_members WHERE segment_id = ?1 AND customer_id = ?2";
pub(crate) const SQLITE_CLOSE_SPELL: &str = "UPDATE segment_history SET left_at = ?3 \
     WHERE segment_id = ?1 AND customer_id = ?2 AND left_at IS NULL";

pub(crate) const PG_ENTER: &str = "WITH input AS (SELECT * FROM UNNEST($1::bigint[], $2::bigint[]) AS t(segment_id, customer_id)), \
     entered AS (INSERT INTO segment_members (segment_id, customer_id, since) \
        SELECT i.segment_id, i.customer_id, $3 FROM input i \
        WHERE EXISTS (SELECT 1 FROM segments s WHERE s.id = i.segment_id) \
        ON CONFLICT DO NOTHING RETURNING segment_id, customer_id), \
     spells AS (INSERT INTO segment_history (segment_id, customer_id, entered_at) \
        SELECT segment_id, customer_id, $3 FROM entered ON CONFLICT DO NOTHING) \
     SELECT segment_id, customer_id FROM entered";
pub(crate) const PG_LEAVE: &str = "WITH left_now AS (DELETE FROM segment_members m \
        USING UNNEST($1::bigint[], $2::bigint[]) AS t(segment_id, customer_id) \
        WHERE m.segment_id = t.segment_id AND m.customer_id = t.customer_id \
        RETURNING m.segment_id, m.customer_id), \
     closed AS (UPDATE segment_history h SET left_at = $3 FROM left_now l \
        WHERE h.segment_id = l.segment_id AND h.customer_id = l.customer_id AND h.left_at IS NULL) \
     SELECT segment_id, customer_id FROM left_now";

/// Splits changes into runs of distinct (segment, customer) pairs, keeping their order.
pub(crate) fn runs(changes: &[SegmentChange]) -> Vec<&[SegmentChange]> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0;
    for (i, c) in changes.iter().enumerate() {
        if !seen.insert((c.segment, c.customer)) {
            out.push(&changes[start..i]);
            seen.clear();
            seen.insert((c.segment, c.customer));
            start = i;
        }
    }
    if start < changes.len() {
        out.push(&changes[start..]);
    }
    out
}
