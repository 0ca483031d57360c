//! Statement text built only from fixed fragments: placeholders are generated, values are
//! always bound.

use crate::Backend;

/// How a generated statement writes its placeholders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `?`, bound in order. SQLite's numbered `$n` costs a linear name look-up per parameter
    /// when binding and preparing — quadratic for a multi-row statement; anonymous ones don't.
    Anonymous,
    /// `$first, $first+1, …`: PostgreSQL's only form, and for statements that number other
    /// parameters themselves.
    Numbered { first: usize },
}

impl Placeholders {
    /// The fastest form for a statement whose parameters are all generated.
    pub(crate) fn for_backend(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::Anonymous,
            Backend::Postgres => Self::Numbered { first: 1 },
        }
    }

    fn write(&self, out: &mut String, index: usize) {
        match self {
            Self::Anonymous => out.push('?'),
            Self::Numbered { first } => {
                out.push('$');
                out.push_str(&(first + index).to_string());
            }
        }
    }
}

/// `($1,$2),($3,$4)…` (or `(?,?),(?,?)…`) for `rows` rows of `cols` columns.
///
/// To look rows up by a composite key, join: `FROM (VALUES …) AS v JOIN t ON t.a = v.column1 AND
/// t.b = v.column2`. SQLite plans the row-value form `(a, b) IN (VALUES …)` as a scan of the
/// whole table, which made every batch slower than the last.
pub(crate) fn values(p: Placeholders, rows: usize, cols: usize) -> String {
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
            p.write(&mut out, r * cols + c);
        }
        out.push(')');
    }
    out
}

/// `$1,$2,…` (or `?,?,…`) for an `IN (…)` list.
pub(crate) fn list(p: Placeholders, n: usize) -> String {
    let mut out = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            out.push(',');
        }
        p.write(&mut out, i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(
            values(Placeholders::Numbered { first: 1 }, 2, 2),
            "($1,$2),($3,$4)"
        );
        assert_eq!(list(Placeholders::Numbered { first: 2 }, 3), "$2,$3,$4");
        assert_eq!(values(Placeholders::Anonymous, 2, 1), "(?),(?)");
    }
}
