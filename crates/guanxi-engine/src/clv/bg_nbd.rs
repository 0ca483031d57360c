//! BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive, a
//! customer buys at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with
//! probability p ~ Beta(a, b).

use super::hyp2f1::hyp2f1;
use super::optimize::{FitError, minimize_positive};
use super::summary::RepeatSummary;
use libm::lgamma;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BgNbd {
    pub r: f64,
    pub alpha: f64,
    pub a: f64,
    pub b: f64,
}

/// Fitted parameters with the log-likelihood they reach.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Fit<P> {
    #[serde(flatten)]
    pub params: P,
    pub log_likelihood: f64,
    pub customers: usize,
    pub iterations: u64,
}

/// ln(eᵘ + eᵛ) without overflow.
fn log_add_exp(u: f64, v: f64) -> f64 {
    let top = u.max(v);
    top + ((u - top).exp() + (v - top).exp()).ln()
}

/// Histories as the fit reads them: identical ones counted once with their number (a shop's
/// histories repeat a lot: everyone who bought once on the same day), and the repeat counts
/// that occur, so the terms that depend on x alone are computed once per x and evaluation.
struct Prepared {
    xs: Vec<u32>,
    /// (index into `xs`, t_x, T, how many customers)
    groups: Vec<(usize, f64, f64, f64)>,
}

impl Prepared {
    fn new(data: &[RepeatSummary]) -> Self {
        let mut counts: BTreeMap<(u32, u64, u64), f64> = BTreeMap::new();
        for s in data {
            *counts
                .entry((s.x, s.t_x.to_bits(), s.t.to_bits()))
                .or_default() += 1.0;
        }
        let xs: Vec<u32> = counts
            .keys()
            .map(|(x, _, _)| *x)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let groups = counts
            .into_iter()
            .map(|((x, t_x, t), n)| {
                let at = xs.binary_search(&x).unwrap_or_default();
                (at, f64::from_bits(t_x), f64::from_bits(t), n)
            })
            .collect();
        Self { xs, groups }
    }

    fn log_likelihood(&self, m: &BgNbd) -> f64 {
        let BgNbd { r, alpha, a, b } = *m;
        // Per x: the terms of x alone, and the log-odds factor of having dropped out.
        let per_x: Vec<(f64, f64)> = self
            .xs
            .iter()
            .map(|x| {
                let x = f64::from(*x);
                let base =
                    lgamma(r + x) - lgamma(r) + r * alpha.ln() + lgamma(a + b) + lgamma(b + x)
                        - lgamma(b)
                        - lgamma(a + b + x);
                let dropped = if x > 0.0 {
                    a.ln() - (b + x - 1.0).ln()
                } else {
                    f64::NEG_INFINITY
                };
                (base, dropped)
            })
            .collect();
        self.groups
            .iter()
            .map(|(at, t_x, t, n)| {
                let x = f64::from(self.xs[*at]);
                let (base, dropped) = per_x[*at];
                let alive = -(r + x) * (alpha + t).ln();
                let tail = if dropped.is_finite() {
                    log_add_exp(alive, dropped - (r + x) * (alpha + t_x).ln())
                } else {
                    alive
                };
                n * (base + tail)
            })
            .sum()
    }
}

impl BgNbd {
    /// The log-likelihood of one customer's history.
    pub fn log_likelihood_of(&self, s: &RepeatSummary) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let x = f64::from(s.x);
        let a1 = lgamma(r + x) - lgamma(r) + r * alpha.ln();
        let a2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x);
        let a3 = -(r + x) * (alpha + s.t).ln();
        let tail = if s.x > 0 {
            let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + s.t_x).ln();
            log_add_exp(a3, a4)
        } else {
            a3
        };
        a1 + a2 + tail
    }

    pub fn log_likelihood(&self, data: &[RepeatSummary]) -> f64 {
        data.iter().map(|s| self.log_likelihood_of(s)).sum()
    }

    /// Maximum-likelihood parameters for these histories.
    pub fn fit(data: &[RepeatSummary]) -> Result<Fit<BgNbd>, FitError> {
        if !data.iter().any(|s| s.x > 0) {
            return Err(FitError::TooLittleData {
                model: "BG/NBD",
                reason: "nobody bought twice".to_owned(),
            });
        }
        let prepared = Prepared::new(data);
        let negative = |p: &[f64]| {
            -prepared.log_likelihood(&BgNbd {
                r: p[0],
                alpha: p[1],
                a: p[2],
                b: p[3],
            })
        };
        let min = minimize_positive("BG/NBD", negative, &[1.0, 1.0, 1.0, 1.0])?;
        Ok(Fit {
            params: BgNbd {
                r: min.params[0],
                alpha: min.params[1],
                a: min.params[2],
                b: min.params[3],
            },
            log_likelihood: -min.value,
            customers: data.len(),
            iterations: min.iterations,
        })
    }

    /// The probability that the customer has not dropped out by the end of their history.
    /// Someone who never bought again is alive by the model's assumption (dropping out happens
    /// only right after a purchase).
    pub fn p_alive(&self, s: &RepeatSummary) -> f64 {
        if s.x == 0 {
            return 1.0;
        }
        let x = f64::from(s.x);
        let odds_dead = self.a / (self.b + x - 1.0)
            * ((self.alpha + s.t) / (self.alpha + s.t_x)).powf(self.r + x);
        1.0 / (1.0 + odds_dead)
    }

    /// Expected purchases in the `weeks` after the end of this customer's history.
    pub fn expected_purchases(&self, s: &RepeatSummary, weeks: f64) -> f64 {
        let Self { r, alpha, a, b } = *self;
        let x = f64::from(s.x);
        let horizon = alpha + s.t + weeks;
        let z = weeks / horizon;
        let bracket =
            1.0 - ((alpha + s.t) / horizon).powf(r + x) * hyp2f1(r + x, b + x, a + b + x - 1.0, z);
        let alive_weight = if s.x > 0 {
            1.0 + a / (b + x - 1.0) * ((alpha + s.t) / (alpha + s.t_x)).powf(r + x)
        } else {
            1.0
        };
        (a + b + x - 1.0) / (a - 1.0) * bracket / alive_weight
    }

    /// Median weeks to the next purchase of a customer who is still alive: the posterior rate
    /// is Gamma(r + x, α + T), so the wait is Lomax-distributed.
    pub fn median_weeks_to_next(&self, s: &RepeatSummary) -> f64 {
        let shape = self.r + f64::from(s.x);
        (self.alpha + s.t) * (2f64.powf(1.0 / shape) - 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prepared_likelihood_is_the_sum_over_customers() {
        let data = [
            RepeatSummary {
                x: 0,
                t_x: 0.0,
                t: 30.0,
                zbar: 0.0,
            },
            RepeatSummary {
                x: 0,
                t_x: 0.0,
                t: 30.0,
                zbar: 0.0,
            },
            RepeatSummary {
                x: 2,
                t_x: 20.0,
                t: 38.0,
                zbar: 0.0,
            },
            RepeatSummary {
                x: 5,
                t_x: 35.5,
                t: 36.0,
                zbar: 0.0,
            },
        ];
        let m = BgNbd {
            r: 0.24,
            alpha: 4.4,
            a: 0.79,
            b: 2.4,
        };
        let prepared = Prepared::new(&data).log_likelihood(&m);
        assert!(
            (prepared - m.log_likelihood(&data)).abs() < 1e-9,
            "{prepared}"
        );
    }
}
