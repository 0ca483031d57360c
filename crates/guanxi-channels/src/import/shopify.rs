//! Shopify orders export (Admin → Orders → Export, CSV): one row per line grouped by
//! `Name` (`#1001`). Order fields are on the first row; later rows carry only the line item.
//! The order's external id is `Id` (as the webhooks use it), else `Name`.

use super::cells::{
    ItemColumns, Who, amount, order_with_items, required_amount, required_timestamp, timestamp,
};
use super::csv_rows::{Header, Row};
use super::{Context, Fault, Format, ImportRecord};
use guanxi_domain::{Currency, IdentityKind, OrderInput, OrderStatus, RefundInput};

pub(crate) struct Shopify;

const REQUIRED: &[&str] = &[
    "Name",
    "Financial Status",
    "Total",
    "Created at",
    "Lineitem name",
];

/// External id of the refunded amount the export states.
pub const REFUND_ID: &str = "shopify-refund";

const ITEM: ItemColumns<'static> = ItemColumns {
    sku: "Lineitem sku",
    name: "Lineitem name",
    category: None,
    quantity: "Lineitem quantity",
    price: "Lineitem price",
};

impl Format for Shopify {
    fn missing_columns(&self, header: &Header) -> Vec<String> {
        header.missing(REQUIRED)
    }

    fn group_key(&self, row: &Row<'_>) -> Option<String> {
        row.get("Name").map(str::to_owned)
    }

    fn build(&self, rows: &[Row<'_>], ctx: &Context) -> Result<ImportRecord, Fault> {
        order_with_items(rows, ctx, order, &ITEM)
    }
}

/// `Financial Status` and `Fulfillment Status` as an order status, before refunds and cancelling.
pub(crate) fn status(financial: &str, fulfillment: &str) -> Option<OrderStatus> {
    Some(match financial.trim().to_ascii_lowercase().as_str() {
        "paid" | "partially_paid" if fulfillment.trim().eq_ignore_ascii_case("fulfilled") => {
            OrderStatus::Shipped
        }
        "paid" | "partially_paid" => OrderStatus::Paid,
        "pending" | "authorized" | "expired" => OrderStatus::Pending,
        "refunded" => OrderStatus::Refunded,
        "partially_refunded" => OrderStatus::PartiallyRefunded,
        "voided" => OrderStatus::Cancelled,
        _ => return None,
    })
}

fn order(row: &Row<'_>, ctx: &Context) -> Result<OrderInput, String> {
    let options = &ctx.options;
    let offset = options.time_zone;
    let name = row.require("Name")?;
    let external_id = row.get("Id").unwrap_or(name);
    let currency = match row.get("Currency") {
        Some(code) => {
            Currency::parse(code).map_err(|e| format!("Currency: {code:?} {}", e.reason))?
        }
        None => options.default_currency,
    };
    let total = required_amount(row, "Total", currency)?;
    let created_at = required_timestamp(row, "Created at", offset)?;
    let paid_at = timestamp(row, "Paid at", offset)?;
    let cancelled_at = timestamp(row, "Cancelled at", offset)?;
    let financial = row.get("Financial Status").unwrap_or("pending");
    let mut status = status(financial, row.get("Fulfillment Status").unwrap_or_default())
        .ok_or_else(|| {
            format!("Financial Status: {financial:?} is not a Shopify financial status")
        })?;
    let mut refunded = amount(row, "Refunded Amount", currency)?.filter(|m| m.minor() > 0);
    if status == OrderStatus::Refunded && refunded.is_none() {
        refunded = Some(total);
    }
    if let Some(amount) = refunded {
        status = status.after_refunds(total.minor(), amount.minor());
    }
    if cancelled_at.is_some()
        && !matches!(
            status,
            OrderStatus::Refunded | OrderStatus::PartiallyRefunded
        )
    {
        status = OrderStatus::Cancelled;
    }
    let refunds = refunded
        .map(|amount| RefundInput {
            external_id: REFUND_ID.into(),
            amount,
            created_at: cancelled_at
                .or(paid_at)
                .unwrap_or(created_at)
                .max(created_at),
            reason: None,
        })
        .into_iter()
        .collect();

    let mut who = Who::new(options.region);
    who.lenient(IdentityKind::Email, row.get("Email"));
    for column in ["Billing Phone", "Phone", "Shipping Phone"] {
        who.lenient(IdentityKind::Phone, row.get(column));
    }
    who.describe("name", row.first(&["Billing Name", "Shipping Name"]));
    who.describe(
        "address",
        row.first(&["Billing Address1", "Billing Street"]),
    );
    who.describe("city", row.get("Billing City"));
    Ok(OrderInput {
        source: options.source,
        external_id: external_id.to_owned(),
        status,
        total,
        created_at,
        customer: who.into_order_customer(&options.source_name, external_id),
        items: Vec::new(),
        refunds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn financial_and_fulfillment_status() {
        assert_eq!(status("paid", ""), Some(OrderStatus::Paid));
        assert_eq!(status("paid", "fulfilled"), Some(OrderStatus::Shipped));
        assert_eq!(status("authorized", ""), Some(OrderStatus::Pending));
        assert_eq!(
            status("partially_refunded", "fulfilled"),
            Some(OrderStatus::PartiallyRefunded)
        );
        assert_eq!(status("voided", ""), Some(OrderStatus::Cancelled));
        assert_eq!(status("stolen", ""), None);
    }
}
