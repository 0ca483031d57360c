//! A campaign's page: what it is, each variant previewed in both languages, the editor while
//! it is a draft or scheduled, the launch button, and — once launched — its deliveries by
//! status and what it earned (per variant, against the holdout, ROI).

use super::super::page::{
    Chrome, Page, explain_messaging, invalid_text, refusal_page, render_status,
};
use super::super::session::{Staff, StaffForm};
use super::super::show::{local_time, money};
use super::campaign_form::CampaignDraft;
use super::campaigns::Choices;
use super::deliveries::{UndeliveredLine, undelivered};
use super::may;
use super::templates::Shown;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::messaging::campaign::{self, CampaignSpec, results::CampaignResults};
use guanxi_app::messaging::templates;
use guanxi_domain::access::Action;
use guanxi_store::{CampaignRecord, StoreError};

/// A variant with its template rendered in every language it has.
struct VariantPreview {
    key: String,
    template: String,
    shown: Vec<Shown>,
}

struct VariantLine {
    variant: String,
    sent: u64,
    opened: u64,
    clicked: u64,
    converted: u64,
    orders: u64,
    revenue: String,
    /// "62%": the chance it is the best.
    best: String,
}

struct HoldoutLine {
    treated: String,
    control: String,
    /// Percentage points, with the 95% interval.
    difference: String,
    lift: String,
}

struct ResultsView {
    /// (variant, status, count)
    counts: Vec<(String, &'static str, i64)>,
    variants: Vec<VariantLine>,
    holdout: Option<HoldoutLine>,
    orders: u64,
    revenue: String,
    cost: String,
    roi: String,
}

#[derive(Template)]
#[template(path = "console/engage/campaign.html")]
struct CampaignPage {
    c: Chrome,
    tab: &'static str,
    id: i64,
    name: String,
    channel: &'static str,
    status: String,
    send_at: String,
    launched_at: String,
    spec: CampaignSpec,
    editable: bool,
    may_edit: bool,
    draft: CampaignDraft,
    choices: Choices,
    error: Option<String>,
    notice: Option<String>,
    previews: Vec<VariantPreview>,
    results: Option<ResultsView>,
    undelivered: Vec<UndeliveredLine>,
    /// Where a replay returns to.
    back: String,
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "—".into()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

fn results_view(r: CampaignResults, currency: &str) -> ResultsView {
    let points = |x: f64| format!("{:+.1}", x * 100.0);
    ResultsView {
        counts: r
            .counts
            .into_iter()
            .map(|c| (c.variant, c.status.as_str(), c.count))
            .collect(),
        variants: r
            .variants
            .into_iter()
            .map(|v| VariantLine {
                best: format!("{:.0}%", v.probability_best * 100.0),
                revenue: money(v.revenue, currency),
                variant: v.variant,
                sent: v.sent,
                opened: v.opened,
                clicked: v.clicked,
                converted: v.converted,
                orders: v.orders,
            })
            .collect(),
        holdout: r.holdout.map(|h| HoldoutLine {
            treated: format!(
                "{} / {} ({})",
                h.treated.successes,
                h.treated.trials,
                percent(h.treated.successes, h.treated.trials)
            ),
            control: format!(
                "{} / {} ({})",
                h.control.successes,
                h.control.trials,
                percent(h.control.successes, h.control.trials)
            ),
            difference: format!(
                "{} pp [{}, {}]",
                points(h.difference),
                points(h.low),
                points(h.high)
            ),
            lift: h
                .lift
                .map(|l| format!("{:+.0}%", l * 100.0))
                .unwrap_or_else(|| "—".into()),
        }),
        orders: r.orders,
        revenue: money(r.revenue, currency),
        cost: money(r.cost, currency),
        roi: r
            .roi
            .map(|x| format!("{:.0}%", x * 100.0))
            .unwrap_or_else(|| "—".into()),
    }
}

/// Each variant's template rendered with its defaults alone, in every language it has.
async fn previews(state: &AppState, staff: &Staff, spec: &CampaignSpec) -> Vec<VariantPreview> {
    let mut out = Vec::new();
    for variant in &spec.variants {
        let shown = match state.store.template_by_key(&variant.template).await {
            Ok(t) => templates::preview(&state.messaging, &staff.signed_in.principal, t.id, None)
                .await
                .map(|languages| {
                    languages
                        .into_iter()
                        .map(|(language, rendered)| Shown { language, rendered })
                        .collect()
                })
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "a variant's preview could not be rendered");
                    Vec::new()
                }),
            Err(e) => {
                tracing::warn!(error = %e, template = %variant.template, "a variant's template could not be read");
                Vec::new()
            }
        };
        out.push(VariantPreview {
            key: variant.key.clone(),
            template: variant.template.clone(),
            shown,
        });
    }
    out
}

