//! Recommendations learnt from purchases and views.

use super::{customer, order_of};
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn recommendations_offer_what_similar_customers_bought() {
    let app = TestApp::spawn().await;
    // Tea drinkers buy cups; everyone buys bags; the best seller is the bag.
    for i in 0..4 {
        order_of(
            &app,
            &format!("t-{i}"),
            &format!("tea{i}@example.com"),
            10,
            &[("TEA", "tea", "30.00"), ("CUP", "cups", "20.00")],
        )
        .await;
    }
    for i in 0..8 {
        order_of(
            &app,
            &format!("b-{i}"),
            &format!("bag{i}@example.com"),
            10,
            &[("BAG", "bags", "5.00")],
        )
        .await;
    }
    order_of(
        &app,
        "me-1",
        "me@example.com",
        1,
        &[("TEA", "tea", "30.00")],
    )
    .await;
    let me = customer(&app, "me@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let offer = loop {
        let (status, body) = app
            .get(&format!("/api/v1/customers/{me}/recommendations?limit=2"))
            .await;
        // The model learns again a moment after new orders: wait for the one that saw them.
        if status == StatusCode::OK && body["products"] == 3 {
            break body;
        }
        assert!(
            matches!(status, StatusCode::OK | StatusCode::SERVICE_UNAVAILABLE),
            "{body}"
        );
        assert!(Instant::now() < deadline, "never learnt");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(offer["data"][0]["sku"], "CUP", "{offer}");
    assert_eq!(offer["data"][0]["reason"], "also_bought");
    assert_eq!(offer["data"][0]["because"], "TEA");
    assert_eq!(
        offer["data"][1]["sku"], "BAG",
        "then the best seller: {offer}"
    );
    assert_eq!(offer["data"][1]["reason"], "popular");
    assert!(
        !offer.to_string().contains("\"sku\":\"TEA\""),
        "never what they bought"
    );
    let (status, body) = app
        .get(&format!("/api/v1/customers/{me}/recommendations?limit=0"))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    app.stop().await;
}

#[tokio::test]
async fn recommendations_learn_from_what_customers_look_at_too() {
    let app = TestApp::spawn().await;
    // Lookers view both scarves (and buy nothing); the buyer bought the plain one.
    for i in 0..3 {
        for sku in ["SCARF", "SILK-SCARF"] {
            let body = json!({"userId": format!("looker{i}"), "event": "Product Viewed",
                "messageId": format!("v-{i}-{sku}"), "properties": {"sku": sku}});
            let (status, answer) = app.segment("/v1/track", &body).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    }
    order_of(
        &app,
        "s-1",
        "buyer@example.com",
        1,
        &[("SCARF", "scarves", "99.00")],
    )
    .await;
    let buyer = customer(&app, "buyer@example.com").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app
            .get(&format!(
                "/api/v1/customers/{buyer}/recommendations?limit=1"
            ))
            .await;
        if status == StatusCode::OK && body["data"][0]["sku"] == "SILK-SCARF" {
            assert_eq!(body["data"][0]["reason"], "also_viewed", "{body}");
            assert_eq!(body["data"][0]["because"], "SCARF", "{body}");
            break;
        }
        assert!(Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.stop().await;
}
