//! Faults around sending: an SMTP server that is down is retried with back-off and then
//! dead-lettered with the reason; a sender that dies mid-send leaves its deliveries to be
//! claimed again once its lease runs out, and nothing is sent twice; a scheduled campaign
//! launches when its time comes.

use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use guanxi_domain::ShopTimeZone;
use guanxi_store::MessagingStore;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

fn shanghai(at: &str) -> i64 {
    guanxi_domain::time::parse_timestamp(at, ShopTimeZone::CHINA).expect("time")
}

/// Two customers with consent on `channel`, a segment of them and a template.
async fn audience(app: &TestApp, channel: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    for (i, email) in ["a@example.com", "b@example.com"].iter().enumerate() {
        app.paid_order(&format!("o-{i}"), email, "10.00", 1).await;
        let id = app.customer_by(&format!("email:{email}")).await["id"]
            .as_i64()
            .expect("id");
        super::subscribe(app, id, channel).await;
        ids.push(id);
    }
    super::segment_of(app, "buyers", "orders >= 1", 2).await;
    let (status, body) = app.post("/api/v1/templates", &json!({"key": "t", "name": "t", "channel": channel, "content": {"languages": {"en": {"subject": "Hi", "text": "Hello"}}}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    ids
}

async fn campaign(app: &TestApp, channel: &str, send_at: Option<&str>) -> (i64, Value) {
    let mut body = json!({"name": "c", "channel": channel, "spec": {"audience": {"segments": ["buyers"]}, "variants": [{"key": "a", "template": "t"}]}});
    if let Some(at) = send_at {
        body["send_at"] = json!(at);
    }
    let (status, created) = app.post("/api/v1/campaigns", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["id"].as_i64().expect("id"), created)
}

fn count(results: &Value, status: &str) -> i64 {
    super::count(&results["counts"], status)
}

#[tokio::test]
async fn an_smtp_server_that_is_down_is_retried_then_dead_lettered() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.smtp_url = Some(SecretString::from(format!("smtp://127.0.0.1:{closed}")))
    })
    .await;
    audience(&app, "email").await;
    let (id, _) = campaign(&app, "email", None).await;
    let (status, _) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let first = app.drain_deliveries().await;
    assert_eq!((first.sent, first.retried), (0, 2));
    let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
    assert_eq!(
        count(&results, "queued"),
        2,
        "waiting for their next attempt: {results}"
    );
    // Back-off doubles from 30 s; after ten attempts the deliveries are dead, with the reason.
    for _ in 0..12 {
        clock.advance(6 * 3_600_000);
        app.drain_deliveries().await;
    }
    let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
    assert_eq!(count(&results, "dead"), 2, "{results}");
    let customer = app.customer_by("email:a@example.com").await["id"]
        .as_i64()
        .expect("id");
    let deliveries = app
        .store
        .customer_deliveries(guanxi_domain::CustomerId(customer), 10)
        .await
        .expect("deliveries");
    assert_eq!(deliveries[0].attempts, 10);
    assert!(
        deliveries[0]
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("not sent"),
        "{:?}",
        deliveries[0].last_error
    );
    app.stop().await;
}

#[tokio::test]
async fn a_sender_that_dies_mid_send_leaves_nothing_lost_and_nothing_doubled() {
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let ids = audience(&app, "in_app").await;
    let at = "2026-12-08T11:00:00+08:00";
    let (id, created) = campaign(&app, "in_app", Some(at)).await;
    assert_eq!(created["status"], "scheduled");
    assert_eq!(
        guanxi_app::messaging::campaign::launch_due(&app.messaging)
            .await
            .expect("due"),
        0,
        "not yet"
    );
    clock.advance(3_600_000);
    assert_eq!(
        guanxi_app::messaging::campaign::launch_due(&app.messaging)
            .await
            .expect("due"),
        1
    );
    assert_eq!(
        guanxi_app::messaging::campaign::launch_due(&app.messaging)
            .await
            .expect("due"),
        0,
        "launched once"
    );

    // A sender claims both deliveries and dies before sending.
    let now = clock.now();
    let claimed = app
        .store
        .claim_deliveries(now, now + 5 * 60_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 2);
    assert_eq!(
        app.drain_deliveries().await.sent,
        0,
        "another sender leaves them while the lease holds"
    );
    clock.advance(5 * 60_000);
    assert_eq!(
        app.drain_deliveries().await.sent,
        2,
        "claimed again once the lease ran out"
    );
    assert_eq!(app.drain_deliveries().await.sent, 0);
    for id in ids {
        let (_, inbox) = app.get(&format!("/api/v1/customers/{id}/inbox")).await;
        assert_eq!(
            inbox["data"].as_array().map(Vec::len),
            Some(1),
            "one message each: {inbox}"
        );
    }
    let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
    assert_eq!(count(&results, "sent"), 2, "{results}");
    app.stop().await;
}

