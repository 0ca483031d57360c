//! Shopify webhooks at `/webhooks/shopify/{source}`: signed bodies become orders, refunds and
//! profiles; replays are recognised by the event id; a bad signature stores nothing.

use crate::helpers::{TestApp, split};
use base64::Engine;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;

// Shopify's documented example payloads. The shop sells in CNY (the shop's currency), so that
// the profile's spend figures include them.
fn fixture(raw: &str) -> String {
    raw.replace("\"USD\"", "\"CNY\"")
}
fn order_created() -> String {
    fixture(include_str!(
        "../../guanxi-channels/tests/fixtures/shopify/orders_create.json"
    ))
}
fn order_partially_refunded() -> String {
    fixture(include_str!(
        "../../guanxi-channels/tests/fixtures/shopify/orders_updated_partially_refunded.json"
    ))
}
fn refund_created() -> String {
    fixture(include_str!(
        "../../guanxi-channels/tests/fixtures/shopify/refunds_create.json"
    ))
}
fn customer_created() -> String {
    fixture(include_str!(
        "../../guanxi-channels/tests/fixtures/shopify/customers_create.json"
    ))
}

const ORDER_CUSTOMER: &str = "shopify_customer:115310627314723954";

/// A running app with a Shopify source `shop`, and that source's webhook secret.
async fn app_with_shop() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let secret = guanxi_app::keys::create_source(app.store.as_ref(), "shop", "shopify")
        .await
        .expect("shopify source")
        .secret;
    (app, secret)
}

