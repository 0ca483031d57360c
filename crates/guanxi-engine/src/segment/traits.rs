//! Conditions on a customer's traits (what identify calls and imports set): `trait "city" =
//! "上海"`, `trait "vip_level" >= 3`, `trait "newsletter" = true`. Numbers compare as numbers;
//! text and booleans only as equal or not. Personal traits (names, contacts, addresses,
//! birthdays) are sealed at rest and cannot be used.

use super::rule::{Op, RuleError};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum TraitValue {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl TraitValue {
    /// A stored trait's value; `None` for nulls, lists and objects.
    pub fn of(value: &Value) -> Option<Self> {
        match value {
            Value::String(s) => Some(Self::Text(s.clone())),
            Value::Number(n) => n.as_f64().map(Self::Number),
            Value::Bool(b) => Some(Self::Bool(*b)),
            _ => None,
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            Self::Text(s) => Value::String(s.clone()),
            Self::Number(n) => serde_json::json!(n),
            Self::Bool(b) => Value::Bool(*b),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct TraitCondition {
    pub name: String,
    pub op: Op,
    pub value: TraitValue,
}

impl TraitCondition {
    /// Checks the trait's name and that the operator suits the value.
    pub fn new(at: &str, name: String, op: Op, value: TraitValue) -> Result<Self, RuleError> {
        if guanxi_domain::personal::classify(&name, true).is_some() {
            return Err(RuleError::new(
                at,
                format!("{name:?} is personal data, sealed at rest: rules cannot read it"),
            ));
        }
        let ordered = matches!(op, Op::Gt | Op::Ge | Op::Lt | Op::Le);
        match (&value, op) {
            (_, Op::In) => Err(RuleError::new(at, "traits take =, !=, >, >=, < or <=")),
            (TraitValue::Text(_) | TraitValue::Bool(_), _) if ordered => Err(RuleError::new(
                at,
                "only numbers compare with >, >=, < or <=",
            )),
            (TraitValue::Number(n), _) if !n.is_finite() => {
                Err(RuleError::new(at, "the value must be a finite number"))
            }
            _ => Ok(Self { name, op, value }),
        }
    }

    /// The verdict for a customer whose trait holds `stored` (`None`: not set, which matches
    /// nothing, not even `!=`).
    pub fn matches(&self, stored: Option<&TraitValue>) -> bool {
        let Some(stored) = stored else {
            return false;
        };
        match (stored, &self.value) {
            (TraitValue::Number(a), TraitValue::Number(b)) => match self.op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                Op::Gt => a > b,
                Op::Ge => a >= b,
                Op::Lt => a < b,
                Op::Le => a <= b,
                Op::In => false,
            },
            (a, b) => match self.op {
                Op::Eq => a == b,
                Op::Ne => a != b,
                _ => false,
            },
        }
    }
}