/// What the page shows besides the stored campaign.
#[derive(Default)]
struct Outcome {
    draft: Option<CampaignDraft>,
    error: Option<String>,
    notice: Option<String>,
}

async fn campaign_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    outcome: Outcome,
    status: StatusCode,
) -> Response {
    if !may(staff, Action::View) {
        return Page::forbidden(staff.tr).into_response();
    }
    let record: CampaignRecord = match state.store.campaign(id).await {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Page::not_found(staff.tr).into_response(),
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let spec = match campaign::spec_of(&record) {
        Ok(s) => s,
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let zone = staff.shop.time_zone;
    let editable = matches!(record.status.as_str(), "draft" | "scheduled");
    let results = if editable {
        None
    } else {
        match campaign::results(&state.messaging, &staff.signed_in.principal, id).await {
            Ok(r) => Some(results_view(r, staff.shop.currency.code())),
            Err(e) => return refusal_page(e, staff.tr, StatusCode::INTERNAL_SERVER_ERROR),
        }
    };
    let at = |t: Option<i64>| t.map(|t| local_time(t, zone)).unwrap_or_default();
    render_status(
        &CampaignPage {
            c: Chrome::new(staff, "/campaigns"),
            tab: "campaigns",
            id,
            draft: outcome
                .draft
                .unwrap_or_else(|| CampaignDraft::of_stored(&record, &spec, zone)),
            previews: previews(state, staff, &spec).await,
            undelivered: undelivered(state, &campaign::origin_of(id), zone).await,
            back: format!("/campaigns/{id}"),
            name: record.name,
            channel: record.channel.as_str(),
            status: record.status,
            send_at: at(record.scheduled_at),
            launched_at: at(record.launched_at),
            spec,
            editable,
            may_edit: may(staff, Action::Edit),
            // The editor's choices read only when the editor shows.
            choices: if editable && may(staff, Action::Edit) {
                Choices::read(state).await
            } else {
                Choices::none()
            },
            error: outcome.error,
            notice: outcome.notice,
            results,
        },
        status,
    )
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Response {
    campaign_page(&state, &staff, id, Outcome::default(), StatusCode::OK).await
}

/// `POST /campaigns/{id}`: saves the edited draft (a time given schedules it).
pub async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let draft = CampaignDraft::of_form(&form);
    let stored = match state
        .store
        .campaign(id)
        .await
        .and_then(|r| campaign::spec_of(&r))
    {
        Ok(spec) => spec,
        Err(StoreError::NotFound(_)) => return Page::not_found(staff.tr).into_response(),
        Err(e) => return Page::internal(staff.tr, &e).into_response(),
    };
    let error = match draft.to_form(staff.shop.time_zone, Some(&stored)) {
        Err((at, why)) => invalid_text(staff.tr, &at, &why),
        Ok(checked) => {
            match campaign::update(&state.messaging, &staff.signed_in.principal, id, &checked).await
            {
                Ok(_) => return Redirect::to(&format!("/campaigns/{id}")).into_response(),
                Err(e) => match explain_messaging(e, staff.tr) {
                    Ok(text) => text,
                    Err(page) => return page.into_response(),
                },
            }
        }
    };
    let outcome = Outcome {
        draft: Some(draft),
        error: Some(error),
        notice: None,
    };
    campaign_page(&state, &staff, id, outcome, StatusCode::BAD_REQUEST).await
}

/// `POST /campaigns/{id}/launch`: queues every delivery now and says how many of each kind.
pub async fn launch(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    StaffForm { staff, form: _ }: StaffForm,
) -> Response {
    let mut outcome = Outcome::default();
    let status = match campaign::launch(&state.messaging, &staff.signed_in.principal, id).await {
        Ok(report) => {
            outcome.notice = Some(staff.tr.fill(
                "campaigns.launched",
                &[
                    ("queued", &report.queued.to_string()),
                    ("holdout", &report.holdout.to_string()),
                    ("skipped", &report.skipped.to_string()),
                ],
            ));
            StatusCode::OK
        }
        Err(guanxi_app::messaging::MessagingError::Action(guanxi_app::ActionError::Store(
            StoreError::Conflict(_),
        ))) => {
            outcome.error = Some(staff.tr.get("campaigns.already_launched").to_owned());
            StatusCode::CONFLICT
        }
        Err(e) => match explain_messaging(e, staff.tr) {
            Ok(text) => {
                outcome.error = Some(text);
                StatusCode::BAD_REQUEST
            }
            Err(page) => return page.into_response(),
        },
    };
    campaign_page(&state, &staff, id, outcome, status).await
}
