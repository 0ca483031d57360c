//! Behaviour events as the Segment spec defines them, after parsing at the edge.

use crate::{IdentityKey, Millis, SourceId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    Identify,
    Track,
    Page,
    Screen,
    Group,
    Alias,
}

impl EventKind {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "identify" => Self::Identify,
            "track" => Self::Track,
            "page" => Self::Page,
            "screen" => Self::Screen,
            "group" => Self::Group,
            "alias" => Self::Alias,
            _ => return None,
        })
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Identify => "identify",
            Self::Track => "track",
            Self::Page => "page",
            Self::Screen => "screen",
            Self::Group => "group",
            Self::Alias => "alias",
        }
    }
}

/// One accepted event: who it names, what happened, and the raw payload kept for replay.
#[derive(Debug, Clone, PartialEq)]
pub struct EventInput {
    pub source: SourceId,
    pub message_id: String,
    pub kind: EventKind,
    /// The track event name, or the page/screen name.
    pub name: Option<String>,
    /// Identifiers the event carries, highest priority first.
    pub identities: Vec<IdentityKey>,
    /// `alias` links even where per-kind limits would refuse: the integrator said so. The first
    /// identity is the new id; the rest (the previous id's possible kinds) only link.
    pub force_link: bool,
    /// Traits to merge into the profile (identify, or context.traits).
    pub traits: serde_json::Map<String, serde_json::Value>,
    pub properties: EventProperties,
    pub timestamp: Millis,
    pub received_at: Millis,
}

/// An event's properties as the JSON text that is stored, its personal entries (emails,
/// phones, addresses, and a person's name in identify and group calls) apart so the store can
/// seal them. Serialised and split once, where the event is parsed (on the request's thread),
/// so the one serial writer only copies bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventProperties {
    plain: String,
    personal: Option<String>,
}

impl EventProperties {
    pub fn new(kind: EventKind, value: &serde_json::Value) -> Self {
        let names_a_person = matches!(kind, EventKind::Identify | EventKind::Group);
        let mut owned;
        let value = match value {
            serde_json::Value::Object(map) if map.contains_key(crate::personal::SEALED_ENTRY) => {
                owned = map.clone();
                owned.remove(crate::personal::SEALED_ENTRY);
                &serde_json::Value::Object(owned)
            }
            other => other,
        };
        match value {
            serde_json::Value::Object(map)
                if crate::personal::holds_personal(value, names_a_person) =>
            {
                let (plain, personal) =
                    crate::personal::split_personal(map.clone(), names_a_person);
                Self {
                    plain: serde_json::Value::Object(plain).to_string(),
                    personal: Some(serde_json::Value::Object(personal).to_string()),
                }
            }
            _ => Self {
                plain: value.to_string(),
                personal: None,
            },
        }
    }

    /// The entries free of personal data, as JSON text.
    pub fn plain(&self) -> &str {
        &self.plain
    }

    /// The personal entries as a JSON object's text, if there are any.
    pub fn personal(&self) -> Option<&str> {
        self.personal.as_deref()
    }

    /// The properties parsed back, whole (made from a `Value`, so they parse).
    pub fn to_value(&self) -> serde_json::Result<serde_json::Value> {
        let mut value: serde_json::Value = serde_json::from_str(&self.plain)?;
        if let (Some(personal), serde_json::Value::Object(map)) = (&self.personal, &mut value) {
            let personal: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(personal)?;
            map.extend(personal);
        }
        Ok(value)
    }
}
