//! The test harness: `TestApp` starts the real app on port 0 with its own fresh database
//! (SQLite in a temp dir, or PostgreSQL when `GUANXI_TEST_POSTGRES_URL` is set and a test asks
//! for it), registers a Segment source and API keys, and talks HTTP.

#![allow(dead_code)]

use guanxi::{App, Config};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::oneshot;

mod process;
pub use process::{CliRun, ServeProcess, guanxi_cli, guanxi_cli_with};

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    /// Write key of the `web` Segment source.
    pub write_key: String,
    /// API key with every scope.
    pub admin_key: String,
    /// API key with `read` only.
    pub read_key: String,
    pub database_url: String,
    pub dir: tempfile::TempDir,
    /// The app's store, for set-up the HTTP API does not offer (e.g. creating a Shopify source).
    pub store: Arc<guanxi_store_sql::SqlStore>,
    /// The app's messaging, for draining deliveries and moving its clock.
    pub messaging: guanxi_app::messaging::Messaging,
    /// The app's writer, for ticking journeys; let go when the app stops, so the writer can.
    ingestor: Option<guanxi_app::Ingestor>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/guanxi.db", dir.path().display());
        Self::spawn_with(dir, url).await
    }

    pub async fn spawn_with(dir: tempfile::TempDir, database_url: String) -> Self {
        Self::spawn_configured(dir, database_url, |_| {}).await
    }

    /// A fresh SQLite app whose configuration `edit` changes first.
    pub async fn spawn_with_config(edit: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/guanxi.db", dir.path().display());
        Self::spawn_configured(dir, url, edit).await
    }

    /// An app whose messaging runs on `clock` (a manual one: waits of days take no time).
    pub async fn spawn_with_clock(
        clock: guanxi_app::messaging::Clock,
        edit: impl FnOnce(&mut Config),
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/guanxi.db", dir.path().display());
        Self::spawn_full(dir, url, edit, Some(clock)).await
    }

    async fn spawn_configured(
        dir: tempfile::TempDir,
        database_url: String,
        edit: impl FnOnce(&mut Config),
    ) -> Self {
        Self::spawn_full(dir, database_url, edit, None).await
    }

    async fn spawn_full(
        dir: tempfile::TempDir,
        database_url: String,
        edit: impl FnOnce(&mut Config),
        clock: Option<guanxi_app::messaging::Clock>,
    ) -> Self {
        let mut config = Config {
            database_url: database_url.clone(),
            ..Config::default()
        };
        edit(&mut config);
        let mut app = App::build(&config).await.expect("app builds");
        if let Some(clock) = clock {
            app.messaging.clock = clock;
            app.send_in_background = false;
        }
        let messaging = app.messaging.clone();
        let ingestor = app.ingestor.clone();
        let store = app.store.clone();
        let write_key = guanxi_app::keys::create_source(store.as_ref(), "web", "segment")
            .await
            .expect("source")
            .secret;
        let all = ["ingest", "read", "write", "admin"].map(String::from);
        let (_, admin_key) = guanxi_app::keys::create_api_key(store.as_ref(), "test-admin", &all)
            .await
            .expect("key");
        let (_, read_key) =
            guanxi_app::keys::create_api_key(store.as_ref(), "test-read", &["read".to_string()])
                .await
                .expect("key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            app.serve(listener, async {
                let _ = rx.await;
            })
            .await
            .expect("serves");
        });
        Self {
            addr,
            http: reqwest::Client::new(),
            write_key,
            admin_key,
            read_key,
            database_url,
            dir,
            store,
            messaging,
            ingestor: Some(ingestor),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Sends every delivery due at the messaging clock's now, as the server's dispatcher would.
    pub async fn drain_deliveries(&self) -> guanxi_app::messaging::DispatchReport {
        guanxi_app::messaging::Dispatcher::new(self.messaging.clone())
            .expect("dispatcher")
            .drain()
            .await
            .expect("drain")
    }

    /// Moves journeys as the server would: the event feed, then every run that is due.
    pub async fn tick_journeys(&self) -> guanxi_app::journeys::runner::TickReport {
        let ingestor = self.ingestor.clone().expect("the app is running");
        guanxi_app::journeys::JourneyRunner::new(self.messaging.clone(), ingestor)
            .tick()
            .await
            .expect("journeys tick")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs a Segment call with the write key as Basic user name.
    pub async fn segment(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .basic_auth(&self.write_key, Some(""))
            .json(body)
            .send()
            .await
            .expect("request");
        split(response).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(&self.admin_key, path).await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        split(response).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.post_as(&self.admin_key, path, body).await
    }

    pub async fn post_as(&self, key: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .expect("request");
        split(response).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self
            .http
            .patch(self.url(path))
            .bearer_auth(&self.admin_key)
            .json(body)
            .send()
            .await
            .expect("request");
        split(response).await
    }

    /// A staff account whose password is `<role>-password-1`; answers its id.
    pub async fn staff(&self, email: &str, role: &str) -> i64 {
        let password = Some(format!("{role}-password-1"));
        guanxi_app::staff::create_user(self.store.as_ref(), email, role, password, None)
            .await
            .expect("staff account")
            .user
            .id
    }

    /// A customer named `name` with the phone 13812345678, the email lina@example.com and a
    /// street address, identified through Segment; answers their id.
    pub async fn contactable_customer(&self, name: &str) -> i64 {
        let traits = serde_json::json!({
            "name": name, "phone": "13812345678", "email": "lina@example.com",
            "address": {"street": "1 Nanjing Rd"}
        });
        let (status, body) = self
            .segment(
                "/v1/identify",
                &serde_json::json!({"userId": "u-1", "traits": traits}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        self.customer_by("phone:+8613812345678").await["id"]
            .as_i64()
            .expect("id")
    }

    /// The revealed 360 profile of the customer owning `identity` (`TYPE:VALUE`).
    pub async fn customer_by(&self, identity: &str) -> Value {
        let (status, body) = self
            .get(&format!(
                "/api/v1/customers/lookup?reveal=true&identity={}",
                urlencode(identity)
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "lookup {identity}: {body}");
        body
    }

    /// Posts a paid CNY order `id` for `email`'s customer, placed `days_ago` days ago.
    pub async fn paid_order(&self, id: &str, email: &str, total: &str, days_ago: i64) {
        let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
        let (status, body) = self
            .post(
                "/api/v1/orders",
                &serde_json::json!({"source": "api", "external_id": id, "status": "paid",
                    "currency": "CNY", "total": total, "created_at": at.to_rfc3339(),
                    "customer": {"email": email}, "items": []}),
            )
            .await;
        assert!(status.is_success(), "{status}: {body}");
    }

    /// Stops the server; the writer commits what it accepted before this returns.
    pub async fn stop(mut self) {
        self.ingestor = None;
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }
}

pub async fn split(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The PostgreSQL server tests may use, or why they are skipped.
pub fn postgres_url() -> Option<String> {
    match std::env::var("GUANXI_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("SKIPPED postgres variant: GUANXI_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

/// Opens the SQLite file behind `database_url` directly, for checks the API does not offer.
pub async fn sqlite(database_url: &str) -> sqlx::SqlitePool {
    use std::str::FromStr;
    let options = sqlx::sqlite::SqliteConnectOptions::from_str(database_url)
        .expect("sqlite URL")
        .busy_timeout(std::time::Duration::from_secs(5));
    sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("open the SQLite file")
}

/// One number from a SQL query on the SQLite file (`SELECT COUNT(*) …`).
pub async fn sql_number(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
