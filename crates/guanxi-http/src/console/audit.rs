//! The audit log page: who did what, newest first, filterable by action. It shows what the
//! log holds, which never includes personal values.

use super::page::{Chrome, Page, render};
use super::session::Staff;
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use guanxi_domain::access::{Action, Resource};
use guanxi_store::AuditQuery;
use serde::Deserialize;

const PAGE_SIZE: u32 = 100;
/// The actions the filter offers, in the order a reader scans for them.
pub(super) const ACTIONS: &[&str] = &[
    "login",
    "login_failed",
    "reveal",
    "export",
    "user.create",
    "user.password",
    "user.totp",
    "user.role",
    "user.disable",
    "user.enable",
    "role.update",
    "apikey.create",
    "apikey.revoke",
    "source.create",
    "import.start",
    "settings.change",
    "customer.assign",
    "team.create",
    "user.team",
    "segment.create",
    "segment.update",
    "segment.delete",
    "segment.export",
    "segment.tag",
    "consent.change",
    "template.create",
    "template.update",
    "template.delete",
    "template.test_send",
    "campaign.create",
    "campaign.update",
    "campaign.launch",
    "delivery.replay",
    "journey.create",
    "journey.publish",
    "journey.activate",
    "journey.pause",
    "suppression.add",
    "suppression.remove",
];

struct Line {
    at: String,
    who: String,
    action: String,
    /// The action in words (`audit_action.<action>`); unknown actions show as recorded.
    action_key: String,
    target: String,
    detail: String,
}

/// `fields: phone, email · reason: 客户来电` from an entry's JSON detail.
fn describe(detail: &serde_json::Value) -> String {
    let Some(map) = detail.as_object() else {
        return detail.to_string();
    };
    map.iter()
        .map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            format!("{k}: {value}")
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    c: Chrome,
    lines: Vec<Line>,
    /// (action, its catalogue key) for the filter.
    actions: Vec<(&'static str, String)>,
    action: String,
    older: Option<i64>,
}

#[derive(Deserialize)]
pub struct AuditParams {
    action: Option<String>,
    before: Option<i64>,
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(p): Query<AuditParams>,
) -> Response {
    if staff
        .signed_in
        .principal
        .require(Resource::Audit, Action::View)
        .is_err()
    {
        return Page::forbidden(staff.tr).into_response();
    }
    let action = p.action.filter(|a| !a.is_empty());
    let query = AuditQuery {
        action: action.clone(),
        before: p.before,
        limit: PAGE_SIZE,
        ..AuditQuery::default()
    };
    let entries = match state.store.audit_entries(&query).await {
        Ok(entries) => entries,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    // Staff are named by their account; keys and the system by what they are.
    let users = state.store.list_users().await.unwrap_or_default();
    let name_of = |kind: &str, id: Option<i64>| match (kind, id) {
        ("user", Some(id)) => users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| format!("user {id}"), |u| u.email.clone()),
        (kind, Some(id)) => format!("{kind} {id}"),
        (kind, None) => kind.to_owned(),
    };
    let older = (entries.len() == PAGE_SIZE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let lines = entries
        .iter()
        .map(|e| Line {
            at: local_time(e.at, state.settings.current().time_zone),
            who: name_of(&e.actor_kind, e.actor_id),
            action: e.action.clone(),
            action_key: format!("audit_action.{}", e.action),
            target: match (&e.target_kind, &e.target_id) {
                (Some(kind), Some(id)) => format!("{kind} {id}"),
                _ => String::new(),
            },
            detail: describe(&e.detail),
        })
        .collect();
    render(&AuditPage {
        c: Chrome::new(&staff, "/audit"),
        lines,
        actions: ACTIONS
            .iter()
            .map(|a| (*a, format!("audit_action.{a}")))
            .collect(),
        action: action.unwrap_or_default(),
        older,
    })
}
