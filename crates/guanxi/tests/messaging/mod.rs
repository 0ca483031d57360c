//! Messaging end to end: templates, consent, campaigns sent over a real SMTP server, SMS
//! through a gateway and signed webhooks (a local HTTP receiver), and the links in messages.

mod ab_test;
mod calendar;
mod campaign;
mod channels;
mod coupons;
mod faults;
mod journey;
mod pacing;
mod receiver;
mod reports;
mod smtp_sink;

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Records that customer `id` said yes to `channel`, as the shop's checkout would.
pub(crate) async fn subscribe(app: &TestApp, id: i64, channel: &str) {
    let response = app
        .http
        .put(app.url(&format!("/api/v1/customers/{id}/consent")))
        .bearer_auth(&app.admin_key)
        .json(&json!({"channel": channel, "status": "subscribed", "source": "checkout"}))
        .send()
        .await
        .expect("consent");
    assert_eq!(response.status(), StatusCode::OK);
}

/// Defines a segment and waits (with a deadline) until it has `n` members.
pub(crate) async fn segment_of(app: &TestApp, key: &str, rule: &str, n: usize) -> i64 {
    let (status, body) = app
        .post(
            "/api/v1/segments",
            &json!({"key": key, "name": key, "rule_text": rule}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().expect("id");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, members) = app.get(&format!("/api/v1/segments/{id}/members")).await;
        if members["data"].as_array().is_some_and(|d| d.len() >= n) {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "the segment never had {n} members: {members}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// How many of a campaign's deliveries have `status`, from its results' `counts`.
pub(super) fn count(counts: &Value, status: &str) -> i64 {
    counts
        .as_array()
        .expect("counts")
        .iter()
        .filter(|r| r["status"] == status)
        .map(|r| r["count"].as_i64().unwrap_or(0))
        .sum()
}
