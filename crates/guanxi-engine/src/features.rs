//! Per-customer order features, in columns: one row per customer with counted orders, found by
//! a map from customer id. Running sums keep the shop's averages exact at every change.

use crate::clv::RepeatSummary;
use crate::rfm::RfmInput;
use foldhash::HashMap;

pub const DAY_MS: i64 = 86_400_000;

/// One counted order of one customer: when, and what it brought in (minor units).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fact {
    pub customer: i64,
    pub at: i64,
    pub value: i64,
}

/// A customer's orders reduced to what the models read. Days are the shop's local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderSummary {
    pub first_at: i64,
    pub last_at: i64,
    pub orders: u32,
    pub spent: i64,
    pub first_day: i64,
    pub last_day: i64,
    /// The order day before the last one (`None` with a single order day): how long the
    /// customer had been away when they last came back.
    pub previous_day: Option<i64>,
    /// Days with orders after the first day: the repeat purchases of the CLV models.
    pub repeat_days: u32,
    /// What those days brought in.
    pub repeat_spent: i64,
}

impl OrderSummary {
    /// The summary of one customer's facts in time order; `None` without any.
    pub fn of(facts: &[Fact], day_of: impl Fn(i64) -> i64) -> Option<Self> {
        let first = facts.first()?;
        let last = facts.last()?;
        let first_day = day_of(first.at);
        let mut repeat_days = 0;
        let mut repeat_spent = 0;
        let mut current_day = first_day;
        let mut day_before = None;
        for f in facts {
            let day = day_of(f.at);
            if day != first_day {
                repeat_spent += f.value;
                if day != current_day {
                    repeat_days += 1;
                    day_before = Some(current_day);
                }
            }
            current_day = day;
        }
        Some(Self {
            first_at: first.at,
            last_at: last.at,
            orders: facts.len() as u32,
            spent: facts.iter().map(|f| f.value).sum(),
            first_day,
            last_day: day_of(last.at),
            previous_day: day_before,
            repeat_days,
            repeat_spent,
        })
    }

    pub fn rfm_input(&self, now: i64) -> RfmInput {
        RfmInput {
            recency_days: (now - self.last_at).max(0) as f64 / DAY_MS as f64,
            frequency: self.orders,
            monetary: self.spent,
        }
    }

    /// The history the CLV models read, observed up to `today` (a shop-local day).
    pub fn repeat_summary(&self, today: i64) -> RepeatSummary {
        let weeks = |days: i64| days.max(0) as f64 / 7.0;
        RepeatSummary {
            x: self.repeat_days,
            t_x: weeks(self.last_day - self.first_day),
            t: weeks(today - self.first_day),
            zbar: match self.repeat_days {
                0 => 0.0,
                n => self.repeat_spent as f64 / f64::from(n),
            },
        }
    }
}

/// Every customer's summary, in columns.
#[derive(Debug, Clone, Default)]
pub struct Features {
    rows: HashMap<i64, usize>,
    customer: Vec<i64>,
    summary: Vec<OrderSummary>,
    sum_last_at: i128,
    sum_orders: u64,
    sum_spent: i128,
}

impl Features {
    pub fn len(&self) -> usize {
        self.customer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.customer.is_empty()
    }

    pub fn get(&self, customer: i64) -> Option<&OrderSummary> {
        self.rows.get(&customer).map(|row| &self.summary[*row])
    }

    pub fn summaries(&self) -> &[OrderSummary] {
        &self.summary
    }

    /// Every customer with their summary, in the order rows are kept (which is the order they
    /// were read in, by id, for a built engine): a scan that reads memory in order.
    pub fn rows(&self) -> impl Iterator<Item = (i64, &OrderSummary)> {
        self.customer.iter().copied().zip(&self.summary)
    }

