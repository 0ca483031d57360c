//! Segments that tag their members, and tagging a whole segment at once.

use super::{create, customer, segments_when, send};
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn segments_tag_their_members_and_whole_segments_can_be_tagged() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "big@example.com", "900.00", 3).await;
    app.paid_order("o-2", "small@example.com", "10.00", 3).await;
    let big = customer(&app, "big@example.com").await;
    let small = customer(&app, "small@example.com").await;
    let tags_of = |id: i64| {
        let app = &app;
        async move {
            let (_, body) = app.get(&format!("/api/v1/customers/{id}")).await;
            serde_json::from_value::<Vec<String>>(body["tags"].clone()).expect("tags")
        }
    };

    // While a member, a customer carries the segment's tag; a segment reading that tag may
    // not tag what the first one reads (a loop).
    let (status, whales) = create(&app, json!({"key": "whales", "name": "Whales", "rule_text": "spent >= 500", "auto_tag": "whale"})).await;
    assert_eq!(status, StatusCode::CREATED, "{whales}");
    assert_eq!(whales["auto_tag"], "whale");
    let deadline = Instant::now() + Duration::from_secs(20);
    while tags_of(big).await != ["whale"] {
        assert!(Instant::now() < deadline, "never tagged");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = create(
        &app,
        json!({"key": "loop", "name": "Loop", "rule_text": "tag \"whale\"", "auto_tag": "x"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "reading the tag alone is fine: {body}"
    );
    let whales_id = whales["id"].as_i64().expect("id");
    let (status, body) = send(&app, reqwest::Method::PUT, &format!("/api/v1/segments/{whales_id}"), Some(json!({"name": "Whales", "rule_text": "spent >= 500 and not tag \"x\"", "auto_tag": "whale"}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cycle"),
        "{body}"
    );

    // Leaving drops the tag.
    let (status, body) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/segments/{whales_id}"),
        Some(json!({"name": "Whales", "rule_text": "spent >= 5000", "auto_tag": "whale"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !tags_of(big).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "never untagged: {:?}",
            tags_of(big).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Tagging every member of a segment at once, audited.
    let (status, everyone) = create(
        &app,
        json!({"key": "everyone", "name": "Everyone", "rule_text": "orders >= 1"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{everyone}");
    let everyone_id = everyone["id"].as_i64().expect("id");
    segments_when(&app, small, |k| k.contains(&"everyone".to_owned())).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/segments/{everyone_id}/tags"),
            &json!({"add": ["春节"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["customers"], 2);
    assert_eq!(tags_of(small).await, vec!["春节"]);
    let (status, body) = app
        .post(
            &format!("/api/v1/segments/{everyone_id}/tags"),
            &json!({"add": [" "]}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("add")),
        "{body}"
    );
    let (status, _) = app
        .post_as(
            &app.read_key,
            &format!("/api/v1/segments/{everyone_id}/tags"),
            &json!({"add": ["x"]}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}
