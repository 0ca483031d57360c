//! Multi-row `INSERT … VALUES (…), (…), …`: one statement execution for many rows.
//!
//! Executed row by row, every insert sets up its statement again: it opens cursors on the
//! table and each index and, for an `AUTOINCREMENT` table, reads and rewrites the sequence.
//! Rows go in chunks whose sizes are powers of two, so a handful of prepared statements per
//! table serve every batch size and the statement cache keeps them all.

use rusqlite::{Connection, Statement};

/// The largest chunk: 32 rows of up to a few dozen columns stay far below SQLite's limit of
/// 32,766 bound parameters.
const MAX_ROWS: usize = 32;

/// Inserts `rows` in order through `head` (`INSERT INTO t (a, b, c)`) with `columns` values
/// per row. `bind` binds one row's values from the 1-based parameter index it is given.
pub(super) fn insert<R>(
    conn: &Connection,
    head: &str,
    columns: usize,
    rows: &[R],
    bind: impl Fn(&mut Statement, usize, &R) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    insert_then(conn, head, "", columns, rows, bind).map(|_| ())
}

/// `insert` with `tail` after the values (`ON CONFLICT DO NOTHING`); answers how many rows
/// the statements changed.
pub(super) fn insert_then<R>(
    conn: &Connection,
    head: &str,
    tail: &str,
    columns: usize,
    rows: &[R],
    bind: impl Fn(&mut Statement, usize, &R) -> rusqlite::Result<()>,
) -> rusqlite::Result<u64> {
    let (mut rest, mut changed) = (rows, 0u64);
    while !rest.is_empty() {
        let size = chunk_size(rest.len());
        let (chunk, remaining) = rest.split_at(size);
        let mut stmt = conn.prepare_cached(&values_sql(head, columns, size, tail))?;
        for (i, row) in chunk.iter().enumerate() {
            bind(&mut stmt, i * columns + 1, row)?;
        }
        changed += stmt.raw_execute()? as u64;
        rest = remaining;
    }
    Ok(changed)
}

/// The largest power of two that is at most `remaining` and `MAX_ROWS`.
fn chunk_size(remaining: usize) -> usize {
    let fits = usize::BITS - 1 - remaining.leading_zeros();
    (1 << fits).min(MAX_ROWS)
}

fn values_sql(head: &str, columns: usize, rows: usize, tail: &str) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    format!("{head} VALUES {} {tail}", vec![row; rows].join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two_up_to_the_largest() {
        let sizes = |mut n: usize| {
            let mut out = Vec::new();
            while n > 0 {
                out.push(chunk_size(n));
                n -= chunk_size(n);
            }
            out
        };
        assert_eq!(sizes(1), [1]);
        assert_eq!(sizes(7), [4, 2, 1]);
        assert_eq!(sizes(32), [32]);
        assert_eq!(sizes(77), [32, 32, 8, 4, 1]);
    }

    #[test]
    fn rows_are_inserted_in_order_with_their_own_values() {
        let conn = Connection::open_in_memory().expect("open");
        conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b TEXT)")
            .expect("create");
        let rows: Vec<(i64, String)> = (0..45).map(|i| (i * 10, format!("r{i}"))).collect();
        insert(&conn, "INSERT INTO t (a, b)", 2, &rows, |s, at, (a, b)| {
            s.raw_bind_parameter(at, a)?;
            s.raw_bind_parameter(at + 1, b)
        })
        .expect("insert");
        let stored: Vec<(i64, i64, String)> = conn
            .prepare("SELECT id, a, b FROM t ORDER BY id")
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .expect("read");
        let expected: Vec<(i64, i64, String)> = rows
            .iter()
            .enumerate()
            .map(|(i, (a, b))| (i as i64 + 1, *a, b.clone()))
            .collect();
        assert_eq!(stored, expected);
    }
}
