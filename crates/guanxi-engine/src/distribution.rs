//! How predicted lifetime value is spread over the shop's customers: ten bands of equal size,
//! the most valuable first, each with its range and its share of all the value expected. On a
//! large shop it reads an even sample, which the result says.

use crate::scores::Engine;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClvBand {
    /// 1 for the top tenth.
    pub decile: u8,
    pub min: f64,
    pub max: f64,
    pub mean: f64,
    /// The band's share of all the value expected.
    pub share_of_value: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClvDistribution {
    /// Customers with orders.
    pub customers: usize,
    /// Customers whose predictions were computed.
    pub sampled: usize,
    /// The mean predicted 12-month value, in minor units.
    pub mean: f64,
    pub bands: Vec<ClvBand>,
}

impl Engine {
    /// The distribution of predicted lifetime value on `today`, from at most `max_sample`
    /// customers spread evenly over the shop.
    pub fn clv_distribution(&self, today: i64, max_sample: usize) -> ClvDistribution {
        let summaries = self.features.summaries();
        let every = summaries.len().div_ceil(max_sample.max(1)).max(1);
        let mut values: Vec<f64> = summaries
            .iter()
            .step_by(every)
            .map(|s| self.prediction(s, today).clv)
            .filter(|v| v.is_finite())
            .collect();
        values.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = values.iter().sum();
        let n = values.len();
        let bands = (0..10usize)
            .filter_map(|d| {
                let band = &values[d * n / 10..(d + 1) * n / 10];
                let (first, last) = (band.first()?, band.last()?);
                let sum: f64 = band.iter().sum();
                Some(ClvBand {
                    decile: d as u8 + 1,
                    min: *last,
                    max: *first,
                    mean: sum / band.len() as f64,
                    share_of_value: if total > 0.0 { sum / total } else { 0.0 },
                })
            })
            .collect();
        ClvDistribution {
            customers: summaries.len(),
            sampled: n,
            mean: if n > 0 { total / n as f64 } else { 0.0 },
            bands,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::clv::ClvOptions;
    use crate::features::{DAY_MS, Fact, Features, OrderSummary};
    use crate::scores::Engine;

    #[test]
    fn ten_bands_of_falling_value_that_add_up() {
        let mut features = Features::default();
        for c in 1..=100i64 {
            let facts: Vec<Fact> = (0..(c % 7 + 1))
                .map(|k| Fact {
                    customer: c,
                    at: (900 + k * 10) * DAY_MS,
                    value: c * 100,
                })
                .collect();
            features.set(c, OrderSummary::of(&facts, |at| at.div_euclid(DAY_MS)));
        }
        let engine = Engine::build(features, 1_000, 1_000 * DAY_MS, ClvOptions::default());
        let d = engine.clv_distribution(1_000, 1_000);
        assert_eq!((d.customers, d.sampled, d.bands.len()), (100, 100, 10));
        assert!(d.bands.windows(2).all(|w| w[0].min >= w[1].max), "{d:?}");
        let shares: f64 = d.bands.iter().map(|b| b.share_of_value).sum();
        assert!((shares - 1.0).abs() < 1e-9);
        let sampled = engine.clv_distribution(1_000, 10);
        assert_eq!(sampled.sampled, 10, "an even sample of ten");
    }
}
