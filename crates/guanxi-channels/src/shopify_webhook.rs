//! Shopify Admin webhooks (the REST JSON payloads) parsed into domain inputs. Pure: the HMAC
//! check, deduplication and HTTP answers belong to the web crate; this reads the body.
//!
//! Shopify data is messy: identifiers that are invalid, masked or placeholders are skipped, not
//! errors. Missing required fields are errors naming their JSON path (`line_items[2].price`);
//! error messages never carry personal data.

mod customer;
mod fields;
mod order;
mod person;
mod refund;

use guanxi_domain::{DefaultRegion, FieldError, OrderChange, ProfileInput, SourceId};
use serde_json::Value;
use std::str::FromStr;

/// The webhook topics Guanxi reads, from the `X-Shopify-Topic` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ShopifyTopic {
    OrdersCreate,
    OrdersUpdated,
    OrdersPaid,
    OrdersCancelled,
    RefundsCreate,
    CustomersCreate,
    CustomersUpdate,
}

const TOPICS: &[(&str, ShopifyTopic)] = &[
    ("orders/create", ShopifyTopic::OrdersCreate),
    ("orders/updated", ShopifyTopic::OrdersUpdated),
    ("orders/paid", ShopifyTopic::OrdersPaid),
    ("orders/cancelled", ShopifyTopic::OrdersCancelled),
    ("refunds/create", ShopifyTopic::RefundsCreate),
    ("customers/create", ShopifyTopic::CustomersCreate),
    ("customers/update", ShopifyTopic::CustomersUpdate),
];

impl ShopifyTopic {
    /// The header value (`orders/create`).
    pub fn as_str(&self) -> &'static str {
        TOPICS
            .iter()
            .find(|(_, topic)| topic == self)
            .map(|(name, _)| *name)
            .unwrap_or_default()
    }
}

/// A topic Guanxi does not read. Not bad input: answer 200 so Shopify neither retries nor, after
/// repeated failures, removes the subscription.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Shopify webhook topic {0:?} is not one Guanxi reads")]
pub struct UnsupportedTopic(pub String);

impl FromStr for ShopifyTopic {
    type Err = UnsupportedTopic;

    fn from_str(header: &str) -> Result<Self, UnsupportedTopic> {
        let header = header.trim();
        TOPICS
            .iter()
            .find(|(name, _)| *name == header)
            .map(|(_, topic)| *topic)
            .ok_or_else(|| UnsupportedTopic(header.chars().take(64).collect()))
    }
}

/// What a webhook says.
#[derive(Debug, Clone, PartialEq)]
pub enum ShopifyRecord {
    /// `orders/*`: an upsert keyed by the order's numeric id; `refunds/create`: a refund.
    Order(OrderChange),
    /// `customers/create` and `customers/update`.
    Profile(ProfileInput),
    /// A valid payload with nothing to record: a `refunds/create` that moved no money (restock
    /// only, or its refund transaction pending or failed; the `orders/updated` that follows
    /// carries the refund once it succeeds). Answer 200.
    Nothing,
}

/// Parses a webhook body of `topic`.
///
/// - `orders/create|updated|paid|cancelled` → `Order(Upsert)`: `external_id` is the order's
///   numeric `id`; `total_price`, `currency` and `created_at` are required; refunds are the
///   successful refund transactions of `refunds[]`. Identities, highest priority first:
///   `shopify_customer`, e-mails, phones (customer, order, billing address).
/// - `refunds/create` → `Order(Refund)` for order `order_id`, the sum of its successful refund
///   transactions in their own `currency` (required), or `Nothing` if none succeeded.
/// - `customers/create|update` → `Profile`.
pub fn parse(
    topic: ShopifyTopic,
    body: &Value,
    source: SourceId,
    region: DefaultRegion,
) -> Result<ShopifyRecord, FieldError> {
    if !body.is_object() {
        return Err(FieldError::new("", "the webhook body is not a JSON object"));
    }
    match topic {
        ShopifyTopic::OrdersCreate
        | ShopifyTopic::OrdersUpdated
        | ShopifyTopic::OrdersPaid
        | ShopifyTopic::OrdersCancelled => {
            order::order(body, source, region).map(ShopifyRecord::Order)
        }
        ShopifyTopic::RefundsCreate => {
            let order_external_id = fields::required_id(body, "order_id")?;
            Ok(match refund::refund(body, None)? {
                Some(refund) => ShopifyRecord::Order(OrderChange::Refund {
                    source,
                    order_external_id,
                    refund,
                }),
                None => ShopifyRecord::Nothing,
            })
        }
        ShopifyTopic::CustomersCreate | ShopifyTopic::CustomersUpdate => {
            customer::profile(body, source, region).map(ShopifyRecord::Profile)
        }
    }
}

#[cfg(test)]
mod tests;
