//! `engine-build --database-url URL`: times a full build of the intelligence engine (read every
//! customer's order facts, build the feature columns, fit BG/NBD and Gamma-Gamma, cut the
//! quintiles) and reports the process's peak resident memory.
#![allow(clippy::print_stdout)] // The figures are this tool's output.

use clap::Parser;
use guanxi_app::intelligence::{Intelligence, Readiness};
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Time a full build of the intelligence engine")]
struct Args {
    #[arg(long, default_value = "sqlite:///tmp/guanxi-bench-1m.db")]
    database_url: String,
}

/// Peak resident set size in MiB.
fn peak_rss_mib() -> Option<f64> {
    guanxi_bench::peak_rss_kib().map(|kib| kib as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    guanxi::telemetry::init("pretty");
    let config = guanxi::Config {
        database_url: args.database_url,
        ..guanxi::Config::default()
    };
    let app = guanxi::App::build(&config).await?;
    let before = peak_rss_mib().unwrap_or_default();
    let engine = std::sync::Arc::new(Intelligence::default());
    let started = Instant::now();
    engine.build(app.store.as_ref(), &app.settings).await?;
    let elapsed = started.elapsed();
    let Readiness::Ready { customers, .. } = engine.readiness() else {
        anyhow::bail!("the engine is not ready: {:?}", engine.readiness());
    };
    println!(
        "engine built: {customers} customers with orders in {:.2} s; peak RSS {:.0} MiB \
         ({:.0} MiB before the build)",
        elapsed.as_secs_f64(),
        peak_rss_mib().unwrap_or_default(),
        before
    );
    println!("{}", engine.describe());
    app.shutdown().await;
    Ok(())
}
