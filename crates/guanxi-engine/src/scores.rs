//! A customer's scores: RFM in both schemes and the lifetime-value predictions, each with the
//! inputs that drove it, so the 360 page can explain them.

use crate::clv::{ClvModel, ClvOptions, FitError, Prediction, RepeatSummary};
use crate::features::{DAY_MS, Features, OrderSummary};
use crate::lifecycle::{Cycle, Stage};
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
pub struct LifecycleResult {
    pub stage: Stage,
    /// The shop's purchase cycle the stage is judged against.
    pub cycle_days: f64,
    pub days_since_last_order: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CustomerScores {
    pub rfm: RfmResult,
    pub lifecycle: LifecycleResult,
    pub clv: ClvResult,
}

/// The most customers the lifetime-value models are fitted on.
pub const MAX_FIT_CUSTOMERS: usize = 50_000;

/// Everything the engine knows about the shop's customers at one moment.
#[derive(Debug, Clone)]
pub struct Engine {
    pub features: Features,
    /// The fitted models, or why there are none.
    pub clv: Result<ClvModel, FitError>,
    pub options: ClvOptions,
    /// Quintile cuts at the last build; refreshed by `refresh_cuts`.
    pub cuts: Option<QuintileCuts>,
    /// The shop's purchase cycle, refreshed with the cuts.
    pub cycle: Cycle,
    /// Predicted 12-month values of an even sample of customers, ascending: where a customer's
    /// value ranks among the shop's (`value_percentile`). Refreshed by `refresh_value_ranks`.
    pub value_sample: Vec<f64>,
    /// Lines the shop set for the eight RFM classes; the rest are its averages.
    pub class_lines: ClassLines,
}

/// The shop's own lines between high and low RFM, where it set them: recent below
/// `recency_days`, frequent above `frequency` orders, valuable above `monetary` (minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ClassLines {
    pub recency_days: Option<f64>,
    pub frequency: Option<f64>,
    pub monetary: Option<f64>,
}

/// Customers whose predicted value is computed to rank everyone else's.
const VALUE_SAMPLE: usize = 10_000;

impl Engine {
    /// Fits the models on the features as of `today` (a shop-local day) and `now`.
    pub fn build(features: Features, today: i64, now: i64, options: ClvOptions) -> Self {
        // The fit reads an even sample of a large shop: maximum likelihood on 50,000 customers
        // lands within the noise of the whole, in a fraction of the time.
        let every = features.len().div_ceil(MAX_FIT_CUSTOMERS).max(1);
        let histories: Vec<RepeatSummary> = features
            .summaries()
            .iter()
            .step_by(every)
            .map(|s| s.repeat_summary(today))
            .collect();
        let mut engine = Self {
            clv: ClvModel::fit(&histories),
            features,
            options,
            cuts: None,
            cycle: Cycle::of(&[]),
            value_sample: Vec::new(),
            class_lines: ClassLines::default(),
        };
        engine.refresh_cuts(now);
        engine.refresh_value_ranks(today);
        engine
    }

