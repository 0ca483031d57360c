//! Shop-wide analytics from the intelligence engine.

use super::views::money;
use crate::{ApiError, AppState, auth};
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use guanxi_domain::access::{Action, Resource};
use serde_json::{Value, json};

/// The customers with orders by RFM: the eight classes (customers and spend), the named groups
/// and the recency × frequency grid of quintile scores, with the averages and cuts used.
#[utoipa::path(get, path = "/api/v1/analytics/rfm", tag = "analytics",
    responses((status = 200, body = Object), (status = 503, description = "the engine is still reading the shop's history")))]
pub async fn rfm(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Customers, Action::View).await?;
    let overview = state
        .intelligence
        .rfm_overview(state.settings.current().time_zone)
        .ok_or(ApiError::Starting(
            "the engine is still reading the shop's history",
        ))?;
    let currency = state.settings.current().currency.code().to_owned();
    let classes: Vec<Value> = overview
        .classes
        .iter()
        .map(|c| {
            json!({
                "class": c.class.key(),
                "customers": c.customers,
                "spent": money(c.spent, &currency),
            })
        })
        .collect();
    let groups: serde_json::Map<String, Value> = overview
        .groups
        .iter()
        .map(|(g, n)| (g.key().to_owned(), json!(n)))
        .collect();
    Ok(Json(json!({
        "customers": overview.customers,
        "currency": currency,
        "averages": overview.averages,
        "quintile_cuts": overview.cuts,
        "classes": classes,
        "groups": groups,
        "grid": overview.grid,
        "lifecycle": {
            "cycle_days": overview.cycle.days,
            "stages": overview
                .stages
                .iter()
                .map(|(stage, n)| (stage.key().to_owned(), json!(n)))
                .collect::<serde_json::Map<String, Value>>(),
        },
    })))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct PeriodParams {
    /// First shop-local day, `YYYY-MM-DD` (default: 89 days before `to`).
    from: Option<String>,
    /// Last shop-local day, included (default: today).
    to: Option<String>,
    /// Only this channel's orders and events (a source's name).
    channel: Option<String>,
}

/// The period and channel a caller asked for, checked.
pub(crate) async fn period(
    state: &AppState,
    from: Option<&str>,
    to: Option<&str>,
    channel: Option<&str>,
) -> Result<guanxi_store::Period, ApiError> {
    let shop = state.settings.current();
    let (from, to) = guanxi_app::analytics::period_of(
        from,
        to,
        shop.time_zone,
        chrono::Utc::now().timestamp_millis(),
    )?;
    let source = match channel.filter(|c| !c.is_empty()) {
        None => None,
        Some(name) => match state.store.source_by_name(name).await {
            Ok(s) => Some(s.id),
            Err(guanxi_store::StoreError::NotFound(_)) => {
                return Err(guanxi_domain::FieldError::new(
                    "channel",
                    format!("no source is named {name:?}"),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        },
    };
    Ok(guanxi_store::Period {
        from,
        to,
        source,
        currency: shop.currency.code().to_owned(),
    })
}

/// Buyers, new buyers, repeat-purchase and churn rates, monthly cohort retention, the funnel
/// from viewing to ordering and the lifecycle flow, for a period and optionally one channel.
#[utoipa::path(get, path = "/api/v1/analytics/customers", tag = "analytics", params(PeriodParams),
    responses((status = 200, body = Object), (status = 400, description = "a bad date or an unknown channel; error.field names it")))]
pub async fn customers(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::extract::ApiQuery(p): crate::extract::ApiQuery<PeriodParams>,
) -> Result<Json<Value>, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Customers, Action::View).await?;
    if principal.grant.scope != guanxi_domain::access::DataScope::All {
        return Err(guanxi_domain::access::Denied::Scope.into());
    }
    let period = period(
        &state,
        p.from.as_deref(),
        p.to.as_deref(),
        p.channel.as_deref(),
    )
    .await?;
    let zone = state.settings.current().time_zone;
    let first = |c| state.intelligence.first_order_at(c);
    let report =
        guanxi_app::analytics::customers(state.store.as_ref(), &period, zone, &first).await?;
    let mut body = serde_json::to_value(&report).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["from"] = json!(guanxi_domain::time::to_rfc3339(period.from));
    body["to"] = json!(guanxi_domain::time::to_rfc3339(period.to));
    Ok(Json(body))
}

/// How predicted 12-month lifetime value is spread: ten bands, the most valuable first.
#[utoipa::path(get, path = "/api/v1/analytics/clv", tag = "analytics",
    responses((status = 200, body = Object), (status = 503, description = "the engine is still reading the shop's history")))]
pub async fn clv(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Customers, Action::View).await?;
    let shop = state.settings.current();
    let d = state
        .intelligence
        .clv_distribution(shop.time_zone)
        .ok_or(ApiError::Starting(
            "the engine is still reading the shop's history",
        ))?;
    let currency = shop.currency.code().to_owned();
    let bands: Vec<Value> = d
        .bands
        .iter()
        .map(|b| {
            json!({
                "decile": b.decile,
                "min": money(b.min.round() as i64, &currency),
                "max": money(b.max.round() as i64, &currency),
                "mean": money(b.mean.round() as i64, &currency),
                "share_of_value": b.share_of_value,
            })
        })
        .collect();
    Ok(Json(json!({
        "customers": d.customers,
        "sampled": d.sampled,
        "currency": currency,
        "mean": money(d.mean.round() as i64, &currency),
        "bands": bands,
    })))
}
