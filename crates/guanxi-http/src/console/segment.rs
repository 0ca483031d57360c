//! One segment's page in the console: its members (paged), CSV export, tagging every member,
//! editing the rule (with a preview) and deleting.

use super::page::{Chrome, Page, private, render_status};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::audit::{self, Audit, AuditActor};
use guanxi_app::intelligence::SegmentView;
use guanxi_app::segments::{self, SegmentError};
use guanxi_domain::CustomerId;
use guanxi_domain::access::{Action, Resource};
use serde::Deserialize;
use serde_json::json;

use super::segments::{
    Draft, Previewed, draft_of, explained, fields, form_of, may, previewed, shown_name,
};

/// Members shown per page of a segment's page.
const MEMBERS_PER_PAGE: u32 = 50;

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
    let builtin = guanxi_app::builtin_segments::is_builtin(&view.record.key);
    let next_after = (members.len() == MEMBERS_PER_PAGE as usize)
        .then(|| members.last().map(|(c, _)| c.0))
        .flatten();
    let (rule_text, broken) = match &view.rule {
        Ok(rule) => (rule.to_string(), None),
        Err(e) => (String::new(), Some(e.to_string())),
    };
    let draft = draft.unwrap_or(Draft {
        key: view.record.key.clone(),
        name: shown_name(&view.record.key, &view.record.name, staff.tr),
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
            may_edit: !builtin && may(staff, Action::Edit),
            may_delete: !builtin && may(staff, Action::Delete),
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

/// The segment's page again with why an action was refused, or the page that answers instead.
async fn refused(state: &AppState, staff: &Staff, id: i64, e: SegmentError) -> Response {
    match explained(e, staff) {
        Ok(text) => {
            let editor = Editor {
                error: Some(text),
                ..Editor::default()
            };
            segment_page(state, staff, id, 0, editor, StatusCode::BAD_REQUEST).await
        }
        Err(page) => page.into_response(),
    }
}

/// `POST /segments/{id}/tags` with `add` and/or `remove`: tags every current member.
pub async fn tag(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let principal = &staff.signed_in.principal;
    let store = state.store.as_ref();
    match segments::tag_members(
        store,
        principal,
        id,
        &form.listed("add"),
        &form.listed("remove"),
        ip,
    )
    .await
    {
        Ok(n) => Redirect::to(&format!("/segments/{id}?tagged={n}")).into_response(),
        Err(e) => refused(&state, &staff, id, e).await,
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
        let (preview, error) = previewed(&state, &staff, &draft).await;
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
        Err(e) => refused(&state, &staff, id, e).await,
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
