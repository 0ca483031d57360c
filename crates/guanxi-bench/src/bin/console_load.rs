//! `console-load`: the console's latency as a signed-in member of staff sees it. Signs in
//! through the form (timing each sign-in: argon2 at its secure cost), then times customer list
//! pages (search and paging), 360 pages of random customers, and reveals (which write the audit
//! log first). `--clients` browsers work at once; each waits for its answer before the next.
#![allow(clippy::print_stdout)] // The report is this tool's output.

use anyhow::{Context, bail};
use clap::Parser;
use guanxi_bench::latency::Percentiles;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::{Duration, Instant};

#[derive(Debug, Parser)]
#[command(about = "Console page latency against a running guanxi serve")]
struct Args {
    /// Base URL of the server, e.g. http://127.0.0.1:8080
    #[arg(long)]
    url: String,
    #[arg(long)]
    email: String,
    #[arg(long)]
    password: String,
    /// Customer ids are drawn from 1..=customers.
    #[arg(long, default_value_t = 1_000_000)]
    customers: i64,
    /// Concurrent signed-in browsers.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Requests of each kind per client.
    #[arg(long, default_value_t = 250)]
    requests: usize,
    /// What the search box is given (a whole name, found through its blind index).
    #[arg(long, default_value = "王芳")]
    search: String,
    /// Sign-ins to time (one after another).
    #[arg(long, default_value_t = 20)]
    logins: usize,
    /// 360 pages and reveals draw their ids from this file (one id a line) instead of
    /// 1..=customers: a scoped user's own customers.
    #[arg(long)]
    ids_file: Option<std::path::PathBuf>,
    #[arg(skip)]
    ids: Vec<i64>,
}

fn browser() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

fn csrf(page: &str) -> anyhow::Result<String> {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(str::to_owned)
        .context("no CSRF token on the page")
}

/// Signs in; answers how long the form's POST took.
async fn sign_in(http: &reqwest::Client, args: &Args) -> anyhow::Result<Duration> {
    let page = http
        .get(format!("{}/login", args.url))
        .send()
        .await?
        .text()
        .await?;
    let token = csrf(&page)?;
    let started = Instant::now();
    let answer = http
        .post(format!("{}/login", args.url))
        .form(&[
            ("csrf", token.as_str()),
            ("email", &args.email),
            ("password", &args.password),
            ("next", "/"),
        ])
        .send()
        .await?;
    let took = started.elapsed();
    if answer.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("sign-in answered {}", answer.status());
    }
    Ok(took)
}

/// GETs `path`, which must answer 200; answers how long it took.
async fn timed_get(http: &reqwest::Client, url: String) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let answer = http.get(&url).send().await?;
    let status = answer.status();
    let _ = answer.bytes().await?;
    if status != reqwest::StatusCode::OK {
        bail!("{url} answered {status}");
    }
    Ok(started.elapsed())
}

#[derive(Default)]
struct Samples {
    list: Vec<Duration>,
    search: Vec<Duration>,
    profile: Vec<Duration>,
    reveal: Vec<Duration>,
    denied: Vec<Duration>,
}

async fn client(args: &Args, seed: u64) -> anyhow::Result<Samples> {
    let http = browser()?;
    sign_in(&http, args).await?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut s = Samples::default();
    for _ in 0..args.requests {
        // A list page somewhere in the million: the first page, or one further on by cursor.
        let cursor = rng.gen_range(1..=args.customers);
        let url = if rng.gen_bool(0.5) {
            format!("{}/customers", args.url)
        } else {
            format!("{}/customers?cursor={cursor}", args.url)
        };
        s.list.push(timed_get(&http, url).await?);
        let q: String = args.search.bytes().map(|b| format!("%{b:02X}")).collect();
        s.search
            .push(timed_get(&http, format!("{}/customers?q={q}", args.url)).await?);
        let id = if args.ids.is_empty() {
            rng.gen_range(1..=args.customers)
        } else {
            args.ids[rng.gen_range(0..args.ids.len())]
        };
        let started = Instant::now();
        let answer = http
            .get(format!("{}/customers/{id}", args.url))
            .send()
            .await?;
        let status = answer.status();
        let page = answer.text().await?;
        let took = started.elapsed();
        if status == reqwest::StatusCode::FORBIDDEN {
            s.denied.push(took);
            continue;
        }
        if status != reqwest::StatusCode::OK {
            bail!("360 page answered {status}");
        }
        s.profile.push(took);
        let token = csrf(&page)?;
        let started = Instant::now();
        let answer = http
            .post(format!("{}/customers/{id}/reveal", args.url))
            .form(&[("csrf", token.as_str()), ("reason", "benchmark")])
            .send()
            .await?;
        let status = answer.status();
        let _ = answer.bytes().await?;
        if status != reqwest::StatusCode::OK {
            bail!("reveal answered {status}");
        }
        s.reveal.push(started.elapsed());
    }
    Ok(s)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if let Some(path) = &args.ids_file {
        args.ids = std::fs::read_to_string(path)?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.trim().parse::<i64>())
            .collect::<Result<_, _>>()?;
    }
    let http = browser()?;
    let mut logins = Vec::with_capacity(args.logins);
    for _ in 0..args.logins {
        logins.push(sign_in(&http, &args).await?);
    }
    let args = std::sync::Arc::new(args);
    let started = Instant::now();
    let tasks: Vec<_> = (0..args.clients)
        .map(|i| {
            let args = std::sync::Arc::clone(&args);
            tokio::spawn(async move { client(&args, 1 + i as u64).await })
        })
        .collect();
    let mut all = Samples::default();
    for task in tasks {
        let s = task.await??;
        all.list.extend(s.list);
        all.search.extend(s.search);
        all.profile.extend(s.profile);
        all.reveal.extend(s.reveal);
        all.denied.extend(s.denied);
    }
    let elapsed = started.elapsed();
    let report = |name: &str, samples: Vec<Duration>| {
        let p95 = {
            let mut sorted = samples.clone();
            sorted.sort_unstable();
            let rank = ((sorted.len() as f64) * 0.95).ceil() as usize;
            sorted.get(rank.clamp(1, sorted.len().max(1)) - 1).copied()
        };
        match Percentiles::of(samples) {
            Some(p) => println!(
                "{name:<28} p95 {:.1} ms; {p}",
                p95.unwrap_or_default().as_secs_f64() * 1000.0
            ),
            None => println!("{name:<28} no samples"),
        }
    };
    println!(
        "{} clients x {} rounds in {:.1}s ({} customers)",
        args.clients,
        args.requests,
        elapsed.as_secs_f64(),
        args.customers
    );
    report("sign-in (one at a time)", logins);
    report("customer list page", all.list);
    report("customer search", all.search);
    report("customer 360 page", all.profile);
    report("reveal + audit write", all.reveal);
    report("360 page, out of scope (403)", all.denied);
    Ok(())
}
