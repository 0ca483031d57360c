//! Conditions on purchases, behaviour events and traits.

use super::{create, customer, order_of, segments_when};
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn purchase_conditions_follow_what_was_bought_and_when() {
    let app = TestApp::spawn().await;
    order_of(
        &app,
        "a-1",
        "ann@example.com",
        20,
        &[("S-1", "silk", "300.00"), ("T-1", "tea", "50.00")],
    )
    .await;
    order_of(
        &app,
        "a-2",
        "ann@example.com",
        10,
        &[("S-2", "silk", "200.00")],
    )
    .await;
    order_of(
        &app,
        "b-1",
        "bo@example.com",
        5,
        &[("S-1", "silk", "300.00")],
    )
    .await;
    order_of(
        &app,
        "b-0",
        "bo@example.com",
        400,
        &[("S-9", "silk", "900.00")],
    )
    .await;
    let ann = customer(&app, "ann@example.com").await;
    let bo = customer(&app, "bo@example.com").await;

    let (status, silk) = create(&app, json!({"key": "silk-fans", "name": "Silk fans",
        "rule_text": "bought category \"silk\" >= 2 within 90 days and not bought product \"T-9\""})).await;
    assert_eq!(status, StatusCode::CREATED, "{silk}");
    assert_eq!(
        segments_when(&app, ann, |k| !k.is_empty()).await,
        vec!["silk-fans"]
    );
    assert!(
        segments_when(&app, bo, |_| true).await.is_empty(),
        "bo's first silk order is 400 days old"
    );

    // A preview reads the orders it needs on the spot: windowed spend was kept for nobody.
    let (status, preview) = app
        .post(
            "/api/v1/segments/preview",
            &json!({"rule_text": "spent >= 500 within 30 days"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (preview["count"].clone(), preview["sample"].clone()),
        (json!(1), json!([ann]))
    );
    let (_, preview) = app.post("/api/v1/segments/preview", &json!({"rule": {"field": "orders", "op": ">=", "value": 2, "between": ["2000-01-01", "2100-12-31"]}})).await;
    assert_eq!(preview["count"], 2, "{preview}");

    // Another silk order moves bo in at once.
    order_of(
        &app,
        "b-2",
        "bo@example.com",
        0,
        &[("S-3", "silk", "80.00")],
    )
    .await;
    assert_eq!(
        segments_when(&app, bo, |k| !k.is_empty()).await,
        vec!["silk-fans"]
    );
    // Buying the excluded product moves ann out.
    order_of(
        &app,
        "a-3",
        "ann@example.com",
        0,
        &[("T-9", "tea", "10.00")],
    )
    .await;
    assert!(segments_when(&app, ann, |k| k.is_empty()).await.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn event_conditions_follow_what_customers_do() {
    let app = TestApp::spawn().await;
    let track = |user: &'static str, event: &'static str, category: &'static str| {
        let app = &app;
        async move {
            // Each call its own message: identical bodies without one count once.
            let body = json!({"userId": user, "event": event, "messageId": format!("{user}-{event}-{category}-{}", chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()),
                "properties": {"category": category, "sku": "S-1"}});
            let (status, answer) = app.segment("/v1/track", &body).await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    };
    track("ann", "Product Added", "silk").await;
    track("ann", "Product Added", "silk").await;
    track("bo", "Product Added", "silk").await;
    track("bo", "Product Added", "tea").await;
    let id_of = |user: &'static str| {
        let app = &app;
        async move {
            app.customer_by(&format!("user_id:web:{user}")).await["id"]
                .as_i64()
                .expect("id")
        }
    };
    let (ann, bo) = (id_of("ann").await, id_of("bo").await);

    let (status, carts) = create(&app, json!({"key": "silk-carts", "name": "Silk in the cart",
        "rule_text": "did \"Product Added\" where category = \"silk\" >= 2 within 7 days and not did \"Checkout Started\""})).await;
    assert_eq!(status, StatusCode::CREATED, "{carts}");
    assert_eq!(
        carts["rule"]["all"][0]["where"],
        json!({"category": "silk"})
    );
    assert_eq!(
        segments_when(&app, ann, |k| !k.is_empty()).await,
        vec!["silk-carts"]
    );
    assert!(
        segments_when(&app, bo, |_| true).await.is_empty(),
        "one silk, one tea"
    );

    // Another silk add moves bo in; a checkout moves ann out.
    track("bo", "Product Added", "silk").await;
    assert_eq!(
        segments_when(&app, bo, |k| !k.is_empty()).await,
        vec!["silk-carts"]
    );
    track("ann", "Checkout Started", "silk").await;
    assert!(segments_when(&app, ann, |k| k.is_empty()).await.is_empty());
    let (_, preview) = app
        .post(
            "/api/v1/segments/preview",
            &json!({"rule": {"did": "Product Added", "op": ">=", "value": 3}}),
        )
        .await;
    assert_eq!(preview["count"], 1, "bo added three times: {preview}");
    app.stop().await;
}

#[tokio::test]
async fn trait_conditions_follow_identify_calls() {
    let app = TestApp::spawn().await;
    let identify = |user: &'static str, traits: Value| {
        let app = &app;
        async move {
            let (status, answer) = app
                .segment("/v1/identify", &json!({"userId": user, "traits": traits}))
                .await;
            assert_eq!(status, StatusCode::OK, "{answer}");
        }
    };
    identify("ann", json!({"city": "上海", "vip_level": 4})).await;
    identify("bo", json!({"city": "北京", "vip_level": 1})).await;
    let ann = app.customer_by("user_id:web:ann").await["id"]
        .as_i64()
        .expect("id");
    let bo = app.customer_by("user_id:web:bo").await["id"]
        .as_i64()
        .expect("id");
    let (status, body) = create(&app, json!({"key": "sh-vips", "name": "Shanghai VIPs",
        "rule": {"all": [{"trait": "city", "op": "=", "value": "上海"}, {"trait": "vip_level", "op": ">=", "value": 3}]}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["rule_text"],
        "trait \"city\" = \"上海\" and trait \"vip_level\" >= 3"
    );
    assert_eq!(
        segments_when(&app, ann, |k| !k.is_empty()).await,
        vec!["sh-vips"]
    );
    // bo moves to Shanghai and up a level: in at once.
    identify("bo", json!({"city": "上海", "vip_level": 3})).await;
    assert_eq!(
        segments_when(&app, bo, |k| !k.is_empty()).await,
        vec!["sh-vips"]
    );
    let (status, body) = create(
        &app,
        json!({"key": "x", "name": "X", "rule_text": "trait \"phone\" = \"1\""}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "personal traits are sealed: {body}"
    );
    app.stop().await;
}
