//! What a campaign earned: deliveries by status, per variant what was sent, opened, clicked
//! and the orders attributed to it (last touch, `attribution.rs`), conversion against the
//! holdout with a 95% confidence interval, each variant's probability of being the best, and
//! the return on what the messages cost.

use super::spec::{CampaignSpec, UNDECIDED, origin_of, spec_of};
use crate::messaging::Messaging;
use crate::messaging::earned::tally;
use guanxi_domain::CustomerId;
use guanxi_domain::messaging::DeliveryStatus;
use guanxi_domain::messaging::stats::{Proportion, difference_ci, probability_best};
use guanxi_store::{CampaignRecord, DeliveryCount, OrderFact, StoreResult, Touch};
use std::collections::HashSet;

const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantResult {
    pub variant: String,
    pub sent: u64,
    pub opened: u64,
    pub clicked: u64,
    /// Customers with an order attributed to this variant.
    pub converted: u64,
    pub orders: u64,
    /// Attributed revenue, minor units of the shop currency.
    pub revenue: i64,
    /// The chance this variant is the best by the test's metric (or clicks).
    pub probability_best: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HoldoutResult {
    /// Customers the campaign was for and who ordered within the conversion window.
    pub treated: Proportion,
    pub control: Proportion,
    /// Treated rate minus control rate, with its 95% interval.
    pub difference: f64,
    pub low: f64,
    pub high: f64,
    /// Relative lift over the control's rate, when the control converted at all.
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignResults {
    pub counts: Vec<DeliveryCount>,
    pub variants: Vec<VariantResult>,
    pub holdout: Option<HoldoutResult>,
    pub orders: u64,
    pub revenue: i64,
    /// What the messages sent cost, minor units.
    pub cost: i64,
    /// (revenue − cost) / cost, when anything cost.
    pub roi: Option<f64>,
}

/// The metric an A/B test compares, as a proportion of sent messages per variant.
pub(crate) fn metric_of(v: &VariantResult, metric: &str) -> Proportion {
    let successes = match metric {
        "opened" => v.opened,
        "converted" => v.converted,
        _ => v.clicked,
    };
    Proportion {
        successes,
        trials: v.sent,
    }
}

pub async fn compute(
    messaging: &Messaging,
    record: &CampaignRecord,
) -> StoreResult<CampaignResults> {
    let store = messaging.store.as_ref();
    let spec = spec_of(record)?;
    let origin = origin_of(record.id);
    let mut results = CampaignResults {
        counts: store.delivery_counts(&origin).await?,
        ..Default::default()
    };
    let Some(launched) = record.launched_at else {
        return Ok(results);
    };
    let touches = store.origin_touches(&origin).await?;
    let (groups, orders) = tally(messaging, &touches, launched, |t| t.variant.clone()).await?;
    let variants = groups.into_iter().map(|(variant, e)| VariantResult {
        variant,
        sent: e.sent,
        opened: e.opened,
        clicked: e.clicked,
        converted: e.converted,
        orders: e.orders,
        revenue: e.revenue,
        probability_best: 0.0,
    });
    let mut variants: Vec<VariantResult> = variants
        .filter(|v| v.variant != UNDECIDED || v.sent > 0)
        .collect();
    let metric = spec
        .ab_test
        .as_ref()
        .map_or("clicked", |ab| ab.metric.as_str());
    let arms: Vec<Proportion> = variants.iter().map(|v| metric_of(v, metric)).collect();
    for (v, p) in variants.iter_mut().zip(probability_best(&arms)) {
        v.probability_best = p;
    }
    results.orders = variants.iter().map(|v| v.orders).sum();
    results.revenue = variants.iter().map(|v| v.revenue).sum();
    let sent: u64 = variants.iter().map(|v| v.sent).sum();
    let unit_cost = messaging.config.cost_per_message(record.channel);
    results.cost = i64::try_from(sent)
        .unwrap_or(i64::MAX)
        .saturating_mul(unit_cost);
    results.roi =
        (results.cost > 0).then(|| (results.revenue - results.cost) as f64 / results.cost as f64);
    results.holdout = holdout(&spec, launched, &touches, &orders);
    results.variants = variants;
    Ok(results)
}

/// Conversion of the customers the campaign was for against the holdout's, within the
/// campaign's conversion window.
fn holdout(
    spec: &CampaignSpec,
    launched: i64,
    touches: &[Touch],
    orders: &[OrderFact],
) -> Option<HoldoutResult> {
    let until = launched + i64::from(spec.conversion_days) * DAY_MS;
    let buyers: HashSet<CustomerId> = orders
        .iter()
        .filter(|o| o.at <= until)
        .map(|o| o.customer)
        .collect();
    let (mut treated, mut control) = (Proportion::default(), Proportion::default());
    for t in touches {
        let group = match t.status {
            DeliveryStatus::Holdout => &mut control,
            DeliveryStatus::Skipped => continue,
            _ => &mut treated,
        };
        group.trials += 1;
        group.successes += u64::from(buyers.contains(&t.customer));
    }
    let (difference, low, high) = difference_ci(treated, control)?;
    let lift = (control.rate() > 0.0).then(|| difference / control.rate());
    Some(HoldoutResult {
        treated,
        control,
        difference,
        low,
        high,
        lift,
    })
}

/// The winner of an A/B test once its time has come: the variant most likely best by the
/// test's metric, among those sent.
pub(crate) async fn winner(
    messaging: &Messaging,
    record: &CampaignRecord,
) -> StoreResult<Option<String>> {
    let spec = spec_of(record)?;
    let (Some(ab), Some(launched)) = (&spec.ab_test, record.launched_at) else {
        return Ok(None);
    };
    if messaging.clock.now() < launched + i64::from(ab.decide_after_hours) * 3_600_000 {
        return Ok(None);
    }
    let results = compute(messaging, record).await?;
    let best = results
        .variants
        .iter()
        .filter(|v| v.variant != UNDECIDED)
        .max_by(|a, b| a.probability_best.total_cmp(&b.probability_best))
        .map(|v| v.variant.clone());
    Ok(best.or_else(|| spec.variants.first().map(|v| v.key.clone())))
}
