//! The steps of a journey. Waiting steps (`wait`, `wait_until`, `wait_for`) park the customer;
//! the others run at once and lead on.

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    #[serde(flatten)]
    pub kind: StepKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepKind {
    /// Waits a duration.
    Wait {
        #[serde(default)]
        days: u32,
        #[serde(default)]
        hours: u32,
        #[serde(default)]
        minutes: u32,
        next: String,
    },
    /// Waits until the next time the shop's clock shows `time` (`HH:MM`).
    WaitUntil {
        time: String,
        next: String,
    },
    /// Waits until the customer's date (`attribute`, as a `date` trigger reads it) comes
    /// round, `days_before` it at `time`; a date with its year that is still to come is
    /// waited for as it is unless `every_year`. A customer without the date goes to `missing`
    /// (or straight on to `next`).
    WaitUntilDate {
        attribute: String,
        #[serde(default)]
        days_before: u32,
        #[serde(default = "super::nine_o_clock")]
        time: String,
        #[serde(default = "every_year")]
        every_year: bool,
        next: String,
        #[serde(default)]
        missing: Option<String>,
    },
    /// Waits for an event; with `correlate`, only one whose property of that name equals the
    /// value the entering event had (the checkout's id). `then` when it comes, `timeout` when
    /// `timeout_hours` pass first.
    WaitFor {
        event: String,
        #[serde(default)]
        correlate: Option<String>,
        timeout_hours: u32,
        then: String,
        timeout: String,
    },
    Branch {
        condition: Condition,
        yes: String,
        no: String,
    },
    /// A random split by weight (A/B paths).
    Split {
        arms: Vec<Arm>,
    },
    /// Sends a template over a channel.
    Send {
        channel: String,
        template: String,
        next: String,
    },
    Tag {
        #[serde(default)]
        add: Vec<String>,
        #[serde(default)]
        remove: Vec<String>,
        next: String,
    },
    SetTrait {
        key: String,
        value: Value,
        next: String,
    },
    /// Calls the shop's own system: a signed POST naming the journey, step and customer, to
    /// `url` (or the configured webhook address), retried like any message.
    Webhook {
        #[serde(default)]
        url: Option<String>,
        next: String,
    },
    Exit,
}

fn every_year() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Arm {
    pub weight: u32,
    pub next: String,
}

/// What a branch asks of the customer now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// A member of the segment (by key).
    InSegment(String),
    /// Ordered since entering the journey.
    OrderedSinceEntry(bool),
    /// Did this event since entering the journey.
    DidEvent(String),
}

impl StepKind {
    /// Every step type, as definitions name them.
    pub const KEYS: [&'static str; 11] = [
        "wait",
        "wait_until",
        "wait_until_date",
        "wait_for",
        "branch",
        "split",
        "send",
        "tag",
        "set_trait",
        "webhook",
        "exit",
    ];

    /// The step's type, as definitions name it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Wait { .. } => "wait",
            Self::WaitUntil { .. } => "wait_until",
            Self::WaitUntilDate { .. } => "wait_until_date",
            Self::WaitFor { .. } => "wait_for",
            Self::Branch { .. } => "branch",
            Self::Split { .. } => "split",
            Self::Send { .. } => "send",
            Self::Tag { .. } => "tag",
            Self::SetTrait { .. } => "set_trait",
            Self::Webhook { .. } => "webhook",
            Self::Exit => "exit",
        }
    }

    /// Whether the step parks the customer until a time or an event.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Self::Wait { .. }
                | Self::WaitUntil { .. }
                | Self::WaitUntilDate { .. }
                | Self::WaitFor { .. }
        )
    }

    /// The steps this one can lead to.
    pub fn targets(&self) -> Vec<&str> {
        match self {
            Self::Wait { next, .. }
            | Self::WaitUntil { next, .. }
            | Self::Send { next, .. }
            | Self::Tag { next, .. }
            | Self::SetTrait { next, .. }
            | Self::Webhook { next, .. } => vec![next],
            Self::WaitUntilDate { next, missing, .. } => std::iter::once(next.as_str())
                .chain(missing.as_deref())
                .collect(),
            Self::WaitFor { then, timeout, .. } => vec![then, timeout],
            Self::Branch { yes, no, .. } => vec![yes, no],
            Self::Split { arms } => arms.iter().map(|a| a.next.as_str()).collect(),
            Self::Exit => Vec::new(),
        }
    }

    /// A `wait`'s length.
    pub fn wait_ms(&self) -> Option<i64> {
        match self {
            Self::Wait {
                days,
                hours,
                minutes,
                ..
            } => Some(
                (i64::from(*days) * 24 * 60 + i64::from(*hours) * 60 + i64::from(*minutes))
                    * 60_000,
            ),
            _ => None,
        }
    }
}
