//! Customers as each role sees them: masking, audited reveals, refusals in the API, escaping.

use super::{Browser, csrf};
use crate::helpers::TestApp;
use guanxi_store::{AuditQuery, AuditStore};
use reqwest::StatusCode;
use serde_json::json;
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
