//! Sources and integrations: every channel with how to connect it (the Segment endpoint, the
//! Shopify webhook address), what it sent since this server started and its latest refusals;
//! registering a new one shows its secret once.

use super::page::{Chrome, Page, explain, private, render_status};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use guanxi_app::credentials::{self, By};
use guanxi_app::keys::SOURCE_KINDS;
use guanxi_domain::access::{Action, Resource};

struct SourceLine {
    id: i64,
    name: String,
    kind: String,
    since: String,
    /// Where it sends: the webhook address (Shopify) or the tracking API (everything else).
    endpoint: String,
    accepted: u64,
    refused: u64,
    last_at: Option<String>,
    /// (when, status, message), newest first.
    refusals: Vec<(String, u16, String)>,
}

#[derive(Template)]
#[template(path = "console/sources.html")]
struct SourcesPage {
    c: Chrome,
    sources: Vec<SourceLine>,
    kinds: &'static [&'static str],
    may_create: bool,
    /// After registering: the source's name, what its secret is, and the secret (shown once).
    created: Option<(String, &'static str, String)>,
    error: Option<String>,
}

/// The address this console was reached at, for the endpoints integrators copy.
fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost:8080");
    format!("http://{host}")
}

async fn sources_page(
    state: &AppState,
    staff: &Staff,
    headers: &HeaderMap,
    created: Option<(String, &'static str, String)>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let principal = &staff.signed_in.principal;
    if principal.require(Resource::Sources, Action::View).is_err() {
        return Page::forbidden(staff.tr).into_response();
    }
    let sources = match state.store.list_sources().await {
        Ok(sources) => sources,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let base = base_url(headers);
    let time = |at| local_time(at, state.settings.current().time_zone);
    let sources = sources
        .into_iter()
        .map(|s| {
            let activity = state.activity.of(s.id);
            let endpoint = match s.kind.as_str() {
                "shopify" => format!("{base}/webhooks/shopify/{}", s.name),
                _ => format!("{base}/v1/batch"),
            };
            SourceLine {
                id: s.id.0,
                endpoint,
                accepted: activity.accepted,
                refused: activity.refused,
                last_at: activity.last_at.map(time),
                refusals: activity
                    .recent_refusals
                    .iter()
                    .map(|r| (time(r.at), r.status, r.message.clone()))
                    .collect(),
                since: time(s.created_at),
                name: s.name,
                kind: s.kind,
            }
        })
        .collect();
    let page = SourcesPage {
        c: Chrome::new(staff, "/sources"),
        sources,
        kinds: SOURCE_KINDS,
        may_create: principal.require(Resource::Sources, Action::Create).is_ok(),
        created,
        error,
    };
    // The page may show a secret once: never kept in a cache.
    private(render_status(&page, status))
}

pub async fn list(State(state): State<AppState>, staff: Staff, headers: HeaderMap) -> Response {
    sources_page(&state, &staff, &headers, None, None, StatusCode::OK).await
}

pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let by = By::Principal(&staff.signed_in.principal, ip);
    let kind = form.get("kind");
    match credentials::register_source(state.store.as_ref(), &by, form.get("name"), kind).await {
        Ok(created) => {
            let what = if kind == "shopify" {
                "sources.webhook_secret"
            } else {
                "sources.write_key"
            };
            let shown = Some((created.source.name, what, created.secret));
            sources_page(&state, &staff, &headers, shown, None, StatusCode::OK).await
        }
        Err(e) => match explain(e, staff.tr) {
            Ok(text) => {
                let status = StatusCode::BAD_REQUEST;
                sources_page(&state, &staff, &headers, None, Some(text), status).await
            }
            Err(refused) => refused.into_response(),
        },
    }
}
