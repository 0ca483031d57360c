use serde::{Deserialize, Serialize};

/// A customer's stable number. A merged-away id keeps resolving to its survivor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CustomerId(pub i64);

/// A channel that sends data: a Segment source, a Shopify shop, a Taobao export, the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SourceId(pub i64);

impl std::fmt::Display for CustomerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// The longest key of a segment, template or journey, in characters.
pub const MAX_KEY: usize = 64;

/// What a key must be, as an error reason.
pub const KEY_RULE: &str =
    "must be 1 to 64 lower-case letters, digits, - or _, starting with a letter or digit";

/// Whether `key` can name a segment, template or journey: rules, campaigns and journeys refer
/// to it, so it never changes and stays plain.
pub fn is_key(key: &str) -> bool {
    key.chars().count() <= MAX_KEY
        && key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
