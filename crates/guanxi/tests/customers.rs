//! The customers API: search, tags, pagination, masking and reveal, edits; and the service
//! endpoints (OpenAPI document, health, readiness, metrics).

use crate::helpers::{TestApp, split, urlencode};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Five customers, `c-1` … `c-5`, with distinct names, e-mails and phones.
async fn five_customers(app: &TestApp) {
    let people = [
        ("c-1", "Lina Wang", "lina@example.com", "13812345678"),
        ("c-2", "Zhang Wei", "wei@example.com", "13900001111"),
        ("c-3", "Chen Jing", "jing@example.com", "13700002222"),
        ("c-4", "Liu Yang", "yang@example.com", "13600003333"),
        ("c-5", "Wang Fang", "fang@example.com", "13500004444"),
    ];
    let batch: Vec<Value> = people
        .iter()
        .map(|(user, name, email, phone)| {
            json!({"type": "identify", "userId": user, "anonymousId": format!("anon-{user}"),
                   "traits": {"name": name, "email": email, "phone": phone, "plan": "gold"}})
        })
        .collect();
    let (status, body) = app.segment("/v1/batch", &json!({ "batch": batch })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

async fn id_of(app: &TestApp, identity: &str) -> i64 {
    app.customer_by(identity).await["id"].as_i64().expect("id")
}

/// The ids a customer search answers.
async fn search(app: &TestApp, query: &str) -> Vec<i64> {
    let (status, body) = app.get(&format!("/api/v1/customers?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

#[tokio::test]
async fn search_finds_customers_by_name_email_phone_and_identity() {
    let app = TestApp::spawn().await;
    five_customers(&app).await;
    let lina = id_of(&app, "user_id:web:c-1").await;
    let fang = id_of(&app, "user_id:web:c-5").await;

    // Names are sealed at rest and found by their blind index: whole, in any case and spacing.
    assert_eq!(search(&app, "q=lina%20WANG").await, [lina], "a whole name");
    assert_eq!(search(&app, "q=%20wang%20%20fang").await, [fang]);
    assert_eq!(
        search(&app, "q=Wang").await,
        Vec::<i64>::new(),
        "not a part"
    );
    assert_eq!(search(&app, "q=lina%40example.com").await, [lina]);
    assert_eq!(
        search(&app, "q=LINA%40Example.com").await,
        [lina],
        "e-mails are normalised"
    );
    assert_eq!(search(&app, "q=13812345678").await, [lina]);
    assert_eq!(search(&app, "q=%2B86%20138%201234%205678").await, [lina]);
    assert_eq!(
        search(&app, &format!("q={}", urlencode("user_id:web:c-5"))).await,
        [fang]
    );
    assert_eq!(
        search(&app, "q=anon-c-5").await,
        [fang],
        "a bare anonymous id"
    );
    assert_eq!(search(&app, "q=nobody-like-this").await, Vec::<i64>::new());
    assert_eq!(search(&app, "q=").await.len(), 5);
    // A masked value identifies nobody, even though it looks like a phone.
    assert_eq!(search(&app, "q=138****5678").await, Vec::<i64>::new());
    app.stop().await;
}

#[tokio::test]
async fn tags_added_by_patch_filter_the_list() {
    let app = TestApp::spawn().await;
    five_customers(&app).await;
    let jing = id_of(&app, "user_id:web:c-3").await;
    let yang = id_of(&app, "user_id:web:c-4").await;
    for id in [jing, yang] {
        let (status, body) = app
            .patch(
                &format!("/api/v1/customers/{id}"),
                &json!({"add_tags": ["vip"]}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["tags"], json!(["vip"]));
    }
    let mut vips = search(&app, "tag=vip").await;
    vips.sort();
    assert_eq!(vips, [jing.min(yang), jing.max(yang)]);
    assert_eq!(search(&app, "tag=vip&q=chen%20jing").await, [jing]);

    let (status, _) = app
        .patch(
            &format!("/api/v1/customers/{yang}"),
            &json!({"remove_tags": ["vip"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(search(&app, "tag=vip").await, [jing]);
    let (status, body) = app
        .patch(
            &format!("/api/v1/customers/{jing}"),
            &json!({"add_tags": ["  "]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "add_tags[0]");
    app.stop().await;
}

#[tokio::test]
async fn cursor_pagination_returns_every_customer_once() {
    let app = TestApp::spawn().await;
    five_customers(&app).await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..5 {
        let path = match &cursor {
            Some(c) => format!("/api/v1/customers?limit=2&cursor={c}"),
            None => "/api/v1/customers?limit=2".to_owned(),
        };
        let (status, body) = app.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let page = body["data"].as_array().expect("data");
        assert!(page.len() <= 2, "{body}");
        seen.extend(page.iter().map(|c| c["id"].as_i64().expect("id")));
        cursor = body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            break;
        }
    }
    assert!(cursor.is_none(), "the pages never ended");
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 5, "{seen:?}");

    for bad in ["limit=0", "limit=501", "cursor=abc"] {
        let (status, body) = app.get(&format!("/api/v1/customers?{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn personal_data_is_masked_unless_an_admin_reveals_it() {
    let app = TestApp::spawn().await;
    five_customers(&app).await;
    let lina = id_of(&app, "user_id:web:c-1").await;

    for key in [&app.admin_key, &app.read_key] {
        let (status, body) = app.get_as(key, &format!("/api/v1/customers/{lina}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["masked"], true);
        assert_eq!(body["traits"]["phone"], "138****5678", "{body}");
        assert_eq!(body["traits"]["email"], "l***@example.com");
        assert_eq!(body["traits"]["name"], "L********");
        assert_eq!(body["traits"]["plan"], "gold", "not personal data");
        let text = body.to_string();
        assert!(
            !text.contains("13812345678") && !text.contains("lina@"),
            "{text}"
        );
    }
    let (_, list) = app.get_as(&app.read_key, "/api/v1/customers?q=lina").await;
    assert!(!list.to_string().contains("lina@example.com"), "{list}");
    let (_, events) = app.get(&format!("/api/v1/customers/{lina}/events")).await;
    assert!(!events.to_string().contains("lina@example.com"), "{events}");

    let (status, body) = app
        .get(&format!("/api/v1/customers/{lina}?reveal=true"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["masked"], false);
    assert_eq!(body["traits"]["phone"], "+8613812345678");
    assert_eq!(body["traits"]["email"], "lina@example.com");
    assert!(
        body["identities"]
            .as_array()
            .expect("identities")
            .contains(&json!({"type": "email", "value": "lina@example.com"}))
    );

    for path in [
        format!("/api/v1/customers/{lina}?reveal=true"),
        "/api/v1/customers?reveal=true".to_owned(),
        "/api/v1/customers/lookup?email=lina%40example.com&reveal=true".to_owned(),
        format!("/api/v1/customers/{lina}/events?reveal=true"),
    ] {
        let (status, body) = app.get_as(&app.read_key, &path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let (status, _) = split(
        app.http
            .get(app.url("/api/v1/customers"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn patch_sets_and_removes_traits() {
    let app = TestApp::spawn().await;
    five_customers(&app).await;
    let wei = id_of(&app, "user_id:web:c-2").await;
    let path = format!("/api/v1/customers/{wei}");

    let edit = json!({"traits": {"plan": null, "city": "Hangzhou", "name": "Zhang Xiaowei"}});
    let (status, body) = app.patch(&path, &edit).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let profile = app.customer_by("user_id:web:c-2").await;
    assert!(profile["traits"].get("plan").is_none(), "{profile}");
    assert_eq!(profile["traits"]["city"], "Hangzhou");
    assert_eq!(profile["traits"]["name"], "Zhang Xiaowei");
    assert_eq!(
        profile["traits"]["email"], "wei@example.com",
        "untouched traits stay"
    );
    assert_eq!(
        search(&app, "q=zhang%20xiaowei").await,
        [wei],
        "search follows the new name"
    );

    for (edit, field) in [
        (json!({"traits": {"email": "not-an-email"}}), "traits.email"),
        (json!({"traits": {"phone": "12345"}}), "traits.phone"),
    ] {
        let (status, body) = app.patch(&path, &edit).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    let (status, body) = app.patch(&path, &json!({"traits": [1, 2]})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        app.customer_by("user_id:web:c-2").await["traits"]["email"],
        "wei@example.com"
    );

    let (status, _) = app
        .patch("/api/v1/customers/999999", &json!({"add_tags": ["x"]}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let read_only = app
        .http
        .patch(app.url(&path))
        .bearer_auth(&app.read_key)
        .json(&json!({"add_tags": ["x"]}));
    let (status, _) = split(read_only.send().await.expect("request")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/api/v1/customers/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn service_endpoints_answer() {
    let app = TestApp::spawn().await;
    let (status, doc) = app.get("/api/v1/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"]
        .as_object()
        .expect("an OpenAPI document with paths");
    for path in [
        "/api/v1/customers",
        "/api/v1/customers/{id}",
        "/api/v1/customers/lookup",
        "/api/v1/orders",
        "/api/v1/orders/{id}/refunds",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from {:?}",
            paths.keys()
        );
    }
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{}",
        doc["openapi"]
    );

    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "ready");

    let (status, body) = app.get("/no/such/route").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let response = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/plain"))
    );
    let text = response.text().await.expect("body");
    assert!(
        text.contains("guanxi_http_responses_total{class=\"2xx\"}"),
        "{text}"
    );
    assert!(
        text.contains("guanxi_http_responses_total{class=\"4xx\"} 1"),
        "{text}"
    );
    app.stop().await;
}

#[tokio::test]
async fn malformed_query_and_path_parameters_answer_in_the_error_shape() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get("/api/v1/customers?limit=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "query");
    let (status, body) = app.get("/api/v1/customers/not-a-number").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "invalid");
    assert_eq!(body["error"]["field"], "id");
    app.stop().await;
}
