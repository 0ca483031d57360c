//! Conditions on behaviour events: did (or, under `not`, did not do) an event, optionally with
//! property values, at least or at most some number of times, ever or within a window:
//!
//! - `did "Product Added" where category = "silk" >= 2 within 7 days`
//! - `not did "Checkout Started" within 3 days`
//!
//! Filters compare a property's value as text (`"silk"`, or a number's digits); properties
//! holding personal data are sealed at rest and never match.

use super::purchase::Window;
use super::rule::Op;
use serde_json::Value;

/// An event and the property values it must carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey {
    pub name: String,
    /// (property, value), sorted by property.
    pub filters: Vec<(String, String)>,
}

impl EventKey {
    /// Whether an event's properties (the stored JSON object) carry every filtered value.
    pub fn matches(&self, properties: &Value) -> bool {
        self.filters
            .iter()
            .all(|(key, wanted)| match properties.get(key) {
                Some(Value::String(s)) => s == wanted,
                Some(Value::Number(n)) => n.to_string() == *wanted,
                Some(Value::Bool(b)) => b.to_string() == *wanted,
                _ => false,
            })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct EventCondition {
    pub key: EventKey,
    /// How many times, compared with `value` (`>= 1` unless written).
    pub op: Op,
    pub value: f64,
    pub window: Window,
}

/// The most property filters one condition takes.
pub const MAX_FILTERS: usize = 10;
