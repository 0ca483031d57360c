//! Imports in the console: upload a file, watch it finish, read its rejected rows; import it
//! again and nothing is counted twice. Uploads without the form's token, from roles that may
//! not import, or over the size limit are refused and leave nothing behind.

use super::{Browser, signed_in};
use crate::helpers::TestApp;
use guanxi_store::{AuditQuery, AuditStore, ImportStore, KeyStore};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// Three orders (the first over two lines); the second has a total that is not money.
const ORDERS: &str = "\
external_id,status,currency,total,created_at,email,phone,name,user_id,sku,item_name,category,quantity,price
o-1,paid,CNY,188.00,2026-10-01T10:00:00+08:00,wang.fang@example.com,13812345678,王芳,u-1,S1,真丝围巾,丝巾,2,88.00
o-1,paid,CNY,188.00,2026-10-01T10:00:00+08:00,wang.fang@example.com,13812345678,王芳,u-1,S2,手帕,手帕,1,12.00
o-2,paid,CNY,lots,2026-10-02T10:00:00+08:00,li.na@example.com,,,,S1,真丝围巾,丝巾,1,88.00
o-3,shipped,CNY,50.00,2026-10-03T10:00:00+08:00,li.na@example.com,,李娜,,S2,手帕,手帕,1,50.00
";

/// Posts the upload form with `ORDERS` for the `erp` source; answers status, page, location.
async fn post_orders(browser: &Browser) -> (StatusCode, String, Option<String>) {
    let token = browser.token("/imports").await;
    browser
        .upload(
            "/imports",
            &[
                ("csrf", &token),
                ("format", "orders-csv"),
                ("source", "erp"),
            ],
            "订单.csv",
            ORDERS.as_bytes().to_vec(),
        )
        .await
}

/// Uploads `ORDERS` as the signed-in `browser`; answers the new import's page path.
async fn upload_orders(browser: &Browser) -> String {
    let (status, page, location) = post_orders(browser).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    location.expect("redirects to the import's page")
}

/// The import's page once it has finished (polled every 20 ms, 20 s at most).
async fn finished(browser: &Browser, path: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, page, _) = browser.get(path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if !page.contains("data-status=\"running\"") {
            return page;
        }
        assert!(
            Instant::now() < deadline,
            "the import did not finish: {page}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The figure shown in the element with this id.
fn figure(page: &str, id: &str) -> i64 {
    page.split(&format!("id=\"{id}\">"))
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no figure #{id} in {page}"))
}

#[tokio::test]
async fn an_upload_is_imported_in_the_background_and_shows_its_rejected_rows() {
    let app = TestApp::spawn().await;
    let marketer = signed_in(&app, "marketer@shop.cn", "marketer").await;

    // A marketer may import but not register sources: a new source name is refused.
    let (status, _, _) = post_orders(&marketer).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "erp is not a source yet");
    assert!(app.store.recent_imports(10).await.expect("list").is_empty());
    guanxi_app::keys::create_source(app.store.as_ref(), "erp", "api")
        .await
        .expect("the owner adds the source");

    let path = upload_orders(&marketer).await;
    let page = finished(&marketer, &path).await;
    assert!(page.contains("data-status=\"done\""), "{page}");
    assert_eq!(figure(&page, "rows-read"), 3);
    assert_eq!(figure(&page, "rows-imported"), 2);
    assert_eq!(figure(&page, "rows-rejected"), 1);
    let rejected = page
        .split("id=\"rejected-rows\"")
        .nth(1)
        .expect("the rejected rows are listed");
    assert!(
        rejected.contains(">4<"),
        "the line of the bad row: {rejected}"
    );
    assert!(
        rejected.contains("total"),
        "the column at fault: {rejected}"
    );
    assert!(page.contains("订单.csv"), "the file's name");

    // The orders are the customers' now.
    let profile = app.customer_by("email:wang.fang@example.com").await;
    assert_eq!(profile["stats"]["orders_count"], 1, "{profile}");

    // The same file again: nothing new, nothing counted twice.
    let again = finished(&marketer, &upload_orders(&marketer).await).await;
    assert_eq!(figure(&again, "rows-imported"), 0, "{again}");
    assert_eq!(figure(&again, "rows-unchanged"), 2, "{again}");
    let profile = app.customer_by("email:wang.fang@example.com").await;
    assert_eq!(profile["stats"]["orders_count"], 1);

    let (_, list, _) = marketer.get("/imports").await;
    assert_eq!(list.matches("data-import=").count(), 2, "{list}");
    let audited = app
        .store
        .audit_entries(&AuditQuery {
            action: Some("import.start".to_owned()),
            limit: 10,
            ..AuditQuery::default()
        })
        .await
        .expect("audit");
    assert_eq!(audited.len(), 2);
    app.stop().await;
}

#[tokio::test]
async fn uploads_without_a_token_by_roles_that_may_not_or_over_the_limit_are_refused() {
    let app = TestApp::spawn_with_config(|c| c.max_upload_mb = 1).await;
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;
    let fields = [("format", "orders-csv"), ("source", "erp")];

    let (status, _, _) = owner
        .upload("/imports", &fields, "o.csv", ORDERS.as_bytes().to_vec())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no form token");

    let token = owner.token("/imports").await;
    let too_big = vec![b'x'; 2 * 1024 * 1024];
    let (status, page, _) = owner
        .upload(
            "/imports",
            &[
                ("csrf", &token),
                ("format", "orders-csv"),
                ("source", "erp"),
            ],
            "big.csv",
            too_big,
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{page}");
    assert!(page.contains("1 MB"), "says the limit: {page}");

    let (status, page, _) = owner
        .upload(
            "/imports",
            &[("csrf", &token), ("format", "excel"), ("source", "erp")],
            "o.csv",
            ORDERS.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("format"), "names the field: {page}");

    let agent = signed_in(&app, "agent@shop.cn", "service_agent").await;
    let (status, _, _) = agent.get("/imports").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let agent_token = agent.token("/customers").await;
    let (status, _, _) = agent
        .upload(
            "/imports",
            &[
                ("csrf", &agent_token),
                ("format", "orders-csv"),
                ("source", "erp"),
            ],
            "o.csv",
            ORDERS.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "refused without the page too"
    );

    assert!(
        app.store.recent_imports(10).await.expect("list").is_empty(),
        "nothing was imported"
    );
    assert!(
        app.store.source_by_name("erp").await.is_err(),
        "no source made"
    );
    app.stop().await;
}
