//! `load-shop --customers N --orders-per-customer K`: fills a database for the Customer 360 read
//! benchmark through the production write path (`App` + `ingestor.write`, large chunks),
//! skipping HTTP and behaviour events. Per customer: one profile (phone, Taobao buyer, name,
//! city, gender, birthday, tags) and on average K Tmall orders (1..=2K-1) of catalogue products.
//! Customers are written one after another, so their ids are consecutive from the first one
//! (printed at the end, for the read benchmark's random ids).
#![allow(clippy::print_stdout)] // The summary is this tool's output.

use anyhow::Context;
use clap::Parser;
use guanxi_app::{WriteItem, WriteOp};
use guanxi_bench::people;
use guanxi_domain::{
    Currency, DefaultRegion, IdentityKey, IdentityKind, Money, OrderChange, OrderCustomer,
    OrderInput, OrderItemInput, OrderStatus, ProfileInput, SourceId,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Instant;

#[derive(Debug, Parser)]
#[command(about = "Fill a database with customers and orders for the read benchmark")]
struct Args {
    #[arg(long, default_value = "sqlite:///tmp/guanxi-bench-1m.db")]
    database_url: String,
    #[arg(long, default_value_t = 1_000_000)]
    customers: u64,
    #[arg(long, default_value_t = 5)]
    orders_per_customer: u64,
    /// Items per `ingestor.write` call (one call never spans two transactions' worth).
    #[arg(long, default_value_t = 5_000)]
    chunk: usize,
    /// Writes queued at once, so the writer always has the next chunk ready.
    #[arg(long, default_value_t = 3)]
    in_flight: usize,
    #[arg(long, default_value_t = 5)]
    seed: u64,
}

const DAY_MS: i64 = 24 * 3600 * 1000;
/// 2024-11-01T00:00:00Z: two years of history before the demo shop's end.
const HISTORY_START_MS: i64 = 1_730_419_200_000;

struct Maker {
    source: SourceId,
    region: DefaultRegion,
    products: Vec<guanxi_demo::Product>,
    orders_per_customer: u64,
}

impl Maker {
    fn customer(
        &self,
        rng: &mut ChaCha8Rng,
        n: u64,
        out: &mut Vec<WriteItem>,
    ) -> anyhow::Result<()> {
        let phone = people::mobile(n);
        let identities = vec![
            IdentityKey::new(IdentityKind::TaobaoBuyer, &format!("tb{n:08}"), self.region)?,
            IdentityKey::new(IdentityKind::Phone, &phone, self.region)?,
        ];
        let name = people::name(rng);
        let first_seen = HISTORY_START_MS + rng.gen_range(0..600) * DAY_MS;
        let mut traits = Map::new();
        traits.insert("name".into(), json!(name));
        traits.insert("city".into(), json!(people::city(rng)));
        traits.insert(
            "gender".into(),
            json!(if rng.gen_bool(0.7) { "female" } else { "male" }),
        );
        traits.insert(
            "birthday".into(),
            json!(format!(
                "{}-{:02}-{:02}",
                rng.gen_range(1970..2005),
                rng.gen_range(1..=12),
                rng.gen_range(1..=28)
            )),
        );
        let tags = if rng.gen_bool(0.2) {
            vec!["vip".to_owned()]
        } else {
            Vec::new()
        };
        out.push(WriteItem {
            receipt: None,
            ops: vec![WriteOp::Profile(ProfileInput {
                source: self.source,
                identities: identities.clone(),
                traits,
                tags,
                updated_at: first_seen,
            })],
        });
        let orders = rng.gen_range(1..=(2 * self.orders_per_customer).saturating_sub(1).max(1));
        let mut at = first_seen;
        for j in 0..orders {
            at += rng.gen_range(1..90) * DAY_MS + rng.gen_range(0..DAY_MS);
            let mut items = Vec::new();
            let mut total = 0;
            for _ in 0..rng.gen_range(1..=2) {
                let p = &self.products[rng.gen_range(0..self.products.len())];
                let quantity = rng.gen_range(1..=2);
                total += p.price_minor * quantity;
                items.push(OrderItemInput {
                    sku: p.sku.clone(),
                    name: p.name.clone(),
                    category: Some(p.category.clone()),
                    quantity,
                    price: Money::from_minor(p.price_minor, Currency::CNY),
                });
            }
            let status = match rng.gen_range(0..100) {
                0..=84 => OrderStatus::Completed,
                85..=91 => OrderStatus::Shipped,
                92..=95 => OrderStatus::Paid,
                96..=97 => OrderStatus::Closed,
                _ => OrderStatus::Refunded,
            };
            let mut customer_traits = Map::new();
            customer_traits.insert("name".into(), Value::String(name.clone()));
            out.push(WriteItem {
                receipt: None,
                ops: vec![WriteOp::Order(OrderChange::Upsert(OrderInput {
                    source: self.source,
                    external_id: format!("{}", 4_000_000_000_000_000u64 + n * 100 + j),
                    status,
                    total: Money::from_minor(total, Currency::CNY),
                    created_at: at,
                    customer: OrderCustomer {
                        identities: identities.clone(),
                        traits: customer_traits,
                    },
                    items,
                    refunds: Vec::new(),
                }))],
            });
        }
        Ok(())
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Runtime::new()
        .context("cannot start the runtime")?
        .block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let config = guanxi::Config {
        database_url: args.database_url.clone(),
        ..guanxi::Config::default()
    };
    let app = guanxi::App::build(&config).await?;
    let source = guanxi_app::credentials::source_for_import(
        app.store.as_ref(),
        &guanxi_app::credentials::By::CommandLine,
        "tmall",
        "taobao",
    )
    .await?;
    let maker = Maker {
        source: source.id,
        region: app.settings.current().region,
        products: guanxi_demo::catalogue(),
        orders_per_customer: args.orders_per_customer,
    };
    // Generate on a blocking thread, write on the runtime: the two overlap.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<WriteItem>>(args.in_flight.max(1) * 2);
    let (customers, chunk, seed) = (args.customers, args.chunk, args.seed);
    let generator = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut items = Vec::with_capacity(chunk + 32);
        let mut orders = 0;
        for n in 0..customers {
            maker.customer(&mut rng, n, &mut items)?;
            if items.len() >= chunk {
                orders += items.len() as u64;
                if tx.blocking_send(std::mem::take(&mut items)).is_err() {
                    return Ok(orders);
                }
            }
        }
        orders += items.len() as u64;
        if !items.is_empty() {
            let _ = tx.blocking_send(items);
        }
        Ok(orders - customers)
    });

    let started = Instant::now();
    let mut writes = tokio::task::JoinSet::new();
    let mut statuses: HashMap<String, u64> = HashMap::new();
    let (mut min_id, mut max_id) = (i64::MAX, i64::MIN);
    let mut written = 0u64;
    let mut last_report = Instant::now();
    let mut tally = |outcomes: Vec<guanxi_app::Outcome>| {
        for o in outcomes {
            *statuses.entry(format!("{:?}", o.status)).or_default() += 1;
            if let Some(c) = o.customer {
                min_id = min_id.min(c.0);
                max_id = max_id.max(c.0);
            }
        }
    };
    loop {
        while writes.len() >= args.in_flight.max(1) {
            if let Some(done) = writes.join_next().await {
                tally(done.context("a write task panicked")??);
            }
        }
        let Some(items) = rx.recv().await else { break };
        written += items.len() as u64;
        let ingestor = app.ingestor.clone();
        writes.spawn(async move { ingestor.write(items).await });
        if last_report.elapsed().as_secs() >= 10 {
            last_report = Instant::now();
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{written} records queued in {secs:.0}s ({:.0} records/s)",
                written as f64 / secs
            );
        }
    }
    while let Some(done) = writes.join_next().await {
        tally(done.context("a write task panicked")??);
    }
    let orders = generator.await.context("the generator panicked")??;
    let seconds = started.elapsed().as_secs_f64();
    app.shutdown().await;
    println!(
        "loaded {customers} customers and {orders} orders ({written} records) into {} in {seconds:.1}s: {:.0} records/s, {:.0} orders/s",
        args.database_url,
        written as f64 / seconds,
        orders as f64 / seconds
    );
    let mut statuses: Vec<_> = statuses.into_iter().collect();
    statuses.sort();
    println!("outcomes: {statuses:?}");
    println!("customer ids: {min_id}..={max_id}");
    if let Some(kib) = guanxi_bench::peak_rss_kib() {
        println!("peak RSS: {} MiB", kib / 1024);
    }
    Ok(())
}
