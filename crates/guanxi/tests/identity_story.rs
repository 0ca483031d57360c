//! The acceptance story: 李娜 (Li Na) shops on the website, on Tmall and in the Shopify store.
//! The website knows her user id and e-mail (Segment `identify`), the Tmall export her buyer
//! nick and mobile, the Shopify export her e-mail and the same mobile. Whatever order the data
//! arrives in, she is ONE customer whose stats count her paid orders less refunds, and the
//! merge that joined her profiles is logged with its reason.
//!
//! Fixtures (`tests/fixtures/identity_story_*`): the Taobao 订单报表 with its real header names,
//! as UTF-8 and the same text as GBK (`iconv -f UTF-8 -t GBK`); a Shopify orders export in CNY.

use crate::helpers::{TestApp, urlencode};
use guanxi_app::import::ImportSummary;
use guanxi_channels::import::ImportFormat;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;

const PHONE: &str = "+8613812345678";
const EMAIL: &str = "li.na@example.com";

/// Imports a story fixture in-process, as `guanxi import` does, next to the running server.
async fn import(
    database_url: &str,
    file: &str,
    format: ImportFormat,
    source: &str,
    kind: &str,
) -> ImportSummary {
    let config = guanxi::Config {
        database_url: database_url.to_owned(),
        ..Default::default()
    };
    let app = guanxi::App::build(&config).await.expect("app builds");
    let source = guanxi_app::credentials::source_for_import(
        app.store.as_ref(),
        &guanxi_app::credentials::By::CommandLine,
        source,
        kind,
    )
    .await
    .expect("source");
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(file);
    let reader = std::io::BufReader::new(std::fs::File::open(&path).expect("fixture"));
    let summary = guanxi_app::import::run(
        &app.ingestor,
        &app.settings.current(),
        &source,
        format,
        Box::new(reader),
        |_, _| {},
    )
    .await
    .expect("import runs");
    app.shutdown().await;
    summary
}

async fn import_all(database_url: &str) -> [ImportSummary; 3] {
    [
        import(
            database_url,
            "identity_story_taobao.csv",
            ImportFormat::Taobao,
            "tmall",
            "taobao",
        )
        .await,
        import(
            database_url,
            "identity_story_taobao_gbk.csv",
            ImportFormat::Taobao,
            "tmall",
            "taobao",
        )
        .await,
        import(
            database_url,
            "identity_story_shopify.csv",
            ImportFormat::Shopify,
            "shop",
            "shopify",
        )
        .await,
    ]
}

/// Every live customer's id, following the cursor.
async fn customer_ids(app: &TestApp) -> BTreeSet<i64> {
    let (status, page) = app.get("/api/v1/customers?limit=500").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page["next_cursor"].is_null());
    page["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|c| c["id"].as_i64().expect("id"))
        .collect()
}

