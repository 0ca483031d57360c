//! Who is calling: an API key (`Authorization: Bearer KEY`) with scopes, or a source's write
//! key (HTTP Basic user name, or `writeKey` in a Segment body).

use crate::{ApiError, AppState};
use axum::http::HeaderMap;
use base64::Engine;
use guanxi_app::staff;
use guanxi_domain::access::{Action, Principal, Resource};
use guanxi_store::{Source, StoreError};

/// Who is calling the JSON API, with what they may do: the API key in
/// `Authorization: Bearer KEY`. Handlers check permissions on the answer (`Principal::require`),
/// the same check the console makes for staff.
pub async fn api_principal(state: &AppState, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .ok_or(ApiError::Unauthorized(
            "send an API key as Authorization: Bearer KEY",
        ))?;
    let key = match state.keys.authenticate(state.store.as_ref(), token).await {
        Ok(key) => key,
        Err(StoreError::NotFound(_)) => {
            return Err(ApiError::Unauthorized("unknown or revoked API key"));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(staff::principal_for_key(&key))
}

/// The caller, who must hold `action` on `resource`.
pub async fn api_allowed(
    state: &AppState,
    headers: &HeaderMap,
    resource: Resource,
    action: Action,
) -> Result<Principal, ApiError> {
    let principal = api_principal(state, headers).await?;
    principal.require(resource, action)?;
    Ok(principal)
}

/// The write key from HTTP Basic auth (user name; the password is ignored, as Segment does).
pub fn basic_user(headers: &HeaderMap) -> Option<String> {
    let encoded = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let user = text.split(':').next().unwrap_or_default();
    (!user.is_empty()).then(|| user.to_owned())
}

/// The source a write key belongs to.
pub async fn source_by_write_key(
    state: &AppState,
    write_key: Option<String>,
) -> Result<Source, ApiError> {
    let write_key = write_key.ok_or(ApiError::Unauthorized(
        "send the source's write key as the Basic auth user name or writeKey",
    ))?;
    match state.keys.source(state.store.as_ref(), &write_key).await {
        Ok(source) => Ok(source),
        Err(StoreError::NotFound(_)) => Err(ApiError::Unauthorized("unknown write key")),
        Err(e) => Err(e.into()),
    }
}