    /// Sets a customer's summary, or removes the customer (`None`: no counted orders, or
    /// merged into another).
    pub fn set(&mut self, customer: i64, summary: Option<OrderSummary>) {
        if let Some(row) = self.rows.get(&customer).copied() {
            let old = self.summary[row];
            self.account(&old, -1);
            match summary {
                Some(s) => {
                    self.account(&s, 1);
                    self.summary[row] = s;
                }
                None => self.remove_row(row),
            }
        } else if let Some(s) = summary {
            self.account(&s, 1);
            self.rows.insert(customer, self.customer.len());
            self.customer.push(customer);
            self.summary.push(s);
        }
    }

    fn remove_row(&mut self, row: usize) {
        self.rows.remove(&self.customer[row]);
        self.customer.swap_remove(row);
        self.summary.swap_remove(row);
        if let Some(moved) = self.customer.get(row) {
            self.rows.insert(*moved, row);
        }
    }

    fn account(&mut self, s: &OrderSummary, sign: i8) {
        let sign = i128::from(sign);
        self.sum_last_at += sign * i128::from(s.last_at);
        self.sum_orders = (self.sum_orders as i128 + sign * i128::from(s.orders)) as u64;
        self.sum_spent += sign * i128::from(s.spent);
    }

    /// The shop's average recency (days, at `now`), frequency and spend; `None` when empty.
    pub fn averages(&self, now: i64) -> Option<crate::rfm::ClassThresholds> {
        let n = self.len() as f64;
        if self.is_empty() {
            return None;
        }
        let mean_last_at = self.sum_last_at as f64 / n;
        Some(crate::rfm::ClassThresholds {
            recency_days: (now as f64 - mean_last_at) / DAY_MS as f64,
            frequency: self.sum_orders as f64 / n,
            monetary: self.sum_spent as f64 / n,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fact(at_day: i64, value: i64) -> Fact {
        Fact {
            customer: 1,
            at: at_day * DAY_MS + 3_600_000,
            value,
        }
    }

    #[test]
    fn repeat_days_skip_the_first_day_and_merge_same_days() {
        let facts = [
            fact(10, 100),
            fact(10, 50),
            fact(17, 30),
            fact(17, 20),
            fact(24, 10),
        ];
        let s = OrderSummary::of(&facts, |at| at.div_euclid(DAY_MS)).expect("orders");
        assert_eq!((s.orders, s.spent), (5, 210));
        assert_eq!((s.repeat_days, s.repeat_spent), (2, 60));
        assert_eq!(s.previous_day, Some(17), "the last order day before day 24");
        let r = s.repeat_summary(31);
        assert_eq!((r.x, r.t_x, r.t, r.zbar), (2, 2.0, 3.0, 30.0));
    }

    #[test]
    fn averages_follow_every_change() {
        let mut features = Features::default();
        let summary = |last_day: i64, orders: u32, spent: i64| OrderSummary {
            first_at: 0,
            last_at: last_day * DAY_MS,
            orders,
            spent,
            first_day: 0,
            last_day,
            previous_day: None,
            repeat_days: orders - 1,
            repeat_spent: 0,
        };
        features.set(1, Some(summary(10, 1, 100)));
        features.set(2, Some(summary(20, 3, 300)));
        features.set(3, Some(summary(30, 2, 200)));
        let now = 40 * DAY_MS;
        let a = features.averages(now).expect("customers");
        assert_eq!(
            (a.recency_days, a.frequency, a.monetary),
            (20.0, 2.0, 200.0)
        );
        features.set(1, None);
        features.set(3, Some(summary(40, 5, 500)));
        assert_eq!(features.len(), 2);
        assert_eq!(features.get(3).map(|s| s.orders), Some(5));
        assert_eq!(
            features.get(2).map(|s| s.orders),
            Some(3),
            "moved row still found"
        );
        let a = features.averages(now).expect("customers");
        assert_eq!(
            (a.recency_days, a.frequency, a.monetary),
            (10.0, 4.0, 400.0)
        );
    }
}
