//! Migrations that reshape tables keep what is stored: a database made by the first migration,
//! with data in it, opens at the latest schema with the same rows.

use guanxi_domain::CustomerId;
use guanxi_store::CustomerStore;
use guanxi_store_sql::{ConnectOptions, SqlStore};
use sqlx::Connection;
use sqlx::migrate::Migrator;
use std::path::Path;

const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");

#[tokio::test]
async fn sqlite_events_keep_their_rows_when_the_log_loses_its_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("old.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());

    // The schema as the first release left it, with two events of one customer.
    let first = dir.path().join("first");
    std::fs::create_dir(&first).expect("dir");
    std::fs::copy(
        Path::new(MIGRATIONS).join("0001_foundation.sql"),
        first.join("0001_foundation.sql"),
    )
    .expect("copy the first migration");
    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open");
    Migrator::new(first.as_path())
        .await
        .expect("read migrations")
        .run(&mut conn)
        .await
        .expect("first migration");
    sqlx::raw_sql(
        "INSERT INTO sources (id, name, kind, write_key_hash, created_at) VALUES (1, 'web', 'segment', 'h', 0);
         INSERT INTO customers (id, created_at, updated_at) VALUES (7, 0, 0);
         INSERT INTO events (id, source_id, message_id, customer_id, kind, name, properties, timestamp, received_at)
         VALUES (10, 1, 'm-1', 7, 'track', 'Product Viewed', '{\"sku\":\"LJ-250\"}', 100, 101),
                (11, 1, 'm-2', 7, 'page', NULL, '{}', 200, 201);",
    )
    .execute(&mut conn)
    .await
    .expect("old rows");
    conn.close().await.expect("close");

    let store = SqlStore::connect(&ConnectOptions::new(&url))
        .await
        .expect("migrates to the latest schema");
    let events = store
        .customer_events(CustomerId(7), None, 10)
        .await
        .expect("events");
    let kept: Vec<_> = events
        .iter()
        .map(|e| (e.id, e.message_id.as_str(), e.name.as_deref(), e.timestamp))
        .collect();
    assert_eq!(
        kept,
        [
            (11, "m-2", None, 200),
            (10, "m-1", Some("Product Viewed"), 100)
        ]
    );
    assert_eq!(events[1].properties, serde_json::json!({"sku": "LJ-250"}));
    store.close().await;

    let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("reopen");
    let (keys,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM pragma_foreign_key_list('events')")
        .fetch_one(&mut conn)
        .await
        .expect("foreign keys");
    assert_eq!(keys, 0, "the event log has no foreign keys any more");
    let (indexed,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_customer'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("index");
    assert_eq!(indexed, 1, "a customer's events are still indexed");
}
