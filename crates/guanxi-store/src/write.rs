use crate::{
    Change, DeliveryUpdate, NewDelivery, NewEvent, NewJob, OrderHead, OrderItemRow, OrderRow,
    ProductRow, RefundRow, SegmentChange, StoreResult, Traits,
};
use async_trait::async_trait;
use guanxi_domain::{CustomerId, IdentityKey, Millis, SourceId, resolution::MergeDecision};
use std::collections::HashSet;

/// One write transaction. Nothing is visible to readers, and nothing is acknowledged, until
/// `commit` returns; dropping it without committing rolls everything back.
#[async_trait]
pub trait WriteTx: Send {
    /// Records idempotency keys (Segment messageId, Shopify webhook id) and answers which were
    /// new. The first write of the transaction, so a SQLite writer takes its lock up front.
    async fn claim_receipts(
        &mut self,
        keys: &[(SourceId, String)],
        at: Millis,
    ) -> StoreResult<HashSet<(SourceId, String)>>;

    /// Stored owners of these identifiers (always surviving customers).
    async fn identity_owners(
        &mut self,
        keys: &[IdentityKey],
    ) -> StoreResult<Vec<(IdentityKey, CustomerId)>>;

    /// Identifiers of kinds with a per-customer limit held by these customers.
    async fn limited_identities(
        &mut self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, IdentityKey)>>;

    async fn create_customers(&mut self, count: usize, at: Millis) -> StoreResult<Vec<CustomerId>>;

    /// Moves everything of `from` to `into`: identities, events, orders, tags and traits
    /// (the survivor's values win), records the merge, and redirects `from` for ever.
    async fn merge_customer(&mut self, merge: &MergeDecision, at: Millis) -> StoreResult<()>;

    async fn attach_identities(
        &mut self,
        identities: &[(IdentityKey, CustomerId, SourceId)],
        at: Millis,
    ) -> StoreResult<()>;

    async fn customer_traits(
        &mut self,
        ids: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, Traits)>>;
    async fn set_traits(&mut self, traits: &[(CustomerId, Traits)], at: Millis) -> StoreResult<()>;
    /// Adds tags the customer lacks; answers how many were new.
    async fn add_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<u64>;
    async fn remove_tags(&mut self, customer: CustomerId, tags: &[String]) -> StoreResult<()>;

    async fn insert_events(&mut self, events: &[NewEvent]) -> StoreResult<()>;

    async fn order_head(
        &mut self,
        source: SourceId,
        external_id: &str,
    ) -> StoreResult<Option<OrderHead>> {
        let heads = self
            .order_heads(&[(source, external_id.to_owned())])
            .await?;
        Ok(heads.into_iter().next().map(|(_, _, head)| head))
    }
    /// Inserts or replaces the order and its items; returns the order id.
    async fn upsert_order(&mut self, order: &OrderRow, items: &[OrderItemRow]) -> StoreResult<i64> {
        let ids = self
            .upsert_orders(&[(order.clone(), items.to_vec())])
            .await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| crate::StoreError::other("the order upsert returned no id"))
    }
    /// Heads of the orders with these (source, external id) keys that exist.
    async fn order_heads(
        &mut self,
        keys: &[(SourceId, String)],
    ) -> StoreResult<Vec<(SourceId, String, OrderHead)>>;
    async fn order_heads_by_id(&mut self, ids: &[i64]) -> StoreResult<Vec<OrderHead>>;
    /// Inserts or replaces many orders (distinct keys) with their items; ids in input order.
    async fn upsert_orders(
        &mut self,
        orders: &[(OrderRow, Vec<OrderItemRow>)],
    ) -> StoreResult<Vec<i64>>;
    /// Adds refunds unless recorded already; answers, per refund, whether it was new.
    async fn insert_refunds(&mut self, refunds: &[(i64, RefundRow)]) -> StoreResult<Vec<bool>>;
    async fn set_order_status(
        &mut self,
        order_id: i64,
        status: guanxi_domain::OrderStatus,
        at: Millis,
    ) -> StoreResult<()>;
    /// Adds a refund unless one with its external id exists; answers whether it was new.
    async fn insert_refund(&mut self, order_id: i64, refund: &RefundRow) -> StoreResult<bool> {
        let new = self.insert_refunds(&[(order_id, refund.clone())]).await?;
        Ok(new.first().copied().unwrap_or(false))
    }

    async fn upsert_products(&mut self, products: &[ProductRow], at: Millis) -> StoreResult<()>;
    /// Records segment entries (a member row and an open spell) and exits (the row removed,
    /// the spell closed), in order. Answers, per change, whether it changed anything: another
    /// server may have recorded it first, and a deleted segment takes no members.
    async fn apply_segment_changes(
        &mut self,
        changes: &[SegmentChange],
        at: Millis,
    ) -> StoreResult<Vec<bool>>;
    /// Inserts the deliveries that do not exist yet (same origin and customer); answers how
    /// many it inserted. Deciding to send and enqueuing the message commit together.
    async fn insert_deliveries(
        &mut self,
        deliveries: &[NewDelivery],
        at: Millis,
    ) -> StoreResult<u64>;
    /// Records what became of claimed deliveries; answers the ids it changed (an update from
    /// a sender whose claim lapsed changes nothing, and its outcome must not be told twice).
    async fn update_deliveries(
        &mut self,
        updates: &[DeliveryUpdate],
        at: Millis,
    ) -> StoreResult<Vec<i64>>;
    async fn append_changes(&mut self, changes: &[Change], at: Millis) -> StoreResult<()>;
    async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> StoreResult<()>;

    async fn commit(self: Box<Self>) -> StoreResult<()>;
}
