//! Settings: the owner manages staff and roles; nobody else may.

use super::Browser;
use crate::helpers::TestApp;
use guanxi_store::{AuditQuery, AuditStore, StaffStore};
use reqwest::StatusCode;
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
