//! The text form of a rule, for people:
//!
//! ```text
//! orders >= 2 and days_since_last_order > 60
//!   and (rfm_class in (important_value, important_keep) or tag "vip")
//!   and not identity wechat
//! ```
//!
//! `not` binds tighter than `and`, `and` tighter than `or`; parentheses group. Tags and segment
//! keys are quoted strings (`\"` and `\\` escape); choices are bare words or strings. Errors
//! name the column they were found at.

use super::event::EventCondition;
use super::field::Field;
use super::purchase::{Item, Measure, Purchase, Window};
use super::rule::{
    Comparison, MAX_DEPTH, Op, Operand, Rule, RuleError, check_identity, check_name,
    event_condition, format_day, parse_day, windowed,
};
use super::traits::{TraitCondition, TraitValue};

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

/// Parses and checks the text form.
pub fn parse(text: &str) -> Result<Rule, RuleError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens,
        at: 0,
        end: text.chars().count() + 1,
    };
    let rule = parser.or(0)?;
    if let Some(t) = parser.tokens.get(parser.at) {
        return Err(parser.error_at(t.column, format!("unexpected {}", t.kind.describe())));
    }
    rule.check_size()?;
    Ok(rule)
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Word(String),
    Number(f64),
    /// `2026-03-31`, as written.
    Date(String),
    Text(String),
    Symbol(&'static str),
}

impl Kind {
    fn describe(&self) -> String {
        match self {
            Kind::Word(w) => format!("`{w}`"),
            Kind::Number(n) => format!("the number {n}"),
            Kind::Date(d) => format!("the date {d}"),
            Kind::Text(s) => format!("the string {s:?}"),
            Kind::Symbol(s) => format!("`{s}`"),
        }
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    column: usize,
}

const SYMBOLS: [&str; 9] = [">=", "<=", "!=", "=", ">", "<", "(", ")", ","];

fn tokenize(text: &str) -> Result<Vec<Token>, RuleError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(RuleError::new(
                            format!("column {column}"),
                            "the string is not closed",
                        ));
                    }
                    Some('"') => break,
                    Some('\\') if matches!(chars.get(i + 1), Some('"' | '\\')) => {
                        s.push(chars[i + 1]);
                        i += 2;
                    }
                    Some(c) => {
                        s.push(*c);
                        i += 1;
                    }
                }
            }
            i += 1;
            tokens.push(Token {
                kind: Kind::Text(s),
                column,
            });
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_digit() || *c == '.')
            {
                i += 1;
            }
            // A date: four digits, then -MM-DD.
            if i - start == 4 && chars.get(i) == Some(&'-') {
                while chars
                    .get(i)
                    .is_some_and(|c| c.is_ascii_digit() || *c == '-')
                {
                    i += 1;
                }
                tokens.push(Token {
                    kind: Kind::Date(chars[start..i].iter().collect()),
                    column,
                });
                continue;
            }
            let raw: String = chars[start..i].iter().collect();
            let n = raw.parse().map_err(|_| {
                RuleError::new(
                    format!("column {column}"),
                    format!("{raw:?} is not a number"),
                )
            })?;
            tokens.push(Token {
                kind: Kind::Number(n),
                column,
            });
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            tokens.push(Token {
                kind: Kind::Word(chars[start..i].iter().collect()),
                column,
            });
        } else if let Some(symbol) = SYMBOLS.iter().find(|s| {
            s.chars()
                .enumerate()
                .all(|(k, sc)| chars.get(i + k) == Some(&sc))
        }) {
            i += symbol.len();
            tokens.push(Token {
                kind: Kind::Symbol(symbol),
                column,
            });
        } else {
            return Err(RuleError::new(
                format!("column {column}"),
                format!("unexpected character {c:?}"),
            ));
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// The column just after the text, where "expected …" errors point at its end.
    end: usize,
}

impl Parser {
    fn error_at(&self, column: usize, reason: impl Into<String>) -> RuleError {
        RuleError::new(format!("column {column}"), reason)
    }

