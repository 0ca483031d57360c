//! A segment's rule: conditions on a customer joined by AND/OR/NOT. It has a JSON form (for
//! the API) and a text form (for people); both parse to this one checked tree and print from it,
//! so either converts to the other.

use super::activity::Needs;
use super::event::{EventCondition, EventKey, MAX_FILTERS};
use super::field::{Field, FieldType, IdentityKinds};
use super::purchase::{Item, Measure, Purchase, Window};
use super::traits::{TraitCondition, TraitValue};
use chrono::Datelike;
use serde_json::{Map, Value, json};
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
        let rule = json_rule(value, "rule", 0)?;
        rule.check_size()?;
        Ok(rule)
    }

    /// Parses and checks the text form (see `text`).
    pub fn from_text(text: &str) -> Result<Rule, RuleError> {
        super::text::parse(text)
    }

    pub fn to_json(&self) -> Value {
        match self {
            Rule::All(rules) => json!({"all": rules.iter().map(Rule::to_json).collect::<Vec<_>>()}),
            Rule::Any(rules) => json!({"any": rules.iter().map(Rule::to_json).collect::<Vec<_>>()}),
            Rule::Not(rule) => json!({"not": rule.to_json()}),
            Rule::Compare(c) => {
                let value = match &c.value {
                    Operand::Number(n) => json!(n),
                    Operand::Choice(s) => json!(s),
                    Operand::Choices(v) => json!(v),
                };
                json!({"field": c.field.key(), "op": c.op.symbol(), "value": value})
            }
            Rule::Tag(tag) => json!({"tag": tag}),
            Rule::Identity(kind) => json!({"identity": kind}),
            Rule::Segment(key) => json!({"segment": key}),
            Rule::Purchase(p) => purchase_json(p),
            Rule::Event(e) => event_json(e),
            Rule::Trait(t) => {
                json!({"trait": t.name, "op": t.op.symbol(), "value": t.value.to_json()})
            }
        }
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

fn json_rule(value: &Value, at: &str, depth: usize) -> Result<Rule, RuleError> {
    if depth > MAX_DEPTH {
        return Err(RuleError::new(
            at,
            format!("nests deeper than {MAX_DEPTH} levels"),
        ));
    }
    let Value::Object(object) = value else {
        return Err(RuleError::new(at, "must be an object"));
    };
    let only = |key: &str| -> Result<&Value, RuleError> {
        match object.keys().find(|k| k.as_str() != key) {
            Some(other) => Err(RuleError::new(
                format!("{at}.{other}"),
                format!("unexpected next to {key:?}"),
            )),
            None => Ok(&object[key]),
        }
    };
    if object.contains_key("all") || object.contains_key("any") {
        let key = if object.contains_key("all") {
            "all"
        } else {
            "any"
        };
        let Value::Array(items) = only(key)? else {
            return Err(RuleError::new(
                format!("{at}.{key}"),
                "must be a list of rules",
            ));
        };
        if items.is_empty() {
            return Err(RuleError::new(format!("{at}.{key}"), "must not be empty"));
        }
        let rules = items
            .iter()
            .enumerate()
            .map(|(i, item)| json_rule(item, &format!("{at}.{key}[{i}]"), depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(if key == "all" {
            Rule::All(rules)
        } else {
            Rule::Any(rules)
        });
    }
    if object.contains_key("not") {
        let inner = json_rule(only("not")?, &format!("{at}.not"), depth + 1)?;
        return Ok(Rule::Not(Box::new(inner)));
    }
    for (key, make) in [
        ("tag", Rule::Tag as fn(String) -> Rule),
        ("identity", Rule::Identity),
        ("segment", Rule::Segment),
    ] {
        if object.contains_key(key) {
            let name_at = format!("{at}.{key}");
            let Value::String(name) = only(key)? else {
                return Err(RuleError::new(name_at, "must be a string"));
            };
            if key == "identity" {
                check_identity(&name_at, name)?;
            } else {
                check_name(&name_at, key, name)?;
            }
            return Ok(make(name.clone()));
        }
    }
    if object.contains_key("bought") {
        return json_bought(object, at);
    }
    if object.contains_key("did") {
        return json_did(object, at);
    }
    if object.contains_key("trait") {
        return json_trait(object, at);
    }
    if object.contains_key("field") {
        return json_comparison(object, at);
    }
    Err(RuleError::new(
        at,
        "must hold one of all, any, not, field, bought, did, trait, tag, identity or segment",
    ))
}

fn json_comparison(object: &Map<String, Value>, at: &str) -> Result<Rule, RuleError> {
    if let Some(other) = object
        .keys()
        .find(|k| !["field", "op", "value", "within_days", "between"].contains(&k.as_str()))
    {
        return Err(RuleError::new(
            format!("{at}.{other}"),
            "unexpected in a comparison (field, op, value, within_days, between)",
        ));
    }
    let text = |key: &str| match object.get(key) {
        Some(Value::String(s)) => Ok(s.as_str()),
        _ => Err(RuleError::new(format!("{at}.{key}"), "must be a string")),
    };
    let name = text("field")?;
    let field = Field::parse(name).ok_or_else(|| {
        RuleError::new(
            format!("{at}.field"),
            format!(
                "unknown field {name:?}; known: {}",
                Field::ALL.map(Field::key).join(", ")
            ),
        )
    })?;
    let symbol = text("op")?;
    let op = Op::parse(symbol).ok_or_else(|| {
        RuleError::new(
            format!("{at}.op"),
            format!("unknown operator {symbol:?}; use =, !=, >, >=, <, <= or in"),
        )
    })?;
    let value = match object.get("value") {
        Some(Value::Number(n)) => Operand::Number(n.as_f64().unwrap_or(f64::NAN)),
        Some(Value::String(s)) => Operand::Choice(s.clone()),
        Some(Value::Array(items)) => Operand::Choices(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(RuleError::new(
                        format!("{at}.value[{i}]"),
                        "must be a string",
                    )),
                })
                .collect::<Result<_, _>>()?,
        ),
        _ => {
            return Err(RuleError::new(
                format!("{at}.value"),
                "must be a number, a string or a list of strings",
            ));
        }
    };
    let comparison = Comparison::new(at, field, op, value)?;
    match json_window(object, at)? {
        Window::Ever => Ok(Rule::Compare(comparison)),
        window => windowed(at, comparison, window).map(Rule::Purchase),
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

fn json_window(object: &Map<String, Value>, at: &str) -> Result<Window, RuleError> {
    match (object.get("within_days"), object.get("between")) {
        (None, None) => Ok(Window::Ever),
        (Some(_), Some(_)) => Err(RuleError::new(
            format!("{at}.between"),
            "give within_days or between, not both",
        )),
        (Some(days), None) => {
            let within_at = format!("{at}.within_days");
            let n = days
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| RuleError::new(&within_at, "must be a whole number of days"))?;
            Window::Within(n).checked(&within_at)
        }
        (None, Some(between)) => {
            let between_at = format!("{at}.between");
            let dates = match between.as_array().map(Vec::as_slice) {
                Some([Value::String(from), Value::String(to)]) => (from, to),
                _ => {
                    return Err(RuleError::new(
                        between_at,
                        "must be two dates, [\"YYYY-MM-DD\", \"YYYY-MM-DD\"]",
                    ));
                }
            };
            let from = parse_day(&format!("{between_at}[0]"), dates.0)?;
            let to = parse_day(&format!("{between_at}[1]"), dates.1)?;
            Window::Between(from, to).checked(&between_at)
        }
    }
}

fn json_bought(object: &Map<String, Value>, at: &str) -> Result<Rule, RuleError> {
    if let Some(other) = object
        .keys()
        .find(|k| !["bought", "op", "value", "within_days", "between"].contains(&k.as_str()))
    {
        return Err(RuleError::new(
            format!("{at}.{other}"),
            "unexpected in a purchase (bought, op, value, within_days, between)",
        ));
    }
    let bought_at = format!("{at}.bought");
    let item = match object.get("bought").and_then(Value::as_object) {
        Some(o) if o.len() == 1 => {
            let (kind, name) = o.iter().next().expect("one entry");
            let Value::String(name) = name else {
                return Err(RuleError::new(
                    format!("{bought_at}.{kind}"),
                    "must be a string",
                ));
            };
            check_name(&format!("{bought_at}.{kind}"), kind, name)?;
            match kind.as_str() {
                "product" => Item::Product(name.clone()),
                "category" => Item::Category(name.clone()),
                _ => {
                    return Err(RuleError::new(
                        format!("{bought_at}.{kind}"),
                        "must be product or category",
                    ));
                }
            }
        }
        _ => {
            return Err(RuleError::new(
                bought_at,
                "must be {\"product\": SKU} or {\"category\": NAME}",
            ));
        }
    };
    let (op, value) = json_count(object, at, "orders")?;
    Ok(Rule::Purchase(Purchase {
        item: Some(item),
        measure: Measure::Orders,
        op,
        value,
        window: json_window(object, at)?,
    }))
}

/// `op` and `value` of a count (`>= 1` when absent).
fn json_count(object: &Map<String, Value>, at: &str, what: &str) -> Result<(Op, f64), RuleError> {
    let op = match object.get("op") {
        None => Op::Ge,
        Some(Value::String(symbol)) => Op::parse(symbol)
            .filter(|op| *op != Op::In)
            .ok_or_else(|| RuleError::new(format!("{at}.op"), "must be =, !=, >, >=, < or <="))?,
        Some(_) => return Err(RuleError::new(format!("{at}.op"), "must be a string")),
    };
    let value = match object.get("value") {
        None => 1.0,
        Some(v) => v
            .as_f64()
            .filter(|n| n.fract() == 0.0 && (0.0..=1e9).contains(n))
            .ok_or_else(|| {
                RuleError::new(
                    format!("{at}.value"),
                    format!("must be a whole number of {what}"),
                )
            })?,
    };
    Ok((op, value))
}

fn json_did(object: &Map<String, Value>, at: &str) -> Result<Rule, RuleError> {
    if let Some(other) = object
        .keys()
        .find(|k| !["did", "where", "op", "value", "within_days", "between"].contains(&k.as_str()))
    {
        return Err(RuleError::new(
            format!("{at}.{other}"),
            "unexpected in an event condition (did, where, op, value, within_days, between)",
        ));
    }
    let did_at = format!("{at}.did");
    let Some(Value::String(name)) = object.get("did") else {
        return Err(RuleError::new(did_at, "must be the event's name"));
    };
    check_name(&did_at, "the event", name)?;
    let mut filters = Vec::new();
    match object.get("where") {
        None => {}
        Some(Value::Object(map)) => {
            for (key, value) in map {
                let key_at = format!("{at}.where.{key}");
                check_name(&key_at, "a property", key)?;
                let value = match value {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(RuleError::new(
                            key_at,
                            "must be a string, number or boolean",
                        ));
                    }
                };
                filters.push((key.clone(), value));
            }
        }
        Some(_) => {
            return Err(RuleError::new(
                format!("{at}.where"),
                "must be an object of property values",
            ));
        }
    }
    let count = json_count(object, at, "times")?;
    event_condition(at, name.clone(), filters, count, json_window(object, at)?)
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

fn json_trait(object: &Map<String, Value>, at: &str) -> Result<Rule, RuleError> {
    if let Some(other) = object
        .keys()
        .find(|k| !["trait", "op", "value"].contains(&k.as_str()))
    {
        return Err(RuleError::new(
            format!("{at}.{other}"),
            "unexpected in a trait condition (trait, op, value)",
        ));
    }
    let trait_at = format!("{at}.trait");
    let Some(Value::String(name)) = object.get("trait") else {
        return Err(RuleError::new(trait_at, "must be the trait's name"));
    };
    check_name(&trait_at, "the trait", name)?;
    let op = match object.get("op") {
        Some(Value::String(symbol)) => Op::parse(symbol)
            .ok_or_else(|| RuleError::new(format!("{at}.op"), "must be =, !=, >, >=, < or <="))?,
        _ => return Err(RuleError::new(format!("{at}.op"), "must be a string")),
    };
    let value = object
        .get("value")
        .and_then(TraitValue::of)
        .ok_or_else(|| {
            RuleError::new(format!("{at}.value"), "must be a string, number or boolean")
        })?;
    TraitCondition::new(&trait_at, name.clone(), op, value).map(Rule::Trait)
}

fn window_json(window: Window, out: &mut Map<String, Value>) {
    match window {
        Window::Ever => {}
        Window::Within(n) => {
            out.insert("within_days".into(), json!(n));
        }
        Window::Between(from, to) => {
            out.insert("between".into(), json!([format_day(from), format_day(to)]));
        }
    }
}

fn event_json(e: &EventCondition) -> Value {
    let mut out = Map::new();
    out.insert("did".into(), json!(e.key.name));
    if !e.key.filters.is_empty() {
        let filters: Map<String, Value> = e
            .key
            .filters
            .iter()
            .map(|(k, v)| (k.clone(), json!(v)))
            .collect();
        out.insert("where".into(), Value::Object(filters));
    }
    out.insert("op".into(), json!(e.op.symbol()));
    out.insert("value".into(), json!(e.value));
    window_json(e.window, &mut out);
    Value::Object(out)
}

fn purchase_json(p: &Purchase) -> Value {
    let mut out = Map::new();
    match &p.item {
        Some(item) => {
            out.insert("bought".into(), json!({ item.kind(): item.name() }));
        }
        None => {
            let field = match p.measure {
                Measure::Orders => Field::Orders,
                Measure::Spent => Field::Spent,
            };
            out.insert("field".into(), json!(field.key()));
        }
    }
    out.insert("op".into(), json!(p.op.symbol()));
    out.insert("value".into(), json!(p.value));
    window_json(p.window, &mut out);
    Value::Object(out)
}
