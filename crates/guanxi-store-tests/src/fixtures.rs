//! Small builders the stories share. Times are fixed instants so runs are repeatable.

use guanxi_domain::{
    CustomerId, DefaultRegion, EventKind, EventProperties, IdentityKey, Millis, OrderStatus,
    SourceId,
};
use guanxi_store::{
    NewEvent, NewSource, OrderItemRow, OrderRow, Source, Store, StoreError, Traits,
};
use serde_json::Value;

/// 2024-05-01T00:00:00Z.
pub const T0: Millis = 1_714_521_600_000;
pub const MINUTE: Millis = 60_000;
pub const DAY: Millis = 86_400_000;

/// An identifier in look-up form: `email:a@b.cn`, `user_id:web:42`, `anonymous_id:x`.
pub fn key(lookup: &str) -> IdentityKey {
    IdentityKey::parse_lookup(lookup, DefaultRegion::default()).expect("a valid identity look-up")
}

/// Traits from a JSON object literal.
pub fn traits(value: Value) -> Traits {
    match value {
        Value::Object(map) => map,
        other => panic!("traits must be a JSON object, got {other}"),
    }
}

/// Creates a source named `name` with a write-key hash derived from it.
pub async fn source(store: &dyn Store, name: &str) -> Source {
    store
        .create_source(&NewSource {
            name: name.to_owned(),
            kind: "segment".to_owned(),
            write_key_hash: format!("hash-of-{name}"),
            webhook_secret: None,
        })
        .await
        .expect("create a source")
}

/// Creates and commits `count` customers; answers their ids.
pub async fn customers(store: &dyn Store, count: usize, at: Millis) -> Vec<CustomerId> {
    let mut tx = store.begin_write().await.expect("begin");
    let ids = tx
        .create_customers(count, at)
        .await
        .expect("create customers");
    tx.commit().await.expect("commit");
    ids
}

/// Creates and commits one customer holding these identities.
pub async fn customer_with(
    store: &dyn Store,
    source: SourceId,
    lookups: &[&str],
    at: Millis,
) -> CustomerId {
    let mut tx = store.begin_write().await.expect("begin");
    let id = tx.create_customers(1, at).await.expect("create a customer")[0];
    let keys: Vec<_> = lookups.iter().map(|l| (key(l), id, source)).collect();
    tx.attach_identities(&keys, at)
        .await
        .expect("attach identities");
    tx.commit().await.expect("commit");
    id
}

pub fn order(
    source: SourceId,
    external_id: &str,
    customer: CustomerId,
    status: OrderStatus,
    total: i64,
    at: Millis,
) -> OrderRow {
    OrderRow {
        source,
        external_id: external_id.to_owned(),
        customer,
        status,
        currency: "CNY".to_owned(),
        total,
        created_at: at,
        updated_at: at,
        fingerprint: format!("{external_id}/{}/{total}", status.as_str()),
    }
}

pub fn item(sku: &str, quantity: i64, price: i64) -> OrderItemRow {
    OrderItemRow {
        sku: sku.to_owned(),
        name: format!("Item {sku}"),
        category: Some("tea".to_owned()),
        quantity,
        price,
    }
}

pub fn event(source: SourceId, message_id: &str, customer: CustomerId, at: Millis) -> NewEvent {
    NewEvent {
        source,
        message_id: message_id.to_owned(),
        customer,
        kind: EventKind::Track,
        name: Some("Product Viewed".to_owned()),
        properties: EventProperties::new(
            EventKind::Track,
            &serde_json::json!({ "sku": "LJ-250", "price": 128.5, "tags": ["green", "绿茶"] }),
        ),
        timestamp: at,
        received_at: at + 1,
    }
}

/// Asserts the result is `StoreError::NotFound`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    match result {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("{what}: expected NotFound, got {other:?}"),
    }
}
