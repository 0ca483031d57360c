//! `guanxi evaluate clv`: fits the lifetime-value models on a transactions CSV and prints what
//! they found, so anyone can hold them against the published figures or their own holdout.
#![allow(clippy::print_stdout)] // The JSON report is this command's output.

use anyhow::{Context, bail};
use chrono::{Datelike, NaiveDate};
use guanxi_engine::clv::{ClvModel, ClvOptions, Purchase, histories};
use serde_json::json;
use std::path::Path;

/// `YYYY-MM-DD` or `YYYYMMDD` as a day number.
pub(crate) fn day(raw: &str) -> Option<i64> {
    let raw = raw.trim();
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%Y%m%d"))
        .ok()
        .map(|d| i64::from(d.num_days_from_ce()))
}

fn argument_day(name: &str, raw: &str) -> anyhow::Result<i64> {
    day(raw).with_context(|| format!("--{name}: {raw:?} is not a date (YYYY-MM-DD)"))
}

/// A CSV file with the position of each named column (any case); an error names the file and
/// the missing column.
pub(crate) fn open_csv(
    file: &Path,
    names: &[&str],
) -> anyhow::Result<(csv::Reader<std::fs::File>, Vec<usize>)> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(file)
        .with_context(|| format!("cannot read {}", file.display()))?;
    let headers = reader.headers()?.clone();
    let columns = names
        .iter()
        .map(|name| {
            headers
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name))
                .with_context(|| format!("{}: the header has no {name} column", file.display()))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok((reader, columns))
}

/// The file's purchases; an error names the line and the column.
fn read_purchases(file: &Path) -> anyhow::Result<Vec<Purchase<String>>> {
    let (mut reader, columns) = open_csv(file, &["customer_id", "date", "amount"])?;
    let [customer, date, amount] = columns[..] else {
        unreachable!("three columns asked")
    };
    let mut purchases = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or_default();
        if cell(customer).is_empty() {
            bail!("line {line}: customer_id: is empty");
        }
        let day = day(cell(date)).with_context(|| {
            format!(
                "line {line}: date: {:?} is not a date (YYYY-MM-DD)",
                cell(date)
            )
        })?;
        let value: f64 = cell(amount)
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .with_context(|| {
                format!(
                    "line {line}: amount: {:?} is not an amount of 0 or more",
                    cell(amount)
                )
            })?;
        purchases.push(Purchase {
            customer: cell(customer).to_owned(),
            day,
            amount: value,
        });
    }
    Ok(purchases)
}

pub fn clv(
    file: &Path,
    calibration_end: &str,
    holdout_end: Option<&str>,
    options: ClvOptions,
) -> anyhow::Result<()> {
    let calibration_day = argument_day("calibration-end", calibration_end)?;
    let holdout_day = holdout_end
        .map(|raw| argument_day("holdout-end", raw))
        .transpose()?;
    if holdout_day.is_some_and(|h| h <= calibration_day) {
        bail!("--holdout-end must come after --calibration-end");
    }
    let found = histories(&read_purchases(file)?, calibration_day, holdout_day);
    let summaries: Vec<_> = found.iter().map(|h| h.summary).collect();
    let model = ClvModel::fit(&summaries)?;
    let holdout_weeks = holdout_day.map(|h| (h - calibration_day) as f64 / 7.0);
    let bg = &model.purchases.params;
    let mut expected_total = 0.0;
    let per_customer: Vec<_> = found
        .iter()
        .map(|h| {
            let s = &h.summary;
            let prediction = model.predict(s, options);
            let expected_holdout = holdout_weeks.map(|w| bg.expected_purchases(s, w));
            expected_total += expected_holdout.unwrap_or_default();
            json!({
                "customer_id": h.customer,
                "x": s.x,
                "t_x": s.t_x,
                "T": s.t,
                "p_alive": prediction.p_alive,
                "expected_purchases_holdout": expected_holdout,
                "actual_purchases_holdout": holdout_weeks.map(|_| h.holdout_purchases),
                "expected_spend": prediction.expected_spend,
                "clv": prediction.clv,
            })
        })
        .collect();
    let holdout = holdout_weeks.map(|weeks| {
        json!({
            "end": holdout_end,
            "weeks": weeks,
            "expected_purchases": expected_total,
            "actual_purchases": found.iter().map(|h| u64::from(h.holdout_purchases)).sum::<u64>(),
        })
    });
    let report = json!({
        "time_unit": "week",
        "calibration_end": calibration_end,
        "customers": found.len(),
        "bg_nbd": model.purchases,
        "gamma_gamma": model.spend,
        "clv": { "months": options.months, "monthly_discount_rate": options.monthly_discount_rate },
        "holdout": holdout,
        "per_customer": per_customer,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}

/// `guanxi evaluate rfm`: the engine's RFM over a transactions CSV as of a day, with the time
/// the engine took once the customers were in memory (what the DuckDB comparison measures).
pub fn rfm(file: &Path, as_of: &str) -> anyhow::Result<()> {
    use guanxi_engine::features::{DAY_MS, Fact, Features, OrderSummary};
    use guanxi_engine::scores::Engine;

    let today = argument_day("as-of", as_of)?;
    let mut purchases = read_purchases(file)?;
    purchases.retain(|p| p.day <= today);
    purchases.sort_by(|a, b| (&a.customer, a.day).cmp(&(&b.customer, b.day)));
    let mut features = Features::default();
    for (n, one) in purchases
        .chunk_by(|a, b| a.customer == b.customer)
        .enumerate()
    {
        let facts: Vec<Fact> = one
            .iter()
            .map(|p| Fact {
                customer: n as i64,
                at: p.day * DAY_MS,
                value: (p.amount * 100.0).round() as i64,
            })
            .collect();
        features.set(
            n as i64,
            OrderSummary::of(&facts, |at| at.div_euclid(DAY_MS)),
        );
    }
    // The end of the day: recency counts whole days.
    let now = (today + 1) * DAY_MS - 1;
    let started = std::time::Instant::now();
    let engine = Engine::for_rfm(features, now);
    let overview = engine.rfm_overview(today, now);
    let elapsed = started.elapsed();
    let classes: serde_json::Map<String, serde_json::Value> = overview
        .classes
        .iter()
        .map(|c| (c.class.key().to_owned(), json!(c.customers)))
        .collect();
    let groups: serde_json::Map<String, serde_json::Value> = overview
        .groups
        .iter()
        .map(|(g, n)| (g.key().to_owned(), json!(n)))
        .collect();
    let report = json!({
        "as_of": as_of,
        "customers": overview.customers,
        "averages": overview.averages,
        "classes": classes,
        "quintile_cuts": overview.cuts,
        "groups": groups,
        "grid": overview.grid,
        "engine_milliseconds": elapsed.as_secs_f64() * 1000.0,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
