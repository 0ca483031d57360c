//! The text form parsed into the checked tree: `or` of `and` of `not` of conditions.

use super::tokens::{Kind, Token, tokenize};
use crate::segment::field::Field;
use crate::segment::purchase::{Item, Measure, Purchase, Window};
use crate::segment::rule::{
    Comparison, MAX_DEPTH, Op, Operand, Rule, RuleError, check_identity, check_name,
    event_condition, parse_day, windowed,
};
use crate::segment::traits::{TraitCondition, TraitValue};

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
