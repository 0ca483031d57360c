//! `segment-bench --database-url URL`: the two segment figures of BENCHMARKS.md, on a loaded
//! shop, with the real server in this process.
//!
//! 1. Evaluating a five-condition rule over every customer (a preview: count and sample), 20
//!    times after a warm-up.
//! 2. From an order's acknowledgement (the API's answer) to the customer's segment entry being
//!    recorded (members, history, timeline event and change log committed, then announced),
//!    for `--orders` orders one after another, each from a new customer.
#![allow(clippy::print_stdout)] // The figures are this tool's output.

use clap::Parser;
use guanxi_app::intelligence::Readiness;
use guanxi_bench::latency::Percentiles;
use guanxi_engine::segment::Rule;
use guanxi_store::SegmentStore;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(about = "Time segment evaluation and the order-to-segment latency")]
struct Args {
    #[arg(long, default_value = "sqlite:///tmp/guanxi-bench-1m.db")]
    database_url: String,
    /// Orders posted for the latency figure.
    #[arg(long, default_value_t = 1_000)]
    orders: usize,
}

/// The five conditions operators write: repeat buyers who spent, still recent, tagged VIP, in
/// an important RFM class.
const FIVE_CONDITIONS: &str = "orders >= 2 and spent >= 300 and days_since_last_order <= 365 \
     and tag \"vip\" and rfm_class in (important_value, important_keep, important_develop, important_retain)";

/// What each latency order's new customer enters: an order of this size, today.
const LATENCY_RULE: &str = "spent >= 1234 and days_since_last_order <= 1";
const LATENCY_KEY: &str = "bench-latency";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    guanxi::telemetry::init("pretty");
    let config = guanxi::Config {
        database_url: args.database_url,
        ..guanxi::Config::default()
    };
    let app = guanxi::App::build(&config).await?;
    let store = app.store.clone();
    guanxi_bench::in_process::ensure_segment(
        store.as_ref(),
        LATENCY_KEY,
        "Benchmark: big orders today",
        LATENCY_RULE,
    )
    .await?;
    let intelligence = app.intelligence.clone();
    let settings = app.settings.clone();
    let server = guanxi_bench::in_process::InProcess::serve(app, "segment-bench").await?;
    let (base, key) = (server.base.clone(), server.key.clone());

    let started = Instant::now();
    while !matches!(intelligence.readiness(), Readiness::Ready { .. }) {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the engine never got ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "engine ready in {:.1} s (read, fit)",
        started.elapsed().as_secs_f64()
    );
    while !intelligence.is_settled() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "the segments never settled"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "segments settled in {:.1} s (every segment evaluated for every customer, changes recorded)",
        started.elapsed().as_secs_f64()
    );

    // The first learning of recommendations reads every order line: measure on a quiet server.
    while !intelligence.has_learnt() {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(1800),
            "recommendations never learnt"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "recommendations learnt in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let rule = Rule::from_text(FIVE_CONDITIONS)?;
    let zone = settings.current().time_zone;
    let mut times = Vec::new();
    let mut count = 0;
    for run in 0..21 {
        let t = Instant::now();
        let preview = intelligence
            .preview(store.as_ref(), &rule, &settings, zone)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the engine is not built"))??;
        if run > 0 {
            times.push(t.elapsed());
        }
        count = preview.count;
    }
    let evaluation = Percentiles::of(times).ok_or_else(|| anyhow::anyhow!("no runs"))?;
    println!("five-condition segment: {count} members; {evaluation}");
    println!("  rule: {FIVE_CONDITIONS}");

    let segment = store.segment_id(LATENCY_KEY).await?;
    let mut announced = intelligence.subscribe();
    let http = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(args.orders);
    let run = chrono::Utc::now().timestamp_millis();
    for i in 0..args.orders {
        let order = serde_json::json!({"source": "api", "external_id": format!("bench-{run}-{i}"),
            "status": "paid", "currency": "CNY", "total": "1234.00",
            "created_at": chrono::Utc::now().to_rfc3339(),
            "customer": {"email": format!("bench-{run}-{i}@example.com")}, "items": []});
        let response = http
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(&key)
            .json(&order)
            .send()
            .await?;
        let acknowledged = Instant::now();
        anyhow::ensure!(
            response.status().is_success(),
            "order refused: {}",
            response.text().await?
        );
        let body: serde_json::Value = response.json().await?;
        let customer = body["order"]["customer_id"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("no customer in {body}"))?;
        loop {
            let batch = tokio::time::timeout(Duration::from_secs(10), announced.recv()).await??;
            if batch
                .iter()
                .any(|t| t.customer == customer && t.segment == segment && t.entered)
            {
                latencies.push(acknowledged.elapsed());
                break;
            }
        }
    }
    let latency = Percentiles::of(latencies).ok_or_else(|| anyhow::anyhow!("no orders"))?;
    println!("order acknowledged → segment entry recorded: {latency}");
    println!(
        "peak RSS {:.0} MiB",
        guanxi_bench::peak_rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    server.stop().await?;
    Ok(())
}
