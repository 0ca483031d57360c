//! The JSON form of a rule: parsed into the checked tree, naming the part that is wrong
//! (`rule.all[1].field`), and printed from it.

use super::event::EventCondition;
use super::field::Field;
use super::purchase::{Item, Measure, Purchase, Window};
use super::rule::{
    Comparison, MAX_DEPTH, Op, Operand, Rule, RuleError, check_identity, check_name,
    event_condition, format_day, parse_day, windowed,
};
use super::traits::{TraitCondition, TraitValue};
use serde_json::{Map, Value, json};

/// The JSON form of `rule`.
pub(super) fn print(rule: &Rule) -> Value {
    match rule {
        Rule::All(rules) => json!({"all": rules.iter().map(print).collect::<Vec<_>>()}),
        Rule::Any(rules) => json!({"any": rules.iter().map(print).collect::<Vec<_>>()}),
        Rule::Not(inner) => json!({"not": print(inner)}),
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

pub(super) fn parse(value: &Value, at: &str, depth: usize) -> Result<Rule, RuleError> {
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
            .map(|(i, item)| parse(item, &format!("{at}.{key}[{i}]"), depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(if key == "all" {
            Rule::All(rules)
        } else {
            Rule::Any(rules)
        });
    }
    if object.contains_key("not") {
        let inner = parse(only("not")?, &format!("{at}.not"), depth + 1)?;
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
