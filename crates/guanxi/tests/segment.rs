//! The Segment HTTP Tracking API at `/v1/*`: what an SDK sends is accepted, deduplicated and
//! visible in the customer's profile; bad input is refused naming the field, and nothing of a
//! refused batch is stored.

use crate::helpers::{TestApp, split};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::Write;

#[path = "segment_refusals.rs"]
mod refusals;

/// The customer id `identity` (`TYPE:VALUE`) resolves to.
async fn id_of(app: &TestApp, identity: &str) -> i64 {
    app.customer_by(identity).await["id"]
        .as_i64()
        .expect("customer id")
}

/// The customer's events, newest first.
async fn events(app: &TestApp, id: i64) -> Vec<Value> {
    let (status, body) = app.get(&format!("/api/v1/customers/{id}/events")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].as_array().expect("event list").clone()
}

fn names(events: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["type"].as_str().unwrap_or_default(),
                e["name"].as_str().unwrap_or("-")
            )
        })
        .collect();
    names.sort();
    names
}

async fn assert_ok(app: &TestApp, path: &str, body: Value) {
    let (status, answer) = app.segment(path, &body).await;
    assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    assert_eq!(answer, json!({"success": true}));
}

/// Sends a raw body with the write key, as an SDK does.
async fn post_raw(app: &TestApp, path: &str, body: Vec<u8>, gzip: bool) -> (StatusCode, Value) {
    let mut request = app
        .http
        .post(app.url(path))
        .basic_auth(&app.write_key, Some(""))
        .header("content-type", "application/json");
    if gzip {
        request = request.header("content-encoding", "gzip");
    }
    split(request.body(body).send().await.expect("request")).await
}

