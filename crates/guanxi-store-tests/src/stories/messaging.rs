//! Messaging as stored: consent survives merges (an unsubscribe wins), suppression lists find
//! addresses by blind index, and one delivery per (origin, customer) is queued, claimed once,
//! and finished.

use crate::stories::merges::merge;
use crate::{DAY, MINUTE, T0, customer_with, source};
use guanxi_domain::messaging::{Channel, Consent, ConsentStatus, DeliveryStatus};
use guanxi_domain::{CustomerId, IdentityKind};
use guanxi_store::{DeliveryUpdate, NewDelivery, Store};

fn consent(status: ConsentStatus, source: &str, at: i64) -> Consent {
    Consent {
        channel: Channel::Email,
        status,
        source: source.to_owned(),
        at,
    }
}

pub async fn consent_survives_merges(store: &dyn Store) {
    let web = source(store, "web").await;
    let a = customer_with(store, web.id, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web.id, &["email:b@shop.cn"], T0).await;
    store
        .set_consent(a, &consent(ConsentStatus::Subscribed, "checkout", T0))
        .await
        .expect("a");
    store
        .set_consent(
            b,
            &consent(ConsentStatus::Unsubscribed, "unsubscribe_link", T0 + DAY),
        )
        .await
        .expect("b");
    assert_eq!(
        store.subscribed(Channel::Email).await.expect("subscribed"),
        vec![a]
    );
    merge(store, b, a, "email", T0 + 2 * DAY).await;
    let rows = store.consent_rows(a).await.expect("rows");
    assert_eq!(
        rows.len(),
        2,
        "the survivor's rows include the merged customer's"
    );
    // Read for a batch, the merged customer's row counts for the survivor asked about.
    let c = customer_with(store, web.id, &["email:c@shop.cn"], T0).await;
    let mut batch = store.consent_rows_of(&[a, c]).await.expect("batch");
    batch.sort_by_key(|(owner, row)| (owner.0, row.customer.0));
    assert_eq!(
        batch
            .iter()
            .map(|(owner, row)| (*owner, row.customer))
            .collect::<Vec<_>>(),
        [(a, a), (a, b)],
        "c said nothing"
    );
    assert!(
        store
            .subscribed(Channel::Email)
            .await
            .expect("subscribed")
            .is_empty(),
        "an unsubscribe wins over a merge"
    );
    // A choice made on the survivor after the merge replaces what the merged records said.
    store
        .set_consent(
            a,
            &consent(ConsentStatus::Subscribed, "preference_centre", T0 + 3 * DAY),
        )
        .await
        .expect("again");
    assert_eq!(store.consent_rows(a).await.expect("rows").len(), 1);
    assert_eq!(
        store.subscribed(Channel::Email).await.expect("subscribed"),
        vec![a]
    );

    store
        .suppress(Channel::Email, "a@shop.cn", "bounced", T0)
        .await
        .expect("suppress");
    store
        .suppress(Channel::Email, "a@shop.cn", "bounced", T0)
        .await
        .expect("twice is once");
    let listed = vec!["a@shop.cn".to_owned(), "b@shop.cn".to_owned()];
    assert_eq!(
        store
            .suppressed(Channel::Email, &listed)
            .await
            .expect("check"),
        vec!["a@shop.cn".to_owned()]
    );
    assert_eq!(
        store.suppressions(Channel::Email, 10).await.expect("list"),
        vec![("a@shop.cn".to_owned(), "bounced".to_owned(), T0)]
    );
    store
        .unsuppress(Channel::Email, "a@shop.cn")
        .await
        .expect("unsuppress");
    assert!(
        store
            .suppressed(Channel::Email, &listed)
            .await
            .expect("check")
            .is_empty()
    );
    let addresses = store
        .contact_addresses(IdentityKind::Email, &[a])
        .await
        .expect("addresses");
    assert_eq!(
        addresses.len(),
        1,
        "one address per customer: the most recent"
    );
}

fn delivery(origin: &str, customer: CustomerId, status: DeliveryStatus) -> NewDelivery {
    NewDelivery {
        origin: origin.to_owned(),
        customer,
        channel: Channel::Email,
        variant: "a".into(),
        status,
        reason: None,
        run_at: T0,
        marketing: true,
    }
}

