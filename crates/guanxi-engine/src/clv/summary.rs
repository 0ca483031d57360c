//! From transactions to what the models read: for each customer the number of repeat purchases
//! `x`, the time of the last one `t_x` and the time observed `T`, counted in weeks from the first
//! purchase, with purchases on the same day merged into one (as in the literature).

use std::collections::BTreeMap;

/// Days in a week: the models' time unit is the week.
const WEEK: f64 = 7.0;

/// A customer's repeat-purchase history up to the end of calibration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RepeatSummary {
    /// Purchases after the first (distinct days).
    pub x: u32,
    /// Weeks from the first purchase to the last.
    pub t_x: f64,
    /// Weeks from the first purchase to the end of calibration.
    pub t: f64,
    /// Mean value of the repeat purchases (the first one excluded); 0 without repeats.
    pub zbar: f64,
}

/// One customer's history, split at the end of calibration.
#[derive(Debug, Clone, PartialEq)]
pub struct History<K> {
    pub customer: K,
    pub summary: RepeatSummary,
    /// Days with purchases after calibration, up to the end of the holdout.
    pub holdout_purchases: u32,
}

/// One purchase: who, on which day (days since any fixed epoch) and for how much.
#[derive(Debug, Clone, PartialEq)]
pub struct Purchase<K> {
    pub customer: K,
    pub day: i64,
    pub amount: f64,
}

/// The histories of every customer whose first purchase is on or before `calibration_end`
/// (both days inclusive), by customer. Purchases after `holdout_end` are ignored; without a
/// holdout, everything after calibration is.
pub fn histories<K: Ord + Clone>(
    purchases: &[Purchase<K>],
    calibration_end: i64,
    holdout_end: Option<i64>,
) -> Vec<History<K>> {
    // Per customer, per day: the day's total. Same-day purchases are one purchase.
    let mut days: BTreeMap<&K, BTreeMap<i64, f64>> = BTreeMap::new();
    for p in purchases {
        *days
            .entry(&p.customer)
            .or_default()
            .entry(p.day)
            .or_default() += p.amount;
    }
    days.into_iter()
        .filter_map(|(customer, by_day)| {
            let (&first, _) = by_day.first_key_value()?;
            if first > calibration_end {
                return None;
            }
            let repeats: Vec<(i64, f64)> = by_day
                .range(first + 1..=calibration_end)
                .map(|(d, a)| (*d, *a))
                .collect();
            let x = repeats.len() as u32;
            let last = repeats.last().map_or(first, |(d, _)| *d);
            let zbar = match x {
                0 => 0.0,
                n => repeats.iter().map(|(_, a)| a).sum::<f64>() / f64::from(n),
            };
            let holdout_purchases = holdout_end.map_or(0, |end| {
                by_day.range(calibration_end + 1..=end).count() as u32
            });
            Some(History {
                customer: customer.clone(),
                summary: RepeatSummary {
                    x,
                    t_x: (last - first) as f64 / WEEK,
                    t: (calibration_end - first) as f64 / WEEK,
                    zbar,
                },
                holdout_purchases,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buy(customer: u32, day: i64, amount: f64) -> Purchase<u32> {
        Purchase {
            customer,
            day,
            amount,
        }
    }

    #[test]
    fn same_day_purchases_merge_and_the_first_is_not_a_repeat() {
        // Day 0 twice, day 14, day 21 twice; calibration ends on day 28, holdout on day 35.
        let purchases = [
            buy(1, 0, 10.0),
            buy(1, 0, 5.0),
            buy(1, 14, 20.0),
            buy(1, 21, 7.0),
            buy(1, 21, 3.0),
            buy(1, 30, 1.0),
            buy(1, 40, 1.0),
            buy(2, 29, 9.0),
        ];
        let found = histories(&purchases, 28, Some(35));
        assert_eq!(found.len(), 1, "customer 2 first bought after calibration");
        let h = &found[0];
        assert_eq!(h.summary.x, 2);
        assert_eq!(h.summary.t_x, 3.0);
        assert_eq!(h.summary.t, 4.0);
        assert_eq!(
            h.summary.zbar, 15.0,
            "(20 + 10) / 2: the first purchase is left out"
        );
        assert_eq!(h.holdout_purchases, 1, "day 40 is past the holdout");
    }
}
