//! Fresh databases per test: a SQLite file in a temporary folder, or a PostgreSQL database
//! created for the test and dropped (best effort) after it.

use guanxi_store_sql::{Backend, ConnectOptions, MasterKey, SqlStore};
use sqlx::{Connection, Executor, PgConnection, Row};
use std::io::Write;
use std::sync::Once;
use tempfile::TempDir;

/// Names a PostgreSQL server (any database on it) the suite may create databases on.
pub const POSTGRES_URL_VAR: &str = "GUANXI_TEST_POSTGRES_URL";

/// Connections per test store: enough for the concurrency stories, few enough that many
/// PostgreSQL tests in parallel stay under the server's connection limit.
const MAX_CONNECTIONS: u32 = 4;

static SKIP_NOTICE: Once = Once::new();

/// One test's own database and a store connected to it.
pub struct TestDb {
    pub store: SqlStore,
    url: String,
    /// The secret key the store seals personal data with.
    secret: String,
    /// Keeps the SQLite folder alive for the test.
    _dir: Option<TempDir>,
    /// For PostgreSQL: the server URL we created the database through, and its name.
    created: Option<(String, String)>,
}

impl TestDb {
    /// A store over a new SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let secret = MasterKey::generate();
        let store = connect(&url, &secret).await;
        Self {
            store,
            url,
            secret,
            _dir: Some(dir),
            created: None,
        }
    }

    /// A store over a new PostgreSQL database, or `None` (after a one-time notice on stderr)
    /// when `GUANXI_TEST_POSTGRES_URL` is not set.
    pub async fn postgres() -> Option<Self> {
        let Some(server) = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|v| !v.trim().is_empty())
        else {
            SKIP_NOTICE.call_once(|| {
                // Straight to the process's stderr: the test harness captures `eprintln!`, and
                // this line must show in a passing run.
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED postgres conformance: {POSTGRES_URL_VAR} is not set"
                );
            });
            return None;
        };
        let name = format!("guanxi_t_{:016x}", rand::random::<u64>());
        let mut admin = PgConnection::connect(&server)
            .await
            .unwrap_or_else(|e| panic!("connect to {POSTGRES_URL_VAR}: {e}"));
        // The name is generated above from hex digits only, so it is safe to splice in.
        admin
            .execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap_or_else(|e| panic!("create test database {name}: {e}"));
        let _ = admin.close().await;
        let url = with_database(&server, &name);
        let secret = MasterKey::generate();
        let store = connect(&url, &secret).await;
        Some(Self {
            store,
            url,
            secret,
            _dir: None,
            created: Some((server, name)),
        })
    }

    pub fn backend(&self) -> Backend {
        self.store.backend_kind()
    }

    /// The URL this test's database is reachable at.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Another store (its own pool) over the same database, as a second process would have.
    pub async fn reopen(&self) -> SqlStore {
        connect(&self.url, &self.secret).await
    }

    /// The secret key this test's database is sealed with.
    pub fn master_key(&self) -> MasterKey {
        MasterKey::parse(&self.secret).expect("a generated key parses")
    }

    /// Another store over the same database opened with `key`, or why it cannot be.
    pub async fn open_with(&self, key: &MasterKey) -> Result<SqlStore, guanxi_store::StoreError> {
        let mut options = ConnectOptions::new(self.url.clone(), key.clone());
        options.max_connections = MAX_CONNECTIONS;
        SqlStore::connect(&options).await
    }

    /// Runs one statement directly, for what the store has no call for (revoking a key).
    pub async fn execute(&self, sql: &str) {
        let mut conn = sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("connect directly");
        conn.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
    }

    /// Runs one statement directly; answers the database's refusal, if any.
    pub async fn try_execute(&self, sql: &str) -> Result<(), String> {
        let mut conn = sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("connect directly");
        let outcome = conn
            .execute(sql)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
        let _ = conn.close().await;
        outcome
    }

    /// Rows of a query whose columns are all text or integers, rendered as strings.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<String>> {
        let mut conn = sqlx::AnyConnection::connect(&self.url)
            .await
            .expect("connect directly");
        let rows = sqlx::query(sql)
            .fetch_all(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = conn.close().await;
        rows.iter()
            .map(|row| {
                (0..row.len())
                    .map(|i| match row.try_get::<Option<i64>, _>(i) {
                        Ok(n) => n.map_or("NULL".to_owned(), |n| n.to_string()),
                        Err(_) => row
                            .try_get::<Option<String>, _>(i)
                            .expect("text column")
                            .unwrap_or_else(|| "NULL".to_owned()),
                    })
                    .collect()
            })
            .collect()
    }

    /// Closes the store and drops a PostgreSQL test database; failures only warn.
    pub async fn teardown(self) {
        self.store.close().await;
        if let Some((server, name)) = &self.created {
            let dropped = async {
                let mut admin = PgConnection::connect(server).await?;
                admin
                    .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                    .await?;
                admin.close().await
            };
            if let Err(e) = dropped.await {
                eprintln!("warning: could not drop test database {name}: {e}");
            }
        }
    }
}

async fn connect(url: &str, secret: &str) -> SqlStore {
    let key = MasterKey::parse(secret).expect("a generated key parses");
    let mut options = ConnectOptions::new(url, key);
    options.max_connections = MAX_CONNECTIONS;
    SqlStore::connect(&options)
        .await
        .unwrap_or_else(|e| panic!("connect the test store: {e}"))
}

/// `postgres://u@h:p/db?opts` with its database replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_part_of_a_url_is_replaced() {
        assert_eq!(
            with_database("postgres://p@h:5432/postgres", "t1"),
            "postgres://p@h:5432/t1"
        );
        assert_eq!(
            with_database("postgres://p@h:5432", "t1"),
            "postgres://p@h:5432/t1"
        );
        assert_eq!(
            with_database("postgresql://h/x?sslmode=disable", "t1"),
            "postgresql://h/t1?sslmode=disable"
        );
    }
}
