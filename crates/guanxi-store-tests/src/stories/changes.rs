//! The change feed replicas follow.

use crate::{T0, customers};
use guanxi_store::{Change, ChangeKind, Store};

pub async fn changes_come_back_in_order(store: &dyn Store) {
    assert!(
        store
            .changes_after(0, 100)
            .await
            .expect("empty feed")
            .is_empty()
    );
    let ids = customers(store, 2, T0).await;
    let (ann, bob) = (ids[0], ids[1]);

    let mut tx = store.begin_write().await.expect("begin");
    tx.append_changes(
        &[
            Change {
                customer: ann,
                kind: ChangeKind::Created,
            },
            Change {
                customer: bob,
                kind: ChangeKind::Created,
            },
            Change {
                customer: ann,
                kind: ChangeKind::Order,
            },
        ],
        T0,
    )
    .await
    .expect("append");
    assert!(
        store.changes_after(0, 100).await.expect("feed").is_empty(),
        "nothing before commit"
    );
    tx.commit().await.expect("commit");

    let mut dropped = store.begin_write().await.expect("begin");
    dropped
        .append_changes(
            &[Change {
                customer: bob,
                kind: ChangeKind::Tags,
            }],
            T0,
        )
        .await
        .expect("append");
    drop(dropped);

    let mut tx = store.begin_write().await.expect("begin");
    tx.append_changes(
        &[Change {
            customer: bob,
            kind: ChangeKind::Merged,
        }],
        T0 + 1,
    )
    .await
    .expect("append");
    tx.commit().await.expect("commit");

    let feed = store.changes_after(0, 100).await.expect("feed");
    let seen: Vec<_> = feed
        .iter()
        .map(|c| (c.customer, c.kind.as_str(), c.at))
        .collect();
    assert_eq!(
        seen,
        [
            (ann, "created", T0),
            (bob, "created", T0),
            (ann, "order", T0),
            (bob, "merged", T0 + 1)
        ]
    );
    assert!(
        feed.windows(2).all(|w| w[0].seq < w[1].seq),
        "seq increases"
    );

    // Following the feed: resume after the last seen seq, in pages.
    let page = store.changes_after(0, 2).await.expect("page");
    assert_eq!(page, feed[..2]);
    let rest = store.changes_after(page[1].seq, 100).await.expect("rest");
    assert_eq!(rest, feed[2..]);
    assert!(
        store
            .changes_after(feed[3].seq, 100)
            .await
            .expect("caught up")
            .is_empty()
    );
}
