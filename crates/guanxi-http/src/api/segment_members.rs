//! A segment's members: page by page, as a streamed CSV export, and tagged all at once.

use super::segments::MAX_SEGMENT_BYTES;
use super::{limit, parse_cursor};
use crate::extract::{ApiPath, ApiQuery};
use crate::{ApiError, AppState, auth, body};
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use guanxi_app::audit::{self, Audit, AuditActor};
use guanxi_app::segments;
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::time::to_rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// Members read per page of a CSV export.
const EXPORT_PAGE: u32 = 5_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Tagged {
    /// Members tagged.
    customers: u64,
}

#[derive(Serialize, ToSchema)]
pub struct Member {
    customer_id: i64,
    /// When the customer's current spell in the segment began.
    since: String,
}

#[derive(Serialize, ToSchema)]
pub struct MemberPage {
    data: Vec<Member>,
    next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct MemberParams {
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Adds and removes tags on every current member (needs `customers:edit`).
#[utoipa::path(post, path = "/api/v1/segments/{id}/tags", tag = "segments", params(("id" = i64, Path)), request_body = TagBody,
    responses((status = 200, body = Tagged), (status = 400), (status = 404)))]
pub async fn tag(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    body: Body,
) -> Result<Json<Tagged>, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Customers, Action::Edit).await?;
    let bytes = body::read(&headers, body, MAX_SEGMENT_BYTES).await?;
    let body: TagBody = body::json(&bytes)?;
    let customers = segments::tag_members(
        state.store.as_ref(),
        &principal,
        id,
        &body.add,
        &body.remove,
        None,
    )
    .await?;
    Ok(Json(Tagged { customers }))
}

#[utoipa::path(get, path = "/api/v1/segments/{id}/members", tag = "segments", params(("id" = i64, Path), MemberParams),
    responses((status = 200, body = MemberPage), (status = 404)))]
pub async fn members(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(p): ApiQuery<MemberParams>,
) -> Result<Json<MemberPage>, ApiError> {
    auth::api_allowed(&state, &headers, Resource::Segments, Action::View).await?;
    state.store.segment(id).await?;
    let limit = limit(p.limit)?;
    let after = parse_cursor(p.cursor.as_deref())?.unwrap_or(0);
    let page = state
        .store
        .segment_members(id, CustomerId(after), limit)
        .await?;
    let next_cursor = (page.len() == limit as usize)
        .then(|| page.last().map(|(c, _)| c.0.to_string()))
        .flatten();
    let data = page
        .into_iter()
        .map(|(c, since)| Member {
            customer_id: c.0,
            since: to_rfc3339(since),
        })
        .collect();
    Ok(Json(MemberPage { data, next_cursor }))
}

/// Every member as CSV (`customer_id,since`), streamed page by page. Audited as
/// `segment.export`.
#[utoipa::path(get, path = "/api/v1/segments/{id}/members.csv", tag = "segments", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/csv"), (status = 404)))]
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Segments, Action::Export).await?;
    let segment = state.store.segment(id).await?;
    audit::record(
        state.store.as_ref(),
        Audit {
            actor: AuditActor::Known(&principal.actor),
            action: "segment.export",
            target: Some(("segment", id.to_string())),
            detail: json!({ "key": segment.key, "members": segment.members, "via": "api" }),
            ip: None,
        },
    )
    .await?;
    let body = Body::from_stream(member_csv(state, id));
    let disposition = format!("attachment; filename=\"segment-{}.csv\"", segment.key);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Where a CSV export is.
enum Export {
    Header,
    After(CustomerId),
    Done,
}

/// The CSV, one page of members per chunk.
pub(crate) fn member_csv(
    state: AppState,
    id: i64,
) -> impl futures::Stream<Item = Result<String, guanxi_store::StoreError>> {
    futures::stream::try_unfold(Export::Header, move |at| {
        let state = state.clone();
        async move {
            let after = match at {
                Export::Header => {
                    return Ok(Some((
                        "customer_id,since\n".to_owned(),
                        Export::After(CustomerId(0)),
                    )));
                }
                Export::After(after) => after,
                Export::Done => return Ok(None),
            };
            let page = state.store.segment_members(id, after, EXPORT_PAGE).await?;
            let next = match page.last() {
                Some((last, _)) if page.len() == EXPORT_PAGE as usize => Export::After(*last),
                _ => Export::Done,
            };
            let chunk: String = page
                .iter()
                .map(|(c, since)| format!("{},{}\n", c.0, to_rfc3339(*since)))
                .collect();
            Ok(Some((chunk, next)))
        }
    })
}
