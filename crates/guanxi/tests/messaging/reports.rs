//! Delivery reports pushed by the SMS gateway (and e-mail relays): a delivered text counts as
//! delivered, a hard bounce suppresses the number, a complaint withdraws consent; repeats and
//! forged tokens change nothing.

use super::channels::{campaign, counts, customer_with_phone, shanghai};
use super::count;
use super::receiver::Receiver;
use crate::helpers::TestApp;
use guanxi_app::messaging::Clock;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

#[tokio::test]
async fn gateway_reports_mark_delivered_suppress_bounces_and_honour_complaints() {
    let gateway = Receiver::start(0).await;
    let clock = Clock::manual(shanghai("2026-12-08 10:00:00"));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        c.sms_gateway_url = Some(gateway.url("/sms"));
        c.sms_gateway_body =
            r#"{"to": {{ phone|tojson }}, "text": {{ text|tojson }}, "ref": {{ delivery_id }}}"#
                .into();
        c.report_token = Some(SecretString::from("report-token".to_owned()));
    })
    .await;
    let li = customer_with_phone(&app, "p-1", "13812345678", "李雷").await;
    let han = customer_with_phone(&app, "p-2", "13912345678", "韩梅梅").await;
    for id in [li, han] {
        super::subscribe(&app, id, "sms").await;
    }
    super::segment_of(&app, "phones", "identity phone", 2).await;
    let (status, body) = app
        .post("/api/v1/templates", &json!({"key": "sale", "name": "sale", "channel": "sms", "content": {"languages": {"zh-CN": {"text": "冬季新品上市"}}}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let sms = campaign(&app, "sms", "sale").await;
    app.drain_deliveries().await;
    let refs: Vec<(String, i64)> = gateway
        .requests("/sms")
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_str(&r.body).expect("JSON");
            (
                body["to"].as_str().unwrap_or_default().to_owned(),
                body["ref"].as_i64().expect("ref"),
            )
        })
        .collect();
    let ref_of = |phone: &str| {
        refs.iter()
            .find(|(p, _)| p.ends_with(phone))
            .expect(phone)
            .1
    };
    let report = |token: &str, body: Value| {
        let request = app
            .http
            .post(app.url("/webhooks/deliveries"))
            .header("X-Guanxi-Token", token.to_owned())
            .json(&body);
        async move {
            let response = request.send().await.expect("report");
            let status = response.status();
            (status, response.json::<Value>().await.unwrap_or_default())
        }
    };

    let (status, _) = report(
        "guess",
        json!({"delivery_id": ref_of("12345678"), "status": "delivered"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, answer) = report(
        "report-token",
        json!([
            {"delivery_id": ref_of("13812345678"), "status": "delivered"},
            {"delivery_id": ref_of("13912345678"), "status": "bounced", "reason": "号码不存在"},
            {"delivery_id": 999999, "status": "delivered"},
            {"status": "delivered"}
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        (
            answer["applied"].as_i64(),
            answer["unchanged"].as_i64(),
            answer["unreadable"].as_i64()
        ),
        (Some(2), Some(1), Some(1)),
        "{answer}"
    );
    let now = counts(&app, sms).await;
    assert_eq!(
        (count(&now, "delivered"), count(&now, "bounced")),
        (1, 1),
        "{now}"
    );
    let (_, suppressed) = app.get("/api/v1/suppressions?channel=sms").await;
    let listed: Vec<&str> = suppressed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["address"].as_str())
        .collect();
    assert_eq!(listed, ["+8613912345678"], "the bounced number only");

    // A repeat changes nothing; a complaint withdraws Li's consent.
    let (_, answer) = report(
        "report-token",
        json!({"delivery_id": ref_of("13812345678"), "status": "delivered"}),
    )
    .await;
    assert_eq!(answer["unchanged"], 1, "{answer}");
    let (_, answer) = report(
        "report-token",
        json!({"delivery_id": ref_of("13812345678"), "status": "spam"}),
    )
    .await;
    assert_eq!(answer["applied"], 1, "{answer}");
    let (_, consent) = app.get(&format!("/api/v1/customers/{li}/consent")).await;
    let sms_consent = consent
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["channel"] == "sms"))
        .expect("sms");
    assert_eq!(sms_consent["status"], "unsubscribed", "{consent}");
    let (_, timeline) = app.get(&format!("/api/v1/customers/{han}/events")).await;
    assert!(
        timeline.to_string().contains("Message Bounced"),
        "{timeline}"
    );
}
