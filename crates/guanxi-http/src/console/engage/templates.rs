//! Message templates in the console: the list, a new template, and a template's page, where
//! it is edited and previewed in both languages (for a chosen customer, the reveal audited,
//! or with the author's defaults alone) before it is saved.

use super::super::page::{Chrome, Page, explain_messaging, invalid_text, private, render_status};
use super::super::session::{Staff, StaffForm};
use super::super::show::local_time;
use super::template_form::TemplateDraft;
use super::{created, may};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::messaging::template::Rendered;
use guanxi_app::messaging::templates;
use guanxi_app::messaging::test_send::{TestSend, test_send};
use guanxi_domain::CustomerId;
use guanxi_domain::access::Action;
use guanxi_domain::messaging::Channel;

struct TemplateLine {
    id: i64,
    key: String,
    name: String,
    channel: &'static str,
    languages: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "console/engage/templates.html")]
struct TemplatesPage {
    c: Chrome,
    tab: &'static str,
    templates: Vec<TemplateLine>,
    may_create: bool,
    draft: TemplateDraft,
    error: Option<String>,
    channels: Vec<&'static str>,
}

/// One language of a preview.
pub(super) struct Shown {
    pub(super) language: String,
    pub(super) rendered: Rendered,
}

#[derive(Template)]
#[template(path = "console/engage/template.html")]
struct TemplatePage {
    c: Chrome,
    tab: &'static str,
    id: i64,
    draft: TemplateDraft,
    may_edit: bool,
    may_delete: bool,
    error: Option<String>,
    preview: Vec<Shown>,
    /// The customer the preview was for, as typed.
    preview_customer: String,
    /// The address a test went to, as typed.
    test_to: String,
    /// What a save or a test did.
    notice: Option<String>,
}

fn channels() -> Vec<&'static str> {
    Channel::ALL.iter().map(|c| c.as_str()).collect()
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    draft: TemplateDraft,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let records = match state.store.templates().await {
        Ok(r) => r,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let zone = staff.shop.time_zone;
    let templates = records
        .into_iter()
        .map(|r| TemplateLine {
            languages: templates::content_of(&r)
                .map(|c| c.languages.keys().cloned().collect::<Vec<_>>().join(" · "))
                .unwrap_or_default(),
            id: r.id,
            key: r.key,
            name: r.name,
            channel: r.channel.as_str(),
            updated: local_time(r.updated_at, zone),
        })
        .collect();
    render_status(
        &TemplatesPage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "templates",
            templates,
            may_create: may(staff, Action::Create),
            draft,
            error,
            channels: channels(),
        },
        status,
    )
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    list_page(&state, &staff, TemplateDraft::blank(), None, StatusCode::OK).await
}

