//! `guanxi import` as an operator runs it: channel exports in, a summary out (rows read,
//! imported, rejected lines with reasons), files that cannot be imported refused clearly, and a
//! second import of the same file changing nothing.

use crate::helpers::{CliRun, ServeProcess, guanxi_cli, sql_number, sqlite, urlencode};
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../guanxi-channels/tests/fixtures")
        .join(name)
}

fn fresh_database() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/g.db", dir.path().display());
    (dir, url)
}

async fn import(url: &str, file: &Path, format: &str, source: &str) -> CliRun {
    let file = file.to_str().expect("utf-8 path");
    guanxi_cli(
        url,
        &["import", file, "--format", format, "--source", source],
    )
    .await
}

/// The number on the summary line that starts with `label` (`imported:  6`).
fn summary_count(run: &CliRun, label: &str) -> u64 {
    let line = run
        .stdout
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line in the summary:\n{}", run.stdout));
    line[label.len()..]
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

/// The summary's `rows read` count (`FILE: 7 rows read in 0.1s`).
fn rows_read(run: &CliRun) -> u64 {
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains(" rows read"))
        .unwrap_or_else(|| panic!("no rows-read line:\n{}", run.stdout));
    let before = &line[..line.find(" rows read").unwrap_or_default()];
    before
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no number in {line:?}"))
}

/// Rejected rows as the summary lists them: line number → reason.
fn rejected_lines(run: &CliRun, file: &Path) -> BTreeMap<u64, String> {
    let prefix = format!("{}:", file.display());
    run.stdout
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .filter_map(|rest| {
            let (line, reason) = rest.split_once(": ")?;
            Some((line.parse().ok()?, reason.to_owned()))
        })
        .collect()
}

/// Every customer's stats as the API shows them: id → (orders_count, total_spent).
async fn stats(server: &ServeProcess, key: &str) -> BTreeMap<i64, (i64, String)> {
    let url = server.url("/api/v1/customers?limit=500");
    let response = reqwest::Client::new()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("json");
    assert!(
        page["next_cursor"].is_null(),
        "one page holds these customers"
    );
    let customers = page["data"].as_array().expect("data");
    customers
        .iter()
        .map(|c| {
            let orders = c["stats"]["orders_count"].as_i64().expect("orders_count");
            let spent = c["stats"]["total_spent"]
                .as_str()
                .expect("total_spent")
                .to_owned();
            (c["id"].as_i64().expect("id"), (orders, spent))
        })
        .collect()
}

#[tokio::test]
async fn a_taobao_gbk_export_imports_with_a_summary_and_a_second_time_changes_nothing() {
    let (_dir, url) = fresh_database();
    let key = guanxi_cli(
        &url,
        &["apikey", "create", "--name", "t", "--scopes", "read"],
    )
    .await
    .success()
    .last_line()
    .to_owned();
    let server = ServeProcess::start(&url).await;
    let file = fixture("taobao_orders_gbk.csv");

    let first = import(&url, &file, "taobao", "tmall").await.success();
    assert_eq!(rows_read(&first), 7, "{}", first.stdout);
    assert_eq!(summary_count(&first, "imported:"), 6);
    assert_eq!(summary_count(&first, "rejected:"), 1);
    let rejected = rejected_lines(&first, &file);
    assert_eq!(
        rejected.keys().copied().collect::<Vec<_>>(),
        [5],
        "{}",
        first.stdout
    );
    assert!(
        rejected[&5].contains("买家实际支付金额"),
        "the reason names the column: {}",
        rejected[&5]
    );

    // 小明爱购物: 88.00 completed, 100.00 completed with 20.00 refunded; decoded from GBK.
    let lookup = format!(
        "/api/v1/customers/lookup?identity={}",
        urlencode("taobao_buyer:小明爱购物")
    );
    let response = reqwest::Client::new()
        .get(server.url(&lookup))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let xiaoming: Value = response.json().await.expect("json");
    assert_eq!(xiaoming["stats"]["orders_count"], 2);
    assert_eq!(xiaoming["stats"]["total_spent"], "168.00");

    let pool = sqlite(&url).await;
    let orders_before = sql_number(&pool, "SELECT COUNT(*) FROM orders").await;
    let refunds_before = sql_number(&pool, "SELECT COUNT(*) FROM refunds").await;
    let stats_before = stats(&server, &key).await;
    assert_eq!(orders_before, 6);

    let second = import(&url, &file, "taobao", "tmall").await.success();
    assert_eq!(rows_read(&second), 7);
    assert_eq!(summary_count(&second, "imported:"), 0, "{}", second.stdout);
    assert_eq!(summary_count(&second, "updated:"), 0);
    assert_eq!(summary_count(&second, "unchanged:"), 6);
    assert_eq!(
        sql_number(&pool, "SELECT COUNT(*) FROM orders").await,
        orders_before
    );
    assert_eq!(
        sql_number(&pool, "SELECT COUNT(*) FROM refunds").await,
        refunds_before
    );
    assert_eq!(stats(&server, &key).await, stats_before);
    pool.close().await;
}

