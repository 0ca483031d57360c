//! `orders/create`, `orders/updated`, `orders/paid` and `orders/cancelled`: one order upserted
//! by its numeric id, whichever topic reports it.

use super::fields::{currency, id, list, money, required_id, required_timestamp, text};
use super::person::{order_identities, order_traits};
use super::refund::refund;
use guanxi_domain::{
    Currency, DefaultRegion, FieldError, OrderChange, OrderCustomer, OrderInput, OrderItemInput,
    OrderStatus, SourceId,
};
use serde_json::Value;

pub(super) fn order(
    body: &Value,
    source: SourceId,
    region: DefaultRegion,
) -> Result<OrderChange, FieldError> {
    let external_id = required_id(body, "id")?;
    let currency = currency(body, "currency")?;
    let total = money(body, "total_price", currency)?;
    if total.minor() < 0 {
        return Err(FieldError::new("total_price", "is negative"));
    }
    let created_at = required_timestamp(body, "created_at")?;
    let items = list(body, "line_items")?
        .iter()
        .enumerate()
        .map(|(i, item)| {
            line_item(item, currency).map_err(|e| e.within(&format!("line_items[{i}]")))
        })
        .collect::<Result<_, _>>()?;
    let mut refunds = Vec::new();
    for (i, raw) in list(body, "refunds")?.iter().enumerate() {
        if let Some(found) =
            refund(raw, Some(currency)).map_err(|e| e.within(&format!("refunds[{i}]")))?
        {
            refunds.push(found);
        }
    }
    Ok(OrderChange::Upsert(OrderInput {
        source,
        external_id,
        status: status(body),
        total,
        created_at,
        customer: OrderCustomer {
            identities: order_identities(body, region),
            traits: order_traits(body),
        },
        items,
        refunds,
    }))
}

/// The order's status. Cancelled (`cancelled_at` set, or payment `voided`) and refunds win; then
/// a paid order is `shipped` once fulfilled and `completed` once also closed. An order not
/// paid yet (`pending`, `authorized`, `expired`, or unknown) stays `pending` even if fulfilled
/// (cash on delivery), so it never counts as spend before the money arrives.
fn status(order: &Value) -> OrderStatus {
    if text(order, "cancelled_at").is_some() {
        return OrderStatus::Cancelled;
    }
    match text(order, "financial_status") {
        Some("voided") => OrderStatus::Cancelled,
        Some("refunded") => OrderStatus::Refunded,
        Some("partially_refunded") => OrderStatus::PartiallyRefunded,
        Some("paid" | "partially_paid") => match text(order, "fulfillment_status") {
            Some("fulfilled") if text(order, "closed_at").is_some() => OrderStatus::Completed,
            Some("fulfilled") => OrderStatus::Shipped,
            _ => OrderStatus::Paid,
        },
        _ => OrderStatus::Pending,
    }
}

/// A line item. Its sku is `sku`, else the `variant_id`, else the `product_id` (Shopify allows
/// products without skus); its name is the full `name` (`Scarf - Red`), else `title`.
fn line_item(item: &Value, currency: Currency) -> Result<OrderItemInput, FieldError> {
    let sku = text(item, "sku")
        .map(str::to_owned)
        .or_else(|| id(item, "variant_id"))
        .or_else(|| id(item, "product_id"))
        .unwrap_or_default();
    let name = text(item, "name")
        .or_else(|| text(item, "title"))
        .unwrap_or_default();
    if sku.is_empty() && name.is_empty() {
        return Err(FieldError::new(
            "sku",
            "is missing, and so are variant_id, product_id, name and title",
        ));
    }
    let quantity = item
        .get("quantity")
        .and_then(Value::as_i64)
        .ok_or_else(|| FieldError::new("quantity", "is missing or not a whole number"))?;
    if quantity < 1 {
        return Err(FieldError::new("quantity", "must be at least 1"));
    }
    let price = money(item, "price", currency)?;
    if price.minor() < 0 {
        return Err(FieldError::new("price", "is negative"));
    }
    Ok(OrderItemInput {
        sku,
        name: name.to_owned(),
        category: text(item, "product_type").map(str::to_owned),
        quantity,
        price,
    })
}
