//! Analytics: the shop's customers by RFM, from the intelligence engine — the eight classes with
//! their spend, and the recency × frequency grid of quintile scores with its named groups.
//! Shop-wide figures, so only roles that reach every customer see them.

use super::analytics_period::{PeriodForm, PeriodReport, report};
use super::page::{Chrome, Page, render};
use super::session::Staff;
use super::show::money;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use guanxi_domain::access::{Action, DataScope, Principal, Resource};
use guanxi_engine::rfm::{RfmGroup, RfmScores};

struct ClassLine {
    key: String,
    customers: usize,
    share: String,
    spent: String,
}

/// One cell of the grid: its count, its group's catalogue key and a shade from 0 to 100.
struct Cell {
    customers: usize,
    group_key: String,
    shade: usize,
}

#[derive(Template)]
#[template(path = "console/analytics.html")]
struct AnalyticsPage {
    c: Chrome,
    customers: usize,
    classes: Vec<ClassLine>,
    /// Rows from R5 down to R1, columns F1 to F5.
    grid: Vec<(u8, Vec<Cell>)>,
    groups: Vec<(String, usize)>,
    /// (stage catalogue key, customers, share)
    stages: Vec<(String, usize, String)>,
    cycle_days: String,
    period: PeriodReport,
}

/// Whether `principal` may read shop-wide customer figures.
pub fn may_see(principal: &Principal) -> bool {
    principal.require(Resource::Customers, Action::View).is_ok()
        && principal.grant.scope == DataScope::All
}

fn percent(part: usize, whole: usize) -> String {
    match whole {
        0 => "0%".to_owned(),
        w => format!("{:.1}%", part as f64 * 100.0 / w as f64),
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(form): Query<PeriodForm>,
) -> Response {
    if !may_see(&staff.signed_in.principal) {
        return Page::forbidden(staff.tr).into_response();
    }
    let Some(overview) = state
        .intelligence
        .rfm_overview(state.settings.current().time_zone)
    else {
        let text = staff.tr.get("insights.building").to_owned();
        return Page::new(staff.tr, StatusCode::SERVICE_UNAVAILABLE, text).into_response();
    };
    let currency = staff.shop.currency.code();
    let total = overview.customers;
    let busiest = overview
        .grid
        .iter()
        .flatten()
        .max()
        .copied()
        .unwrap_or(1)
        .max(1);
    let grid = (1..=5u8)
        .rev()
        .map(|r| {
            let cells = (1..=5u8)
                .map(|f| {
                    let n = overview.grid[usize::from(r) - 1][usize::from(f) - 1];
                    Cell {
                        customers: n,
                        group_key: format!("rfm_group.{}", RfmScores { r, f, m: 1 }.group().key()),
                        shade: n * 100 / busiest,
                    }
                })
                .collect();
            (r, cells)
        })
        .collect();
    render(&AnalyticsPage {
        c: Chrome::new(&staff, "/analytics"),
        customers: total,
        classes: overview
            .classes
            .iter()
            .map(|c| ClassLine {
                key: format!("rfm_class.{}", c.class.key()),
                customers: c.customers,
                share: percent(c.customers, total),
                spent: money(c.spent, currency),
            })
            .collect(),
        grid,
        groups: overview
            .groups
            .iter()
            .map(|(g, n): &(RfmGroup, usize)| (format!("rfm_group.{}", g.key()), *n))
            .collect(),
        stages: overview
            .stages
            .iter()
            .map(|(stage, n)| (format!("lifecycle.{}", stage.key()), *n, percent(*n, total)))
            .collect(),
        cycle_days: format!("{:.0}", overview.cycle.days),
        period: report(&state, form, staff.tr).await,
    })
}
