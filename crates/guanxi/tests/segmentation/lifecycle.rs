//! Lifecycle stages as built-in segments.

use super::{create, customer, send};
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn lifecycle_stages_are_built_in_segments_whose_transitions_are_recorded() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "new@example.com", "50.00", 2).await;
    let id = customer(&app, "new@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, body) = app.get(&format!("/api/v1/customers/{id}")).await;
        if body["segments"] == json!(["lifecycle-new"]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never staged: {}",
            body["segments"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A second order makes a repeat buyer: one stage left, the next entered, both recorded.
    app.paid_order("o-2", "new@example.com", "50.00", 0).await;
    loop {
        let (_, body) = app.get(&format!("/api/v1/customers/{id}")).await;
        if body["segments"] == json!(["lifecycle-repeat"]) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "never moved on: {}",
            body["segments"]
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, events) = app.get(&format!("/api/v1/customers/{id}/events")).await;
    let moves: Vec<(String, String)> = events["data"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            let name = e["event"]
                .as_str()
                .or(e["name"].as_str())
                .unwrap_or_default();
            (
                name.to_owned(),
                e["properties"]["segment_key"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    for expected in [
        ("Exited Segment", "lifecycle-new"),
        ("Entered Segment", "lifecycle-repeat"),
        ("Entered Segment", "lifecycle-new"),
    ] {
        assert!(
            moves.contains(&(expected.0.to_owned(), expected.1.to_owned())),
            "{expected:?} in {moves:?}"
        );
    }

    // Built in: not editable, not deletable, and their keys are reserved.
    let (_, all) = app.get("/api/v1/segments").await;
    let builtin = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|s| s["key"] == "lifecycle-new")
        .expect("built in")
        .clone();
    let builtin_id = builtin["id"].as_i64().expect("id");
    let (status, _) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/segments/{builtin_id}"),
        Some(json!({"name": "x", "rule_text": "orders > 0"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/segments/{builtin_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = create(
        &app,
        json!({"key": "lifecycle-mine", "name": "Mine", "rule_text": "orders > 0"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.stop().await;
}
