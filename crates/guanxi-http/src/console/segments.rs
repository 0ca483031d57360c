//! Segments in the console: the list with a rule editor (preview before saving), each
//! segment's page with its members and CSV export, editing and deleting. The rules live in
//! `guanxi_app::segments`; the engine keeps members current.

use super::page::{Chrome, Page, explain, private, render_status};
use super::session::{ClientIp, FormFields, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::audit::{self, Audit, AuditActor};
use guanxi_app::intelligence::SegmentView;
use guanxi_app::segments::{self, RuleInput, SegmentError, SegmentForm};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Resource};
use guanxi_engine::segment::Field;
use serde::Deserialize;
use serde_json::json;

/// Members shown per page of a segment's page.
const MEMBERS_PER_PAGE: u32 = 50;

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
struct Draft {
    key: String,
    name: String,
    description: String,
    rule_text: String,
    auto_tag: String,
}

/// What a preview found.
struct Previewed {
    count: u64,
    sample: Vec<i64>,
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

#[derive(Template)]
#[template(path = "console/segment.html")]
struct SegmentPage {
    c: Chrome,
    id: i64,
    key: String,
    members: i64,
    /// (customer id, since)
    page: Vec<(i64, String)>,
    next_after: Option<i64>,
    may_edit: bool,
    may_delete: bool,
    may_export: bool,
    may_tag: bool,
    /// After tagging every member: how many there were.
    tagged: Option<u64>,
    draft: Draft,
    preview: Option<Previewed>,
    error: Option<String>,
    broken: Option<String>,
    fields: Vec<&'static str>,
}

fn fields() -> Vec<&'static str> {
    Field::ALL.iter().map(|f| f.key()).collect()
}

fn may(staff: &Staff, action: Action) -> bool {
    staff
        .signed_in
        .principal
        .require(Resource::Segments, action)
        .is_ok()
}

fn draft_of(form: &FormFields) -> Draft {
    Draft {
        key: form.get("key").to_owned(),
        name: form.get("name").to_owned(),
        description: form.get("description").to_owned(),
        rule_text: form.get("rule_text").to_owned(),
        auto_tag: form.get("auto_tag").to_owned(),
    }
}

fn form_of(draft: &Draft) -> SegmentForm {
    SegmentForm {
        key: draft.key.clone(),
        name: draft.name.clone(),
        description: draft.description.clone(),
        rule: RuleInput::Text(draft.rule_text.clone()),
        auto_tag: draft.auto_tag.clone(),
    }
}

