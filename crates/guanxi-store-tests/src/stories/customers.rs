//! Creating customers and attaching identities inside write transactions.

use crate::{MINUTE, T0, assert_not_found, customers, key, source, traits};
use guanxi_domain::IdentityKind;
use guanxi_store::Store;
use serde_json::json;

pub async fn ids_are_distinct_and_increasing(store: &dyn Store) {
    let first = customers(store, 3, T0).await;
    let mut tx = store.begin_write().await.expect("begin");
    let second = tx.create_customers(2, T0).await.expect("create");
    let third = tx
        .create_customers(1, T0)
        .await
        .expect("create again in the same transaction");
    assert!(
        tx.create_customers(0, T0)
            .await
            .expect("create none")
            .is_empty()
    );
    tx.commit().await.expect("commit");

    let all: Vec<_> = first.iter().chain(&second).chain(&third).copied().collect();
    assert_eq!(all.len(), 6);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ids increase: {all:?}");
    for id in &all {
        let record = store
            .customer(*id)
            .await
            .expect("every created customer exists");
        assert_eq!(record.id, *id);
        assert_eq!(record.created_at, T0);
        assert!(record.traits.is_empty());
    }
    assert_eq!(count(store, "customers").await, 6);
}

pub async fn identities_attach_and_resolve(store: &dyn Store) {
    let web = source(store, "web").await;
    let mut tx = store.begin_write().await.expect("begin");
    let ids = tx.create_customers(2, T0).await.expect("create");
    let (ann, bob) = (ids[0], ids[1]);
    let attached = [
        (key("email:Ann@Shop.cn"), ann, web.id),
        (key("anonymous_id:a-1"), ann, web.id),
        (key("phone:13912345678"), ann, web.id),
        (key("user_id:web:42"), bob, web.id),
    ];
    tx.attach_identities(&attached, T0).await.expect("attach");
    // Attaching again (a retried batch) changes nothing.
    tx.attach_identities(&attached[..1], T0 + MINUTE)
        .await
        .expect("attach again");

    // The transaction reads its own writes.
    let mut owners = tx
        .identity_owners(&[
            key("email:ann@shop.cn"),
            key("user_id:web:42"),
            key("email:nobody@shop.cn"),
        ])
        .await
        .expect("owners");
    owners.sort();
    let mut expected = vec![
        (key("email:ann@shop.cn"), ann),
        (key("user_id:web:42"), bob),
    ];
    expected.sort();
    assert_eq!(owners, expected, "unknown identities have no owner");

    let mut limited = tx.limited_identities(&[ann, bob]).await.expect("limited");
    limited.sort();
    let mut expected = vec![
        (ann, key("email:ann@shop.cn")),
        (ann, key("phone:13912345678")),
        (bob, key("user_id:web:42")),
    ];
    expected.sort();
    assert_eq!(
        limited, expected,
        "anonymous ids have no limit and are left out"
    );
    assert!(
        limited
            .iter()
            .all(|(_, k)| *k.kind() != IdentityKind::AnonymousId)
    );

    // Nothing is visible to readers before commit.
    assert_not_found(store.customer(ann).await, "uncommitted customer");
    assert_not_found(
        store.find_by_identity(&key("email:ann@shop.cn")).await,
        "uncommitted identity",
    );
    tx.commit().await.expect("commit");

    assert_eq!(
        store
            .find_by_identity(&key("email:ann@shop.cn"))
            .await
            .expect("find"),
        ann
    );
    assert_eq!(
        store
            .find_by_identity(&key("user_id:web:42"))
            .await
            .expect("find"),
        bob
    );
    // The same value under another kind or another source scope is someone else.
    assert_not_found(
        store.find_by_identity(&key("user_id:app:42")).await,
        "other scope",
    );
    assert_not_found(
        store.find_by_identity(&key("external:web:42")).await,
        "other kind",
    );
    let mut held = store.customer_identities(ann).await.expect("identities");
    held.sort();
    let mut expected = vec![
        key("email:ann@shop.cn"),
        key("anonymous_id:a-1"),
        key("phone:13912345678"),
    ];
    expected.sort();
    assert_eq!(held, expected);
}

