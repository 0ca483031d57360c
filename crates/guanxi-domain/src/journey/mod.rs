//! Journeys as their authors define them: a trigger, a graph of steps, a goal that ends the
//! journey and a rule for entering again. Parsed and checked here, free of IO; the
//! application runs them.

pub mod calendar;
mod check;
mod step;

pub use step::{Arm, Condition, Step, StepKind};

use crate::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// What starts a customer on the journey.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trigger {
    /// A tracked event, optionally with property values (`{"currency": "CNY"}`).
    Event {
        name: String,
        #[serde(default, rename = "where")]
        filters: BTreeMap<String, Value>,
    },
    /// Entering a segment (by key).
    SegmentEntered(String),
    /// Leaving a segment (by key).
    SegmentExited(String),
    /// Every year on a date of the customer's: a trait holding a date (`birthday`), or
    /// `first_order` for the anniversary of their first order; `days_before` it, at `time`.
    Date {
        attribute: String,
        #[serde(default)]
        days_before: u32,
        #[serde(default = "nine_o_clock")]
        time: String,
    },
    /// At `time` on the days given (weekdays 1 = Monday … 7, or a day of the month; every day
    /// when neither), every member of the segment enters.
    Schedule {
        segment: String,
        #[serde(default = "nine_o_clock")]
        time: String,
        #[serde(default)]
        weekdays: Vec<u8>,
        #[serde(default)]
        month_day: Option<u8>,
    },
}

/// The attribute of a `date` trigger or step that means the first order's anniversary.
pub const FIRST_ORDER: &str = "first_order";

pub(crate) fn nine_o_clock() -> String {
    "09:00".to_owned()
}

impl Trigger {
    /// When a calendar trigger fires each day it fires, as `HH:MM` shop time.
    pub fn calendar_time(&self) -> Option<&str> {
        match self {
            Self::Date { time, .. } | Self::Schedule { time, .. } => Some(time),
            _ => None,
        }
    }
}

/// What ends the journey early, as achieved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Goal {
    /// The customer placed an order.
    Ordered(bool),
    /// The customer did this event.
    Event(String),
}

/// Whether a customer who went through the journey may start it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Reentry {
    /// Once per customer, ever.
    #[default]
    Never,
    /// Whenever the trigger fires and they are not on it now.
    Always,
    /// Once the last entry is this many days old.
    AfterDays(u32),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Definition {
    pub trigger: Trigger,
    #[serde(default)]
    pub goal: Option<Goal>,
    #[serde(default)]
    pub reentry: Reentry,
    /// The first step's id.
    pub start: String,
    pub steps: Vec<Step>,
}

impl Definition {
    /// Parses and checks a definition; errors name the part (`steps[2].next`).
    pub fn parse(value: &Value) -> Result<Self, FieldError> {
        let Value::Object(map) = value else {
            return Err(FieldError::new("definition", "must be an object"));
        };
        let mut map = map.clone();
        let steps = match map.remove("steps") {
            Some(Value::Array(steps)) => steps,
            Some(_) => return Err(FieldError::new("steps", "must be a list")),
            None => return Err(FieldError::new("steps", "is required")),
        };
        let mut parsed = Vec::with_capacity(steps.len());
        for (i, step) in steps.into_iter().enumerate() {
            parsed.push(
                serde_json::from_value::<Step>(step)
                    .map_err(|e| FieldError::new(format!("steps[{i}]"), e.to_string()))?,
            );
        }
        map.insert("steps".into(), Value::Array(Vec::new()));
        let mut definition: Definition = serde_json::from_value(Value::Object(map))
            .map_err(|e| FieldError::new("definition", e.to_string()))?;
        definition.steps = parsed;
        check::check(&definition)?;
        Ok(definition)
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    /// The segments the definition reads (trigger and branches), to check they exist.
    pub fn segments(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = self
            .steps
            .iter()
            .filter_map(|s| match &s.kind {
                StepKind::Branch {
                    condition: Condition::InSegment(key),
                    ..
                } => Some(key.as_str()),
                _ => None,
            })
            .collect();
        if let Trigger::SegmentEntered(key)
        | Trigger::SegmentExited(key)
        | Trigger::Schedule { segment: key, .. } = &self.trigger
        {
            keys.push(key);
        }
        keys
    }

    /// The templates the definition sends, with the step's channel.
    pub fn templates(&self) -> Vec<(usize, &str, &str)> {
        self.steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match &s.kind {
                StepKind::Send {
                    channel, template, ..
                } => Some((i, channel.as_str(), template.as_str())),
                _ => None,
            })
            .collect()
    }
}
