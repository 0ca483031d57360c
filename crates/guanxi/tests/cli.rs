//! The command line as scripts use it: secrets alone on the last line of stdout, non-zero exits
//! with messages that name what is wrong, and commands that are safe to run twice.

use crate::helpers::{CliRun, ServeProcess, guanxi_cli, sql_number, sqlite};
use reqwest::StatusCode;
use serde_json::Value;

/// A fresh temp dir and the `sqlite://` URL of a database inside it.
fn fresh_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/g.db", dir.path().display());
    (dir, url)
}

/// The secret a command printed: its last line, which must be one token and nothing else.
fn secret(run: &CliRun) -> String {
    let line = run.last_line();
    assert!(
        !line.is_empty() && line.split_whitespace().count() == 1 && line.trim() == line,
        "the last line of stdout should be the secret alone, got {line:?}\n{}",
        run.stdout
    );
    line.to_owned()
}

/// Every customer the API lists, following the cursor.
async fn list_customers(server: &ServeProcess, key: &str) -> Vec<Value> {
    let http = reqwest::Client::new();
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let url = server.url(&format!("/api/v1/customers?limit=500&cursor={cursor}"));
        let response = http
            .get(url)
            .bearer_auth(key)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.expect("json");
        all.extend(page["data"].as_array().expect("data").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return all,
        }
    }
}

#[tokio::test]
async fn source_create_prints_the_secret_alone_and_refuses_a_taken_name() {
    let (_dir, url) = fresh_database();
    let created = guanxi_cli(
        &url,
        &["source", "create", "--name", "shop", "--kind", "shopify"],
    )
    .await
    .success();
    let webhook_secret = secret(&created);
    assert!(webhook_secret.starts_with("whsec_"), "{webhook_secret}");

    let again = guanxi_cli(
        &url,
        &["source", "create", "--name", "shop", "--kind", "shopify"],
    )
    .await
    .failure();
    assert!(
        again.stderr.contains("already exists") && again.stderr.contains("shop"),
        "the message should say the name is taken: {}",
        again.stderr
    );
    assert!(
        !again.stdout.contains("whsec_"),
        "no secret for a refused source"
    );
    // Registered from the command line: audited as the system, without the secret.
    let audit = sqlite(&url).await;
    let (actor, detail): (String, String) =
        sqlx::query_as("SELECT actor_kind, detail FROM audit_log WHERE action = 'source.create'")
            .fetch_one(&audit)
            .await
            .expect("audited");
    assert_eq!(actor, "system");
    assert!(
        detail.contains("shop") && !detail.contains("whsec_"),
        "{detail}"
    );

    let segment = guanxi_cli(
        &url,
        &["source", "create", "--name", "web", "--kind", "segment"],
    )
    .await
    .success();
    assert!(secret(&segment).starts_with("wk_"));
    let listed = guanxi_cli(&url, &["source", "list"]).await.success();
    for name in ["shop", "web"] {
        assert!(
            listed
                .stdout
                .lines()
                .any(|l| l.split('\t').nth(1) == Some(name)),
            "{name} is listed: {}",
            listed.stdout
        );
    }
}

