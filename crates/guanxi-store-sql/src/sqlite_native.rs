//! What the native SQLite connections (the writer, its checkpoint thread, the readers) share:
//! which file a URL names, how they open, and how rusqlite errors map onto the store's.

use guanxi_store::{StoreError, StoreResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The file a `sqlite:` URL names, decoded exactly as sqlx decodes it for the pool, so every
/// connection opens the same file.
pub(crate) fn database_file(url: &str) -> StoreResult<PathBuf> {
    sqlx::sqlite::SqliteConnectOptions::from_str(url)
        .map(|options| options.get_filename().to_path_buf())
        .map_err(|e| StoreError::other(format!("the SQLite database URL is not valid: {e}")))
}

/// Opens `path` with `flags` and applies `pragmas`.
pub(crate) fn open(path: &Path, flags: OpenFlags, pragmas: &str) -> StoreResult<Connection> {
    let conn = Connection::open_with_flags(path, flags).map_err(|e| {
        StoreError::other(format!(
            "cannot open the SQLite database {}: {e}",
            path.display()
        ))
    })?;
    conn.execute_batch(pragmas).map_err(map_err)?;
    Ok(conn)
}

/// Busy and locked databases are retryable; unique violations are conflicts.
pub(crate) fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode;
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => StoreError::Busy(Box::new(e)),
        Some(ErrorCode::ConstraintViolation)
            if matches!(
                e.sqlite_error().map(|f| f.extended_code),
                Some(
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                        | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                )
            ) =>
        {
            StoreError::Conflict("value")
        }
        _ => StoreError::Other(Box::new(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_decoded_as_the_pool_decodes_it() {
        assert_eq!(
            database_file("sqlite://data/my%20shop.db?mode=rwc").expect("valid"),
            PathBuf::from("data/my shop.db")
        );
        assert_eq!(
            database_file("sqlite:///tmp/g.db").expect("valid"),
            PathBuf::from("/tmp/g.db")
        );
        assert_eq!(
            database_file("sqlite:g.db").expect("valid"),
            PathBuf::from("g.db")
        );
    }
}
