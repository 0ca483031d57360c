//! Decoding stored rows into records.

use crate::backend::map_err;
use guanxi_domain::{CustomerId, EventKind, IdentityKey, OrderStatus, SourceId};
use guanxi_store::{StoreError, StoreResult, Traits};
use sqlx::Row;
use sqlx::any::AnyRow;

pub(crate) fn get<T>(row: &AnyRow, col: &str) -> StoreResult<T>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get::<T, _>(col).map_err(map_err)
}

pub(crate) fn traits(text: &str) -> StoreResult<Traits> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::other(format!("stored traits are not JSON: {e}")))
}

pub(crate) fn json(text: &str) -> StoreResult<serde_json::Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::other(format!("stored JSON is corrupt: {e}")))
}

pub(crate) fn identity(kind: &str, value: &str) -> StoreResult<IdentityKey> {
    IdentityKey::from_stored(kind, value)
        .map_err(|e| StoreError::other(format!("stored identity kind: {e}")))
}

pub(crate) fn status(text: &str) -> StoreResult<OrderStatus> {
    OrderStatus::parse(text).map_err(|e| StoreError::other(format!("stored order status: {e}")))
}

pub(crate) fn event_kind(text: &str) -> StoreResult<EventKind> {
    EventKind::parse(text).ok_or_else(|| StoreError::other(format!("stored event kind {text:?}")))
}

pub(crate) fn customer_id(row: &AnyRow, col: &str) -> StoreResult<CustomerId> {
    get::<i64>(row, col).map(CustomerId)
}

pub(crate) fn source_id(row: &AnyRow, col: &str) -> StoreResult<SourceId> {
    get::<i64>(row, col).map(SourceId)
}
