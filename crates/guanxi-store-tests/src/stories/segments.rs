//! Segments as stored: definitions, entries and exits recorded once whoever records them,
//! members page by page, history, and what the engine reads of people.

use crate::stories::merges::merge;
use crate::{DAY, T0, customer_with, item, order, source};
use guanxi_domain::{CustomerId, OrderStatus};
use guanxi_store::{ItemFilter, NewSegment, SegmentChange, Store, StoreError};

fn new(key: &str, rule: &str) -> NewSegment {
    NewSegment {
        key: key.to_owned(),
        name: format!("Segment {key}"),
        description: String::new(),
        rule: rule.to_owned(),
        auto_tag: None,
    }
}

fn change(segment: i64, customer: CustomerId, entered: bool) -> SegmentChange {
    SegmentChange {
        segment,
        customer,
        entered,
    }
}

async fn apply(store: &dyn Store, changes: &[SegmentChange], at: i64) -> Vec<bool> {
    let mut tx = store.begin_write().await.expect("begin");
    let applied = tx.apply_segment_changes(changes, at).await.expect("apply");
    tx.commit().await.expect("commit");
    applied
}

pub async fn segments_record_members_and_history(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let a = customer_with(store, web, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web, &["email:b@shop.cn"], T0).await;

    let vip = store
        .create_segment(&new("vip", r#"{"tag":"vip"}"#), T0)
        .await
        .expect("create");
    assert_eq!((vip.key.as_str(), vip.members), ("vip", 0));
    match store.create_segment(&new("vip", "{}"), T0).await {
        Err(StoreError::Conflict(field)) => assert_eq!(field, "key"),
        other => panic!("a taken key must conflict: {other:?}"),
    }
    let lapsed = store
        .create_segment(
            &new("lapsed", r#"{"field":"orders","op":">","value":0}"#),
            T0,
        )
        .await
        .expect("create");

    // Entering twice records once (another server got there first); so does leaving.
    let applied = apply(
        store,
        &[
            change(vip.id, a, true),
            change(vip.id, b, true),
            change(vip.id, a, true),
        ],
        T0 + DAY,
    )
    .await;
    assert_eq!(applied, vec![true, true, false]);
    // In one write: b leaves, then comes back; a joins the second segment.
    let applied = apply(
        store,
        &[
            change(vip.id, b, false),
            change(vip.id, b, false),
            change(vip.id, b, true),
            change(lapsed.id, a, true),
        ],
        T0 + 2 * DAY,
    )
    .await;
    assert_eq!(applied, vec![true, false, true, true]);
    assert_eq!(store.segment(vip.id).await.expect("read").members, 2);

    let page = store
        .segment_members(vip.id, CustomerId(0), 1)
        .await
        .expect("members");
    assert_eq!(page, vec![(a, T0 + DAY)]);
    let rest = store.segment_members(vip.id, a, 10).await.expect("members");
    assert_eq!(
        rest,
        vec![(b, T0 + 2 * DAY)],
        "b's current spell began on day 2"
    );

    let history = store.customer_segment_history(b).await.expect("history");
    let spells: Vec<_> = history
        .iter()
        .map(|s| (s.key.as_str(), s.entered_at, s.left_at))
        .collect();
    assert_eq!(
        spells,
        vec![
            ("vip", T0 + 2 * DAY, None),
            ("vip", T0 + DAY, Some(T0 + 2 * DAY))
        ]
    );
    let of_a = store.customer_segments(a).await.expect("segments");
    let keys: Vec<_> = of_a.iter().map(|(_, key, _)| key.as_str()).collect();
    assert_eq!(keys, vec!["lapsed", "vip"]);

    // Renaming keeps the key and the members; deleting takes members and history with it, and
    // a late entry into a deleted segment records nothing.
    let mut edit = new("ignored", r#"{"tag":"VIP"}"#);
    edit.auto_tag = Some("贵宾".to_owned());
    let renamed = store
        .update_segment(vip.id, &edit, T0 + 3 * DAY)
        .await
        .expect("update");
    assert_eq!(renamed.auto_tag.as_deref(), Some("贵宾"));
    assert_eq!(
        (renamed.key.as_str(), renamed.rule.as_str()),
        ("vip", r#"{"tag":"VIP"}"#)
    );
    assert_eq!(renamed.members, 2);
    store.delete_segment(vip.id).await.expect("delete");
    assert!(matches!(
        store.segment(vip.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete_segment(vip.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        apply(store, &[change(vip.id, a, true)], T0 + 4 * DAY).await,
        vec![false]
    );
    assert_eq!(
        store.customer_segment_history(b).await.expect("history"),
        vec![]
    );
    let keys: Vec<_> = store
        .segments()
        .await
        .expect("list")
        .into_iter()
        .map(|s| s.key)
        .collect();
    assert_eq!(keys, vec!["lapsed"]);
}

pub async fn people_facts_leave_out_the_merged_away(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let a = customer_with(store, web, &["email:a@shop.cn", "phone:13812345678"], T0).await;
    let b = customer_with(store, web, &["wechat_openid:o-1"], T0).await;
    let c = customer_with(store, web, &["email:c@shop.cn"], T0).await;
    let mut tx = store.begin_write().await.expect("begin");
    tx.add_tags(a, &["vip".to_owned(), "茶".to_owned()])
        .await
        .expect("tags");
    tx.commit().await.expect("commit");
    merge(store, c, b, "test", T0 + DAY).await;

    let people = store
        .person_facts_between(CustomerId(0), c)
        .await
        .expect("read");
    let seen: Vec<_> = people
        .iter()
        .map(|p| {
            let mut kinds = p.kinds.clone();
            kinds.sort();
            let mut tags = p.tags.clone();
            tags.sort();
            (p.customer, kinds, tags)
        })
        .collect();
    let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        seen,
        vec![
            (a, strings(&["email", "phone"]), strings(&["vip", "茶"])),
            (b, strings(&["email", "wechat_openid"]), vec![]),
        ],
        "c was merged into b, whose identities it now holds"
    );
    let some = store.person_facts_of(&[c, a]).await.expect("read");
    assert_eq!(some.iter().map(|p| p.customer).collect::<Vec<_>>(), vec![a]);
}

pub async fn item_facts_find_the_orders_holding_an_item(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let a = customer_with(store, web, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web, &["email:b@shop.cn"], T0).await;
    let silk = |sku: &str| {
        let mut line = item(sku, 1, 100);
        line.category = Some("silk".to_owned());
        line
    };
    let mut tx = store.begin_write().await.expect("begin");
    let orders = vec![
        (
            order(web, "o-1", a, OrderStatus::Paid, 300, T0),
            vec![silk("S-1"), silk("S-2"), item("T-1", 1, 100)],
        ),
        (
            order(web, "o-2", a, OrderStatus::Paid, 100, T0 + DAY),
            vec![item("T-1", 1, 100)],
        ),
        (
            order(web, "o-3", a, OrderStatus::Pending, 100, T0 + 2 * DAY),
            vec![silk("S-1")],
        ),
        (
            order(web, "o-4", b, OrderStatus::Paid, 100, T0 + 3 * DAY),
            vec![silk("S-3")],
        ),
    ];
    tx.upsert_orders(&orders).await.expect("orders");
    tx.commit().await.expect("commit");

    let filter = ItemFilter {
        skus: vec!["T-1".to_owned()],
        categories: vec!["silk".to_owned()],
    };
    let facts = store
        .item_facts_between(CustomerId(0), b, &filter, "CNY")
        .await
        .expect("read");
    let seen: Vec<_> = facts
        .iter()
        .map(|f| (f.customer, f.at, f.sku.as_str(), f.category.as_deref()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (a, T0, "S-1", Some("silk")),
            (a, T0, "S-2", Some("silk")),
            (a, T0, "T-1", Some("tea")),
            (a, T0 + DAY, "T-1", Some("tea")),
            (b, T0 + 3 * DAY, "S-3", Some("silk")),
        ],
        "lines of counted orders only, by customer and time"
    );
    let of_b = store
        .item_facts_of(&[b], &filter, "CNY")
        .await
        .expect("read");
    assert_eq!(of_b.len(), 1);
    let none = store
        .item_facts_of(&[a], &ItemFilter::default(), "CNY")
        .await
        .expect("read");
    assert!(none.is_empty());

    // What the recommender reads: products bought, newest first.
    let lines = store
        .product_lines_between(CustomerId(0), b)
        .await
        .expect("read");
    let seen: Vec<_> = lines.iter().map(|l| (l.customer, l.sku.as_str())).collect();
    assert_eq!(seen[0], (a, "T-1"), "a's newest first: {seen:?}");
    assert_eq!(seen.len(), 5, "the pending order is left out: {seen:?}");
    assert_eq!(seen[4], (b, "S-3"));
    let owned = store.customer_products(a).await.expect("read");
    assert_eq!(owned, vec!["T-1", "S-1", "S-2"]);
}
