//! `make-taobao --rows N --out FILE`: a realistic 淘宝/天猫 订单报表 (GBK, CRLF, the real header
//! with its stray spaces, Excel-protected order ids) with N orders from about N/3 buyers, for
//! timing `guanxi import FILE --format taobao`. Deterministic for a given --seed.
#![allow(clippy::print_stdout)] // The summary is this tool's output.

use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use clap::Parser;
use guanxi_bench::people;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(about = "Write a Taobao order report (GBK) for the import benchmark")]
struct Args {
    #[arg(long, default_value_t = 300_000)]
    rows: u64,
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 11)]
    seed: u64,
}

/// The header 千牛 writes (same names and stray spaces as the test fixtures).
const HEADER: &str = "订单编号,买家会员名,买家支付宝账号,买家应付货款,买家应付邮费,总金额,买家实际支付金额,订单状态,买家留言,\
收货人姓名,收货地址 ,联系电话,联系手机,订单创建时间,订单付款时间 ,宝贝标题 ,宝贝种类,宝贝总数量,店铺名称,\
订单关闭原因,退款金额,商家编码,是否手机订单";

struct Buyer {
    nick: String,
    mobile: String,
    alipay: Option<String>,
    name: String,
    address: String,
}

fn buyer(rng: &mut ChaCha8Rng, n: u64) -> Buyer {
    let mobile = people::mobile(n + 1_000_000);
    let alipay = match rng.gen_range(0..10) {
        0..=1 => Some(format!("buyer{n}@163.com")),
        2..=5 => Some(people::masked_mobile(&mobile)),
        _ => None,
    };
    Buyer {
        nick: people::taobao_nick(rng, n),
        mobile,
        alipay,
        name: people::name(rng),
        address: people::address(rng),
    }
}

/// The Chinese half of a catalogue name (`桑蚕丝方巾 90cm 青花 Mulberry silk…` → `桑蚕丝方巾 90cm 青花`).
fn chinese_title(name: &str) -> &str {
    let end = name
        .char_indices()
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(name.len(), |(i, _)| i);
    name[..end].trim()
}

fn money(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let products: Vec<_> = guanxi_demo::catalogue()
        .into_iter()
        .map(|p| (chinese_title(&p.name).to_owned(), p.sku, p.price_minor))
        .collect();
    let buyers_count = (args.rows / 3).max(1);
    let buyers: Vec<Buyer> = (0..buyers_count).map(|n| buyer(&mut rng, n)).collect();
    let start = Utc
        .with_ymd_and_hms(2025, 11, 1, 0, 0, 0)
        .single()
        .context("start date")?;
    let span_secs = 365 * 24 * 3600;
    let file = std::fs::File::create(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut line = String::with_capacity(512);
    let write_line = |line: &str, out: &mut std::io::BufWriter<std::fs::File>| {
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(line);
        anyhow::ensure!(!unmappable, "not representable in GBK: {line}");
        out.write_all(&bytes)?;
        out.write_all(b"\r\n")?;
        Ok(())
    };
    write_line(HEADER, &mut out)?;
    let (mut refunds, mut closed) = (0, 0);
    for i in 0..args.rows {
        // Skewed: half the orders come from the most loyal fifth of the buyers.
        let b = if rng.gen_bool(0.5) {
            rng.gen_range(0..(buyers_count / 5).max(1))
        } else {
            rng.gen_range(0..buyers_count)
        };
        let buyer = &buyers[b as usize];
        let kinds = if rng.gen_bool(0.15) {
            rng.gen_range(2..=3)
        } else {
            1
        };
        let mut titles = Vec::new();
        let mut skus = Vec::new();
        let mut goods = 0;
        for _ in 0..kinds {
            let (title, sku, price) = &products[rng.gen_range(0..products.len())];
            titles.push(title.as_str());
            skus.push(sku.as_str());
            goods += price;
        }
        let units = kinds + i64::from(rng.gen_bool(0.2));
        goods += if units > kinds { goods / kinds } else { 0 };
        let postage = if rng.gen_bool(0.1) { 1000 } else { 0 };
        let total = goods + postage;
        let created = start + Duration::seconds(rng.gen_range(0..span_secs));
        let paid_at = created + Duration::seconds(rng.gen_range(5..600));
        let (status, paid, refund, close_reason) = match rng.gen_range(0..100) {
            0..=71 => ("交易成功", total, 0, ""),
            72..=75 => ("交易成功", total, (total / 5).max(100), ""),
            76..=81 => ("卖家已发货，等待买家确认", total, 0, ""),
            82..=86 => ("买家已付款，等待卖家发货", total, 0, ""),
            87..=90 => ("交易关闭", total, total, "退款"),
            91..=94 => ("交易关闭", 0, 0, "买家不想买了"),
            95..=96 => ("退款中的订单", total, 0, ""),
            _ => ("等待买家付款", 0, 0, ""),
        };
        refunds += u64::from(refund > 0);
        closed += u64::from(status == "交易关闭");
        let paid_at = if paid > 0 {
            paid_at.format("%Y-%m-%d %H:%M:%S").to_string()
        } else {
            String::new()
        };
        // Newer exports hide the phone of most buyers; masked values are dropped by the import.
        let mobile = if rng.gen_bool(0.6) {
            buyer.mobile.clone()
        } else {
            people::masked_mobile(&buyer.mobile)
        };
        let message = if rng.gen_bool(0.05) {
            "请尽快发货 谢谢"
        } else {
            ""
        };
        line.clear();
        let cells = [
            format!("=\"{}\"", 3_000_000_000_000_000_000u64 + i * 7919),
            buyer.nick.clone(),
            buyer.alipay.clone().unwrap_or_default(),
            money(goods),
            money(postage),
            money(total),
            money(paid),
            status.to_owned(),
            message.to_owned(),
            buyer.name.clone(),
            buyer.address.clone(),
            String::new(),
            format!("'{mobile}"),
            created.format("%Y-%m-%d %H:%M:%S").to_string(),
            paid_at,
            titles.join("，"),
            kinds.to_string(),
            units.to_string(),
            "素锦旗舰店".to_owned(),
            close_reason.to_owned(),
            money(refund),
            skus.join(";"),
            if rng.gen_bool(0.8) {
                "手机订单"
            } else {
                ""
            }
            .to_owned(),
        ];
        line.push_str(&cells.join(","));
        write_line(&line, &mut out)?;
    }
    out.flush()?;
    let size = std::fs::metadata(&args.out)?.len();
    println!(
        "wrote {}: {} orders from {} buyers ({} refunds, {} closed), {:.1} MB GBK",
        args.out.display(),
        args.rows,
        buyers_count,
        refunds,
        closed,
        size as f64 / 1e6
    );
    Ok(())
}
