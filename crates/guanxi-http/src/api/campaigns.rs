//! Campaigns: define (audience of segments with exclusions, variants, holdout, schedule),
//! launch, and read results by variant and status.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guanxi_app::messaging::campaign::{self, CampaignForm};
use guanxi_domain::FieldError;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::money::format_minor;
use guanxi_domain::time::{parse_timestamp, to_rfc3339};
use guanxi_store::CampaignRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

const MAX_CAMPAIGN_BYTES: usize = 64 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignBody {
    name: String,
    /// `email` (SMS, webhook and in-app are next).
    channel: String,
    /// `{"audience":{"segments":["vip"],"exclude":["churned"]},"variants":[{"key":"a","template":"welcome"}],"holdout_percent":10}`
    #[schema(value_type = Object)]
    spec: Value,
    /// RFC 3339; absent keeps the campaign a draft until launched.
    send_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct CampaignDoc {
    id: i64,
    name: String,
    channel: String,
    #[schema(value_type = Object)]
    spec: Value,
    status: String,
    send_at: Option<String>,
    launched_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl TryFrom<CampaignRecord> for CampaignDoc {
    type Error = ApiError;
    fn try_from(r: CampaignRecord) -> Result<Self, ApiError> {
        Ok(Self {
            spec: serde_json::to_value(campaign::spec_of(&r)?)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            id: r.id,
            name: r.name,
            channel: r.channel.as_str().to_owned(),
            status: r.status,
            send_at: r.scheduled_at.map(to_rfc3339),
            launched_at: r.launched_at.map(to_rfc3339),
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct CampaignList {
    data: Vec<CampaignDoc>,
}

fn form(state: &AppState, body: CampaignBody) -> Result<CampaignForm, ApiError> {
    let zone = state.settings.current().time_zone;
    let send_at = body
        .send_at
        .map(|raw| {
            parse_timestamp(&raw, zone).ok_or_else(|| {
                FieldError::new(
                    "send_at",
                    "is not a time, such as 2026-12-24T10:00:00+08:00",
                )
            })
        })
        .transpose()?;
    Ok(CampaignForm {
        name: body.name,
        channel: body.channel,
        spec: body.spec,
        send_at,
    })
}

#[utoipa::path(get, path = "/api/v1/campaigns", tag = "messaging", responses((status = 200, body = CampaignList)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<CampaignList>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Campaigns, Action::View).await?;
    let data = state
        .store
        .campaigns()
        .await?
        .into_iter()
        .map(CampaignDoc::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(CampaignList { data }))
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "messaging", request_body = CampaignBody,
    responses((status = 201, body = CampaignDoc), (status = 400, description = "error.field names the part: spec.audience.segments[0], spec.variants[1].template")))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<CampaignDoc>), ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, MAX_CAMPAIGN_BYTES).await?;
    let form = form(&state, body::json(&bytes)?)?;
    let saved = campaign::create(&state.messaging, &principal, &form).await?;
    Ok((StatusCode::CREATED, Json(saved.try_into()?)))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "messaging", params(("id" = i64, Path)), responses((status = 200, body = CampaignDoc), (status = 404)))]
pub async fn get_campaign(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<CampaignDoc>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Campaigns, Action::View).await?;
    Ok(Json(state.store.campaign(id).await?.try_into()?))
}

/// Replaces a draft or scheduled campaign; one that was launched answers 409.
#[utoipa::path(put, path = "/api/v1/campaigns/{id}", tag = "messaging", params(("id" = i64, Path)), request_body = CampaignBody,
    responses((status = 200, body = CampaignDoc), (status = 400), (status = 404), (status = 409)))]
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<CampaignDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, MAX_CAMPAIGN_BYTES).await?;
    let form = form(&state, body::json(&bytes)?)?;
    Ok(Json(
        campaign::update(&state.messaging, &principal, id, &form)
            .await?
            .try_into()?,
    ))
}

#[derive(Serialize, ToSchema)]
pub struct LaunchDoc {
    audience: u64,
    queued: u64,
    holdout: u64,
    skipped: u64,
}

/// Launches a draft or scheduled campaign now: every customer of the audience gets one
/// delivery, queued, kept back as holdout or skipped with the reason.
#[utoipa::path(post, path = "/api/v1/campaigns/{id}/launch", tag = "messaging", params(("id" = i64, Path)),
    responses((status = 200, body = LaunchDoc), (status = 404), (status = 409, description = "already launched")))]
pub async fn launch(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LaunchDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let r = campaign::launch(&state.messaging, &principal, id).await?;
    Ok(Json(LaunchDoc {
        audience: r.audience,
        queued: r.queued,
        holdout: r.holdout,
        skipped: r.skipped,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct CountDoc {
    variant: String,
    status: String,
    count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct VariantDoc {
    variant: String,
    sent: u64,
    opened: u64,
    clicked: u64,
    converted: u64,
    orders: u64,
    /// Attributed revenue, a decimal string in the shop currency.
    revenue: String,
    probability_best: f64,
}

#[derive(Serialize, ToSchema)]
pub struct HoldoutDoc {
    treated_customers: u64,
    treated_converted: u64,
    control_customers: u64,
    control_converted: u64,
    /// Treated conversion rate minus the holdout's, with its 95% confidence interval.
    difference: f64,
    low: f64,
    high: f64,
    lift: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ResultsDoc {
    currency: String,
    counts: Vec<CountDoc>,
    variants: Vec<VariantDoc>,
    holdout: Option<HoldoutDoc>,
    orders: u64,
    revenue: String,
    cost: String,
    roi: Option<f64>,
}

/// Deliveries by status, and per variant what was sent, opened, clicked and the orders and
/// revenue attributed (last touch within each channel's window); conversion against the
/// holdout; ROI against the configured cost per message.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/results", tag = "messaging", params(("id" = i64, Path)), responses((status = 200, body = ResultsDoc), (status = 404)))]
pub async fn results(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<ResultsDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let r = campaign::results(&state.messaging, &principal, id).await?;
    let currency = state.settings.current().currency;
    let money = |minor: i64| format_minor(minor, currency);
    Ok(Json(ResultsDoc {
        currency: currency.code().to_owned(),
        counts: r
            .counts
            .into_iter()
            .map(|c| CountDoc {
                variant: c.variant,
                status: c.status.as_str().to_owned(),
                count: c.count,
            })
            .collect(),
        variants: r
            .variants
            .into_iter()
            .map(|v| VariantDoc {
                revenue: money(v.revenue),
                variant: v.variant,
                sent: v.sent,
                opened: v.opened,
                clicked: v.clicked,
                converted: v.converted,
                orders: v.orders,
                probability_best: v.probability_best,
            })
            .collect(),
        holdout: r.holdout.map(|h| HoldoutDoc {
            treated_customers: h.treated.trials,
            treated_converted: h.treated.successes,
            control_customers: h.control.trials,
            control_converted: h.control.successes,
            difference: h.difference,
            low: h.low,
            high: h.high,
            lift: h.lift,
        }),
        orders: r.orders,
        revenue: money(r.revenue),
        cost: money(r.cost),
        roi: r.roi,
    }))
}
