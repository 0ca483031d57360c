//! The shop's segments and their members, in memory. Segments are kept in an order where every
//! segment comes after those its rule refers to, so one pass over a customer settles all of
//! them; cycles are refused when defined.

use super::eval::{Compiled, Names, Pass};
use super::rule::{Rule, RuleError};
use crate::features::OrderSummary;
use crate::people::People;
use roaring::RoaringTreemap;
use std::collections::{BTreeMap, HashMap};

/// A segment as stored: its id, its key (how rules refer to it), its rule and the tag its
/// members carry while they are members, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub id: i64,
    pub key: String,
    pub rule: Rule,
    pub auto_tag: Option<String>,
}

impl Definition {
    /// The segments this one's verdict depends on: those its rule names (or the key no segment
    /// has), and those that put a tag its rule reads on their members.
    fn depends_on(&self, defs: &[Definition]) -> Vec<Result<usize, String>> {
        let mut out: Vec<Result<usize, String>> = self
            .rule
            .segments()
            .into_iter()
            .map(|key| {
                defs.iter()
                    .position(|d| d.key == key)
                    .ok_or_else(|| key.to_owned())
            })
            .collect();
        let tags = self.rule.tags();
        out.extend(
            defs.iter()
                .enumerate()
                .filter(|(_, d)| d.auto_tag.as_deref().is_some_and(|t| tags.contains(&t)))
                .map(|(i, _)| Ok(i)),
        );
        out
    }
}

/// A customer entered (or left) a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub segment: i64,
    pub customer: i64,
    pub entered: bool,
}

/// Why a set of definitions was refused: which segment, and which part of its rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("segment {segment:?}: {error}")]
pub struct DefinitionError {
    pub segment: String,
    pub error: RuleError,
}

#[derive(Debug, Clone)]
struct Entry {
    id: i64,
    key: String,
    rule: Compiled,
    calendar: bool,
    drifts: bool,
    members: RoaringTreemap,
}

#[derive(Debug, Clone, Default)]
pub struct Segments {
    entries: Vec<Entry>,
    /// Customers to evaluate again at the start of a shop-local day, because a calendar
    /// condition may flip then. `turns` holds each customer's one scheduled day; stale entries
    /// of `due` are skipped.
    due: BTreeMap<i64, Vec<i64>>,
    turns: HashMap<i64, i64>,
}

/// The order to evaluate `defs` in (each after the segments it refers to), or the reference
/// that is unknown or closes a cycle.
pub fn evaluation_order(defs: &[Definition]) -> Result<Vec<usize>, DefinitionError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut marks = vec![Mark::New; defs.len()];
    let mut order = Vec::with_capacity(defs.len());
    fn visit(
        i: usize,
        defs: &[Definition],
        marks: &mut [Mark],
        order: &mut Vec<usize>,
        path: &mut Vec<usize>,
    ) -> Result<(), DefinitionError> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Open => {
                let start = path.iter().position(|p| *p == i).unwrap_or(0);
                let cycle: Vec<String> = path[start..]
                    .iter()
                    .chain(std::iter::once(&i))
                    .map(|p| format!("{:?}", defs[*p].key))
                    .collect();
                return Err(DefinitionError {
                    segment: defs[i].key.clone(),
                    error: RuleError::new(
                        format!("segment {:?}", defs[path[path.len() - 1]].key),
                        format!(
                            "segments refer to each other (by key or automatic tag) in a cycle: {}",
                            cycle.join(" → ")
                        ),
                    ),
                });
            }
            Mark::New => {}
        }
        marks[i] = Mark::Open;
        path.push(i);
        for dependency in defs[i].depends_on(defs) {
            let j = dependency.map_err(|key| DefinitionError {
                segment: defs[i].key.clone(),
                error: RuleError::new(format!("segment {key:?}"), "no segment has this key"),
            })?;
            visit(j, defs, marks, order, path)?;
        }
        path.pop();
        marks[i] = Mark::Done;
        order.push(i);
        Ok(())
    }
    for i in 0..defs.len() {
        visit(i, defs, &mut marks, &mut order, &mut Vec::new())?;
    }
    Ok(order)
}

