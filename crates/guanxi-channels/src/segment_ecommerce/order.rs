//! The order changes `Order Completed`, `Order Updated`, `Order Refunded` and `Order Cancelled`
//! imply.

use super::{EcommerceEvent, id_text, money_from_json, text};
use guanxi_domain::{
    Currency, FieldError, IdentityKey, Millis, Money, OrderChange, OrderCustomer, OrderInput,
    OrderItemInput, OrderStatus, RefundInput, SourceId,
};
use serde_json::Value;

/// The order change an e-commerce track event implies, if any. `identities` are those of the
/// event's sender (already parsed), used as the order's customer; `timestamp` is the event's.
///
/// - `Order Completed` upserts the order as paid; `Order Updated` upserts it with
///   `properties.status` when that is a known status, else as paid. The total is
///   `properties.total`, else `revenue`, else the sum of `products[]` price × quantity;
///   the currency is `properties.currency`, else CNY; `created_at` is the event timestamp.
/// - `Order Refunded` refunds `properties.total`, else the sum of `products[]`. Without either
///   it is an error: the spec's "no products means a full refund" cannot be honoured without
///   the order total, and guessing would misstate spend. The refund's id is
///   `properties.refund_id`, else `{order_id}:refund:{amount in minor units}` so that a retried
///   event is recorded once (two genuine refunds of the same amount need a `refund_id`).
/// - `Order Cancelled` cancels the order.
/// - Other events change no order: `Ok(None)`.
///
/// Errors name the JSON path (`properties.order_id`, `properties.products[2].price`).
pub fn order_change(
    event: EcommerceEvent,
    properties: &Value,
    source: SourceId,
    timestamp: Millis,
    identities: &[IdentityKey],
) -> Result<Option<OrderChange>, FieldError> {
    use EcommerceEvent::{OrderCancelled, OrderCompleted, OrderRefunded, OrderUpdated};
    if !matches!(
        event,
        OrderCompleted | OrderUpdated | OrderRefunded | OrderCancelled
    ) {
        return Ok(None);
    }
    let at = |e: FieldError| e.within("properties");
    let external_id = id_text(properties, "order_id")
        .ok_or_else(|| at(FieldError::new("order_id", "is missing")))?;
    let currency = match text(properties, "currency") {
        Some(code) => {
            Currency::parse(code).map_err(|e| at(FieldError::new("currency", e.reason)))?
        }
        None => Currency::CNY,
    };
    let items = items(properties, currency).map_err(at)?;
    let change = match event {
        OrderRefunded => {
            let amount = match amount(properties, "total", currency).map_err(at)? {
                Some(total) => total,
                None if !items.is_empty() => sum(&items, currency).map_err(at)?,
                None => {
                    return Err(at(FieldError::new(
                        "total",
                        "is missing and there are no products: a refund must state its amount",
                    )));
                }
            };
            if amount.minor() < 0 {
                return Err(at(FieldError::new("total", "is negative")));
            }
            let refund_id = id_text(properties, "refund_id")
                .unwrap_or_else(|| format!("{external_id}:refund:{}", amount.minor()));
            OrderChange::Refund {
                source,
                order_external_id: external_id,
                refund: RefundInput {
                    external_id: refund_id,
                    amount,
                    created_at: timestamp,
                    reason: text(properties, "reason").map(str::to_owned),
                },
            }
        }
        OrderCancelled => OrderChange::Status {
            source,
            external_id,
            status: OrderStatus::Cancelled,
            at: timestamp,
        },
        _ => {
            let status = match text(properties, "status") {
                Some(raw) if event == OrderUpdated => {
                    OrderStatus::parse(raw).unwrap_or(OrderStatus::Paid)
                }
                _ => OrderStatus::Paid,
            };
            let total = match amount(properties, "total", currency).map_err(at)? {
                Some(total) => total,
                None => match amount(properties, "revenue", currency).map_err(at)? {
                    Some(revenue) => revenue,
                    None if !items.is_empty() => sum(&items, currency).map_err(at)?,
                    None => {
                        return Err(at(FieldError::new(
                            "total",
                            "is missing, and so are revenue and products",
                        )));
                    }
                },
            };
            OrderChange::Upsert(OrderInput {
                source,
                external_id,
                status,
                total,
                created_at: timestamp,
                customer: OrderCustomer {
                    identities: identities.to_vec(),
                    traits: serde_json::Map::new(),
                },
                items,
                refunds: Vec::new(),
            })
        }
    };
    Ok(Some(change))
}

/// An optional amount property; errors are named by `key`.
fn amount(value: &Value, key: &str, currency: Currency) -> Result<Option<Money>, FieldError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(raw) => money_from_json(raw, currency)
            .map(Some)
            .map_err(|e| FieldError::new(key, e.reason)),
    }
}

/// `products[]` as order items; errors are named `products[i].field`.
fn items(properties: &Value, currency: Currency) -> Result<Vec<OrderItemInput>, FieldError> {
    let list = match properties.get("products") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(list)) => list,
        Some(_) => return Err(FieldError::new("products", "is not a list")),
    };
    list.iter()
        .enumerate()
        .map(|(i, product)| {
            item(product, currency).map_err(|e| e.within(&format!("products[{i}]")))
        })
        .collect()
}

fn item(product: &Value, currency: Currency) -> Result<OrderItemInput, FieldError> {
    let sku = id_text(product, "sku")
        .or_else(|| id_text(product, "product_id"))
        .unwrap_or_default();
    let name = text(product, "name").unwrap_or_default().to_owned();
    if sku.is_empty() && name.is_empty() {
        return Err(FieldError::new(
            "product_id",
            "is missing, and so are sku and name",
        ));
    }
    let quantity = match product.get("quantity") {
        None | Some(Value::Null) => 1,
        Some(raw) => whole_number(raw)
            .filter(|q| *q >= 1)
            .ok_or_else(|| FieldError::new("quantity", "must be a whole number of at least 1"))?,
    };
    let price = amount(product, "price", currency)?
        .ok_or_else(|| FieldError::new("price", "is missing"))?;
    if price.minor() < 0 {
        return Err(FieldError::new("price", "is negative"));
    }
    Ok(OrderItemInput {
        sku,
        name,
        category: text(product, "category").map(str::to_owned),
        quantity,
        price,
    })
}

/// `2`, `2.0` or `"2"`: SDKs in languages without integers send quantities as floats.
fn whole_number(raw: &Value) -> Option<i64> {
    match raw {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 1e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Σ price × quantity, refusing to overflow.
fn sum(items: &[OrderItemInput], currency: Currency) -> Result<Money, FieldError> {
    items
        .iter()
        .try_fold(0i64, |total, item| {
            item.price
                .minor()
                .checked_mul(item.quantity)
                .and_then(|line| total.checked_add(line))
        })
        .map(|minor| Money::from_minor(minor, currency))
        .ok_or_else(|| FieldError::new("products", "add up to more than can be stored"))
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
