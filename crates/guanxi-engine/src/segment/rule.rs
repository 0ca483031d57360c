//! A segment's rule: conditions on a customer joined by AND/OR/NOT. It has a JSON form (for
//! the API) and a text form (for people); both parse to this one checked tree and print from it,
//! so either converts to the other.

use super::activity::Needs;
use super::event::{EventCondition, EventKey, MAX_FILTERS};
use super::field::{Field, FieldType, IdentityKinds};
use super::purchase::{Measure, Purchase, Window};
use super::traits::TraitCondition;
use chrono::Datelike;
use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    All(Vec<Rule>),
    Any(Vec<Rule>),
    Not(Box<Rule>),
    Compare(Comparison),
    /// The customer carries this tag.
    Tag(String),
    /// The customer holds an identifier of this kind (`wechat`, `email`, …).
    Identity(String),
    /// The customer is a member of the segment with this key.
    Segment(String),
    /// Orders (of a product or category, or any) or spend within a window.
    Purchase(Purchase),
    /// A behaviour event done some number of times, ever or within a window.
    Event(EventCondition),
    /// A trait's value.
    Trait(TraitCondition),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub field: Field,
    pub op: Op,
    pub value: Operand,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    In,
}

impl Op {
    pub const ALL: [Op; 7] = [Op::Eq, Op::Ne, Op::Gt, Op::Ge, Op::Lt, Op::Le, Op::In];

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::In => "in",
        }
    }

    pub fn parse(symbol: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|op| op.symbol() == symbol)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Number(f64),
    Choice(String),
    Choices(Vec<String>),
}

/// Why a rule was refused, and which part of it: `all[2].value` in the JSON form, `column 14`
/// in the text form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {reason}")]
pub struct RuleError {
    pub at: String,
    pub reason: String,
}

impl RuleError {
    pub fn new(at: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            at: at.into(),
            reason: reason.into(),
        }
    }
}

/// The most conditions one rule may hold, and how deep it may nest: far beyond any real
/// segment, and a bound on what evaluating a customer costs.
pub const MAX_CONDITIONS: usize = 200;
pub const MAX_DEPTH: usize = 16;

/// A name: a tag or a segment key. Free text, trimmed, without control characters.
pub const MAX_NAME_CHARS: usize = 100;

pub(super) fn check_name(at: &str, what: &str, name: &str) -> Result<(), RuleError> {
    if name.trim().is_empty() || name.trim() != name {
        return Err(RuleError::new(
            at,
            format!("{what} must be non-empty, without leading or trailing spaces"),
        ));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(RuleError::new(
            at,
            format!(
                "{what} must be at most {MAX_NAME_CHARS} characters without control characters"
            ),
        ));
    }
    Ok(())
}

pub(super) fn check_identity(at: &str, kind: &str) -> Result<(), RuleError> {
    IdentityKinds::mask_of(kind).map(|_| ()).ok_or_else(|| {
        RuleError::new(
            at,
            format!(
                "unknown identity type {kind:?}; known: wechat, {}",
                super::field::IDENTITY_KINDS.join(", ")
            ),
        )
    })
}

impl Comparison {
    /// Checks `op` and `value` against the field's type; `at` names the condition.
    pub fn new(at: &str, field: Field, op: Op, value: Operand) -> Result<Self, RuleError> {
        let value_at = format!("{at}.value");
        match (field.kind(), op, &value) {
            (FieldType::Number { .. }, Op::In, _) => Err(RuleError::new(
                format!("{at}.op"),
                format!("{} is a number: use =, !=, >, >=, < or <=", field.key()),
            )),
            (FieldType::Number { min, max, whole }, _, Operand::Number(n)) => {
                if !n.is_finite() || *n < min || *n > max {
                    Err(RuleError::new(
                        value_at,
                        format!("{} must be between {min} and {max}", field.key()),
                    ))
                } else if whole && n.fract() != 0.0 {
                    Err(RuleError::new(
                        value_at,
                        format!("{} must be a whole number", field.key()),
                    ))
                } else {
                    Ok(())
                }
            }
            (FieldType::Number { .. }, _, _) => Err(RuleError::new(
                value_at,
                format!("{} takes a number", field.key()),
            )),
            (FieldType::Choice(_), Op::Gt | Op::Ge | Op::Lt | Op::Le, _) => Err(RuleError::new(
                format!("{at}.op"),
                format!("{} is a choice: use =, != or in", field.key()),
            )),
            (FieldType::Choice(keys), Op::In, Operand::Choices(values)) if !values.is_empty() => {
                values.iter().enumerate().try_for_each(|(i, v)| {
                    check_choice(&format!("{value_at}[{i}]"), field, keys, v)
                })
            }
            (FieldType::Choice(_), Op::In, _) => Err(RuleError::new(
                value_at,
                format!("in takes a non-empty list of {} values", field.key()),
            )),
            (FieldType::Choice(keys), _, Operand::Choice(v)) => {
                check_choice(&value_at, field, keys, v)
            }
            (FieldType::Choice(_), _, _) => Err(RuleError::new(
                value_at,
                format!("{} takes one of its values", field.key()),
            )),
        }?;
        Ok(Self { field, op, value })
    }
}

