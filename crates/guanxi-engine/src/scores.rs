//! A customer's scores: RFM in both schemes and the lifetime-value predictions, each with the
//! inputs that drove it, so the 360 page can explain them.

use crate::clv::{ClvModel, ClvOptions, FitError, Prediction, RepeatSummary};
use crate::features::{DAY_MS, Features, OrderSummary};
use crate::rfm::{ClassThresholds, QuintileCuts, RfmClass, RfmGroup, RfmInput, RfmScores};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RfmResult {
    pub inputs: RfmView,
    /// The eight classes, against `thresholds`.
    pub class: RfmClass,
    pub thresholds: ClassThresholds,
    pub scores: RfmScores,
    pub group: RfmGroup,
}

/// RFM inputs as shown: recency in whole days.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RfmView {
    pub recency_days: f64,
    pub frequency: u32,
    pub monetary: i64,
}

impl From<RfmInput> for RfmView {
    fn from(i: RfmInput) -> Self {
        Self {
            recency_days: i.recency_days.floor(),
            frequency: i.frequency,
            monetary: i.monetary,
        }
    }
}

/// How the predictions were made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// BG/NBD and Gamma-Gamma fitted on the shop's history.
    Fitted,
    /// Too little history to fit: the customer's own rate and spend, flagged as such.
    Heuristic,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClvResult {
    pub method: Method,
    /// The inputs the models read (weeks).
    pub history: HistoryView,
    #[serde(flatten)]
    pub prediction: Prediction,
    /// When the next order is expected if the customer is still active (epoch ms).
    pub next_order_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HistoryView {
    pub x: u32,
    pub t_x: f64,
    #[serde(rename = "T")]
    pub t: f64,
    pub zbar: f64,
}

impl From<RepeatSummary> for HistoryView {
    fn from(s: RepeatSummary) -> Self {
        Self {
            x: s.x,
            t_x: s.t_x,
            t: s.t,
            zbar: s.zbar,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerScores {
    pub rfm: RfmResult,
    pub clv: ClvResult,
}

/// Everything the engine knows about the shop's customers at one moment.
#[derive(Debug, Clone)]
pub struct Engine {
    pub features: Features,
    /// The fitted models, or why there are none.
    pub clv: Result<ClvModel, FitError>,
    pub options: ClvOptions,
    /// Quintile cuts at the last build; refreshed by `refresh_cuts`.
    pub cuts: Option<QuintileCuts>,
}

impl Engine {
    /// Fits the models on the features as of `today` (a shop-local day) and `now`.
    pub fn build(features: Features, today: i64, now: i64, options: ClvOptions) -> Self {
        let histories: Vec<RepeatSummary> = features
            .summaries()
            .iter()
            .map(|s| s.repeat_summary(today))
            .collect();
        let mut engine = Self {
            clv: ClvModel::fit(&histories),
            features,
            options,
            cuts: None,
        };
        engine.refresh_cuts(now);
        engine
    }

    pub fn refresh_cuts(&mut self, now: i64) {
        let inputs: Vec<RfmInput> = self
            .features
            .summaries()
            .iter()
            .map(|s| s.rfm_input(now))
            .collect();
        self.cuts = QuintileCuts::of(&inputs);
    }

    /// The scores of a customer with counted orders; `None` for one without.
    pub fn scores(&self, customer: i64, today: i64, now: i64) -> Option<CustomerScores> {
        let summary = self.features.get(customer)?;
        let input = summary.rfm_input(now);
        let thresholds = self.features.averages(now)?;
        let scores = self.cuts.as_ref()?.scores_of(&input);
        let rfm = RfmResult {
            inputs: input.into(),
            class: thresholds.class_of(&input),
            thresholds,
            scores,
            group: scores.group(),
        };
        let history = summary.repeat_summary(today);
        let (method, prediction) = match &self.clv {
            Ok(model) => (Method::Fitted, model.predict(&history, self.options)),
            Err(_) => (
                Method::Heuristic,
                heuristic(summary, &history, self.options),
            ),
        };
        let next_order_at = now + (prediction.median_weeks_to_next * 7.0 * DAY_MS as f64) as i64;
        Some(CustomerScores {
            rfm,
            clv: ClvResult {
                method,
                history: history.into(),
                prediction,
                next_order_at,
            },
        })
    }
}

/// For shops with too little history to fit: the customer keeps buying at their own pace
/// (orders over weeks observed) while the gap since their last order is within twice their
/// usual gap, fading after that. Flagged `Method::Heuristic` wherever it is shown.
fn heuristic(summary: &OrderSummary, h: &RepeatSummary, options: ClvOptions) -> Prediction {
    let weekly_rate = f64::from(h.x + 1) / h.t.max(1.0);
    let usual_gap = if h.x > 0 {
        h.t_x / f64::from(h.x)
    } else {
        1.0 / weekly_rate
    };
    let silent = (h.t - h.t_x).max(0.0);
    let p_alive = (-(silent / (2.0 * usual_gap.max(1.0)))).exp();
    let spend = match h.x {
        0 => summary.spent as f64 / f64::from(summary.orders.max(1)),
        _ => h.zbar,
    };
    let expected = |weeks: f64| p_alive * weekly_rate * weeks;
    let monthly = expected(crate::clv::WEEKS_PER_MONTH) * spend;
    let clv = (1..=options.months)
        .map(|m| monthly / (1.0 + options.monthly_discount_rate).powi(m as i32))
        .sum::<f64>();
    Prediction {
        p_alive,
        churn_risk: 1.0 - p_alive,
        expected_purchases_90_days: expected(90.0 / 7.0),
        expected_purchases_365_days: expected(365.0 / 7.0),
        expected_spend: spend,
        clv,
        median_weeks_to_next: (usual_gap - silent).max(0.0),
    }
}
