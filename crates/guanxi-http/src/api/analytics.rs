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
