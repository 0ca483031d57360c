//! The campaigns tab: every campaign with its status and schedule, and the form for a new one
//! (saved as a draft, or scheduled when a time is given). A campaign's own page is
//! `campaign.rs`.

use super::super::page::{Chrome, Page, invalid_text, render_status};
use super::super::session::{Staff, StaffForm};
use super::super::show::local_time;
use super::campaign_form::CampaignDraft;
use super::{created, may, segment_keys};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guanxi_app::messaging::campaign;
use guanxi_domain::access::Action;
use guanxi_domain::messaging::Channel;

struct CampaignLine {
    id: i64,
    name: String,
    channel: &'static str,
    status: String,
    /// When it goes or went out, shop time; empty for a draft.
    when: String,
}

/// What the campaign editor offers: channels, and the keys of segments and templates.
pub(super) struct Choices {
    pub(super) channels: Vec<&'static str>,
    pub(super) segments: Vec<String>,
    pub(super) templates: Vec<String>,
    pub(super) metrics: [&'static str; 3],
}

impl Choices {
    /// For a page without the editor.
    pub(super) fn none() -> Self {
        Self {
            channels: Vec::new(),
            segments: Vec::new(),
            templates: Vec::new(),
            metrics: ["opened", "clicked", "converted"],
        }
    }

    pub(super) async fn read(state: &AppState) -> Self {
        let templates = match state.store.templates().await {
            Ok(records) => records.into_iter().map(|r| r.key).collect(),
            Err(e) => {
                tracing::warn!(error = %e, "template keys for a suggestion list could not be read");
                Vec::new()
            }
        };
        Self {
            channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
            segments: segment_keys(state).await,
            templates,
            ..Self::none()
        }
    }
}

#[derive(Template)]
#[template(path = "console/engage/campaigns.html")]
struct CampaignsPage {
    c: Chrome,
    tab: &'static str,
    campaigns: Vec<CampaignLine>,
    may_create: bool,
    draft: CampaignDraft,
    error: Option<String>,
    choices: Choices,
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    draft: CampaignDraft,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let records = match state.store.campaigns().await {
        Ok(r) => r,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let zone = staff.shop.time_zone;
    let campaigns = records
        .into_iter()
        .map(|r| CampaignLine {
            when: r
                .launched_at
                .or(r.scheduled_at)
                .map(|at| local_time(at, zone))
                .unwrap_or_default(),
            id: r.id,
            name: r.name,
            channel: r.channel.as_str(),
            status: r.status,
        })
        .collect();
    render_status(
        &CampaignsPage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "campaigns",
            campaigns,
            may_create: may(staff, Action::Create),
            draft,
            error,
            choices: Choices::read(state).await,
        },
        status,
    )
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    list_page(
        &state,
        &staff,
        CampaignDraft::default(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /campaigns`: saves a new campaign and opens its page, where it is previewed and
/// launched.
pub async fn create(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let draft = CampaignDraft::of_form(&form);
    let refusal = match draft.to_form(staff.shop.time_zone, None) {
        Err((at, why)) => invalid_text(staff.tr, &at, &why),
        Ok(checked) => {
            let principal = &staff.signed_in.principal;
            let result = campaign::create(&state.messaging, principal, &checked).await;
            match created(result, &staff, |saved| format!("/campaigns/{}", saved.id)) {
                Ok(response) => return response,
                Err(text) => text,
            }
        }
    };
    list_page(
        &state,
        &staff,
        draft,
        Some(refusal),
        StatusCode::BAD_REQUEST,
    )
    .await
}
