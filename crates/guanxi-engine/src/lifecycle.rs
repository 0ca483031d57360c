//! Lifecycle stages, judged against the shop's own purchase cycle: the median time between a
//! repeat buyer's orders. A shop selling tea restocks monthly; one selling sofas, yearly.

use crate::features::OrderSummary;
use serde::Serialize;

/// Where a customer stands, by their orders and the shop's cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// One order day, within the last cycle.
    New,
    /// A second order day, within the last cycle: just became a repeat buyer.
    Repeat,
    /// Came back within the last cycle after more than two cycles away.
    WonBack,
    /// Three or more order days, the last within the last cycle.
    Active,
    /// Their last order is between one and two cycles old.
    AtRisk,
    /// Nothing for more than two cycles.
    Lapsed,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::New,
        Stage::Active,
        Stage::Repeat,
        Stage::AtRisk,
        Stage::Lapsed,
        Stage::WonBack,
    ];

    pub const fn key(self) -> &'static str {
        match self {
            Stage::New => "new",
            Stage::Active => "active",
            Stage::Repeat => "repeat",
            Stage::AtRisk => "at_risk",
            Stage::Lapsed => "lapsed",
            Stage::WonBack => "won_back",
        }
    }
}

/// A shop's purchase cycle in days, with a floor so a shop of same-week repeaters does not
/// call everyone lapsed after a fortnight.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cycle {
    pub days: f64,
}

/// The shortest cycle used, in days.
const MIN_CYCLE_DAYS: f64 = 7.0;
/// The cycle of a shop without repeat buyers yet.
const DEFAULT_CYCLE_DAYS: f64 = 90.0;

impl Cycle {
    /// The median of repeat buyers' mean gaps between order days.
    pub fn of(summaries: &[OrderSummary]) -> Self {
        let mut gaps: Vec<f64> = summaries
            .iter()
            .filter(|s| s.repeat_days > 0)
            .map(|s| (s.last_day - s.first_day) as f64 / f64::from(s.repeat_days))
            .collect();
        if gaps.is_empty() {
            return Self {
                days: DEFAULT_CYCLE_DAYS,
            };
        }
        gaps.sort_by(f64::total_cmp);
        let median = gaps[(gaps.len() - 1) / 2];
        Self {
            days: median.max(MIN_CYCLE_DAYS),
        }
    }

    /// The stage of a customer on the shop-local day `today`.
    pub fn stage_of(&self, s: &OrderSummary, today: i64) -> Stage {
        let since_last = (today - s.last_day) as f64;
        if since_last > 2.0 * self.days {
            return Stage::Lapsed;
        }
        if since_last > self.days {
            return Stage::AtRisk;
        }
        match s.previous_day {
            None => Stage::New,
            Some(before) if (s.last_day - before) as f64 > 2.0 * self.days => Stage::WonBack,
            Some(_) if s.repeat_days == 1 => Stage::Repeat,
            Some(_) => Stage::Active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(days: &[i64]) -> OrderSummary {
        let repeat_days = days.len() as u32 - 1;
        OrderSummary {
            first_at: 0,
            last_at: 0,
            orders: days.len() as u32,
            spent: 0,
            first_day: days[0],
            last_day: *days.last().expect("days"),
            previous_day: (days.len() > 1).then(|| days[days.len() - 2]),
            repeat_days,
            repeat_spent: 0,
        }
    }

    #[test]
    fn stages_follow_the_shops_cycle() {
        let cycle = Cycle { days: 30.0 };
        let today = 1_000;
        assert_eq!(cycle.stage_of(&customer(&[990]), today), Stage::New);
        assert_eq!(cycle.stage_of(&customer(&[960, 980]), today), Stage::Repeat);
        assert_eq!(
            cycle.stage_of(&customer(&[950, 960, 980]), today),
            Stage::Active
        );
        assert_eq!(
            cycle.stage_of(&customer(&[800, 995]), today),
            Stage::WonBack
        );
        assert_eq!(cycle.stage_of(&customer(&[960]), today), Stage::AtRisk);
        assert_eq!(cycle.stage_of(&customer(&[500, 900]), today), Stage::Lapsed);
        let slow = Cycle { days: 100.0 };
        assert_eq!(slow.stage_of(&customer(&[850]), today), Stage::AtRisk);
        assert_eq!(slow.stage_of(&customer(&[880]), today), Stage::AtRisk);
        assert_eq!(slow.stage_of(&customer(&[930]), today), Stage::New);
    }

    #[test]
    fn the_cycle_is_the_median_gap_of_repeat_buyers() {
        let shop = [
            customer(&[0, 10, 20]),
            customer(&[0, 40]),
            customer(&[0, 100]),
            customer(&[5]),
        ];
        assert_eq!(Cycle::of(&shop).days, 40.0);
        assert_eq!(
            Cycle::of(&[customer(&[5])]).days,
            90.0,
            "no repeat buyers yet"
        );
        assert_eq!(Cycle::of(&[customer(&[0, 1, 2])]).days, 7.0, "the floor");
    }
}
