//! `ingest-load`: many concurrent Segment clients POSTing `/v1/batch` to a running `guanxi serve`.
//!
//! Every batch body is generated before the clock starts (identify, track, page and a few
//! `Order Completed`, ~10% of them from users never seen before, every `messageId` unique per
//! run), so the timed part is only HTTP: `--clients` tasks on one keep-alive connection pool,
//! each sending its next batch when the previous one is answered. Only 200 answers count; the
//! server answers 200 only after the batch's transaction commits.
#![allow(clippy::print_stdout)] // The report is this tool's output.

use anyhow::Context;
use clap::Parser;
use guanxi_bench::latency::Percentiles;
use guanxi_bench::people;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(about = "Concurrent /v1/batch load against a running guanxi serve")]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    url: String,
    /// A segment source's write key (`guanxi source create --kind segment`).
    #[arg(long)]
    write_key: String,
    /// Concurrent clients, each with at most one request in flight.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// Batches to send in all.
    #[arg(long, default_value_t = 2_000)]
    batches: usize,
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// Users known before the run; each event is from a new user with probability --new-users.
    #[arg(long, default_value_t = 50_000)]
    users: u64,
    #[arg(long, default_value_t = 0.10)]
    new_users: f64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Prefix of every messageId and order id (default: the current time, so reruns against
    /// the same database are new events, not duplicates).
    #[arg(long)]
    run_id: Option<String>,
    /// Tokio worker threads of the load tool (keep it small: it shares the CPUs with the server).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .context("cannot start the runtime")?
        .block_on(run(args))
}

/// Makes the events: a pool of users, ~10% new per event, a realistic mix of calls.
struct EventMaker {
    rng: ChaCha8Rng,
    run_id: String,
    next_user: u64,
    known_users: u64,
    new_users: f64,
    seq: u64,
    products: Vec<guanxi_demo::Product>,
    started: chrono::DateTime<chrono::Utc>,
}

impl EventMaker {
    fn event(&mut self) -> Value {
        self.seq += 1;
        let new = self.known_users == 0 || self.rng.gen_bool(self.new_users);
        let user = if new {
            self.known_users += 1;
            self.next_user += 1;
            self.next_user
        } else {
            self.rng.gen_range(1..=self.known_users)
        };
        let message_id = format!("{}-{}", self.run_id, self.seq);
        let timestamp = (self.started + chrono::Duration::milliseconds(self.seq as i64))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let user_id = format!("u{user}");
        let anonymous_id = format!("a{user}-{}", user % 7);
        let product = &self.products[self.rng.gen_range(0..self.products.len())];
        let product_json = json!({
            "product_id": product.sku, "sku": product.sku, "name": product.name,
            "category": product.category, "price": product.price_minor as f64 / 100.0,
        });
        let context = json!({
            "library": {"name": "analytics-node", "version": "2.1.0"},
            "ip": format!("10.{}.{}.{}", user % 200, (user / 200) % 250, user % 250),
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15",
            "locale": "zh-CN",
        });
        let roll: f64 = self.rng.r#gen();
        let mut message = if new || roll < 0.12 {
            let mut traits = json!({
                "email": format!("user{user}@example.com"),
                "name": people::name(&mut self.rng),
                "city": people::city(&mut self.rng),
            });
            if self.rng.gen_bool(0.6) {
                traits["phone"] = json!(people::mobile(user));
            }
            json!({"type": "identify", "traits": traits})
        } else if roll < 0.40 {
            let path = format!("/products/{}", product.sku);
            json!({"type": "page", "name": "Product", "properties": {
                "path": path, "url": format!("https://shop.example.com{path}"),
                "title": product.name, "referrer": "https://www.baidu.com/",
            }})
        } else if roll < 0.98 {
            let event = [
                "Product Viewed",
                "Product Added",
                "Products Searched",
                "Cart Viewed",
            ][self.rng.gen_range(0..4)];
            json!({"type": "track", "event": event, "properties": product_json})
        } else {
            let quantity = self.rng.gen_range(1..3);
            let total = product.price_minor * quantity as i64;
            json!({"type": "track", "event": "Order Completed", "properties": {
                "order_id": format!("{}-o{}", self.run_id, self.seq),
                "total": total as f64 / 100.0, "revenue": total as f64 / 100.0, "currency": "CNY",
                "products": [{"product_id": product.sku, "sku": product.sku, "name": product.name,
                    "category": product.category, "price": product.price_minor as f64 / 100.0,
                    "quantity": quantity}],
            }})
        };
        let fields = [
            ("messageId", json!(message_id)),
            ("timestamp", json!(timestamp)),
            ("userId", json!(user_id)),
            ("anonymousId", json!(anonymous_id)),
            ("context", context),
        ];
        for (key, value) in fields {
            message[key] = value;
        }
        message
    }
}

