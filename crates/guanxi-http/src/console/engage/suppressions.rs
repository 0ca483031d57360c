//! The suppression lists in the console: a channel's addresses, masked until someone with
//! the right reveals them (audited), and forms to add or take off an address.

use super::super::page::{Chrome, Page, explain_messaging, refusal_page, render_status};
use super::super::session::{Staff, StaffForm};
use super::super::show::local_time;
use super::may;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guanxi_app::messaging::consent;
use guanxi_domain::access::{Action, PersonalField};
use guanxi_domain::messaging::Channel;
use serde::Deserialize;

/// Addresses a page lists.
const SHOWN: u32 = 500;

#[derive(Template)]
#[template(path = "console/engage/suppressions.html")]
struct SuppressionsPage {
    c: Chrome,
    tab: &'static str,
    channel: &'static str,
    /// (address, reason, since)
    rows: Vec<(String, String, String)>,
    revealed: bool,
    may_reveal: bool,
    may_edit: bool,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct ChannelQuery {
    channel: Option<String>,
}

fn channel_of(typed: &str) -> Channel {
    if typed == "sms" {
        Channel::Sms
    } else {
        Channel::Email
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    channel: Channel,
    reveal: bool,
    (notice, error): (Option<String>, Option<String>),
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let principal = &staff.signed_in.principal;
    let via = reveal.then_some("console");
    let rows =
        match consent::suppression_list(&state.messaging, principal, channel, via, SHOWN).await {
            Ok(rows) => rows,
            Err(e) => return refusal_page(e, staff.tr, StatusCode::BAD_REQUEST),
        };
    let zone = staff.shop.time_zone;
    let field = if channel == Channel::Sms {
        PersonalField::Phone
    } else {
        PersonalField::Email
    };
    let response = render_status(
        &SuppressionsPage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "suppressions",
            channel: channel.as_str(),
            rows: rows
                .into_iter()
                .map(|s| (s.address, s.reason, local_time(s.since, zone)))
                .collect(),
            revealed: reveal,
            may_reveal: principal.require_reveal(field).is_ok(),
            may_edit: may(staff, Action::Edit),
            notice,
            error,
        },
        status,
    );
    super::super::page::private(response)
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(query): Query<ChannelQuery>,
) -> Response {
    let channel = channel_of(query.channel.as_deref().unwrap_or_default());
    page(&state, &staff, channel, false, (None, None), StatusCode::OK).await
}

/// `POST /suppressions`: `intent=reveal` shows the addresses; `add` and `remove` change the
/// list by the address typed.
pub async fn submit(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let channel = channel_of(form.get("channel"));
    let principal = &staff.signed_in.principal;
    let messaging = &state.messaging;
    let address = form.get("address");
    let done = match form.get("intent") {
        "reveal" => return page(&state, &staff, channel, true, (None, None), StatusCode::OK).await,
        "remove" => consent::unsuppress(messaging, principal, channel, address)
            .await
            .map(|()| "suppressions.removed"),
        _ => {
            let reason = match form.get("reason") {
                "" => "requested",
                typed => typed,
            };
            consent::suppress(messaging, principal, channel, address, reason)
                .await
                .map(|_| "suppressions.added")
        }
    };
    match done {
        Ok(key) => {
            let notice = Some(staff.tr.get(key).to_owned());
            page(
                &state,
                &staff,
                channel,
                false,
                (notice, None),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => match explain_messaging(e, staff.tr) {
            Ok(text) => {
                page(
                    &state,
                    &staff,
                    channel,
                    false,
                    (None, Some(text)),
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
            Err(page) => page.into_response(),
        },
    }
}