pub async fn one_delivery_per_origin_and_customer(store: &dyn Store) {
    let web = source(store, "web").await;
    let a = customer_with(store, web.id, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web.id, &["email:b@shop.cn"], T0).await;
    let rows = [
        delivery("campaign:1", a, DeliveryStatus::Queued),
        delivery("campaign:1", b, DeliveryStatus::Holdout),
    ];
    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(tx.insert_deliveries(&rows, T0).await.expect("insert"), 2);
    tx.commit().await.expect("commit");
    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(
        tx.insert_deliveries(&rows, T0).await.expect("again"),
        0,
        "a relaunch adds nothing"
    );
    tx.commit().await.expect("commit");

    let claimed = store
        .claim_deliveries(T0, T0 + 5 * MINUTE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1, "holdout rows are never claimed");
    assert_eq!(
        (claimed[0].customer, claimed[0].status, claimed[0].attempts),
        (a, DeliveryStatus::Sending, 1)
    );
    assert!(
        store
            .claim_deliveries(T0, T0 + 5 * MINUTE, 10)
            .await
            .expect("claim")
            .is_empty(),
        "claimed once"
    );
    // A sender that died: its lease runs out and the delivery is claimed again.
    let again = store
        .claim_deliveries(T0 + 5 * MINUTE, T0 + 10 * MINUTE, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    let update = |attempt, error: &str| DeliveryUpdate {
        id: again[0].id,
        status: if error.is_empty() {
            DeliveryStatus::Sent
        } else {
            DeliveryStatus::Failed
        },
        run_at: None,
        error: (!error.is_empty()).then(|| error.to_owned()),
        attempted: true,
        attempt,
    };
    let mut tx = store.begin_write().await.expect("begin");
    // The first sender, whose lease ran out, reports late: its word no longer counts.
    assert!(
        tx.update_deliveries(&[update(1, "late")], T0 + 6 * MINUTE)
            .await
            .expect("stale update")
            .is_empty(),
        "a lapsed claim changes nothing"
    );
    assert_eq!(
        tx.update_deliveries(&[update(2, "")], T0 + 6 * MINUTE)
            .await
            .expect("update"),
        [again[0].id]
    );
    tx.commit().await.expect("commit");
    let sent = store.delivery(again[0].id).await.expect("read");
    assert_eq!(
        (sent.status, sent.sent_at, sent.attempts),
        (DeliveryStatus::Sent, Some(T0 + 6 * MINUTE), 2)
    );
    assert_eq!(
        store.sent_since(&[a, b], T0).await.expect("caps"),
        vec![(a, Channel::Email, 1)]
    );
    // A transactional message sent to the same customer leaves their marketing allowance.
    let mut receipt = delivery("campaign:2", a, DeliveryStatus::Queued);
    receipt.marketing = false;
    let mut tx = store.begin_write().await.expect("begin");
    tx.insert_deliveries(&[receipt], T0).await.expect("insert");
    tx.commit().await.expect("commit");
    let claimed = store
        .claim_deliveries(T0 + 7 * MINUTE, T0 + 12 * MINUTE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    let mut tx = store.begin_write().await.expect("begin");
    tx.update_deliveries(
        &[DeliveryUpdate {
            id: claimed[0].id,
            status: DeliveryStatus::Sent,
            run_at: None,
            error: None,
            attempted: true,
            attempt: claimed[0].attempts,
        }],
        T0 + 7 * MINUTE,
    )
    .await
    .expect("sent");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.sent_since(&[a, b], T0).await.expect("caps"),
        vec![(a, Channel::Email, 1)],
        "marketing only"
    );
    assert!(
        store
            .track_delivery(sent.id, DeliveryStatus::Clicked, T0 + DAY)
            .await
            .expect("click")
    );
    assert!(
        !store
            .track_delivery(sent.id, DeliveryStatus::Opened, T0 + DAY)
            .await
            .expect("open after click"),
        "tracking only moves forward"
    );
    let counts = store.delivery_counts("campaign:1").await.expect("counts");
    let statuses: Vec<(DeliveryStatus, i64)> = counts.iter().map(|c| (c.status, c.count)).collect();
    assert!(
        statuses.contains(&(DeliveryStatus::Clicked, 1))
            && statuses.contains(&(DeliveryStatus::Holdout, 1)),
        "{statuses:?}"
    );
}
