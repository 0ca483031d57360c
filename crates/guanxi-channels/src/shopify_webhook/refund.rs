//! Shopify refunds: the `refunds[]` of `orders/*` payloads and the `refunds/create` body share
//! one shape.

use super::fields::{list, money, required_id, text, timestamp};
use guanxi_domain::{Currency, FieldError, Money, RefundInput};
use serde_json::Value;

/// The money a refund moved: the sum of its `transactions[]` of kind `refund` and status
/// `success`, in those transactions' `currency`. `None` when there is no such transaction
/// (a restock-only refund, or one whose payment is pending or failed): nothing was refunded.
///
/// `order_currency` is the order's currency when known (refunds inside an order). A transaction
/// in another currency (a multi-currency shop's presentment currency) is an error rather than a
/// sum that silently mixes currencies. Without it (`refunds/create`), each successful
/// transaction must carry `currency`, as Shopify's always do, and all must agree.
pub(super) fn refund(
    refund: &Value,
    order_currency: Option<Currency>,
) -> Result<Option<RefundInput>, FieldError> {
    let mut total: Option<Money> = None;
    for (i, transaction) in list(refund, "transactions")?.iter().enumerate() {
        if text(transaction, "kind") != Some("refund")
            || text(transaction, "status") != Some("success")
        {
            continue;
        }
        let at = |e: FieldError| e.within(&format!("transactions[{i}]"));
        let expected = order_currency.or(total.map(|t| t.currency()));
        let currency = match (text(transaction, "currency"), expected) {
            (Some(code), expected) => {
                let currency =
                    Currency::parse(code).map_err(|e| at(FieldError::new("currency", e.reason)))?;
                if expected.is_some_and(|expected| expected != currency) {
                    return Err(at(FieldError::new(
                        "currency",
                        "differs from the order's or the other refund transactions' currency",
                    )));
                }
                currency
            }
            (None, Some(expected)) => expected,
            (None, None) => return Err(at(FieldError::new("currency", "is missing"))),
        };
        let amount = money(transaction, "amount", currency).map_err(at)?;
        if amount.minor() < 0 {
            return Err(at(FieldError::new("amount", "is negative")));
        }
        let sum = total
            .map_or(0, |t| t.minor())
            .checked_add(amount.minor())
            .ok_or_else(|| FieldError::new("transactions", "add up to more than can be stored"))?;
        total = Some(Money::from_minor(sum, currency));
    }
    let Some(amount) = total else {
        return Ok(None);
    };
    let created_at = match timestamp(refund, "created_at")? {
        Some(at) => at,
        None => timestamp(refund, "processed_at")?
            .ok_or_else(|| FieldError::new("created_at", "is missing"))?,
    };
    Ok(Some(RefundInput {
        external_id: required_id(refund, "id")?,
        amount,
        created_at,
        reason: text(refund, "note").map(str::to_owned),
    }))
}
