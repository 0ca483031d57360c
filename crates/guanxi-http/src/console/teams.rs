//! Settings → Staff: teams, which `team` data scopes stand on. The rules live in
//! `guanxi_app::ownership`; the staff page lists the teams and each member's.

use super::page::explain;
use super::session::{ClientIp, Staff, StaffForm};
use super::settings::users_page;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::ownership::{self, OwnershipError};

/// The staff page again with what went wrong, or the refusal page.
async fn refused(state: &AppState, staff: &Staff, e: OwnershipError) -> Response {
    match explain(e, staff.tr) {
        Ok(text) => users_page(state, staff, None, Some(text), StatusCode::BAD_REQUEST).await,
        Err(page) => page.into_response(),
    }
}

/// `POST /settings/teams` with `name`.
pub async fn create(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let principal = &staff.signed_in.principal;
    match ownership::create_team(state.store.as_ref(), principal, form.get("name"), ip).await {
        Ok(_) => Redirect::to("/settings/users").into_response(),
        Err(e) => refused(&state, &staff, e).await,
    }
}

/// Puts user `id` in the team `raw` names (its id), or in none (empty).
pub(super) async fn change_team(
    state: &AppState,
    staff: &Staff,
    id: i64,
    raw: &str,
    ip: Option<String>,
) -> Response {
    let team = match raw {
        "" => None,
        raw => match raw.parse::<i64>() {
            Ok(team) => Some(team),
            Err(_) => {
                let e = OwnershipError::Invalid("team", "does not exist".into());
                return refused(state, staff, e).await;
            }
        },
    };
    let principal = &staff.signed_in.principal;
    match ownership::set_team(state.store.as_ref(), principal, id, team, ip).await {
        Ok(()) => Redirect::to("/settings/users").into_response(),
        Err(e) => refused(state, staff, e).await,
    }
}
