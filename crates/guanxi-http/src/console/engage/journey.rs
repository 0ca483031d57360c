//! A journey's page: its step graph with live counts (reached, waiting now), customers still
//! finishing earlier versions, starting and pausing, and the editor — a draft definition is
//! drawn before it is published as a new version.

use super::super::page::{Chrome, Page, explain_messaging, invalid_text, render_status};
use super::super::session::{Staff, StaffForm};
use super::super::show::money;
use super::deliveries::{UndeliveredLine, undelivered};
use super::journey_editor::{StepFields, add_after, fields_of, remove, set_fields, step_ids};
use super::journey_graph::{Graph, layout};
use super::journeys::json_of;
use super::may;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::journeys;
use guanxi_app::journeys::results::results as journey_results;
use guanxi_domain::access::Action;
use guanxi_domain::journey::{Definition, StepKind};
use guanxi_store::StoreError;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "console/engage/journey.html")]
struct JourneyPage {
    c: Chrome,
    tab: &'static str,
    id: i64,
    key: String,
    name: String,
    status: String,
    version: i64,
    graph: Graph,
    /// (version, step, waiting now) of customers on earlier versions.
    earlier: Vec<(i64, String, i64)>,
    /// What the current version's steps earned, by step id.
    earned: HashMap<String, StepMoney>,
    totals: Totals,
    undelivered: Vec<UndeliveredLine>,
    /// Where a replay returns to.
    back: String,
    may_edit: bool,
    /// The editor: the name and definition as typed (the stored ones at first).
    draft_name: String,
    draft_definition: String,
    /// The draft drawn, after a preview or a change made in the editor.
    draft_graph: Option<Graph>,
    /// The draft's step ids and the kinds of step there are, for the editor's choices.
    draft_steps: Vec<String>,
    kinds: [&'static str; 11],
    /// The step being edited, with its settings.
    step: Option<StepFields>,
    error: Option<String>,
    notice: Option<String>,
}

/// A step's messages and what they earned.
struct StepMoney {
    sent: u64,
    clicked: u64,
    orders: u64,
    revenue: String,
}

/// The journey's orders, revenue, cost and ROI over every version.
struct Totals {
    orders: u64,
    revenue: String,
    cost: String,
    roi: String,
}

#[derive(Default)]
struct Outcome {
    draft: Option<(String, String)>,
    draft_graph: Option<Graph>,
    step: Option<StepFields>,
    error: Option<String>,
    notice: Option<String>,
}

async fn journey_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let record = match state.store.journey(id).await {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Page::not_found(staff.tr).into_response(),
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let (definition, counts) = match (
        journeys::definition_of(&record),
        state.store.step_counts(id).await,
    ) {
        (Ok(d), Ok(c)) => (d, c),
        (Err(e), _) | (_, Err(e)) => return Page::internal(staff.tr, &e).into_response(),
    };
    let current: HashMap<String, (i64, i64)> = counts
        .iter()
        .filter(|c| c.version == record.version)
        .map(|c| (c.step.clone(), (c.entered, c.now)))
        .collect();
    let earlier = counts
        .iter()
        .filter(|c| c.version != record.version && c.now > 0)
        .map(|c| (c.version, c.step.clone(), c.now))
        .collect();
    let results = match journey_results(&state.messaging, &staff.signed_in.principal, id).await {
        Ok(r) => r,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let currency = staff.shop.currency.code();
    let earned = results
        .steps
        .iter()
        .filter(|s| s.version == record.version)
        .map(|s| {
            (
                s.step.clone(),
                StepMoney {
                    sent: s.earned.sent,
                    clicked: s.earned.clicked,
                    orders: s.earned.orders,
                    revenue: money(s.earned.revenue, currency),
                },
            )
        })
        .collect();
    let totals = Totals {
        orders: results.orders,
        revenue: money(results.revenue, currency),
        cost: money(results.cost, currency),
        roi: results
            .roi
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "—".into()),
    };
    let (draft_name, draft_definition) = outcome.draft.unwrap_or_else(|| {
        (
            record.name.clone(),
            serde_json::to_string_pretty(&definition).unwrap_or_default(),
        )
    });
    render_status(
        &JourneyPage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "journeys",
            id,
            graph: layout(&definition, &current, staff.tr),
            earlier,
            earned,
            totals,
            undelivered: undelivered(state, &format!("journey:{id}"), staff.shop.time_zone).await,
            back: format!("/journeys/{id}"),
            key: record.key,
            name: record.name,
            status: record.status,
            version: record.version,
            may_edit: may(staff, Action::Edit),
            draft_steps: json_of(&draft_definition)
                .map(|d| step_ids(&d))
                .unwrap_or_default(),
            kinds: StepKind::KEYS,
            step: outcome.step,
            draft_name,
            draft_definition,
            draft_graph: outcome.draft_graph,
            error: outcome.error,
            notice: outcome.notice,
        },
        status,
    )
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    journey_page(&state, &staff, id, Outcome::default(), StatusCode::OK).await
}

