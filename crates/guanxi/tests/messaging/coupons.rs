//! What templates can say beyond a customer's traits: their scores (RFM class, lifecycle
//! stage, lifetime value), recommendations, and a coupon code of their own that the shop's
//! checkout can check; a code altered by hand is refused.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn messages_carry_scores_and_a_coupon_code_the_checkout_can_check() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "li@example.com", "188.00", 10).await;
    let li = app.customer_by("email:li@example.com").await["id"]
        .as_i64()
        .expect("id");
    super::subscribe(&app, li, "in_app").await;
    super::segment_of(&app, "buyers", "orders >= 1", 1).await;
    let (status, body) = app
        .post("/api/v1/templates", &json!({"key": "thanks", "name": "Thanks", "channel": "in_app",
            "content": {"languages": {"zh-CN": {"subject": "谢谢",
                "text": "券码 {{ coupon_code }}；{% if scores %}{{ scores.stage }}/{{ scores.rfm_class }}{% endif %}；推荐 {{ recommendations|length }} 件"}}}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let template = body["id"].as_i64().expect("id");

    // Once the engine has scored Li, a preview for her shows her stage and class.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, preview) = app
            .get(&format!(
                "/api/v1/templates/{template}/preview?customer={li}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        let text = preview[0]["text"].as_str().unwrap_or_default().to_owned();
        if text.contains("/") {
            assert!(text.contains("推荐 "), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "never scored: {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let (status, created) = app
        .post("/api/v1/campaigns", &json!({"name": "Thanks", "channel": "in_app",
            "spec": {"audience": {"segments": ["buyers"]}, "variants": [{"key": "a", "template": "thanks"}]}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, body) = app
        .post(
            &format!("/api/v1/campaigns/{}/launch", created["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.drain_deliveries().await;
    let (_, inbox) = app.get(&format!("/api/v1/customers/{li}/inbox")).await;
    let message: &Value = &inbox["data"][0];
    let text = message["text"].as_str().expect("text");
    let code = text
        .split_whitespace()
        .find(|w| w.starts_with("GX"))
        .map(|w| w.trim_end_matches('；'))
        .expect("a code")
        .split('；')
        .next()
        .expect("code")
        .to_owned();

    let (status, coupon) = app
        .get(&format!("/api/v1/coupons/{}", code.to_lowercase()))
        .await;
    assert_eq!(status, StatusCode::OK, "{coupon}");
    assert_eq!(
        (
            coupon["customer_id"].as_i64(),
            coupon["delivery_id"].as_i64()
        ),
        (Some(li), message["id"].as_i64()),
        "{coupon}"
    );
    let mut altered: Vec<char> = code.chars().collect();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == 'A' { 'B' } else { 'A' };
    let altered: String = altered.into_iter().collect();
    let (status, _) = app.get(&format!("/api/v1/coupons/{altered}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{altered} is not genuine");
}
