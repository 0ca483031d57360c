//! Journeys on the calendar, on a manual clock: a birthday starts a journey two days ahead at
//! nine, once, whose steps send an in-app greeting and call the shop's own webhook (signed);
//! a weekly schedule takes a segment in, and a `wait_until_date` step wakes on the first
//! order's anniversary, or takes the other path for a customer with none.

use super::receiver::Receiver;
use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use guanxi_domain::ShopTimeZone;
use guanxi_domain::time::parse_timestamp;
use guanxi_store::{CustomerStore, JourneyStore};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

fn at(local: &str) -> i64 {
    parse_timestamp(local, ShopTimeZone::CHINA).expect("time")
}

async fn customer(app: &TestApp, user: &str, traits: Value) -> i64 {
    let (status, body) = app
        .segment("/v1/identify", &json!({"userId": user, "traits": traits}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.customer_by(&format!("user_id:web:{user}")).await["id"]
        .as_i64()
        .expect("id")
}

async fn journey(app: &TestApp, key: &str, definition: Value) -> i64 {
    let (status, body) = app
        .post(
            "/api/v1/journeys",
            &json!({"key": key, "name": key, "definition": definition}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().expect("id");
    let (status, body) = app
        .post(
            &format!("/api/v1/journeys/{id}/status"),
            &json!({"status": "active"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    id
}

/// Customers who reached `step` of `journey`, in every version.
async fn reached(app: &TestApp, journey: i64, step: &str) -> i64 {
    app.store
        .step_counts(journey)
        .await
        .expect("counts")
        .iter()
        .filter(|c| c.step == step)
        .map(|c| c.entered)
        .sum()
}

async fn inbox(app: &TestApp, id: i64) -> usize {
    app.get(&format!("/api/v1/customers/{id}/inbox")).await.1["data"]
        .as_array()
        .map_or(0, Vec::len)
}

#[tokio::test]
async fn a_birthday_starts_its_journey_once_two_days_ahead_and_calls_the_webhook() {
    let hooks = Receiver::start(0).await;
    let clock = Clock::manual(at("2026-12-08 08:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.webhook_secret = Some(SecretString::from("s3cret".to_owned()));
        c.webhook_hosts = "127.0.0.1".into();
    })
    .await;
    let li = customer(
        &app,
        "u-li",
        json!({"name": "李雷", "birthday": "1990-12-10"}),
    )
    .await;
    let han = customer(&app, "u-han", json!({"birthday": "12-11"})).await;
    let zhao = customer(&app, "u-zhao", json!({"name": "赵"})).await;
    for id in [li, han, zhao] {
        super::subscribe(&app, id, "in_app").await;
    }
    let (status, body) = app.post("/api/v1/templates", &json!({"key": "bday", "name": "Birthday", "channel": "in_app",
        "content": {"languages": {"zh-CN": {"text": "生日快乐，{{ first_name }}"}}, "defaults": {"first_name": "朋友"}}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A step may not call just any address the server can reach.
    let (status, body) = app
        .post(
            "/api/v1/journeys",
            &json!({"key": "probe", "name": "probe", "definition": {
                "trigger": {"date": {"attribute": "birthday"}}, "start": "crm",
                "steps": [{"id": "crm", "type": "webhook", "url": "http://169.254.169.254/latest/meta-data", "next": "done"},
                          {"id": "done", "type": "exit"}]}}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("steps[0].url")),
        "{body}"
    );
    let hook = hooks.url("/hooks/birthday");
    let id = journey(
        &app,
        "birthday",
        json!({
            "trigger": {"date": {"attribute": "birthday", "days_before": 2, "time": "09:00"}},
            "reentry": "always",
            "start": "greet",
            "steps": [
                {"id": "greet", "type": "send", "channel": "in_app", "template": "bday", "next": "crm"},
                {"id": "crm", "type": "webhook", "url": hook, "next": "done"},
                {"id": "done", "type": "exit"}
            ]
        }),
    )
    .await;

    // Before nine nobody starts; at nine Li (two days before 10 December) does.
    app.tick_journeys().await;
    assert_eq!(reached(&app, id, "greet").await, 0);
    clock.advance(HOUR);
    app.tick_journeys().await;
    app.drain_deliveries().await;
    assert_eq!(reached(&app, id, "greet").await, 1);
    assert_eq!((inbox(&app, li).await, inbox(&app, han).await), (1, 0));
    let calls = hooks.requests("/hooks/birthday");
    assert_eq!(calls.len(), 1, "one call");
    let call = &calls[0];
    let body: Value = serde_json::from_str(&call.body).expect("JSON");
    assert_eq!(body["customer_id"], li);
    assert!(
        body["origin"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!("journey:{id}:1:crm:"))
    );
    let signature = call.headers["x-guanxi-signature"].to_str().expect("header");
    let timestamp: i64 = signature
        .split(',')
        .next()
        .and_then(|t| t.strip_prefix("t="))
        .and_then(|t| t.parse().ok())
        .expect("timestamp");
    assert_eq!(
        signature,
        guanxi_app::messaging::channels::signature("s3cret", timestamp, &call.body)
    );

    // Later the same day: nothing more, even after a server lost the day it fired.
    clock.advance(3 * HOUR);
    app.tick_journeys().await;
    app.store
        .save_cursor(&format!("journey_calendar:{id}"), 0)
        .await
        .expect("forget the day");
    app.tick_journeys().await;
    app.drain_deliveries().await;
    assert_eq!(reached(&app, id, "greet").await, 1, "fired once today");
    assert_eq!(inbox(&app, li).await, 1);

    // The next morning it is Han's turn (his birthday has no year).
    clock.advance(21 * HOUR);
    app.tick_journeys().await;
    app.drain_deliveries().await;
    assert_eq!(reached(&app, id, "greet").await, 2);
    assert_eq!(
        (
            inbox(&app, li).await,
            inbox(&app, han).await,
            inbox(&app, zhao).await
        ),
        (1, 1, 0)
    );
    assert_eq!(hooks.requests("/hooks/birthday").len(), 2);
}

#[tokio::test]
async fn a_weekly_schedule_enters_a_segment_and_waits_for_the_first_orders_anniversary() {
    // 2026-12-07 is a Monday.
    let clock = Clock::manual(at("2026-12-07 11:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let li = customer(&app, "u-li", json!({"email": "li@example.com"})).await;
    let han = customer(&app, "u-han", json!({"email": "han@example.com"})).await;
    let (status, body) = app.post("/api/v1/orders", &json!({"source": "api", "external_id": "o-1", "status": "paid", "currency": "CNY",
        "total": "30.00", "created_at": "2025-12-20T12:00:00+08:00", "customer": {"email": "li@example.com"}, "items": []})).await;
    assert!(status.is_success(), "{body}");
    for id in [li, han] {
        let (status, body) = app
            .patch(
                &format!("/api/v1/customers/{id}"),
                &json!({"add_tags": ["club"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    super::segment_of(&app, "club", "tag \"club\"", 2).await;
    let id = journey(
        &app,
        "anniversary",
        json!({
            "trigger": {"schedule": {"segment": "club", "time": "10:00", "weekdays": [2]}},
            "start": "wait",
            "steps": [
                {"id": "wait", "type": "wait_until_date", "attribute": "first_order", "time": "09:00",
                 "next": "thanks", "missing": "invite"},
                {"id": "thanks", "type": "tag", "add": ["anniversary"], "next": "done"},
                {"id": "invite", "type": "tag", "add": ["never-ordered"], "next": "done"},
                {"id": "done", "type": "exit"}
            ]
        }),
    )
    .await;
    let tags = |customer: i64| {
        let store = app.store.clone();
        async move {
            store
                .customer_tags(guanxi_domain::CustomerId(customer))
                .await
                .expect("tags")
        }
    };

    app.tick_journeys().await;
    assert_eq!(reached(&app, id, "wait").await, 0, "not on a Monday");
    clock.advance(23 * HOUR); // Tuesday 10:00
    app.tick_journeys().await;
    assert_eq!(reached(&app, id, "wait").await, 2);
    assert!(
        tags(han).await.contains(&"never-ordered".to_owned()),
        "no first order: the other path"
    );
    assert!(
        !tags(li).await.contains(&"anniversary".to_owned()),
        "Li waits for 20 December"
    );

    // A week later the schedule runs again; nobody enters twice (re-entry: never).
    clock.advance(7 * 24 * HOUR);
    app.tick_journeys().await;
    assert_eq!(reached(&app, id, "wait").await, 2);
    clock.advance(4 * 24 * HOUR + 23 * HOUR); // Sunday 20 December, 09:00
    app.tick_journeys().await;
    assert!(
        tags(li).await.contains(&"anniversary".to_owned()),
        "woke on the day"
    );
}
