//! SMS through an HTTP gateway and signed webhooks, with faults: a gateway answering 503 is
//! retried after its back-off, quiet hours defer an SMS to the morning, an opt-out reply
//! withdraws consent; a webhook's signature verifies and a lost one can be replayed; the
//! in-app inbox is read over the API. Time is a manual clock.

use super::count;
use super::receiver::Receiver;
use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use guanxi_domain::ShopTimeZone;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

pub(super) fn shanghai(at: &str) -> i64 {
    guanxi_domain::time::parse_timestamp(at, ShopTimeZone::CHINA).expect("time")
}

pub(super) async fn customer_with_phone(
    app: &TestApp,
    order: &str,
    phone: &str,
    name: &str,
) -> i64 {
    let (status, body) = app
        .post("/api/v1/orders", &json!({"source": "api", "external_id": order, "status": "paid", "currency": "CNY", "total": "50.00",
            "created_at": chrono::Utc::now().to_rfc3339(), "customer": {"phone": phone, "name": name}, "items": []}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    app.customer_by(&format!("phone:{phone}")).await["id"]
        .as_i64()
        .expect("id")
}

pub(super) async fn campaign(app: &TestApp, channel: &str, template: &str) -> i64 {
    let (status, created) = app
        .post("/api/v1/campaigns", &json!({"name": template, "channel": channel, "spec": {"audience": {"segments": ["phones"]}, "variants": [{"key": "a", "template": template}]}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    let (status, launched) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{launched}");
    id
}

pub(super) async fn counts(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/campaigns/{id}/results")).await.1["counts"].clone()
}

#[tokio::test]
async fn sms_and_webhooks_survive_faults_respect_quiet_hours_and_replies() {
    // The gateway fails its first answer; the webhook receiver fails its first too.
    let gateway = Receiver::start(1).await;
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.sms_gateway_url = Some(gateway.url("/sms"));
        c.sms_gateway_headers = Some(SecretString::from(r#"{"X-Api-Key": "k-123"}"#.to_owned()));
        c.sms_reply_token = Some(SecretString::from("reply-token".to_owned()));
        c.webhook_url = Some(gateway.url("/hook"));
        c.webhook_secret = Some(SecretString::from("hook-secret".to_owned()));
    })
    .await;
    let li = customer_with_phone(&app, "p-1", "13812345678", "李雷").await;
    let han = customer_with_phone(&app, "p-2", "13912345678", "韩梅梅").await;
    for id in [li, han] {
        super::subscribe(&app, id, "sms").await;
    }
    super::segment_of(&app, "phones", "identity phone", 2).await;
    for (key, channel, text) in [
        ("sale", "sms", "{{ name }}，冬季新品上市"),
        ("hook", "webhook", "order follow-up for {{ customer_id }}"),
        ("note", "in_app", "欢迎回来"),
    ] {
        let (status, body) = app
            .post("/api/v1/templates", &json!({"key": key, "name": key, "channel": channel, "content": {"languages": {"zh-CN": {"subject": "通知", "text": text}}}}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }

    // SMS: the first answer is a 503, so one of the two waits out its back-off.
    let sms = campaign(&app, "sms", "sale").await;
    app.drain_deliveries().await;
    assert_eq!(gateway.requests("/sms").len(), 2, "both tried once");
    assert_eq!(count(&counts(&app, sms).await, "sent"), 1);
    app.drain_deliveries().await;
    assert_eq!(
        gateway.requests("/sms").len(),
        2,
        "nothing is retried before its back-off"
    );
    clock.advance(31_000);
    app.drain_deliveries().await;
    let sent = gateway.requests("/sms");
    assert_eq!(sent.len(), 3, "the failed one was retried once");
    assert_eq!(count(&counts(&app, sms).await, "sent"), 2);
    assert_eq!(
        sent[2]
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok()),
        Some("k-123")
    );
    let body: Value = serde_json::from_str(&sent[2].body).expect("JSON body");
    assert!(
        body["text"]
            .as_str()
            .expect("text")
            .ends_with("冬季新品上市 回T退订"),
        "{body}"
    );
    assert!(
        body["to"].as_str().expect("to").starts_with("+86"),
        "{body}"
    );

    // Quiet hours: at 22:00 an SMS waits for 08:00; it is not dropped.
    let evening = shanghai("2026-12-08 22:00:00");
    clock.advance(evening - clock.now());
    let (status, body) = app.post("/api/v1/templates", &json!({"key": "late", "name": "late", "channel": "sms", "content": {"languages": {"zh-CN": {"text": "晚安"}}}})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let late = campaign(&app, "sms", "late").await;
    app.drain_deliveries().await;
    assert_eq!(gateway.requests("/sms").len(), 3, "nothing goes at night");
    assert_eq!(count(&counts(&app, late).await, "queued"), 2);
    clock.advance(shanghai("2026-12-09 08:00:00") - clock.now());
    app.drain_deliveries().await;
    assert_eq!(gateway.requests("/sms").len(), 5, "both go in the morning");

    // An opt-out reply withdraws SMS consent.
    let reply = app
        .http
        .post(app.url("/webhooks/sms/replies"))
        .header("X-Guanxi-Token", "reply-token")
        .json(&json!({"phone_number": "13812345678", "content": "T"}))
        .send()
        .await
        .expect("reply");
    assert_eq!(reply.status(), StatusCode::OK);
    let forged = app
        .http
        .post(app.url("/webhooks/sms/replies"))
        .header("X-Guanxi-Token", "guess")
        .json(&json!({"phone": "13912345678", "text": "T"}))
        .send()
        .await
        .expect("reply");
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    let (_, consent) = app.get(&format!("/api/v1/customers/{li}/consent")).await;
    let sms_consent = consent
        .as_array()
        .expect("channels")
        .iter()
        .find(|c| c["channel"] == "sms")
        .expect("sms")
        .clone();
    assert_eq!(
        (
            sms_consent["status"].as_str(),
            sms_consent["source"].as_str()
        ),
        (Some("unsubscribed"), Some("sms_reply"))
    );

    // Webhooks: signed over timestamp and body; the first answer fails and is retried.
    gateway.fail_next(1);
    let hook = campaign(&app, "webhook", "hook").await;
    app.drain_deliveries().await;
    clock.advance(31_000);
    app.drain_deliveries().await;
    let hooks = gateway.requests("/hook");
    assert_eq!(hooks.len(), 3, "two deliveries, one retried: {hooks:?}");
    assert_eq!(count(&counts(&app, hook).await, "sent"), 2);
    for request in &hooks {
        let signature = request
            .headers
            .get("x-guanxi-signature")
            .and_then(|v| v.to_str().ok())
            .expect("signed");
        let timestamp: i64 = signature
            .split(',')
            .next()
            .and_then(|t| t.strip_prefix("t="))
            .and_then(|t| t.parse().ok())
            .expect("timestamp");
        assert_eq!(
            signature,
            guanxi_app::messaging::channels::signature("hook-secret", timestamp, &request.body)
        );
        assert!(request.headers.get("x-guanxi-delivery").is_some());
    }
    // Replaying one sends it again, once.
    let replayed: Value = serde_json::from_str(&hooks[2].body).expect("JSON");
    let (status, _) = app
        .post(
            &format!("/api/v1/deliveries/{}/replay", replayed["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    app.drain_deliveries().await;
    assert_eq!(gateway.requests("/hook").len(), 4);

    // In-app messages land in the inbox the shop's app reads.
    super::subscribe(&app, han, "in_app").await;
    campaign(&app, "in_app", "note").await;
    app.drain_deliveries().await;
    let (status, inbox) = app.get(&format!("/api/v1/customers/{han}/inbox")).await;
    assert_eq!(status, StatusCode::OK, "{inbox}");
    assert_eq!(
        (inbox["unread"].as_u64(), inbox["data"][0]["text"].as_str()),
        (Some(1), Some("欢迎回来"))
    );
    let message = inbox["data"][0]["id"].as_i64().expect("id");
    let (status, _) = app
        .post(
            &format!("/api/v1/customers/{han}/inbox/{message}/read"),
            &json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{han}/inbox")).await.1["unread"],
        0
    );
    app.stop().await;
}
