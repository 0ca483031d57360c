//! Reading fields of Shopify's JSON: ids that arrive as numbers (or strings), blank strings that
//! mean nothing, and errors named by the field (callers prefix the path with `FieldError::within`).

use crate::segment_ecommerce::money_from_json;
use guanxi_domain::{Currency, FieldError, Millis, Money, ShopTimeZone, time::parse_timestamp};
use serde_json::Value;

/// What an absent object reads as, so `customer.email` of an order without a customer is `None`.
pub(super) const NOTHING: &Value = &Value::Null;

/// A nested object, or `NOTHING`.
pub(super) fn object<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(NOTHING)
}

/// A non-blank string field, trimmed.
pub(super) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)?
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// An id: Shopify writes them as JSON integers, past 2^53 too, which serde_json keeps exact.
pub(super) fn id(value: &Value, key: &str) -> Option<String> {
    match value.get(key)? {
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

pub(super) fn required_id(value: &Value, key: &str) -> Result<String, FieldError> {
    id(value, key).ok_or_else(|| FieldError::new(key, "is missing or not an id"))
}

pub(super) fn timestamp(value: &Value, key: &str) -> Result<Option<Millis>, FieldError> {
    text(value, key)
        .map(|raw| {
            parse_timestamp(raw, ShopTimeZone::UTC)
                .ok_or_else(|| FieldError::new(key, "is not an ISO 8601 timestamp"))
        })
        .transpose()
}

pub(super) fn required_timestamp(value: &Value, key: &str) -> Result<Millis, FieldError> {
    timestamp(value, key)?.ok_or_else(|| FieldError::new(key, "is missing"))
}

pub(super) fn currency(value: &Value, key: &str) -> Result<Currency, FieldError> {
    let code = text(value, key).ok_or_else(|| FieldError::new(key, "is missing"))?;
    Currency::parse(code).map_err(|e| FieldError::new(key, e.reason))
}

/// A required amount (`"199.00"`, or a number as in `refund_line_items[].subtotal`).
pub(super) fn money(value: &Value, key: &str, currency: Currency) -> Result<Money, FieldError> {
    match value.get(key) {
        None | Some(Value::Null) => Err(FieldError::new(key, "is missing")),
        Some(raw) => money_from_json(raw, currency).map_err(|e| FieldError::new(key, e.reason)),
    }
}

/// An optional list; anything but a list or null is an error.
pub(super) fn list<'a>(value: &'a Value, key: &str) -> Result<&'a [Value], FieldError> {
    match value.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(FieldError::new(key, "is not a list")),
    }
}
