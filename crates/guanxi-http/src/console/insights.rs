//! The 360 page's insights card: the customer's RFM class and group, and what the lifetime
//! value models expect of them, each with the inputs that drove it.

use super::i18n::Tr;
use super::show::money;
use guanxi_domain::ShopTimeZone;
use guanxi_engine::scores::{CustomerScores, Method};

/// What the card shows, worded.
pub struct Insights {
    pub stage_key: String,
    /// "Judged against the shop's purchase cycle of N days."
    pub stage_why: String,
    pub class_key: String,
    pub group_key: String,
    /// `R5 F4 M5`
    pub scores: String,
    /// Why the class: each input against the shop's average.
    pub rfm_why: String,
    pub heuristic: bool,
    pub p_alive: String,
    pub churn_risk: String,
    pub orders_90: String,
    pub orders_365: String,
    pub clv: String,
    pub next_order: String,
    /// Why the predictions: the history the models read.
    pub clv_why: String,
}

fn percent(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

impl Insights {
    pub fn new(s: &CustomerScores, tr: Tr, currency: &str, zone: ShopTimeZone) -> Self {
        let rfm = &s.rfm;
        let clv = &s.clv;
        let p = &clv.prediction;
        let cash = |minor: f64| money(minor.round() as i64, currency);
        let rfm_why = tr.fill(
            "insights.rfm_why",
            &[
                ("days", &format!("{:.0}", rfm.inputs.recency_days)),
                ("avg_days", &format!("{:.0}", rfm.thresholds.recency_days)),
                ("orders", &rfm.inputs.frequency.to_string()),
                ("avg_orders", &format!("{:.1}", rfm.thresholds.frequency)),
                ("spent", &money(rfm.inputs.monetary, currency)),
                ("avg_spent", &cash(rfm.thresholds.monetary)),
            ],
        );
        let clv_why = tr.fill(
            "insights.clv_why",
            &[
                ("repeats", &clv.history.x.to_string()),
                ("span", &format!("{:.1}", clv.history.t_x)),
                ("observed", &format!("{:.1}", clv.history.t)),
                ("mean", &cash(clv.history.zbar)),
            ],
        );
        let stage_why = tr.fill(
            "insights.stage_why",
            &[
                ("days", &s.lifecycle.days_since_last_order.to_string()),
                ("cycle", &format!("{:.0}", s.lifecycle.cycle_days)),
            ],
        );
        Self {
            stage_key: format!("lifecycle.{}", s.lifecycle.stage.key()),
            stage_why,
            class_key: format!("rfm_class.{}", rfm.class.key()),
            group_key: format!("rfm_group.{}", rfm.group.key()),
            scores: format!("R{} F{} M{}", rfm.scores.r, rfm.scores.f, rfm.scores.m),
            rfm_why,
            heuristic: clv.method == Method::Heuristic,
            p_alive: percent(p.p_alive),
            churn_risk: percent(p.churn_risk),
            orders_90: format!("{:.2}", p.expected_purchases_90_days),
            orders_365: format!("{:.2}", p.expected_purchases_365_days),
            clv: cash(p.clv),
            next_order: zone.format(clv.next_order_at, "%Y-%m-%d"),
            clv_why,
        }
    }
}

/// The card, or why there is none: `insights.building` while the engine reads the shop's
/// history, `insights.none` for a customer without counted orders.
pub fn card(
    state: &crate::AppState,
    customer: guanxi_domain::CustomerId,
    tr: Tr,
    shop: &guanxi_app::Settings,
) -> Result<Insights, &'static str> {
    use guanxi_app::intelligence::Readiness;
    match state.intelligence.scores(customer, shop.time_zone) {
        Some(s) => Ok(Insights::new(&s, tr, shop.currency.code(), shop.time_zone)),
        None => match state.intelligence.readiness() {
            Readiness::Ready { .. } => Err("insights.none"),
            Readiness::Building { .. } => Err("insights.building"),
            Readiness::Failed(_) => Err("insights.unavailable"),
        },
    }
}

/// The recommended products with why, worded.
pub fn offer_lines(offer: &guanxi_app::intelligence::Offer, tr: Tr) -> Vec<(String, String)> {
    use guanxi_engine::recommend::Reason;
    offer
        .items
        .iter()
        .map(|r| {
            let why = match (r.reason, &r.because) {
                (Reason::AlsoBought, Some(sku)) => {
                    tr.fill("recommend.also_bought", &[("sku", sku)])
                }
                (Reason::AlsoViewed, Some(sku)) => {
                    tr.fill("recommend.also_viewed", &[("sku", sku)])
                }
                _ => tr.get("recommend.popular").to_owned(),
            };
            (r.sku.clone(), why)
        })
        .collect()
}
