//! Engagement in the console: a marketer writes a template (a syntax error shown with its
//! line, the draft kept), previews it in both languages, builds a campaign on a segment,
//! previews and launches it once, and reads its results; a journey is drafted, drawn, started
//! and shows its live counts; consent and suppression lists are kept from the console.

use super::{Browser, signed_in};
use crate::helpers::TestApp;
use crate::messaging::{segment_of, subscribe};
use reqwest::StatusCode;
use serde_json::json;

/// The number at the end of a `Location` such as `/campaigns/7`.
fn id_in(location: &Option<String>) -> i64 {
    location
        .as_deref()
        .and_then(|l| l.rsplit('/').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location:?}"))
}

async fn post_ok(browser: &Browser, path: &str, form: &[(&str, &str)]) -> String {
    let (status, page, _) = browser.post(path, form).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    page
}

#[tokio::test]
async fn a_marketer_writes_a_template_and_launches_a_campaign_once() {
    let app = TestApp::spawn().await;
    for (i, email) in ["li@example.com", "wang@example.com"].iter().enumerate() {
        app.paid_order(&format!("o-{i}"), email, "88.00", 3).await;
        let id = app.customer_by(&format!("email:{email}")).await["id"]
            .as_i64()
            .expect("id");
        subscribe(&app, id, "in_app").await;
    }
    segment_of(&app, "buyers", "orders >= 1", 2).await;
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let (status, page, _) = marketer.get("/campaigns").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("href=\"/campaigns\""),
        "in the navigation: {page}"
    );
    let token = marketer.token("/templates").await;

    // A syntax error names the part, line and column; what was typed stays.
    let mut template = vec![
        ("csrf", token.as_str()),
        ("key", "hello"),
        ("name", "New arrivals"),
        ("channel", "in_app"),
        ("zh_cn_subject", "新品"),
        ("zh_cn_text", "{{ first_name }}，新品上市\n{% if x %}"),
        ("en_subject", "New"),
        ("en_text", "Hi {{ first_name }}, new arrivals"),
        ("defaults", "first_name = 朋友"),
    ];
    let (status, page, _) = marketer.post("/templates", &template).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("id=\"template-error\""), "{page}");
    assert!(page.contains("content.languages.zh-CN.text"), "{page}");
    assert!(page.contains("line 2"), "{page}");
    assert!(
        page.contains("Hi {{ first_name }}, new arrivals"),
        "kept: {page}"
    );

    template[5] = ("zh_cn_text", "{{ first_name }}，新品上市");
    let (status, page, location) = marketer.post("/templates", &template).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let template_id = id_in(&location);

    // The preview renders both languages with the author's default.
    let mut preview = template.clone();
    preview.push(("intent", "preview"));
    let page = post_ok(&marketer, &format!("/templates/{template_id}"), &preview).await;
    assert!(page.contains("id=\"template-preview\""), "{page}");
    assert!(page.contains("朋友，新品上市"), "{page}");
    assert!(page.contains("Hi 朋友, new arrivals"), "{page}");

    // A campaign on the segment, previewed before it goes.
    let campaign = [
        ("csrf", token.as_str()),
        ("name", "Spring launch"),
        ("channel", "in_app"),
        ("segments", "buyers"),
        ("exclude", ""),
        ("template_a", "hello"),
        ("template_b", ""),
        ("holdout_percent", "0"),
    ];
    let (status, page, _) = marketer
        .post(
            "/campaigns",
            &[&campaign[..], &[("segments", "nobody")]].concat(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(
        page.contains("spec.audience.segments[0]"),
        "names the segment: {page}"
    );
    let (status, page, location) = marketer.post("/campaigns", &campaign).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let campaign_id = id_in(&location);
    let (_, page, _) = marketer.get(&format!("/campaigns/{campaign_id}")).await;
    assert!(page.contains("data-language=\"zh-CN\""), "{page}");
    assert!(page.contains("data-language=\"en\""), "{page}");
    assert!(page.contains("id=\"launch-campaign\""), "{page}");

    let launch = format!("/campaigns/{campaign_id}/launch");
    let page = post_ok(&marketer, &launch, &[("csrf", token.as_str())]).await;
    assert!(page.contains("id=\"campaign-notice\""), "{page}");
    assert!(page.contains("2 条排队"), "{page}");
    let (status, page, _) = marketer.post(&launch, &[("csrf", token.as_str())]).await;
    assert_eq!(status, StatusCode::CONFLICT, "launched once: {page}");

    app.drain_deliveries().await;
    let (_, page, _) = marketer.get(&format!("/campaigns/{campaign_id}")).await;
    assert!(page.contains("id=\"campaign-results\""), "{page}");
    assert!(
        page.contains("data-variant=\"a\"><td>a</td><td class=\"num sent\">2<"),
        "{page}"
    );
    assert!(!page.contains("id=\"launch-campaign\""), "{page}");

    // An analyst reads it but cannot launch; a role without campaigns sees none of it.
    let analyst = signed_in(&app, "ann@shop.cn", "analyst").await;
    let (status, page, _) = analyst.get(&format!("/campaigns/{campaign_id}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(!page.contains("id=\"campaign-form\""), "{page}");
    let agent = signed_in(&app, "al@shop.cn", "service_agent").await;
    let (status, _, _) = agent.get("/campaigns").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_journey_is_drawn_started_and_counts_its_customers() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/templates",
            &json!({"key": "cart", "name": "Cart", "channel": "in_app",
                "content": {"languages": {"zh-CN": {"text": "购物车还在"}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let token = marketer.token("/journeys").await;
    let definition = json!({
        "trigger": {"event": {"name": "Checkout Started"}},
        "start": "wait",
        "steps": [
            {"id": "wait", "type": "wait", "hours": 1, "next": "remind"},
            {"id": "remind", "type": "send", "channel": "in_app", "template": "cart", "next": "done"},
            {"id": "done", "type": "exit"}
        ]
    })
    .to_string();
    let create = |definition: String| {
        let token = token.clone();
        let marketer = &marketer;
        async move {
            let form = [
                ("csrf", token.as_str()),
                ("key", "cart"),
                ("name", "Abandoned cart"),
                ("definition", definition.as_str()),
            ];
            marketer.post("/journeys", &form).await
        }
    };
    let (status, page, _) = create("{\"trigger\": ".to_owned()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("line 1, column"), "{page}");
    let (status, page, _) = create(definition.replace("\"cart\"", "\"missing\"")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("steps[1].template"), "{page}");
    let (status, page, location) = create(definition.clone()).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let id = id_in(&location);

    let path = format!("/journeys/{id}");
    let (_, page, _) = marketer.get(&path).await;
    assert!(page.contains("<svg class=\"journey-graph\""), "{page}");
    for step in ["wait", "remind", "done"] {
        assert!(
            page.contains(&format!("data-step=\"{step}\"")),
            "{step}: {page}"
        );
    }
    let (status, _, _) = marketer
        .post(
            &format!("{path}/status"),
            &[("csrf", token.as_str()), ("status", "active")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // A checkout starts a customer on it; the page counts them at the step they wait at.
    let (status, body) = app
        .segment(
            "/v1/track",
            &json!({"userId": "u-1", "event": "Checkout Started"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.tick_journeys().await;
    let (_, page, _) = marketer.get(&path).await;
    assert!(
        page.contains("id=\"journey-status\">Running") || page.contains("运行中"),
        "{page}"
    );
    assert!(
        page.contains("<tr data-step=\"wait\"><td>wait</td><td>Wait 1h</td><td class=\"num entered\">1</td><td class=\"num now\">1</td>")
            || page.contains("<td class=\"num entered\">1</td><td class=\"num now\">1</td>"),
        "{page}"
    );

    // A draft is drawn before it is published; publishing makes version 2.
    let edited = definition.replace("\"next\":\"done\"", "\"next\":\"tag\"").replace(
        "{\"id\":\"done\",\"type\":\"exit\"}",
        "{\"id\":\"tag\",\"type\":\"tag\",\"add\":[\"nudged\"],\"next\":\"done\"},{\"id\":\"done\",\"type\":\"exit\"}",
    );
    assert!(edited.contains("\"tag\""), "{edited}");
    let draft = [
        ("csrf", token.as_str()),
        ("name", "Abandoned cart"),
        ("definition", edited.as_str()),
        ("intent", "preview"),
    ];
    let page = post_ok(&marketer, &path, &draft).await;
    assert!(page.contains("id=\"draft-graph\""), "{page}");
    assert!(page.contains("data-step=\"tag\""), "{page}");
    let publish = [&draft[..3], &[("intent", "publish")]].concat();
    let (status, page, _) = marketer.post(&path, &publish).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, page, _) = marketer.get(&path).await;
    assert!(page.contains("v2"), "{page}");
    assert!(
        page.contains("id=\"earlier-versions\""),
        "the customer finishes v1: {page}"
    );
}

#[tokio::test]
async fn consent_and_suppressions_are_kept_from_the_console() {
    let app = TestApp::spawn().await;
    let id = app.contactable_customer("李娜").await;
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let path = format!("/customers/{id}");
    let (_, page, _) = marketer.get(&path).await;
    assert!(page.contains("id=\"consent\""), "{page}");
    let token = super::csrf(&page);
    let (status, _, _) = marketer
        .post(
            &format!("{path}/consent"),
            &[
                ("csrf", token.as_str()),
                ("channel", "sms"),
                ("status", "subscribed"),
                ("source", "store_visit"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, consent) = app.get(&format!("/api/v1/customers/{id}/consent")).await;
    let sms = consent
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["channel"] == "sms"))
        .expect("sms row");
    assert_eq!(sms["status"], "subscribed", "{consent}");
    let (_, page, _) = marketer.get(&path).await;
    assert!(
        page.contains("到店"),
        "the source shows, in the page's language: {page}"
    );

    // Suppressed addresses are masked for a marketer, who may still add and remove them.
    let page = post_ok(
        &marketer,
        "/suppressions",
        &[
            ("csrf", token.as_str()),
            ("channel", "email"),
            ("address", "Bounce@Example.com"),
            ("reason", "bounced"),
            ("intent", "add"),
        ],
    )
    .await;
    assert!(page.contains("id=\"suppression-notice\""), "{page}");
    assert!(!page.contains("bounce@example.com"), "masked: {page}");
    assert!(!page.contains("id=\"reveal-suppressions\""), "{page}");
    let (status, page, _) = marketer
        .post(
            "/suppressions",
            &[
                ("csrf", token.as_str()),
                ("channel", "email"),
                ("address", "not an address"),
                ("intent", "add"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("address"), "{page}");

    // The owner may reveal them, and the reveal is audited.
    let owner = signed_in(&app, "boss@shop.cn", "owner").await;
    let token = owner.token("/suppressions").await;
    let page = post_ok(
        &owner,
        "/suppressions",
        &[
            ("csrf", token.as_str()),
            ("channel", "email"),
            ("intent", "reveal"),
        ],
    )
    .await;
    assert!(page.contains("bounce@example.com"), "{page}");
    let (_, audit, _) = owner.get("/audit").await;
    assert!(audit.contains("suppression list"), "{audit}");
    let page = post_ok(
        &marketer,
        "/suppressions",
        &[
            ("csrf", marketer.token("/suppressions").await.as_str()),
            ("channel", "email"),
            ("address", "bounce@example.com"),
            ("intent", "remove"),
        ],
    )
    .await;
    assert!(page.contains("id=\"suppression-notice\""), "{page}");
    let (_, list) = app.get("/api/v1/suppressions?channel=email").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list}");
}

#[tokio::test]
async fn a_message_that_failed_is_sent_again_from_the_campaign_page() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "li@example.com", "88.00", 3).await;
    let li = app.customer_by("email:li@example.com").await["id"]
        .as_i64()
        .expect("id");
    subscribe(&app, li, "in_app").await;
    segment_of(&app, "buyers", "orders >= 1", 1).await;
    let template = json!({"key": "note", "name": "Note", "channel": "in_app",
        "content": {"languages": {"zh-CN": {"text": "新品上市"}}}});
    let (status, body) = app.post("/api/v1/templates", &template).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, created) = app
        .post("/api/v1/campaigns", &json!({"name": "News", "channel": "in_app",
            "spec": {"audience": {"segments": ["buyers"]}, "variants": [{"key": "a", "template": "note"}]}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    // The template is deleted before the message goes: it fails for good, with the reason.
    let response = app
        .http
        .delete(app.url(&format!("/api/v1/templates/{}", body["id"])))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("delete");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app
        .post(&format!("/api/v1/campaigns/{id}/launch"), &json!({}))
        .await;
    assert_eq!(status, StatusCode::OK);
    app.drain_deliveries().await;

    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let path = format!("/campaigns/{id}");
    let (_, page, _) = marketer.get(&path).await;
    assert!(page.contains("id=\"undelivered\""), "{page}");
    assert!(page.contains("its template was deleted"), "{page}");
    let delivery = page
        .split("data-delivery=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a delivery row")
        .to_owned();

    // Put right, it is sent again from the page, once.
    let (status, body) = app.post("/api/v1/templates", &template).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = super::csrf(&page);
    let (status, _, location) = marketer
        .post(
            &format!("/deliveries/{delivery}/replay"),
            &[("csrf", token.as_str()), ("back", path.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some(format!("{path}#undelivered").as_str())
    );
    app.drain_deliveries().await;
    let (_, inbox) = app.get(&format!("/api/v1/customers/{li}/inbox")).await;
    assert_eq!(inbox["data"].as_array().map(Vec::len), Some(1), "{inbox}");
    let (_, page, _) = marketer.get(&path).await;
    assert!(
        !page.contains("id=\"undelivered\""),
        "nothing left undelivered: {page}"
    );
}
