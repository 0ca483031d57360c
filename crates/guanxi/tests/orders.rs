//! The orders API: `POST /api/v1/orders` upserts by source + external id, refunds are recorded
//! once and reduce what the customer spent, and bad input is refused naming the field.

use crate::helpers::{TestApp, split};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn order(external_id: &str, status: &str, total: &str) -> Value {
    json!({
        "source": "api", "external_id": external_id, "status": status, "currency": "CNY",
        "total": total, "created_at": "2026-10-01T10:00:00Z",
        "customer": {"email": "buyer@example.com", "phone": "13812345678", "name": "Test Buyer", "user_id": "b-1"},
        "items": [{"sku": "S1", "name": "Scarf", "category": "silk", "quantity": 1, "price": total}]
    })
}

/// Posts an order and returns the answer, asserting the status code.
async fn post_order(app: &TestApp, body: &Value, expected: StatusCode) -> Value {
    let (status, answer) = app.post("/api/v1/orders", body).await;
    assert_eq!(status, expected, "{answer}");
    answer
}

async fn stats(app: &TestApp) -> Value {
    app.customer_by("email:buyer@example.com").await["stats"].clone()
}

/// Posts `body` and asserts a 400 naming `field`.
async fn assert_refused(app: &TestApp, path: &str, body: &Value, field: &str) {
    let (status, answer) = app.post(path, body).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {answer}");
    assert_eq!(answer["error"]["code"], "invalid", "{answer}");
    assert_eq!(answer["error"]["field"], field, "{answer}");
}

#[tokio::test]
async fn an_order_is_created_then_unchanged_then_updated() {
    let app = TestApp::spawn().await;
    let body = order("o-1", "paid", "88.00");
    let created = post_order(&app, &body, StatusCode::CREATED).await;
    assert_eq!(created["result"], "created");
    assert_eq!(created["order"]["total"], "88.00");
    assert_eq!(created["order"]["items"][0]["name"], "Scarf");
    let id = created["order"]["id"].as_i64().expect("order id");

    let again = post_order(&app, &body, StatusCode::OK).await;
    assert_eq!(again["result"], "unchanged");
    assert_eq!(again["order"]["id"], id);

    let shipped = post_order(&app, &order("o-1", "shipped", "88.00"), StatusCode::OK).await;
    assert_eq!(shipped["result"], "updated");
    assert_eq!(shipped["order"]["id"], id);
    assert_eq!(shipped["order"]["status"], "shipped");

    let (status, fetched) = app.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["status"], "shipped");

    // The customer is found by every identifier the order named.
    let profile = app.customer_by("email:buyer@example.com").await;
    let customer = profile["id"].clone();
    assert_eq!(created["order"]["customer_id"], customer);
    for identity in ["phone:13812345678", "user_id:api:b-1"] {
        assert_eq!(
            app.customer_by(identity).await["id"],
            customer,
            "{identity}"
        );
    }
    assert_eq!(profile["traits"]["name"], "Test Buyer");
    assert_eq!(profile["stats"]["orders_count"], 1);
    assert_eq!(profile["stats"]["total_spent"], "88.00");
    let (_, orders) = app
        .get(&format!("/api/v1/customers/{customer}/orders"))
        .await;
    assert_eq!(orders["data"].as_array().map(Vec::len), Some(1), "{orders}");
    app.stop().await;
}

#[tokio::test]
async fn cancelled_and_closed_orders_do_not_count() {
    let app = TestApp::spawn().await;
    post_order(&app, &order("o-1", "paid", "100.00"), StatusCode::CREATED).await;
    post_order(
        &app,
        &order("o-2", "completed", "50.00"),
        StatusCode::CREATED,
    )
    .await;
    post_order(
        &app,
        &order("o-3", "cancelled", "30.00"),
        StatusCode::CREATED,
    )
    .await;
    post_order(&app, &order("o-4", "closed", "20.00"), StatusCode::CREATED).await;
    let s = stats(&app).await;
    assert_eq!(s["orders_count"], 2, "{s}");
    assert_eq!(s["total_spent"], "150.00", "{s}");

    // Cancelling a paid order takes it out of the figures.
    post_order(&app, &order("o-2", "cancelled", "50.00"), StatusCode::OK).await;
    let s = stats(&app).await;
    assert_eq!(s["orders_count"], 1, "{s}");
    assert_eq!(s["total_spent"], "100.00", "{s}");
    app.stop().await;
}

