//! Rules compiled against the engine's columns, and evaluated one customer at a time. A
//! customer's value for each field is computed at most once per evaluation; predictions, the
//! costly part, only when a rule asks for them.

use super::activity::Activity;
use super::event::EventCondition;
use super::field::{Field, FieldType, IdentityKinds};
use super::purchase::{Measure, Purchase, Window};
use super::rule::{Op, Operand, Rule, RuleError};
use super::traits::TraitCondition;
use crate::clv::Prediction;
use crate::features::OrderSummary;
use crate::lifecycle::Stage;
use crate::people::People;
use crate::rfm::{ClassThresholds, RfmClass, RfmGroup, RfmInput, RfmScores};
use crate::scores::Engine;
use std::cell::OnceCell;

#[derive(Debug, Clone, PartialEq)]
pub enum Compiled {
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
    Not(Box<Compiled>),
    /// Money fields compare in minor units: the value is already scaled.
    Number {
        field: Field,
        op: Op,
        value: f64,
    },
    /// The field's value is one of the choices whose bit is in `set` (or is not, `negate`).
    Choice {
        field: Field,
        set: u32,
        negate: bool,
    },
    Tag(u32),
    Identity(u16),
    /// The segment at this position of the registry's evaluation order.
    Segment(usize),
    /// Money in minor units, as with `Number`.
    Purchase(Purchase),
    Event(EventCondition),
    Trait(TraitCondition),
}

/// What compiling needs from outside the rule.
pub struct Names<'a> {
    /// The id of a tag (interned when defining; a tag nobody carries may answer `u32::MAX`).
    pub tag: &'a mut dyn FnMut(&str) -> u32,
    /// The evaluation position of a segment key, or `None` when unknown.
    pub segment: &'a dyn Fn(&str) -> Option<usize>,
    /// Minor units per major unit of the shop's currency (100 for CNY).
    pub minor_per_major: f64,
}

impl Compiled {
    pub fn of(rule: &Rule, names: &mut Names<'_>) -> Result<Compiled, RuleError> {
        Ok(match rule {
            Rule::All(rules) => Compiled::All(compile_all(rules, names)?),
            Rule::Any(rules) => Compiled::Any(compile_all(rules, names)?),
            Rule::Not(inner) => Compiled::Not(Box::new(Compiled::of(inner, names)?)),
            Rule::Tag(tag) => Compiled::Tag((names.tag)(tag)),
            Rule::Identity(kind) => {
                Compiled::Identity(IdentityKinds::mask_of(kind).ok_or_else(|| {
                    RuleError::new("rule", format!("unknown identity type {kind:?}"))
                })?)
            }
            Rule::Segment(key) => Compiled::Segment((names.segment)(key).ok_or_else(|| {
                RuleError::new(format!("segment {key:?}"), "no segment has this key")
            })?),
            Rule::Purchase(p) => Compiled::Purchase(Purchase {
                value: match p.measure {
                    Measure::Spent => p.value * names.minor_per_major,
                    Measure::Orders => p.value,
                },
                ..p.clone()
            }),
            Rule::Event(e) => Compiled::Event(e.clone()),
            Rule::Trait(t) => Compiled::Trait(t.clone()),
            Rule::Compare(c) => match (c.field.kind(), &c.value) {
                (FieldType::Number { .. }, Operand::Number(n)) => Compiled::Number {
                    field: c.field,
                    op: c.op,
                    value: if is_money(c.field) {
                        n * names.minor_per_major
                    } else {
                        *n
                    },
                },
                (FieldType::Choice(keys), value) => {
                    let chosen: Vec<&String> = match value {
                        Operand::Choice(v) => vec![v],
                        Operand::Choices(v) => v.iter().collect(),
                        Operand::Number(_) => vec![],
                    };
                    let set = chosen
                        .iter()
                        .filter_map(|v| keys.iter().position(|k| k == v))
                        .fold(0u32, |set, at| set | 1 << at);
                    Compiled::Choice {
                        field: c.field,
                        set,
                        negate: c.op == Op::Ne,
                    }
                }
                (FieldType::Number { .. }, _) => {
                    return Err(RuleError::new(c.field.key(), "takes a number"));
                }
            },
        })
    }

    /// Whether any condition follows the calendar, so the verdict can flip at a day's turn:
    /// days since an order, the lifecycle stage, or orders leaving a `within` window.
    pub fn follows_the_calendar(&self) -> bool {
        self.any_leaf(&|leaf| match leaf {
            Compiled::Number { field, .. } | Compiled::Choice { field, .. } => {
                field.follows_the_calendar()
            }
            Compiled::Purchase(p) => matches!(p.window, Window::Within(_)),
            Compiled::Event(e) => matches!(e.window, Window::Within(_)),
            _ => false,
        })
    }

