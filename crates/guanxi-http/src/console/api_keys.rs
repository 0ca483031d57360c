//! API keys (under Settings): every key with its scopes and whether it still works; issuing one
//! shows it once, revoking one stops it at once on this server.

use super::page::{Chrome, Page, explain, private, render_status};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::credentials::{self, By};
use guanxi_app::keys::SCOPES;
use guanxi_domain::access::{Action, Resource};

struct KeyLine {
    id: i64,
    name: String,
    scopes: String,
    since: String,
    revoked: Option<String>,
}

#[derive(Template)]
#[template(path = "console/settings_api_keys.html")]
struct ApiKeysPage {
    c: Chrome,
    keys: Vec<KeyLine>,
    scopes: &'static [&'static str],
    may_create: bool,
    may_revoke: bool,
    /// After issuing: the key's name and the key itself (shown once).
    created: Option<(String, String)>,
    error: Option<String>,
}

async fn keys_page(
    state: &AppState,
    staff: &Staff,
    created: Option<(String, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let principal = &staff.signed_in.principal;
    if principal.require(Resource::ApiKeys, Action::View).is_err() {
        return Page::forbidden(staff.tr).into_response();
    }
    let keys = match state.store.list_api_keys().await {
        Ok(keys) => keys,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let keys = keys
        .into_iter()
        .map(|k| KeyLine {
            id: k.id,
            name: k.name,
            scopes: k.scopes.join(", "),
            since: local_time(k.created_at, state.settings.current().time_zone),
            revoked: k
                .revoked_at
                .map(|at| local_time(at, state.settings.current().time_zone)),
        })
        .collect();
    let page = ApiKeysPage {
        c: Chrome::new(staff, "/settings"),
        keys,
        scopes: SCOPES,
        may_create: principal.require(Resource::ApiKeys, Action::Create).is_ok(),
        may_revoke: principal.require(Resource::ApiKeys, Action::Delete).is_ok(),
        created,
        error,
    };
    // The page may show a secret once: never kept in a cache.
    private(render_status(&page, status))
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    keys_page(&state, &staff, None, None, StatusCode::OK).await
}

pub async fn issue(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let by = By::Principal(&staff.signed_in.principal, ip);
    let scopes: Vec<String> = SCOPES
        .iter()
        .filter(|s| form.has(&format!("scope_{s}")))
        .map(|s| (*s).to_owned())
        .collect();
    match credentials::issue_api_key(state.store.as_ref(), &by, form.get("name"), &scopes).await {
        Ok((key, secret)) => {
            keys_page(
                &state,
                &staff,
                Some((key.name, secret)),
                None,
                StatusCode::OK,
            )
            .await
        }
        Err(e) => match explain(e, staff.tr) {
            Ok(text) => keys_page(&state, &staff, None, Some(text), StatusCode::BAD_REQUEST).await,
            Err(refused) => refused.into_response(),
        },
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<i64>,
    StaffForm { staff, .. }: StaffForm,
) -> Response {
    let by = By::Principal(&staff.signed_in.principal, ip);
    match credentials::revoke_api_key(state.store.as_ref(), &by, id).await {
        Ok(()) => {
            state.keys.forget_api_key(id);
            Redirect::to("/settings/api-keys").into_response()
        }
        Err(e) => match explain(e, staff.tr) {
            Ok(text) => keys_page(&state, &staff, None, Some(text), StatusCode::BAD_REQUEST).await,
            Err(refused) => refused.into_response(),
        },
    }
}
