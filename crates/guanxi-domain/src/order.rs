//! Orders, their lifecycle, and what counts as a customer's spend.

use crate::{Currency, FieldError, IdentityKey, Millis, Money, SourceId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Shipped,
    Completed,
    Cancelled,
    /// Closed before payment (Taobao 交易关闭): like cancelled, never spend.
    Closed,
    Refunded,
    PartiallyRefunded,
}

const NAMES: &[(&str, OrderStatus)] = &[
    ("pending", OrderStatus::Pending),
    ("paid", OrderStatus::Paid),
    ("shipped", OrderStatus::Shipped),
    ("completed", OrderStatus::Completed),
    ("cancelled", OrderStatus::Cancelled),
    ("closed", OrderStatus::Closed),
    ("refunded", OrderStatus::Refunded),
    ("partially_refunded", OrderStatus::PartiallyRefunded),
];

impl OrderStatus {
    /// Every status there is.
    pub fn all() -> impl Iterator<Item = OrderStatus> {
        NAMES.iter().map(|(_, s)| *s)
    }

    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.trim().to_lowercase();
        let raw = if raw == "canceled" {
            "cancelled"
        } else {
            raw.as_str()
        };
        NAMES
            .iter()
            .find(|(name, _)| *name == raw)
            .map(|(_, s)| *s)
            .ok_or_else(|| {
                FieldError::new(
                    "status",
                    "must be one of pending, paid, shipped, completed, cancelled, closed, refunded, partially_refunded",
                )
            })
    }

    pub fn as_str(&self) -> &'static str {
        NAMES
            .iter()
            .find(|(_, s)| s == self)
            .map(|(name, _)| *name)
            .unwrap_or("pending")
    }

    /// Whether money changed hands: pending, cancelled and closed orders never count as spend.
    pub fn counts_as_spend(&self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Shipped | Self::Completed | Self::Refunded | Self::PartiallyRefunded
        )
    }

    /// Status after refunds: a paid order whose refunds reach its total is refunded.
    pub fn after_refunds(self, total: i64, refunded: i64) -> Self {
        if !self.counts_as_spend() || refunded <= 0 {
            self
        } else if refunded >= total {
            Self::Refunded
        } else {
            Self::PartiallyRefunded
        }
    }
}

/// What an order contributes to a customer's spend in minor units: total less refunds,
/// never negative, and nothing unless money changed hands.
pub fn spend_of(status: OrderStatus, total: i64, refunded: i64) -> i64 {
    if status == OrderStatus::Refunded {
        // A channel may report "refunded" before (or without) the refund lines.
        0
    } else if status.counts_as_spend() {
        (total - refunded).max(0)
    } else {
        0
    }
}

/// Who placed an order, as the channel knows them. Every value is optional; masked ones are
/// dropped at the edge because they identify nobody.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderCustomer {
    pub identities: Vec<IdentityKey>,
    /// Name and other descriptive traits: stored on the profile, never used to link people.
    pub traits: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItemInput {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub quantity: i64,
    pub price: Money,
}

/// An order as a channel reports it; upserted by (source, external id).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderInput {
    pub source: SourceId,
    pub external_id: String,
    pub status: OrderStatus,
    pub total: Money,
    pub created_at: Millis,
    pub customer: OrderCustomer,
    pub items: Vec<OrderItemInput>,
    /// Refunds the channel already reports on the order (Taobao 退款金额, Shopify refunds).
    pub refunds: Vec<RefundInput>,
}

impl OrderInput {
    pub fn currency(&self) -> Currency {
        self.total.currency()
    }

    /// Checks what only the whole order can tell: one currency, non-negative amounts.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.external_id.trim().is_empty() {
            return Err(FieldError::new("external_id", "is empty"));
        }
        if self.total.minor() < 0 {
            return Err(FieldError::new("total", "is negative"));
        }
        for (i, item) in self.items.iter().enumerate() {
            let at = |e: FieldError| e.within(&format!("items[{i}]"));
            if item.price.currency() != self.currency() {
                return Err(at(FieldError::new(
                    "price",
                    "has another currency than the order",
                )));
            }
            if item.quantity <= 0 {
                return Err(at(FieldError::new("quantity", "must be at least 1")));
            }
            if item.price.minor() < 0 {
                return Err(at(FieldError::new("price", "is negative")));
            }
            if item.sku.trim().is_empty() && item.name.trim().is_empty() {
                return Err(at(FieldError::new("sku", "is empty and so is name")));
            }
        }
        for (i, refund) in self.refunds.iter().enumerate() {
            if refund.amount.currency() != self.currency() || refund.amount.minor() < 0 {
                return Err(FieldError::new(
                    "amount",
                    "must be a non-negative amount in the order's currency",
                )
                .within(&format!("refunds[{i}]")));
            }
        }
        Ok(())
    }
}

/// A refund on an order; deduplicated by (order, external id).
#[derive(Debug, Clone, PartialEq)]
pub struct RefundInput {
    pub external_id: String,
    pub amount: Money,
    pub created_at: Millis,
    pub reason: Option<String>,
}

/// Everything a channel can say about an order. Channels that send whole orders (the orders API,
/// Shopify, exports, Segment `Order Completed`) upsert; others only move its status or refund it.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderChange {
    Upsert(OrderInput),
    Status {
        source: SourceId,
        external_id: String,
        status: OrderStatus,
        at: Millis,
    },
    Refund {
        source: SourceId,
        order_external_id: String,
        refund: RefundInput,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_and_closed_orders_never_count() {
        assert_eq!(spend_of(OrderStatus::Cancelled, 100, 0), 0);
        assert_eq!(spend_of(OrderStatus::Closed, 100, 0), 0);
        assert_eq!(spend_of(OrderStatus::Pending, 100, 0), 0);
        assert_eq!(spend_of(OrderStatus::Paid, 100, 30), 70);
        assert_eq!(spend_of(OrderStatus::Refunded, 100, 150), 0);
        assert_eq!(spend_of(OrderStatus::Refunded, 100, 0), 0);
    }

    #[test]
    fn refunds_move_the_status() {
        assert_eq!(
            OrderStatus::Paid.after_refunds(100, 30),
            OrderStatus::PartiallyRefunded
        );
        assert_eq!(
            OrderStatus::Completed.after_refunds(100, 100),
            OrderStatus::Refunded
        );
        assert_eq!(
            OrderStatus::Cancelled.after_refunds(100, 100),
            OrderStatus::Cancelled
        );
        assert_eq!(OrderStatus::Paid.after_refunds(100, 0), OrderStatus::Paid);
    }

    #[test]
    fn statuses_round_trip() {
        for (name, status) in NAMES {
            assert_eq!(OrderStatus::parse(name), Ok(*status));
            assert_eq!(status.as_str(), *name);
        }
        assert_eq!(OrderStatus::parse("Canceled"), Ok(OrderStatus::Cancelled));
        assert!(OrderStatus::parse("lost").is_err());
    }
}
