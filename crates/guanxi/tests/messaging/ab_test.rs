//! An A/B test: a sample gets the variants, the metric picks the winner when the test's time
//! is up, and the rest of the audience gets the winner. In-app messages, a manual clock.

use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use guanxi_domain::ShopTimeZone;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CUSTOMERS: usize = 40;

#[tokio::test]
async fn the_winner_by_opens_goes_to_the_rest_of_the_audience() {
    let start = guanxi_domain::time::parse_timestamp("2026-12-08 10:00:00", ShopTimeZone::CHINA)
        .expect("time");
    let clock = Clock::manual(start);
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let mut ids = Vec::new();
    for i in 0..CUSTOMERS {
        let email = format!("c{i}@example.com");
        app.paid_order(&format!("o-{i}"), &email, "20.00", 1).await;
        let id = app.customer_by(&format!("email:{email}")).await["id"]
            .as_i64()
            .expect("id");
        super::subscribe(&app, id, "in_app").await;
        ids.push(id);
    }
    for (key, text) in [("va", "A"), ("vb", "B")] {
        let (status, body) = app.post("/api/v1/templates", &json!({"key": key, "name": key, "channel": "in_app", "content": {"languages": {"en": {"subject": "Hi", "text": text}}}})).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    super::segment_of(&app, "buyers", "orders >= 1", CUSTOMERS).await;
    let spec = json!({"audience": {"segments": ["buyers"]}, "variants": [{"key": "a", "template": "va"}, {"key": "b", "template": "vb"}],
        "ab_test": {"sample_percent": 50, "metric": "opened", "decide_after_hours": 4}});
    let (status, bad) = app.post("/api/v1/campaigns", &json!({"name": "t", "channel": "in_app", "spec": {"audience": {"segments": ["buyers"]}, "variants": [{"key": "a", "template": "va"}], "ab_test": {"sample_percent": 50, "metric": "opened", "decide_after_hours": 4}}})).await;
    assert_eq!(
        (status, bad["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("spec.ab_test")),
        "{bad}"
    );
    let (status, created) = app
        .post(
            "/api/v1/campaigns",
            &json!({"name": "Subject test", "channel": "in_app", "spec": spec}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    let (status, launched) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(
        (status, launched["queued"].as_u64()),
        (StatusCode::OK, Some(CUSTOMERS as u64)),
        "{launched}"
    );

    app.drain_deliveries().await;
    // Customers open B and ignore A.
    let mut sample = 0;
    for id in &ids {
        let (_, inbox) = app.get(&format!("/api/v1/customers/{id}/inbox")).await;
        let Some(message) = inbox["data"].as_array().and_then(|d| d.first()) else {
            continue;
        };
        sample += 1;
        if message["text"] == "B" {
            let (status, _) = app
                .post(
                    &format!("/api/v1/customers/{id}/inbox/{}/read", message["id"]),
                    &json!({}),
                )
                .await;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
    }
    assert!(
        (10..=30).contains(&sample),
        "about half is the sample: {sample}"
    );
    app.drain_deliveries().await;
    let path = format!("/api/v1/campaigns/{id}/results");
    let before: Value = app.get(&path).await.1;
    let sent: i64 = before["counts"]
        .as_array()
        .expect("counts")
        .iter()
        .filter(|c| c["status"] != "queued")
        .map(|c| c["count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(sent, sample, "the rest waits for the winner: {before}");

    clock.advance(4 * 3_600_000 + 1_000);
    app.drain_deliveries().await;
    let after: Value = app.get(&path).await.1;
    let counts = after["counts"].as_array().expect("counts");
    assert!(
        counts
            .iter()
            .all(|c| c["variant"] == "a" || c["variant"] == "b"),
        "nobody is left undecided: {after}"
    );
    assert!(counts.iter().all(|c| c["status"] != "queued"), "{after}");
    let variant = |key: &str| {
        after["variants"]
            .as_array()
            .expect("variants")
            .iter()
            .find(|v| v["variant"] == key)
            .cloned()
            .expect("variant")
    };
    let (a, b) = (variant("a"), variant("b"));
    assert_eq!(
        a["sent"].as_u64().unwrap_or(0) + b["sent"].as_u64().unwrap_or(0),
        CUSTOMERS as u64
    );
    assert!(
        b["sent"].as_u64() > a["sent"].as_u64(),
        "the rest got B: {after}"
    );
    assert!(
        b["probability_best"].as_f64().unwrap_or(0.0) > 0.95,
        "{after}"
    );
    app.stop().await;
}
