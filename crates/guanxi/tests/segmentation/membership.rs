//! Defining segments, keeping members current, previews, member pages and exports, and bad
//! rules refused.

use super::{create, customer, segments_when, send};
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn segments_stay_current_as_customers_change() {
    let app = TestApp::spawn().await;
    for (id, days_ago) in [("l-1", 200), ("l-2", 100), ("l-3", 3)] {
        app.paid_order(id, "loyal@example.com", "300.00", days_ago)
            .await;
    }
    app.paid_order("o-1", "once@example.com", "20.00", 300)
        .await;
    let loyal = customer(&app, "loyal@example.com").await;
    let once = customer(&app, "once@example.com").await;
    let never = app.contactable_customer("Li Na").await;

    // The text form, answered in both forms.
    let (status, big) = create(
        &app,
        json!({"key": "big", "name": "Big spenders", "rule_text": "spent >= 500 and orders >= 2"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{big}");
    assert_eq!(
        big["rule"],
        json!({"all": [{"field": "spent", "op": ">=", "value": 500.0}, {"field": "orders", "op": ">=", "value": 2.0}]})
    );
    assert_eq!(big["rule_text"], "spent >= 500 and orders >= 2");
    // The JSON form, referring to the first segment.
    let (status, quiet) = create(
        &app,
        json!({"key": "quiet", "name": "Gone quiet", "rule": {"all": [
            {"field": "days_since_last_order", "op": ">", "value": 200},
            {"not": {"segment": "big"}}
        ]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{quiet}");
    assert_eq!(
        quiet["rule_text"],
        "days_since_last_order > 200 and not segment \"big\""
    );

    assert_eq!(
        segments_when(&app, loyal, |k| !k.is_empty()).await,
        vec!["big"]
    );
    assert_eq!(
        segments_when(&app, once, |k| !k.is_empty()).await,
        vec!["quiet"]
    );
    assert!(segments_when(&app, never, |_| true).await.is_empty());

    // A preview counts before anything is saved, and converts the rule.
    let (status, preview) = app
        .post(
            "/api/v1/segments/preview",
            &json!({"rule_text": "orders = 0 or tag \"vip\""}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(
        (preview["count"].clone(), preview["sample"].clone()),
        (json!(1), json!([never]))
    );
    assert_eq!(
        preview["rule"],
        json!({"any": [{"field": "orders", "op": "=", "value": 0.0}, {"tag": "vip"}]})
    );

    // A new order moves `once` out of one segment and into the other at once.
    app.paid_order("o-2", "once@example.com", "600.00", 0).await;
    assert_eq!(
        segments_when(&app, once, |k| k == ["big"]).await,
        vec!["big"]
    );
    let (_, events) = app.get(&format!("/api/v1/customers/{once}/events")).await;
    let names: Vec<&str> = events["data"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str().or(e["name"].as_str()))
        .collect();
    assert!(
        names.contains(&"Entered Segment") && names.contains(&"Exited Segment"),
        "the timeline shows both: {events}"
    );

    // A tag moves a customer too.
    let (status, vips) = create(
        &app,
        json!({"key": "vips", "name": "VIPs", "rule_text": "tag \"vip\""}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{vips}");
    let (status, body) = app
        .patch(
            &format!("/api/v1/customers/{never}"),
            &json!({"add_tags": ["vip"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        segments_when(&app, never, |k| !k.is_empty()).await,
        vec!["vips"]
    );

    // Members: the customer list by segment, the member pages and the CSV export.
    let (status, list) = app.get("/api/v1/customers?segment=big").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let ids: Vec<i64> = list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![once, loyal], "newest first");
    let big_id = big["id"].as_i64().expect("id");
    let (_, page) = app
        .get(&format!("/api/v1/segments/{big_id}/members?limit=1"))
        .await;
    assert_eq!(page["data"][0]["customer_id"], loyal);
    let cursor = page["next_cursor"].as_str().expect("more").to_owned();
    let (_, page) = app
        .get(&format!(
            "/api/v1/segments/{big_id}/members?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(page["data"][0]["customer_id"], once);
    let csv = app
        .http
        .get(app.url(&format!("/api/v1/segments/{big_id}/members.csv")))
        .bearer_auth(&app.admin_key)
        .send()
        .await
        .expect("export");
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.expect("csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows[0], "customer_id,since");
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(rows[1].starts_with(&format!("{loyal},")), "{csv}");
    let (status, _) = app
        .get_as(
            &app.read_key,
            &format!("/api/v1/segments/{big_id}/members.csv"),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "exports take segments:export"
    );

    // Renaming keeps members; the list shows counts.
    let (status, renamed) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/segments/{big_id}"),
        Some(json!({"name": "大客户", "rule_text": "spent >= 500"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(
        (renamed["key"].clone(), renamed["name"].clone()),
        (json!("big"), json!("大客户"))
    );
    let (_, all) = app.get("/api/v1/segments").await;
    let counts: Vec<(String, i64)> = all["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|s| {
            (
                s["key"].as_str().unwrap_or_default().to_owned(),
                s["members"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(counts[0], ("big".to_owned(), 2), "{all}");
    app.stop().await;
}

#[tokio::test]
async fn bad_rules_are_refused_naming_the_part() {
    let app = TestApp::spawn().await;
    let field_of = |body: &Value| {
        body["error"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let (status, body) = create(&app, json!({"key": "a", "name": "A", "rule": {"all": [{"tag": "x"}, {"field": "ordres", "op": ">", "value": 1}]}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(field_of(&body), "rule.all[1].field");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ordres"),
        "{body}"
    );

    let (status, body) = create(
        &app,
        json!({"key": "a", "name": "A", "rule_text": "orders >= two"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(field_of(&body), "rule_text");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("column 11"),
        "{body}"
    );

    let (status, body) = create(
        &app,
        json!({"key": "a", "name": "A", "rule_text": "days_since_last_order < -1"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an impossible window: {body}"
    );

    let (status, body) = create(
        &app,
        json!({"key": "a", "name": "A", "rule_text": "segment \"nope\""}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("no segment"),
        "{body}"
    );

    let (status, body) = create(
        &app,
        json!({"key": "Bad Key", "name": "A", "rule_text": "orders > 0"}),
    )
    .await;
    assert_eq!(
        (status, field_of(&body)),
        (StatusCode::BAD_REQUEST, "key".to_owned()),
        "{body}"
    );

    // A cycle between segments, and deleting a segment another refers to.
    let (status, a) = create(
        &app,
        json!({"key": "a", "name": "A", "rule_text": "orders > 0"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let (status, b) = create(
        &app,
        json!({"key": "b", "name": "B", "rule_text": "segment \"a\""}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let a_id = a["id"].as_i64().expect("id");
    let (status, body) = send(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/segments/{a_id}"),
        Some(json!({"name": "A", "rule_text": "segment \"b\""})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("cycle"),
        "{body}"
    );
    let (status, body) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/api/v1/segments/{a_id}"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("b"),
        "{body}"
    );
    let (status, body) = create(
        &app,
        json!({"key": "a", "name": "Again", "rule_text": "orders > 0"}),
    )
    .await;
    assert_eq!(
        (status, field_of(&body)),
        (StatusCode::BAD_REQUEST, "key".to_owned()),
        "taken: {body}"
    );

    // Nothing of the refused writes was stored.
    let (_, all) = app.get("/api/v1/segments").await;
    assert_eq!(
        all["data"].as_array().map(Vec::len),
        Some(2 + 6),
        "two and the lifecycle stages: {all}"
    );
    let (_, kept) = app.get(&format!("/api/v1/segments/{a_id}")).await;
    assert_eq!(kept["rule_text"], "orders > 0");

    // Read keys read; they do not define.
    let (status, _) = app
        .post_as(
            &app.read_key,
            "/api/v1/segments",
            &json!({"key": "c", "name": "C", "rule_text": "orders > 0"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get_as(&app.read_key, "/api/v1/segments").await;
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
