//! Segments: define (rule in its JSON or text form), preview before saving, read, replace and
//! delete. Their members are `segment_members.rs`.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guanxi_app::intelligence::SegmentView;
use guanxi_app::segments::{self, RuleInput, SegmentForm};
use guanxi_domain::FieldError;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::time::to_rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

pub(super) const MAX_SEGMENT_BYTES: usize = 64 * 1024;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    /// Lower-case letters, digits, `-` and `_`; how rules refer to the segment. Set on
    /// creation only.
    key: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
    /// The rule's JSON form, e.g. `{"all":[{"field":"orders","op":">=","value":2},{"tag":"vip"}]}`.
    #[schema(value_type = Object)]
    rule: Option<Value>,
    /// Or its text form, e.g. `orders >= 2 and tag "vip"`.
    rule_text: Option<String>,
    /// A tag members carry while they are members: added as they enter, removed as they leave.
    auto_tag: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleBody {
    #[schema(value_type = Object)]
    rule: Option<Value>,
    rule_text: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SegmentDoc {
    id: i64,
    key: String,
    name: String,
    description: String,
    /// The JSON form; `null` with `error` when a stored rule no longer parses.
    #[schema(value_type = Object)]
    rule: Option<Value>,
    rule_text: Option<String>,
    error: Option<String>,
    auto_tag: Option<String>,
    members: i64,
    created_at: String,
    updated_at: String,
}

impl From<SegmentView> for SegmentDoc {
    fn from(v: SegmentView) -> Self {
        let r = v.record;
        let (rule, rule_text, error) = match v.rule {
            Ok(rule) => (Some(rule.to_json()), Some(rule.to_string()), None),
            Err(e) => (None, None, Some(e.to_string())),
        };
        Self {
            id: r.id,
            key: r.key,
            name: r.name,
            description: r.description,
            rule,
            rule_text,
            error,
            auto_tag: r.auto_tag,
            members: r.members,
            created_at: to_rfc3339(r.created_at),
            updated_at: to_rfc3339(r.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SegmentList {
    data: Vec<SegmentDoc>,
}

/// Exactly one of `rule` and `rule_text`.
fn rule_input(rule: Option<Value>, text: Option<String>) -> Result<RuleInput, ApiError> {
    match (rule, text) {
        (Some(rule), None) => Ok(RuleInput::Json(rule)),
        (None, Some(text)) => Ok(RuleInput::Text(text)),
        (Some(_), Some(_)) => {
            Err(FieldError::new("rule", "give rule or rule_text, not both").into())
        }
        (None, None) => Err(FieldError::new("rule", "is required (or rule_text)").into()),
    }
}

fn form(body: SegmentBody) -> Result<SegmentForm, ApiError> {
    Ok(SegmentForm {
        key: body.key.unwrap_or_default(),
        name: body.name,
        description: body.description,
        rule: rule_input(body.rule, body.rule_text)?,
        auto_tag: body.auto_tag.unwrap_or_default(),
    })
}

#[utoipa::path(get, path = "/api/v1/segments", tag = "segments", responses((status = 200, body = SegmentList)))]
pub async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<SegmentList>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Segments, Action::View).await?;
    let data = state
        .store
        .segments()
        .await?
        .into_iter()
        .map(|r| SegmentView::of(r).into())
        .collect();
    Ok(Json(SegmentList { data }))
}

/// Creates a segment. Its members are evaluated at once and kept current from then on.
#[utoipa::path(post, path = "/api/v1/segments", tag = "segments", request_body = SegmentBody,
    responses((status = 201, body = SegmentDoc), (status = 400, description = "invalid; error.field names the rule part (rule.all[1].field, or rule_text with the column)")))]
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<SegmentDoc>), ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Segments, Action::Create).await?;
    let bytes = body::read(&headers, body, MAX_SEGMENT_BYTES).await?;
    let form = form(body::json(&bytes)?)?;
    let view = segments::create(
        state.store.as_ref(),
        &state.intelligence,
        &state.settings,
        &principal,
        &form,
        None,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

#[utoipa::path(get, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = i64, Path)), responses((status = 200, body = SegmentDoc), (status = 404)))]
pub async fn get_segment(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<SegmentDoc>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Segments, Action::View).await?;
    Ok(Json(SegmentView::of(state.store.segment(id).await?).into()))
}

/// Replaces a segment's name, description and rule; the key stays.
#[utoipa::path(put, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = i64, Path)), request_body = SegmentBody,
    responses((status = 200, body = SegmentDoc), (status = 400), (status = 404)))]
pub async fn update(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<SegmentDoc>, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Segments, Action::Edit).await?;
    let bytes = body::read(&headers, body, MAX_SEGMENT_BYTES).await?;
    let form = form(body::json(&bytes)?)?;
    let view = segments::update(
        state.store.as_ref(),
        &state.intelligence,
        &state.settings,
        &principal,
        id,
        &form,
        None,
    )
    .await?;
    Ok(Json(view.into()))
}

#[utoipa::path(delete, path = "/api/v1/segments/{id}", tag = "segments", params(("id" = i64, Path)),
    responses((status = 204), (status = 400, description = "another segment's rule refers to it"), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Segments, Action::Delete).await?;
    segments::delete(
        state.store.as_ref(),
        &state.intelligence,
        &state.settings,
        &principal,
        id,
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many customers a rule reaches now, with a sample, and the rule in both forms.
#[utoipa::path(post, path = "/api/v1/segments/preview", tag = "segments", request_body = RuleBody,
    responses((status = 200, body = Object), (status = 400), (status = 503, description = "the engine is still reading the shop's history")))]
pub async fn preview(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Segments, Action::View).await?;
    let bytes = body::read(&headers, body, MAX_SEGMENT_BYTES).await?;
    let body: RuleBody = body::json(&bytes)?;
    let rule = segments::parse_rule(&rule_input(body.rule, body.rule_text)?)?;
    let shop = state.settings.current();
    let preview = state
        .intelligence
        .preview(state.store.as_ref(), &rule, &state.settings, shop.time_zone)
        .await?
        .ok_or(ApiError::Starting(
            "the engine is still reading the shop's history",
        ))?
        .map_err(|e| FieldError::new(e.at, e.reason))?;
    Ok(Json(json!({
        "count": preview.count,
        "sample": preview.sample.iter().map(|c| c.0).collect::<Vec<_>>(),
        "rule": rule.to_json(),
        "rule_text": rule.to_string(),
    })))
}
