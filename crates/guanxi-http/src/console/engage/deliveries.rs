//! Deliveries that did not go, on a campaign's or journey's page, each with its reason and a
//! button to send it again (a webhook the receiver lost, a message whose cause is fixed).

use super::super::page::refusal_page;
use super::super::session::StaffForm;
use super::super::show::local_time;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::messaging::replay;
use guanxi_domain::ShopTimeZone;

/// Deliveries a page lists.
const SHOWN: u32 = 50;

pub(super) struct UndeliveredLine {
    pub(super) id: i64,
    pub(super) customer: i64,
    pub(super) channel: &'static str,
    pub(super) status: &'static str,
    pub(super) attempts: u32,
    pub(super) reason: String,
    pub(super) queued: String,
}

/// The newest deliveries of `origin` (and those under it) that failed or were given up.
pub(super) async fn undelivered(
    state: &AppState,
    origin: &str,
    zone: ShopTimeZone,
) -> Vec<UndeliveredLine> {
    match state.store.undelivered(origin, SHOWN).await {
        Ok(rows) => rows
            .into_iter()
            .map(|d| UndeliveredLine {
                id: d.id,
                customer: d.customer.0,
                channel: d.channel.as_str(),
                status: d.status.as_str(),
                attempts: d.attempts,
                reason: d.last_error.unwrap_or_default(),
                queued: local_time(d.queued_at, zone),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "failed deliveries could not be read");
            Vec::new()
        }
    }
}

/// `POST /deliveries/{id}/replay`: queues it again and goes back to the page it was on.
pub async fn replay(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let back = form.get("back");
    // Only back to a page of this console's (no redirect elsewhere, nothing a header cannot
    // hold).
    let plain = back
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_'));
    let back = if plain && (back.starts_with("/campaigns/") || back.starts_with("/journeys/")) {
        back.to_owned()
    } else {
        "/campaigns".to_owned()
    };
    match replay::replay(&state.messaging, &staff.signed_in.principal, id).await {
        Ok(()) => Redirect::to(&format!("{back}#undelivered")).into_response(),
        Err(e) => refusal_page(e, staff.tr, StatusCode::CONFLICT),
    }
}
