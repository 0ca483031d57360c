//! What the store keeps and hands back. Amounts are minor units, instants are UTC milliseconds.

use guanxi_domain::{
    CustomerId, EventKind, EventProperties, IdentityKey, Millis, OrderStatus, SourceId,
};
use serde_json::{Map, Value};

pub type Traits = Map<String, Value>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSource {
    pub name: String,
    pub kind: String,
    /// SHA-256 hex of the write key; the key itself is shown once and never stored.
    pub write_key_hash: String,
    /// Shopify's HMAC secret; needed in clear to check signatures.
    pub webhook_secret: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub id: SourceId,
    pub name: String,
    pub kind: String,
    pub webhook_secret: Option<String>,
    pub created_at: Millis,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey {
    pub name: String,
    pub key_hash: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: Millis,
    /// A revoked key authenticates nothing; it stays listed for the record.
    pub revoked_at: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRecord {
    /// The surviving id: asking for a merged-away id answers with its survivor.
    pub id: CustomerId,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub traits: Traits,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CustomerStats {
    pub orders_count: i64,
    /// Spend in minor units of the shop currency: paid orders less refunds.
    pub total_spent: i64,
    pub first_order_at: Option<Millis>,
    pub last_order_at: Option<Millis>,
}

/// Everything the 360 profile shows, read together.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerProfile {
    pub record: CustomerRecord,
    pub stats: CustomerStats,
    pub identities: Vec<IdentityKey>,
    pub tags: Vec<String>,
    pub merges: Vec<MergeRecord>,
}

/// How to find customers: exact identities or name, a tag, keyset pagination.
#[derive(Debug, Clone, Default)]
pub struct CustomerQuery {
    /// Identity values to match exactly (the caller normalises `q` into every kind it could be).
    pub identities: Vec<IdentityKey>,
    /// The whole name, ignoring case and spacing. Names are sealed at rest and found through
    /// a blind index, so a part of a name finds nothing (as with Salesforce Shield's
    /// deterministic encryption).
    pub name: Option<String>,
    pub tag: Option<String>,
    /// Only members of the segment with this id.
    pub segment: Option<i64>,
    /// The caller's data scope.
    pub owner: crate::OwnerFilter,
    /// Only customers with an id below this (newest first).
    pub before: Option<CustomerId>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub source: SourceId,
    pub message_id: String,
    pub customer: CustomerId,
    pub kind: EventKind,
    pub name: Option<String>,
    pub properties: EventProperties,
    pub timestamp: Millis,
    pub received_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventRecord {
    pub id: i64,
    pub source: SourceId,
    pub message_id: String,
    pub kind: EventKind,
    pub name: Option<String>,
    pub properties: Value,
    pub timestamp: Millis,
    pub received_at: Millis,
}

/// An order as stored. `fingerprint` summarises its content so an identical re-import
/// changes nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderRow {
    pub source: SourceId,
    pub external_id: String,
    pub customer: CustomerId,
    pub status: OrderStatus,
    pub currency: String,
    pub total: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItemRow {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub quantity: i64,
    pub price: i64,
}

/// The parts of a stored order that refunds and status changes need.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderHead {
    pub id: i64,
    pub customer: CustomerId,
    pub status: OrderStatus,
    pub currency: String,
    pub total: i64,
    pub refunded: i64,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RefundRow {
    pub external_id: String,
    pub amount: i64,
    pub created_at: Millis,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderRecord {
    pub id: i64,
    pub source: SourceId,
    pub customer: CustomerId,
    pub external_id: String,
    pub status: OrderStatus,
    pub currency: String,
    pub total: i64,
    pub refunded: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub items: Vec<OrderItemRow>,
    pub refunds: Vec<RefundRow>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProductRow {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub price: Option<i64>,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MergeRecord {
    pub from: CustomerId,
    pub into: CustomerId,
    pub reason: String,
    pub at: Millis,
}

/// One line of the change feed: this customer changed in this way at this commit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    pub customer: CustomerId,
    pub kind: ChangeKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    Created,
    Identified,
    Merged,
    /// The customer was merged into another: what it had now belongs to the survivor.
    MergedAway,
    Traits,
    Tags,
    Event,
    Order,
    /// The customer entered or left a segment.
    Segment,
}

impl ChangeKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Identified => "identified",
            Self::Merged => "merged",
            Self::MergedAway => "merged_away",
            Self::Traits => "traits",
            Self::Tags => "tags",
            Self::Event => "event",
            Self::Order => "order",
            Self::Segment => "segment",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRecord {
    pub seq: i64,
    pub customer: CustomerId,
    pub kind: String,
    pub at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub kind: String,
    pub payload: Value,
    /// At most one job per key ever: enqueuing the same key again does nothing.
    pub dedupe_key: Option<String>,
    pub run_at: Millis,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub attempts: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub dead: i64,
}