impl Segments {
    /// Replaces the definitions. Members of segments that stay (by id) are kept, so the next
    /// evaluation reports only real changes; nothing changes when a definition is refused.
    pub fn define(
        &mut self,
        defs: &[Definition],
        people: &mut People,
        minor_per_major: f64,
    ) -> Result<(), DefinitionError> {
        let order = evaluation_order(defs)?;
        let position: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .map(|(pos, i)| (defs[*i].key.as_str(), pos))
            .collect();
        let lookup = |key: &str| position.get(key).copied();
        let mut entries = Vec::with_capacity(order.len());
        for i in order {
            let def = &defs[i];
            let mut names = Names {
                tag: &mut |t| people.intern(t),
                segment: &lookup,
                minor_per_major,
            };
            let rule = Compiled::of(&def.rule, &mut names).map_err(|error| DefinitionError {
                segment: def.key.clone(),
                error,
            })?;
            let members = self
                .entries
                .iter()
                .find(|e| e.id == def.id)
                .map(|e| e.members.clone())
                .unwrap_or_default();
            entries.push(Entry {
                id: def.id,
                key: def.key.clone(),
                calendar: rule.follows_the_calendar(),
                drifts: rule.drifts(),
                rule,
                members,
            });
        }
        self.entries = entries;
        Ok(())
    }

