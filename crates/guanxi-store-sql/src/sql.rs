//! Statement text built only from fixed fragments: placeholders are generated, values are
//! always bound.

/// `($1,$2),($3,$4)…` for `rows` rows of `cols` columns, numbering from `first`.
pub(crate) fn values(rows: usize, cols: usize, first: usize) -> String {
    let mut out = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..cols {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&(first + r * cols + c).to_string());
        }
        out.push(')');
    }
    out
}

/// `$1,$2,…` for an `IN (…)` list.
pub(crate) fn list(n: usize, first: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound
/// parameters for any of our tables.
pub(crate) const CHUNK: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(values(2, 2, 1), "($1,$2),($3,$4)");
        assert_eq!(list(3, 2), "$2,$3,$4");
    }
}
