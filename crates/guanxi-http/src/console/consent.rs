//! A customer's consent on their page: each channel's standing with where and when the
//! customer gave it, and — for roles that may edit customers — a form to record a new choice
//! (audited). The rules live in `guanxi_app::messaging::consent`.

use super::page::{Page, invalid_text, refusal_page};
use super::session::{Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::messaging::consent;
use guanxi_domain::access::{Action, Resource};
use guanxi_domain::messaging::{Channel, ConsentStatus};
use guanxi_domain::{CustomerId, ShopTimeZone};

pub struct ConsentLine {
    pub channel: &'static str,
    pub status: &'static str,
    /// "checkout · 2026-11-02 10:00", or empty when never asked.
    pub behind: String,
}

pub struct ConsentCard {
    pub lines: Vec<ConsentLine>,
    pub may_change: bool,
}

/// The card, or `None` when it cannot be read (logged; the rest of the page still shows).
pub async fn card(
    state: &AppState,
    staff: &Staff,
    id: CustomerId,
    zone: ShopTimeZone,
) -> Option<ConsentCard> {
    match consent::of_customer(state.store.as_ref(), id).await {
        Ok(rows) => Some(ConsentCard {
            lines: rows
                .into_iter()
                .map(|r| ConsentLine {
                    channel: r.channel.as_str(),
                    status: r.status.as_str(),
                    behind: match (r.source, r.at) {
                        (Some(source), Some(at)) => format!(
                            "{} · {}",
                            staff.tr.word("consent_source", &source),
                            local_time(at, zone)
                        ),
                        _ => String::new(),
                    },
                })
                .collect(),
            may_change: staff
                .signed_in
                .principal
                .require(Resource::Customers, Action::Edit)
                .is_ok(),
        }),
        Err(e) => {
            tracing::warn!(customer.id = id.0, error = %e, "a customer's consent could not be read");
            None
        }
    }
}

/// `POST /customers/{id}/consent`: records the customer's choice on one channel, with where
/// they gave it (`source`, "by staff" when left blank).
pub async fn change(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let channel = match Channel::parse(form.get("channel")) {
        Ok(c) => c,
        Err(e) => return refusal_page(e.into(), staff.tr, StatusCode::BAD_REQUEST),
    };
    let Some(status) = ConsentStatus::parse(form.get("status")) else {
        let text = invalid_text(
            staff.tr,
            "status",
            "must be subscribed, unsubscribed or unknown",
        );
        return Page::new(staff.tr, StatusCode::BAD_REQUEST, text).into_response();
    };
    let source = match form.get("source") {
        "" => "staff",
        typed => typed,
    };
    let principal = &staff.signed_in.principal;
    match consent::set(
        &state.messaging,
        principal,
        CustomerId(id),
        channel,
        status,
        source,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/customers/{id}#consent")).into_response(),
        Err(e) => refusal_page(e, staff.tr, StatusCode::BAD_REQUEST),
    }
}
