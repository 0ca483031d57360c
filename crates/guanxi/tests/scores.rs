//! Scores on the 360: the engine builds from the shop's orders at start, then follows the change
//! log, so a new order moves the customer's RFM at once. A tiny shop gets the flagged heuristic.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Posts a paid order for `email`'s customer; answers the customer's id.
async fn order(app: &TestApp, id: &str, email: &str, total: &str, days_ago: i64) -> i64 {
    app.paid_order(id, email, total, days_ago).await;
    app.customer_by(&format!("email:{email}")).await["id"]
        .as_i64()
        .expect("customer id")
}

/// The customer's scores once `ready` holds for them, polling with a deadline.
async fn scores_when(app: &TestApp, id: i64, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get(&format!("/api/v1/customers/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if ready(&body["scores"]) {
            return body["scores"].clone();
        }
        assert!(
            Instant::now() < deadline,
            "scores never got there: {}",
            body["scores"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn scores_follow_each_order() {
    let app = TestApp::spawn().await;
    let loyal = order(&app, "l-1", "loyal@example.com", "300.00", 200).await;
    order(&app, "l-2", "loyal@example.com", "300.00", 100).await;
    order(&app, "l-3", "loyal@example.com", "300.00", 3).await;
    let once = order(&app, "o-1", "once@example.com", "20.00", 300).await;
    let never = app.contactable_customer("Li Na").await;

    let scores = scores_when(&app, loyal, |s| s["rfm"]["frequency"] == 3).await;
    assert_eq!(scores["rfm"]["class"], "important_value", "{scores}");
    assert_eq!(scores["lifecycle"]["stage"], "active", "{scores}");
    assert_eq!(scores["rfm"]["monetary"], "900.00");
    assert_eq!(scores["currency"], "CNY");
    assert_eq!(
        scores["clv"]["method"], "heuristic",
        "two buyers are too few to fit the models: {scores}"
    );
    assert_eq!(scores["clv"]["inputs"]["repeat_purchases"], 2);
    let p_alive = scores["clv"]["p_alive"].as_f64().expect("p_alive");
    assert!((0.0..=1.0).contains(&p_alive), "{scores}");

    // The 360 page explains the same scores.
    let owner = crate::console::signed_in(&app, "owner@shop.cn", "owner").await;
    let (status, page, _) = owner.get(&format!("/customers/{loyal}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"rfm-class\""), "{page}");
    assert!(page.contains("id=\"lifecycle-stage\""), "{page}");
    assert!(
        page.contains("id=\"clv-heuristic\""),
        "the estimate is flagged: {page}"
    );
    assert!(page.contains("id=\"rfm-why\""), "{page}");
    let (_, page, _) = owner.get(&format!("/customers/{never}")).await;
    assert!(page.contains("id=\"insights-none\""), "{page}");

    // Shop-wide: the classes and the grid, for roles that reach every customer.
    let (status, rfm) = app.get("/api/v1/analytics/rfm").await;
    assert_eq!(status, StatusCode::OK, "{rfm}");
    assert_eq!(rfm["customers"], 2, "customers with orders: {rfm}");
    let classed: u64 = rfm["classes"]
        .as_array()
        .expect("classes")
        .iter()
        .map(|c| c["customers"].as_u64().expect("count"))
        .sum();
    assert_eq!(classed, 2);
    let (status, page, _) = owner.get("/analytics").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"rfm-grid\""), "{page}");
    assert!(page.contains("id=\"lifecycle-stages\""), "{page}");
    let rep = crate::console::signed_in(&app, "rep@shop.cn", "sales_rep").await;
    assert_eq!(
        rep.get("/analytics").await.0,
        StatusCode::FORBIDDEN,
        "a rep's scope is their own customers, not the shop"
    );

    let scores = scores_when(&app, once, |s| s.get("rfm").is_some()).await;
    assert_eq!(scores["rfm"]["class"], "general_retain", "{scores}");
    assert_eq!(
        scores["lifecycle"]["stage"], "lapsed",
        "300 days away: {scores}"
    );
    let (_, body) = app.get(&format!("/api/v1/customers/{never}")).await;
    assert_eq!(body["scores"], json!({}), "no orders, no scores");

    // A new order lands: the one-time buyer is now recent and frequent.
    order(&app, "o-2", "once@example.com", "2000.00", 0).await;
    let scores = scores_when(&app, once, |s| s["rfm"]["frequency"] == 2).await;
    assert_eq!(scores["rfm"]["recency_days"], 0.0);
    assert_eq!(scores["rfm"]["monetary"], "2020.00");
    assert_eq!(scores["rfm"]["class"], "important_develop", "{scores}");
    assert_eq!(scores["lifecycle"]["stage"], "won_back", "{scores}");
}
