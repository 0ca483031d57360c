//! The journeys tab: every journey with its status, version and how many customers are on it
//! now, and the form for a new one (a draft until it is started). A journey's page, with its
//! graph and live counts, is `journey.rs`.

use super::super::page::{Chrome, Page, invalid_text, render_status};
use super::super::session::{Staff, StaffForm};
use super::{created, may};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guanxi_app::journeys;
use guanxi_domain::access::Action;

struct JourneyLine {
    id: i64,
    key: String,
    name: String,
    status: String,
    version: i64,
    entered: i64,
    now: i64,
}

/// The new-journey form as typed.
pub(super) struct JourneyDraft {
    pub(super) key: String,
    pub(super) name: String,
    /// The definition, JSON.
    pub(super) definition: String,
}

#[derive(Template)]
#[template(path = "console/engage/journeys.html")]
struct JourneysPage {
    c: Chrome,
    tab: &'static str,
    journeys: Vec<JourneyLine>,
    may_create: bool,
    draft: JourneyDraft,
    error: Option<String>,
}

/// A definition typed as JSON: its value, or where the JSON is broken.
pub(super) fn json_of(typed: &str) -> Result<serde_json::Value, (String, String)> {
    serde_json::from_str(typed).map_err(|e| {
        (
            "definition".to_owned(),
            format!("line {}, column {}: {e}", e.line(), e.column()),
        )
    })
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    draft: JourneyDraft,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let records = match state.store.journeys().await {
        Ok(r) => r,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let mut journeys = Vec::with_capacity(records.len());
    for r in records {
        let counts = match state.store.step_counts(r.id).await {
            Ok(c) => c,
            Err(e) => return Page::internal(staff.tr, &e).into_response(),
        };
        // Everyone enters at the start step: entries are what reached it, in any version.
        let start = journeys::definition_of(&r)
            .map(|d| d.start)
            .unwrap_or_default();
        let entered = counts
            .iter()
            .filter(|c| c.step == start)
            .map(|c| c.entered)
            .sum();
        journeys.push(JourneyLine {
            now: counts.iter().map(|c| c.now).sum(),
            entered,
            id: r.id,
            key: r.key,
            name: r.name,
            status: r.status,
            version: r.version,
        });
    }
    render_status(
        &JourneysPage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "journeys",
            journeys,
            may_create: may(staff, Action::Create),
            draft,
            error,
        },
        status,
    )
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    let draft = JourneyDraft {
        key: String::new(),
        name: String::new(),
        definition: journeys::examples::ABANDONED_CHECKOUT.to_owned(),
    };
    list_page(&state, &staff, draft, None, StatusCode::OK).await
}

/// `POST /journeys`: saves a new journey as a draft and opens its page.
pub async fn create(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let draft = JourneyDraft {
        key: form.get("key").to_owned(),
        name: form.get("name").to_owned(),
        definition: form.get("definition").to_owned(),
    };
    let refusal = match json_of(&draft.definition) {
        Err((at, why)) => invalid_text(staff.tr, &at, &why),
        Ok(definition) => {
            let principal = &staff.signed_in.principal;
            let messaging = &state.messaging;
            let result =
                journeys::create(messaging, principal, &draft.key, &draft.name, &definition).await;
            match created(result, &staff, |saved| format!("/journeys/{}", saved.id)) {
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