    fn column(&self) -> usize {
        self.tokens.get(self.at).map_or(self.end, |t| t.column)
    }

    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token { kind: Kind::Word(w), .. }) if w.eq_ignore_ascii_case(word))
    }

    fn peek_symbol(&self, symbol: &str) -> bool {
        matches!(self.tokens.get(self.at), Some(Token { kind: Kind::Symbol(s), .. }) if *s == symbol)
    }

    fn next(&mut self, expected: &str) -> Result<Token, RuleError> {
        let token = self.tokens.get(self.at).cloned().ok_or_else(|| {
            self.error_at(self.end, format!("expected {expected}, found the end"))
        })?;
        self.at += 1;
        Ok(token)
    }

    fn expect_symbol(&mut self, symbol: &'static str) -> Result<(), RuleError> {
        let t = self.next(&format!("`{symbol}`"))?;
        if t.kind == Kind::Symbol(symbol) {
            Ok(())
        } else {
            Err(self.error_at(
                t.column,
                format!("expected `{symbol}`, found {}", t.kind.describe()),
            ))
        }
    }

    fn or(&mut self, depth: usize) -> Result<Rule, RuleError> {
        if depth > MAX_DEPTH {
            return Err(self.error_at(
                self.column(),
                format!("nests deeper than {MAX_DEPTH} levels"),
            ));
        }
        let mut rules = vec![self.and(depth)?];
        while self.peek_word("or") {
            self.at += 1;
            rules.push(self.and(depth)?);
        }
        Ok(if rules.len() == 1 {
            rules.remove(0)
        } else {
            Rule::Any(rules)
        })
    }

    fn and(&mut self, depth: usize) -> Result<Rule, RuleError> {
        let mut rules = vec![self.unary(depth)?];
        while self.peek_word("and") {
            self.at += 1;
            rules.push(self.unary(depth)?);
        }
        Ok(if rules.len() == 1 {
            rules.remove(0)
        } else {
            Rule::All(rules)
        })
    }

    fn unary(&mut self, depth: usize) -> Result<Rule, RuleError> {
        if self.peek_word("not") {
            self.at += 1;
            return Ok(Rule::Not(Box::new(self.unary(depth + 1)?)));
        }
        if self.peek_symbol("(") {
            self.at += 1;
            let inner = self.or(depth + 1)?;
            self.expect_symbol(")")?;
            return Ok(inner);
        }
        self.condition()
    }

    fn condition(&mut self) -> Result<Rule, RuleError> {
        let t = self.next("a condition")?;
        let Kind::Word(word) = &t.kind else {
            return Err(self.error_at(
                t.column,
                format!("expected a condition, found {}", t.kind.describe()),
            ));
        };
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "tag" | "segment" => {
                let name = self.next(&format!("the {lower}'s name in quotes"))?;
                let Kind::Text(name_text) = name.kind else {
                    return Err(self.error_at(
                        name.column,
                        format!(
                            "expected the {lower}'s name in quotes, found {}",
                            name.kind.describe()
                        ),
                    ));
                };
                check_name(&format!("column {}", name.column), &lower, &name_text)?;
                Ok(if lower == "tag" {
                    Rule::Tag(name_text)
                } else {
                    Rule::Segment(name_text)
                })
            }
            "bought" => self.bought(),
            "did" => self.did(),
            "trait" => self.trait_condition(),
            "identity" => {
                let kind = self.next("an identity type")?;
                let (Kind::Word(name) | Kind::Text(name)) = kind.kind else {
                    return Err(self.error_at(
                        kind.column,
                        "expected an identity type such as wechat or email",
                    ));
                };
                check_identity(&format!("column {}", kind.column), &name)?;
                Ok(Rule::Identity(name))
            }
            _ => self.comparison(&t, word),
        }
    }

    fn comparison(&mut self, t: &Token, name: &str) -> Result<Rule, RuleError> {
        let at = format!("column {}", t.column);
        let field = Field::parse(name).ok_or_else(|| {
            RuleError::new(
                &at,
                format!(
                    "unknown field {name:?}; known: {}, and bought, did, trait, tag, identity, segment",
                    Field::ALL.map(Field::key).join(", ")
                ),
            )
        })?;
        let op_token = self.next(&format!("an operator after `{name}`"))?;
        let op = match &op_token.kind {
            Kind::Symbol(s) => Op::parse(s),
            Kind::Word(w) if w.eq_ignore_ascii_case("in") => Some(Op::In),
            _ => None,
        }
        .ok_or_else(|| {
            self.error_at(
                op_token.column,
                format!(
                    "expected an operator (=, !=, >, >=, <, <=, in) after `{name}`, found {}",
                    op_token.kind.describe()
                ),
            )
        })?;
        let value_column = self.column();
        let value = if self.peek_symbol("(") {
            self.at += 1;
            let mut values = Vec::new();
            loop {
                let v = self.next("a value")?;
                match v.kind {
                    Kind::Word(s) | Kind::Text(s) => values.push(s),
                    other => {
                        return Err(self.error_at(
                            v.column,
                            format!("expected a value, found {}", other.describe()),
                        ));
                    }
                }
                if self.peek_symbol(",") {
                    self.at += 1;
                } else {
                    break;
                }
            }
            self.expect_symbol(")")?;
            Operand::Choices(values)
        } else {
            let v = self.next(&format!("a value after `{name} {}`", op.symbol()))?;
            match v.kind {
                Kind::Number(n) => Operand::Number(n),
                Kind::Word(s) | Kind::Text(s) => Operand::Choice(s),
                other => {
                    return Err(self.error_at(
                        v.column,
                        format!("expected a value, found {}", other.describe()),
                    ));
                }
            }
        };
        // Type errors point at the value (or operator) of this condition.
        let comparison = Comparison::new(&at, field, op, value).map_err(|e| {
            let column = if e.at.ends_with(".op") {
                op_token.column
            } else {
                value_column
            };
            RuleError::new(format!("column {column}"), e.reason)
        })?;
        match self.window()? {
            Window::Ever => Ok(Rule::Compare(comparison)),
            window => windowed(&at, comparison, window).map(Rule::Purchase),
        }
    }

    fn expect_word(&mut self, words: &[&str], expected: &str) -> Result<(), RuleError> {
        let t = self.next(expected)?;
        match &t.kind {
            Kind::Word(w) if words.iter().any(|x| w.eq_ignore_ascii_case(x)) => Ok(()),
            other => Err(self.error_at(
                t.column,
                format!("expected {expected}, found {}", other.describe()),
            )),
        }
    }

    /// `within N days`, `between DATE and DATE`, or nothing (ever).
    fn window(&mut self) -> Result<Window, RuleError> {
        let at = format!("column {}", self.column());
        if self.peek_word("within") {
            self.at += 1;
            let n = self.next("a number of days after `within`")?;
            let days = match n.kind {
                Kind::Number(d) if d.fract() == 0.0 && (0.0..=1e6).contains(&d) => d as u32,
                other => {
                    return Err(self.error_at(
                        n.column,
                        format!(
                            "expected a whole number of days, found {}",
                            other.describe()
                        ),
                    ));
                }
            };
            self.expect_word(&["days", "day"], "`days`")?;
            return Window::Within(days).checked(&at);
        }
        if self.peek_word("between") {
            self.at += 1;
            let from = self.date()?;
            self.expect_word(&["and"], "`and`")?;
            let to = self.date()?;
            return Window::Between(from, to).checked(&at);
        }
        Ok(Window::Ever)
    }

    fn date(&mut self) -> Result<i64, RuleError> {
        let t = self.next("a date (YYYY-MM-DD)")?;
        match &t.kind {
            Kind::Date(raw) => parse_day(&format!("column {}", t.column), raw),
            other => Err(self.error_at(
                t.column,
                format!("expected a date (YYYY-MM-DD), found {}", other.describe()),
            )),
        }
    }

    /// An optional comparison of a count, `>= 1` when absent.
    fn count(&mut self, what: &str) -> Result<(Op, f64), RuleError> {
        let op = match self.tokens.get(self.at).map(|t| &t.kind) {
            Some(Kind::Symbol(s)) => Op::parse(s),
            _ => None,
        };
        let Some(op) = op else {
            return Ok((Op::Ge, 1.0));
        };
        self.at += 1;
        let n = self.next(&format!("a number of {what}"))?;
        match n.kind {
            Kind::Number(v) if v >= 0.0 && v.fract() == 0.0 && v <= 1e9 => Ok((op, v)),
            other => Err(self.error_at(
                n.column,
                format!(
                    "expected a whole number of {what}, found {}",
                    other.describe()
                ),
            )),
        }
    }

    /// `trait "NAME" op VALUE`: a quoted string, a number, `true` or `false`.
    fn trait_condition(&mut self) -> Result<Rule, RuleError> {
        let name = self.next("the trait's name in quotes")?;
        let (Kind::Text(trait_name) | Kind::Word(trait_name)) = name.kind else {
            return Err(self.error_at(
                name.column,
                format!("expected the trait's name, found {}", name.kind.describe()),
            ));
        };
        let op_token = self.next("an operator (=, !=, >, >=, <, <=)")?;
        let op = match &op_token.kind {
            Kind::Symbol(s) => Op::parse(s),
            _ => None,
        }
        .ok_or_else(|| {
            self.error_at(
                op_token.column,
                format!("expected an operator, found {}", op_token.kind.describe()),
            )
        })?;
        let v = self.next("the trait's value")?;
        let value = match v.kind {
            Kind::Text(t) => TraitValue::Text(t),
            Kind::Number(n) => TraitValue::Number(n),
            Kind::Word(w) if w == "true" || w == "false" => TraitValue::Bool(w == "true"),
            other => {
                return Err(self.error_at(
                    v.column,
                    format!(
                        "expected a quoted string, a number, true or false, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        TraitCondition::new(&format!("column {}", name.column), trait_name, op, value)
            .map(Rule::Trait)
    }

    /// `did "EVENT" [where prop = "value", …] [op N] [window]`.
    fn did(&mut self) -> Result<Rule, RuleError> {
        let at = format!("column {}", self.column());
        let name = self.next("the event's name in quotes")?;
        let Kind::Text(event) = name.kind else {
            return Err(self.error_at(
                name.column,
                format!(
                    "expected the event's name in quotes, found {}",
                    name.kind.describe()
                ),
            ));
        };
        check_name(&format!("column {}", name.column), "the event", &event)?;
        let mut filters = Vec::new();
        if self.peek_word("where") {
            self.at += 1;
            loop {
                let key = self.next("a property name")?;
                let (Kind::Word(property) | Kind::Text(property)) = key.kind else {
                    return Err(self.error_at(
                        key.column,
                        format!("expected a property name, found {}", key.kind.describe()),
                    ));
                };
                self.expect_symbol("=")?;
                let value = self.next("the property's value")?;
                let value = match value.kind {
                    Kind::Text(v) | Kind::Word(v) => v,
                    Kind::Number(n) => n.to_string(),
                    other => {
                        return Err(self.error_at(
                            value.column,
                            format!("expected the property's value, found {}", other.describe()),
                        ));
                    }
                };
                filters.push((property, value));
                if self.peek_symbol(",") {
                    self.at += 1;
                } else {
                    break;
                }
            }
        }
        let count = self.count("times")?;
        let window = self.window()?;
        event_condition(&at, event, filters, count, window)
    }

    /// `bought product "SKU" [op N] [window]` or `bought category "NAME" …`; alone, at least
    /// one order.
    fn bought(&mut self) -> Result<Rule, RuleError> {
        let kind = self.next("product or category after `bought`")?;
        let item_kind = match &kind.kind {
            Kind::Word(w) if w.eq_ignore_ascii_case("product") => "product",
            Kind::Word(w) if w.eq_ignore_ascii_case("category") => "category",
            other => {
                return Err(self.error_at(
                    kind.column,
                    format!(
                        "expected product or category after `bought`, found {}",
                        other.describe()
                    ),
                ));
            }
        };
        let name = self.next(&format!("the {item_kind} in quotes"))?;
        let Kind::Text(name_text) = name.kind else {
            return Err(self.error_at(
                name.column,
                format!(
                    "expected the {item_kind} in quotes, found {}",
                    name.kind.describe()
                ),
            ));
        };
        check_name(&format!("column {}", name.column), item_kind, &name_text)?;
        let item = match item_kind {
            "product" => Item::Product(name_text),
            _ => Item::Category(name_text),
        };
        let (op, value) = self.count("orders")?;
        let window = self.window()?;
        Ok(Rule::Purchase(Purchase {
            item: Some(item),
            measure: Measure::Orders,
            op,
            value,
            window,
        }))
    }
}
