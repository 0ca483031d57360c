//! The console over HTTP, as a browser without JavaScript uses it: signing in and out, form
//! tokens, back-off, roles, masking, audited reveals and escaping. (`browser.rs` drives a real
//! Chromium through the same pages.)

mod customers;
mod dashboard;
mod engage;
mod engage_editing;
mod imports;
mod scopes;
mod segments;
mod settings;
mod shop;
mod sign_in;
mod sources;

use crate::helpers::TestApp;
use reqwest::StatusCode;

/// A cookie-keeping client that does not follow redirects, so tests see where they lead.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            http,
            base: app.url(""),
        }
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String, Option<String>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        answer(r).await
    }

    pub(crate) async fn post(
        &self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("post");
        answer(r).await
    }

    /// Posts a multipart form: text `fields` in order, then `file` as `file_name`.
    pub(crate) async fn upload(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        file: Vec<u8>,
    ) -> (StatusCode, String, Option<String>) {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(file).file_name(file_name.to_owned()),
        );
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("upload");
        answer(r).await
    }

    /// Signs in through the form; answers the status and where it redirected.
    pub(crate) async fn sign_in(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
    ) -> (StatusCode, String, Option<String>) {
        let (_, page, _) = self.get("/login?next=/customers").await;
        let token = csrf(&page);
        let mut form = vec![
            ("csrf", token.as_str()),
            ("email", email),
            ("password", password),
            ("next", "/customers"),
        ];
        if let Some(code) = code {
            form.push(("code", code));
        }
        self.post("/login", &form).await
    }

    /// The CSRF token of the page at `path`.
    pub(crate) async fn token(&self, path: &str) -> String {
        let (status, page, _) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        csrf(&page)
    }
}

/// A new member of staff with `role` (password `<role>-password-1`), signed in.
pub(crate) async fn signed_in(app: &TestApp, email: &str, role: &str) -> Browser {
    app.staff(email, role).await;
    let browser = Browser::new(app);
    let (status, page, _) = browser
        .sign_in(email, &format!("{role}-password-1"), None)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{email} signs in: {page}");
    browser
}

async fn answer(r: reqwest::Response) -> (StatusCode, String, Option<String>) {
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, r.text().await.expect("body"), location)
}

pub(crate) fn csrf(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {page}"))
        .to_owned()
}
