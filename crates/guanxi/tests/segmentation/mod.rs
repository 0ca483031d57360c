//! Segments over the API: defined in either rule form, evaluated at once, kept current as
//! orders, events, traits and tags arrive, with entries and exits in the customer's timeline;
//! previews, member lists and CSV exports; bad rules refused naming the part that is wrong;
//! tags, lifecycle stages and recommendations.

mod conditions;
mod lifecycle;
mod membership;
mod recommendations;
mod tags;

use crate::helpers::{TestApp, split};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub(super) async fn customer(app: &TestApp, email: &str) -> i64 {
    app.customer_by(&format!("email:{email}")).await["id"]
        .as_i64()
        .expect("customer id")
}

/// The segment keys of a customer once `ready` holds, polling with a deadline.
pub(super) async fn segments_when(
    app: &TestApp,
    id: i64,
    ready: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = app.get(&format!("/api/v1/customers/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The built-in lifecycle segments are left out: these tests follow their own.
        let keys: Vec<String> = serde_json::from_value::<Vec<String>>(body["segments"].clone())
            .expect("keys")
            .into_iter()
            .filter(|k| !k.starts_with("lifecycle-"))
            .collect();
        if ready(&keys) {
            return keys;
        }
        assert!(
            Instant::now() < deadline,
            "segments never got there: {keys:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(super) async fn create(app: &TestApp, body: Value) -> (StatusCode, Value) {
    app.post("/api/v1/segments", &body).await
}

pub(super) async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .request(method, app.url(path))
        .bearer_auth(&app.admin_key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    split(request.send().await.expect("request")).await
}

/// Posts a paid order of `lines` (SKU, category, price) for `email`, `days_ago` days ago.
pub(super) async fn order_of(
    app: &TestApp,
    id: &str,
    email: &str,
    days_ago: i64,
    lines: &[(&str, &str, &str)],
) {
    let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let items: Vec<Value> = lines
        .iter()
        .map(|(sku, category, price)| json!({"sku": sku, "name": sku, "category": category, "quantity": 1, "price": price}))
        .collect();
    let total: f64 = lines
        .iter()
        .map(|(_, _, p)| p.parse::<f64>().expect("price"))
        .sum();
    let (status, body) = app
        .post(
            "/api/v1/orders",
            &json!({"source": "api", "external_id": id, "status": "paid",
            "currency": "CNY", "total": format!("{total:.2}"), "created_at": at.to_rfc3339(),
            "customer": {"email": email}, "items": items}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
}
