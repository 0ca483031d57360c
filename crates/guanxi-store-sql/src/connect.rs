use crate::backend::{Backend, map_err};
use crate::vault::{MasterKey, Vault};
use guanxi_store::{StoreError, StoreResult};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::{AnyPool, Connection, Executor};
use std::sync::Arc;
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Per-connection SQLite settings. WAL with `synchronous=NORMAL` keeps every committed
/// transaction across a process crash (only an OS crash or power loss can drop the newest).
/// Pool connections checkpoint every 8,000 pages (32 MB) instead of 1,000; the writer's own
/// connection leaves checkpoints to a thread of their own (`sqlite_write::checkpoint`).
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; \
     PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 8000;";

/// Settings of native read-only connections (`sqlite_read`); the journal mode is the file's.
pub(crate) const SQLITE_READER_PRAGMAS: &str = "PRAGMA busy_timeout = 5000; \
     PRAGMA cache_size = -65536; PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY;";

#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub url: String,
    pub max_connections: u32,
    /// Opens the data keys that seal personal data (`GUANXI_SECRET_KEY`).
    pub master_key: MasterKey,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>, master_key: MasterKey) -> Self {
        Self {
            url: url.into(),
            max_connections: 8,
            master_key,
        }
    }
}

/// The store: a pool for reads and short statements, and the connection the writer commits on.
#[derive(Clone)]
pub struct SqlStore {
    pub(crate) pool: AnyPool,
    pub(crate) backend: Backend,
    pub(crate) writer: WriterConnection,
    /// SQLite only: native connections for the hottest reads.
    pub(crate) readers: Option<Arc<crate::sqlite_read::SqliteReaders>>,
    /// Seals and opens personal data; every read and write of it goes through `sealed`.
    pub(crate) vault: Arc<Vault>,
}

/// Where write transactions run. The ingest writer commits thousands of rows a second, so it
/// talks to each database natively instead of through `Any`: SQLite in-process on the writer's
/// own thread (no hand-off per statement or row), PostgreSQL with array parameters (one
/// prepared statement per table, whatever the batch size).
#[derive(Clone)]
pub(crate) enum WriterConnection {
    /// `None` once the store is closed.
    Sqlite(Arc<tokio::sync::Mutex<Option<crate::sqlite_write::SqliteWriter>>>),
    Postgres {
        pool: sqlx::PgPool,
        /// Identity owners this process's writer remembers (`owner_cache.rs`).
        owners: Arc<std::sync::Mutex<crate::owner_cache::OwnerCache>>,
    },
}

impl SqlStore {
    pub async fn connect(options: &ConnectOptions) -> StoreResult<Self> {
        install_default_drivers();
        let backend = Backend::from_url(&options.url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(&options.url)?,
            Backend::Postgres => options.url.clone(),
        };
        let mut pool = AnyPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(sqlx::raw_sql(SQLITE_PRAGMAS)).await?;
                    Ok(())
                })
            });
        }
        // One direct attempt first: a refused or misconfigured database fails at once with its
        // real cause, instead of after the pool's acquire timeout.
        let probe = sqlx::AnyConnection::connect(&url).await.map_err(|e| {
            StoreError::other(format!(
                "cannot connect to the {} database: {e}",
                backend.name()
            ))
        })?;
        let _ = probe.close().await;
        let pool = pool.connect(&url).await.map_err(|e| match e {
            sqlx::Error::Database(_) => map_err(e),
            other => StoreError::other(format!(
                "cannot connect to the {} database: {other}",
                backend.name()
            )),
        })?;
        let (writer, sqlite_file) = match backend {
            Backend::Sqlite => (
                WriterConnection::Sqlite(Arc::new(tokio::sync::Mutex::new(None))),
                Some(crate::sqlite_native::database_file(&url)?),
            ),
            Backend::Postgres => (
                WriterConnection::Postgres {
                    pool: PgPoolOptions::new()
                        .max_connections(1)
                        .acquire_timeout(Duration::from_secs(10))
                        .connect_lazy(&url)
                        .map_err(map_err)?,
                    owners: Arc::default(),
                },
                None,
            ),
        };
        let readers = sqlite_file
            .as_deref()
            .map(crate::sqlite_read::SqliteReaders::new);
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await.map_err(StoreError::other)?;
        let vault = Arc::new(crate::vault::load_or_create(&pool, &options.master_key).await?);
        let store = Self {
            pool,
            backend,
            writer,
            readers,
            vault,
        };
        crate::reseal::seal_rows_stored_before_sealing(&store).await?;
        // Opened after the migrations, so its cached statements see the final schema.
        if let (WriterConnection::Sqlite(slot), Some(file)) = (&store.writer, &sqlite_file) {
            *slot.lock().await = Some(crate::sqlite_write::SqliteWriter::open(
                file,
                store.vault.clone(),
            )?);
        }
        Ok(store)
    }

    pub fn backend_kind(&self) -> Backend {
        self.backend
    }

    /// Copies a consistent snapshot of a SQLite database to `path` (`VACUUM INTO`).
    pub async fn backup_to(&self, path: &str) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path.to_owned())
                    .execute(&self.pool)
                    .await
                    .map_err(map_err)?;
                Ok(())
            }
            Backend::Postgres => Err(StoreError::other(
                "back up PostgreSQL with pg_dump; `guanxi backup` copies SQLite databases",
            )),
        }
    }

    pub async fn close(&self) {
        match &self.writer {
            WriterConnection::Sqlite(slot) => drop(slot.lock().await.take()),
            WriterConnection::Postgres { pool, .. } => pool.close().await,
        }
        if let Some(readers) = &self.readers {
            readers.close();
        }
        self.pool.close().await;
    }
}

/// `sqlite://dir/file.db` → creates `dir` and asks SQLite to create the file.
/// The file path and the query of a `sqlite:` URL.
fn sqlite_parts(url: &str) -> StoreResult<(&str, &str)> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::other(
            "an in-memory SQLite database loses everything; give a file path",
        ));
    }
    Ok((path, query))
}

/// The file a database URL names, for SQLite; `None` for PostgreSQL.
pub fn sqlite_database_path(url: &str) -> StoreResult<Option<std::path::PathBuf>> {
    match Backend::from_url(url)? {
        Backend::Sqlite => Ok(Some(sqlite_parts(url)?.0.into())),
        Backend::Postgres => Ok(None),
    }
}

fn prepare_sqlite_url(url: &str) -> StoreResult<String> {
    let (path, query) = sqlite_parts(url)?;
    if let Some(dir) = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::other(format!(
                "cannot create the database folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

impl SqlStore {
    pub(crate) fn placeholders(&self) -> crate::sql::Placeholders {
        crate::sql::Placeholders::for_backend(self.backend)
    }

    /// Runs a statement that must change exactly one row of `what`; `NotFound` if none.
    pub(crate) async fn change_one(
        &self,
        what: &'static str,
        query: crate::backend::AnyQuery<'_>,
    ) -> StoreResult<()> {
        let done = query.execute(&self.pool).await.map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(what));
        }
        Ok(())
    }
}
