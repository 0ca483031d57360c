//! Taobao/Tmall 订单报表 (千牛 → 已卖出的宝贝 → 批量导出): one row per order.
//!
//! The order report has no per-item lines (those are in the separate 宝贝报表), so items are
//! approximated: one item carrying 宝贝标题, 商家编码 and 宝贝总数量, or — when 宝贝种类 = n > 1
//! and the title splits into n titles — n items of one unit each, the first taking the remaining
//! units. The unit price is the goods amount (买家应付货款, else the total) divided by the
//! quantity, rounded down to the fen; the order total stays exact.

use super::cells::{Who, amount, quantity, required_timestamp, timestamp};
use super::csv_rows::{Header, Row};
use super::{Context, Fault, Format, ImportRecord};
use guanxi_domain::{IdentityKind, Money, OrderInput, OrderItemInput, OrderStatus, RefundInput};

pub(crate) struct Taobao;

const REQUIRED: &[&str] = &["订单编号", "买家实际支付金额", "订单状态", "订单创建时间"];

/// External id of the refund the report states, so a re-import does not add it twice.
pub const REFUND_ID: &str = "taobao-refund";

impl Format for Taobao {
    fn missing_columns(&self, header: &Header) -> Vec<String> {
        header.missing(REQUIRED)
    }

    fn group_key(&self, _row: &Row<'_>) -> Option<String> {
        None
    }

    fn build(&self, rows: &[Row<'_>], ctx: &Context) -> Result<ImportRecord, Fault> {
        let Some(row) = rows.first() else {
            return Err((0, "no row".into()));
        };
        order(row, ctx)
            .map(ImportRecord::Order)
            .map_err(|reason| (row.line, reason))
    }
}

/// What 订单状态 says, with 退款中 kept apart: the refund is not done yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stated {
    Is(OrderStatus),
    Refunding,
}

pub(crate) fn status(raw: &str) -> Option<Stated> {
    let s = raw.trim();
    let is = |status| Some(Stated::Is(status));
    if s.contains("退款中") || s.contains("售后中") {
        Some(Stated::Refunding)
    } else if s.contains("等待买家付款") || s.contains("付款确认中") || s == "未付款"
    {
        is(OrderStatus::Pending)
    } else if s.contains("交易成功") {
        is(OrderStatus::Completed)
    } else if s.contains("交易关闭") {
        is(OrderStatus::Closed)
    } else if s.contains("退款成功") {
        is(OrderStatus::Refunded)
    } else if s.contains("卖家已发货") || s.contains("等待买家确认") || s.contains("部分发货")
    {
        is(OrderStatus::Shipped)
    } else if s.contains("买家已付款") || s.contains("等待卖家发货") {
        is(OrderStatus::Paid)
    } else {
        None
    }
}

