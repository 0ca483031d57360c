//! Segments in the console: a marketer writes a rule, previews it, saves it, sees its members,
//! exports them and finds the segment on the customer's page; mistakes are shown with the part
//! of the rule that is wrong, and roles without the right see nothing of it.

use super::signed_in;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_marketer_builds_a_segment_from_the_console() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "big@example.com", "800.00", 5).await;
    app.paid_order("o-2", "small@example.com", "20.00", 5).await;
    let big = app.customer_by("email:big@example.com").await["id"]
        .as_i64()
        .expect("id");
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;

    let (status, page, _) = marketer.get("/segments").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("data-segment=\"lifecycle-at_risk\""),
        "built in: {page}"
    );
    assert!(!page.contains("data-segment=\"big\""), "{page}");
    let token = marketer.token("/segments").await;

    // A typo is shown with its column, and the draft is kept.
    let draft = [
        ("csrf", token.as_str()),
        ("key", "big"),
        ("name", "Big spenders"),
        ("description", ""),
        ("rule_text", "spnt >= 500"),
        ("intent", "preview"),
    ];
    let (status, page, _) = marketer.post("/segments", &draft).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"segment-error\""), "{page}");
    assert!(page.contains("column 1"), "{page}");
    assert!(
        page.contains("spnt &gt;= 500") || page.contains("spnt &#62;= 500"),
        "the draft stays: {page}"
    );

    // The preview counts before anything is saved.
    let preview = [
        ("csrf", token.as_str()),
        ("key", "big"),
        ("name", "Big spenders"),
        ("description", ""),
        ("rule_text", "spent >= 500"),
        ("intent", "preview"),
    ];
    let (_, page, _) = marketer.post("/segments", &preview).await;
    assert!(page.contains("id=\"segment-preview\""), "{page}");
    assert!(
        page.contains(&format!("/customers/{big}")),
        "the sample links the customer: {page}"
    );
    let (_, page, _) = marketer.get("/segments").await;
    assert!(
        !page.contains("data-segment=\"big\""),
        "a preview saves nothing"
    );

    let save = [
        ("csrf", token.as_str()),
        ("key", "big"),
        ("name", "Big spenders"),
        ("description", "over ¥500"),
        ("rule_text", "spent >= 500"),
        ("intent", "save"),
    ];
    let (status, _, location) = marketer.post("/segments", &save).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.expect("the segment's page");
    let deadline = Instant::now() + Duration::from_secs(20);
    let page = loop {
        let (status, page, _) = marketer.get(&location).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        if page.contains(&format!("href=\"/customers/{big}\"")) {
            break page;
        }
        assert!(Instant::now() < deadline, "the member never showed: {page}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(page.contains("id=\"segment-members-count\">1<"), "{page}");
    assert!(page.contains("id=\"export-segment\""), "{page}");

    let (status, csv, _) = marketer.get(&format!("{location}/members.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("customer_id,since\n"), "{csv}");
    assert!(csv.contains(&format!("\n{big},")), "{csv}");

    // The customer's page shows where they are and since when.
    let (_, page, _) = marketer.get(&format!("/customers/{big}")).await;
    assert!(page.contains("id=\"current-segments\""), "{page}");
    assert!(page.contains("Big spenders"), "{page}");
    assert!(page.contains("id=\"segment-history\""), "{page}");
    assert!(
        page.contains("id=\"recommended\"") || page.contains("id=\"recommend-learning\""),
        "{page}"
    );

    // Saving a taken key says so; the owner sees the audit of it all.
    let (status, page, _) = marketer.post("/segments", &save).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    assert!(page.contains("key"), "{page}");
    let owner = signed_in(&app, "owner@shop.cn", "owner").await;
    let (_, audit, _) = owner.get("/audit?action=segment.export").await;
    assert!(
        audit.contains("segment.export") || audit.contains("Exported a segment"),
        "{audit}"
    );

    // A sales rep has no segments at all.
    let rep = signed_in(&app, "rep@shop.cn", "sales_rep").await;
    assert_eq!(rep.get("/segments").await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        rep.get(&format!("{location}/members.csv")).await.0,
        StatusCode::FORBIDDEN
    );
    let (_, page, _) = rep.get("/").await;
    assert!(
        !page.contains("href=\"/segments\""),
        "not in a rep's navigation"
    );

    // Deleting leaves the list empty again.
    let token = marketer.token(&location).await;
    let (status, _, to) = marketer
        .post(&format!("{location}/delete"), &[("csrf", token.as_str())])
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some("/segments"))
    );
    let (_, page, _) = marketer.get("/segments").await;
    assert!(!page.contains("data-segment=\"big\""), "{page}");
}

#[tokio::test]
async fn tags_are_edited_by_hand_and_for_a_whole_segment() {
    let app = TestApp::spawn().await;
    app.paid_order("o-1", "amy@example.com", "80.00", 1).await;
    let amy = app.customer_by("email:amy@example.com").await["id"]
        .as_i64()
        .expect("id");
    let marketer = signed_in(&app, "mia@shop.cn", "marketer").await;
    let page = format!("/customers/{amy}");
    let token = marketer.token(&page).await;
    let (status, _, to) = marketer
        .post(
            &format!("{page}/tags"),
            &[("csrf", token.as_str()), ("add", "回头客")],
        )
        .await;
    assert_eq!(
        (status, to.as_deref()),
        (StatusCode::SEE_OTHER, Some(page.as_str()))
    );
    let (_, html, _) = marketer.get(&page).await;
    assert!(html.contains("回头客"), "{html}");
    let (status, _, _) = marketer
        .post(
            &format!("{page}/tags"),
            &[("csrf", token.as_str()), ("remove", "回头客")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = marketer.get(&page).await;
    assert!(!html.contains("回头客"), "{html}");

    let analyst = signed_in(&app, "al@shop.cn", "analyst").await;
    let token = analyst.token(&page).await;
    let (status, _, _) = analyst
        .post(
            &format!("{page}/tags"),
            &[("csrf", token.as_str()), ("add", "x")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "analysts read, they do not tag"
    );

    // A whole segment at once, from its page.
    let token = marketer.token("/segments").await;
    let save = [
        ("csrf", token.as_str()),
        ("key", "buyers"),
        ("name", "Buyers"),
        ("description", ""),
        ("rule_text", "orders >= 1"),
        ("auto_tag", ""),
        ("intent", "save"),
    ];
    let (_, _, location) = marketer.post("/segments", &save).await;
    let location = location.expect("saved");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !marketer
        .get(&location)
        .await
        .1
        .contains("id=\"segment-members-count\">1<")
    {
        assert!(Instant::now() < deadline, "no member");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, _, to) = marketer
        .post(
            &format!("{location}/tags"),
            &[
                ("csrf", token.as_str()),
                ("add", "sale-2027"),
                ("remove", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = marketer.get(&to.expect("back")).await;
    assert!(html.contains("id=\"tagged-note\""), "{html}");
    let (_, html, _) = marketer.get(&page).await;
    assert!(html.contains("sale-2027"), "{html}");
}