pub async fn traits_round_trip(store: &dyn Store) {
    let id = customers(store, 1, T0).await[0];
    let profile = traits(json!({
        "name": "王芳", "vip": true, "points": 1200, "address": { "city": "杭州" }, "tags": ["a", "b"]
    }));
    let mut tx = store.begin_write().await.expect("begin");
    tx.set_traits(&[(id, profile.clone())], T0 + MINUTE)
        .await
        .expect("set traits");
    assert_eq!(
        tx.customer_traits(&[id]).await.expect("read in tx"),
        vec![(id, profile.clone())]
    );
    assert_eq!(
        store.customer(id).await.expect("customer").traits,
        traits(json!({})),
        "not before commit"
    );
    tx.commit().await.expect("commit");

    let record = store.customer(id).await.expect("customer");
    assert_eq!(record.traits, profile);
    assert_eq!(record.updated_at, T0 + MINUTE);
    assert_eq!(record.created_at, T0);
}

pub async fn dropped_transactions_leave_nothing(store: &dyn Store) {
    let web = source(store, "web").await;
    let kept = customers(store, 1, T0).await[0];
    {
        let mut tx = store.begin_write().await.expect("begin");
        let gone = tx.create_customers(2, T0).await.expect("create");
        tx.attach_identities(&[(key("email:ghost@shop.cn"), gone[0], web.id)], T0)
            .await
            .expect("attach");
        tx.add_tags(kept, &["ghost".to_owned()]).await.expect("tag");
        tx.set_traits(&[(kept, traits(json!({ "name": "Ghost" })))], T0)
            .await
            .expect("traits");
        // Dropped without commit: a failed batch.
    }
    assert_not_found(
        store.find_by_identity(&key("email:ghost@shop.cn")).await,
        "rolled-back identity",
    );
    assert!(store.customer_tags(kept).await.expect("tags").is_empty());
    assert!(
        store
            .customer(kept)
            .await
            .expect("customer")
            .traits
            .is_empty()
    );
    assert_eq!(count(store, "customers").await, 1);

    // The store is usable afterwards and the next transaction commits normally.
    let next = customers(store, 1, T0).await[0];
    assert!(next > kept);
    assert_eq!(count(store, "customers").await, 2);
}

/// Batches bigger than one multi-row statement behave like small ones.
pub async fn large_batches(store: &dyn Store) {
    const N: usize = 1_234;
    let web = source(store, "web").await;
    let mut tx = store.begin_write().await.expect("begin");
    let ids = tx.create_customers(N, T0).await.expect("create");
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let attached: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (key(&format!("anonymous_id:v{i}")), *id, web.id))
        .collect();
    tx.attach_identities(&attached, T0).await.expect("attach");
    let wanted: Vec<_> = attached.iter().map(|(k, _, _)| k.clone()).collect();
    let mut owners = tx.identity_owners(&wanted).await.expect("owners");
    owners.sort_by_key(|(_, id)| *id);
    assert_eq!(
        owners,
        attached
            .iter()
            .map(|(k, id, _)| (k.clone(), *id))
            .collect::<Vec<_>>()
    );
    let events: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| crate::event(web.id, &format!("m{i}"), *id, T0))
        .collect();
    tx.insert_events(&events).await.expect("events");
    tx.commit().await.expect("commit");

    assert_eq!(count(store, "customers").await, N as i64);
    assert_eq!(count(store, "identities").await, N as i64);
    assert_eq!(count(store, "events").await, N as i64);
    let last = *ids.last().expect("ids");
    assert_eq!(
        store
            .find_by_identity(&key(&format!("anonymous_id:v{}", N - 1)))
            .await
            .expect("find"),
        last
    );
    assert_eq!(
        store.customer_events(last, None, 10).await.expect("events")[0].message_id,
        format!("m{}", N - 1)
    );
}

/// One of `table_counts`.
pub async fn count(store: &dyn Store, table: &str) -> i64 {
    let counts = store.table_counts().await.expect("table counts");
    counts
        .iter()
        .find(|(name, _)| *name == table)
        .map(|(_, n)| *n)
        .unwrap_or_else(|| panic!("table_counts lists {table}: {counts:?}"))
}
