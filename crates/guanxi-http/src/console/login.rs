//! Signing in and out. The log-in form is protected from cross-site posting by a token kept
//! both in a cookie and in the form (there is no session yet to hold it).

use super::i18n::{Lang, Tr};
use super::page::{Page, render_status};
use super::session::{
    ClientIp, LANG_COOKIE, SESSION_COOKIE, StaffForm, guest_tr, private_cookie, safe_next,
    same_secret,
};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use guanxi_app::staff::{self, Credentials, StaffError};
use serde::Deserialize;

const LOGIN_CSRF_COOKIE: &str = "gx_login_csrf";

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    tr: Tr,
    csrf: String,
    next: String,
    email: String,
    error: Option<String>,
    ask_code: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    code: Option<String>,
}

/// Removes a cookie set with `private_cookie` (a removal must name the same path).
fn removal(name: &'static str) -> Cookie<'static> {
    Cookie::build(name).path("/").build()
}

/// The log-in form, with a fresh form token in a cookie and in the form.
fn login_page(
    headers: &HeaderMap,
    jar: CookieJar,
    page: LoginPage,
    status: StatusCode,
) -> Response {
    let jar = jar.add(private_cookie(
        headers,
        LOGIN_CSRF_COOKIE,
        page.csrf.clone(),
    ));
    (jar, render_status(&page, status)).into_response()
}

pub async fn show(headers: HeaderMap, jar: CookieJar, Query(q): Query<LoginQuery>) -> Response {
    let mut jar = jar;
    let mut tr = guest_tr(&headers);
    if let Some(lang) = q.lang.as_deref() {
        tr = Tr::new(Lang::from_code(lang));
        jar = jar.add(private_cookie(
            &headers,
            LANG_COOKIE,
            tr.lang.code().to_owned(),
        ));
    }
    let page = LoginPage {
        tr,
        csrf: staff::random_token(),
        next: safe_next(q.next.as_deref()),
        email: String::new(),
        error: None,
        ask_code: false,
    };
    login_page(&headers, jar, page, StatusCode::OK)
}

pub async fn submit(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let tr = guest_tr(&headers);
    let expected = jar.get(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned());
    let again = |error: String, ask_code: bool, status| {
        let page = LoginPage {
            tr,
            csrf: staff::random_token(),
            next: safe_next(Some(&form.next)),
            email: form.email.clone(),
            error: Some(error),
            ask_code,
        };
        login_page(&headers, jar.clone(), page, status)
    };
    if !expected.is_some_and(|e| same_secret(&form.csrf, &e)) {
        return again(
            tr.get("login.forged").to_owned(),
            false,
            StatusCode::FORBIDDEN,
        );
    }
    let credentials = Credentials {
        email: &form.email,
        password: &form.password,
        code: form.code.as_deref(),
        ip,
    };
    let unauthorized = StatusCode::UNAUTHORIZED;
    match staff::log_in(state.store.as_ref(), credentials).await {
        Ok(signed_in) => {
            let token = signed_in.token.unwrap_or_default();
            // A language picked on this page is the newest wish: it becomes the account's.
            if let Some(lang) = jar.get(LANG_COOKIE).map(|c| Lang::from_code(c.value()))
                && lang.code() != signed_in.user.locale
                && let Err(e) =
                    staff::set_locale(state.store.as_ref(), signed_in.user.id, lang.code()).await
            {
                return Page::from_staff_error(e, tr).into_response();
            }
            let jar = jar.remove(removal(LOGIN_CSRF_COOKIE)).add(private_cookie(
                &headers,
                SESSION_COOKIE,
                token,
            ));
            (jar, Redirect::to(&safe_next(Some(&form.next)))).into_response()
        }
        Err(StaffError::WrongCredentials) => {
            again(tr.get("login.wrong").to_owned(), false, unauthorized)
        }
        Err(StaffError::Locked { until }) => {
            let now = chrono::Utc::now().timestamp_millis();
            let minutes = ((until - now).max(0) + 59_999) / 60_000;
            let text = tr.fill("login.locked", &[("minutes", &minutes.to_string())]);
            again(text, false, StatusCode::TOO_MANY_REQUESTS)
        }
        Err(StaffError::SecondFactorRequired) => {
            again(tr.get("login.code_hint").to_owned(), true, unauthorized)
        }
        Err(StaffError::WrongSecondFactor) => {
            again(tr.get("login.wrong_code").to_owned(), true, unauthorized)
        }
        Err(e) => Page::from_staff_error(e, tr).into_response(),
    }
}

pub async fn log_out(
    State(state): State<AppState>,
    jar: CookieJar,
    StaffForm { staff, .. }: StaffForm,
) -> Response {
    if let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned())
        && let Err(e) = staff::end_session(state.store.as_ref(), &token).await
    {
        return Page::from_staff_error(e, staff.tr).into_response();
    }
    let jar = jar.remove(removal(SESSION_COOKIE));
    (jar, Redirect::to("/login")).into_response()
}

/// Switches the signed-in user's language, remembered on their account.
pub async fn switch_language(
    State(state): State<AppState>,
    headers: HeaderMap,
    StaffForm { staff, form }: StaffForm,
) -> Response {
    let lang = Lang::from_code(form.get("lang"));
    if let Err(e) =
        staff::set_locale(state.store.as_ref(), staff.signed_in.user.id, lang.code()).await
    {
        return Page::from_staff_error(e, staff.tr).into_response();
    }
    // Back to the page the switch was pressed on, if it was one of ours.
    let back = headers
        .get(axum::http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()));
    Redirect::to(&safe_next(back.as_deref())).into_response()
}
