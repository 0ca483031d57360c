//! The in-app inbox the shop's app reads: a customer's messages, newest first, and marking one
//! read. Replaying a delivery (a webhook the receiver lost) lives here too.

use crate::extract::ApiPath;
use crate::{ApiError, AppState, auth};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, FieldAccess, Resource};
use guanxi_domain::time::to_rfc3339;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct InboxDoc {
    unread: usize,
    data: Vec<InboxMessageDoc>,
}

#[derive(Serialize, ToSchema)]
pub struct InboxMessageDoc {
    /// The delivery's id: what marking it read names.
    id: i64,
    subject: String,
    text: String,
    created_at: String,
    read_at: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers/{id}/inbox", tag = "messaging", params(("id" = i64, Path)), responses((status = 200, body = InboxDoc), (status = 404)))]
pub async fn inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<InboxDoc>, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Customers, Action::View).await?;
    // Messages are rendered for the customer and may name them: reading them is a reveal.
    if principal.grant.fields.name != FieldAccess::Revealable {
        return Err(ApiError::Forbidden(
            "reading an inbox needs the right to reveal names".into(),
        ));
    }
    let customer = state.store.customer(CustomerId(id)).await?.id;
    guanxi_app::ownership::require_reach(state.store.as_ref(), &principal, &[customer]).await?;
    let messages = state.store.inbox(customer, 100).await?;
    Ok(Json(InboxDoc {
        unread: messages.iter().filter(|m| m.read_at.is_none()).count(),
        data: messages
            .into_iter()
            .map(|m| InboxMessageDoc {
                id: m.delivery,
                subject: m.subject,
                text: m.text,
                created_at: to_rfc3339(m.created_at),
                read_at: m.read_at.map(to_rfc3339),
            })
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/v1/customers/{id}/inbox/{message}/read", tag = "messaging", params(("id" = i64, Path), ("message" = i64, Path)), responses((status = 204), (status = 404)))]
pub async fn mark_read(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath((id, message)): ApiPath<(i64, i64)>,
) -> Result<StatusCode, ApiError> {
    let principal = auth::api_allowed(&state, &headers, Resource::Customers, Action::Edit).await?;
    let customer = state.store.customer(CustomerId(id)).await?.id;
    guanxi_app::ownership::require_reach(state.store.as_ref(), &principal, &[customer]).await?;
    if !guanxi_app::messaging::tracking::inbox_read(&state.messaging, customer, message).await? {
        return Err(ApiError::NotFound("message"));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a finished delivery again (a webhook the receiver lost); audited.
#[utoipa::path(post, path = "/api/v1/deliveries/{id}/replay", tag = "messaging", params(("id" = i64, Path)), responses((status = 202), (status = 404), (status = 409, description = "still queued")))]
pub async fn replay(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    let principal = auth::api_principal(&state, &headers).await?;
    guanxi_app::messaging::replay::replay(&state.messaging, &principal, id).await?;
    Ok(StatusCode::ACCEPTED)
}
