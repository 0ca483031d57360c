//! The customer analytics of a period (optionally one channel's): buyers, new buyers, the
//! repeat-purchase and churn rates, monthly cohort retention, the funnel from viewing to
//! ordering, and the lifecycle flow. Computed from the store's reads of that period.

use crate::builtin_segments::stage_of;
use chrono::{Datelike, TimeZone};
use guanxi_domain::{CustomerId, Millis, ShopTimeZone};
use guanxi_store::{Period, Store, StoreResult};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The funnel's behaviour steps (Segment's e-commerce spec names); ordering is the last step.
pub const FUNNEL_EVENTS: [&str; 3] = ["Product Viewed", "Product Added", "Checkout Started"];

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustomerAnalytics {
    /// Customers with a counted order in the period.
    pub buyers: usize,
    /// Of those, the ones whose first order in the shop is in it.
    pub new_buyers: usize,
    /// Buyers with two or more orders in the period, as a share of buyers.
    pub repeat_purchase_rate: f64,
    /// Buyers of the period before (as long as this one) who bought nothing in this one, as a
    /// share of them; `None` when there were none.
    pub churn_rate: Option<f64>,
    pub cohorts: Vec<Cohort>,
    pub funnel: Vec<FunnelStep>,
    /// Customers moving from one lifecycle stage to another in the period.
    pub lifecycle_flow: Vec<Flow>,
}

