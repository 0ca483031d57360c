//! When a campaign's messages go, on a manual clock: at most so many an hour, spread evenly;
//! or at the campaign's time of day on each customer's own clock (their `timezone` trait),
//! the campaign queued early enough for the clocks ahead of the shop's.

use super::channels::shanghai;
use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use guanxi_app::messaging::campaign::launch_due;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MINUTE: i64 = 60_000;

async fn shop(clock: &Clock, customers: &[(&str, Option<&str>)]) -> (TestApp, Vec<i64>) {
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let mut ids = Vec::new();
    for (user, zone) in customers {
        let traits = match zone {
            Some(zone) => json!({"timezone": zone}),
            None => json!({"plan": "basic"}),
        };
        let (status, body) = app
            .segment("/v1/identify", &json!({"userId": user, "traits": traits}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = app.customer_by(&format!("user_id:web:{user}")).await["id"]
            .as_i64()
            .expect("id");
        super::subscribe(&app, id, "in_app").await;
        ids.push(id);
    }
    super::segment_of(&app, "everyone", "orders = 0", customers.len()).await;
    let (status, body) = app
        .post(
            "/api/v1/templates",
            &json!({"key": "note", "name": "note", "channel": "in_app",
            "content": {"languages": {"zh-CN": {"text": "早上好"}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (app, ids)
}

async fn create(app: &TestApp, spec: Value, send_at: Option<&str>) -> (StatusCode, Value) {
    let mut body = json!({"name": "Morning", "channel": "in_app", "spec": spec});
    if let Some(at) = send_at {
        body["send_at"] = json!(at);
    }
    app.post("/api/v1/campaigns", &body).await
}

async fn read(app: &TestApp, ids: &[i64]) -> Vec<usize> {
    let mut counts = Vec::new();
    for id in ids {
        let (_, inbox) = app.get(&format!("/api/v1/customers/{id}/inbox")).await;
        counts.push(inbox["data"].as_array().map_or(0, Vec::len));
    }
    counts
}

#[tokio::test]
async fn a_paced_campaign_sends_at_most_its_rate_an_hour() {
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let (app, ids) = shop(
        &clock,
        &[("a", None), ("b", None), ("c", None), ("d", None)],
    )
    .await;
    let spec = json!({"audience": {"segments": ["everyone"]}, "variants": [{"key": "a", "template": "note"}]});
    let (status, body) = create(
        &app,
        json!({"per_hour": 0, "audience": spec["audience"], "variants": spec["variants"]}),
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("spec.per_hour")),
        "{body}"
    );
    let mut paced = spec.clone();
    paced["per_hour"] = json!(2);
    let (status, created) = create(&app, paced, None).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, body) = app
        .post(
            &format!("/api/v1/campaigns/{}/launch", created["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let sent = |counts: Vec<usize>| counts.iter().sum::<usize>();
    app.drain_deliveries().await;
    assert_eq!(sent(read(&app, &ids).await), 1, "the first at once");
    clock.advance(29 * MINUTE);
    app.drain_deliveries().await;
    assert_eq!(
        sent(read(&app, &ids).await),
        1,
        "the next half an hour later"
    );
    clock.advance(MINUTE);
    app.drain_deliveries().await;
    assert_eq!(sent(read(&app, &ids).await), 2);
    clock.advance(60 * MINUTE);
    app.drain_deliveries().await;
    assert_eq!(
        read(&app, &ids).await,
        [1, 1, 1, 1],
        "all within two hours, each once"
    );
}

#[tokio::test]
async fn a_local_time_campaign_reaches_each_customer_at_ten_on_their_clock() {
    let clock = Clock::manual(shanghai("2026-12-08 07:00:00"));
    let (app, ids) = shop(
        &clock,
        &[
            ("tokyo", Some("Asia/Tokyo")),
            ("shanghai", None),
            ("london", Some("Europe/London")),
        ],
    )
    .await;
    let spec = json!({"audience": {"segments": ["everyone"]}, "variants": [{"key": "a", "template": "note"}], "local_time": true});
    let (status, body) = create(&app, spec.clone(), None).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("send_at")),
        "{body}"
    );
    let (status, created) = create(&app, spec, Some("2026-12-08 10:00:00")).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    // Six hours ahead of Shanghai's ten is as early as any clock reaches ten: queued by then.
    launch_due(&app.messaging).await.expect("launch");
    app.drain_deliveries().await;
    assert_eq!(read(&app, &ids).await, [0, 0, 0]);
    clock.advance(2 * 60 * MINUTE); // 09:00 in Shanghai is 10:00 in Tokyo
    launch_due(&app.messaging).await.expect("launch");
    app.drain_deliveries().await;
    assert_eq!(read(&app, &ids).await, [1, 0, 0]);
    clock.advance(60 * MINUTE);
    app.drain_deliveries().await;
    assert_eq!(read(&app, &ids).await, [1, 1, 0]);
    clock.advance(8 * 60 * MINUTE); // 18:00 in Shanghai is 10:00 in London
    app.drain_deliveries().await;
    assert_eq!(read(&app, &ids).await, [1, 1, 1]);
}

#[tokio::test]
async fn quiet_hours_of_a_local_time_campaign_are_the_customers_own() {
    let gateway = super::receiver::Receiver::start(0).await;
    // Ten in New York is eleven at night in Shanghai, inside the shop's quiet hours.
    let clock = Clock::manual(shanghai("2026-12-08 22:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.sms_gateway_url = Some(gateway.url("/sms"));
    })
    .await;
    let (status, body) = app
        .segment("/v1/identify", &json!({"userId": "ny", "traits": {"phone": "+12125550100", "timezone": "America/New_York"}}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ny = app.customer_by("user_id:web:ny").await["id"]
        .as_i64()
        .expect("id");
    super::subscribe(&app, ny, "sms").await;
    super::segment_of(&app, "everyone", "orders = 0", 1).await;
    let (status, body) = app
        .post(
            "/api/v1/templates",
            &json!({"key": "hello", "name": "hello", "channel": "sms",
            "content": {"languages": {"en": {"text": "Good morning"}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let spec = json!({"audience": {"segments": ["everyone"]}, "variants": [{"key": "a", "template": "hello"}], "local_time": true});
    let body = json!({"name": "Morning", "channel": "sms", "spec": spec, "send_at": "2026-12-08 10:00:00"});
    let (status, created) = app.post("/api/v1/campaigns", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    launch_due(&app.messaging).await.expect("launch");
    app.drain_deliveries().await;
    assert!(
        gateway.requests("/sms").is_empty(),
        "not before ten in New York"
    );
    clock.advance(60 * MINUTE); // 23:00 in Shanghai, 10:00 in New York
    app.drain_deliveries().await;
    assert_eq!(
        gateway.requests("/sms").len(),
        1,
        "sent at ten on the customer's clock"
    );
}
