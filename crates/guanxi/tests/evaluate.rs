//! `guanxi evaluate clv` on the CDNOW sample reproduces the published figures, and bad input
//! is refused with the line and column.

use crate::helpers::guanxi_cli;
use serde_json::Value;

const CDNOW_SAMPLE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../guanxi-engine/tests/data/cdnow/CDNOW_sample.txt"
));

/// The sample as the command reads it: `customer_id,date,amount`.
fn cdnow_csv() -> String {
    let mut csv = String::from("customer_id,date,amount\n");
    for line in CDNOW_SAMPLE.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let date = format!("{}-{}-{}", &f[2][..4], &f[2][4..6], &f[2][6..]);
        csv.push_str(&format!(
            "{},{date},{}\n",
            f[1].trim_start_matches('0'),
            f[4]
        ));
    }
    csv
}

fn close(value: &Value, expected: f64, tolerance: f64) -> bool {
    value
        .as_f64()
        .is_some_and(|v| (v - expected).abs() <= tolerance)
}

/// `guanxi evaluate WHAT <the CDNOW sample> ARGS…`, its JSON report.
async fn evaluate_cdnow(what: &str, args: &[&str]) -> Value {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("cdnow.csv");
    std::fs::write(&file, cdnow_csv()).expect("write");
    let url = format!("sqlite://{}/unused.db", dir.path().display());
    let mut all = vec!["evaluate", what, file.to_str().expect("path")];
    all.extend_from_slice(args);
    let run = guanxi_cli(&url, &all).await.success();
    serde_json::from_str(&run.stdout).expect("JSON")
}

#[tokio::test]
async fn the_cdnow_sample_gives_the_published_parameters() {
    let report = evaluate_cdnow(
        "clv",
        &[
            "--calibration-end",
            "1997-09-30",
            "--holdout-end",
            "1998-06-30",
        ],
    )
    .await;
    let bg = &report["bg_nbd"];
    assert!(close(&bg["r"], 0.243, 0.0005), "{bg}");
    assert!(close(&bg["alpha"], 4.414, 0.0005), "{bg}");
    assert!(close(&bg["a"], 0.793, 0.0005), "{bg}");
    assert!(close(&bg["b"], 2.426, 0.0005), "{bg}");
    assert!(close(&bg["log_likelihood"], -9582.4, 0.05), "{bg}");
    let gg = &report["gamma_gamma"];
    assert!(close(&gg["p"], 6.25, 0.005), "{gg}");
    assert!(close(&gg["q"], 3.74, 0.005), "{gg}");
    assert!(close(&gg["gamma"], 15.44, 0.005), "{gg}");
    assert_eq!(report["customers"], 2_357);
    assert!(close(&report["holdout"]["weeks"], 39.0, 1e-9));

    let first = report["per_customer"]
        .as_array()
        .expect("customers")
        .iter()
        .find(|c| c["customer_id"] == "1")
        .expect("customer 1");
    assert_eq!(first["x"], 2);
    assert!(close(&first["t_x"], 30.43, 0.005), "{first}");
    assert!(close(&first["T"], 38.86, 0.005), "{first}");
    assert!(
        close(&first["expected_purchases_holdout"], 1.226, 0.001),
        "the paper's worked example: {first}"
    );
    assert_eq!(first["actual_purchases_holdout"], 1);
    assert!(first["clv"].as_f64().is_some_and(|v| v > 0.0), "{first}");
}

