//! What the analytics pages read: orders and behaviour events over a period, optionally of one
//! channel, and moves between segments (the lifecycle flow).

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis, SourceId};

/// A period `[from, to)`, optionally one channel's, with money in one currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub from: Millis,
    pub to: Millis,
    pub source: Option<SourceId>,
    pub currency: String,
}

#[async_trait]
pub trait AnalyticsStore {
    /// The period's counted orders: (customer, placed at), by customer, then time.
    async fn period_orders(&self, period: &Period) -> StoreResult<Vec<(CustomerId, Millis)>>;
    /// The customers who did each of these events in the period: (event name, customer), each
    /// pair once.
    async fn event_reach(
        &self,
        names: &[&str],
        period: &Period,
    ) -> StoreResult<Vec<(String, CustomerId)>>;
    /// Moves between these segments in the period: a customer leaving the first and entering
    /// the second at the same instant, counted as (left, entered, customers).
    async fn segment_moves(
        &self,
        segments: &[i64],
        from: Millis,
        to: Millis,
    ) -> StoreResult<Vec<(i64, i64, i64)>>;
}
