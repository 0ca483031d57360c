//! Personal data at rest: what the API takes in is unreadable in the database files, still
//! found by exact phone, e-mail and name, and `guanxi secret rotate` moves it to new keys.

use crate::helpers::{TestApp, guanxi_cli, guanxi_cli_with};
use guanxi::{App, Config};
use guanxi_domain::{CustomerId, DefaultRegion, IdentityKey};
use guanxi_store::CustomerStore;
use reqwest::StatusCode;
use serde_json::json;
use std::path::Path;

const PERSONAL: [&str; 5] = [
    "li.na@shop.cn",
    "13812345678",
    "Li Na",
    "南京路",
    "13900001111",
];

/// Every byte of the database and its write-ahead log, as text.
fn database_files(dir: &Path, name: &str) -> String {
    [name.to_owned(), format!("{name}-wal")]
        .iter()
        .map(|file| {
            String::from_utf8_lossy(&std::fs::read(dir.join(file)).unwrap_or_default()).into_owned()
        })
        .collect()
}

#[tokio::test]
async fn personal_data_from_the_api_is_unreadable_in_the_database_files() {
    let app = TestApp::spawn().await;
    let batch = json!({"batch": [
        {"type": "identify", "userId": "c-1", "traits": {
            "name": "Li Na", "email": "li.na@shop.cn", "phone": "13812345678",
            "address": {"street": "南京路 1 号", "city": "上海"}, "plan": "gold"}},
        {"type": "track", "userId": "c-1", "event": "Order Shipped",
         "properties": {"order_id": "o-1", "receiver_phone": "13900001111"}}
    ]});
    let (status, body) = app.segment("/v1/batch", &batch).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Found by exact phone, e-mail and whole name; shown whole to a key that may reveal.
    for query in ["phone=13812345678", "email=LI.NA%40shop.cn"] {
        let (status, body) = app
            .get(&format!("/api/v1/customers/lookup?reveal=true&{query}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["traits"]["email"], "li.na@shop.cn", "{body}");
        assert_eq!(body["traits"]["address"]["street"], "南京路 1 号", "{body}");
    }
    let (_, found) = app.get("/api/v1/customers?q=li%20na").await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1), "{found}");

    let stored = database_files(app.dir.path(), "guanxi.db");
    app.stop().await;
    for value in PERSONAL {
        assert!(
            !stored.contains(value),
            "{value} is readable in the database files"
        );
    }
    assert!(stored.contains("gold"), "what is not personal stays plain");
}

#[tokio::test]
async fn secret_rotate_reseals_everything_and_replaces_the_key_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/g.db", dir.path().display());
    let key_file = dir.path().join("g.db.key");
    guanxi_cli(&url, &["demo", "--customers", "50", "--seed", "7"])
        .await
        .success();
    let first_key = std::fs::read_to_string(&key_file).expect("the key file");

    // A new data key, the same secret.
    let rotated = guanxi_cli(&url, &["secret", "rotate"]).await.success();
    assert!(rotated.stdout.contains("Re-sealed"), "{}", rotated.stdout);
    assert_eq!(std::fs::read_to_string(&key_file).expect("kept"), first_key);

    // A new secret, read from stdin, replaces the key file.
    let new_key = guanxi_cli(&url, &["secret", "generate"])
        .await
        .success()
        .last_line()
        .to_owned();
    let rotated = guanxi_cli_with(
        &url,
        &["secret", "rotate", "--new-secret-stdin"],
        &new_key,
        &[],
    )
    .await
    .success();
    assert!(rotated.stdout.contains("g.db.key"), "{}", rotated.stdout);
    assert_eq!(
        std::fs::read_to_string(&key_file).expect("replaced").trim(),
        new_key
    );
    let kept = std::fs::read_to_string(dir.path().join("g.db.key.old")).expect("the old key");
    assert_eq!(kept, first_key, "kept for older backups");
    assert!(!dir.path().join("g.db.key.new").exists());
    let old_secret = [("GUANXI_SECRET_KEY", first_key.trim())];
    let refused = guanxi_cli_with(&url, &["source", "list"], "", &old_secret)
        .await
        .failure();
    assert!(
        refused.stderr.contains("secret key"),
        "the old secret is refused: {}",
        refused.stderr
    );

    // Everything reads with the new key file.
    let app = App::build(&Config {
        database_url: url.clone(),
        ..Config::default()
    })
    .await
    .expect("opens with the new key");
    let customer = app.store.customer(CustomerId(1)).await.expect("customer");
    assert!(
        customer.traits.contains_key("name"),
        "{:?}",
        customer.traits.keys()
    );
    let identities = app
        .store
        .customer_identities(CustomerId(1))
        .await
        .expect("identities");
    let phone = identities
        .iter()
        .find(|k| k.kind().name() == "phone")
        .expect("the demo customer has a phone")
        .clone();
    let lookup = IdentityKey::parse_lookup(
        &format!("phone:{}", phone.value()),
        DefaultRegion::default(),
    )
    .expect("lookup");
    assert_eq!(
        app.store.find_by_identity(&lookup).await.expect("found"),
        CustomerId(1)
    );
    app.shutdown().await;
}