#[tokio::test]
async fn bad_rows_and_dates_are_refused_with_where_they_are() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/unused.db", dir.path().display());
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "customer_id,date,amount\na,1997-01-01,10\na,1997-02-30,5\n",
    )
    .expect("write");
    let path = file.to_str().expect("path");
    let run = guanxi_cli(
        &url,
        &["evaluate", "clv", path, "--calibration-end", "1997-09-30"],
    )
    .await
    .failure();
    assert!(run.stderr.contains("line 3: date"), "{}", run.stderr);

    std::fs::write(&file, "customer_id,date,amount\na,1997-01-01,-3\n").expect("write");
    let run = guanxi_cli(
        &url,
        &["evaluate", "clv", path, "--calibration-end", "1997-09-30"],
    )
    .await
    .failure();
    assert!(run.stderr.contains("line 2: amount"), "{}", run.stderr);

    let run = guanxi_cli(
        &url,
        &["evaluate", "clv", path, "--calibration-end", "30/09/1997"],
    )
    .await
    .failure();
    assert!(run.stderr.contains("--calibration-end"), "{}", run.stderr);

    std::fs::write(
        &file,
        "customer_id,date,amount\na,1997-01-01,10\nb,1997-01-02,3\n",
    )
    .expect("write");
    let run = guanxi_cli(
        &url,
        &["evaluate", "clv", path, "--calibration-end", "1997-09-30"],
    )
    .await
    .failure();
    assert!(
        run.stderr.contains("too little history"),
        "nobody bought twice: {}",
        run.stderr
    );
}

#[tokio::test]
async fn rfm_classes_every_customer_once() {
    let report = evaluate_cdnow("rfm", &["--as-of", "1998-06-30"]).await;
    assert_eq!(report["customers"], 2_357);
    let classed: u64 = report["classes"]
        .as_object()
        .expect("classes")
        .values()
        .map(|n| n.as_u64().expect("count"))
        .sum();
    assert_eq!(classed, 2_357);
    let gridded: u64 = report["grid"]
        .as_array()
        .expect("grid")
        .iter()
        .flat_map(|row| row.as_array().expect("row").iter())
        .map(|n| n.as_u64().expect("count"))
        .sum();
    assert_eq!(gridded, 2_357);
    // Most of the cohort bought early in 1997 and never again: below average on all three.
    assert_eq!(report["classes"]["general_retain"], 1_363, "{report}");
}

#[tokio::test]
async fn evaluate_recommendations_beats_best_sellers_on_held_out_orders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lines.csv");
    // Tea drinkers come back for cups; bags sell most and nobody needs two.
    let mut csv = String::from("customer_id,order_id,date,sku\n");
    for c in 0..30 {
        csv.push_str(&format!("t{c},t{c}-1,2026-01-01,TEA\n"));
        csv.push_str(&format!("t{c},t{c}-2,2026-02-01T10:00:00Z,CUP\n"));
    }
    for c in 0..5 {
        csv.push_str(&format!(
            "x{c},x{c}-1,2026-01-01,TEA\nx{c},x{c}-1,2026-01-01,CUP\n"
        ));
    }
    for c in 0..60 {
        csv.push_str(&format!("b{c},b{c}-1,2026-01-01,BAG\n"));
    }
    std::fs::write(&file, csv).expect("write");
    let url = format!("sqlite://{}/unused.db", dir.path().display());
    let path = file.to_str().expect("path");
    let run = guanxi_cli(&url, &["evaluate", "recommendations", path, "--k", "1"])
        .await
        .success();
    let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["evaluated"], 30, "{report}");
    assert_eq!(report["item_to_item"]["hits"], 30, "{report}");
    assert_eq!(report["popularity"]["hits"], 0, "{report}");

    std::fs::write(&file, "customer,order_id,date,sku\n1,1,2026-01-01,A\n").expect("write");
    let run = guanxi_cli(&url, &["evaluate", "recommendations", path])
        .await
        .failure();
    assert!(
        run.stderr.contains("no customer_id column"),
        "{}",
        run.stderr
    );
    std::fs::write(&file, "customer_id,order_id,date,sku\n1,1,someday,A\n").expect("write");
    let run = guanxi_cli(&url, &["evaluate", "recommendations", path])
        .await
        .failure();
    assert!(run.stderr.contains("line 2: date"), "{}", run.stderr);
}
