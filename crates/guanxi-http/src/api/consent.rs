//! A customer's consent per channel: read, and recorded with where the customer gave it.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use guanxi_app::messaging::consent::{self, ChannelConsent};
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::messaging::{Channel, ConsentStatus};
use guanxi_domain::time::to_rfc3339;
use guanxi_domain::{CustomerId, FieldError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ConsentDoc {
    channel: String,
    /// `subscribed`, `unsubscribed` or `unknown`.
    status: String,
    source: Option<String>,
    at: Option<String>,
}

impl From<ChannelConsent> for ConsentDoc {
    fn from(c: ChannelConsent) -> Self {
        Self {
            channel: c.channel.as_str().to_owned(),
            status: c.status.as_str().to_owned(),
            source: c.source,
            at: c.at.map(to_rfc3339),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    channel: String,
    status: String,
    /// Where the customer gave it: `checkout`, `store_visit`, `api`…
    source: String,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/consent", tag = "messaging", params(("id" = i64, Path)), responses((status = 200, body = Vec<ConsentDoc>), (status = 404)))]
pub async fn get_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<ConsentDoc>>, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Customers, Action::View).await?;
    let customer = state.store.customer(CustomerId(id)).await?.id;
    guanxi_app::ownership::require_reach(state.store.as_ref(), &principal, &[customer]).await?;
    Ok(Json(
        consent::of_customer(state.store.as_ref(), customer)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

#[utoipa::path(put, path = "/api/v1/customers/{id}/consent", tag = "messaging", params(("id" = i64, Path)), request_body = ConsentBody,
    responses((status = 200, body = Vec<ConsentDoc>), (status = 400), (status = 404)))]
pub async fn set_consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<Vec<ConsentDoc>>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, 4 * 1024).await?;
    let body: ConsentBody = body::json(&bytes)?;
    let channel = Channel::parse(body.channel.trim())?;
    let status = ConsentStatus::parse(body.status.trim())
        .ok_or_else(|| FieldError::new("status", "must be subscribed, unsubscribed or unknown"))?;
    let now = consent::set(
        &state.messaging,
        &principal,
        CustomerId(id),
        channel,
        status,
        &body.source,
    )
    .await?;
    Ok(Json(now.into_iter().map(Into::into).collect()))
}
