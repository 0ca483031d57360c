//! Segment calls that are refused: unknown or missing write keys, malformed or mistyped
//! messages, oversized messages and batches. The error names the field, and nothing of a
//! refused batch is stored.

use super::{assert_ok, events, id_of, post_raw};
use crate::helpers::{TestApp, split, urlencode};
use reqwest::StatusCode;
use serde_json::json;

/// A known customer with exactly one event, to check that refused batches store nothing.
async fn known_customer(app: &TestApp) -> i64 {
    assert_ok(
        app,
        "/v1/track",
        json!({"userId": "known", "event": "Seen", "messageId": "known-1"}),
    )
    .await;
    let id = id_of(app, "user_id:web:known").await;
    assert_eq!(events(app, id).await.len(), 1);
    id
}

#[tokio::test]
async fn unknown_or_missing_write_keys_are_refused() {
    let app = TestApp::spawn().await;
    let body = json!({"batch": [{"type": "track", "userId": "u-5", "event": "Sneaky"}]});
    let unknown = app
        .http
        .post(app.url("/v1/batch"))
        .basic_auth("wk_not_a_key", Some(""))
        .json(&body);
    let (status, answer) = split(unknown.send().await.expect("request")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(answer["error"]["code"], "unauthorized");
    let in_body = json!({"writeKey": "wk_not_a_key", "userId": "u-5", "event": "Sneaky"});
    let (status, _) = split(
        app.http
            .post(app.url("/v1/track"))
            .json(&in_body)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = split(
        app.http
            .post(app.url("/v1/batch"))
            .json(&body)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, _) = app
        .get(&format!(
            "/api/v1/customers/lookup?identity={}",
            urlencode("user_id:web:u-5")
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn invalid_batches_name_the_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    let known = known_customer(&app).await;
    let (status, answer) = post_raw(&app, "/v1/batch", b"{\"batch\": [".to_vec(), false).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid_json");

    let good = json!({"type": "track", "userId": "known", "event": "Should Not Stay"});
    for (bad, field) in [
        (
            json!({"type": "track", "userId": {"id": 1}, "event": "x"}),
            "batch[1].userId",
        ),
        (
            json!({"type": "track", "userId": "known"}),
            "batch[1].event",
        ),
        (
            json!({"type": "track", "userId": "known", "event": "x", "timestamp": "yesterday"}),
            "batch[1].timestamp",
        ),
        (
            json!({"type": "identify", "userId": "known", "traits": {"email": "not-an-email"}}),
            "batch[1].traits.email",
        ),
        (json!({"type": "track", "event": "x"}), "batch[1].userId"),
        (json!({"type": "shout", "userId": "known"}), "batch[1].type"),
    ] {
        let (status, answer) = app
            .segment("/v1/batch", &json!({"batch": [good.clone(), bad]}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid", "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let (status, answer) = app
        .segment(
            "/v1/identify",
            &json!({"userId": "known", "traits": {"email": "nope"}}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(answer["error"]["field"], "traits.email");

    assert_eq!(
        events(&app, known).await.len(),
        1,
        "a refused batch left something behind"
    );
    app.stop().await;
}

#[tokio::test]
async fn oversized_messages_and_batches_are_refused() {
    let app = TestApp::spawn().await;
    let known = known_customer(&app).await;
    let good = json!({"type": "track", "userId": "known", "event": "Should Not Stay"});
    let big = json!({"type": "track", "userId": "known", "event": "Big", "properties": {"blob": "x".repeat(33 * 1024)}});

    let (status, answer) = app
        .segment("/v1/batch", &json!({"batch": [good.clone(), big.clone()]}))
        .await;
    assert!(
        matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE
        ),
        "{status}: {answer}"
    );
    assert_eq!(answer["error"]["field"], "batch[1]", "{answer}");
    let (status, answer) = app.segment("/v1/track", &big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["error"]["code"], "too_large");

    // Every message under 32 KB, the whole over 500 KB.
    let medium = json!({"type": "track", "userId": "known", "event": "Medium", "properties": {"blob": "y".repeat(30 * 1024)}});
    let mut batch = vec![good];
    batch.extend(std::iter::repeat_n(medium, 20));
    let (status, answer) = app.segment("/v1/batch", &json!({ "batch": batch })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{answer}");
    assert_eq!(answer["error"]["code"], "too_large");

    assert_eq!(
        events(&app, known).await.len(),
        1,
        "a refused batch left something behind"
    );
    app.stop().await;
}