    /// An engine for RFM and lifecycle only: the models are not fitted.
    pub fn for_rfm(features: Features, now: i64) -> Self {
        let mut engine = Self {
            features,
            clv: Err(FitError::TooLittleData {
                model: "the lifetime-value models",
                reason: "not fitted: RFM only".to_owned(),
            }),
            options: ClvOptions::default(),
            cuts: None,
            cycle: Cycle::of(&[]),
            value_sample: Vec::new(),
            class_lines: ClassLines::default(),
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
        self.cycle = Cycle::of(self.features.summaries());
    }

    /// The lines of the eight RFM classes at `now`: the shop's own where set, else its
    /// averages; `None` without customers.
    pub fn thresholds(&self, now: i64) -> Option<ClassThresholds> {
        let averages = self.features.averages(now)?;
        let lines = self.class_lines;
        Some(ClassThresholds {
            recency_days: lines.recency_days.unwrap_or(averages.recency_days),
            frequency: lines.frequency.unwrap_or(averages.frequency),
            monetary: lines.monetary.unwrap_or(averages.monetary),
        })
    }

    /// Samples predicted values again (on `today`), to rank customers by value.
    pub fn refresh_value_ranks(&mut self, today: i64) {
        let summaries = self.features.summaries();
        let every = summaries.len().div_ceil(VALUE_SAMPLE).max(1);
        let mut sample: Vec<f64> = summaries
            .iter()
            .step_by(every)
            .map(|s| self.prediction(s, today).clv)
            .filter(|v| v.is_finite())
            .collect();
        sample.sort_by(f64::total_cmp);
        self.value_sample = sample;
    }

    /// The share of the shop's customers whose predicted value is at most `clv`, as a
    /// percentage: 80 or more is the top fifth. `None` before the first ranking.
    pub fn value_percentile(&self, clv: f64) -> Option<f64> {
        if self.value_sample.is_empty() {
            return None;
        }
        let at_most = self.value_sample.partition_point(|v| *v <= clv);
        Some(at_most as f64 * 100.0 / self.value_sample.len() as f64)
    }

    /// The scores of a customer with counted orders; `None` for one without.
    pub fn scores(&self, customer: i64, today: i64, now: i64) -> Option<CustomerScores> {
        let summary = self.features.get(customer)?;
        let input = summary.rfm_input(now);
        let thresholds = self.thresholds(now)?;
        let scores = self.cuts.as_ref()?.scores_of(&input);
        let rfm = RfmResult {
            inputs: input.into(),
            class: thresholds.class_of(&input),
            thresholds,
            scores,
            group: scores.group(),
        };
        let lifecycle = LifecycleResult {
            stage: self.cycle.stage_of(summary, today),
            cycle_days: self.cycle.days,
            days_since_last_order: today - summary.last_day,
        };
        let history = summary.repeat_summary(today);
        let (method, prediction) = self.predict(summary, &history);
        let next_order_at = now + (prediction.median_weeks_to_next * 7.0 * DAY_MS as f64) as i64;
        Some(CustomerScores {
            rfm,
            lifecycle,
            clv: ClvResult {
                method,
                history: history.into(),
                prediction,
                next_order_at,
            },
        })
    }
}

impl Engine {
    fn predict(&self, summary: &OrderSummary, history: &RepeatSummary) -> (Method, Prediction) {
        match &self.clv {
            Ok(model) => (Method::Fitted, model.predict(history, self.options)),
            Err(_) => (Method::Heuristic, heuristic(summary, history, self.options)),
        }
    }

