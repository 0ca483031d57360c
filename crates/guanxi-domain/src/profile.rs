//! A customer profile update from a channel that knows people but not what they did
//! (customers CSV, Shopify customers/create).

use crate::{IdentityKey, Millis, SourceId};

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileInput {
    pub source: SourceId,
    /// Identifiers, highest priority first.
    pub identities: Vec<IdentityKey>,
    /// Descriptive traits (name, birthday, city, …) merged into the profile.
    pub traits: serde_json::Map<String, serde_json::Value>,
    pub tags: Vec<String>,
    pub updated_at: Millis,
}