    /// Whether any condition drifts with the shop's cuts and models.
    pub fn drifts(&self) -> bool {
        self.any_leaf(&|leaf| match leaf {
            Compiled::Number { field, .. } | Compiled::Choice { field, .. } => field.drifts(),
            _ => false,
        })
    }

    /// Whether only customers with counted orders can match: then a scan need not look at
    /// the others. Conservative: `false` when unsure.
    pub fn needs_orders(&self) -> bool {
        match self {
            Compiled::All(rules) => rules.iter().any(Compiled::needs_orders),
            Compiled::Any(rules) => !rules.is_empty() && rules.iter().all(Compiled::needs_orders),
            // Without orders, `orders` and `spent` are 0; every other field has no value.
            Compiled::Number { field, op, value } => match field {
                Field::Orders | Field::Spent => !compare(0.0, *op, *value),
                _ => true,
            },
            Compiled::Choice { .. } => true,
            Compiled::Purchase(p) => !compare(0.0, p.op, p.value),
            Compiled::Not(_)
            | Compiled::Tag(_)
            | Compiled::Identity(_)
            | Compiled::Segment(_)
            | Compiled::Event(_)
            | Compiled::Trait(_) => false,
        }
    }

    fn any_leaf(&self, test: &dyn Fn(&Compiled) -> bool) -> bool {
        match self {
            Compiled::All(rules) | Compiled::Any(rules) => rules.iter().any(|r| r.any_leaf(test)),
            Compiled::Not(inner) => inner.any_leaf(test),
            leaf => test(leaf),
        }
    }
}

fn compile_all(rules: &[Rule], names: &mut Names<'_>) -> Result<Vec<Compiled>, RuleError> {
    rules.iter().map(|r| Compiled::of(r, names)).collect()
}

fn is_money(field: Field) -> bool {
    matches!(field, Field::Spent | Field::AverageOrderValue | Field::Clv)
}

/// The shop-wide values one evaluation pass reads.
pub struct Pass<'a> {
    pub engine: &'a Engine,
    pub people: &'a People,
    pub activity: &'a Activity,
    pub today: i64,
    pub now: i64,
    pub averages: Option<ClassThresholds>,
}

impl<'a> Pass<'a> {
    pub fn new(
        engine: &'a Engine,
        people: &'a People,
        activity: &'a Activity,
        today: i64,
        now: i64,
    ) -> Self {
        Self {
            engine,
            people,
            activity,
            today,
            now,
            averages: engine.thresholds(now),
        }
    }

    pub fn customer(&self, id: i64) -> Subject<'_> {
        self.customer_with(id, self.engine.features.get(id))
    }

    /// A customer whose summary the caller already holds (a scan over the rows).
    pub fn customer_with(&self, id: i64, summary: Option<&'a OrderSummary>) -> Subject<'_> {
        Subject {
            pass: self,
            id,
            summary,
            rfm: OnceCell::new(),
            prediction: OnceCell::new(),
        }
    }
}

/// One customer, as the rules see them.
pub struct Subject<'p> {
    pass: &'p Pass<'p>,
    pub id: i64,
    summary: Option<&'p OrderSummary>,
    rfm: OnceCell<Option<(RfmInput, Option<RfmScores>)>>,
    prediction: OnceCell<Option<Prediction>>,
}

