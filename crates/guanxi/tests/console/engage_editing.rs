//! Editing in the console without losing or writing anything by hand: a campaign saved from
//! its page keeps the settings the form does not show, and a journey is changed a step at a
//! time (choose, change, add, publish) with the draft drawn after every change.

use super::signed_in;
use crate::helpers::TestApp;
use crate::messaging::segment_of;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn editing_a_campaign_in_the_console_keeps_what_the_form_does_not_show() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "li@example.com", "88.00", 3).await;
    segment_of(&app, "buyers", "orders >= 1", 1).await;
    for key in ["spring_a", "spring_b"] {
        let (status, body) = app
            .post(
                "/api/v1/templates",
                &json!({"key": key, "name": key, "channel": "in_app",
                "content": {"languages": {"zh-CN": {"text": "新品"}}}}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, created) = app
        .post("/api/v1/campaigns", &json!({"name": "Spring", "channel": "in_app", "spec": {
            "audience": {"segments": ["buyers"]}, "conversion_days": 14,
            "variants": [{"key": "calm", "template": "spring_a"}, {"key": "bold", "template": "spring_b"}],
            "ab_test": {"sample_percent": 20, "metric": "opened", "decide_after_hours": 6}}}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().expect("id");
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let path = format!("/campaigns/{id}");
    let token = marketer.token(&path).await;
    let form = [
        ("csrf", token.as_str()),
        ("name", "Spring sale"),
        ("channel", "in_app"),
        ("segments", "buyers"),
        ("template_a", "spring_a"),
        ("template_b", "spring_b"),
        ("sample_percent", "20"),
        ("metric", "opened"),
        ("decide_after_hours", "6"),
        ("holdout_percent", "0"),
    ];
    let (status, page, _) = marketer.post(&path, &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, saved) = app.get(&format!("/api/v1/campaigns/{id}")).await;
    assert_eq!(saved["name"], "Spring sale");
    assert_eq!(saved["spec"]["conversion_days"], 14, "{saved}");
    let keys: Vec<&str> = saved["spec"]["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .filter_map(|v| v["key"].as_str())
        .collect();
    assert_eq!(keys, ["calm", "bold"], "{saved}");
}

#[tokio::test]
async fn a_journey_is_changed_step_by_step_without_writing_json() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .post(
            "/api/v1/templates",
            &json!({"key": "cart", "name": "Cart", "channel": "in_app",
            "content": {"languages": {"zh-CN": {"text": "购物车还在"}}}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let definition = json!({
        "trigger": {"event": {"name": "Checkout Started"}},
        "start": "wait",
        "steps": [
            {"id": "wait", "type": "wait", "hours": 1, "next": "remind"},
            {"id": "remind", "type": "send", "channel": "in_app", "template": "cart", "next": "done"},
            {"id": "done", "type": "exit"}
        ]
    });
    let (status, created) = app
        .post(
            "/api/v1/journeys",
            &json!({"key": "cart", "name": "Cart", "definition": definition}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/journeys/{}", created["id"]);
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let (_, page, _) = marketer.get(&path).await;
    let token = super::csrf(&page);
    // The draft rides along in the form, as the page shows it.
    let draft_of = |page: &str| -> String {
        let start = page.find("id=\"journey-definition\"").expect("editor");
        let text = &page[start..];
        let text = &text[text.find('>').expect("tag") + 1..];
        text[..text.find("</textarea>").expect("end")]
            .replace("&quot;", "\"")
            .replace("&#34;", "\"")
    };
    let step = |page: &str, extra: &[(&str, &str)]| {
        let mut form: Vec<(String, String)> = vec![
            ("csrf".into(), token.clone()),
            ("name".into(), "Cart".into()),
            ("definition".into(), draft_of(page)),
        ];
        form.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        form
    };
    let send = |form: Vec<(String, String)>| {
        let marketer = &marketer;
        let path = path.clone();
        async move {
            let pairs: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let (status, page, _) = marketer.post(&path, &pairs).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page
        }
    };

    let page = send(step(&page, &[("intent", "choose_step"), ("step", "wait")])).await;
    assert!(page.contains("name=\"field_hours\""), "{page}");
    let page = send(step(
        &page,
        &[
            ("intent", "save_step"),
            ("step", "wait"),
            ("field_hours", "2"),
            ("field_next", "remind"),
        ],
    ))
    .await;
    assert!(page.contains("id=\"draft-graph\""), "{page}");
    assert!(page.contains("2 小时"), "the wait is two hours now: {page}");
    let page = send(step(
        &page,
        &[
            ("intent", "add_step"),
            ("after", "remind"),
            ("kind", "tag"),
            ("new_id", "tagged"),
        ],
    ))
    .await;
    assert!(page.contains("data-step=\"tagged\""), "drawn: {page}");
    assert!(
        page.contains("name=\"field_add\""),
        "the new step opens for editing: {page}"
    );
    let form = step(&page, &[("intent", "publish")]);
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, page, _) = marketer.post(&path, &pairs).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, journey) = app
        .get(&format!("/api/v1/journeys/{}", created["id"]))
        .await;
    assert_eq!(journey["version"], 2);
    let steps = journey["definition"]["steps"].to_string();
    assert!(
        steps.contains("\"tagged\"") && steps.contains("\"hours\":2"),
        "{steps}"
    );
}
