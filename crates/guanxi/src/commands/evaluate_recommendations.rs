//! `guanxi evaluate recommendations FILE`: the item-to-item recommender against best sellers,
//! on each repeat customer's held-out last order, from an order-lines CSV
//! (`customer_id,order_id,date,sku`). Prints JSON.
#![allow(clippy::print_stdout)] // The JSON report is this command's output.

use anyhow::{Context, bail};
use guanxi_engine::recommend::holdout::{Line, evaluate};
use std::path::Path;

/// `YYYY-MM-DD` (as a day) or an RFC 3339 instant, as milliseconds: only the order matters.
fn instant(raw: &str) -> Option<i64> {
    super::evaluate::day(raw)
        .map(|d| d * 86_400_000)
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(raw.trim())
                .ok()
                .map(|t| t.timestamp_millis())
        })
}

fn read_lines(file: &Path) -> anyhow::Result<Vec<Line>> {
    let (mut reader, columns) =
        super::evaluate::open_csv(file, &["customer_id", "order_id", "date", "sku"])?;
    let [customer, order, date, sku] = columns[..] else {
        unreachable!("four columns asked")
    };
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let cell = |i: usize| record.get(i).unwrap_or_default();
        for (name, i) in [("customer_id", customer), ("order_id", order), ("sku", sku)] {
            if cell(i).is_empty() {
                bail!("line {line}: {name}: is empty");
            }
        }
        let at = instant(cell(date)).with_context(|| {
            format!(
                "line {line}: date: {:?} is not a date (YYYY-MM-DD) or an RFC 3339 time",
                cell(date)
            )
        })?;
        lines.push(Line {
            customer: cell(customer).to_owned(),
            order: cell(order).to_owned(),
            at,
            sku: cell(sku).to_owned(),
        });
    }
    Ok(lines)
}

pub fn run(file: &Path, k: usize) -> anyhow::Result<()> {
    if k == 0 {
        bail!("--k: must be 1 or more");
    }
    let lines = read_lines(file)?;
    let result = evaluate(&lines, k);
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
