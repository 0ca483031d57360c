//! Analytics reads: a period's buyers with their order histories, who did which event, and
//! moves between segments.

use crate::{DAY, T0, customer_with, event, order, source};
use guanxi_domain::{CustomerId, OrderStatus};
use guanxi_store::{NewSegment, Period, SegmentChange, Store};

pub async fn analytics_read_periods_channels_and_moves(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let tmall = source(store, "tmall").await.id;
    let a = customer_with(store, web, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web, &["email:b@shop.cn"], T0).await;
    let c = customer_with(store, web, &["email:c@shop.cn"], T0).await;
    let mut tx = store.begin_write().await.expect("begin");
    let orders = vec![
        (order(web, "a-1", a, OrderStatus::Paid, 100, T0), vec![]),
        (
            order(web, "a-2", a, OrderStatus::Paid, 100, T0 + 10 * DAY),
            vec![],
        ),
        (
            order(tmall, "b-1", b, OrderStatus::Paid, 100, T0 + 11 * DAY),
            vec![],
        ),
        (
            order(web, "b-0", b, OrderStatus::Pending, 100, T0 + 12 * DAY),
            vec![],
        ),
        (
            order(web, "c-1", c, OrderStatus::Paid, 100, T0 + 40 * DAY),
            vec![],
        ),
    ];
    tx.upsert_orders(&orders).await.expect("orders");
    let mut added = event(web, "e-2", b, T0 + 11 * DAY);
    added.name = Some("Product Added".to_owned());
    tx.insert_events(&[
        event(web, "e-1", a, T0 + 10 * DAY),
        event(web, "e-1b", a, T0 + 10 * DAY + 1),
        added,
        event(tmall, "e-3", b, T0 + 11 * DAY),
        event(web, "e-4", c, T0 + 90 * DAY),
    ])
    .await
    .expect("events");
    tx.commit().await.expect("commit");

    // Days 5 to 30: a (day 10) and b (day 11) bought; a's first order is before the period.
    let period = Period {
        from: T0 + 5 * DAY,
        to: T0 + 30 * DAY,
        source: None,
        currency: "CNY".to_owned(),
    };
    let orders = store.period_orders(&period).await.expect("read");
    assert_eq!(orders, vec![(a, T0 + 10 * DAY), (b, T0 + 11 * DAY)]);
    let tmall_only = Period {
        source: Some(tmall),
        ..period.clone()
    };
    assert_eq!(
        store.period_orders(&tmall_only).await.expect("read"),
        vec![(b, T0 + 11 * DAY)]
    );

    let mut reach = store
        .event_reach(&["Product Viewed", "Product Added"], &period)
        .await
        .expect("read");
    reach.sort();
    let names: Vec<(&str, CustomerId)> = reach.iter().map(|(n, c)| (n.as_str(), *c)).collect();
    assert_eq!(
        names,
        vec![
            ("Product Added", b),
            ("Product Viewed", a),
            ("Product Viewed", b)
        ],
        "each customer once per event, c's view is after the period"
    );
    let web_only = Period {
        source: Some(web),
        ..period.clone()
    };
    let reach = store
        .event_reach(&["Product Viewed"], &web_only)
        .await
        .expect("read");
    assert_eq!(reach, vec![("Product Viewed".to_owned(), a)]);

    // What segment rules on events read: every event of a name, by customer and time.
    let facts = store
        .event_facts_between(CustomerId(0), c, &["Product Viewed".to_owned()])
        .await
        .expect("read");
    let seen: Vec<(CustomerId, i64)> = facts.iter().map(|f| (f.customer, f.at)).collect();
    assert_eq!(
        seen,
        vec![
            (a, T0 + 10 * DAY),
            (a, T0 + 10 * DAY + 1),
            (b, T0 + 11 * DAY),
            (c, T0 + 90 * DAY)
        ]
    );
    assert!(facts[0].properties.contains("LJ-250"), "{:?}", facts[0]);
    let of_b = store
        .event_facts_of(&[b], &["Product Added".to_owned()])
        .await
        .expect("read");
    assert_eq!(of_b.len(), 1);

    // a moves from one segment to another on day 20; b only leaves.
    let segment = |key: &str| NewSegment {
        key: key.to_owned(),
        name: key.to_owned(),
        description: String::new(),
        rule: "{}".to_owned(),
        auto_tag: None,
    };
    let new = store
        .create_segment(&segment("new"), T0)
        .await
        .expect("segment")
        .id;
    let repeat = store
        .create_segment(&segment("repeat"), T0)
        .await
        .expect("segment")
        .id;
    let change = |segment: i64, customer: CustomerId, entered: bool| SegmentChange {
        segment,
        customer,
        entered,
    };
    for (changes, at) in [
        (vec![change(new, a, true), change(new, b, true)], T0 + DAY),
        (
            vec![
                change(new, a, false),
                change(repeat, a, true),
                change(new, b, false),
            ],
            T0 + 20 * DAY,
        ),
    ] {
        let mut tx = store.begin_write().await.expect("begin");
        tx.apply_segment_changes(&changes, at).await.expect("apply");
        tx.commit().await.expect("commit");
    }
    let moves = store
        .segment_moves(&[new, repeat], T0, T0 + 30 * DAY)
        .await
        .expect("read");
    assert_eq!(moves, vec![(new, repeat, 1)]);
    assert!(
        store
            .segment_moves(&[new, repeat], T0 + 21 * DAY, T0 + 30 * DAY)
            .await
            .expect("read")
            .is_empty()
    );
}
