//! Idempotency receipts: a retried message is recognised, in the same batch or a later one.

use crate::{T0, source};
use guanxi_domain::SourceId;
use guanxi_store::Store;
use std::collections::HashSet;

fn keys(source: SourceId, names: &[&str]) -> Vec<(SourceId, String)> {
    names.iter().map(|k| (source, (*k).to_owned())).collect()
}

pub async fn receipts_answer_only_new_keys(store: &dyn Store) {
    let web = source(store, "web").await.id;
    let shop = source(store, "shop").await.id;

    let mut tx = store.begin_write().await.expect("begin");
    let fresh = tx
        .claim_receipts(&keys(web, &["m1", "m2", "m1"]), T0)
        .await
        .expect("claim");
    assert_eq!(
        fresh,
        keys(web, &["m1", "m2"]).into_iter().collect::<HashSet<_>>(),
        "a key twice in one batch is new once"
    );
    let again = tx
        .claim_receipts(&keys(web, &["m2", "m3"]), T0)
        .await
        .expect("claim again");
    assert_eq!(
        again,
        keys(web, &["m3"]).into_iter().collect(),
        "the same transaction remembers its claims"
    );
    assert!(
        tx.claim_receipts(&[], T0)
            .await
            .expect("claim nothing")
            .is_empty()
    );
    tx.commit().await.expect("commit");

    let mut tx = store.begin_write().await.expect("begin");
    let later = tx
        .claim_receipts(
            &[
                (web, "m1".to_owned()),
                (web, "m4".to_owned()),
                (shop, "m1".to_owned()),
            ],
            T0,
        )
        .await
        .expect("claim in a later transaction");
    assert_eq!(
        later,
        [(web, "m4".to_owned()), (shop, "m1".to_owned())]
            .into_iter()
            .collect(),
        "committed keys are not new; the same key from another source is"
    );
    drop(tx);

    // A rolled-back claim leaves the keys new for the retry.
    let mut tx = store.begin_write().await.expect("begin");
    let retry = tx
        .claim_receipts(&[(web, "m4".to_owned()), (shop, "m1".to_owned())], T0)
        .await
        .expect("claim");
    assert_eq!(
        retry.len(),
        2,
        "keys claimed by a dropped transaction are new again"
    );
    tx.commit().await.expect("commit");
}

pub async fn many_receipts_in_one_batch(store: &dyn Store) {
    let web = source(store, "web").await.id;
    // More than one multi-row statement's worth.
    let batch: Vec<_> = (0..1_234).map(|i| (web, format!("msg-{i:05}"))).collect();
    let mut tx = store.begin_write().await.expect("begin");
    assert_eq!(
        tx.claim_receipts(&batch, T0).await.expect("claim").len(),
        batch.len()
    );
    tx.commit().await.expect("commit");

    let mut tx = store.begin_write().await.expect("begin");
    let mut mixed = batch[1_000..].to_vec();
    mixed.push((web, "msg-new".to_owned()));
    let fresh = tx.claim_receipts(&mixed, T0).await.expect("claim");
    assert_eq!(fresh, [(web, "msg-new".to_owned())].into_iter().collect());
    tx.commit().await.expect("commit");
}

/// Two PostgreSQL replicas committing the same retried message: exactly one sees it as new.
/// (SQLite has a single writer, so its second transaction cannot even begin meanwhile.)
pub async fn concurrent_claims_count_once(store: &dyn Store) {
    if store.backend() != "postgres" {
        return;
    }
    let web = source(store, "web").await.id;
    let mut first = store.begin_write().await.expect("begin");
    let fresh = first
        .claim_receipts(&keys(web, &["retried"]), T0)
        .await
        .expect("claim");
    assert_eq!(fresh.len(), 1);
    // A concurrent writer waits for the first transaction, then sees its receipt.
    let (second, committed) = tokio::join!(store.begin_write(), first.commit());
    committed.expect("commit the first");
    let mut second = second.expect("begin a concurrent writer");
    let again = second
        .claim_receipts(&keys(web, &["retried", "other"]), T0)
        .await
        .expect("claim");
    assert_eq!(
        again,
        keys(web, &["other"]).into_iter().collect(),
        "the retried message is not new"
    );
    second.commit().await.expect("commit the second");
}
