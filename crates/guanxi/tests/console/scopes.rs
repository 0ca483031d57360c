//! Data scopes: a sales rep works only the customers assigned to them, a team lead their team's,
//! everyone else the whole shop; customers nobody owns sit in the shared pool. Handing a
//! customer on is audited, and a rep cannot reach or take what is not theirs.

use super::{Browser, signed_in};
use crate::helpers::TestApp;
use guanxi_domain::access::{DataScope, Role};
use guanxi_store::{AuditQuery, AuditStore, OwnershipStore, StaffStore};
use reqwest::StatusCode;
use serde_json::json;

async fn customer(app: &TestApp, user_id: &str, email: &str) -> i64 {
    let (status, body) = app
        .segment(
            "/v1/identify",
            &json!({"userId": user_id, "traits": {"email": email, "name": user_id}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.customer_by(&format!("email:{email}")).await["id"]
        .as_i64()
        .expect("id")
}

/// The customer ids the list page links to, in order.
async fn listed(browser: &Browser, query: &str) -> Vec<i64> {
    let (status, page, _) = browser.get(&format!("/customers{query}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page.split("href=\"/customers/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next()?.parse().ok())
        .collect()
}

async fn assign(browser: &Browser, customer: i64, owner: &str) -> (StatusCode, String) {
    let token = browser.token("/account").await;
    let (status, page, _) = browser
        .post(
            &format!("/customers/{customer}/owner"),
            &[("csrf", &token), ("owner", owner)],
        )
        .await;
    (status, page)
}

#[tokio::test]
async fn each_role_reaches_the_customers_its_scope_allows() {
    let app = TestApp::spawn().await;
    let c1 = customer(&app, "c1", "c1@example.com").await;
    let c2 = customer(&app, "c2", "c2@example.com").await;
    let pooled = customer(&app, "c3", "c3@example.com").await;
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;
    let ann = signed_in(&app, "ann@shop.cn", "sales_rep").await;
    let ann_id = app
        .store
        .user_by_email("ann@shop.cn")
        .await
        .expect("ann")
        .id;
    let bob_id = app.staff("bob@shop.cn", "sales_rep").await;

    // A custom role that sees its team's customers.
    let mut lead_role = Role::builtin("sales_rep").expect("built in");
    lead_role.key = "team_lead".to_owned();
    lead_role.name = Some("组长".to_owned());
    lead_role.builtin = false;
    lead_role.scope = DataScope::Team;
    app.store.save_role(&lead_role).await.expect("role");
    let lead_id = app.staff("lead@shop.cn", "team_lead").await;

    // The owner makes a team of Ann and the lead (Bob stays outside) and hands out customers.
    let token = owner.token("/settings/users").await;
    let (status, page, _) = owner
        .post("/settings/teams", &[("csrf", &token), ("name", "华东组")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let east = app.store.teams().await.expect("teams")[0].id;
    let (_, staff_page, _) = owner.get("/settings/users").await;
    assert_eq!(
        staff_page.matches("id=\"team-form\"").count(),
        1,
        "{staff_page}"
    );
    assert!(staff_page.contains("<option value=\"") && staff_page.contains("华东组"));
    for user in [ann_id, lead_id] {
        let (status, page, _) = owner
            .post(
                &format!("/settings/users/{user}"),
                &[("csrf", &token), ("team", &east.to_string())],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    }
    assert_eq!(
        assign(&owner, c1, &ann_id.to_string()).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        assign(&owner, c2, &bob_id.to_string()).await.0,
        StatusCode::SEE_OTHER
    );
    let (_, page, _) = owner.get(&format!("/customers/{c1}")).await;
    assert!(
        page.contains("ann@shop.cn"),
        "the 360 names the owner: {page}"
    );

    // Ann sees her customer only; the rest are refused, even by address.
    assert_eq!(listed(&ann, "").await, vec![c1]);
    assert_eq!(listed(&ann, "?q=c2%40example.com").await, Vec::<i64>::new());
    let (status, page, _) = ann.get(&format!("/customers/{c2}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("data scope") || page.contains("数据权限"),
        "says why: {page}"
    );
    assert_eq!(
        ann.get(&format!("/customers/{pooled}")).await.0,
        StatusCode::FORBIDDEN
    );
    let token = ann.token("/account").await;
    let (status, _, _) = ann
        .post(
            &format!("/customers/{c2}/reveal"),
            &[("csrf", &token), ("reason", "curious")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no reveal outside the scope");
    let reveals = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("reveal".to_owned()),
            actor_kind: Some("user".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert!(reveals.is_empty(), "no reveal by staff: {reveals:?}");
    // Nor may she take someone else's customer.
    assert_eq!(
        assign(&ann, c2, &ann_id.to_string()).await.0,
        StatusCode::FORBIDDEN
    );

    // The lead sees the team's customers; the marketer the whole shop.
    let lead = Browser::new(&app);
    lead.sign_in("lead@shop.cn", "team_lead-password-1", None)
        .await;
    assert_eq!(listed(&lead, "").await, vec![c1]);
    let marketer = signed_in(&app, "mkt@shop.cn", "marketer").await;
    assert_eq!(listed(&marketer, "").await, vec![pooled, c2, c1]);

    // Ann hands her customer to Bob: it leaves her list, and the log says who did it.
    assert_eq!(
        assign(&ann, c1, &bob_id.to_string()).await.0,
        StatusCode::SEE_OTHER
    );
    assert_eq!(listed(&ann, "").await, Vec::<i64>::new());
    assert_eq!(
        ann.get(&format!("/customers/{c1}")).await.0,
        StatusCode::FORBIDDEN
    );
    let assigned = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("customer.assign".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert_eq!(assigned.len(), 3);
    assert_eq!(assigned[0].actor_id, Some(ann_id));
    assert_eq!(assigned[0].detail, json!({"from": ann_id, "to": bob_id}));

    // Bad owners are refused and change nothing.
    let (status, page) = assign(&owner, c2, "99999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("owner"), "{page}");
    let owners = app
        .store
        .customer_owners(&[guanxi_domain::CustomerId(c2)])
        .await
        .expect("owners");
    assert_eq!(owners[0].owner, Some(bob_id));
    // The owner returns a customer to the pool.
    assert_eq!(assign(&owner, c2, "").await.0, StatusCode::SEE_OTHER);
    let owners = app
        .store
        .customer_owners(&[guanxi_domain::CustomerId(c2)])
        .await
        .expect("owners");
    assert_eq!(owners[0].owner, None);
}

#[tokio::test]
async fn a_role_that_may_not_edit_customers_sees_the_owner_but_cannot_assign() {
    let app = TestApp::spawn().await;
    let c1 = customer(&app, "c1", "c1@example.com").await;
    let analyst = signed_in(&app, "analyst@shop.cn", "analyst").await;
    let (status, page, _) = analyst.get(&format!("/customers/{c1}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"customer-owner\""), "{page}");
    assert!(
        !page.contains("id=\"assign-form\""),
        "no form without customers:edit"
    );
    let analyst_id = app
        .store
        .user_by_email("analyst@shop.cn")
        .await
        .expect("user")
        .id;
    assert_eq!(
        assign(&analyst, c1, &analyst_id.to_string()).await.0,
        StatusCode::FORBIDDEN
    );
}
