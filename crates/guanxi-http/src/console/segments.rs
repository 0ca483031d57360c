//! Segments in the console: the list with a rule editor (preview before saving). A segment's
//! own page is `segment.rs`. The rules live in `guanxi_app::segments`; the engine keeps members
//! current.

use super::page::{Chrome, Page, explain, render_status};
use super::session::{ClientIp, FormFields, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::intelligence::SegmentView;
use guanxi_app::segments::{self, RuleInput, SegmentError, SegmentForm};
use guanxi_domain::access::{Action, Resource};
use guanxi_engine::segment::Field;

struct SegmentLine {
    id: i64,
    key: String,
    name: String,
    members: i64,
    rule_text: String,
    updated: String,
}

/// The editor's values, as typed.
#[derive(Default)]
pub(super) struct Draft {
    pub(super) key: String,
    pub(super) name: String,
    pub(super) description: String,
    pub(super) rule_text: String,
    pub(super) auto_tag: String,
}

/// What a preview found.
pub(super) struct Previewed {
    pub(super) count: u64,
    pub(super) sample: Vec<i64>,
}

#[derive(Template)]
#[template(path = "console/segments.html")]
struct SegmentsPage {
    c: Chrome,
    segments: Vec<SegmentLine>,
    may_create: bool,
    draft: Draft,
    preview: Option<Previewed>,
    error: Option<String>,
    fields: Vec<&'static str>,
}

/// A segment's name as shown: built-in lifecycle segments in the page's language.
pub(super) fn shown_name(key: &str, name: &str, tr: super::i18n::Tr) -> String {
    match guanxi_app::builtin_segments::stage_of(key) {
        Some(stage) => tr.fill(
            "segments.lifecycle_name",
            &[("stage", tr.get(&format!("lifecycle.{}", stage.key())))],
        ),
        None => name.to_owned(),
    }
}

pub(super) fn fields() -> Vec<&'static str> {
    Field::ALL.iter().map(|f| f.key()).collect()
}

pub(super) fn may(staff: &Staff, action: Action) -> bool {
    staff
        .signed_in
        .principal
        .require(Resource::Segments, action)
        .is_ok()
}

pub(super) fn draft_of(form: &FormFields) -> Draft {
    Draft {
        key: form.get("key").to_owned(),
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
        rule_text: form.get("rule_text").to_owned(),
        auto_tag: form.get("auto_tag").to_owned(),
    }
}

pub(super) fn form_of(draft: &Draft) -> SegmentForm {
    SegmentForm {
        key: draft.key.clone(),
        name: draft.name.clone(),
        description: draft.description.clone(),
        rule: RuleInput::Text(draft.rule_text.clone()),
        auto_tag: draft.auto_tag.clone(),
    }
}

/// How a refusal reads on the form, or the page that answers instead.
pub(super) fn explained(e: SegmentError, staff: &Staff) -> Result<String, Page> {
    match e {
        SegmentError::Action(a) => explain(a, staff.tr),
        SegmentError::Rule(r) => Ok(super::page::invalid_text(staff.tr, &r.at, &r.reason)),
    }
}

/// What a preview shows on the form: what the rule reaches, or why it is wrong.
pub(super) async fn previewed(
    state: &AppState,
    staff: &Staff,
    draft: &Draft,
) -> (Option<Previewed>, Option<String>) {
    match preview(state, staff, draft).await {
        Ok(p) => (Some(p), None),
        Err(e) => (None, Some(e)),
    }
}

/// Previews the draft's rule: what it reaches, or why it is wrong.
async fn preview(state: &AppState, staff: &Staff, draft: &Draft) -> Result<Previewed, String> {
    let rule =
        segments::parse_rule(&RuleInput::Text(draft.rule_text.clone())).map_err(
            |e| match explained(e, staff) {
                Ok(text) => text,
                Err(_) => staff.tr.get("segments.preview_failed").to_owned(),
            },
        )?;
    let previewed = state
        .intelligence
        .preview(
            state.store.as_ref(),
            &rule,
            &state.settings,
            staff.shop.time_zone,
        )
        .await;
    match previewed {
        Err(e) => {
            tracing::warn!(error = %e, "a segment preview could not read the orders it needs");
            Err(staff.tr.get("segments.preview_failed").to_owned())
        }
        Ok(None) => Err(staff.tr.get("insights.building").to_owned()),
        Ok(Some(Err(e))) => Err(super::page::invalid_text(staff.tr, &e.at, &e.reason)),
        Ok(Some(Ok(p))) => Ok(Previewed {
            count: p.count,
            sample: p.sample.iter().map(|c| c.0).collect(),
        }),
    }
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    draft: Draft,
    preview: Option<Previewed>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let records = match state.store.segments().await {
        Ok(r) => r,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let zone = staff.shop.time_zone;
    let segments = records
        .into_iter()
        .map(SegmentView::of)
        .map(|v| SegmentLine {
            id: v.record.id,
            rule_text: v.rule.map(|r| r.to_string()).unwrap_or_default(),
            name: shown_name(&v.record.key, &v.record.name, staff.tr),
            key: v.record.key,
            members: v.record.members,
            updated: local_time(v.record.updated_at, zone),
        })
        .collect();
    render_status(
        &SegmentsPage {
            c: Chrome::new(staff, "/segments"),
            segments,
            may_create: may(staff, Action::Create),
            draft,
            preview,
            error,
            fields: fields(),
        },
        status,
    )
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Response {
    list_page(&state, &staff, Draft::default(), None, None, StatusCode::OK).await
}

/// `POST /segments`: `intent=preview` shows what the rule reaches; `intent=save` creates.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let draft = draft_of(&form);
    if form.get("intent") == "preview" {
        let (preview, error) = previewed(&state, &staff, &draft).await;
        return list_page(&state, &staff, draft, preview, error, StatusCode::OK).await;
    }
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    match segments::create(
        store,
        &state.intelligence,
        &state.settings,
        principal,
        &form_of(&draft),
        ip,
    )
    .await
    {
        Ok(view) => Redirect::to(&format!("/segments/{}", view.record.id)).into_response(),
        Err(e) => match explained(e, &staff) {
            Ok(text) => {
                list_page(
                    &state,
                    &staff,
                    draft,
                    None,
                    Some(text),
                    StatusCode::BAD_REQUEST,
                )
                .await
            }
            Err(page) => page.into_response(),
        },
    }
}
