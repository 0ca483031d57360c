//! JD 京东商家后台 订单导出: one row per item; consecutive rows with one 订单号 are one order.
//! Order fields (status, amounts, times, buyer) are read from the order's first row.

use super::cells::{ItemColumns, Who, amount, order_with_items, required_timestamp};
use super::csv_rows::{Header, Row};
use super::{Context, Fault, Format, ImportRecord};
use guanxi_domain::{IdentityKind, OrderInput, OrderStatus};

pub(crate) struct Jd;

const REQUIRED: &[&str] = &["订单号", "订单状态", "下单时间"];
const TOTALS: &[&str] = &["应付金额", "订单金额"];

const ITEM: ItemColumns<'static> = ItemColumns {
    sku: "商品ID",
    name: "商品名称",
    category: Some("商品类目"),
    quantity: "订购数量",
    price: "京东价",
};

impl Format for Jd {
    fn missing_columns(&self, header: &Header) -> Vec<String> {
        let mut missing = header.missing(REQUIRED);
        if !TOTALS.iter().any(|c| header.has(c)) {
            missing.push(TOTALS.join(" or "));
        }
        missing
    }

    fn group_key(&self, row: &Row<'_>) -> Option<String> {
        row.get("订单号").map(str::to_owned)
    }

    fn build(&self, rows: &[Row<'_>], ctx: &Context) -> Result<ImportRecord, Fault> {
        order_with_items(rows, ctx, order, &ITEM)
    }
}

/// JD's 订单状态, with the `(删除)` mark of orders the buyer hid removed first.
pub(crate) fn status(raw: &str) -> Option<OrderStatus> {
    let s = raw
        .trim()
        .trim_start_matches("(删除)")
        .trim_start_matches("（删除）")
        .trim();
    let has = |words: &[&str]| words.iter().any(|w| s.contains(w));
    if s.is_empty() || has(&["取消", "删除"]) {
        Some(OrderStatus::Cancelled)
    } else if has(&["退款成功", "已退款"]) {
        Some(OrderStatus::Refunded)
    } else if has(&["等待付款", "待付款", "未付款"]) {
        Some(OrderStatus::Pending)
    } else if has(&["完成", "已收货"]) {
        Some(OrderStatus::Completed)
    } else if has(&["等待确认收货", "已出库", "配送", "已发货"]) {
        Some(OrderStatus::Shipped)
    } else if has(&[
        "等待出库",
        "等待发货",
        "待出库",
        "等待打印",
        "暂停",
        "锁定",
        "已付款",
    ]) {
        Some(OrderStatus::Paid)
    } else {
        None
    }
}

fn order(row: &Row<'_>, ctx: &Context) -> Result<OrderInput, String> {
    let options = &ctx.options;
    let currency = options.default_currency;
    let external_id = row.require("订单号")?;
    let raw_status = row.require("订单状态")?;
    let status = status(raw_status)
        .ok_or_else(|| format!("订单状态: {raw_status:?} is not a known JD order status"))?;
    let mut total = None;
    for column in TOTALS {
        if let Some(found) = amount(row, column, currency)? {
            total = Some(found);
            break;
        }
    }
    let total = total.ok_or_else(|| format!("{}: is empty", TOTALS.join(" and ")))?;
    let created_at = required_timestamp(row, "下单时间", options.time_zone)?;

    let mut who = Who::new(options.region);
    who.lenient(
        IdentityKind::JdBuyer,
        row.get("下单帐号").or_else(|| row.get("下单账号")),
    );
    who.lenient(IdentityKind::Phone, row.first(&["联系电话", "手机号"]));
    who.lenient(IdentityKind::Email, row.first(&["邮箱", "电子邮件"]));
    who.describe("name", row.get("客户姓名"));
    who.describe("address", row.get("客户地址"));
    Ok(OrderInput {
        source: options.source,
        external_id: external_id.to_owned(),
        status,
        total,
        created_at,
        customer: who.into_order_customer(&options.source_name, external_id),
        items: Vec::new(),
        refunds: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_as_the_export_writes_them() {
        assert_eq!(status("等待出库"), Some(OrderStatus::Paid));
        assert_eq!(status("等待付款"), Some(OrderStatus::Pending));
        assert_eq!(status("等待确认收货"), Some(OrderStatus::Shipped));
        assert_eq!(status("完成"), Some(OrderStatus::Completed));
        assert_eq!(status("(删除)完成"), Some(OrderStatus::Completed));
        assert_eq!(status("(删除)"), Some(OrderStatus::Cancelled));
        assert_eq!(status("锁定"), Some(OrderStatus::Paid));
        assert_eq!(status("取消"), Some(OrderStatus::Cancelled));
        assert_eq!(status("火星"), None);
    }
}