#[tokio::test]
async fn an_api_key_from_the_cli_opens_the_api_of_a_running_server() {
    let (_dir, url) = fresh_database();
    let created = guanxi_cli(
        &url,
        &[
            "apikey",
            "create",
            "--name",
            "ops",
            "--scopes",
            "read,write",
        ],
    )
    .await
    .success();
    let key = secret(&created);

    let server = ServeProcess::start(&url).await;
    let http = reqwest::Client::new();
    let customers = server.url("/api/v1/customers");
    let ok = http
        .get(&customers)
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(ok.status(), StatusCode::OK);
    let wrong = http
        .get(&customers)
        .bearer_auth("gx_not-a-key")
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_bad_scope_is_refused_by_name() {
    let (_dir, url) = fresh_database();
    let run = guanxi_cli(
        &url,
        &[
            "apikey",
            "create",
            "--name",
            "ops",
            "--scopes",
            "read,superuser",
        ],
    )
    .await
    .failure();
    assert!(run.stderr.contains("superuser"), "{}", run.stderr);
    assert!(
        !run.stdout.contains("gx_"),
        "no key is printed: {}",
        run.stdout
    );
}

#[tokio::test]
async fn migrate_twice_succeeds_and_backup_writes_a_usable_sqlite_file() {
    let (dir, url) = fresh_database();
    for _ in 0..2 {
        let run = guanxi_cli(&url, &["migrate"]).await.success();
        assert!(run.stdout.contains("up to date"), "{}", run.stdout);
    }
    guanxi_cli(
        &url,
        &["source", "create", "--name", "web", "--kind", "segment"],
    )
    .await
    .success();

    let file = dir.path().join("backup.db");
    let file_arg = file.to_str().expect("utf-8 path");
    guanxi_cli(&url, &["backup", file_arg]).await.success();
    let bytes = std::fs::read(&file).expect("the backup file exists");
    assert!(bytes.starts_with(b"SQLite format 3\0"), "not a SQLite file");
    // Its personal data is sealed: without the key it was sealed with, guanxi refuses it,
    // says why, and leaves no key file of its own behind.
    let backup_url = format!("sqlite://{file_arg}");
    let key_file = dir.path().join("backup.db.key");
    let refused = guanxi_cli(&backup_url, &["source", "list"]).await.failure();
    assert!(
        refused.stderr.contains("sealed with another key"),
        "{}",
        refused.stderr
    );
    assert!(
        !key_file.exists(),
        "no key file made for a database that has one"
    );
    // With its key beside it, the backup is a database guanxi can open, with the data in it.
    std::fs::copy(dir.path().join("g.db.key"), &key_file).expect("copy the key");
    let listed = guanxi_cli(&backup_url, &["source", "list"]).await.success();
    assert!(listed.stdout.contains("\tweb\t"), "{}", listed.stdout);

    let refused = guanxi_cli(&url, &["backup", file_arg]).await.failure();
    assert!(refused.stderr.contains("exists"), "{}", refused.stderr);
}

#[tokio::test]
async fn an_unsupported_database_url_names_its_scheme() {
    let run = guanxi_cli("mysql://x", &["migrate"]).await.failure();
    assert!(run.stderr.contains("mysql"), "{}", run.stderr);
    assert!(
        run.stderr.contains("sqlite://"),
        "says what works: {}",
        run.stderr
    );
}

#[tokio::test]
async fn demo_loads_a_shop_once_however_often_it_runs() {
    let (_dir, url) = fresh_database();
    let args = ["demo", "--customers", "200", "--seed", "7"];
    let first = guanxi_cli(&url, &args).await.success();
    let key = secret(&first);

    let pool = sqlite(&url).await;
    let counts = [
        "SELECT COUNT(*) FROM orders",
        "SELECT COALESCE(SUM(total_minor - refunded_minor), 0) FROM orders",
        "SELECT COUNT(*) FROM refunds",
        "SELECT COUNT(*) FROM events",
        "SELECT COUNT(*) FROM customers WHERE merged_into IS NULL",
        "SELECT COUNT(*) FROM identities",
    ];
    let mut before = Vec::new();
    for sql in counts {
        before.push(sql_number(&pool, sql).await);
    }
    assert!(
        before[0] > 0 && before[3] > 0,
        "the demo has orders and events: {before:?}"
    );
    pool.close().await;

    let second = guanxi_cli(&url, &args).await.success();
    assert_ne!(secret(&second), key, "each run prints a new key");
    let pool = sqlite(&url).await;
    for (sql, was) in counts.iter().zip(&before) {
        assert_eq!(
            sql_number(&pool, sql).await,
            *was,
            "{sql} changed on the second run"
        );
    }
    pool.close().await;

    let server = ServeProcess::start(&url).await;
    let customers = list_customers(&server, &key).await;
    assert!(!customers.is_empty());
    assert_eq!(
        customers.len() as i64,
        before[4],
        "the API lists every customer once"
    );
}