#[tokio::test]
async fn refunds_reduce_spend_and_are_recorded_once() {
    let app = TestApp::spawn().await;
    let created = post_order(&app, &order("o-1", "paid", "88.00"), StatusCode::CREATED).await;
    let id = created["order"]["id"].as_i64().expect("order id");
    let path = format!("/api/v1/orders/{id}/refunds");
    let refund = json!({"external_id": "r-1", "amount": "10.00", "reason": "damaged"});

    let (status, first) = app.post(&path, &refund).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["order"]["refunded"], "10.00");
    assert_eq!(first["order"]["status"], "partially_refunded");
    let (status, again) = app.post(&path, &refund).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["result"], "unchanged");
    assert_eq!(
        again["order"]["refunds"].as_array().map(Vec::len),
        Some(1),
        "{again}"
    );
    assert_eq!(stats(&app).await["total_spent"], "78.00");

    // More than what is left is refused, and changes nothing.
    assert_refused(
        &app,
        &path,
        &json!({"external_id": "r-2", "amount": "78.01"}),
        "amount",
    )
    .await;
    assert_refused(
        &app,
        &path,
        &json!({"external_id": "r-2", "amount": "0.00"}),
        "amount",
    )
    .await;
    assert_refused(
        &app,
        &path,
        &json!({"external_id": "r-2", "amount": "1.001"}),
        "amount",
    )
    .await;
    assert_eq!(stats(&app).await["total_spent"], "78.00");

    // Refunding the rest leaves nothing spent, and the order counts as refunded.
    let (status, rest) = app
        .post(&path, &json!({"external_id": "r-2", "amount": "78.00"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{rest}");
    assert_eq!(rest["order"]["status"], "refunded");
    assert_eq!(stats(&app).await["total_spent"], "0.00");

    // Re-sending the order as it was does not undo its refunds.
    post_order(&app, &order("o-1", "paid", "88.00"), StatusCode::OK).await;
    let (_, fetched) = app.get(&format!("/api/v1/orders/{id}")).await;
    assert_eq!(fetched["refunded"], "88.00", "{fetched}");
    assert_eq!(stats(&app).await["total_spent"], "0.00");

    let (status, answer) = app.post("/api/v1/orders/999999/refunds", &refund).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"]["code"], "not_found");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_refunds_never_refund_more_than_the_order() {
    let app = TestApp::spawn().await;
    let created = post_order(&app, &order("o-1", "paid", "100.00"), StatusCode::CREATED).await;
    let path = format!("/api/v1/orders/{}/refunds", created["order"]["id"]);
    let a = json!({"external_id": "r-a", "amount": "60.00"});
    let b = json!({"external_id": "r-b", "amount": "60.00"});
    let ((status_a, answer_a), (status_b, answer_b)) =
        tokio::join!(app.post(&path, &a), app.post(&path, &b));

    // Whichever lands first is recorded; the other finds too little left.
    let mut statuses = [status_a, status_b];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::BAD_REQUEST],
        "{answer_a} {answer_b}"
    );
    let refused = if status_a == StatusCode::BAD_REQUEST {
        answer_a
    } else {
        answer_b
    };
    assert_eq!(refused["error"]["field"], "amount", "{refused}");
    let (_, fetched) = app
        .get(&format!("/api/v1/orders/{}", created["order"]["id"]))
        .await;
    assert_eq!(fetched["refunded"], "60.00", "{fetched}");
    assert_eq!(fetched["status"], "partially_refunded");
    assert_eq!(stats(&app).await["total_spent"], "40.00");

    // The same refund sent twice at once is recorded once, and neither copy is an error.
    let rest = json!({"external_id": "r-c", "amount": "40.00"});
    let ((first, _), (second, _)) = tokio::join!(app.post(&path, &rest), app.post(&path, &rest));
    let mut statuses = [first, second];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CREATED]);
    assert_eq!(stats(&app).await["total_spent"], "0.00");
    app.stop().await;
}

