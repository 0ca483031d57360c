//! The text form printed from a rule: the least parentheses that keep its meaning.

use crate::segment::event::EventCondition;
use crate::segment::purchase::{Measure, Purchase, Window};
use crate::segment::rule::{Op, Operand, Rule, format_day};
use crate::segment::traits::TraitValue;

pub fn print(rule: &Rule) -> String {
    match rule {
        Rule::All(rules) => join(rules, " and ", |r| matches!(r, Rule::Any(_))),
        Rule::Any(rules) => join(rules, " or ", |_| false),
        Rule::Not(inner) => match **inner {
            Rule::All(_) | Rule::Any(_) => format!("not ({})", print(inner)),
            _ => format!("not {}", print(inner)),
        },
        Rule::Compare(c) => {
            let value = match &c.value {
                Operand::Number(n) => n.to_string(),
                Operand::Choice(s) => word(s),
                Operand::Choices(v) => {
                    format!(
                        "({})",
                        v.iter().map(|s| word(s)).collect::<Vec<_>>().join(", ")
                    )
                }
            };
            format!("{} {} {value}", c.field.key(), c.op.symbol())
        }
        Rule::Tag(tag) => format!("tag {}", quote(tag)),
        Rule::Identity(kind) => format!("identity {kind}"),
        Rule::Segment(key) => format!("segment {}", quote(key)),
        Rule::Purchase(p) => print_purchase(p),
        Rule::Event(e) => print_event(e),
        Rule::Trait(t) => {
            let value = match &t.value {
                TraitValue::Text(v) => quote(v),
                TraitValue::Number(n) => n.to_string(),
                TraitValue::Bool(b) => b.to_string(),
            };
            format!("trait {} {} {value}", quote(&t.name), t.op.symbol())
        }
    }
}

fn print_window(window: Window) -> String {
    match window {
        Window::Ever => String::new(),
        Window::Within(n) => format!(" within {n} days"),
        Window::Between(from, to) => {
            format!(" between {} and {}", format_day(from), format_day(to))
        }
    }
}

fn print_event(e: &EventCondition) -> String {
    let filters = match e.key.filters.is_empty() {
        true => String::new(),
        false => {
            let each: Vec<String> = e
                .key
                .filters
                .iter()
                .map(|(k, v)| format!("{} = {}", word(k), quote(v)))
                .collect();
            format!(" where {}", each.join(", "))
        }
    };
    // "did …" alone means at least once.
    let count = match (e.op, e.value) {
        (Op::Ge, 1.0) => String::new(),
        (op, v) => format!(" {} {v}", op.symbol()),
    };
    format!(
        "did {}{filters}{count}{}",
        quote(&e.key.name),
        print_window(e.window)
    )
}

fn print_purchase(p: &Purchase) -> String {
    let head = match (&p.item, p.measure) {
        (Some(item), _) => format!("bought {} {}", item.kind(), quote(item.name())),
        (None, Measure::Orders) => "orders".to_owned(),
        (None, Measure::Spent) => "spent".to_owned(),
    };
    // "bought …" alone means at least once.
    let comparison = match (&p.item, p.op, p.value) {
        (Some(_), Op::Ge, 1.0) => String::new(),
        (_, op, v) => format!(" {} {v}", op.symbol()),
    };
    format!("{head}{comparison}{}", print_window(p.window))
}

fn join(rules: &[Rule], by: &str, wrap: impl Fn(&Rule) -> bool) -> String {
    rules
        .iter()
        .map(|r| {
            if wrap(r) {
                format!("({})", print(r))
            } else {
                print(r)
            }
        })
        .collect::<Vec<_>>()
        .join(by)
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn word(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        s.to_owned()
    } else {
        quote(s)
    }
}