pub async fn create(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let draft = TemplateDraft::of_form(&form);
    let refusal = match draft.to_form() {
        Err((at, why)) => invalid_text(staff.tr, &at, &why),
        Ok(checked) => {
            let principal = &staff.signed_in.principal;
            let result = templates::create(&state.messaging, principal, &checked).await;
            match created(result, &staff, |saved| format!("/templates/{}", saved.id)) {
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

/// The customer typed for a preview or test (`1024` or `#1024`), if any.
fn customer_of(typed: &str, staff: &Staff) -> Result<Option<CustomerId>, String> {
    match typed.trim() {
        "" => Ok(None),
        typed => typed
            .trim_start_matches('#')
            .parse::<i64>()
            .map(|id| Some(CustomerId(id)))
            .map_err(|_| invalid_text(staff.tr, "preview_customer", "is not a customer number")),
    }
}

/// What the template page shows besides the stored template.
#[derive(Default)]
struct Outcome {
    draft: Option<TemplateDraft>,
    error: Option<String>,
    preview: Vec<Shown>,
    preview_customer: String,
    test_to: String,
    notice: Option<String>,
}

async fn template_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let record = match state.store.template(id).await {
        Ok(r) => r,
        Err(guanxi_store::StoreError::NotFound(_)) => {
            return Page::not_found(staff.tr).into_response();
        }
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let draft = match outcome.draft {
        Some(d) => d,
        None => match templates::content_of(&record) {
            Ok(content) => TemplateDraft::of_stored(
                &record.key,
                &record.name,
                record.channel.as_str(),
                &content,
            ),
            Err(e) => return Page::internal(staff.tr, &e).into_response(),
        },
    };
    // A preview for a customer shows their data: never kept by the browser or a proxy.
    private(render_status(
        &TemplatePage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "templates",
            id,
            draft,
            may_edit: may(staff, Action::Edit),
            may_delete: may(staff, Action::Delete),
            error: outcome.error,
            preview: outcome.preview,
            preview_customer: outcome.preview_customer,
            test_to: outcome.test_to,
            notice: outcome.notice,
        },
        status,
    ))
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    template_page(&state, &staff, id, Outcome::default(), StatusCode::OK).await
}

/// `POST /templates/{id}`: `intent=preview` renders the draft as typed (for the customer
/// typed, if any); `save` stores it; `delete` removes the template.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let principal = &staff.signed_in.principal;
    let messaging = &state.messaging;
    if form.get("intent") == "delete" {
        return match templates::delete(messaging, principal, id).await {
            Ok(()) => Redirect::to("/templates").into_response(),
            Err(e) => match explain_messaging(e, staff.tr) {
                Ok(text) => {
                    template_page(
                        &state,
                        &staff,
                        id,
                        Outcome {
                            error: Some(text),
                            ..Outcome::default()
                        },
                        StatusCode::CONFLICT,
                    )
                    .await
                }
                Err(page) => page.into_response(),
            },
        };
    }
    let draft = TemplateDraft::of_form(&form);
    let mut outcome = Outcome {
        preview_customer: form.get("preview_customer").to_owned(),
        ..Outcome::default()
    };
    let checked = match draft.to_form() {
        Ok(f) => f,
        Err((at, why)) => {
            outcome.error = Some(invalid_text(staff.tr, &at, &why));
            outcome.draft = Some(draft);
            return template_page(&state, &staff, id, outcome, StatusCode::BAD_REQUEST).await;
        }
    };
    let result = if form.get("intent") == "test" {
        outcome.test_to = form.get("test_to").to_owned();
        let customer = match customer_of(&outcome.preview_customer, &staff) {
            Ok(c) => c,
            Err(text) => {
                outcome.error = Some(text);
                outcome.draft = Some(draft);
                return template_page(&state, &staff, id, outcome, StatusCode::BAD_REQUEST).await;
            }
        };
        let send = TestSend {
            to: &outcome.test_to,
            language: Some(form.get("test_language")).filter(|l| !l.is_empty()),
            customer,
        };
        // The draft as typed goes, as its preview shows it: a test comes before saving.
        test_send(messaging, principal, id, Some(&checked), send)
            .await
            .map(|()| outcome.notice = Some(staff.tr.get("templates.test_sent").to_owned()))
    } else if form.get("intent") == "preview" {
        match customer_of(&outcome.preview_customer, &staff) {
            Err(text) => {
                outcome.error = Some(text);
                Ok(())
            }
            Ok(customer) => templates::preview_draft(messaging, principal, &checked, customer)
                .await
                .map(|languages| {
                    outcome.preview = languages
                        .into_iter()
                        .map(|(language, rendered)| Shown { language, rendered })
                        .collect();
                }),
        }
    } else {
        templates::update(messaging, principal, id, &checked)
            .await
            .map(|_| outcome.notice = Some(staff.tr.get("templates.saved").to_owned()))
    };
    let status = match result {
        Ok(()) if outcome.error.is_none() => StatusCode::OK,
        Ok(()) => StatusCode::BAD_REQUEST,
        Err(e) => match explain_messaging(e, staff.tr) {
            Ok(text) => {
                outcome.error = Some(text);
                StatusCode::BAD_REQUEST
            }
            Err(page) => return page.into_response(),
        },
    };
    outcome.draft = Some(draft);
    template_page(&state, &staff, id, outcome, status).await
}
