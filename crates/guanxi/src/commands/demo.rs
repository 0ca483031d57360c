//! The demo shop: `guanxi demo` and `guanxi serve --demo` stream the generator through the
//! same writer every channel uses.
#![allow(clippy::print_stdout)] // The summary is this command's output.

use crate::{App, Config};
use guanxi_app::credentials::{self, By};
use guanxi_app::{WriteItem, WriteOp};
use guanxi_demo::{CHANNELS, DemoConfig, DemoRecord};
use guanxi_domain::SourceId;
use std::fmt;

/// Records per write: large enough for group commit to shine, small enough to show progress.
const CHUNK: usize = 5_000;

pub struct DemoLoaded {
    pub customers: usize,
    pub records: usize,
    pub seconds: f64,
    pub api_key: String,
}

impl fmt::Display for DemoLoaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Demo shop loaded: {} customers' histories, {} records in {:.1}s.",
            self.customers, self.records, self.seconds
        )?;
        write!(
            f,
            "Demo API key (admin scopes), shown once:\n{}",
            self.api_key
        )
    }
}

fn item(record: DemoRecord) -> WriteItem {
    match record {
        DemoRecord::Event(e) => WriteItem {
            receipt: Some((e.source, e.message_id.clone())),
            ops: vec![WriteOp::Event(e)],
        },
        DemoRecord::Order(o) => WriteItem {
            receipt: None,
            ops: vec![WriteOp::Order(o)],
        },
        DemoRecord::Profile(p) => WriteItem {
            receipt: None,
            ops: vec![WriteOp::Profile(p)],
        },
    }
}

pub async fn load(app: &App, customers: usize, seed: u64) -> anyhow::Result<DemoLoaded> {
    let started = std::time::Instant::now();
    let mut sources = [SourceId(0); 4];
    for (slot, channel) in sources.iter_mut().zip(CHANNELS.iter()) {
        *slot = credentials::source_for_import(
            app.store.as_ref(),
            &By::CommandLine,
            channel.name,
            channel.kind,
        )
        .await?
        .id;
    }
    // The history ends today, so the dashboard's recent periods have something to show.
    let today = chrono::Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc());
    let config = DemoConfig {
        customers,
        seed,
        end: today.unwrap_or_else(|| DemoConfig::default().end),
    };
    let mut records = 0;
    let mut chunk = Vec::with_capacity(CHUNK);
    for record in guanxi_demo::generate(&config, sources) {
        chunk.push(item(record));
        if chunk.len() == CHUNK {
            records += chunk.len();
            app.ingestor.write(std::mem::take(&mut chunk)).await?;
        }
    }
    records += chunk.len();
    app.ingestor.write(chunk).await?;
    let scopes = ["ingest", "read", "write", "admin"].map(String::from);
    let (_, api_key) =
        credentials::issue_api_key(app.store.as_ref(), &By::CommandLine, "demo", &scopes).await?;
    Ok(DemoLoaded {
        customers,
        records,
        seconds: started.elapsed().as_secs_f64(),
        api_key,
    })
}

pub async fn run(config: &Config, customers: usize, seed: u64) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    let loaded = load(&app, customers, seed).await;
    app.shutdown().await;
    println!("{}", loaded?);
    Ok(())
}
