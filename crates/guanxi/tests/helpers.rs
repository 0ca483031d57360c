//! The test harness: `TestApp` starts the real app on port 0 with its own fresh database
//! (SQLite in a temp dir, or PostgreSQL when `GUANXI_TEST_POSTGRES_URL` is set and a test asks
//! for it), registers a Segment source and API keys, and talks HTTP.

#![allow(dead_code)]

use guanxi::{App, Config};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::SocketAddr;
use tokio::sync::oneshot;

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
        let config = Config { database_url: database_url.clone(), ..Config::default() };
        let app = App::build(&config).await.expect("app builds");
        let store = app.store.clone();
        let write_key = guanxi_app::keys::create_source(store.as_ref(), "web", "segment").await.expect("source").secret;
        let all = ["ingest", "read", "write", "admin"].map(String::from);
        let (_, admin_key) = guanxi_app::keys::create_api_key(store.as_ref(), "test-admin", &all).await.expect("key");
        let (_, read_key) = guanxi_app::keys::create_api_key(store.as_ref(), "test-read", &["read".to_string()]).await.expect("key");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
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
            shutdown: Some(tx),
            server: Some(server),
        }
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
        let response = self.http.get(self.url(path)).bearer_auth(key).send().await.expect("request");
        split(response).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.http.post(self.url(path)).bearer_auth(&self.admin_key).json(body).send().await.expect("request");
        split(response).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.http.patch(self.url(path)).bearer_auth(&self.admin_key).json(body).send().await.expect("request");
        split(response).await
    }

    /// The revealed 360 profile of the customer owning `identity` (`TYPE:VALUE`).
    pub async fn customer_by(&self, identity: &str) -> Value {
        let (status, body) = self.get(&format!("/api/v1/customers/lookup?reveal=true&identity={}", urlencode(identity))).await;
        assert_eq!(status, StatusCode::OK, "lookup {identity}: {body}");
        body
    }

    /// Stops the server; the writer commits what it accepted before this returns.
    pub async fn stop(mut self) {
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
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
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

/// Path of the built `guanxi` binary, for CLI and crash tests.
pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_guanxi")
}
