//! The statistics behind campaign results: conversion against a holdout with a confidence
//! interval, and the probability that each A/B variant is the best.

/// `successes` out of `trials`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Proportion {
    pub successes: u64,
    pub trials: u64,
}

impl Proportion {
    pub fn rate(&self) -> f64 {
        if self.trials == 0 {
            0.0
        } else {
            self.successes as f64 / self.trials as f64
        }
    }

    /// Mean and variance of the Beta(1 + successes, 1 + failures) posterior.
    fn posterior(&self) -> (f64, f64) {
        let a = 1.0 + self.successes as f64;
        let b = 1.0 + self.trials.saturating_sub(self.successes) as f64;
        let n = a + b;
        (a / n, a * b / (n * n * (n + 1.0)))
    }
}

/// The difference of two rates (`treated - control`) with its 95% confidence interval
/// (Wald, unpooled): `(difference, low, high)`. `None` when either group is empty.
pub fn difference_ci(treated: Proportion, control: Proportion) -> Option<(f64, f64, f64)> {
    if treated.trials == 0 || control.trials == 0 {
        return None;
    }
    let (p1, p2) = (treated.rate(), control.rate());
    let se =
        (p1 * (1.0 - p1) / treated.trials as f64 + p2 * (1.0 - p2) / control.trials as f64).sqrt();
    let d = p1 - p2;
    Some((d, d - 1.96 * se, d + 1.96 * se))
}

/// The probability that each arm has the highest true rate, from the normal approximation
/// of each arm's Beta posterior: ∫ pdf_i(x) Π_{j≠i} cdf_j(x) dx, integrated numerically.
pub fn probability_best(arms: &[Proportion]) -> Vec<f64> {
    if arms.len() < 2 {
        return vec![1.0; arms.len()];
    }
    let posts: Vec<(f64, f64)> = arms
        .iter()
        .map(|a| {
            let (m, v) = a.posterior();
            (m, v.sqrt().max(1e-9))
        })
        .collect();
    let low = posts
        .iter()
        .map(|(m, s)| m - 8.0 * s)
        .fold(f64::INFINITY, f64::min);
    let high = posts
        .iter()
        .map(|(m, s)| m + 8.0 * s)
        .fold(f64::NEG_INFINITY, f64::max);
    const STEPS: usize = 4_000;
    let h = (high - low) / STEPS as f64;
    let mut out: Vec<f64> = posts
        .iter()
        .enumerate()
        .map(|(i, &(mi, si))| {
            (0..=STEPS)
                .map(|k| {
                    let x = low + k as f64 * h;
                    let weight = if k == 0 || k == STEPS { 0.5 } else { 1.0 };
                    let others: f64 = posts
                        .iter()
                        .enumerate()
                        .filter(|(j, _)| *j != i)
                        .map(|(_, &(mj, sj))| normal_cdf((x - mj) / sj))
                        .product();
                    weight * normal_pdf((x - mi) / si) / si * others
                })
                .sum::<f64>()
                * h
        })
        .collect();
    let total: f64 = out.iter().sum();
    if total > 0.0 {
        out.iter_mut().for_each(|p| *p /= total);
    }
    out
}

fn normal_pdf(z: f64) -> f64 {
    (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

/// Abramowitz and Stegun 7.1.26: absolute error below 1.5e-7.
fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    sign * (1.0 - poly * (-x * x).exp())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(successes: u64, trials: u64) -> Proportion {
        Proportion { successes, trials }
    }

    #[test]
    fn the_interval_of_a_clear_lift_excludes_zero() {
        let (d, low, high) = difference_ci(p(120, 1000), p(80, 1000)).expect("both groups");
        assert!((d - 0.04).abs() < 1e-12);
        assert!(low > 0.0 && high < 0.08, "{low} {high}");
        let (_, low, high) = difference_ci(p(11, 100), p(10, 100)).expect("both groups");
        assert!(low < 0.0 && high > 0.0, "a tiny sample proves nothing");
        assert_eq!(difference_ci(p(1, 10), p(0, 0)), None);
    }

    #[test]
    fn win_probabilities_sum_to_one_and_favour_the_better_arm() {
        let even = probability_best(&[p(50, 1000), p(50, 1000)]);
        assert!((even[0] - 0.5).abs() < 0.01, "{even:?}");
        let clear = probability_best(&[p(100, 1000), p(50, 1000)]);
        assert!(clear[0] > 0.999, "{clear:?}");
        let three = probability_best(&[p(30, 500), p(40, 500), p(35, 500)]);
        assert!((three.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(three[1] > three[2] && three[2] > three[0], "{three:?}");
        // Known value: 60/1000 vs 45/1000 is about 93% by the normal approximation.
        let two = probability_best(&[p(60, 1000), p(45, 1000)]);
        assert!((two[0] - 0.93).abs() < 0.02, "{two:?}");
    }

    #[test]
    fn erf_matches_known_values() {
        assert!((erf(0.5) - 0.520_499_877_8).abs() < 2e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
    }
}
