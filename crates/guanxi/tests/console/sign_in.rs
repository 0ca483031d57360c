//! Signing in and out, form tokens, back-off, the second factor, language and the account page.

use super::{Browser, csrf};
use crate::helpers::TestApp;
use guanxi_app::staff;
use guanxi_store::{AuditQuery, AuditStore, StaffStore};
use reqwest::StatusCode;
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
