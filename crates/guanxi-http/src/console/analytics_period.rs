//! The Analytics page's period report: a period and channel form, then buyers, repeat and churn
//! rates, cohort retention, the funnel, the lifecycle flow and the spread of predicted value.

use super::i18n::Tr;
use super::show::money;
use crate::AppState;
use guanxi_app::analytics::CustomerAnalytics;
use serde::Deserialize;

#[derive(Deserialize, Default)]
pub struct PeriodForm {
    pub from: Option<String>,
    pub to: Option<String>,
    pub channel: Option<String>,
}

/// What the page shows of the period, worded.
pub struct PeriodReport {
    pub from: String,
    pub to: String,
    pub channel: String,
    pub channels: Vec<String>,
    /// The report, or why there is none (a bad date or channel).
    pub result: Result<Figures, String>,
    /// (decile, range, mean, share of value), or `None` while the engine builds.
    pub clv: Option<Vec<(u8, String, String, String)>>,
}

pub struct Figures {
    pub buyers: usize,
    pub new_buyers: usize,
    pub repeat_rate: String,
    pub churn_rate: String,
    /// (month, customers, retention by month since)
    pub cohorts: Vec<(String, usize, Vec<String>)>,
    pub longest_cohort: usize,
    /// (step's catalogue key, customers, conversion)
    pub funnel: Vec<(String, usize, String)>,
    /// (from stage key, to stage key, customers)
    pub flow: Vec<(String, String, i64)>,
}

/// The catalogue key of a funnel step: `funnel.product_viewed`, …, `funnel.ordered`.
pub fn funnel_key(step: &str) -> String {
    format!("funnel.{}", step.replace(' ', "_").to_lowercase())
}

fn percent(p: f64) -> String {
    format!("{:.1}%", p * 100.0)
}

fn figures(r: CustomerAnalytics) -> Figures {
    Figures {
        buyers: r.buyers,
        new_buyers: r.new_buyers,
        repeat_rate: percent(r.repeat_purchase_rate),
        churn_rate: r.churn_rate.map_or_else(|| "—".to_owned(), percent),
        longest_cohort: r
            .cohorts
            .iter()
            .map(|c| c.retention.len())
            .max()
            .unwrap_or(0),
        cohorts: r
            .cohorts
            .into_iter()
            .map(|c| {
                let shares = c.retention.iter().map(|p| percent(*p)).collect();
                (c.month, c.customers, shares)
            })
            .collect(),
        funnel: r
            .funnel
            .into_iter()
            .map(|s| {
                let conversion = s.conversion.map_or_else(|| "—".to_owned(), percent);
                (funnel_key(&s.step), s.customers, conversion)
            })
            .collect(),
        flow: r
            .lifecycle_flow
            .into_iter()
            .map(|f| {
                (
                    format!("lifecycle.{}", f.from),
                    format!("lifecycle.{}", f.to),
                    f.customers,
                )
            })
            .collect(),
    }
}

pub async fn report(state: &AppState, form: PeriodForm, tr: Tr) -> PeriodReport {
    let shop = state.settings.current();
    let channels = state
        .store
        .list_sources()
        .await
        .map(|s| s.into_iter().map(|s| s.name).collect())
        .unwrap_or_default();
    let period = crate::api::period(
        state,
        form.from.as_deref(),
        form.to.as_deref(),
        form.channel.as_deref(),
    )
    .await;
    let result = match period {
        Err(e) => Err(tr.fill("error.invalid", &[("reason", &e.to_string())])),
        Ok(period) => {
            let first = |c| state.intelligence.first_order_at(c);
            let report = guanxi_app::analytics::customers(
                state.store.as_ref(),
                &period,
                shop.time_zone,
                &first,
            )
            .await;
            match report {
                Ok(r) => Ok(figures(r)),
                Err(e) => {
                    tracing::error!(error = %e, "the period report could not be read");
                    Err(tr.get("error.internal").to_owned())
                }
            }
        }
    };
    let currency = shop.currency.code();
    let clv = state
        .intelligence
        .clv_distribution(shop.time_zone)
        .map(|d| {
            d.bands
                .iter()
                .map(|b| {
                    let cash = |v: f64| money(v.round() as i64, currency);
                    (
                        b.decile,
                        format!("{} – {}", cash(b.min), cash(b.max)),
                        cash(b.mean),
                        percent(b.share_of_value),
                    )
                })
                .collect()
        });
    PeriodReport {
        from: form.from.unwrap_or_default(),
        to: form.to.unwrap_or_default(),
        channel: form.channel.unwrap_or_default(),
        channels,
        result,
        clv,
    }
}
