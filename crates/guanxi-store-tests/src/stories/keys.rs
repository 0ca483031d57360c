//! Sources and API keys.

use crate::{TestDb, assert_not_found};
use guanxi_store::{NewApiKey, NewSource, Store, StoreError};

pub async fn sources(store: &dyn Store) {
    let shop = store
        .create_source(&NewSource {
            name: "shopify-main".to_owned(),
            kind: "shopify".to_owned(),
            write_key_hash: "aa11".to_owned(),
            webhook_secret: Some("shpss_secret".to_owned()),
        })
        .await
        .expect("create a source");
    assert_eq!(shop.name, "shopify-main");
    assert_eq!(shop.kind, "shopify");
    assert_eq!(shop.webhook_secret.as_deref(), Some("shpss_secret"));
    assert!(shop.created_at > 0, "created_at is set");

    let web = store
        .create_source(&NewSource {
            name: "web".to_owned(),
            kind: "segment".to_owned(),
            write_key_hash: "bb22".to_owned(),
            webhook_secret: None,
        })
        .await
        .expect("create a second source");
    assert_ne!(web.id, shop.id);

    assert_eq!(
        store.source_by_name("shopify-main").await.expect("by name"),
        shop
    );
    assert_eq!(
        store
            .source_by_write_key("bb22")
            .await
            .expect("by write key"),
        web
    );
    assert_eq!(
        store.list_sources().await.expect("list"),
        vec![shop.clone(), web.clone()]
    );

    let same_name = NewSource {
        name: "web".to_owned(),
        kind: "segment".to_owned(),
        write_key_hash: "cc33".to_owned(),
        webhook_secret: None,
    };
    match store.create_source(&same_name).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a duplicate source name must conflict, got {other:?}"),
    }
    let same_key = NewSource {
        name: "other".to_owned(),
        write_key_hash: "bb22".to_owned(),
        ..same_name
    };
    match store.create_source(&same_key).await {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a duplicate write key must conflict, got {other:?}"),
    }
    assert_eq!(
        store.list_sources().await.expect("list").len(),
        2,
        "conflicts store nothing"
    );

    assert_not_found(store.source_by_name("nope").await, "unknown source name");
    assert_not_found(store.source_by_write_key("ffff").await, "unknown write key");
    // Case matters: names and hashes are exact.
    assert_not_found(store.source_by_name("WEB").await, "source names are exact");
}

pub async fn api_keys(db: &TestDb) {
    let store: &dyn Store = &db.store;
    let scopes = vec![
        "customers:read".to_owned(),
        "orders:write".to_owned(),
        "pii:reveal".to_owned(),
    ];
    let key = store
        .create_api_key(&NewApiKey {
            name: "ERP sync".to_owned(),
            key_hash: "k1".to_owned(),
            scopes: scopes.clone(),
        })
        .await
        .expect("create an API key");
    assert_eq!(key.name, "ERP sync");
    assert_eq!(key.scopes, scopes);

    let found = store.api_key_by_hash("k1").await.expect("find by hash");
    assert_eq!(found, key);

    let bare = store
        .create_api_key(&NewApiKey {
            name: "no scopes".to_owned(),
            key_hash: "k2".to_owned(),
            scopes: vec![],
        })
        .await
        .expect("create a key without scopes");
    assert!(
        store
            .api_key_by_hash("k2")
            .await
            .expect("find")
            .scopes
            .is_empty()
    );
    assert_ne!(bare.id, key.id);

    match store
        .create_api_key(&NewApiKey {
            name: "again".to_owned(),
            key_hash: "k1".to_owned(),
            scopes: vec![],
        })
        .await
    {
        Err(StoreError::Conflict(_)) => {}
        other => panic!("a duplicate key hash must conflict, got {other:?}"),
    }
    assert_not_found(store.api_key_by_hash("unknown").await, "unknown API key");

    let listed = store.list_api_keys().await.expect("list");
    assert_eq!(listed, [bare.clone(), key.clone()], "newest first");

    // A revoked key stops working at once, stays listed, and cannot be revoked twice.
    store.revoke_api_key(key.id, 1_000).await.expect("revoke");
    assert_not_found(store.api_key_by_hash("k1").await, "revoked API key");
    let listed = store.list_api_keys().await.expect("list");
    assert_eq!(listed[1].revoked_at, Some(1_000));
    assert_eq!(listed[0].revoked_at, None);
    assert_not_found(store.revoke_api_key(key.id, 2_000).await, "revoked twice");
    assert_not_found(
        store.revoke_api_key(key.id + 100, 2_000).await,
        "unknown key",
    );
    assert_eq!(
        store
            .api_key_by_hash("k2")
            .await
            .expect("other keys still work"),
        bare
    );
}