#[derive(Default)]
struct ClientResult {
    ok: usize,
    latencies: Vec<Duration>,
    failures: BTreeMap<String, usize>,
}

async fn run(args: Args) -> anyhow::Result<()> {
    let run_id = args
        .run_id
        .clone()
        .unwrap_or_else(|| format!("bench{}", chrono::Utc::now().timestamp_millis()));
    let mut maker = EventMaker {
        rng: ChaCha8Rng::seed_from_u64(args.seed),
        run_id: run_id.clone(),
        next_user: args.users,
        known_users: args.users,
        new_users: args.new_users,
        seq: 0,
        products: guanxi_demo::catalogue(),
        started: chrono::Utc::now() - chrono::Duration::hours(1),
    };
    let generating = Instant::now();
    let mut bodies = Vec::with_capacity(args.batches);
    let mut bytes = 0;
    for _ in 0..args.batches {
        let batch: Vec<Value> = (0..args.batch_size).map(|_| maker.event()).collect();
        let body = serde_json::to_vec(&json!({
            "batch": batch,
            "sentAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        }))?;
        bytes += body.len();
        bodies.push(body);
    }
    println!(
        "generated {} batches x {} events ({:.1} MB, {:.0} bytes/event, {} users at the end) in {:.1}s; run id {run_id}",
        args.batches,
        args.batch_size,
        bytes as f64 / 1e6,
        bytes as f64 / (args.batches * args.batch_size).max(1) as f64,
        maker.known_users,
        generating.elapsed().as_secs_f64()
    );

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .timeout(Duration::from_secs(60))
        .build()?;
    let endpoint = format!("{}/v1/batch", args.url.trim_end_matches('/'));
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.clients {
        let (client, endpoint, bodies, next) = (
            client.clone(),
            endpoint.clone(),
            bodies.clone(),
            next.clone(),
        );
        let write_key = args.write_key.clone();
        tasks.spawn(async move {
            let mut result = ClientResult::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let sent = Instant::now();
                let answer = client
                    .post(&endpoint)
                    .basic_auth(&write_key, Some(""))
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let outcome = match answer {
                    Ok(response) => {
                        let status = response.status();
                        // Read the body so the connection goes back to the pool.
                        let _ = response.bytes().await;
                        if status == reqwest::StatusCode::OK {
                            Ok(())
                        } else {
                            Err(format!("HTTP {}", status.as_u16()))
                        }
                    }
                    Err(e) => Err(format!("transport: {e}")),
                };
                result.latencies.push(sent.elapsed());
                match outcome {
                    Ok(()) => result.ok += 1,
                    Err(reason) => *result.failures.entry(reason).or_default() += 1,
                }
            }
            result
        });
    }
    let mut total = ClientResult::default();
    while let Some(joined) = tasks.join_next().await {
        let result = joined.context("a client task panicked")?;
        total.ok += result.ok;
        total.latencies.extend(result.latencies);
        for (reason, n) in result.failures {
            *total.failures.entry(reason).or_default() += n;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let events = total.ok * args.batch_size;
    println!(
        "{} clients: {} of {} batches acknowledged (200) in {seconds:.2}s",
        args.clients, total.ok, args.batches
    );
    println!(
        "throughput: {:.0} events/s ({:.0} batches/s)",
        events as f64 / seconds,
        total.ok as f64 / seconds
    );
    if let Some(p) = Percentiles::of(total.latencies) {
        println!("latency per batch: {p}");
    }
    if total.failures.is_empty() {
        println!("failures: none");
    } else {
        for (reason, n) in &total.failures {
            println!("failures: {n} x {reason}");
        }
    }
    if let Some(kib) = guanxi_bench::peak_rss_kib() {
        println!("load tool peak RSS: {} MiB", kib / 1024);
    }
    Ok(())
}
