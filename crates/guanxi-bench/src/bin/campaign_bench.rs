//! `campaign-bench --database-url URL [--smtp-url URL --send N]`: the campaign figures of
//! BENCHMARKS.md, with the real server in this process.
//!
//! 1. Every customer with an order gets e-mail consent (one SQL statement, not timed), and a
//!    segment of buyers is recorded by the engine.
//! 2. A campaign to that segment is launched over the API: the answer comes once every
//!    delivery is queued (or kept back, or skipped), which is the figure.
//! 3. With `--smtp-url`, the dispatcher sends the first `--send` of them to that SMTP server
//!    (`python -m aiosmtpd -n -c aiosmtpd.handlers.Sink`), as fast as it can: messages/s.
#![allow(clippy::print_stdout)] // The figures are this tool's output.

use clap::Parser;
use guanxi_app::intelligence::Readiness;
use serde_json::json;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(about = "Time queuing a campaign to every buyer, and sending e-mail")]
struct Args {
    #[arg(long, default_value = "sqlite:///tmp/guanxi-bench-campaign.db")]
    database_url: String,
    /// An SMTP server to measure sending against.
    #[arg(long)]
    smtp_url: Option<String>,
    /// Messages to send for the throughput figure.
    #[arg(long, default_value_t = 20_000)]
    send: u64,
    /// The audience's rule (`identity email` for a shop where not everyone has an address).
    #[arg(long, default_value = "orders >= 1")]
    rule: String,
}

const SEGMENT: &str = "bench-audience";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    guanxi::telemetry::init("pretty");
    let path = args
        .database_url
        .strip_prefix("sqlite://")
        .ok_or_else(|| anyhow::anyhow!("the campaign benchmark runs on SQLite"))?;
    let consent = Instant::now();
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await?;
    let granted = sqlx::query(
        "INSERT INTO consents (customer_id, channel, status, source, at) \
         SELECT id, 'email', 'subscribed', 'bench', 0 FROM customers WHERE merged_into IS NULL \
         ON CONFLICT DO NOTHING",
    )
    .execute(&pool)
    .await?
    .rows_affected();
    pool.close().await;
    println!(
        "e-mail consent given to {granted} more customers in {:.1} s (set-up)",
        consent.elapsed().as_secs_f64()
    );

    let config = guanxi::Config {
        database_url: args.database_url.clone(),
        smtp_url: args.smtp_url.clone().map(secrecy::SecretString::from),
        email_per_second: 1_000_000,
        ..guanxi::Config::default()
    };
    let mut app = guanxi::App::build(&config).await?;
    app.send_in_background = false;
    let store = app.store.clone();
    let name = format!("Benchmark: {}", args.rule);
    guanxi_bench::in_process::ensure_segment(store.as_ref(), SEGMENT, &name, &args.rule).await?;
    let intelligence = app.intelligence.clone();
    let messaging = app.messaging.clone();
    let server = guanxi_bench::in_process::InProcess::serve(app, "campaign-bench").await?;
    let (base, key) = (server.base.clone(), server.key.clone());
    let started = Instant::now();
    while !matches!(intelligence.readiness(), Readiness::Ready { .. }) || !intelligence.is_settled()
    {
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(3600),
            "the segments never settled"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "segments recorded in {:.1} s (set-up)",
        started.elapsed().as_secs_f64()
    );

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?;
    let run = chrono::Utc::now().timestamp_millis();
    let template = format!("bench-{run}");
    let response = http
        .post(format!("{base}/api/v1/templates"))
        .bearer_auth(&key)
        .json(&json!({"key": template, "name": "Benchmark", "channel": "email", "content": {"languages": {
            "zh-CN": {"subject": "{{ name }}，冬季新品", "html": "<p>{{ name }}，<a href=\"https://shop.example/new\">看看新品</a></p>", "text": "{{ name }}，看看新品"}},
            "defaults": {"name": "亲爱的顾客"}}}))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "template refused: {}",
        response.text().await?
    );
    let response = http
        .post(format!("{base}/api/v1/campaigns"))
        .bearer_auth(&key)
        .json(&json!({"name": "Benchmark", "channel": "email", "spec": {"audience": {"segments": [SEGMENT]},
            "variants": [{"key": "a", "template": template}], "holdout_percent": 5}}))
        .send()
        .await?;
    let body: serde_json::Value = response.json().await?;
    let id = body["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("campaign refused: {body}"))?;
    let launch = Instant::now();
    let response = http
        .post(format!("{base}/api/v1/campaigns/{id}/launch"))
        .bearer_auth(&key)
        .send()
        .await?;
    let took = launch.elapsed();
    let report: serde_json::Value = response.json().await?;
    println!(
        "campaign to {} customers queued in {:.2} s: {} queued, {} holdout, {} skipped ({:.0} deliveries/s)",
        report["audience"],
        took.as_secs_f64(),
        report["queued"],
        report["holdout"],
        report["skipped"],
        report["audience"].as_f64().unwrap_or(0.0) / took.as_secs_f64()
    );

    if args.smtp_url.is_some() {
        let dispatcher =
            guanxi_app::messaging::Dispatcher::new(messaging).map_err(anyhow::Error::msg)?;
        let sending = Instant::now();
        let sent = dispatcher.drain_up_to(args.send).await?;
        let took = sending.elapsed().as_secs_f64();
        println!(
            "sent {} e-mails over SMTP in {took:.1} s: {:.0} messages/s ({} failed, {} retried, {} skipped)",
            sent.sent,
            sent.sent as f64 / took,
            sent.failed,
            sent.retried,
            sent.skipped
        );
    }
    println!(
        "peak RSS {:.0} MiB",
        guanxi_bench::peak_rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    server.stop().await?;
    Ok(())
}
