//! `journey-bench --database-url URL [--customers N]`: the journey figures of BENCHMARKS.md on
//! a loaded shop, with a manual clock.
//!
//! `--customers` customers (100,000) start a journey whose split sends 10% to a one-hour wait
//! and the rest to a thirty-day one. The figures: moving everyone into their wait, the process
//! size with all of them waiting, and the time to process the 10% (10,000) whose wait expires
//! (each moves on, is sent an in-app message and leaves).
#![allow(clippy::print_stdout)] // The figures are this tool's output.

use clap::Parser;
use guanxi_app::journeys::JourneyRunner;
use guanxi_app::messaging::Clock;
use guanxi_domain::CustomerId;
use guanxi_store::{JourneyStore, MessagingStore, NewRun, NewTemplate};
use serde_json::json;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Time journeys with many customers waiting")]
struct Args {
    #[arg(long, default_value = "sqlite:///tmp/guanxi-bench-campaign.db")]
    database_url: String,
    #[arg(long, default_value_t = 100_000)]
    customers: i64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    guanxi::telemetry::init("pretty");
    let config = guanxi::Config {
        database_url: args.database_url,
        ..guanxi::Config::default()
    };
    let mut app = guanxi::App::build(&config).await?;
    let start = chrono::Utc::now().timestamp_millis();
    let clock = Clock::manual(start);
    app.messaging.clock = clock.clone();
    let store = app.store.clone();
    let run = start;
    let template = format!("bench-note-{run}");
    store
        .create_template(
            &NewTemplate {
                key: template.clone(),
                name: "Benchmark".into(),
                channel: guanxi_domain::messaging::Channel::InApp,
                content: json!({"languages": {"zh-CN": {"subject": "提醒", "html": "", "text": "您好"}}, "defaults": {}}).to_string(),
            },
            start,
        )
        .await?;
    let definition = json!({
        "trigger": {"segment_entered": "lifecycle-new"}, "start": "split",
        "steps": [
            {"id": "split", "type": "split", "arms": [{"weight": 10, "next": "hour"}, {"weight": 90, "next": "month"}]},
            {"id": "hour", "type": "wait", "hours": 1, "next": "note"},
            {"id": "note", "type": "send", "channel": "in_app", "template": template, "next": "done"},
            {"id": "month", "type": "wait", "days": 30, "next": "done"},
            {"id": "done", "type": "exit"}
        ]
    });
    let journey = store
        .create_journey(
            &format!("bench-{run}"),
            "Benchmark",
            &definition.to_string(),
            start,
        )
        .await?;
    let runs: Vec<NewRun> = (1..=args.customers)
        .map(|c| NewRun {
            journey: journey.id,
            version: 1,
            customer: CustomerId(c),
            correlation: None,
        })
        .collect();
    let t = Instant::now();
    let started = store.start_runs(&runs, start).await?;
    println!(
        "{started} customers started the journey in {:.1} s (set-up)",
        t.elapsed().as_secs_f64()
    );

    let runner = JourneyRunner::new(app.messaging.clone(), app.ingestor.clone());
    let t = Instant::now();
    let first = runner.tick().await?;
    println!(
        "{} runs moved into their waits in {:.1} s",
        first.moved,
        t.elapsed().as_secs_f64()
    );
    println!(
        "process peak RSS with {} customers waiting: {:.0} MiB",
        started,
        guanxi_bench::peak_rss_kib().unwrap_or_default() as f64 / 1024.0
    );

    clock.advance(3_600_000 + 1_000);
    let t = Instant::now();
    let expired = runner.tick().await?;
    let took = t.elapsed().as_secs_f64();
    println!(
        "{} expiring waits processed in {took:.2} s ({:.0} runs/s): each moved on, queued an in-app message and left",
        expired.moved,
        expired.moved as f64 / took
    );
    let counts = store.step_counts(journey.id).await?;
    for c in counts {
        println!(
            "  step {:<6} entered {:>7}  now {:>7}",
            c.step, c.entered, c.now
        );
    }
    println!(
        "peak RSS {:.0} MiB",
        guanxi_bench::peak_rss_kib().unwrap_or_default() as f64 / 1024.0
    );
    // The runner holds a handle on the writer, which stops once every handle is gone.
    drop(runner);
    app.shutdown().await;
    Ok(())
}
