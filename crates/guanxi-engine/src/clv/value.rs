//! Per-customer predictions from the fitted models: probability alive, expected purchases,
//! expected spend, discounted lifetime value, and when the next order is likely.

use super::bg_nbd::{BgNbd, Fit};
use super::gamma_gamma::GammaGamma;
use super::optimize::FitError;
use super::summary::RepeatSummary;
use serde::Serialize;

/// Weeks in an average month.
pub const WEEKS_PER_MONTH: f64 = 365.25 / 12.0 / 7.0;

/// How lifetime value is counted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClvOptions {
    pub months: u32,
    /// Applied per month (0.01 a month is about 12.7% a year).
    pub monthly_discount_rate: f64,
}

impl Default for ClvOptions {
    fn default() -> Self {
        Self {
            months: 12,
            monthly_discount_rate: 0.01,
        }
    }
}

/// What the models expect of one customer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prediction {
    pub p_alive: f64,
    /// 1 − p_alive.
    pub churn_risk: f64,
    pub expected_purchases_90_days: f64,
    pub expected_purchases_365_days: f64,
    /// The expected value of each future purchase.
    pub expected_spend: f64,
    /// Discounted value of the purchases expected over `ClvOptions::months`.
    pub clv: f64,
    /// Median weeks from the end of the history to the next purchase, if the customer is alive.
    pub median_weeks_to_next: f64,
}

/// BG/NBD and Gamma-Gamma, fitted on one shop's histories.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClvModel {
    pub purchases: Fit<BgNbd>,
    pub spend: Fit<GammaGamma>,
}

/// Fewer customers who bought twice than this, and the fit would rest on noise.
pub const MIN_REPEAT_BUYERS: usize = 30;

impl ClvModel {
    /// Both models, or why they cannot be fitted on this history.
    pub fn fit(data: &[RepeatSummary]) -> Result<Self, FitError> {
        let repeat_buyers = data.iter().filter(|s| s.x > 0).count();
        if repeat_buyers < MIN_REPEAT_BUYERS {
            return Err(FitError::TooLittleData {
                model: "the lifetime-value models",
                reason: format!(
                    "{repeat_buyers} customers bought more than once; {MIN_REPEAT_BUYERS} are needed"
                ),
            });
        }
        Ok(Self {
            purchases: BgNbd::fit(data)?,
            spend: GammaGamma::fit(data)?,
        })
    }

    pub fn predict(&self, s: &RepeatSummary, options: ClvOptions) -> Prediction {
        let bg = &self.purchases.params;
        let p_alive = bg.p_alive(s);
        let expected_spend = self.spend.params.expected_spend(s);
        let expected_by = |weeks: f64| bg.expected_purchases(s, weeks);
        Prediction {
            p_alive,
            churn_risk: 1.0 - p_alive,
            expected_purchases_90_days: expected_by(90.0 / 7.0),
            expected_purchases_365_days: expected_by(365.0 / 7.0),
            expected_spend,
            clv: discounted(expected_spend, expected_by, options),
            median_weeks_to_next: bg.median_weeks_to_next(s),
        }
    }
}

/// Σ over months of the purchases expected in that month × spend, discounted to today.
fn discounted(spend: f64, expected_by: impl Fn(f64) -> f64, options: ClvOptions) -> f64 {
    let mut value = 0.0;
    let mut before = 0.0;
    for month in 1..=options.months {
        let by_then = expected_by(f64::from(month) * WEEKS_PER_MONTH);
        value +=
            spend * (by_then - before) / (1.0 + options.monthly_discount_rate).powi(month as i32);
        before = by_then;
    }
    value
}
