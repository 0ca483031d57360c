//! Events on the customer timeline.

use crate::{MINUTE, T0, customers, event, source};
use guanxi_domain::{EventKind, EventProperties};
use guanxi_store::Store;
use serde_json::json;

pub async fn events_page_newest_first(store: &dyn Store) {
    let web = source(store, "web").await;
    let ids = customers(store, 2, T0).await;
    let (ann, bob) = (ids[0], ids[1]);

    let mut tx = store.begin_write().await.expect("begin");
    let batch: Vec<_> = (0..5)
        .map(|i| event(web.id, &format!("a{i}"), ann, T0 + i * MINUTE))
        .collect();
    tx.insert_events(&batch).await.expect("insert");
    tx.insert_events(&[event(web.id, "b0", bob, T0)])
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    let mut tx = store.begin_write().await.expect("begin");
    let mut identify = event(web.id, "a5", ann, T0 + 10 * MINUTE);
    identify.kind = EventKind::Identify;
    identify.name = None;
    identify.properties = EventProperties::new(EventKind::Identify, &json!({}));
    tx.insert_events(std::slice::from_ref(&identify))
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let first = store.customer_events(ann, None, 4).await.expect("page 1");
    let names: Vec<_> = first.iter().map(|e| e.message_id.as_str()).collect();
    assert_eq!(names, ["a5", "a4", "a3", "a2"]);
    assert!(first.windows(2).all(|w| w[0].id > w[1].id));

    let newest = &first[0];
    assert_eq!(newest.kind, EventKind::Identify);
    assert_eq!(newest.name, None);
    assert_eq!(newest.properties, json!({}));
    assert_eq!(newest.timestamp, T0 + 10 * MINUTE);
    let stored = &first[1];
    let sent = &batch[4];
    assert_eq!(
        (
            stored.source,
            &stored.message_id,
            stored.kind,
            &stored.name,
            &stored.properties,
            stored.timestamp,
            stored.received_at
        ),
        (
            sent.source,
            &sent.message_id,
            sent.kind,
            &sent.name,
            &sent.properties.to_value().expect("stored JSON"),
            sent.timestamp,
            sent.received_at
        ),
        "an event reads back as written"
    );

    let cursor = first.last().expect("a full page").id;
    let second = store
        .customer_events(ann, Some(cursor), 4)
        .await
        .expect("page 2");
    assert_eq!(
        second
            .iter()
            .map(|e| e.message_id.as_str())
            .collect::<Vec<_>>(),
        ["a1", "a0"]
    );
    let cursor = second.last().expect("a page").id;
    assert!(
        store
            .customer_events(ann, Some(cursor), 4)
            .await
            .expect("page 3")
            .is_empty()
    );

    let bobs = store.customer_events(bob, None, 10).await.expect("bob");
    assert_eq!(
        bobs.iter()
            .map(|e| e.message_id.as_str())
            .collect::<Vec<_>>(),
        ["b0"]
    );
    assert!(
        store
            .customer_events(ann, None, 0)
            .await
            .expect("limit 0")
            .is_empty()
    );
}