fn identities(customer: &Value) -> BTreeSet<(String, String)> {
    customer["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .map(|i| {
            (
                i["type"].as_str().expect("type").to_owned(),
                i["value"].as_str().expect("value").to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn one_person_across_taobao_shopify_and_the_website_is_one_customer() {
    let app = TestApp::spawn().await;

    // 1. The website: she signs in (user id + e-mail written differently) and buys once.
    let (status, body) = app
        .segment(
            "/v1/batch",
            &json!({"batch": [
                {"type": "identify", "messageId": "story-identify-1", "userId": "u-8848",
                 "traits": {"email": "Li.Na@Example.com", "name": "Li Na"},
                 "timestamp": "2026-09-05T08:00:00Z"},
                {"type": "track", "messageId": "story-order-w3001", "userId": "u-8848",
                 "event": "Order Completed", "timestamp": "2026-10-10T08:00:00Z",
                 "properties": {"order_id": "w-3001", "total": 66.00, "currency": "CNY",
                    "products": [{"sku": "TEA-1", "name": "Longjing tea", "price": 66.00, "quantity": 1}]}}
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let web = app.customer_by("user_id:web:u-8848").await;

    // 2. The Tmall export (UTF-8, then the same rows as GBK) and the Shopify export.
    let [taobao, taobao_gbk, shopify] = import_all(&app.database_url).await;
    assert_eq!(
        (taobao.rows_read, taobao.imported, taobao.rejected.len()),
        (6, 6, 0),
        "{taobao:?}"
    );
    assert_eq!(
        (
            taobao_gbk.imported,
            taobao_gbk.updated,
            taobao_gbk.unchanged
        ),
        (0, 0, 6),
        "GBK decodes to the same orders: {taobao_gbk:?}"
    );
    assert_eq!(
        (shopify.rows_read, shopify.imported, shopify.rejected.len()),
        (4, 4, 0),
        "{shopify:?}"
    );

    // 3. Every identifier she used answers with one and the same customer.
    let li_na = app.customer_by(&format!("phone:{PHONE}")).await;
    let id = li_na["id"].as_i64().expect("id");
    for lookup in [
        format!("email={}", urlencode("LI.NA@example.com")),
        "phone=13812345678".to_owned(),
        format!("identity={}", urlencode("taobao_buyer:lina_silk")),
        format!("identity={}", urlencode("user_id:web:u-8848")),
        format!("identity={}", urlencode(&format!("email:{EMAIL}"))),
    ] {
        let (status, body) = app.get(&format!("/api/v1/customers/lookup?{lookup}")).await;
        assert_eq!(status, StatusCode::OK, "{lookup}: {body}");
        assert_eq!(body["id"], id, "{lookup} answers with another customer");
    }
    // The website's profile was merged into the survivor; its old id still answers.
    let (status, old) = app.get(&format!("/api/v1/customers/{}", web["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(old["id"], id);

    // Li Na and 王芳 (who only bought on Tmall): two customers, nobody else.
    let wang = app.customer_by("taobao_buyer:wangfang88").await;
    assert_ne!(wang["id"], id);
    assert_eq!(
        customer_ids(&app).await,
        BTreeSet::from([id, wang["id"].as_i64().expect("id")])
    );

    // 4. Her identities come from every channel.
    let mine = identities(&li_na);
    for (kind, value) in [
        ("phone", PHONE),
        ("email", EMAIL),
        ("taobao_buyer", "lina_silk"),
        ("user_id:web", "u-8848"),
    ] {
        assert!(
            mine.contains(&(kind.to_owned(), value.to_owned())),
            "{kind} {value} missing: {mine:?}"
        );
    }

    // 5. Stats: paid orders less refunds; closed, pending and cancelled orders do not count.
    //    Tmall: 188.00 + (100.00 − 20.00) + a fully refunded 60.00; Shopify: 299.00 + a refunded
    //    120.00 + (200.00 − 50.00); website: 66.00. Seven orders, 783.00 spent.
    assert_eq!(li_na["stats"]["orders_count"], 7, "{}", li_na["stats"]);
    assert_eq!(
        li_na["stats"]["total_spent"], "783.00",
        "{}",
        li_na["stats"]
    );
    assert_eq!(li_na["stats"]["currency"], "CNY");
    assert_eq!(wang["stats"]["orders_count"], 1);
    assert_eq!(wang["stats"]["total_spent"], "50.00");
    let (status, orders) = app
        .get(&format!("/api/v1/customers/{id}/orders?limit=100"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let external: BTreeSet<&str> = orders["data"]
        .as_array()
        .expect("orders")
        .iter()
        .map(|o| o["external_id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        external.len(),
        10,
        "all her orders, counted or not: {external:?}"
    );
    assert!(
        external.contains("w-3001")
            && external.contains("7701")
            && external.contains("4001000000003"),
        "{external:?}"
    );

    // 6. The merge log says which customers were joined and why.
    let merges = li_na["merges"].as_array().expect("merges");
    assert!(
        !merges.is_empty(),
        "profiles from separate channels were merged: {li_na}"
    );
    for merge in merges {
        let reason = merge["reason"].as_str().expect("reason");
        assert!(
            reason.contains("email") || reason.contains("phone"),
            "merge reason {reason:?}"
        );
        assert_eq!(merge["into"], id);
    }
    assert!(
        merges.iter().any(|m| m["from"] == web["id"]) || web["id"] == id,
        "the web profile's merge is logged: {merges:?}"
    );

    // 7. Her website events moved with her.
    let (status, events) = app.get(&format!("/api/v1/customers/{id}/events")).await;
    assert_eq!(status, StatusCode::OK);
    let message_ids: BTreeSet<&str> = events["data"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["message_id"].as_str().expect("id"))
        // Segment entries (the lifecycle stages) are the engine's, not hers.
        .filter(|id| !id.starts_with("segment:"))
        .collect();
    assert_eq!(
        message_ids,
        BTreeSet::from(["story-identify-1", "story-order-w3001"])
    );

    // 8. Importing every export again after the merge changes nothing.
    let again = import_all(&app.database_url).await;
    for summary in &again {
        assert_eq!((summary.imported, summary.updated), (0, 0), "{summary:?}");
    }
    let after = app.customer_by(&format!("phone:{PHONE}")).await;
    assert_eq!(after["id"], id);
    assert_eq!(after["stats"], li_na["stats"]);
    assert_eq!(after["merges"], li_na["merges"]);
    app.stop().await;
}
