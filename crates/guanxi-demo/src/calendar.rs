//! When people shop: the two-year window, the growth in new customers, the shopping festivals
//! (38 女王节, 520, 618, 七夕, 中秋, 双11, 双12, 春节 gifts and the 春节 delivery pause) and the
//! hours of a Chinese shopping day, all in Beijing time.

use crate::sampling::{exponential, open_unit, pick_index};
use chrono::{DateTime, Datelike, NaiveDate};
use guanxi_domain::Millis;
use rand::Rng;

pub(crate) const MINUTE: i64 = 60_000;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;
pub(crate) const YEAR: i64 = 365 * DAY;
/// Asia/Shanghai has kept UTC+8 without daylight saving since 1991.
const BEIJING: i64 = 8 * HOUR;
/// How much more new customers arrive in the last days of the window than in the first.
const GROWTH: f64 = 2.5;

/// Relative orders per hour of a Beijing day: a lunch bump and the evening peak.
const HOUR_WEIGHTS: [f64; 24] = [
    3.0, 1.5, 0.8, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 4.5, 4.5, 4.0, 4.0, 4.0, 4.0, 4.5, 5.0,
    6.0, 7.0, 8.0, 8.0, 6.0,
];

const SPRING_FESTIVAL: &[(i32, u32, u32)] = &[
    (2023, 1, 22),
    (2024, 2, 10),
    (2025, 1, 29),
    (2026, 2, 17),
    (2027, 2, 6),
    (2028, 1, 26),
];
const MID_AUTUMN: &[(i32, u32, u32)] = &[
    (2023, 9, 29),
    (2024, 9, 17),
    (2025, 10, 6),
    (2026, 9, 25),
    (2027, 9, 15),
    (2028, 10, 3),
];
const QIXI: &[(i32, u32, u32)] = &[
    (2023, 8, 22),
    (2024, 8, 10),
    (2025, 8, 29),
    (2026, 8, 19),
    (2027, 8, 8),
    (2028, 8, 26),
];

pub(crate) fn date_of(t: Millis) -> NaiveDate {
    DateTime::from_timestamp_millis(t + BEIJING)
        .map(|d| d.date_naive())
        .unwrap_or_default()
}

fn hour_of(t: Millis) -> usize {
    ((t + BEIJING).rem_euclid(DAY) / HOUR) as usize
}

fn is_double_eleven(date: NaiveDate) -> bool {
    (date.month(), date.day()) == (11, 11)
}

/// Orders per hour on a date: 双11 starts with a rush at midnight.
fn hour_weight(date: NaiveDate, hour: usize) -> f64 {
    let w = HOUR_WEIGHTS[hour % 24];
    if hour == 0 && is_double_eleven(date) {
        w * 8.0
    } else {
        w
    }
}

/// Signed days from `date` to the nearest festival in the table (positive: still ahead).
fn days_to(date: NaiveDate, table: &[(i32, u32, u32)]) -> i64 {
    table
        .iter()
        .filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(*y, *m, *d))
        .map(|f| (f - date).num_days())
        .min_by_key(|d| d.abs())
        .unwrap_or(i64::MAX / 2)
}

/// Orders on a date relative to an ordinary day.
pub(crate) fn season(date: NaiveDate) -> f64 {
    let boost = match (date.month(), date.day()) {
        (11, 11) => 7.0,
        (11, 1..=10) => 0.9,
        (10, 20..=31) => 0.6,
        (11, 12) => 0.5,
        (12, 12) => 1.2,
        (6, 18) => 4.0,
        (6, 16..=17) => 1.5,
        (6, 1..=15) => 0.6,
        (5, 25..=31) => 0.3,
        (5, 20) => 0.6,
        (5, 5..=11) => 0.3,
        (3, 8) => 1.5,
        (3, 3..=7) => 0.4,
        _ => 0.0,
    };
    let mut s = 1.0 + boost;
    if matches!(date.month(), 7 | 8) {
        s *= 0.85;
    }
    match days_to(date, SPRING_FESTIVAL) {
        8..=25 => s += 0.7,
        -7..=7 => s *= 0.35,
        _ => {}
    }
    if (1..=14).contains(&days_to(date, MID_AUTUMN)) {
        s += 0.4;
    }
    match days_to(date, QIXI) {
        0 => s += 0.6,
        1..=3 => s += 0.3,
        _ => {}
    }
    s
}

