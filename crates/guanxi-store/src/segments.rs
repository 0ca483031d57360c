//! Segments as stored: definitions (the rule in its JSON form), current members and every
//! spell of membership. The engine decides membership; the store records it.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};

#[derive(Debug, Clone, PartialEq)]
pub struct SegmentRecord {
    pub id: i64,
    /// How rules refer to the segment; never changes.
    pub key: String,
    pub name: String,
    pub description: String,
    /// The rule's JSON form, checked by the application before it is saved.
    pub rule: String,
    /// A tag members carry while they are members.
    pub auto_tag: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Current members, as recorded.
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSegment {
    pub key: String,
    pub name: String,
    pub description: String,
    pub rule: String,
    pub auto_tag: Option<String>,
}

/// A customer entered or left a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentChange {
    pub segment: i64,
    pub customer: CustomerId,
    pub entered: bool,
}

/// One spell of a customer in a segment.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentSpell {
    pub segment: i64,
    pub key: String,
    pub name: String,
    pub entered_at: Millis,
    /// `None` while the customer is still a member.
    pub left_at: Option<Millis>,
}

#[async_trait]
pub trait SegmentStore {
    /// `Conflict` when the key is taken.
    async fn create_segment(&self, segment: &NewSegment, at: Millis) -> StoreResult<SegmentRecord>;
    /// Changes name, description and rule; the key stays.
    async fn update_segment(
        &self,
        id: i64,
        segment: &NewSegment,
        at: Millis,
    ) -> StoreResult<SegmentRecord>;
    /// Deletes the segment with its members and history.
    async fn delete_segment(&self, id: i64) -> StoreResult<()>;
    async fn segment(&self, id: i64) -> StoreResult<SegmentRecord>;
    /// Every segment, by key.
    async fn segments(&self) -> StoreResult<Vec<SegmentRecord>>;
    /// The id of the segment with this key.
    async fn segment_id(&self, key: &str) -> StoreResult<i64>;
    /// Every segment's (id, updated_at), by key: cheap, to notice another server's edits.
    async fn segment_versions(&self) -> StoreResult<Vec<(i64, Millis)>>;
    /// Members by ascending customer id, after `after`: a keyset page.
    async fn segment_members(
        &self,
        id: i64,
        after: CustomerId,
        limit: u32,
    ) -> StoreResult<Vec<(CustomerId, Millis)>>;
    /// The segments a customer is in now: (id, key, name).
    async fn customer_segments(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<(i64, String, String)>>;
    /// Every spell of a customer in any segment, newest first.
    async fn customer_segment_history(
        &self,
        customer: CustomerId,
    ) -> StoreResult<Vec<SegmentSpell>>;
}