fn sign(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Delivers a webhook as Shopify does, signed with `signature`.
async fn deliver_signed(
    app: &TestApp,
    topic: &str,
    event_id: &str,
    body: &str,
    signature: &str,
) -> (StatusCode, Value) {
    let response = app
        .http
        .post(app.url("/webhooks/shopify/shop"))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-hmac-sha256", signature)
        .header("x-shopify-event-id", event_id)
        .header("x-shopify-shop-domain", "example.myshopify.com")
        .body(body.to_owned())
        .send()
        .await
        .expect("request");
    split(response).await
}

/// Delivers a correctly signed webhook and asserts it was accepted.
async fn deliver(app: &TestApp, secret: &str, topic: &str, event_id: &str, body: &str) -> Value {
    let (status, answer) = deliver_signed(app, topic, event_id, body, &sign(secret, body)).await;
    assert_eq!(status, StatusCode::OK, "{topic}: {answer}");
    assert_eq!(answer["success"], true, "{answer}");
    answer
}

/// The orders of the customer owning `identity`.
async fn orders_of(app: &TestApp, identity: &str) -> Vec<Value> {
    let id = app.customer_by(identity).await["id"].clone();
    let (status, body) = app.get(&format!("/api/v1/customers/{id}/orders")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().expect("orders").clone()
}

#[tokio::test]
async fn orders_create_makes_an_order_and_its_customer() {
    let (app, secret) = app_with_shop().await;
    let answer = deliver(&app, &secret, "orders/create", "evt-1", &order_created()).await;
    assert_eq!(answer["duplicate"], false);

    let profile = app.customer_by(ORDER_CUSTOMER).await;
    for query in [
        "email=john%40example.com",
        "email=jon%40example.com",
        "phone=%2B14155552671",
    ] {
        let (status, body) = app.get(&format!("/api/v1/customers/lookup?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["id"], profile["id"], "{query}");
    }
    assert_eq!(profile["stats"]["orders_count"], 1);
    assert_eq!(profile["stats"]["total_spent"], "403.00");
    let orders = orders_of(&app, ORDER_CUSTOMER).await;
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["external_id"], "820982911946154508");
    assert_eq!(orders[0]["total"], "403.00");
    assert_eq!(orders[0]["status"], "paid");
    assert_eq!(orders[0]["items"].as_array().map(Vec::len), Some(2));
    app.stop().await;
}

#[tokio::test]
async fn a_replayed_webhook_is_stored_once() {
    let (app, secret) = app_with_shop().await;
    deliver(&app, &secret, "orders/create", "evt-1", &order_created()).await;
    let replay = deliver(&app, &secret, "orders/create", "evt-1", &order_created()).await;
    assert_eq!(replay["duplicate"], true, "{replay}");
    // The same order under a new event id (Shopify's orders/updated) changes nothing either.
    deliver(&app, &secret, "orders/updated", "evt-2", &order_created()).await;

    assert_eq!(orders_of(&app, ORDER_CUSTOMER).await.len(), 1);
    let (_, list) = app.get("/api/v1/customers").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    app.stop().await;
}

#[tokio::test]
async fn a_bad_signature_is_refused_and_stores_nothing() {
    let (app, secret) = app_with_shop().await;
    let body = order_created();
    let cases = [
        sign("whsec_wrong", &body),
        sign(&secret, &body.replace("403.00", "4.03")),
        "not base64!".to_owned(),
    ];
    for signature in &cases {
        let (status, answer) =
            deliver_signed(&app, "orders/create", "evt-1", &body, signature).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        assert_eq!(answer["error"]["code"], "unauthorized");
    }
    let unsigned = app
        .http
        .post(app.url("/webhooks/shopify/shop"))
        .header("x-shopify-topic", "orders/create");
    let (status, _) = split(unsigned.body(body.clone()).send().await.expect("request")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A source that is not a Shopify source has no webhook.
    let to_web = app
        .http
        .post(app.url("/webhooks/shopify/web"))
        .header("x-shopify-hmac-sha256", sign(&secret, &body));
    let (status, _) = split(to_web.body(body.clone()).send().await.expect("request")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = app
        .get("/api/v1/customers/lookup?identity=shopify_customer%3A115310627314723954")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The refused event id was not used up: the genuine delivery still counts.
    let answer = deliver(&app, &secret, "orders/create", "evt-1", &body).await;
    assert_eq!(answer["duplicate"], false);
    assert_eq!(orders_of(&app, ORDER_CUSTOMER).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn unknown_topics_are_acknowledged_and_ignored() {
    let (app, secret) = app_with_shop().await;
    let answer = deliver(
        &app,
        &secret,
        "products/create",
        "evt-9",
        "{\"id\": 1, \"title\": \"Scarf\"}",
    )
    .await;
    assert_eq!(answer["ignored"], true, "{answer}");
    let (_, list) = app.get("/api/v1/customers").await;
    assert_eq!(list["data"], serde_json::json!([]), "{list}");
    app.stop().await;
}

#[tokio::test]
async fn refunds_reduce_spend_once_whichever_topic_brings_them() {
    let (app, secret) = app_with_shop().await;
    deliver(&app, &secret, "orders/create", "evt-1", &order_created()).await;
    deliver(&app, &secret, "refunds/create", "evt-2", &refund_created()).await;

    // Two successful transactions of 89.50 and 10.00; the failed one moved no money.
    let orders = orders_of(&app, ORDER_CUSTOMER).await;
    assert_eq!(orders[0]["refunded"], "99.50", "{:?}", orders[0]);
    assert_eq!(orders[0]["status"], "partially_refunded");
    let stats = app.customer_by(ORDER_CUSTOMER).await["stats"].clone();
    assert_eq!(stats["total_spent"], "303.50", "{stats}");
    assert_eq!(stats["orders_count"], 1);

    // The orders/updated that follows carries the same refund: it is not counted again.
    deliver(
        &app,
        &secret,
        "orders/updated",
        "evt-3",
        &order_partially_refunded(),
    )
    .await;
    deliver(&app, &secret, "refunds/create", "evt-4", &refund_created()).await;
    let orders = orders_of(&app, ORDER_CUSTOMER).await;
    assert_eq!(orders.len(), 1);
    assert_eq!(
        orders[0]["refunds"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        orders[0]
    );
    assert_eq!(orders[0]["refunded"], "99.50");
    assert_eq!(
        app.customer_by(ORDER_CUSTOMER).await["stats"]["total_spent"],
        "303.50"
    );
    app.stop().await;
}

#[tokio::test]
async fn customers_create_makes_a_profile() {
    let (app, secret) = app_with_shop().await;
    deliver(
        &app,
        &secret,
        "customers/create",
        "evt-1",
        &customer_created(),
    )
    .await;

    let profile = app.customer_by("shopify_customer:706405506930370084").await;
    assert_eq!(
        app.customer_by("email:bob@biller.com").await["id"],
        profile["id"]
    );
    // The masked phone identifies nobody; the address's phone does.
    assert_eq!(
        app.customer_by("phone:13812345678").await["id"],
        profile["id"]
    );
    let identities = profile["identities"].to_string();
    assert!(!identities.contains("****"), "{identities}");
    assert_eq!(profile["traits"]["name"], "Bob Biller", "{profile}");
    assert_eq!(
        profile["tags"],
        serde_json::json!(["VIP", "wholesale"]),
        "{profile}"
    );
    assert_eq!(profile["stats"]["orders_count"], 0);
    app.stop().await;
}
