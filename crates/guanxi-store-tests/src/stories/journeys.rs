//! Journeys as stored: versions, one live run per journey and customer, runs claimed when due
//! under a lease, moved together with the messages they decided, counted per step; the feed
//! position kept.

use crate::{MINUTE, T0, customer_with, source};
use guanxi_domain::messaging::{Channel, DeliveryStatus};
use guanxi_store::{NewDelivery, NewRun, RunChange, Store};

pub async fn runs_are_durable_and_single(store: &dyn Store) {
    let web = source(store, "web").await;
    let a = customer_with(store, web.id, &["email:a@shop.cn"], T0).await;
    let b = customer_with(store, web.id, &["email:b@shop.cn"], T0).await;
    let journey = store
        .create_journey("cart", "Cart", r#"{"v":1}"#, T0)
        .await
        .expect("create");
    assert_eq!((journey.version, journey.status.as_str()), (1, "draft"));
    assert!(matches!(
        store.create_journey("cart", "Again", "{}", T0).await,
        Err(guanxi_store::StoreError::Conflict(_))
    ));
    let v2 = store
        .publish_journey(journey.id, "Cart", r#"{"v":2}"#, T0 + MINUTE)
        .await
        .expect("publish");
    assert_eq!((v2.version, v2.definition.as_str()), (2, r#"{"v":2}"#));
    assert_eq!(
        store.journey_version(journey.id, 1).await.expect("v1"),
        r#"{"v":1}"#,
        "old versions stay for runs under way"
    );

    let run = |customer| NewRun {
        journey: journey.id,
        version: 2,
        customer,
        correlation: Some("c-1".into()),
    };
    assert_eq!(
        store
            .start_runs(&[run(a), run(b)], T0)
            .await
            .expect("start"),
        2
    );
    assert_eq!(
        store.start_runs(&[run(a)], T0).await.expect("again"),
        0,
        "one live run per customer"
    );
    let claimed = store
        .claim_due_runs(T0, T0 + 5 * MINUTE, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
    assert_eq!(
        (claimed[0].step.as_str(), claimed[0].correlation.as_deref()),
        ("", Some("c-1"))
    );
    assert!(
        store
            .claim_due_runs(T0, T0 + 5 * MINUTE, 10)
            .await
            .expect("claim")
            .is_empty(),
        "leased"
    );

    let delivery = NewDelivery {
        origin: format!("journey:{}:2:remind:{}", journey.id, claimed[0].id),
        customer: claimed[0].customer,
        channel: Channel::Email,
        variant: String::new(),
        status: DeliveryStatus::Queued,
        reason: None,
        run_at: T0,
        marketing: true,
    };
    let changes = [
        RunChange {
            id: claimed[0].id,
            moves: 0,
            step: "wait".into(),
            wake_at: Some(T0 + 60 * MINUTE),
            waiting_for: Some("Order Completed".into()),
            ended: None,
            entered: vec!["remind".into(), "wait".into()],
            deliveries: vec![delivery.clone()],
        },
        RunChange {
            id: claimed[1].id,
            moves: 0,
            step: "done".into(),
            wake_at: None,
            waiting_for: None,
            ended: Some("completed"),
            entered: vec!["done".into()],
            deliveries: Vec::new(),
        },
    ];
    store
        .advance_runs(&changes, T0 + MINUTE)
        .await
        .expect("advance");
    store
        .advance_runs(&changes, T0 + MINUTE)
        .await
        .expect("twice");
    assert_eq!(
        store
            .delivery_counts(&delivery.origin)
            .await
            .expect("counts")[0]
            .count,
        1,
        "a message once"
    );
    let live = store.live_runs_of(&[a, b]).await.expect("live");
    assert_eq!(live.len(), 1, "the completed run is not live");
    assert_eq!(
        (live[0].step.as_str(), live[0].waiting_for.as_deref()),
        ("wait", Some("Order Completed"))
    );
    let counts = store.step_counts(journey.id).await.expect("counts");
    let wait = counts.iter().find(|c| c.step == "wait").expect("wait");
    assert_eq!((wait.version, wait.entered, wait.now), (2, 1, 1));
    let entries = store
        .last_entries(journey.id, &[a, b])
        .await
        .expect("entries");
    assert_eq!(entries.len(), 2);
    assert!(
        entries
            .iter()
            .any(|(c, at, live)| *c == b && *at == T0 && !live)
    );
    assert_eq!(
        store
            .start_runs(&[run(b)], T0 + 2 * MINUTE)
            .await
            .expect("again"),
        1,
        "a finished run lets the customer in again"
    );

    assert_eq!(store.cursor("journeys").await.expect("cursor"), None);
    store.save_cursor("journeys", 41).await.expect("save");
    store.save_cursor("journeys", 42).await.expect("save");
    assert_eq!(store.cursor("journeys").await.expect("cursor"), Some(42));
    // Of two servers swapping the same cursor, one wins.
    let swap = |expected, position| store.swap_cursor("lease", expected, position);
    assert!(swap(None, 5).await.expect("first"));
    assert!(!swap(None, 6).await.expect("already there"));
    assert!(!swap(Some(4), 6).await.expect("moved since"));
    assert!(swap(Some(5), 6).await.expect("swap"));
    assert_eq!(store.cursor("lease").await.expect("cursor"), Some(6));
}