#[tokio::test]
async fn a_broken_row_is_listed_by_line_and_the_rest_is_imported() {
    let (dir, url) = fresh_database();
    let file = dir.path().join("orders.csv");
    let rows = [
        "external_id,status,currency,total,created_at,email,sku,item_name,quantity,price",
        "o-1,paid,CNY,88.00,2026-10-01 10:00:00,a@example.com,S1,围巾,1,88.00",
        "o-2,paid,CNY,12.5x,2026-10-01 11:00:00,b@example.com,S2,手帕,1,12.50",
        "o-3,shipped,CNY,30.00,2026-10-02 09:00:00,c@example.com,S3,眼罩,1,30.00",
    ];
    std::fs::write(&file, rows.join("\n") + "\n").expect("write");

    let run = import(&url, &file, "orders-csv", "api").await.success();
    assert_eq!(summary_count(&run, "imported:"), 2, "{}", run.stdout);
    let rejected = rejected_lines(&run, &file);
    assert_eq!(
        rejected.keys().copied().collect::<Vec<_>>(),
        [3],
        "{}",
        run.stdout
    );
    assert!(rejected[&3].contains("total"), "{}", rejected[&3]);
    let pool = sqlite(&url).await;
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT external_id FROM orders ORDER BY external_id")
            .fetch_all(&pool)
            .await
            .expect("orders");
    assert_eq!(ids, ["o-1", "o-3"]);
    pool.close().await;
}

