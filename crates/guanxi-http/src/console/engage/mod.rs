//! Engagement in the console: campaigns, journeys, templates and suppression lists, one entry
//! of the navigation with a tab each. The rules live in `guanxi_app::messaging` and
//! `guanxi_app::journeys`; these pages gather what the operator types and show what those
//! answer, so the console and the JSON API can never disagree.

mod campaign;
mod campaign_form;
mod campaigns;
mod deliveries;
mod journey;
mod journey_editor;
mod journey_graph;
mod journeys;
mod suppressions;
mod template_form;
mod templates;

use super::page::explain_messaging;
use super::session::Staff;
use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use guanxi_app::messaging::MessagingError;
use guanxi_domain::access::{Action, Resource};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/campaigns/{id}", get(campaign::show).post(campaign::edit))
        .route("/campaigns/{id}/launch", post(campaign::launch))
        .route("/deliveries/{id}/replay", post(deliveries::replay))
        .route("/templates", get(templates::list).post(templates::create))
        .route(
            "/templates/{id}",
            get(templates::show).post(templates::edit),
        )
        .route("/journeys", get(journeys::list).post(journeys::create))
        .route("/journeys/{id}", get(journey::show).post(journey::edit))
        .route("/journeys/{id}/status", post(journey::set_status))
        .route(
            "/suppressions",
            get(suppressions::show).post(suppressions::submit),
        )
}

/// Whether the signed-in role may do `action` to campaigns, journeys and templates.
fn may(staff: &Staff, action: Action) -> bool {
    staff
        .signed_in
        .principal
        .require(Resource::Campaigns, action)
        .is_ok()
}

/// Where a create leads: to the new thing's page, or to the page that answers a refusal that
/// is not about the input (`Ok` either way); `Err` is the text of a refusal to show on the
/// form again.
fn created<T>(
    result: Result<T, MessagingError>,
    staff: &Staff,
    page_of: impl FnOnce(&T) -> String,
) -> Result<axum::response::Response, String> {
    use axum::response::IntoResponse;
    match result {
        Ok(saved) => Ok(axum::response::Redirect::to(&page_of(&saved)).into_response()),
        Err(e) => match explain_messaging(e, staff.tr) {
            Ok(text) => Err(text),
            Err(page) => Ok(page.into_response()),
        },
    }
}

/// Keys typed into one box, separated by commas, spaces or Chinese commas.
fn keys_of(typed: &str) -> Vec<String> {
    typed
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The segment keys there are, offered while typing an audience or a branch.
async fn segment_keys(state: &AppState) -> Vec<String> {
    match state.store.segments().await {
        Ok(records) => records.into_iter().map(|r| r.key).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "segment keys for a suggestion list could not be read");
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_split_on_commas_and_spaces() {
        assert_eq!(
            super::keys_of(" vip, new，churned  lapsed "),
            ["vip", "new", "churned", "lapsed"]
        );
        assert!(super::keys_of("  ").is_empty());
    }
}