/// How a refusal reads on the form, or the page that answers instead.
fn explained(e: SegmentError, staff: &Staff) -> Result<String, Page> {
    match e {
        SegmentError::Action(a) => explain(a, staff.tr),
        SegmentError::Rule(r) => Ok(super::page::invalid_text(staff.tr, &r.at, &r.reason)),
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
            key: v.record.key,
            name: v.record.name,
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
        let (preview, error) = match preview(&state, &staff, &draft).await {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        };
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

#[derive(Deserialize)]
pub struct MembersAfter {
    after: Option<i64>,
    tagged: Option<u64>,
}

/// The editor on a segment's page: the values typed (the stored ones when `None`), and what a
/// preview or a save answered.
#[derive(Default)]
struct Editor {
    draft: Option<Draft>,
    preview: Option<Previewed>,
    error: Option<String>,
    tagged: Option<u64>,
}

async fn segment_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    after: i64,
    editor: Editor,
    status: StatusCode,
) -> Response {
    let Editor {
        draft,
        preview,
        error,
        tagged,
    } = editor;
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let view = match state.store.segment(id).await {
        Ok(record) => SegmentView::of(record),
        Err(guanxi_store::StoreError::NotFound(_)) => {
            return Page::not_found(staff.tr).into_response();
        }
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let members = match state
        .store
        .segment_members(id, CustomerId(after), MEMBERS_PER_PAGE)
        .await
    {
        Ok(m) => m,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let zone = staff.shop.time_zone;
    let next_after = (members.len() == MEMBERS_PER_PAGE as usize)
        .then(|| members.last().map(|(c, _)| c.0))
        .flatten();
    let (rule_text, broken) = match &view.rule {
        Ok(rule) => (rule.to_string(), None),
        Err(e) => (String::new(), Some(e.to_string())),
    };
    let draft = draft.unwrap_or(Draft {
        key: view.record.key.clone(),
        name: view.record.name.clone(),
        description: view.record.description.clone(),
        rule_text,
        auto_tag: view.record.auto_tag.clone().unwrap_or_default(),
    });
    render_status(
        &SegmentPage {
            c: Chrome::new(staff, "/segments"),
            id,
            key: view.record.key,
            members: view.record.members,
            page: members
                .into_iter()
                .map(|(c, since)| (c.0, local_time(since, zone)))
                .collect(),
            next_after,
            may_edit: may(staff, Action::Edit),
            may_delete: may(staff, Action::Delete),
            may_export: may(staff, Action::Export),
            may_tag: staff
                .signed_in
                .principal
                .require(Resource::Customers, Action::Edit)
                .is_ok(),
            tagged,
            draft,
            preview,
            error,
            broken,
            fields: fields(),
        },
        status,
    )
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<MembersAfter>,
) -> Response {
    let after = q.after.unwrap_or(0);
    let editor = Editor {
        tagged: q.tagged,
        ..Editor::default()
    };
    segment_page(&state, &staff, id, after, editor, StatusCode::OK).await
}

/// `POST /segments/{id}/tags` with `add` and/or `remove`: tags every current member.
pub async fn tag(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let one = |name: &str| -> Vec<String> {
        Some(form.get(name).to_owned())
            .filter(|t| !t.is_empty())
            .into_iter()
            .collect()
    };
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    match segments::tag_members(store, principal, id, &one("add"), &one("remove"), ip).await {
        Ok(n) => Redirect::to(&format!("/segments/{id}?tagged={n}")).into_response(),
        Err(e) => match explained(e, &staff) {
            Ok(text) => {
                let editor = Editor {
                    error: Some(text),
                    ..Editor::default()
                };
                segment_page(&state, &staff, id, 0, editor, StatusCode::BAD_REQUEST).await
            }
            Err(page) => page.into_response(),
        },
    }
}

/// `POST /segments/{id}`: preview or save an edit of name, description and rule.
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let draft = draft_of(&form);
    if form.get("intent") == "preview" {
        let (preview, error) = match preview(&state, &staff, &draft).await {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(e)),
        };
        let editor = Editor {
            draft: Some(draft),
            preview,
            error,
            tagged: None,
        };
        return segment_page(&state, &staff, id, 0, editor, StatusCode::OK).await;
    }
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    match segments::update(
        store,
        &state.intelligence,
        &state.settings,
        principal,
        id,
        &form_of(&draft),
        ip,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/segments/{id}")).into_response(),
        Err(e) => match explained(e, &staff) {
            Ok(text) => {
                let editor = Editor {
                    draft: Some(draft),
                    error: Some(text),
                    ..Editor::default()
                };
                segment_page(&state, &staff, id, 0, editor, StatusCode::BAD_REQUEST).await
            }
            Err(page) => page.into_response(),
        },
    }
}

/// `POST /segments/{id}/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, .. }: StaffForm,
) -> Response {
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    match segments::delete(
        store,
        &state.intelligence,
        &state.settings,
        principal,
        id,
        ip,
    )
    .await
    {
        Ok(()) => Redirect::to("/segments").into_response(),
        Err(e) => match explained(e, &staff) {
            Ok(text) => {
                let editor = Editor {
                    error: Some(text),
                    ..Editor::default()
                };
                segment_page(&state, &staff, id, 0, editor, StatusCode::BAD_REQUEST).await
            }
            Err(page) => page.into_response(),
        },
    }
}

/// `GET /segments/{id}/members.csv`: every member, streamed; audited as `segment.export`.
pub async fn export(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    ClientIp(ip): ClientIp,
) -> Response {
    if !may(&staff, Action::Export) {
        return Page::forbidden(staff.tr).into_response();
    }
    let segment = match state.store.segment(id).await {
        Ok(s) => s,
        Err(guanxi_store::StoreError::NotFound(_)) => {
            return Page::not_found(staff.tr).into_response();
        }
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let audit = Audit {
        actor: AuditActor::Known(&staff.signed_in.principal.actor),
        action: "segment.export",
        target: Some(("segment", id.to_string())),
        detail: json!({ "key": segment.key, "members": segment.members, "via": "console" }),
        ip,
    };
    if let Err(e) = audit::record(state.store.as_ref(), audit).await {
        return Page::internal(staff.tr, &e).into_response();
    }
    let disposition = format!("attachment; filename=\"segment-{}.csv\"", segment.key);
    let body = Body::from_stream(crate::api::member_csv(state, id));
    private(
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body,
        )
            .into_response(),
    )
}