#[tokio::test]
async fn batch_of_identify_track_page_builds_one_customer() {
    let app = TestApp::spawn().await;
    let batch = json!({"batch": [
        {"type": "identify", "userId": "u-1", "messageId": "m-1",
         "traits": {"email": "Li.Na@Example.com", "phone": "13812345678", "name": "Test Li"}},
        {"type": "track", "userId": "u-1", "event": "Product Viewed", "messageId": "m-2",
         "properties": {"product_id": "p-1"}, "timestamp": "2026-10-01T10:00:00Z"},
        {"type": "page", "userId": "u-1", "name": "Home", "messageId": "m-3"},
    ]});
    assert_ok(&app, "/v1/batch", batch).await;

    let by_user = app.customer_by("user_id:web:u-1").await;
    let id = by_user["id"].as_i64().expect("id");
    assert_eq!(by_user["traits"]["email"], "li.na@example.com");
    assert_eq!(by_user["traits"]["name"], "Test Li");
    for query in [
        "email=li.na%40example.com",
        "phone=13812345678",
        "phone=%2B8613812345678",
    ] {
        let (status, body) = app.get(&format!("/api/v1/customers/lookup?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {body}");
        assert_eq!(body["id"], id, "{query}");
    }
    let events = events(&app, id).await;
    assert_eq!(
        names(&events),
        ["identify:-", "page:Home", "track:Product Viewed"]
    );
    let viewed = events
        .iter()
        .find(|e| e["type"] == "track")
        .expect("track event");
    assert_eq!(viewed["properties"]["product_id"], "p-1");
    assert_eq!(viewed["timestamp"], "2026-10-01T10:00:00.000Z");
    app.stop().await;
}

#[tokio::test]
async fn single_endpoints_accept_every_call_type() {
    let app = TestApp::spawn().await;
    for (path, body) in [
        (
            "/v1/identify",
            json!({"userId": "u-2", "traits": {"email": "u2@example.com"}}),
        ),
        ("/v1/track", json!({"userId": "u-2", "event": "Signed Up"})),
        ("/v1/page", json!({"userId": "u-2", "name": "Pricing"})),
        ("/v1/screen", json!({"userId": "u-2", "name": "Cart"})),
        ("/v1/group", json!({"userId": "u-2", "groupId": "g-1"})),
        ("/v1/t", json!({"userId": "u-2", "event": "Short Path"})),
    ] {
        assert_ok(&app, path, body).await;
    }

    let id = id_of(&app, "email:u2@example.com").await;
    assert_eq!(id, id_of(&app, "user_id:web:u-2").await);
    assert_eq!(
        names(&events(&app, id).await),
        [
            "group:g-1",
            "identify:-",
            "page:Pricing",
            "screen:Cart",
            "track:Short Path",
            "track:Signed Up"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn the_same_message_id_is_stored_once() {
    let app = TestApp::spawn().await;
    let message =
        json!({"type": "track", "userId": "u-3", "event": "Clicked", "messageId": "dup-1"});
    assert_ok(
        &app,
        "/v1/batch",
        json!({"batch": [message.clone(), message.clone()]}),
    )
    .await;
    assert_ok(&app, "/v1/batch", json!({"batch": [message.clone()]})).await;
    assert_ok(&app, "/v1/track", message).await;

    let id = id_of(&app, "user_id:web:u-3").await;
    let events = events(&app, id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["message_id"], "dup-1");
    app.stop().await;
}

#[tokio::test]
async fn gzip_bodies_and_write_keys_in_the_body_are_accepted() {
    let app = TestApp::spawn().await;
    let body = json!({"batch": [{"type": "track", "userId": "u-4", "event": "Zipped"}]});
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(body.to_string().as_bytes())
        .expect("gzip");
    let (status, answer) = post_raw(&app, "/v1/batch", encoder.finish().expect("gzip"), true).await;
    assert_eq!(status, StatusCode::OK, "{answer}");

    // No Authorization header at all: the key travels as `writeKey`, as some SDKs send it.
    for (path, body) in [
        (
            "/v1/batch",
            json!({"writeKey": app.write_key, "batch": [{"type": "track", "userId": "u-4", "event": "Keyed Batch"}]}),
        ),
        (
            "/v1/track",
            json!({"writeKey": app.write_key, "userId": "u-4", "event": "Keyed Track"}),
        ),
    ] {
        let response = app
            .http
            .post(app.url(path))
            .json(&body)
            .send()
            .await
            .expect("request");
        let (status, answer) = split(response).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
    }

    let id = id_of(&app, "user_id:web:u-4").await;
    assert_eq!(
        names(&events(&app, id).await),
        ["track:Keyed Batch", "track:Keyed Track", "track:Zipped"]
    );
    app.stop().await;
}

#[tokio::test]
async fn anonymous_history_attaches_on_identify() {
    let app = TestApp::spawn().await;
    assert_ok(
        &app,
        "/v1/track",
        json!({"anonymousId": "anon-7", "userId": null, "event": "Browsed"}),
    )
    .await;
    let anonymous = id_of(&app, "anonymous_id:anon-7").await;
    assert_ok(
        &app,
        "/v1/identify",
        json!({"userId": "u-7", "anonymousId": "anon-7", "traits": {"email": "u7@example.com"}}),
    )
    .await;

    let id = id_of(&app, "user_id:web:u-7").await;
    assert_eq!(
        id, anonymous,
        "identify must join the anonymous visitor, not create a new customer"
    );
    assert_eq!(id, id_of(&app, "email:u7@example.com").await);
    assert_eq!(
        names(&events(&app, id).await),
        ["identify:-", "track:Browsed"]
    );
    let (_, list) = app.get("/api/v1/customers?q=u7%40example.com").await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1), "{list}");
    app.stop().await;
}

#[tokio::test]
async fn alias_merges_two_users() {
    let app = TestApp::spawn().await;
    assert_ok(
        &app,
        "/v1/identify",
        json!({"userId": "old-8", "traits": {"email": "old8@example.com"}}),
    )
    .await;
    assert_ok(
        &app,
        "/v1/identify",
        json!({"userId": "new-8", "traits": {"email": "new8@example.com"}}),
    )
    .await;
    let old = id_of(&app, "user_id:web:old-8").await;
    let new = id_of(&app, "user_id:web:new-8").await;
    assert_ne!(old, new);

    assert_ok(
        &app,
        "/v1/alias",
        json!({"userId": "new-8", "previousId": "old-8"}),
    )
    .await;
    let survivor = id_of(&app, "user_id:web:new-8").await;
    assert_eq!(survivor, id_of(&app, "user_id:web:old-8").await);
    assert_eq!(survivor, id_of(&app, "email:old8@example.com").await);
    assert!(survivor == old || survivor == new);
    let merged_away = if survivor == old { new } else { old };
    let (status, body) = app.get(&format!("/api/v1/customers/{merged_away}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], survivor);
    assert!(
        body["merges"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["from"] == merged_away)),
        "{body}"
    );
    assert_eq!(
        names(&events(&app, survivor).await),
        ["alias:-", "identify:-", "identify:-"]
    );
    app.stop().await;
}

#[tokio::test]
async fn order_completed_creates_an_order() {
    let app = TestApp::spawn().await;
    let order = json!({"type": "track", "userId": "u-9", "event": "Order Completed", "messageId": "oc-1",
        "timestamp": "2026-10-01T10:00:00Z",
        "properties": {"order_id": "web-9", "total": 176.5, "currency": "CNY",
            "products": [{"product_id": "p-1", "sku": "S1", "name": "Scarf", "price": 88.25, "quantity": 2}]}});
    assert_ok(&app, "/v1/batch", json!({"batch": [order.clone()]})).await;
    assert_ok(&app, "/v1/batch", json!({"batch": [order]})).await;

    let profile = app.customer_by("user_id:web:u-9").await;
    let id = profile["id"].as_i64().expect("id");
    assert_eq!(profile["stats"]["orders_count"], 1);
    assert_eq!(profile["stats"]["total_spent"], "176.50");
    let (status, orders) = app.get(&format!("/api/v1/customers/{id}/orders")).await;
    assert_eq!(status, StatusCode::OK, "{orders}");
    let orders = orders["data"].as_array().expect("orders");
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["external_id"], "web-9");
    assert_eq!(orders[0]["total"], "176.50");
    assert_eq!(orders[0]["currency"], "CNY");
    assert_eq!(orders[0]["status"], "paid");
    assert_eq!(orders[0]["items"][0]["sku"], "S1");
    app.stop().await;
}