    /// Compiles a rule that is not saved (a preview), against the defined segments. A tag
    /// nobody carries matches nobody.
    pub fn compile(
        &self,
        rule: &Rule,
        people: &People,
        minor_per_major: f64,
    ) -> Result<Compiled, RuleError> {
        let lookup = |key: &str| self.entries.iter().position(|e| e.key == key);
        Compiled::of(
            rule,
            &mut Names {
                tag: &mut |t| people.tag_id(t).unwrap_or(u32::MAX),
                segment: &lookup,
                minor_per_major,
            },
        )
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether any segment depends on the shop's cuts or models, which drift.
    pub fn any_drifts(&self) -> bool {
        self.entries.iter().any(|e| e.drifts)
    }

    /// Sets a segment's members as stored, before the first evaluation.
    pub fn load_members(&mut self, segment: i64, customers: impl IntoIterator<Item = i64>) {
        if let Some(e) = self.entries.iter_mut().find(|e| e.id == segment) {
            e.members = customers.into_iter().map(|c| c as u64).collect();
        }
    }

    pub fn members(&self, segment: i64) -> Option<&RoaringTreemap> {
        self.entries
            .iter()
            .find(|e| e.id == segment)
            .map(|e| &e.members)
    }

    /// The segments a customer is in: (id, key).
    pub fn of_customer(&self, customer: i64) -> Vec<(i64, &str)> {
        self.entries
            .iter()
            .filter(|e| e.members.contains(customer as u64))
            .map(|e| (e.id, e.key.as_str()))
            .collect()
    }

    /// Evaluates every segment for one customer, appending what changed to `out`, and
    /// schedules the customer's next calendar turn.
    pub fn evaluate(&mut self, pass: &Pass<'_>, customer: i64, out: &mut Vec<Transition>) {
        let live = pass.people.is_live(customer);
        let subject = pass.customer(customer);
        let mut verdicts: Vec<bool> = Vec::with_capacity(self.entries.len());
        let mut turn: Option<i64> = None;
        for e in &mut self.entries {
            let now_in = live && subject.matches(&e.rule, &|at| verdicts[at]);
            verdicts.push(now_in);
            if now_in != e.members.contains(customer as u64) {
                if now_in {
                    e.members.insert(customer as u64);
                } else {
                    e.members.remove(customer as u64);
                }
                out.push(Transition {
                    segment: e.id,
                    customer,
                    entered: now_in,
                });
            }
            if live
                && e.calendar
                && let Some(day) = subject.next_turn(&e.rule)
            {
                turn = Some(turn.map_or(day, |t| t.min(day)));
            }
        }
        self.schedule(customer, turn);
    }

    /// Evaluates every segment for every customer: the live ones and any still counted as a
    /// member (merged away or erased since).
    pub fn evaluate_all(&mut self, pass: &Pass<'_>) -> Vec<Transition> {
        let mut everyone: RoaringTreemap = pass.people.live().map(|c| c as u64).collect();
        for e in &self.entries {
            everyone |= &e.members;
        }
        let mut out = Vec::new();
        for customer in everyone {
            self.evaluate(pass, customer as i64, &mut out);
        }
        out
    }

    fn schedule(&mut self, customer: i64, day: Option<i64>) {
        match day {
            None => {
                self.turns.remove(&customer);
            }
            Some(day) => {
                if self.turns.insert(customer, day) != Some(day) {
                    self.due.entry(day).or_default().push(customer);
                }
            }
        }
    }

    /// The first shop-local day at whose start some customer is due again.
    pub fn next_turn_day(&self) -> Option<i64> {
        self.due.keys().next().copied()
    }

    /// Takes the customers due on or before `today`.
    pub fn take_due(&mut self, today: i64) -> Vec<i64> {
        let mut out = Vec::new();
        while let Some(entry) = self.due.first_entry() {
            if *entry.key() > today {
                break;
            }
            let day = *entry.key();
            for c in entry.remove() {
                if self.turns.get(&c) == Some(&day) {
                    self.turns.remove(&c);
                    out.push(c);
                }
            }
        }
        out
    }
}

/// Counts the live customers matching a compiled rule and returns the first `sample` of them
/// (by id). A rule only customers with orders can match scans the order rows in memory order.
/// The scan is split across the machine's cores.
pub fn preview(
    rule: &Compiled,
    pass: &Pass<'_>,
    segments: &Segments,
    sample: usize,
) -> (u64, Vec<i64>) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let scan = |customers: &mut dyn Iterator<Item = (i64, Option<&OrderSummary>)>| {
        let mut found = Found::new(sample);
        for (customer, summary) in customers {
            let subject = match summary {
                Some(s) => pass.customer_with(customer, Some(s)),
                None => pass.customer(customer),
            };
            let member = |at: usize| {
                segments
                    .entries
                    .get(at)
                    .is_some_and(|e| e.members.contains(customer as u64))
            };
            if subject.matches(rule, &member) {
                found.add(customer);
            }
        }
        found
    };
    let parts: Vec<Found> = if rule.needs_orders() {
        let features = &pass.engine.features;
        let chunk = features.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let scan = &scan;
                    s.spawn(move || {
                        let mut rows = features
                            .rows()
                            .skip(t * chunk)
                            .take(chunk)
                            .filter(|(c, _)| pass.people.is_live(*c))
                            .map(|(c, s)| (c, Some(s)));
                        scan(&mut rows)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Found::new(sample)))
                .collect()
        })
    } else {
        vec![scan(&mut pass.people.live().map(|c| (c, None)))]
    };
    let mut all = Found::new(sample);
    for part in parts {
        all.count += part.count;
        for c in part.first {
            all.keep(c);
        }
    }
    (all.count, all.first)
}

/// A preview's tally: how many, and the lowest ids.
struct Found {
    count: u64,
    first: Vec<i64>,
    sample: usize,
}

impl Found {
    fn new(sample: usize) -> Self {
        Self {
            count: 0,
            first: Vec::with_capacity(sample + 1),
            sample,
        }
    }

    fn add(&mut self, customer: i64) {
        self.count += 1;
        self.keep(customer);
    }

    fn keep(&mut self, customer: i64) {
        if self.first.len() < self.sample || self.first.last().is_some_and(|l| customer < *l) {
            let at = self.first.partition_point(|c| *c < customer);
            self.first.insert(at, customer);
            self.first.truncate(self.sample);
        }
    }
}
