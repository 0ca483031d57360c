//! Journeys: define, publish new versions (customers under way finish theirs), start and
//! pause, and read each step's counts.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guanxi_app::journeys;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::time::to_rfc3339;
use guanxi_store::JourneyRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const MAX_JOURNEY_BYTES: usize = 128 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneyBody {
    /// Set on creation only.
    key: Option<String>,
    name: String,
    /// `{"trigger":{"event":{"name":"Checkout Started"}},"goal":{"ordered":true},"start":"wait","steps":[…]}`
    #[schema(value_type = Object)]
    definition: Value,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `active` or `paused`.
    status: String,
}

#[derive(Serialize, ToSchema)]
pub struct StepCountDoc {
    version: i64,
    step: String,
    /// Customers who reached the step, ever.
    entered: i64,
    /// Customers at the step now.
    now: i64,
}

#[derive(Serialize, ToSchema)]
pub struct JourneyDoc {
    id: i64,
    key: String,
    name: String,
    status: String,
    version: i64,
    #[schema(value_type = Object)]
    definition: Value,
    counts: Vec<StepCountDoc>,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct JourneyList {
    data: Vec<JourneyDoc>,
}

async fn doc(
    state: &AppState,
    r: JourneyRecord,
    with_counts: bool,
) -> Result<JourneyDoc, ApiError> {
    let counts = if with_counts {
        state
            .store
            .step_counts(r.id)
            .await?
            .into_iter()
            .map(|c| StepCountDoc {
                version: c.version,
                step: c.step,
                entered: c.entered,
                now: c.now,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(JourneyDoc {
        definition: serde_json::to_value(journeys::definition_of(&r)?)
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        counts,
        id: r.id,
        key: r.key,
        name: r.name,
        status: r.status,
        version: r.version,
        created_at: to_rfc3339(r.created_at),
        updated_at: to_rfc3339(r.updated_at),
    })
}

#[utoipa::path(get, path = "/api/v1/journeys", tag = "messaging", responses((status = 200, body = JourneyList)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<JourneyList>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Campaigns, Action::View).await?;
    let mut data = Vec::new();
    for r in state.store.journeys().await? {
        data.push(doc(&state, r, false).await?);
    }
    Ok(Json(JourneyList { data }))
}

#[utoipa::path(post, path = "/api/v1/journeys", tag = "messaging", request_body = JourneyBody,
    responses((status = 201, body = JourneyDoc), (status = 400, description = "error.field names the part: steps[2].next"), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<JourneyDoc>), ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, MAX_JOURNEY_BYTES).await?;
    let body: JourneyBody = body::json(&bytes)?;
    let saved = journeys::create(
        &state.messaging,
        &principal,
        body.key.as_deref().unwrap_or_default(),
        &body.name,
        &body.definition,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(doc(&state, saved, false).await?)))
}

#[utoipa::path(get, path = "/api/v1/journeys/{id}", tag = "messaging", params(("id" = i64, Path)), responses((status = 200, body = JourneyDoc), (status = 404)))]
pub async fn get_journey(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<JourneyDoc>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Campaigns, Action::View).await?;
    let record = state.store.journey(id).await?;
    Ok(Json(doc(&state, record, true).await?))
}

/// Publishes a new version: new entries follow it; customers under way finish theirs.
#[utoipa::path(put, path = "/api/v1/journeys/{id}", tag = "messaging", params(("id" = i64, Path)), request_body = JourneyBody,
    responses((status = 200, body = JourneyDoc), (status = 400), (status = 404)))]
pub async fn publish(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<JourneyDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, MAX_JOURNEY_BYTES).await?;
    let body: JourneyBody = body::json(&bytes)?;
    let saved = journeys::publish(
        &state.messaging,
        &principal,
        id,
        &body.name,
        &body.definition,
    )
    .await?;
    Ok(Json(doc(&state, saved, true).await?))
}

#[utoipa::path(post, path = "/api/v1/journeys/{id}/status", tag = "messaging", params(("id" = i64, Path)), request_body = StatusBody,
    responses((status = 200, body = JourneyDoc), (status = 400), (status = 404)))]
pub async fn set_status(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<JourneyDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, 1024).await?;
    let body: StatusBody = body::json(&bytes)?;
    let saved = journeys::set_status(&state.messaging, &principal, id, body.status.trim()).await?;
    Ok(Json(doc(&state, saved, true).await?))
}

#[derive(Serialize, ToSchema)]
pub struct StepResultDoc {
    version: i64,
    step: String,
    sent: u64,
    opened: u64,
    clicked: u64,
    converted: u64,
    orders: u64,
    /// Attributed revenue, a decimal string in the shop currency.
    revenue: String,
}

#[derive(Serialize, ToSchema)]
pub struct JourneyResultsDoc {
    currency: String,
    steps: Vec<StepResultDoc>,
    orders: u64,
    revenue: String,
    cost: String,
    roi: Option<f64>,
}

/// What each step's messages earned (orders attributed by last touch within each channel's
/// window), and the journey's revenue, cost and ROI.
#[utoipa::path(get, path = "/api/v1/journeys/{id}/results", tag = "messaging", params(("id" = i64, Path)),
    responses((status = 200, body = JourneyResultsDoc), (status = 404)))]
pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<JourneyResultsDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let r = guanxi_app::journeys::results::results(&state.messaging, &principal, id).await?;
    let currency = state.settings.current().currency;
    let money = |minor: i64| guanxi_domain::money::format_minor(minor, currency);
    Ok(Json(JourneyResultsDoc {
        currency: currency.code().to_owned(),
        steps: r
            .steps
            .into_iter()
            .map(|s| StepResultDoc {
                revenue: money(s.earned.revenue),
                version: s.version,
                step: s.step,
                sent: s.earned.sent,
                opened: s.earned.opened,
                clicked: s.earned.clicked,
                converted: s.earned.converted,
                orders: s.earned.orders,
            })
            .collect(),
        orders: r.orders,
        revenue: money(r.revenue),
        cost: money(r.cost),
        roi: r.roi,
    }))
}
