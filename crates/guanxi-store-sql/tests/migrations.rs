//! Migrations that reshape tables keep what is stored: a database made by the first migration,
//! with data in it, opens at the latest schema with the same rows, its personal data sealed.

use guanxi_domain::{CustomerId, IdentityKey};
use guanxi_store::{CustomerQuery, CustomerStore};
use guanxi_store_sql::{ConnectOptions, MasterKey, SqlStore};
use sqlx::Connection;
use sqlx::migrate::Migrator;
use std::path::Path;

const MIGRATIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/sqlite");

#[tokio::test]
async fn sqlite_rows_of_the_first_release_open_at_the_latest_schema() {
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
         INSERT INTO customers (id, created_at, updated_at, traits, name_search)
         VALUES (7, 0, 0, '{\"name\":\"Li Na\",\"email\":\"li.na@shop.cn\",\"plan\":\"gold\"}', 'li na');
         INSERT INTO identities (kind, value, customer_id, source_id, created_at)
         VALUES ('email', 'li.na@shop.cn', 7, 1, 0), ('phone', '+8613812345678', 7, 1, 0);
         INSERT INTO events (id, source_id, message_id, customer_id, kind, name, properties, timestamp, received_at)
         VALUES (10, 1, 'm-1', 7, 'track', 'Product Viewed', '{\"sku\":\"LJ-250\"}', 100, 101),
                (11, 1, 'm-2', 7, 'page', NULL, '{}', 200, 201);",
    )
    .execute(&mut conn)
    .await
    .expect("old rows");
    conn.close().await.expect("close");

    let key = MasterKey::parse(&MasterKey::generate()).expect("key");
    let store = SqlStore::connect(&ConnectOptions::new(&url, key))
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

    // Personal data written before sealing existed is sealed on open, and still found.
    let email = IdentityKey::from_stored("email", "li.na@shop.cn").expect("key");
    assert_eq!(
        store.find_by_identity(&email).await.expect("by email"),
        CustomerId(7)
    );
    let found = store
        .search_customers(&CustomerQuery {
            name: Some("LI NA".to_owned()),
            limit: 10,
            ..CustomerQuery::default()
        })
        .await
        .expect("by name");
    assert_eq!(found, [CustomerId(7)]);
    assert_eq!(
        store
            .customer(CustomerId(7))
            .await
            .expect("customer")
            .traits["email"],
        "li.na@shop.cn"
    );
    store.close().await;
    // Not even in free pages or the write-ahead log.
    for path in [file.clone(), dir.path().join("old.db-wal")] {
        let bytes = std::fs::read(&path).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for value in ["li.na@shop.cn", "13812345678", "Li Na", "li na"] {
            assert!(
                !text.contains(value),
                "{value} is still in {}",
                path.display()
            );
        }
    }

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
