//! `guanxi import FILE --format F --source NAME`.
#![allow(clippy::print_stdout)] // The summary is this command's output.

use crate::{App, Config};
use anyhow::Context;
use guanxi_app::credentials::{self, By};
use guanxi_channels::import::ImportFormat;
use std::io::Write;
use std::path::Path;

pub async fn run(config: &Config, file: &Path, format: &str, source: &str) -> anyhow::Result<()> {
    let format: ImportFormat = format
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--format: {e}"))?;
    let reader =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let size = reader.metadata().map(|m| m.len()).unwrap_or(0).max(1);
    let app = App::build(config).await?;
    let source = credentials::source_for_import(
        app.store.as_ref(),
        &By::CommandLine,
        source,
        format.source_kind(),
    )
    .await?;
    let started = std::time::Instant::now();
    let result = guanxi_app::import::run(
        &app.ingestor,
        &app.settings.current(),
        &source,
        format,
        Box::new(std::io::BufReader::new(reader)),
        |bytes, summary| {
            let mut err = std::io::stderr();
            let _ = write!(
                err,
                "\r{}: {:>3}% — {} rows read",
                file.display(),
                bytes * 100 / size,
                summary.rows_read
            );
            let _ = err.flush();
        },
    )
    .await;
    eprintln!();
    app.shutdown().await;
    let summary = result.with_context(|| format!("importing {} stopped", file.display()))?;
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "{}: {} rows read in {elapsed:.1}s",
        file.display(),
        summary.rows_read
    );
    println!("  imported:  {}", summary.imported);
    println!("  updated:   {}", summary.updated);
    println!("  unchanged: {} (already imported)", summary.unchanged);
    println!("  rejected:  {}", summary.rejected.len());
    for row in &summary.rejected {
        println!("    {}:{}: {}", file.display(), row.line, row.reason);
    }
    Ok(())
}
