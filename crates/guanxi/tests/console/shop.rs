//! Settings → Shop: the owner sets the shop's name, time zone, currency and phone region; every
//! page follows at once, the change is audited and survives a restart; nobody else may change it
//! and bad values change nothing.

use super::signed_in;
use crate::helpers::TestApp;
use guanxi_app::{Settings, ShopSettings};
use guanxi_domain::ShopTimeZone;
use guanxi_store::{AuditQuery, AuditStore};
use reqwest::StatusCode;
use serde_json::json;

/// The value of the input named `name` on the page.
fn input(page: &str, name: &str) -> String {
    page.split(&format!("name=\"{name}\""))
        .nth(1)
        .and_then(|rest| rest.split("value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("no input {name} in {page}"))
        .to_owned()
}

#[tokio::test]
async fn the_owner_sets_up_the_shop_and_every_page_follows() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/orders",
            &json!({"source": "api", "external_id": "o-1", "status": "paid", "currency": "USD",
                    "total": "25.00", "created_at": chrono::Utc::now().to_rfc3339(),
                    "customer": {"email": "amy@example.com"}, "items": []}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;

    let (status, page, location) = owner.get("/settings").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    assert_eq!(location.as_deref(), Some("/settings/shop"));
    let (status, page, _) = owner.get("/settings/shop").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        input(&page, "time_zone"),
        "Asia/Shanghai",
        "the configured zone"
    );
    assert_eq!(input(&page, "currency"), "CNY");
    assert!(
        page.contains("<option value=\"America/New_York\">"),
        "zones offered"
    );

    let token = owner.token("/settings/shop").await;
    let (status, page, _) = owner
        .post(
            "/settings/shop",
            &[
                ("csrf", &token),
                ("shop_name", "Silk <b>House</b>"),
                ("time_zone", "America/New_York"),
                ("currency", "usd"),
                ("region", "US"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"shop-saved\""), "{page}");
    assert_eq!(input(&page, "currency"), "USD");
    assert!(
        page.contains("Silk &#60;b&#62;House&#60;/b&#62;") && !page.contains("<b>House"),
        "the shop's name is escaped in the header: {page}"
    );

    let (_, dashboard, _) = owner.get("/").await;
    assert!(
        dashboard.contains("$25.00"),
        "revenue is now summed in dollars: {dashboard}"
    );

    let entries = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("settings.change".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert_eq!(entries.len(), 1);
    let changed = &entries[0].detail["changed"];
    assert_eq!(changed["currency"], json!({"from": "CNY", "to": "USD"}));
    assert_eq!(changed["time_zone"]["to"], "America/New_York");
    let new_york = ShopTimeZone::parse("America/New_York").expect("zone");
    let (_, audit_page, _) = owner.get("/audit").await;
    assert!(
        audit_page.contains(&new_york.format(entries[0].at, "%Y-%m-%d %H:%M")),
        "times are shown on the shop's new clock: {audit_page}"
    );

    // What a restart reads: the saved values over the configuration's.
    let reloaded = ShopSettings::load(app.store.as_ref(), Settings::default())
        .await
        .expect("loads")
        .current();
    assert_eq!(reloaded.time_zone, new_york);
    assert_eq!(reloaded.currency.code(), "USD");
    assert_eq!(reloaded.region.code(), "US");
    assert_eq!(reloaded.shop_name, "Silk <b>House</b>");
}

#[tokio::test]
async fn bad_values_and_other_roles_change_nothing() {
    let app = TestApp::spawn().await;
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;
    let token = owner.token("/settings/shop").await;
    let form = |zone: &'static str, currency: &'static str| {
        [
            ("shop_name", "丝绸之家"),
            ("time_zone", zone),
            ("currency", currency),
            ("region", "CN"),
        ]
    };

    let mut bad_zone = vec![("csrf", token.as_str())];
    bad_zone.extend(form("Asia/Atlantis", "USD"));
    let (status, page, _) = owner.post("/settings/shop", &bad_zone).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("time_zone"),
        "the error names the field: {page}"
    );
    assert_eq!(input(&page, "time_zone"), "Asia/Atlantis", "shown as typed");
    let mut bad_currency = vec![("csrf", token.as_str())];
    bad_currency.extend(form("Asia/Tokyo", "yuan"));
    let (status, page, _) = owner.post("/settings/shop", &bad_currency).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("currency"), "{page}");

    let (status, _, _) = owner
        .post("/settings/shop", &form("Asia/Tokyo", "JPY"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no form token, no change");

    let marketer = signed_in(&app, "mkt@shop.cn", "marketer").await;
    assert_eq!(
        marketer.get("/settings/shop").await.0,
        StatusCode::FORBIDDEN
    );
    let marketer_token = marketer.token("/customers").await;
    let mut as_marketer = vec![("csrf", marketer_token.as_str())];
    as_marketer.extend(form("Asia/Tokyo", "JPY"));
    let (status, _, _) = marketer.post("/settings/shop", &as_marketer).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "refused without the page too"
    );

    let (_, page, _) = owner.get("/settings/shop").await;
    assert_eq!(input(&page, "time_zone"), "Asia/Shanghai");
    assert_eq!(input(&page, "currency"), "CNY");
    let saved = guanxi_store::SettingsStore::saved_settings(app.store.as_ref())
        .await
        .expect("read");
    assert!(saved.is_empty(), "nothing was saved: {saved:?}");
}

#[tokio::test]
async fn the_owner_sets_where_the_rfm_classes_draw_the_line() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "one@example.com", "100.00", 3).await;
    app.paid_order("o-2", "two@example.com", "100.00", 5).await;
    app.paid_order("o-3", "two@example.com", "100.00", 2).await;
    let one = app.customer_by("email:one@example.com").await["id"]
        .as_i64()
        .expect("id");
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;
    let token = owner.token("/settings/shop").await;
    let form = |orders: &'static str, spent: &'static str| {
        let token = token.clone();
        async move {
            vec![
                ("csrf".to_owned(), token),
                ("shop_name".to_owned(), String::new()),
                ("time_zone".to_owned(), "Asia/Shanghai".to_owned()),
                ("currency".to_owned(), "CNY".to_owned()),
                ("region".to_owned(), "CN".to_owned()),
                ("rfm_recent_days".to_owned(), String::new()),
                ("rfm_orders".to_owned(), orders.to_owned()),
                ("rfm_spent".to_owned(), spent.to_owned()),
            ]
        }
    };
    let post = |fields: Vec<(String, String)>| {
        let owner = &owner;
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            owner.post("/settings/shop", &pairs).await
        }
    };
    let (status, page, _) = post(form("0", "").await).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no line at 0 orders: {page}"
    );
    assert!(page.contains("rfm_orders"), "{page}");
    let (status, page, _) = post(form("", "abc").await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("rfm_spent"), "{page}");

    // A line at 1 order makes two orders frequent; one at ¥50 makes ¥100 valuable.
    let (status, page, _) = post(form("1", "50").await).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(input(&page, "rfm_spent"), "50.00");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, body) = app.get(&format!("/api/v1/customers/{one}")).await;
        let t = &body["scores"]["rfm"]["thresholds"];
        if t["frequency"] == 1.0 && t["monetary"] == "50.00" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never took the lines: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