#[tokio::test]
async fn invalid_orders_name_the_field() {
    let app = TestApp::spawn().await;
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = order("o-bad", "paid", "88.00");
        change(&mut body);
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(&|b| b["source"] = json!("no-such-source")), "source"),
        (with(&|b| b["total"] = json!("8.001")), "total"),
        (with(&|b| b["total"] = json!("eighty")), "total"),
        (with(&|b| b["status"] = json!("lost")), "status"),
        (
            with(&|b| b["created_at"] = json!("yesterday")),
            "created_at",
        ),
        (
            with(&|b| b["customer"] = json!({"name": "Nobody"})),
            "customer.email",
        ),
        (
            with(&|b| b["customer"] = json!({"email": "not-an-email"})),
            "customer.email",
        ),
        (
            with(&|b| b["customer"] = json!({"phone": "12345"})),
            "customer.phone",
        ),
        (
            with(&|b| b["items"][0]["price"] = json!("1.2.3")),
            "items[0].price",
        ),
        (
            with(&|b| b["items"][0]["quantity"] = json!(0)),
            "items[0].quantity",
        ),
        (
            with(
                &|b| b["refunds"] = json!([{"external_id": "r-1", "amount": "50.00"}, {"external_id": "r-2", "amount": "38.01"}]),
            ),
            "refunds[1].amount",
        ),
    ];
    for (body, field) in &cases {
        assert_refused(&app, "/api/v1/orders", body, field).await;
    }
    for body in [
        with(&|b| b["total"] = json!(88)),
        with(&|b| b["customer"] = json!("buyer@example.com")),
        with(&|b| b["unexpected"] = json!(true)),
    ] {
        let (status, answer) = app.post("/api/v1/orders", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid_json", "{answer}");
    }
    let raw = app
        .http
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&app.admin_key)
        .body("{\"source\":");
    let (status, answer) = split(raw.send().await.expect("request")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");

    // Nothing of the refused orders was stored.
    let (status, _) = app
        .get("/api/v1/customers/lookup?email=buyer%40example.com")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/customers").await;
    assert_eq!(list["data"], json!([]), "{list}");
    app.stop().await;
}

#[tokio::test]
async fn keys_and_unknown_ids_are_checked() {
    let app = TestApp::spawn().await;
    let body = order("o-1", "paid", "88.00");
    let read_only = app
        .http
        .post(app.url("/api/v1/orders"))
        .bearer_auth(&app.read_key)
        .json(&body);
    let (status, answer) = split(read_only.send().await.expect("request")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert_eq!(answer["error"]["code"], "forbidden");
    let anonymous = app.http.post(app.url("/api/v1/orders")).json(&body);
    let (status, answer) = split(anonymous.send().await.expect("request")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    let wrong = app
        .http
        .post(app.url("/api/v1/orders"))
        .bearer_auth("not-a-key")
        .json(&body);
    let (status, _) = split(wrong.send().await.expect("request")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .get("/api/v1/customers/lookup?email=buyer%40example.com")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a refused write was stored");

    let created = post_order(&app, &body, StatusCode::CREATED).await;
    let id = created["order"]["id"].as_i64().expect("order id");
    let (status, fetched) = app
        .get_as(&app.read_key, &format!("/api/v1/orders/{id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{fetched}");
    assert_eq!(fetched["external_id"], "o-1");
    let (status, answer) = app.get("/api/v1/orders/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{answer}");
    assert_eq!(answer["error"]["code"], "not_found");
    let refund = app
        .http
        .post(app.url(&format!("/api/v1/orders/{id}/refunds")))
        .bearer_auth(&app.read_key);
    let (status, _) = split(
        refund
            .json(&json!({"external_id": "r", "amount": "1.00"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}
