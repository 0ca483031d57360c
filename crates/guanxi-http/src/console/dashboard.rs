//! The dashboard: the shop's key figures over a chosen period (customers, new, buyers, repeat
//! rate, orders, revenue, average order value), revenue by day as a chart, and each channel's
//! share. The chart is SVG drawn on the server, so it needs no JavaScript and no CDN.

use super::page::{Chrome, Page, render};
use super::session::Staff;
use super::show::money;
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use guanxi_domain::access::{Action, Permission, Resource};
use guanxi_store::{FiguresQuery, ShopFigures};
use serde::Deserialize;

/// The periods the dashboard offers, in days.
const PERIODS: [i64; 4] = [7, 30, 90, 365];
const DEFAULT_PERIOD: i64 = 30;
const DAY_MS: i64 = 86_400_000;
/// Days since 0001-01-01 of 1970-01-01 (chrono counts from the former).
const UNIX_EPOCH_DAYS_FROM_CE: i64 = 719_163;
/// The chart's drawing height; bars are scaled to it.
const CHART_HEIGHT: i64 = 100;

/// A card: its catalogue key and the figure.
struct Figure {
    key: &'static str,
    value: String,
}

/// One day's bar: where it stands in the chart's coordinates, and what it says on hover.
struct Bar {
    x: i64,
    y: i64,
    height: i64,
    label: String,
}

struct ChannelLine {
    source: String,
    orders: i64,
    revenue: String,
    /// Share of the period's revenue, 0–100.
    share: i64,
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct Dashboard {
    c: Chrome,
    welcome: String,
    days: i64,
    periods: [i64; 4],
    figures: Vec<Figure>,
    /// Revenue by day; `None` when the role may not see orders.
    bars: Option<Vec<Bar>>,
    chart_width: i64,
    first_day: String,
    last_day: String,
    channels: Vec<ChannelLine>,
}

#[derive(Deserialize)]
pub struct Period {
    days: Option<i64>,
}

fn date_of(day: i64) -> String {
    i32::try_from(day + UNIX_EPOCH_DAYS_FROM_CE)
        .ok()
        .and_then(chrono::NaiveDate::from_num_days_from_ce_opt)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn percent(part: i64, whole: i64) -> i64 {
    (part * 100).checked_div(whole).unwrap_or(0)
}

/// Every day of the period, with nothing where nothing happened.
fn bars(figures: &ShopFigures, first: i64, days: i64, currency: &str) -> Vec<Bar> {
    let max = figures.days.iter().map(|d| d.revenue).max().unwrap_or(0);
    (0..days)
        .map(|i| {
            let day = first + i;
            let (orders, revenue) = figures
                .days
                .iter()
                .find(|d| d.day == day)
                .map_or((0, 0), |d| (d.orders, d.revenue));
            let height = (revenue * CHART_HEIGHT).checked_div(max).unwrap_or(0);
            Bar {
                x: i * 10,
                y: CHART_HEIGHT - height,
                height,
                label: format!("{} · {} · {orders}", date_of(day), money(revenue, currency)),
            }
        })
        .collect()
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(period): Query<Period>,
) -> Response {
    let days = period
        .days
        .filter(|d| PERIODS.contains(d))
        .unwrap_or(DEFAULT_PERIOD);
    let principal = &staff.signed_in.principal;
    let may_see = |r: Resource| principal.may(Permission::new(r, Action::View));
    let settings = state.settings.current();
    let currency = settings.currency.code();
    let now = chrono::Utc::now().timestamp_millis();
    // Days are cut at the shop's midnight by the offset in force today: exact in zones without
    // daylight saving (all of China), an hour off around midnight for part of the year in others.
    let offset = settings.time_zone.offset_ms_at(now);
    // The period ends with today, in the shop's time zone.
    let today = (now + offset).div_euclid(DAY_MS);
    let first = today - days + 1;
    let query = FiguresQuery {
        from: first * DAY_MS - offset,
        to: (today + 1) * DAY_MS - offset,
        utc_offset_ms: offset,
        currency: currency.to_owned(),
    };
    let (figures, bars, channels) = if may_see(Resource::Customers) {
        let f = match state.store.shop_figures(&query).await {
            Ok(f) => f,
            Err(e) => return Page::internal(staff.tr, &e).into_response(),
        };
        let mut figures = vec![
            Figure {
                key: "dashboard.customers",
                value: f.customers.to_string(),
            },
            Figure {
                key: "dashboard.new_customers",
                value: f.new_customers.to_string(),
            },
            Figure {
                key: "dashboard.buyers",
                value: f.buyers.to_string(),
            },
            Figure {
                key: "dashboard.repeat_rate",
                value: format!("{}%", percent(f.repeat_buyers, f.buyers)),
            },
        ];
        let orders_visible = may_see(Resource::Orders);
        if orders_visible {
            figures.extend([
                Figure {
                    key: "dashboard.orders",
                    value: f.orders.to_string(),
                },
                Figure {
                    key: "dashboard.revenue",
                    value: money(f.revenue, currency),
                },
                Figure {
                    key: "dashboard.aov",
                    value: money(f.revenue.checked_div(f.orders).unwrap_or(0), currency),
                },
            ]);
        }
        let channels = if orders_visible {
            f.channels
                .iter()
                .map(|ch| ChannelLine {
                    source: ch.source.clone(),
                    orders: ch.orders,
                    revenue: money(ch.revenue, currency),
                    share: percent(ch.revenue, f.revenue),
                })
                .collect()
        } else {
            Vec::new()
        };
        let bars = orders_visible.then(|| bars(&f, first, days, currency));
        (figures, bars, channels)
    } else {
        (Vec::new(), None, Vec::new())
    };
    let welcome = staff.tr.fill(
        "dashboard.welcome",
        &[("name", &staff.signed_in.user.display_name)],
    );
    render(&Dashboard {
        c: Chrome::new(&staff, "/"),
        welcome,
        days,
        periods: PERIODS,
        figures,
        bars,
        chart_width: days * 10,
        first_day: date_of(first),
        last_day: date_of(today),
        channels,
    })
}

#[cfg(test)]
mod tests {
    use super::date_of;

    #[test]
    fn days_since_1970_are_dates() {
        assert_eq!(date_of(0), "1970-01-01");
        assert_eq!(date_of(19844), "2024-05-01");
    }
}