/// Customers whose first order fell in one month, and the share of them ordering in each
/// month since (0: the month itself, always 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cohort {
    /// `2026-03`
    pub month: String,
    pub customers: usize,
    pub retention: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelStep {
    /// An event name, or `ordered`.
    pub step: String,
    /// Customers who took this step and every one before it, in the period.
    pub customers: usize,
    /// Of those who took the step before, the share who took this one.
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flow {
    pub from: String,
    pub to: String,
    pub customers: i64,
}

/// A month as an index (year × 12 + month − 1), in the shop's time zone.
fn month_of(at: Millis, zone: ShopTimeZone) -> i64 {
    let local = at + zone.offset_ms_at(at);
    let date = chrono::Utc
        .timestamp_millis_opt(local)
        .single()
        .unwrap_or_default()
        .date_naive();
    i64::from(date.year()) * 12 + i64::from(date.month0())
}

fn month_name(index: i64) -> String {
    format!("{}-{:02}", index.div_euclid(12), index.rem_euclid(12) + 1)
}

fn share(part: usize, whole: usize) -> f64 {
    match whole {
        0 => 0.0,
        w => part as f64 / w as f64,
    }
}

/// The report of a period. `first_order` answers when a customer first ordered in the shop
/// (the engine keeps it): who is new, and which cohort they belong to, whatever the channel.
pub async fn customers(
    store: &dyn Store,
    period: &Period,
    zone: ShopTimeZone,
    first_order: &(dyn Fn(CustomerId) -> Option<Millis> + Sync),
) -> StoreResult<CustomerAnalytics> {
    let length = period.to - period.from;
    let with_before = Period {
        from: period.from - length,
        ..period.clone()
    };
    let histories = store.period_orders(&with_before).await?;
    let (mut buyers, mut before, mut new_buyers, mut repeat) = (0, HashSet::new(), 0, 0);
    let mut current = HashSet::new();
    let mut cohorts: BTreeMap<i64, Vec<HashSet<i64>>> = BTreeMap::new();
    let last_month = month_of(period.to - 1, zone);
    for one in histories.chunk_by(|a, b| a.0 == b.0) {
        let customer = one[0].0;
        let inside: Vec<Millis> = one
            .iter()
            .map(|(_, at)| *at)
            .filter(|at| (period.from..period.to).contains(at))
            .collect();
        if one
            .iter()
            .any(|(_, at)| (with_before.from..period.from).contains(at))
        {
            before.insert(customer);
        }
        if inside.is_empty() {
            continue;
        }
        buyers += 1;
        current.insert(customer);
        repeat += usize::from(inside.len() >= 2);
        let first = first_order(customer).unwrap_or(one[0].1);
        if (period.from..period.to).contains(&first) {
            new_buyers += 1;
            let cohort = month_of(first, zone);
            let months = cohorts
                .entry(cohort)
                .or_insert_with(|| vec![HashSet::new(); (last_month - cohort + 1) as usize]);
            for at in &inside {
                let offset = (month_of(*at, zone) - cohort) as usize;
                if let Some(set) = months.get_mut(offset) {
                    set.insert(customer.0);
                }
            }
        }
    }
    let churned = before.iter().filter(|c| !current.contains(*c)).count();
    let funnel = funnel(store, period, &current).await?;
    Ok(CustomerAnalytics {
        buyers,
        new_buyers,
        repeat_purchase_rate: share(repeat, buyers),
        churn_rate: (!before.is_empty()).then(|| share(churned, before.len())),
        cohorts: cohorts
            .into_iter()
            .map(|(month, months)| {
                let size = months.first().map_or(0, HashSet::len);
                Cohort {
                    month: month_name(month),
                    customers: size,
                    retention: months.iter().map(|m| share(m.len(), size)).collect(),
                }
            })
            .collect(),
        funnel,
        lifecycle_flow: lifecycle_flow(store, period).await?,
    })
}

async fn funnel(
    store: &dyn Store,
    period: &Period,
    ordered: &HashSet<CustomerId>,
) -> StoreResult<Vec<FunnelStep>> {
    let reach = store.event_reach(&FUNNEL_EVENTS, period).await?;
    let mut did: HashMap<&str, HashSet<CustomerId>> = HashMap::new();
    for (name, customer) in &reach {
        did.entry(name.as_str()).or_default().insert(*customer);
    }
    let mut steps = Vec::new();
    let mut reached: Option<HashSet<CustomerId>> = None;
    let empty = HashSet::new();
    let all: Vec<(&str, &HashSet<CustomerId>)> = FUNNEL_EVENTS
        .iter()
        .map(|name| (*name, did.get(name).unwrap_or(&empty)))
        .chain(std::iter::once(("ordered", ordered)))
        .collect();
    for (name, customers) in all {
        let now: HashSet<CustomerId> = match &reached {
            None => customers.clone(),
            Some(before) => before.intersection(customers).copied().collect(),
        };
        steps.push(FunnelStep {
            step: name.to_owned(),
            customers: now.len(),
            conversion: reached
                .as_ref()
                .map(|before| share(now.len(), before.len())),
        });
        reached = Some(now);
    }
    Ok(steps)
}

async fn lifecycle_flow(store: &dyn Store, period: &Period) -> StoreResult<Vec<Flow>> {
    let stages: HashMap<i64, String> = store
        .segments()
        .await?
        .into_iter()
        .filter_map(|s| Some((s.id, stage_of(&s.key)?.key().to_owned())))
        .collect();
    let ids: Vec<i64> = stages.keys().copied().collect();
    let mut flows: Vec<Flow> = store
        .segment_moves(&ids, period.from, period.to)
        .await?
        .into_iter()
        .filter_map(|(from, to, customers)| {
            Some(Flow {
                from: stages.get(&from)?.clone(),
                to: stages.get(&to)?.clone(),
                customers,
            })
        })
        .collect();
    flows.sort_by(|a, b| b.customers.cmp(&a.customers).then(a.from.cmp(&b.from)));
    Ok(flows)
}

/// The longest period analysed, in days.
pub const MAX_PERIOD_DAYS: i64 = 3 * 366;
/// The period when none is given: the last 90 days, today included.
pub const DEFAULT_PERIOD_DAYS: i64 = 90;

/// The instants `[from, to)` of the shop-local days `from` to `to` (both included,
/// `YYYY-MM-DD`); by default the last 90 days. Bad dates name the field.
pub fn period_of(
    from: Option<&str>,
    to: Option<&str>,
    zone: ShopTimeZone,
    now: Millis,
) -> Result<(Millis, Millis), crate::ActionError> {
    let invalid = |field: &'static str, reason: String| crate::ActionError::Invalid(field, reason);
    let date = |field: &'static str, raw: &str| {
        chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| invalid(field, format!("{raw:?} is not a date (YYYY-MM-DD)")))
    };
    let start = |d: chrono::NaiveDate| {
        zone.instant_of(d.and_hms_opt(0, 0, 0).unwrap_or_default())
            .unwrap_or_default()
    };
    let today = chrono::Utc
        .timestamp_millis_opt(now + zone.offset_ms_at(now))
        .single()
        .unwrap_or_default()
        .date_naive();
    let last = match to.filter(|t| !t.is_empty()) {
        Some(raw) => date("to", raw)?,
        None => today,
    };
    let first = match from.filter(|f| !f.is_empty()) {
        Some(raw) => date("from", raw)?,
        None => last - chrono::Days::new(DEFAULT_PERIOD_DAYS as u64 - 1),
    };
    if first > last {
        return Err(invalid("from", "must not be after to".into()));
    }
    if (last - first).num_days() >= MAX_PERIOD_DAYS {
        return Err(invalid(
            "from",
            format!("the period may span at most {MAX_PERIOD_DAYS} days"),
        ));
    }
    Ok((start(first), start(last + chrono::Days::new(1))))
}
