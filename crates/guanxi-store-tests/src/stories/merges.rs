//! Merging customers: everything moves to the survivor and merged-away ids keep resolving.

use crate::stories::customers::count;
use crate::{DAY, T0, customer_with, event, item, key, order, source, traits};
use guanxi_domain::resolution::MergeDecision;
use guanxi_domain::{CustomerId, OrderStatus};
use guanxi_store::{CustomerQuery, Store};
use serde_json::json;

pub(crate) async fn merge(
    store: &dyn Store,
    from: CustomerId,
    into: CustomerId,
    reason: &str,
    at: i64,
) {
    let mut tx = store.begin_write().await.expect("begin");
    let decision = MergeDecision {
        from,
        into,
        reason: reason.to_owned(),
    };
    tx.merge_customer(&decision, at).await.expect("merge");
    tx.commit().await.expect("commit");
}

pub async fn merge_moves_everything(store: &dyn Store) {
    let web = source(store, "web").await;
    let a = customer_with(
        store,
        web.id,
        &["email:a@shop.cn", "anonymous_id:anon-a"],
        T0,
    )
    .await;
    let b = customer_with(store, web.id, &["email:b@shop.cn"], T0).await;

    let mut tx = store.begin_write().await.expect("begin");
    tx.set_traits(
        &[
            (a, traits(json!({ "name": "Ann", "city": "Hangzhou" }))),
            (b, traits(json!({ "name": "Annie", "vip": true }))),
        ],
        T0,
    )
    .await
    .expect("traits");
    tx.add_tags(a, &["vip".to_owned(), "tea".to_owned()])
        .await
        .expect("tags");
    tx.add_tags(b, &["tea".to_owned()]).await.expect("tags");
    tx.insert_events(&[event(web.id, "m-a", a, T0), event(web.id, "m-b", b, T0 + 1)])
        .await
        .expect("events");
    tx.upsert_order(
        &order(web.id, "o-a", a, OrderStatus::Paid, 5000, T0),
        &[item("LJ", 1, 5000)],
    )
    .await
    .expect("order");
    tx.commit().await.expect("commit");

    merge(store, a, b, "email", T0 + DAY).await;

    let survivor = store
        .customer(a)
        .await
        .expect("a merged-away id still answers");
    assert_eq!(survivor.id, b);
    assert_eq!(
        survivor.traits,
        traits(json!({ "name": "Annie", "vip": true, "city": "Hangzhou" })),
        "the survivor's values win; the merged customer fills the gaps"
    );
    assert_eq!(
        store
            .find_by_identity(&key("email:a@shop.cn"))
            .await
            .expect("find"),
        b
    );
    assert_eq!(
        store
            .find_by_identity(&key("anonymous_id:anon-a"))
            .await
            .expect("find"),
        b
    );
    let mut ids = store.customer_identities(b).await.expect("identities");
    ids.sort();
    let mut expected = vec![
        key("email:a@shop.cn"),
        key("anonymous_id:anon-a"),
        key("email:b@shop.cn"),
    ];
    expected.sort();
    assert_eq!(ids, expected);
    assert!(
        store
            .customer_identities(a)
            .await
            .expect("identities")
            .is_empty()
    );

    let events = store.customer_events(b, None, 10).await.expect("events");
    let mut messages: Vec<_> = events.iter().map(|e| e.message_id.as_str()).collect();
    messages.sort_unstable();
    assert_eq!(messages, ["m-a", "m-b"]);
    let orders = store.customer_orders(b, None, 10).await.expect("orders");
    assert_eq!(
        orders
            .iter()
            .map(|o| o.external_id.as_str())
            .collect::<Vec<_>>(),
        ["o-a"]
    );
    assert_eq!(
        store
            .customer_stats(b, "CNY")
            .await
            .expect("stats")
            .total_spent,
        5000
    );
    assert_eq!(store.customer_tags(b).await.expect("tags"), ["tea", "vip"]);
    assert!(store.customer_tags(a).await.expect("tags").is_empty());

    // Merged-away customers are never listed, and are not counted as customers.
    let all = store
        .search_customers(&CustomerQuery {
            limit: 10,
            ..CustomerQuery::default()
        })
        .await
        .expect("search");
    assert_eq!(all, vec![b]);
    assert_eq!(count(store, "customers").await, 1);
    assert_eq!(count(store, "merges").await, 1);

    // The 360 read in one call, asked by the merged-away id, equals the parts read one by one.
    let profile = store.customer_profile(a, "CNY").await.expect("profile");
    assert_eq!(profile.record, store.customer(b).await.expect("customer"));
    assert_eq!(
        profile.stats,
        store.customer_stats(b, "CNY").await.expect("stats")
    );
    assert_eq!(profile.tags, ["tea", "vip"]);
    let mut identities = profile.identities.clone();
    identities.sort();
    assert_eq!(identities, expected);
    assert_eq!(
        profile.merges,
        store.customer_merges(b).await.expect("merges")
    );
    assert_eq!(profile.merges.len(), 1);
    assert!(matches!(
        store.customer_profile(CustomerId(999_999), "CNY").await,
        Err(guanxi_store::StoreError::NotFound(_))
    ));
}

