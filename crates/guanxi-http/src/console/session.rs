//! Who is using the console: the session cookie, the signed-in member of staff behind it, and
//! CSRF tokens for every form.

use super::i18n::{Lang, Tr};
use super::page::Page;
use crate::AppState;
use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use guanxi_app::Settings;
use guanxi_app::staff::{self, SignedIn, StaffError};
use std::collections::HashMap;
use std::sync::Arc;
use subtle::ConstantTimeEq;

pub const SESSION_COOKIE: &str = "gx_session";
/// The language of pages shown before anyone signs in.
pub const LANG_COOKIE: &str = "gx_lang";

/// A signed-in member of staff. Pages that take it redirect anyone else to the log-in page.
pub struct Staff {
    pub signed_in: SignedIn,
    pub tr: Tr,
    /// The shop's settings as this request began.
    pub shop: Arc<Settings>,
}

impl Staff {
    /// Fails unless `token` is this session's CSRF token. Every form that changes something
    /// carries it; a page on another site cannot read it, so it cannot forge the request.
    pub fn check_csrf(&self, token: &str) -> Result<(), Page> {
        if same_secret(token, &self.signed_in.session.csrf_token) {
            Ok(())
        } else {
            Err(Page::forged(self.tr))
        }
    }

    /// The fields of a posted form, once its CSRF token checks out.
    pub fn checked(&self, form: HashMap<String, String>) -> Result<FormFields, Page> {
        let fields = FormFields(form);
        self.check_csrf(fields.get("csrf"))?;
        Ok(fields)
    }

    pub fn csrf(&self) -> &str {
        &self.signed_in.session.csrf_token
    }
}

/// A form posted by a signed-in member of staff, its CSRF token checked: the extractor of every
/// console handler that changes something. Anyone signed out is sent to log in; a form without
/// this session's token is refused before the handler runs.
pub struct StaffForm {
    pub staff: Staff,
    pub form: FormFields,
}

impl FromRequest<AppState> for StaffForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let staff = Staff::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let Form(fields) = Form::<HashMap<String, String>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = staff.checked(fields).map_err(IntoResponse::into_response)?;
        Ok(Self { staff, form })
    }
}

/// A posted form's fields, trimmed on reading; an absent field reads as empty.
pub struct FormFields(HashMap<String, String>);

impl FormFields {
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map(|v| v.trim()).unwrap_or_default()
    }

    /// Every field whose name starts with `prefix`, the prefix taken off, sorted by name.
    pub fn with_prefix(&self, prefix: &str) -> Vec<(&str, &str)> {
        let mut found: Vec<(&str, &str)> = self
            .0
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(prefix)?, v.trim())))
            .collect();
        found.sort_unstable();
        found
    }

    /// The value as a list of one, or none when left blank: for actions taking several.
    pub fn listed(&self, name: &str) -> Vec<String> {
        Some(self.get(name).to_owned())
            .filter(|v| !v.is_empty())
            .into_iter()
            .collect()
    }

    pub fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }
}

/// Constant-time comparison of two secrets.
pub fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let jar = CookieJar::from_headers(&parts.headers);
        let to_login = || {
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            Redirect::to(&format!("/login?next={}", encode_next(next))).into_response()
        };
        let Some(token) = jar.get(SESSION_COOKIE).map(|c| c.value().to_owned()) else {
            return Err(to_login());
        };
        match staff::resume_session(state.store.as_ref(), &token).await {
            Ok(signed_in) => {
                let tr = Tr::new(Lang::from_code(&signed_in.user.locale));
                Ok(Staff {
                    signed_in,
                    tr,
                    shop: state.settings.current(),
                })
            }
            Err(StaffError::SignedOut) => Err(to_login()),
            Err(e) => Err(Page::from_staff_error(e, guest_tr(&parts.headers)).into_response()),
        }
    }
}

/// The client's address, for the audit log, when the server was started with connection info.
pub struct ClientIp(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        Ok(ClientIp(peer))
    }
}

/// The language for someone not signed in: their choice on the log-in page, else their
/// browser's, else Chinese.
pub fn guest_tr(headers: &HeaderMap) -> Tr {
    let jar = CookieJar::from_headers(headers);
    let lang = jar
        .get(LANG_COOKIE)
        .map(|c| Lang::from_code(c.value()))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or(Lang::ZhCn);
    Tr::new(lang)
}

/// Where to go after signing in: only a path on this site, so a link cannot send a fresh
/// session elsewhere.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
    }
}

fn encode_next(path: &str) -> String {
    path.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// A cookie only this site's pages send, invisible to scripts, and Secure unless the console
/// is reached on this machine over plain HTTP (browsers would drop a Secure cookie there).
pub fn private_cookie(headers: &HeaderMap, name: &'static str, value: String) -> Cookie<'static> {
    let mut cookie = Cookie::new(name, value);
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_path("/");
    cookie.set_secure(!is_loopback(headers));
    cookie
}

fn is_loopback(headers: &HeaderMap) -> bool {
    let forwarded_https = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let name = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    !forwarded_https && matches!(name, "localhost" | "127.0.0.1" | "[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_log_in() {
        assert_eq!(safe_next(Some("/customers?q=li")), "/customers?q=li");
        assert_eq!(safe_next(Some("//evil.example/")), "/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", ""));
        assert!(!same_secret("ab", "abc"));
    }

    #[test]
    fn cookies_are_secure_except_on_this_machine_over_http() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, "127.0.0.1:8080".parse().expect("header"));
        assert!(
            !private_cookie(&headers, SESSION_COOKIE, "t".into())
                .secure()
                .unwrap_or(false)
        );
        headers.insert(header::HOST, "crm.shop.cn".parse().expect("header"));
        let cookie = private_cookie(&headers, SESSION_COOKIE, "t".into());
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
    }
}
