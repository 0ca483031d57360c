//! Suppression lists: addresses no message may reach (bounced, complained, asked by hand).
//! Listing reveals the addresses, so it needs the right to reveal the channel's field.

use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use guanxi_app::messaging::consent;
use guanxi_domain::access::Principal;
use guanxi_domain::messaging::Channel;
use guanxi_domain::time::to_rfc3339;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuppressionBody {
    /// `email` or `sms`.
    channel: String,
    address: String,
    /// Why (`bounced`, `complained`, `requested`): named, never the address.
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ChannelParam {
    channel: String,
}

#[derive(Serialize, ToSchema)]
pub struct SuppressionDoc {
    address: String,
    reason: String,
    since: String,
}

#[utoipa::path(get, path = "/api/v1/suppressions", tag = "messaging", params(ChannelParam), responses((status = 200, body = Vec<SuppressionDoc>), (status = 403)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ChannelParam>,
) -> Result<Json<Vec<SuppressionDoc>>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let channel = Channel::parse(params.channel.trim())?;
    let rows = consent::suppression_list(&state.messaging, &principal, channel, Some("api"), 1_000)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|s| SuppressionDoc {
                address: s.address,
                reason: s.reason,
                since: to_rfc3339(s.since),
            })
            .collect(),
    ))
}

/// Who asks, and for which channel and address: what adding and removing both read.
async fn request(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Principal, Channel, SuppressionBody), ApiError> {
    let principal = auth::api_principal(state, headers).await?;
    let bytes = body::read(headers, body, 4 * 1024).await?;
    let body: SuppressionBody = body::json(&bytes)?;
    let channel = Channel::parse(body.channel.trim())?;
    Ok((principal, channel, body))
}

#[utoipa::path(post, path = "/api/v1/suppressions", tag = "messaging", request_body = SuppressionBody, responses((status = 204), (status = 400)))]
pub async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let (principal, channel, body) = request(&state, &headers, body).await?;
    consent::suppress(
        &state.messaging,
        &principal,
        channel,
        &body.address,
        body.reason.as_deref().unwrap_or("requested"),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/api/v1/suppressions", tag = "messaging", request_body = SuppressionBody, responses((status = 204), (status = 404)))]
pub async fn remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let (principal, channel, body) = request(&state, &headers, body).await?;
    consent::unsuppress(&state.messaging, &principal, channel, &body.address).await?;
    Ok(StatusCode::NO_CONTENT)
}
