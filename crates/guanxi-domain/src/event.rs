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
    pub properties: serde_json::Value,
    pub timestamp: Millis,
    pub received_at: Millis,
}