#[tokio::test]
async fn an_unknown_format_is_refused_with_the_formats_that_exist() {
    let (_dir, url) = fresh_database();
    let run = import(&url, &fixture("jd_orders.csv"), "tabao", "jd")
        .await
        .failure();
    assert!(run.stderr.contains("tabao"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("taobao, jd, shopify, orders-csv or customers-csv"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_missing_file_is_refused_by_name() {
    let (dir, url) = fresh_database();
    let missing = dir.path().join("no-such-export.csv");
    let run = import(&url, &missing, "taobao", "tmall").await.failure();
    assert!(
        run.stderr.contains(&missing.display().to_string()),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn a_binary_file_is_refused_as_not_text_and_imports_nothing() {
    let (dir, url) = fresh_database();
    let junk = dir.path().join("export.csv");
    let bytes: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 256) as u8).collect();
    std::fs::write(&junk, bytes).expect("write");
    let run = import(&url, &junk, "taobao", "tmall").await.failure();
    assert!(run.stderr.contains("not a text file"), "{}", run.stderr);
    let pool = sqlite(&url).await;
    assert_eq!(sql_number(&pool, "SELECT COUNT(*) FROM orders").await, 0);
    pool.close().await;
}

#[tokio::test]
async fn shopify_and_jd_exports_import_and_report_their_bad_rows() {
    let (_dir, url) = fresh_database();
    let shopify = fixture("shopify_orders_export.csv");
    let run = import(&url, &shopify, "shopify", "shop").await.success();
    assert_eq!(summary_count(&run, "imported:"), 4, "{}", run.stdout);
    let rejected = rejected_lines(&run, &shopify);
    assert_eq!(
        rejected.keys().copied().collect::<Vec<_>>(),
        [7],
        "{}",
        run.stdout
    );
    assert!(rejected[&7].contains("Created at"), "{}", rejected[&7]);

    let jd = fixture("jd_orders.csv");
    let run = import(&url, &jd, "jd", "jd").await.success();
    assert_eq!(summary_count(&run, "imported:"), 3, "{}", run.stdout);
    let rejected = rejected_lines(&run, &jd);
    assert_eq!(
        rejected.keys().copied().collect::<Vec<_>>(),
        [5],
        "{}",
        run.stdout
    );
    assert!(rejected[&5].contains("订购数量"), "{}", rejected[&5]);

    let pool = sqlite(&url).await;
    let per_source: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.name, COUNT(*) FROM orders o JOIN sources s ON s.id = o.source_id GROUP BY s.name ORDER BY s.name",
    )
    .fetch_all(&pool)
    .await
    .expect("orders per source");
    assert_eq!(per_source, [("jd".to_owned(), 3), ("shop".to_owned(), 4)]);
    let kinds: Vec<(String, String)> =
        sqlx::query_as("SELECT name, kind FROM sources WHERE name IN ('jd', 'shop') ORDER BY name")
            .fetch_all(&pool)
            .await
            .expect("sources");
    assert_eq!(
        kinds,
        [
            ("jd".into(), "jd".into()),
            ("shop".into(), "shopify".into())
        ],
        "import creates a source of the file's kind"
    );
    pool.close().await;
}

#[tokio::test]
async fn a_customers_file_imported_twice_reports_nothing_new_the_second_time() {
    let (_dir, url) = fresh_database();
    let file = fixture("customers.csv");
    let first = import(&url, &file, "customers-csv", "crm").await;
    assert!(first.status.success(), "{}", first.stderr);
    assert!(summary_count(&first, "imported:") > 0, "{}", first.stdout);
    let second = import(&url, &file, "customers-csv", "crm").await;
    assert!(second.status.success(), "{}", second.stderr);
    assert_eq!(summary_count(&second, "imported:"), 0, "{}", second.stdout);
    assert_eq!(summary_count(&second, "updated:"), 0, "{}", second.stdout);
    assert_eq!(
        summary_count(&second, "unchanged:"),
        summary_count(&first, "imported:") + summary_count(&first, "updated:"),
        "{}",
        second.stdout
    );
}

/// A file larger than the writes an import keeps in flight: an order listed again near the
/// end is stored as the later row says, whatever batch each row travelled in.
#[tokio::test]
async fn a_later_row_wins_across_the_writes_in_flight() {
    let (dir, url) = fresh_database();
    let file = dir.path().join("orders.csv");
    let mut rows = vec![
        "external_id,status,currency,total,created_at,email,sku,item_name,quantity,price"
            .to_owned(),
    ];
    rows.push("o-late,paid,CNY,10.00,2026-10-01 10:00:00,late@example.com,S1,围巾,1,10.00".into());
    for i in 1..=5_998 {
        rows.push(format!(
            "o-{i},paid,CNY,1.00,2026-10-01 10:00:00,buyer{}@example.com,S2,手帕,1,1.00",
            i % 100
        ));
    }
    rows.push(
        "o-late,shipped,CNY,99.00,2026-10-01 10:00:00,late@example.com,S1,围巾,1,99.00".into(),
    );
    std::fs::write(&file, rows.join("\n") + "\n").expect("write");

    let run = import(&url, &file, "orders-csv", "api").await.success();
    assert_eq!(rows_read(&run), 6_000, "{}", run.stdout);
    assert_eq!(summary_count(&run, "imported:"), 5_999, "{}", run.stdout);
    assert_eq!(summary_count(&run, "updated:"), 1, "{}", run.stdout);
    let pool = sqlite(&url).await;
    let (status, total): (String, i64) =
        sqlx::query_as("SELECT status, total_minor FROM orders WHERE external_id = 'o-late'")
            .fetch_one(&pool)
            .await
            .expect("the order");
    assert_eq!((status.as_str(), total), ("shipped", 9_900));
    pool.close().await;
}