/// How much more a category sells on a date: gifts before 春节 and 中秋, new-season tea in
/// spring, sleepwear in summer, duvets in winter.
pub(crate) fn category_boost(category: &str, date: NaiveDate) -> f64 {
    let month = date.month();
    match category {
        "gift-sets" if (8..=25).contains(&days_to(date, SPRING_FESTIVAL)) => 4.0,
        "gift-sets" if (1..=14).contains(&days_to(date, MID_AUTUMN)) => 3.0,
        "gift-sets" if month == 5 && date.day() <= 11 => 2.0,
        "tea" if (month == 3 && date.day() >= 20) || month == 4 => 1.8,
        "sleepwear" if (5..=8).contains(&month) => 1.4,
        "bedding" if month >= 10 || month <= 1 => 1.5,
        "accessories" if days_to(date, QIXI) == 0 || (month, date.day()) == (5, 20) => 1.5,
        _ => 1.0,
    }
}

/// Whether a date falls in a store-wide promotion with 满减 discounts.
pub(crate) fn is_promotion(date: NaiveDate) -> bool {
    matches!(
        (date.month(), date.day()),
        (11, 1..=12) | (10, 20..=31) | (6, 1..=18) | (12, 12) | (3, 8)
    )
}

/// The demo's time line: precomputed daily weights over the window before `end`.
#[derive(Debug, Clone)]
pub(crate) struct Calendar {
    /// First Beijing midnight at most two years before `end`.
    pub start: Millis,
    pub end: Millis,
    season: Vec<f64>,
    double_eleven: Vec<bool>,
    arrival_cdf: Vec<f64>,
    max_intensity: f64,
    mean_intensity: f64,
}

impl Calendar {
    pub(crate) fn new(end: Millis) -> Self {
        let earliest = end - 730 * DAY;
        let start = (earliest + BEIJING + DAY - 1).div_euclid(DAY) * DAY - BEIJING;
        let full_days = ((end - start) / DAY).max(1) as usize;
        let covered = ((end - start + DAY - 1) / DAY).max(1) as usize;
        let dates: Vec<NaiveDate> = (0..covered)
            .map(|d| date_of(start + d as i64 * DAY))
            .collect();
        let season: Vec<f64> = dates.iter().map(|d| season(*d)).collect();
        let mut total = 0.0;
        let mut arrival_cdf: Vec<f64> = (0..full_days)
            .map(|d| {
                let growth = GROWTH.powf(d as f64 / full_days as f64);
                total += growth * season[d].powf(0.7);
                total
            })
            .collect();
        arrival_cdf.iter_mut().for_each(|c| *c /= total);
        let max_hour = |date: &NaiveDate| if is_double_eleven(*date) { 24.0 } else { 8.0 };
        let max_intensity = season
            .iter()
            .zip(&dates)
            .map(|(s, d)| s * max_hour(d))
            .fold(0.0, f64::max);
        let mean_hour = HOUR_WEIGHTS.iter().sum::<f64>() / 24.0;
        let mean_intensity = season.iter().sum::<f64>() / season.len() as f64 * mean_hour;
        let double_eleven = dates.iter().map(|d| is_double_eleven(*d)).collect();
        Self {
            start,
            end,
            season,
            double_eleven,
            arrival_cdf,
            max_intensity,
            mean_intensity,
        }
    }

    fn intensity(&self, t: Millis) -> f64 {
        let day = ((t - self.start) / DAY).clamp(0, self.season.len() as i64 - 1) as usize;
        let hour = hour_of(t);
        let rush = if hour == 0 && self.double_eleven[day] {
            8.0
        } else {
            1.0
        };
        self.season[day] * HOUR_WEIGHTS[hour] * rush
    }