pub async fn merges_compress_paths(store: &dyn Store) {
    let web = source(store, "web").await;
    let a = customer_with(store, web.id, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web.id, &["email:b@shop.cn"], T0).await;
    let c = customer_with(store, web.id, &["phone:13912345678"], T0).await;

    merge(store, a, b, "email", T0 + DAY).await;
    merge(store, b, c, "phone", T0 + 2 * DAY).await;

    for id in [a, b, c] {
        assert_eq!(
            store.customer(id).await.expect("customer").id,
            c,
            "{id:?} answers the final survivor"
        );
    }
    assert_eq!(
        store
            .find_by_identity(&key("email:a@shop.cn"))
            .await
            .expect("find"),
        c
    );
    assert_eq!(
        store
            .customer_identities(c)
            .await
            .expect("identities")
            .len(),
        3
    );

    let history = store.customer_merges(c).await.expect("merges");
    let reasons: Vec<_> = history
        .iter()
        .map(|m| (m.from, m.into, m.reason.as_str(), m.at))
        .collect();
    assert_eq!(
        reasons,
        [(a, b, "email", T0 + DAY), (b, c, "phone", T0 + 2 * DAY)],
        "the survivor's history lists every merge that folded into it"
    );
    let of_a = store
        .customer_merges(a)
        .await
        .expect("merges of a merged-away id");
    assert!(of_a.iter().any(|m| m.from == a && m.into == b));

    // Merging the final survivor away once more still resolves in one step.
    let d = customer_with(store, web.id, &["email:d@shop.cn"], T0).await;
    merge(store, c, d, "email", T0 + 3 * DAY).await;
    assert_eq!(store.customer(a).await.expect("customer").id, d);
    assert_eq!(store.customer_merges(d).await.expect("merges").len(), 3);
}

/// Look-ups follow merges the same writer made: in a later transaction, and inside the
/// transaction that merged.
pub async fn owners_follow_merges(store: &dyn Store) {
    let web = source(store, "web").await;
    let a = customer_with(store, web.id, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web.id, &["email:b@shop.cn"], T0).await;
    let c = customer_with(store, web.id, &["email:c@shop.cn"], T0).await;
    let owner_of = |lookup: &str| vec![(key(lookup), a)];

    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(
        tx.identity_owners(&[key("email:a@shop.cn")])
            .await
            .expect("owners"),
        owner_of("email:a@shop.cn")
    );
    tx.commit().await.expect("commit");

    merge(store, a, b, "test", T0 + DAY).await;
    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(
        tx.identity_owners(&[key("email:a@shop.cn")])
            .await
            .expect("owners"),
        vec![(key("email:a@shop.cn"), b)],
        "a committed merge is followed"
    );
    tx.merge_customer(
        &MergeDecision {
            from: b,
            into: c,
            reason: "test".into(),
        },
        T0 + DAY,
    )
    .await
    .expect("merge");
    assert_eq!(
        tx.identity_owners(&[key("email:a@shop.cn"), key("email:b@shop.cn")])
            .await
            .expect("owners"),
        vec![(key("email:a@shop.cn"), c), (key("email:b@shop.cn"), c)],
        "a merge of this transaction is followed"
    );
    tx.commit().await.expect("commit");
}
