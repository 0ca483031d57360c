//! Message templates: create (syntax checked, with line and column), read, replace, delete,
//! and preview for a chosen customer in every language the template has.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use guanxi_app::messaging::templates::{self, TemplateForm};
use guanxi_app::messaging::test_send::{self as tests_sent, TestSend};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::time::to_rfc3339;
use guanxi_store::TemplateRecord;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

const MAX_TEMPLATE_BYTES: usize = 256 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateBody {
    /// Set on creation only: lower-case letters, digits, `-` and `_`.
    key: Option<String>,
    name: String,
    /// `email`, `sms`, `webhook` or `in_app`; set on creation only.
    channel: Option<String>,
    /// `{"languages":{"zh-CN":{"subject":"…","html":"…","text":"…"},"en":{…}},"defaults":{"name":"朋友"}}`
    #[schema(value_type = Object)]
    content: Value,
}

#[derive(Serialize, ToSchema)]
pub struct TemplateDoc {
    id: i64,
    key: String,
    name: String,
    channel: String,
    #[schema(value_type = Object)]
    content: Value,
    created_at: String,
    updated_at: String,
}

impl TryFrom<TemplateRecord> for TemplateDoc {
    type Error = ApiError;
    fn try_from(r: TemplateRecord) -> Result<Self, ApiError> {
        Ok(Self {
            content: serde_json::to_value(templates::content_of(&r)?)
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            id: r.id,
            key: r.key,
            name: r.name,
            channel: r.channel.as_str().to_owned(),
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    data: Vec<TemplateDoc>,
}

fn form(body: TemplateBody) -> TemplateForm {
    TemplateForm {
        key: body.key.unwrap_or_default(),
        name: body.name,
        channel: body.channel.unwrap_or_default(),
        content: body.content,
    }
}

#[utoipa::path(get, path = "/api/v1/templates", tag = "messaging", responses((status = 200, body = TemplateList)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<TemplateList>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Campaigns, Action::View).await?;
    let data = state
        .store
        .templates()
        .await?
        .into_iter()
        .map(TemplateDoc::try_from)
        .collect::<Result<_, _>>()?;
    Ok(Json(TemplateList { data }))
}

#[utoipa::path(post, path = "/api/v1/templates", tag = "messaging", request_body = TemplateBody,
    responses((status = 201, body = TemplateDoc), (status = 400, description = "error.field names the part (content.languages.en.subject) and the reason its line and column"), (status = 409)))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<TemplateDoc>), ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, MAX_TEMPLATE_BYTES).await?;
    let saved = templates::create(&state.messaging, &principal, &form(body::json(&bytes)?)).await?;
    Ok((StatusCode::CREATED, Json(saved.try_into()?)))
}

#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "messaging", params(("id" = i64, Path)), responses((status = 200, body = TemplateDoc), (status = 404)))]
pub async fn get_template(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TemplateDoc>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Campaigns, Action::View).await?;
    Ok(Json(state.store.template(id).await?.try_into()?))
}

#[utoipa::path(put, path = "/api/v1/templates/{id}", tag = "messaging", params(("id" = i64, Path)), request_body = TemplateBody,
    responses((status = 200, body = TemplateDoc), (status = 400), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<TemplateDoc>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, MAX_TEMPLATE_BYTES).await?;
    let saved =
        templates::update(&state.messaging, &principal, id, &form(body::json(&bytes)?)).await?;
    Ok(Json(saved.try_into()?))
}

#[utoipa::path(delete, path = "/api/v1/templates/{id}", tag = "messaging", params(("id" = i64, Path)), responses((status = 204), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    templates::delete(&state.messaging, &principal, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct PreviewParams {
    /// The customer to render for (their data is revealed, and the reveal audited); without
    /// one the author's defaults alone fill the variables.
    customer: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct RenderedDoc {
    language: String,
    subject: String,
    html: String,
    text: String,
}

#[utoipa::path(get, path = "/api/v1/templates/{id}/preview", tag = "messaging", params(("id" = i64, Path), PreviewParams),
    responses((status = 200, body = Vec<RenderedDoc>), (status = 400), (status = 404)))]
pub async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Query(params): Query<PreviewParams>,
) -> Result<Json<Vec<RenderedDoc>>, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let rendered = templates::preview(
        &state.messaging,
        &principal,
        id,
        params.customer.map(CustomerId),
    )
    .await?;
    Ok(Json(
        rendered
            .into_iter()
            .map(|(language, r)| RenderedDoc {
                language,
                subject: r.subject,
                html: r.html,
                text: r.text,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TestBody {
    /// An e-mail address or phone number (ignored for webhooks, which go to the configured
    /// address). In-app templates cannot be test-sent: preview them.
    to: String,
    /// `zh-CN` or `en`; the template's first language otherwise.
    language: Option<String>,
    /// Render with this customer's values (revealed, the reveal audited).
    customer: Option<i64>,
}

/// Sends the template once, now, to `to`, its subject marked as a test; outside the queue,
/// so consent and caps do not apply. Audited without the address.
#[utoipa::path(post, path = "/api/v1/templates/{id}/test", tag = "messaging", params(("id" = i64, Path)), request_body = TestBody,
    responses((status = 204), (status = 400, description = "error.field: to (the address, or why the test did not go), language"), (status = 404)))]
pub async fn test_send(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    let bytes = body::read(&headers, body, 4 * 1024).await?;
    let body: TestBody = body::json(&bytes)?;
    let send = TestSend {
        to: &body.to,
        language: body.language.as_deref(),
        customer: body.customer.map(CustomerId),
    };
    tests_sent::test_send(&state.messaging, &principal, id, None, send).await?;
    Ok(StatusCode::NO_CONTENT)
}