/// `POST /journeys/{id}`: `publish` makes the draft the next version (customers under way
/// finish the one they started); `preview` draws it; `choose_step`, `save_step`, `add_step`
/// and `remove_step` change it a step at a time and draw it again.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let name = form.get("name").to_owned();
    let typed = form.get("definition").to_owned();
    let mut outcome = Outcome::default();
    let value = match json_of(&typed) {
        Ok(v) => Some(v),
        Err((at, why)) => {
            outcome.error = Some(invalid_text(staff.tr, &at, &why));
            None
        }
    };
    let mut typed = typed;
    if let Some(mut value) = value {
        let intent = form.get("intent");
        if intent == "publish" {
            let principal = &staff.signed_in.principal;
            match journeys::publish(&state.messaging, principal, id, &name, &value).await {
                Ok(_) => return Redirect::to(&format!("/journeys/{id}")).into_response(),
                Err(e) => match explain_messaging(e, staff.tr) {
                    Ok(text) => outcome.error = Some(text),
                    Err(page) => return page.into_response(),
                },
            }
        } else {
            // Drawing the draft, or changing it step by step: the draft comes back drawn.
            let step = form.get("step").to_owned();
            let changed = match intent {
                "save_step" => set_fields(&mut value, &step, &form.with_prefix("field_")),
                "add_step" => {
                    let new_id = form.get("new_id").to_owned();
                    add_after(&mut value, form.get("after"), form.get("kind"), &new_id)
                        .map(|()| outcome.step = fields_of(&value, &new_id))
                }
                "remove_step" => remove(&mut value, &step),
                _ => Ok(()),
            };
            match changed {
                Err(why) => outcome.error = Some(invalid_text(staff.tr, "step", &why)),
                Ok(()) => {
                    typed = serde_json::to_string_pretty(&value).unwrap_or(typed);
                    if matches!(intent, "choose_step" | "save_step") {
                        outcome.step = fields_of(&value, &step);
                    }
                    match Definition::parse(&value) {
                        Ok(d) => {
                            outcome.draft_graph = Some(layout(&d, &HashMap::new(), staff.tr));
                        }
                        Err(e) => {
                            outcome.error = Some(invalid_text(staff.tr, &e.field, &e.reason));
                        }
                    }
                }
            }
        }
    }
    let status = if outcome.error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    outcome.draft = Some((name, typed));
    journey_page(&state, &staff, id, outcome, status).await
}

/// `POST /journeys/{id}/status`: `status=active` lets customers in, `paused` stops entries.
pub async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let principal = &staff.signed_in.principal;
    match journeys::set_status(&state.messaging, principal, id, form.get("status")).await {
        Ok(_) => Redirect::to(&format!("/journeys/{id}")).into_response(),
        Err(e) => match explain_messaging(e, staff.tr) {
            Ok(text) => {
                let outcome = Outcome {
                    error: Some(text),
                    ..Outcome::default()
                };
                journey_page(&state, &staff, id, outcome, StatusCode::BAD_REQUEST).await
            }
            Err(page) => page.into_response(),
        },
    }
}
