//! Settings → Shop: the shop's name, time zone, currency and the region assumed for phone
//! numbers. The rules (who may, what is valid, the audit entry) live in `guanxi_app::settings`.

use super::page::{Chrome, Page, invalid_text, render_status, settings_tab};
use super::session::{ClientIp, Staff, StaffForm};
use super::show::local_time;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::{Settings, SettingsError, SettingsForm};
use guanxi_domain::ShopTimeZone;
use guanxi_domain::access::{Action, Resource};

/// Offered in the pickers; any ISO code is accepted.
const CURRENCIES: [&str; 14] = [
    "CNY", "HKD", "TWD", "MOP", "USD", "EUR", "GBP", "JPY", "KRW", "SGD", "MYR", "THB", "AUD",
    "CAD",
];
const REGIONS: [&str; 14] = [
    "CN", "HK", "TW", "MO", "US", "GB", "DE", "FR", "JP", "KR", "SG", "MY", "AU", "CA",
];

#[derive(Template)]
#[template(path = "console/settings_shop.html")]
struct ShopPage {
    c: Chrome,
    shop_name: String,
    time_zone: String,
    currency: String,
    region: String,
    rfm_recent_days: String,
    rfm_orders: String,
    rfm_spent: String,
    /// The time now on the shop's clocks, so the owner sees the zone is right.
    shop_now: String,
    zones: Vec<&'static str>,
    currencies: [&'static str; 14],
    regions: [&'static str; 14],
    may_edit: bool,
    saved: bool,
    error: Option<String>,
}

fn shop_page(
    staff: &Staff,
    shown: &SettingsForm,
    zone: ShopTimeZone,
    saved: bool,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let principal = &staff.signed_in.principal;
    if principal.require(Resource::Settings, Action::View).is_err() {
        return Page::forbidden(staff.tr).into_response();
    }
    let page = ShopPage {
        c: Chrome::new(staff, "/settings"),
        shop_name: shown.shop_name.clone(),
        time_zone: shown.time_zone.clone(),
        currency: shown.currency.clone(),
        region: shown.region.clone(),
        rfm_recent_days: shown.rfm_recent_days.clone(),
        rfm_orders: shown.rfm_orders.clone(),
        rfm_spent: shown.rfm_spent.clone(),
        shop_now: local_time(chrono::Utc::now().timestamp_millis(), zone),
        zones: ShopTimeZone::offered().collect(),
        currencies: CURRENCIES,
        regions: REGIONS,
        may_edit: principal.require(Resource::Settings, Action::Edit).is_ok(),
        saved,
        error,
    };
    render_status(&page, status)
}

fn form_of(settings: &Settings) -> SettingsForm {
    let money = |m: i64| guanxi_domain::Money::from_minor(m, settings.currency).to_decimal_string();
    SettingsForm {
        shop_name: settings.shop_name.clone(),
        time_zone: settings.time_zone.name().to_owned(),
        currency: settings.currency.code().to_owned(),
        region: settings.region.code().to_owned(),
        rfm_recent_days: settings
            .rfm
            .recent_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
        rfm_orders: settings
            .rfm
            .orders
            .map(|n| n.to_string())
            .unwrap_or_default(),
        rfm_spent: settings.rfm.spent.map(money).unwrap_or_default(),
    }
}

/// `/settings`: the first settings page the caller may open.
pub async fn first_tab(staff: Staff) -> Response {
    match settings_tab(&staff.signed_in.principal) {
        Some(href) => Redirect::to(href).into_response(),
        None => Page::forbidden(staff.tr).into_response(),
    }
}

pub async fn show(staff: Staff) -> Response {
    let shop = staff.shop.clone();
    shop_page(
        &staff,
        &form_of(&shop),
        shop.time_zone,
        false,
        None,
        StatusCode::OK,
    )
}

pub async fn save(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let submitted = SettingsForm {
        shop_name: form.get("shop_name").to_owned(),
        time_zone: form.get("time_zone").to_owned(),
        currency: form.get("currency").to_owned(),
        region: form.get("region").to_owned(),
        rfm_recent_days: form.get("rfm_recent_days").to_owned(),
        rfm_orders: form.get("rfm_orders").to_owned(),
        rfm_spent: form.get("rfm_spent").to_owned(),
    };
    let principal = &staff.signed_in.principal;
    match state
        .settings
        .change(state.store.as_ref(), principal, &submitted, ip)
        .await
    {
        Ok(now) => {
            // The engine takes new RFM lines at once.
            state.intelligence.wake_handle().notify_one();
            shop_page(
                &Staff {
                    shop: now.clone(),
                    ..staff
                },
                &form_of(&now),
                now.time_zone,
                true,
                None,
                StatusCode::OK,
            )
        }
        Err(SettingsError::Denied(_)) => Page::forbidden(staff.tr).into_response(),
        // Shown again as typed, with what is wrong; nothing was saved.
        Err(SettingsError::Invalid(e)) => {
            let text = invalid_text(staff.tr, &e.field, &e.reason);
            let zone = staff.shop.time_zone;
            shop_page(
                &staff,
                &submitted,
                zone,
                false,
                Some(text),
                StatusCode::BAD_REQUEST,
            )
        }
        Err(SettingsError::Store(e)) => Page::internal(staff.tr, &e).into_response(),
    }
}