fn check_choice(at: &str, field: Field, keys: &[&str], value: &str) -> Result<(), RuleError> {
    if keys.contains(&value) {
        Ok(())
    } else {
        Err(RuleError::new(
            at,
            format!(
                "{value:?} is not a {} value; known: {}",
                field.key(),
                keys.join(", ")
            ),
        ))
    }
}

impl Rule {
    /// Parses and checks the JSON form:
    /// `{"all":[{"field":"orders","op":">=","value":2},{"not":{"tag":"vip"}}]}`.
    pub fn from_json(value: &Value) -> Result<Rule, RuleError> {
        let rule = super::json::parse(value, "rule", 0)?;
        rule.check_size()?;
        Ok(rule)
    }

    /// Parses and checks the text form (see `text`).
    pub fn from_text(text: &str) -> Result<Rule, RuleError> {
        super::text::parse(text)
    }

    pub fn to_json(&self) -> Value {
        super::json::print(self)
    }

    /// Every segment this rule refers to.
    pub fn segments(&self) -> Vec<&str> {
        let mut keys = Vec::new();
        self.visit(&mut |rule| {
            if let Rule::Segment(key) = rule {
                keys.push(key.as_str());
            }
        });
        keys
    }

    /// What this rule's purchase conditions read, added to `needs`.
    pub fn add_needs(&self, needs: &mut Needs) {
        self.visit(&mut |rule| match rule {
            Rule::Purchase(p) => match &p.item {
                None => needs.orders = true,
                Some(item) if !needs.items.contains(item) => needs.items.push(item.clone()),
                Some(_) => {}
            },
            Rule::Event(e) if !needs.events.contains(&e.key) => needs.events.push(e.key.clone()),
            Rule::Trait(t) if !needs.traits.contains(&t.name) => needs.traits.push(t.name.clone()),
            _ => {}
        });
    }

    /// Every tag this rule reads.
    pub fn tags(&self) -> Vec<&str> {
        let mut tags = Vec::new();
        self.visit(&mut |rule| {
            if let Rule::Tag(tag) = rule {
                tags.push(tag.as_str());
            }
        });
        tags
    }

    /// Every field this rule compares.
    pub fn fields(&self) -> Vec<Field> {
        let mut fields = Vec::new();
        self.visit(&mut |rule| {
            if let Rule::Compare(c) = rule {
                fields.push(c.field);
            }
        });
        fields
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Rule)) {
        f(self);
        match self {
            Rule::All(rules) | Rule::Any(rules) => rules.iter().for_each(|r| r.visit(f)),
            Rule::Not(rule) => rule.visit(f),
            _ => {}
        }
    }

    pub(super) fn check_size(&self) -> Result<(), RuleError> {
        let mut count = 0;
        self.visit(&mut |_| count += 1);
        if count > MAX_CONDITIONS {
            return Err(RuleError::new(
                "rule",
                format!("has {count} parts; at most {MAX_CONDITIONS}"),
            ));
        }
        Ok(())
    }
}

impl fmt::Display for Rule {
    /// The text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::text::print(self))
    }
}

/// `orders` or `spent` within a window.
pub(super) fn windowed(at: &str, c: Comparison, window: Window) -> Result<Purchase, RuleError> {
    let measure = match c.field {
        Field::Orders => Measure::Orders,
        Field::Spent => Measure::Spent,
        other => {
            return Err(RuleError::new(
                at,
                format!("only orders and spent take a window, not {}", other.key()),
            ));
        }
    };
    let Operand::Number(value) = c.value else {
        return Err(RuleError::new(format!("{at}.value"), "takes a number"));
    };
    Ok(Purchase {
        item: None,
        measure,
        op: c.op,
        value,
        window,
    })
}

/// A shop-local date (`2026-03-31`) as days since 1970-01-01.
pub(super) fn parse_day(at: &str, raw: &str) -> Result<i64, RuleError> {
    chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(|d| i64::from(d.num_days_from_ce()) - UNIX_EPOCH_DAYS_FROM_CE)
        .map_err(|_| RuleError::new(at, format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

/// 1970-01-01 in days from the common era, as chrono counts them.
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;

pub(super) fn format_day(day: i64) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt((day + UNIX_EPOCH_DAYS_FROM_CE) as i32)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| day.to_string())
}

/// An event condition, its filters checked and sorted.
pub(super) fn event_condition(
    at: &str,
    name: String,
    mut filters: Vec<(String, String)>,
    (op, value): (Op, f64),
    window: Window,
) -> Result<Rule, RuleError> {
    if filters.len() > MAX_FILTERS {
        return Err(RuleError::new(
            format!("{at}.where"),
            format!("takes at most {MAX_FILTERS} properties"),
        ));
    }
    filters.sort();
    if filters.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(RuleError::new(
            format!("{at}.where"),
            "names a property twice",
        ));
    }
    Ok(Rule::Event(EventCondition {
        key: EventKey { name, filters },
        op,
        value,
        window,
    }))
}
