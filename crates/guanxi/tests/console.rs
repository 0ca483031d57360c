//! The console over HTTP, as a browser without JavaScript uses it: signing in and out, form
//! tokens, back-off, roles, masking, audited reveals and escaping. (`browser.rs` drives a real
//! Chromium through the same pages.)

use crate::helpers::TestApp;
use guanxi_app::staff;
use guanxi_store::{AuditQuery, AuditStore, StaffStore};
use reqwest::StatusCode;
use serde_json::json;

/// A cookie-keeping client that does not follow redirects, so tests see where they lead.
struct Browser {
    http: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
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

    async fn get(&self, path: &str) -> (StatusCode, String, Option<String>) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("get");
        answer(r).await
    }

    async fn post(
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

    /// Signs in through the form; answers the status and where it redirected.
    async fn sign_in(
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
    async fn token(&self, path: &str) -> String {
        let (status, page, _) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
        csrf(&page)
    }
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

fn csrf(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF token in {page}"))
        .to_owned()
}

#[tokio::test]
async fn staff_sign_in_and_out() {
    let app = TestApp::spawn().await;
    app.staff("agent@shop.cn", "service_agent").await;
    let browser = Browser::new(&app);

    let (status, _, to) = browser.get("/customers").await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login?next=/customers"))
    );

    let (status, page, _) = browser
        .sign_in("agent@shop.cn", "wrong password", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        page.contains("邮箱或密码错误"),
        "the error is shown in Chinese by default: {page}"
    );
    let (status, page, _) = browser
        .sign_in("nobody@shop.cn", "service_agent-password-1", None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "an unknown account gets the same answer"
    );
    assert!(page.contains("邮箱或密码错误"));

    let forged = browser
        .post(
            "/login",
            &[
                ("csrf", "made-up"),
                ("email", "agent@shop.cn"),
                ("password", "service_agent-password-1"),
            ],
        )
        .await;
    assert_eq!(
        forged.0,
        StatusCode::FORBIDDEN,
        "a log-in without the form's token is refused"
    );

    let (status, _, to) = browser
        .sign_in("agent@shop.cn", "service_agent-password-1", None)
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/customers"))
    );
    let (status, page, _) = browser.get("/customers").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("客服"), "the role is shown: {page}");

    let (status, _, _) = browser.post("/logout", &[("csrf", "not-the-token")]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "sign-out without the token changes nothing"
    );
    let token = browser.token("/customers").await;
    let (status, _, to) = browser.post("/logout", &[("csrf", &token)]).await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let (status, _, _) = browser.get("/customers").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");

    let audit = app
        .store
        .audit_entries(&AuditQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "login").count(), 1);
    assert_eq!(actions.iter().filter(|a| **a == "login_failed").count(), 2);
    let text =
        serde_json::to_string(&audit.iter().map(|e| &e.detail).collect::<Vec<_>>()).expect("json");
    assert!(
        !text.contains("wrong password") && !text.contains("nobody@shop.cn"),
        "no typed secrets or emails: {text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let app = TestApp::spawn().await;
    app.staff("owner@shop.cn", "owner").await;
    let browser = Browser::new(&app);
    for _ in 0..staff::LOCK_AFTER_FAILURES {
        let (status, _, _) = browser
            .sign_in("owner@shop.cn", "guessing-again", None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, page, _) = browser
        .sign_in("owner@shop.cn", "owner-password-1", None)
        .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(page.contains("分钟后重试"), "{page}");
    let stored = app
        .store
        .user_by_email("owner@shop.cn")
        .await
        .expect("user");
    assert!(stored.locked_until.is_some());
    app.stop().await;
}

#[tokio::test]
async fn a_second_factor_is_asked_for_and_checked() {
    let app = TestApp::spawn().await;
    let id = app.staff("owner@shop.cn", "owner").await;
    let secret = staff::totp::new_secret();
    app.store.set_totp(id, Some(&secret)).await.expect("totp");
    let browser = Browser::new(&app);
    let (status, page, _) = browser
        .sign_in("owner@shop.cn", "owner-password-1", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("id=\"code\""), "the form asks for the code");
    let (status, _, _) = browser
        .sign_in("owner@shop.cn", "owner-password-1", Some("000000"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let code = staff::totp::current_code(&secret).expect("code");
    let (status, _, _) = browser
        .sign_in("owner@shop.cn", "owner-password-1", Some(&code))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.stop().await;
}

#[tokio::test]
async fn roles_see_masked_data_and_every_reveal_is_audited() {
    let app = TestApp::spawn().await;
    let id = app.contactable_customer("李娜").await;
    let agent = app.staff("agent@shop.cn", "service_agent").await;
    app.staff("analyst@shop.cn", "analyst").await;

    let browser = Browser::new(&app);
    browser
        .sign_in("agent@shop.cn", "service_agent-password-1", None)
        .await;
    let (status, page, _) = browser.get(&format!("/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("138****5678") && page.contains("l***@example.com") && page.contains("李*"),
        "{page}"
    );
    assert!(
        !page.contains("13812345678") && !page.contains("lina@example.com"),
        "nothing plain before a reveal"
    );

    let token = csrf(&page);
    let path = format!("/customers/{id}/reveal");
    let (status, _, _) = browser
        .post(&path, &[("csrf", &token), ("reason", "")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a reveal needs a reason");
    let (status, page, _) = browser
        .post(
            &path,
            &[
                ("csrf", &token),
                ("reason", "客户来电核实订单"),
                ("field_phone", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("+8613812345678"), "the phone is revealed");
    assert!(
        page.contains("l***@example.com"),
        "the email was not asked for"
    );
    let reveals = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("reveal".into()),
            actor_kind: Some("user".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(reveals.len(), 1);
    assert_eq!(
        (reveals[0].actor_kind.as_str(), reveals[0].actor_id),
        ("user", Some(agent))
    );
    assert_eq!(reveals[0].target_id, Some(id.to_string()));
    assert_eq!(reveals[0].detail["fields"], json!(["phone"]));
    assert_eq!(reveals[0].detail["reason"], "客户来电核实订单");
    assert!(
        !reveals[0].detail.to_string().contains("138"),
        "the log never holds the value"
    );

    let analyst = Browser::new(&app);
    analyst
        .sign_in("analyst@shop.cn", "analyst-password-1", None)
        .await;
    let (status, page, _) = analyst.get(&format!("/customers/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("138****5678"));
    assert!(
        !page.contains("reveal-form"),
        "no reveal button for a role that may not"
    );
    assert!(
        !page.contains("Nanjing") && !page.contains("****\""),
        "an analyst's address is hidden"
    );
    let token = csrf(&page);
    let (status, page, _) = analyst
        .post(
            &path,
            &[
                ("csrf", &token),
                ("reason", "curious"),
                ("field_phone", "1"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "refused even without the button"
    );
    assert!(!page.contains("13812345678"));
    let (status, _, _) = analyst
        .post(&path, &[("csrf", &token), ("reason", "curious")])
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "nothing to reveal is a refusal too"
    );
    let (status, _, _) = analyst.get("/audit").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the owner reads the audit log"
    );
    app.stop().await;
}

#[tokio::test]
async fn forbidden_actions_are_refused_in_the_api_too() {
    let app = TestApp::spawn().await;
    let id = app.contactable_customer("Li Na").await;
    let edit = app
        .http
        .patch(app.url(&format!("/api/v1/customers/{id}")))
        .bearer_auth(&app.read_key)
        .json(&json!({"add_tags": ["vip"]}))
        .send()
        .await
        .expect("patch");
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = edit.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("customers:edit"),
        "{body}"
    );

    let (status, body) = app
        .get_as(
            &app.read_key,
            &format!("/api/v1/customers/{id}?reveal=true"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let reveals = || async {
        let query = AuditQuery {
            action: Some("reveal".into()),
            limit: 10,
            ..Default::default()
        };
        app.store.audit_entries(&query).await.expect("audit")
    };
    let before = reveals().await.len();
    let (status, body) = app
        .get(&format!("/api/v1/customers/{id}?reveal=true"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["traits"]["phone"], "+8613812345678");
    let reveals = reveals().await;
    assert_eq!(reveals.len(), before + 1, "an API reveal is audited too");
    assert_eq!(
        (
            reveals[0].actor_kind.as_str(),
            reveals[0].detail["via"].as_str()
        ),
        ("api_key", Some("api"))
    );
    app.stop().await;
}

#[tokio::test]
async fn script_in_a_customer_name_is_shown_as_text() {
    let app = TestApp::spawn().await;
    let id = app
        .contactable_customer("<script>alert('x')</script>")
        .await;
    app.staff("owner@shop.cn", "owner").await;
    let browser = Browser::new(&app);
    browser
        .sign_in("owner@shop.cn", "owner-password-1", None)
        .await;
    let token = browser.token(&format!("/customers/{id}")).await;
    let (_, page, _) = browser
        .post(
            &format!("/customers/{id}/reveal"),
            &[("csrf", &token), ("reason", "check escaping")],
        )
        .await;
    assert!(
        page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"),
        "{page}"
    );
    assert!(!page.contains("<script>alert"), "never raw");
    app.stop().await;
}

#[tokio::test]
async fn the_language_follows_the_user() {
    let app = TestApp::spawn().await;
    app.staff("owner@shop.cn", "owner").await;
    let browser = Browser::new(&app);
    browser
        .sign_in("owner@shop.cn", "owner-password-1", None)
        .await;
    let (_, page, _) = browser.get("/").await;
    assert!(
        page.contains("概览") && page.contains("欢迎"),
        "Chinese first"
    );
    let token = csrf(&page);
    let (status, _, _) = browser
        .post("/account/language", &[("csrf", &token), ("lang", "en")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = browser.get("/").await;
    assert!(
        page.contains("Dashboard") && page.contains("Welcome"),
        "{page}"
    );
    let stored = app
        .store
        .user_by_email("owner@shop.cn")
        .await
        .expect("user");
    assert_eq!(stored.locale, "en", "remembered on the account");
    app.stop().await;
}

#[tokio::test]
async fn the_owner_manages_staff_and_roles_and_nobody_else_may() {
    let app = TestApp::spawn().await;
    app.staff("owner@shop.cn", "owner").await;
    let owner = Browser::new(&app);
    owner
        .sign_in("owner@shop.cn", "owner-password-1", None)
        .await;

    let token = owner.token("/settings/users").await;
    let (status, page, _) = owner
        .post(
            "/settings/users",
            &[
                ("csrf", &token),
                ("email", "new.agent@shop.cn"),
                ("role", "service_agent"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let password = page
        .split("id=\"new-password\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new password is shown once")
        .to_owned();
    let agent = Browser::new(&app);
    let (status, _, _) = agent.sign_in("new.agent@shop.cn", &password, None).await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the handed-over password works"
    );

    let (status, _, _) = agent.get("/settings/users").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let agent_token = agent.token("/customers").await;
    let (status, _, _) = agent
        .post(
            "/settings/users",
            &[
                ("csrf", &agent_token),
                ("email", "sneaky@shop.cn"),
                ("role", "owner"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "refused without the page too"
    );
    assert!(app.store.user_by_email("sneaky@shop.cn").await.is_err());

    let me = app
        .store
        .user_by_email("owner@shop.cn")
        .await
        .expect("owner");
    let (status, page, _) = owner
        .post(
            &format!("/settings/users/{}", me.id),
            &[("csrf", &token), ("role", "analyst")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the last owner stays an owner"
    );
    assert!(page.contains("last owner"), "{page}");

    // A custom role, then given to the agent: its policy applies at their next request.
    let (status, page, _) = owner
        .post(
            "/settings/roles",
            &[
                ("csrf", &token),
                ("key", "night_shift"),
                ("name", "夜班客服"),
                ("scope", "all"),
                ("field_phone", "hidden"),
                ("perm_customers_view", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("夜班客服"));
    let new_agent = app
        .store
        .user_by_email("new.agent@shop.cn")
        .await
        .expect("agent");
    let (status, _, _) = owner
        .post(
            &format!("/settings/users/{}", new_agent.id),
            &[("csrf", &token), ("role", "night_shift")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = app.contactable_customer("Li Na").await;
    let (_, page, _) = agent.get(&format!("/customers/{id}")).await;
    assert!(
        !page.contains("138****5678"),
        "phones are hidden for the night shift"
    );
    assert!(page.contains("l***@example.com"));

    // Disabling signs them out at once.
    let (status, _, _) = owner
        .post(
            &format!("/settings/users/{}", new_agent.id),
            &[("csrf", &token), ("enabled", "0")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = agent.get("/customers").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
    let (status, _, _) = agent.sign_in("new.agent@shop.cn", &password, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "and cannot sign in again");

    let audit = app
        .store
        .audit_entries(&AuditQuery {
            actor_kind: Some("user".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .expect("audit");
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for expected in ["user.create", "role.update", "user.role", "user.disable"] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    app.stop().await;
}

#[tokio::test]
async fn staff_change_their_password_and_turn_on_a_second_factor() {
    let app = TestApp::spawn().await;
    app.staff("agent@shop.cn", "service_agent").await;
    let browser = Browser::new(&app);
    browser
        .sign_in("agent@shop.cn", "service_agent-password-1", None)
        .await;

    let token = browser.token("/account").await;
    let (status, page, _) = browser
        .post("/account/totp", &[("csrf", &token), ("step", "start")])
        .await;
    assert_eq!(status, StatusCode::OK);
    let secret = page
        .split("id=\"totp-secret\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("a secret to scan")
        .to_owned();
    let (status, _, _) = browser
        .post(
            "/account/totp",
            &[
                ("csrf", &token),
                ("step", "confirm"),
                ("secret", &secret),
                ("code", "000000"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a wrong code turns nothing on"
    );
    let code = staff::totp::current_code(&secret).expect("code");
    let (status, _, _) = browser
        .post(
            "/account/totp",
            &[
                ("csrf", &token),
                ("step", "confirm"),
                ("secret", &secret),
                ("code", &code),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stored = app
        .store
        .user_by_email("agent@shop.cn")
        .await
        .expect("user");
    assert_eq!(stored.totp_secret.as_deref(), Some(secret.as_str()));

    let (status, _, _) = browser
        .post(
            "/account/password",
            &[
                ("csrf", &token),
                ("current_password", "wrong"),
                ("new_password", "a new password 2"),
                ("confirm_password", "a new password 2"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the current password is checked"
    );
    let (status, _, to) = browser
        .post(
            "/account/password",
            &[
                ("csrf", &token),
                ("current_password", "service_agent-password-1"),
                ("new_password", "a new password 2"),
                ("confirm_password", "a new password 2"),
            ],
        )
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let (status, _, _) = browser.get("/customers").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out everywhere");
    let code = staff::totp::current_code(&secret).expect("code");
    let (status, _, _) = browser
        .sign_in("agent@shop.cn", "a new password 2", Some(&code))
        .await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "the new password and the code sign in"
    );
    app.stop().await;
}