fn order(row: &Row<'_>, ctx: &Context) -> Result<OrderInput, String> {
    let options = &ctx.options;
    let currency = options.default_currency;
    let external_id = row.require("订单编号")?;
    let paid = amount(row, "买家实际支付金额", currency)?;
    let stated_total = amount(row, "总金额", currency)?;
    // Unpaid and closed orders may say 0 paid; the order's value is then 总金额.
    let total = match (paid, stated_total) {
        (Some(p), Some(t)) if p.minor() == 0 => t,
        (Some(p), _) => p,
        (None, Some(t)) => t,
        (None, None) => return Err("买家实际支付金额: is empty".into()),
    };
    let created_at = required_timestamp(row, "订单创建时间", options.time_zone)?;
    let paid_at = timestamp(row, "订单付款时间", options.time_zone)?;
    let raw_status = row.require("订单状态")?;
    let stated = status(raw_status)
        .ok_or_else(|| format!("订单状态: {raw_status:?} is not a known Taobao order status"))?;
    let refund = amount(row, "退款金额", currency)?.filter(|m| m.minor() > 0);
    // 退款成功 without an amount: the whole order went back.
    let refund = refund.or((stated == Stated::Is(OrderStatus::Refunded)).then_some(total));

    let (status, refunds) = match (stated, refund) {
        (Stated::Refunding, _) => (OrderStatus::Paid, Vec::new()),
        (Stated::Is(base), Some(amount)) => {
            let status = if base == OrderStatus::Closed {
                OrderStatus::Refunded
            } else {
                base.after_refunds(total.minor(), amount.minor())
            };
            let refund = RefundInput {
                external_id: REFUND_ID.into(),
                amount,
                created_at: paid_at.unwrap_or(created_at).max(created_at),
                reason: row.get("订单关闭原因").map(str::to_owned),
            };
            (status, vec![refund])
        }
        (Stated::Is(base), None) => (base, Vec::new()),
    };

    let mut who = Who::new(options.region);
    who.lenient(IdentityKind::TaobaoBuyer, row.get("买家会员名"));
    who.lenient(IdentityKind::Phone, row.get("联系手机"));
    who.lenient(IdentityKind::Phone, row.get("联系电话"));
    who.lenient(
        IdentityKind::Email,
        row.first(&["买家邮箱", "邮箱", "email"]),
    );
    if let Some(alipay) = row.get("买家支付宝账号") {
        let kind = if alipay.contains('@') {
            IdentityKind::Email
        } else {
            IdentityKind::Phone
        };
        who.lenient(kind, Some(alipay));
    }
    who.describe("name", row.get("收货人姓名"));
    who.describe("address", row.get("收货地址"));

    let goods = amount(row, "买家应付货款", currency)?.unwrap_or(total);
    Ok(OrderInput {
        source: options.source,
        external_id: external_id.to_owned(),
        status,
        total,
        created_at,
        customer: who.into_order_customer(&options.source_name, external_id),
        items: items(row, goods)?,
        refunds,
    })
}

fn items(row: &Row<'_>, goods: Money) -> Result<Vec<OrderItemInput>, String> {
    let title = row.get("宝贝标题").unwrap_or_default();
    let sku = row.get("商家编码").unwrap_or_default();
    if title.is_empty() && sku.is_empty() {
        return Ok(Vec::new());
    }
    let units = quantity(row, "宝贝总数量")?.unwrap_or(1);
    if units <= 0 {
        return Err("宝贝总数量: must be at least 1".into());
    }
    let kinds = quantity(row, "宝贝种类")?.unwrap_or(1);
    let price = Money::from_minor(goods.minor().max(0) / units, goods.currency());
    let item = |sku: &str, name: &str, quantity| OrderItemInput {
        sku: sku.to_owned(),
        name: name.to_owned(),
        category: None,
        quantity,
        price,
    };
    let titles = split(title);
    if kinds > 1 && titles.len() as i64 == kinds && units >= kinds {
        let skus = split(sku);
        let sku_of = |i: usize| {
            if skus.len() == titles.len() {
                skus[i]
            } else {
                ""
            }
        };
        return Ok(titles
            .iter()
            .enumerate()
            .map(|(i, name)| item(sku_of(i), name, if i == 0 { units - kinds + 1 } else { 1 }))
            .collect());
    }
    Ok(vec![item(sku, title, units)])
}

fn split(joined: &str) -> Vec<&str> {
    joined
        .split(['，', '；', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_the_report_writes_them() {
        let is = |s| Some(Stated::Is(s));
        assert_eq!(status("等待买家付款"), is(OrderStatus::Pending));
        assert_eq!(status("买家已付款，等待卖家发货"), is(OrderStatus::Paid));
        assert_eq!(status("等待卖家发货"), is(OrderStatus::Paid));
        assert_eq!(status("卖家已发货，等待买家确认"), is(OrderStatus::Shipped));
        assert_eq!(status("交易成功"), is(OrderStatus::Completed));
        assert_eq!(status(" 交易关闭 "), is(OrderStatus::Closed));
        assert_eq!(status("退款中的订单"), Some(Stated::Refunding));
        assert_eq!(status("已签收?"), None);
    }

    #[test]
    fn joined_titles_split_on_chinese_and_ascii_separators() {
        assert_eq!(split("丝巾，围巾；帽子;"), vec!["丝巾", "围巾", "帽子"]);
        assert_eq!(split("单件商品"), vec!["单件商品"]);
    }
}