impl Subject<'_> {
    fn rfm(&self) -> Option<(RfmInput, Option<RfmScores>)> {
        *self.rfm.get_or_init(|| {
            let input = self.summary?.rfm_input(self.pass.now);
            Some((input, self.pass.engine.cuts.map(|c| c.scores_of(&input))))
        })
    }

    fn prediction(&self) -> Option<Prediction> {
        *self
            .prediction
            .get_or_init(|| Some(self.pass.engine.prediction(self.summary?, self.pass.today)))
    }

    fn number(&self, field: Field) -> Option<f64> {
        let s = self.summary;
        let today = self.pass.today;
        Some(match field {
            Field::Orders => s.map_or(0.0, |s| f64::from(s.orders)),
            Field::Spent => s.map_or(0.0, |s| s.spent as f64),
            Field::AverageOrderValue => s.map(|s| s.spent as f64 / f64::from(s.orders.max(1)))?,
            Field::DaysSinceLastOrder => (today - s?.last_day) as f64,
            Field::DaysSinceFirstOrder => (today - s?.first_day) as f64,
            Field::RScore => f64::from(self.rfm()?.1?.r),
            Field::FScore => f64::from(self.rfm()?.1?.f),
            Field::MScore => f64::from(self.rfm()?.1?.m),
            Field::Clv => self.prediction()?.clv,
            Field::ClvPercentile => {
                let clv = self.prediction()?.clv;
                self.pass.engine.value_percentile(clv)?
            }
            Field::PAlive => self.prediction()?.p_alive,
            Field::ChurnRisk => self.prediction()?.churn_risk,
            Field::ExpectedOrders90Days => self.prediction()?.expected_purchases_90_days,
            Field::ExpectedOrders365Days => self.prediction()?.expected_purchases_365_days,
            Field::RfmClass | Field::RfmGroup | Field::Lifecycle => return None,
        })
    }

    /// The position of the customer's value among the field's choices.
    fn choice(&self, field: Field) -> Option<usize> {
        // Choice keys are listed in the order of each enum's `ALL`.
        match field {
            Field::RfmClass => {
                let input = self.summary?.rfm_input(self.pass.now);
                let class = self.pass.averages?.class_of(&input);
                RfmClass::ALL.iter().position(|c| *c == class)
            }
            Field::RfmGroup => {
                let group = self.rfm()?.1?.group();
                RfmGroup::ALL.iter().position(|g| *g == group)
            }
            Field::Lifecycle => {
                let stage = self
                    .pass
                    .engine
                    .cycle
                    .stage_of(self.summary?, self.pass.today);
                Stage::ALL.iter().position(|s| *s == stage)
            }
            _ => None,
        }
    }

    /// The verdict of `rule`; `segment(i)` answers membership of the segment at position i.
    pub fn matches(&self, rule: &Compiled, segment: &dyn Fn(usize) -> bool) -> bool {
        match rule {
            Compiled::All(rules) => rules.iter().all(|r| self.matches(r, segment)),
            Compiled::Any(rules) => rules.iter().any(|r| self.matches(r, segment)),
            Compiled::Not(inner) => !self.matches(inner, segment),
            Compiled::Number { field, op, value } => {
                self.number(*field).is_some_and(|v| compare(v, *op, *value))
            }
            Compiled::Choice { field, set, negate } => self
                .choice(*field)
                .is_some_and(|at| (set & (1 << at) != 0) != *negate),
            Compiled::Tag(tag) => self.pass.people.has_tag(self.id, *tag),
            Compiled::Identity(mask) => self.pass.people.kinds(self.id).has_any(*mask),
            Compiled::Segment(at) => segment(*at),
            Compiled::Purchase(p) => self
                .pass
                .activity
                .measure(self.id, p, self.pass.today)
                .is_some_and(|v| compare(v, p.op, p.value)),
            Compiled::Event(e) => self
                .pass
                .activity
                .event_count(self.id, e, self.pass.today)
                .is_some_and(|v| compare(v, e.op, e.value)),
            Compiled::Trait(t) => t.matches(self.pass.activity.trait_of(self.id, &t.name)),
        }
    }

    /// The first shop-local day after today on which a calendar condition of `rule` can change
    /// its verdict for this customer; `None` when none can.
    pub fn next_turn(&self, rule: &Compiled) -> Option<i64> {
        match rule {
            Compiled::Purchase(p) => {
                return self.pass.activity.next_exit(self.id, p, self.pass.today);
            }
            Compiled::Event(e) => {
                return self
                    .pass
                    .activity
                    .next_event_exit(self.id, e, self.pass.today);
            }
            _ => {}
        }
        let s = self.summary?;
        let today = self.pass.today;
        let after_today = |days: &mut dyn Iterator<Item = i64>| days.filter(|d| *d > today).min();
        match rule {
            Compiled::All(rules) | Compiled::Any(rules) => {
                rules.iter().filter_map(|r| self.next_turn(r)).min()
            }
            Compiled::Not(inner) => self.next_turn(inner),
            Compiled::Number { field, op, value } => {
                let base = match field {
                    Field::DaysSinceLastOrder => s.last_day,
                    Field::DaysSinceFirstOrder => s.first_day,
                    _ => return None,
                };
                // Days since grow by one a day and the value is whole: `> v` and `<= v` flip the
                // day it passes v, `>= v` and `< v` the day it reaches v, `=` and `!=` both.
                let v = *value as i64;
                let flips: &[i64] = match op {
                    Op::Gt | Op::Le => &[v + 1],
                    Op::Ge | Op::Lt => &[v],
                    Op::Eq | Op::Ne | Op::In => &[v, v + 1],
                };
                after_today(&mut flips.iter().map(|k| base + k))
            }
            Compiled::Choice {
                field: Field::Lifecycle,
                ..
            } => {
                let cycle = self.pass.engine.cycle.days;
                let at_risk = s.last_day + cycle.floor() as i64 + 1;
                let lapsed = s.last_day + (2.0 * cycle).floor() as i64 + 1;
                after_today(&mut [at_risk, lapsed].into_iter())
            }
            _ => None,
        }
    }
}

fn compare(v: f64, op: Op, value: f64) -> bool {
    match op {
        Op::Eq => v == value,
        Op::Ne => v != value,
        Op::Gt => v > value,
        Op::Ge => v >= value,
        Op::Lt => v < value,
        Op::Le => v <= value,
        Op::In => false,
    }
}