    /// The instant at quantile `u` in [0, 1) of customer arrivals. Monotonic in `u`, so
    /// customers numbered in order of `u` arrive in order.
    pub(crate) fn arrival_at(&self, u: f64) -> Millis {
        let day = self
            .arrival_cdf
            .partition_point(|c| *c <= u)
            .min(self.arrival_cdf.len() - 1);
        let before = if day == 0 {
            0.0
        } else {
            self.arrival_cdf[day - 1]
        };
        let width = (self.arrival_cdf[day] - before).max(f64::MIN_POSITIVE);
        let within = ((u - before) / width).clamp(0.0, 1.0 - 1e-12);
        let day_start = self.start + day as i64 * DAY;
        let date = date_of(day_start);
        let weights: Vec<f64> = (0..24).map(|h| hour_weight(date, h)).collect();
        let mut target = within * weights.iter().sum::<f64>();
        for (hour, w) in weights.iter().enumerate() {
            if target < *w {
                let offset = (hour as f64 + target / w) * HOUR as f64;
                return (day_start + offset as i64).min(self.end - 1);
            }
            target -= w;
        }
        (day_start + DAY - 1).min(self.end - 1)
    }

    /// Purchase instants of a Poisson process with `rate_per_year` on an ordinary day, shaped by
    /// festivals and hours (thinning), in [from, to), at most `limit`.
    pub(crate) fn purchases(
        &self,
        rng: &mut impl Rng,
        from: Millis,
        to: Millis,
        rate_per_year: f64,
        limit: usize,
    ) -> Vec<Millis> {
        let to = to.min(self.end);
        let mut times = Vec::new();
        if rate_per_year <= 0.0 {
            return times;
        }
        let candidate_rate = rate_per_year / YEAR as f64 * self.max_intensity / self.mean_intensity;
        let mut t = from as f64;
        while times.len() < limit {
            t += exponential(rng, candidate_rate);
            if t >= to as f64 {
                break;
            }
            let at = t as Millis;
            if rng.gen_range(0.0..self.max_intensity) < self.intensity(at) {
                times.push(at);
            }
        }
        times
    }

    /// One instant in [from, to) drawn with the shopping intensity (uniform after 200 misses).
    pub(crate) fn instant_between(&self, rng: &mut impl Rng, from: Millis, to: Millis) -> Millis {
        let to = to.min(self.end);
        if to <= from + 1 {
            return from;
        }
        for _ in 0..200 {
            let at = rng.gen_range(from..to);
            if rng.gen_range(0.0..self.max_intensity) < self.intensity(at) {
                return at;
            }
        }
        rng.gen_range(from..to)
    }

    /// A delay after an event with the given mean, as a waiting time.
    pub(crate) fn delay(rng: &mut impl Rng, mean: i64) -> i64 {
        (-open_unit(rng).ln() * mean as f64) as i64
    }

    /// A category index weighted by base share and the date's boosts.
    pub(crate) fn seasonal_category(
        rng: &mut impl Rng,
        date: NaiveDate,
        weights: impl Iterator<Item = (usize, f64)> + Clone,
    ) -> usize {
        let items: Vec<(usize, f64)> = weights.collect();
        let i = pick_index(
            rng,
            items
                .iter()
                .map(|(c, w)| w * category_boost(crate::catalogue::CATEGORIES[*c].0, date)),
        );
        items.get(i).map(|(c, _)| *c).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn calendar() -> Calendar {
        Calendar::new(
            Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .expect("date")
                .timestamp_millis(),
        )
    }

    #[test]
    fn window_is_two_years_from_beijing_midnight() {
        let c = calendar();
        assert!(c.start >= c.end - 730 * DAY);
        assert_eq!((c.start + BEIJING) % DAY, 0);
    }

    #[test]
    fn arrivals_are_monotonic_and_grow() {
        let c = calendar();
        let times: Vec<Millis> = (0..1000).map(|i| c.arrival_at(i as f64 / 1000.0)).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        assert!(times.iter().all(|t| (c.start..c.end).contains(t)));
        let middle = c.start + (c.end - c.start) / 2;
        assert!(times.iter().filter(|t| **t < middle).count() < 450);
    }

    #[test]
    fn double_eleven_outsells_an_ordinary_day() {
        let d = |m, day| NaiveDate::from_ymd_opt(2025, m, day).expect("date");
        assert!(season(d(11, 11)) > 5.0 * season(d(9, 3)));
        assert!(season(d(6, 18)) > 3.0 * season(d(9, 3)));
        assert!(season(d(1, 29)) < season(d(9, 3)), "春节 pause");
    }
}