#[tokio::test]
async fn a_suppressed_address_is_never_sent_to() {
    let gateway = super::receiver::Receiver::start(0).await;
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.sms_gateway_url = Some(gateway.url("/sms"))
    })
    .await;
    for (i, phone) in ["13700000001", "13700000002"].iter().enumerate() {
        let (status, body) = app
            .post("/api/v1/orders", &json!({"source": "api", "external_id": format!("s-{i}"), "status": "paid", "currency": "CNY",
                "total": "10.00", "created_at": "2026-12-01T10:00:00+08:00", "customer": {"phone": phone}, "items": []}))
            .await;
        assert!(status.is_success(), "{body}");
        let id = app.customer_by(&format!("phone:{phone}")).await["id"]
            .as_i64()
            .expect("id");
        super::subscribe(&app, id, "sms").await;
    }
    super::segment_of(&app, "buyers", "orders >= 1", 2).await;
    let (status, body) = app.post("/api/v1/templates", &json!({"key": "t", "name": "t", "channel": "sms", "content": {"languages": {"zh-CN": {"text": "新品"}}}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/suppressions",
            &json!({"channel": "sms", "address": "137 0000 0001", "reason": "complained"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app
        .post(
            "/api/v1/suppressions",
            &json!({"channel": "sms", "address": "not a phone"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("address")),
        "{body}"
    );
    let (status, listed) = app.get("/api/v1/suppressions?channel=sms").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (listed[0]["address"].as_str(), listed[0]["reason"].as_str()),
        (Some("+8613700000001"), Some("complained")),
        "{listed}"
    );
    let (status, _) = app
        .get_as(&app.read_key, "/api/v1/suppressions?channel=sms")
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a masked key may not list addresses"
    );

    let (id, _) = campaign(&app, "sms", None).await;
    let (status, _) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.drain_deliveries().await;
    let sent = gateway.requests("/sms");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert!(sent[0].body.contains("+8613700000002"));
    let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
    assert_eq!(
        (count(&results, "sent"), count(&results, "skipped")),
        (1, 1),
        "{results}"
    );

    let remove = |address: &'static str| {
        let request = app
            .http
            .delete(app.url("/api/v1/suppressions"))
            .bearer_auth(&app.admin_key)
            .json(&json!({"channel": "sms", "address": address}));
        async move { request.send().await.expect("delete").status() }
    };
    assert_eq!(remove("13700000001").await, StatusCode::NO_CONTENT);
    assert_eq!(remove("13700000001").await, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_campaign_whose_queuing_stopped_is_resumed() {
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    audience(&app, "in_app").await;
    let (id, _) = campaign(&app, "in_app", None).await;
    // A launch that died after marking the campaign `queuing`, before writing its deliveries.
    app.store
        .move_campaign(id, "draft", "queuing", clock.now())
        .await
        .expect("move");
    let due = || guanxi_app::messaging::campaign::launch_due(&app.messaging);
    assert_eq!(
        due().await.expect("due"),
        0,
        "not stalled yet: it may still be running"
    );
    clock.advance(11 * 60_000);
    assert_eq!(due().await.expect("due"), 1, "resumed");
    assert_eq!(due().await.expect("due"), 0, "once");
    let (_, created) = app.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(created["status"], "sending", "{created}");
    assert_eq!(app.drain_deliveries().await.sent, 2);
    app.stop().await;
}
