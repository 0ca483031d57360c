//! Sources and API keys in the console: register a channel and see its deliveries and
//! refusals; issue an API key, use it, revoke it and see it refused at once. Roles without the
//! permission are refused, page or no page; every change is audited without its secret.

use super::signed_in;
use crate::helpers::TestApp;
use guanxi_store::{AuditQuery, AuditStore};
use reqwest::StatusCode;
use serde_json::json;

/// The secret shown once after a creation, in the element with this id.
fn shown_secret(page: &str, id: &str) -> String {
    page.split(&format!("id=\"{id}\">"))
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no #{id} in {page}"))
        .to_owned()
}

async fn audited(app: &TestApp, action: &str) -> Vec<guanxi_store::AuditEntry> {
    app.store
        .audit_entries(&AuditQuery {
            action: Some(action.to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("audit")
}

#[tokio::test]
async fn an_owner_registers_a_source_and_sees_what_it_delivers() {
    let app = TestApp::spawn().await;
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;

    let token = owner.token("/sources").await;
    let (status, page, _) = owner
        .post(
            "/sources",
            &[("csrf", &token), ("name", "app"), ("kind", "segment")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let write_key = shown_secret(&page, "new-secret");
    assert!(write_key.starts_with("wk_"), "{write_key}");

    // One good delivery and one refused, with the field at fault.
    let good = json!({"batch": [{"type": "track", "userId": "u1", "event": "Viewed"}]});
    let bad = json!({"batch": [{"type": "track", "userId": "u1"}]});
    for (body, expected) in [(good, StatusCode::OK), (bad, StatusCode::BAD_REQUEST)] {
        let status = app
            .http
            .post(app.url("/v1/batch"))
            .basic_auth(&write_key, Some(""))
            .json(&body)
            .send()
            .await
            .expect("post")
            .status();
        assert_eq!(status, expected);
    }
    let (_, page, _) = owner.get("/sources").await;
    let row = page
        .split("data-source=\"app\"")
        .nth(1)
        .expect("the new source is listed");
    assert!(row.contains("/v1/batch"), "where it sends: {row}");
    let figures: Vec<&str> = row.split("class=\"num\">").skip(1).take(2).collect();
    assert!(
        figures[0].starts_with("1<") && figures[1].starts_with("1<"),
        "{row}"
    );
    assert!(
        row.contains("batch[0].event"),
        "the refusal names the field: {row}"
    );

    let (_, page, _) = owner
        .post(
            "/sources",
            &[("csrf", &token), ("name", "myshop"), ("kind", "shopify")],
        )
        .await;
    assert!(shown_secret(&page, "new-secret").starts_with("whsec_"));
    assert!(page.contains("/webhooks/shopify/myshop"), "{page}");

    // A taken name is refused, naming the field.
    let (status, page, _) = owner
        .post(
            "/sources",
            &[("csrf", &token), ("name", "app"), ("kind", "segment")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("name"), "{page}");

    let entries = audited(&app, "source.create").await;
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.actor_kind == "user"));
    assert!(!entries.iter().any(|e| e.detail.to_string().contains("wk_")));

    // A service agent may neither see nor add sources.
    let agent = signed_in(&app, "agent@shop.cn", "service_agent").await;
    assert_eq!(agent.get("/sources").await.0, StatusCode::FORBIDDEN);
    let agent_token = agent.token("/customers").await;
    let (status, _, _) = agent
        .post(
            "/sources",
            &[("csrf", &agent_token), ("name", "sneaky"), ("kind", "api")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn an_issued_api_key_works_until_it_is_revoked() {
    let app = TestApp::spawn().await;
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;

    let token = owner.token("/settings/api-keys").await;
    let (status, page, _) = owner
        .post(
            "/settings/api-keys",
            &[("csrf", &token), ("name", "BI export"), ("scope_read", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let key = shown_secret(&page, "new-key");
    let (status, _) = app.get_as(&key, "/api/v1/customers?limit=1").await;
    assert_eq!(status, StatusCode::OK, "the new key reads");
    let (status, _) = app.post_as(&key, "/api/v1/orders", &json!({})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "and only reads");

    let id = audited(&app, "apikey.create").await[0]
        .target_id
        .clone()
        .expect("the key's id");
    let (status, _, location) = owner
        .post(
            &format!("/settings/api-keys/{id}/revoke"),
            &[("csrf", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/settings/api-keys"));
    let (status, _) = app.get_as(&key, "/api/v1/customers?limit=1").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "refused at once");
    let (_, page, _) = owner.get("/settings/api-keys").await;
    assert!(page.contains("BI export"), "still listed for the record");
    assert_eq!(audited(&app, "apikey.revoke").await.len(), 1);

    // No scope is a clear refusal; a marketer may not see the keys at all.
    let (status, page, _) = owner
        .post("/settings/api-keys", &[("csrf", &token), ("name", "none")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("scopes"), "{page}");
    let marketer = signed_in(&app, "marketer@shop.cn", "marketer").await;
    assert_eq!(
        marketer.get("/settings/api-keys").await.0,
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}
