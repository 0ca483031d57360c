//! Customer analytics over the API: buyers, repeat and churn rates, cohorts, the funnel and
//! the lifecycle flow for a period and a channel; the spread of predicted lifetime value; bad
//! periods and channels refused naming the field.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn analytics_follow_the_period_and_the_channel() {
    let app = TestApp::spawn().await;
    // Before the period: a bought 120 days ago. In it: a again, b twice, c once.
    app.paid_order("a-0", "a@example.com", "10.00", 120).await;
    app.paid_order("a-1", "a@example.com", "10.00", 5).await;
    app.paid_order("b-1", "b@example.com", "10.00", 20).await;
    app.paid_order("b-2", "b@example.com", "10.00", 2).await;
    app.paid_order("c-1", "c@example.com", "10.00", 1).await;
    // d bought only before the period (and after the one before it began): churned.
    app.paid_order("d-1", "d@example.com", "10.00", 100).await;
    // The funnel: b viewed, added and checked out; c viewed only; e viewed and never bought.
    for (user, events) in [
        (
            "b",
            vec!["Product Viewed", "Product Added", "Checkout Started"],
        ),
        ("c", vec!["Product Viewed"]),
        ("e", vec!["Product Viewed", "Product Added"]),
    ] {
        for event in events {
            let body = json!({"userId": user, "event": event, "properties": {"sku": "S-1"}});
            let (status, answer) = app.segment("/v1/track", &body).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    }
    // Tie b's events to b's orders.
    let (status, answer) = app
        .segment(
            "/v1/identify",
            &json!({"userId": "b", "traits": {"email": "b@example.com"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    let (status, report) = app.get("/api/v1/analytics/customers").await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["buyers"], 3, "{report}");
    assert_eq!(report["new_buyers"], 2, "b and c; a bought before");
    let repeat = report["repeat_purchase_rate"].as_f64().expect("rate");
    assert!(
        (repeat - 1.0 / 3.0).abs() < 1e-9,
        "b alone bought twice: {report}"
    );
    let churn = report["churn_rate"].as_f64().expect("rate");
    assert!(
        (churn - 0.5).abs() < 1e-9,
        "of a and d, d is gone: {report}"
    );
    let steps: Vec<(String, u64)> = report["funnel"]
        .as_array()
        .expect("funnel")
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap_or_default().to_owned(),
                s["customers"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            ("Product Viewed".to_owned(), 3),
            ("Product Added".to_owned(), 2),
            ("Checkout Started".to_owned(), 1),
            ("ordered".to_owned(), 1),
        ],
        "{report}"
    );
    let cohorts = report["cohorts"].as_array().expect("cohorts");
    let in_cohorts: u64 = cohorts
        .iter()
        .map(|c| c["customers"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(in_cohorts, 2, "{report}");
    assert!(cohorts.iter().all(|c| c["retention"][0] == 1.0), "{report}");

    // A short period, and a channel with nothing in it.
    let today = chrono::Utc::now().date_naive();
    let week_ago = today - chrono::Days::new(6);
    let (_, week) = app
        .get(&format!(
            "/api/v1/analytics/customers?from={week_ago}&to={today}"
        ))
        .await;
    assert_eq!(week["buyers"], 3, "a, b and c bought this week: {week}");
    let (status, web) = app.get("/api/v1/analytics/customers?channel=web").await;
    assert_eq!(status, StatusCode::OK, "{web}");
    assert_eq!(web["buyers"], 0, "orders came through the API: {web}");

    for (query, field) in [
        ("from=2026-02-30", "from"),
        ("to=yesterday", "to"),
        ("from=2026-06-01&to=2026-05-01", "from"),
        ("from=2000-01-01&to=2026-01-01", "from"),
        ("channel=nowhere", "channel"),
    ] {
        let (status, body) = app
            .get(&format!("/api/v1/analytics/customers?{query}"))
            .await;
        assert_eq!(
            (status, body["error"]["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{query}: {body}"
        );
    }

    // The console shows the same report, for the period and channel chosen.
    let owner = crate::console::signed_in(&app, "owner@shop.cn", "owner").await;
    let (status, page, _) = owner
        .get(&format!("/analytics?from={week_ago}&to={today}&channel="))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"period-buyers\">3<"), "{page}");
    for id in ["funnel", "cohorts", "lifecycle-flow"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id}: {page}");
    }
    let (status, page, _) = owner.get("/analytics?from=2026-13-01").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"period-error\""), "{page}");

    // The spread of predicted value: ten bands at most, falling.
    let deadline = Instant::now() + Duration::from_secs(20);
    let clv = loop {
        let (status, body) = app.get("/api/v1/analytics/clv").await;
        if status == StatusCode::OK && body["customers"] == 4 {
            break body;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let shares: f64 = clv["bands"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| b["share_of_value"].as_f64().unwrap_or(0.0))
        .sum();
    assert!(
        clv["bands"].as_array().is_some_and(|b| !b.is_empty()),
        "{clv}"
    );
    assert!((shares - 1.0).abs() < 1e-6 || shares == 0.0, "{clv}");
    app.stop().await;
}