    /// The lifetime-value prediction of a customer with this order summary, on `today`.
    pub fn prediction(&self, summary: &OrderSummary, today: i64) -> Prediction {
        self.predict(summary, &summary.repeat_summary(today)).1
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

/// The shop's customers by RFM: the eight classes and the recency × frequency grid.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmOverview {
    pub customers: usize,
    pub averages: Option<ClassThresholds>,
    pub cuts: Option<QuintileCuts>,
    /// Customers and their spend per class, in `RfmClass::ALL` order.
    pub classes: Vec<ClassCount>,
    /// Customers per group, in `RfmGroup::ALL` order.
    pub groups: Vec<(RfmGroup, usize)>,
    /// `grid[r - 1][f - 1]`: customers with recency score r and frequency score f.
    pub grid: [[usize; 5]; 5],
    /// Customers per lifecycle stage, in `Stage::ALL` order, and the cycle they are judged by.
    pub stages: Vec<(Stage, usize)>,
    pub cycle: Cycle,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ClassCount {
    pub class: RfmClass,
    pub customers: usize,
    /// Their spend, in minor units.
    pub spent: i64,
}

impl Engine {
    /// Every customer with orders, classed at `now`.
    pub fn rfm_overview(&self, today: i64, now: i64) -> RfmOverview {
        let averages = self.thresholds(now);
        let mut classes: Vec<ClassCount> = RfmClass::ALL
            .iter()
            .map(|class| ClassCount {
                class: *class,
                customers: 0,
                spent: 0,
            })
            .collect();
        let mut grid = [[0usize; 5]; 5];
        let mut groups = [0usize; RfmGroup::ALL.len()];
        let mut stages = [0usize; Stage::ALL.len()];
        for summary in self.features.summaries() {
            let stage = self.cycle.stage_of(summary, today);
            if let Some(at) = Stage::ALL.iter().position(|s| *s == stage) {
                stages[at] += 1;
            }
            let input = summary.rfm_input(now);
            if let Some(a) = &averages {
                let at = RfmClass::ALL
                    .iter()
                    .position(|c| *c == a.class_of(&input))
                    .unwrap_or_default();
                classes[at].customers += 1;
                classes[at].spent += summary.spent;
            }
            if let Some(cuts) = &self.cuts {
                let s = cuts.scores_of(&input);
                grid[usize::from(s.r) - 1][usize::from(s.f) - 1] += 1;
                let g = RfmGroup::ALL
                    .iter()
                    .position(|g| *g == s.group())
                    .unwrap_or_default();
                groups[g] += 1;
            }
        }
        RfmOverview {
            customers: self.features.len(),
            averages,
            cuts: self.cuts,
            classes,
            groups: RfmGroup::ALL.iter().copied().zip(groups).collect(),
            grid,
            stages: Stage::ALL.iter().copied().zip(stages).collect(),
            cycle: self.cycle,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::Fact;

    fn shop() -> Engine {
        let mut features = Features::default();
        // Customer c orders c times, the last one c days before day 100, for c × 100 each.
        for c in 1..=10i64 {
            let facts: Vec<Fact> = (0..c)
                .map(|k| Fact {
                    customer: c,
                    at: (100 - c - 7 * k) * DAY_MS,
                    value: c * 100,
                })
                .rev()
                .collect();
            let summary = OrderSummary::of(&facts, |at| at.div_euclid(DAY_MS));
            features.set(c, summary);
        }
        Engine::build(features, 100, 100 * DAY_MS, ClvOptions::default())
    }

    #[test]
    fn the_overview_counts_every_customer_once() {
        let overview = shop().rfm_overview(100, 100 * DAY_MS);
        assert_eq!(overview.customers, 10);
        let classed: usize = overview.classes.iter().map(|c| c.customers).sum();
        assert_eq!(classed, 10);
        let gridded: usize = overview.grid.iter().flatten().sum();
        assert_eq!(gridded, 10);
        let grouped: usize = overview.groups.iter().map(|(_, n)| n).sum();
        assert_eq!(grouped, 10);
        let staged: usize = overview.stages.iter().map(|(_, n)| n).sum();
        assert_eq!(staged, 10);
        let spent: i64 = overview.classes.iter().map(|c| c.spent).sum();
        assert_eq!(spent, (1..=10).map(|c| c * c * 100).sum::<i64>());
    }

    #[test]
    fn a_tiny_shop_is_scored_by_the_flagged_heuristic() {
        let engine = shop();
        assert!(engine.clv.is_err(), "ten customers are too few to fit");
        let scores = engine.scores(10, 100, 100 * DAY_MS).expect("has orders");
        assert_eq!(scores.clv.method, Method::Heuristic);
        // The most frequent and valuable, but not recent: keep them.
        assert_eq!(scores.rfm.class, RfmClass::ImportantKeep, "{scores:?}");
        assert!(engine.scores(11, 100, 100 * DAY_MS).is_none(), "no orders");
    }
}

#[cfg(test)]
mod lines {
    use super::*;
    use crate::features::Fact;

    #[test]
    fn the_shops_own_lines_replace_its_averages() {
        let mut features = Features::default();
        for c in 1..=4i64 {
            let facts: Vec<Fact> = (0..c)
                .map(|k| Fact {
                    customer: c,
                    at: (90 - 10 * k) * DAY_MS,
                    value: 10_000,
                })
                .collect();
            features.set(c, OrderSummary::of(&facts, |at| at.div_euclid(DAY_MS)));
        }
        let mut engine = Engine::for_rfm(features, 100 * DAY_MS);
        let class = |e: &Engine, c: i64| e.scores(c, 100, 100 * DAY_MS).map(|s| s.rfm.class);
        // By the averages (2.5 orders), customer 2 is not frequent; with a line at 1, it is.
        assert_eq!(class(&engine, 2), Some(RfmClass::GeneralDevelop));
        engine.class_lines = ClassLines {
            frequency: Some(1.0),
            ..ClassLines::default()
        };
        let t = engine.thresholds(100 * DAY_MS).expect("customers");
        assert_eq!(t.frequency, 1.0);
        assert_eq!(class(&engine, 2), Some(RfmClass::GeneralValue), "{t:?}");
    }
}
