//! The signed-in user's own account: password and the optional second factor.

use super::page::{Chrome, Page, invalid_text, render_status};
use super::session::{Staff, StaffForm};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use guanxi_app::staff::{self, StaffError};

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    c: Chrome,
    email: String,
    totp_enabled: bool,
    /// A secret being set up: shown with the URI an authenticator app takes, until confirmed.
    new_secret: Option<(String, String)>,
    notice: Option<String>,
    error: Option<String>,
}

fn page(staff: &Staff, notice: Option<String>, error: Option<String>) -> AccountPage {
    AccountPage {
        c: Chrome::new(staff, ""),
        email: staff.signed_in.user.email.clone(),
        totp_enabled: staff.signed_in.user.totp_secret.is_some(),
        new_secret: None,
        notice,
        error,
    }
}

pub async fn show(staff: Staff) -> Response {
    render_status(&page(&staff, None, None), StatusCode::OK)
}

fn failure(staff: &Staff, e: StaffError) -> Response {
    let text = match e {
        StaffError::Invalid(field, reason) => invalid_text(staff.tr, field, &reason),
        StaffError::WrongSecondFactor => staff.tr.get("login.wrong_code").to_owned(),
        other => return Page::internal(staff.tr, &other).into_response(),
    };
    render_status(&page(staff, None, Some(text)), StatusCode::BAD_REQUEST)
}

/// The page after the second factor was turned on or off.
fn totp_changed(staff: &Staff, enabled: bool) -> Response {
    let key = if enabled {
        "account.totp_on"
    } else {
        "account.totp_off"
    };
    let mut shown = page(staff, Some(staff.tr.get(key).to_owned()), None);
    shown.totp_enabled = enabled;
    render_status(&shown, StatusCode::OK)
}

/// Changes the password; every session ends, this one too, so the user signs in afresh.
pub async fn change_password(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    if form.get("new_password") != form.get("confirm_password") {
        let text = staff.tr.get("account.mismatch").to_owned();
        return render_status(&page(&staff, None, Some(text)), StatusCode::BAD_REQUEST);
    }
    let user = &staff.signed_in.user;
    match staff::change_password(
        state.store.as_ref(),
        user,
        form.get("current_password"),
        form.get("new_password"),
    )
    .await
    {
        Ok(()) => Redirect::to("/login").into_response(),
        Err(e) => failure(&staff, e),
    }
}

/// `step=start` shows a new secret to scan; `step=confirm` checks a code against it and turns
/// the second factor on; `step=off` turns it off (with the password).
pub async fn second_factor(
    State(state): State<AppState>,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let store = state.store.as_ref();
    let user = &staff.signed_in.user;
    match form.get("step") {
        "start" => {
            let secret = staff::totp::new_secret();
            let uri = format!(
                "otpauth://totp/Guanxi:{}?secret={secret}&issuer=Guanxi",
                user.email
            );
            let mut shown = page(&staff, None, None);
            shown.new_secret = Some((secret, uri));
            render_status(&shown, StatusCode::OK)
        }
        "confirm" => {
            match staff::enable_totp(store, user, form.get("secret"), form.get("code")).await {
                Ok(()) => totp_changed(&staff, true),
                Err(e) => failure(&staff, e),
            }
        }
        "off" => match staff::disable_totp(store, user, form.get("current_password")).await {
            Ok(()) => totp_changed(&staff, false),
            Err(e) => failure(&staff, e),
        },
        _ => Page::not_found(staff.tr).into_response(),
    }
}
