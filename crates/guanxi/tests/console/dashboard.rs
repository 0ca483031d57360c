//! The dashboard: the period's figures, revenue by day and by channel, in the shop's currency.

use super::signed_in;
use crate::helpers::TestApp;
use reqwest::StatusCode;

/// The figure on the card for `key` (`dashboard.orders`, …).
fn card(page: &str, key: &str) -> String {
    page.split(&format!("data-figure=\"{key}\""))
        .nth(1)
        .and_then(|rest| rest.split("class=\"figure\">").nth(1))
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| panic!("no card {key} in {page}"))
        .to_owned()
}

#[tokio::test]
async fn the_dashboard_sums_up_the_chosen_period() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "li.na@example.com", "88.00", 1).await;
    app.paid_order("o-2", "li.na@example.com", "12.00", 2).await;
    app.paid_order("o-3", "wang@example.com", "100.00", 40)
        .await;
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;

    let (status, page, _) = owner.get("/").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("href=\"/?days=30\" class=\"active\""),
        "30 days by default"
    );
    assert_eq!(card(&page, "dashboard.orders"), "2");
    assert_eq!(card(&page, "dashboard.revenue"), "¥100.00");
    assert_eq!(card(&page, "dashboard.aov"), "¥50.00");
    assert_eq!(card(&page, "dashboard.buyers"), "1");
    assert_eq!(card(&page, "dashboard.repeat_rate"), "100%");
    assert_eq!(card(&page, "dashboard.customers"), "2");
    assert_eq!(page.matches("<rect ").count(), 30, "a bar for every day");
    assert!(page.contains("data-channel=\"api\""), "{page}");

    let (_, page, _) = owner.get("/?days=90").await;
    assert_eq!(card(&page, "dashboard.orders"), "3");
    assert_eq!(card(&page, "dashboard.revenue"), "¥200.00");
    assert_eq!(card(&page, "dashboard.repeat_rate"), "50%");

    let (_, page, _) = owner.get("/?days=5").await;
    assert!(
        page.contains("href=\"/?days=30\" class=\"active\""),
        "an odd period is ignored"
    );
    app.stop().await;
}
