//! A customer's scores as the API sends them: RFM in both schemes and the lifetime-value
//! predictions with the inputs behind them; money as decimal strings in the shop's currency.

use super::views::money;
use guanxi_app::intelligence::Readiness;
use guanxi_domain::time::to_rfc3339;
use guanxi_engine::scores::CustomerScores;
use serde_json::{Value, json};

/// `{}` for a customer without counted orders; `{"status": "building"}` while the engine
/// reads the shop's history.
pub fn scores_view(scores: Option<CustomerScores>, readiness: &Readiness, currency: &str) -> Value {
    let Some(s) = scores else {
        return match readiness {
            Readiness::Building { .. } => json!({ "status": "building" }),
            Readiness::Failed(_) => json!({ "status": "unavailable" }),
            Readiness::Ready { .. } => json!({}),
        };
    };
    let cash = |minor: f64| money(minor.round() as i64, currency);
    let rfm = &s.rfm;
    let clv = &s.clv;
    let p = &clv.prediction;
    json!({
        "rfm": {
            "class": rfm.class.key(),
            "group": rfm.group.key(),
            "r": rfm.scores.r,
            "f": rfm.scores.f,
            "m": rfm.scores.m,
            "recency_days": rfm.inputs.recency_days,
            "frequency": rfm.inputs.frequency,
            "monetary": money(rfm.inputs.monetary, currency),
            // The shop's averages, or the lines it set in Settings → Shop.
            "thresholds": {
                "recency_days": rfm.thresholds.recency_days,
                "frequency": rfm.thresholds.frequency,
                "monetary": cash(rfm.thresholds.monetary),
            },
        },
        "lifecycle": {
            "stage": s.lifecycle.stage.key(),
            "cycle_days": s.lifecycle.cycle_days,
            "days_since_last_order": s.lifecycle.days_since_last_order,
        },
        "clv": {
            "method": clv.method,
            "p_alive": p.p_alive,
            "churn_risk": p.churn_risk,
            "expected_orders_90_days": p.expected_purchases_90_days,
            "expected_orders_365_days": p.expected_purchases_365_days,
            "expected_order_value": cash(p.expected_spend),
            "clv_12_months": cash(p.clv),
            "next_order_expected_at": to_rfc3339(clv.next_order_at),
            "inputs": {
                "repeat_purchases": clv.history.x,
                "weeks_first_to_last": clv.history.t_x,
                "weeks_observed": clv.history.t,
                "mean_repeat_value": cash(clv.history.zbar),
            },
        },
        "currency": currency,
    })
}
