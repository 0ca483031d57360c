//! A campaign to a segment reaches, over real SMTP, exactly the customers who consented, once;
//! its one-click unsubscribe link withdraws consent and lands in the timeline.

use super::count;
use super::smtp_sink::SmtpSink;
use crate::helpers::TestApp;
use guanxi_store::AuditStore;
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::json;
use std::time::{Duration, Instant};

async fn id_of(app: &TestApp, email: &str) -> i64 {
    app.customer_by(&format!("email:{email}")).await["id"]
        .as_i64()
        .expect("customer id")
}

#[tokio::test]
async fn a_campaign_reaches_consenting_customers_once_and_its_link_unsubscribes() {
    let sink = match SmtpSink::start().await {
        Ok(sink) => sink,
        Err(why) => {
            eprintln!("skipped: no SMTP server for the messaging tests: {why}");
            return;
        }
    };
    let app =
        TestApp::spawn_with_config(|c| c.smtp_url = Some(SecretString::from(sink.url.clone())))
            .await;
    for (i, email) in ["li@example.com", "wang@example.com", "zhao@example.com"]
        .iter()
        .enumerate()
    {
        app.paid_order(&format!("o-{i}"), email, "88.00", 3).await;
    }
    let (li, wang, zhao) = (
        id_of(&app, "li@example.com").await,
        id_of(&app, "wang@example.com").await,
        id_of(&app, "zhao@example.com").await,
    );
    for id in [li, wang] {
        super::subscribe(&app, id, "email").await;
    }
    // Wang reads English: the template's English parts are his.
    let (status, body) = app
        .patch(
            &format!("/api/v1/customers/{wang}"),
            &json!({"traits": {"language": "en"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, consent) = app.get(&format!("/api/v1/customers/{zhao}/consent")).await;
    assert_eq!(consent[0]["status"], "unknown", "{consent}");

    // A template with a syntax error is refused, naming the part, line and column.
    let mut template = json!({
        "key": "thanks", "name": "Thank you", "channel": "email",
        "content": {
            "languages": {
                "zh-CN": {"subject": "谢谢{{ name }}", "text": "{{ name }}，谢谢惠顾。"},
                "en": {"subject": "Thanks {{ name }}", "html": "<p>Hi {{ name }}, <a href=\"https://shop.example/new\">new arrivals</a></p>", "text": "Hi {{ name }}\n{% if x %}"}
            },
            "defaults": {"name": "friend"}
        }
    });
    let (status, body) = app.post("/api/v1/templates", &template).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "content.languages.en.text");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("line 2"),
        "{body}"
    );
    template["content"]["languages"]["en"]["text"] =
        json!("Hi {{ name }}, new arrivals: https://shop.example/new");
    let (status, body) = app.post("/api/v1/templates", &template).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, preview) = app
        .get(&format!("/api/v1/templates/{}/preview", body["id"]))
        .await;
    assert!(
        preview
            .as_array()
            .expect("languages")
            .iter()
            .any(|p| p["subject"] == "Thanks friend"),
        "{preview}"
    );

    super::segment_of(&app, "buyers", "orders >= 1", 3).await;

    // An unknown segment is refused, naming it.
    let mut campaign = json!({"name": "Thanks", "channel": "email", "spec": {"audience": {"segments": ["buyers", "nobody"]}, "variants": [{"key": "a", "template": "thanks"}]}});
    let (status, body) = app.post("/api/v1/campaigns", &campaign).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "spec.audience.segments[1]");
    campaign["spec"]["audience"]["segments"] = json!(["buyers"]);
    let (status, created) = app.post("/api/v1/campaigns", &campaign).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    let (status, launched) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{launched}");
    assert_eq!(
        launched,
        json!({"audience": 3, "queued": 2, "holdout": 0, "skipped": 1})
    );
    let (status, _) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a campaign launches once");

    let mail = sink.wait_for(2).await;
    let mut to: Vec<String> = mail.iter().filter_map(|m| m.header("To")).collect();
    to.sort();
    assert_eq!(to, ["li@example.com", "wang@example.com"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let results = loop {
        let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
        if count(&results["counts"], "sent") == 2 {
            break results;
        }
        assert!(
            Instant::now() < deadline,
            "never recorded as sent: {results}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(count(&results["counts"], "skipped"), 1, "{results}");
    assert_eq!(sink.received().len(), 2, "nothing is sent twice");

    // Wang clicks the link in the HTML part, then orders: the order is the campaign's.
    let to_wang = mail
        .iter()
        .find(|m| m.header("To").as_deref() == Some("wang@example.com"))
        .expect("wang's mail");
    let html = to_wang
        .raw
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let token = html
        .split("/m/c/")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .expect("a tracked link");
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let click = no_redirects
        .get(app.url(&format!("/m/c/{token}")))
        .send()
        .await
        .expect("click");
    assert!(click.status().is_redirection(), "{}", click.status());
    assert_eq!(click.headers()["location"], "https://shop.example/new");
    app.paid_order("after-click", "wang@example.com", "99.00", 0)
        .await;
    let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
    let variant = &results["variants"][0];
    assert_eq!(
        (
            variant["clicked"].as_u64(),
            variant["orders"].as_u64(),
            variant["revenue"].as_str()
        ),
        (Some(1), Some(1), Some("99.00")),
        "{results}"
    );
    assert_eq!(results["revenue"], "99.00");

    let to_li = mail
        .iter()
        .find(|m| m.header("To").as_deref() == Some("li@example.com"))
        .expect("li's mail");
    assert_eq!(
        to_li.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = to_li
        .header("List-Unsubscribe")
        .expect("unsubscribe header");
    let path = unsubscribe
        .split("/m/u/")
        .nth(1)
        .and_then(|t| t.strip_suffix('>'))
        .map(|t| format!("/m/u/{t}"))
        .expect("link");
    let forged = app
        .http
        .post(app.url("/m/u/bm90.aGluZw"))
        .send()
        .await
        .expect("request");
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    let page = app.http.get(app.url(&path)).send().await.expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.expect("page").contains("退订"),
        "the page speaks Chinese"
    );
    let (_, before) = app.get(&format!("/api/v1/customers/{li}/consent")).await;
    assert_eq!(
        before[0]["status"], "subscribed",
        "showing the page changes nothing"
    );
    let done = app
        .http
        .post(app.url(&path))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("request");
    assert_eq!(done.status(), StatusCode::OK);
    let (_, after) = app.get(&format!("/api/v1/customers/{li}/consent")).await;
    assert_eq!(
        (after[0]["status"].as_str(), after[0]["source"].as_str()),
        (Some("unsubscribed"), Some("unsubscribe_link")),
        "{after}"
    );
    let (_, results) = app.get(&format!("/api/v1/campaigns/{id}/results")).await;
    assert_eq!(count(&results["counts"], "unsubscribed"), 1, "{results}");
    let (_, events) = app.get(&format!("/api/v1/customers/{li}/events")).await;
    let names: Vec<&str> = events["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str().or(e["name"].as_str()))
        .collect();
    assert!(
        names.contains(&"Message Sent") && names.contains(&"Unsubscribed"),
        "{names:?}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_template_test_goes_once_to_the_address_typed_marked_as_a_test() {
    let sink = match SmtpSink::start().await {
        Ok(sink) => sink,
        Err(why) => {
            eprintln!("skipped: no SMTP server for the messaging tests: {why}");
            return;
        }
    };
    let app =
        TestApp::spawn_with_config(|c| c.smtp_url = Some(SecretString::from(sink.url.clone())))
            .await;
    let (status, body) = app
        .post("/api/v1/templates", &json!({"key": "news", "name": "News", "channel": "email",
            "content": {"languages": {"zh-CN": {"subject": "{{ name }}，新品", "text": "新品上市"},
                "en": {"subject": "New in, {{ name }}", "text": "New arrivals"}}, "defaults": {"name": "friend"}}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().expect("id");
    let test = format!("/api/v1/templates/{id}/test");
    let (status, body) = app.post(&test, &json!({"to": "not an address"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "to", "{body}");
    let (status, body) = app
        .post(&test, &json!({"to": "QA@Example.com", "language": "en"}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let mail = sink.wait_for(1).await;
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].header("To").as_deref(), Some("qa@example.com"));
    // "[测试 Test] …", its Chinese part encoded as RFC 2047 asks.
    let subject = mail[0].header("Subject").unwrap_or_default();
    assert!(subject.ends_with("Test] New in, friend"), "{subject}");
    assert!(subject.contains("W+a1i+ivlQ=="), "{subject}");
    let audit = app
        .store
        .audit_entries(&guanxi_store::AuditQuery {
            action: Some("template.test_send".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .expect("audit");
    assert_eq!(audit.len(), 1, "the test is audited");
    assert_eq!(
        audit[0].detail["to"], "q***@example.com",
        "the address masked: {:?}",
        audit[0].detail
    );

    // A suppressed address gets no test either.
    let (status, body) = app
        .post(
            "/api/v1/suppressions",
            &json!({"channel": "email", "address": "qa@example.com", "reason": "bounced"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.post(&test, &json!({"to": "qa@example.com"})).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("to")),
        "{body}"
    );
    assert_eq!(sink.received().len(), 1, "nothing more went");
}
