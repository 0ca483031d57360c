//! What the API sends back: money as decimal strings with a currency, instants as RFC 3339.

use guanxi_app::customers::Profile;
use guanxi_domain::Currency;
use guanxi_domain::money::format_minor;
use guanxi_domain::time::to_rfc3339;
use guanxi_store::{EventRecord, OrderRecord};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

pub(crate) fn money(minor: i64, currency: &str) -> String {
    Currency::parse(currency)
        .map(|c| format_minor(minor, c))
        .unwrap_or_else(|_| minor.to_string())
}

#[derive(Serialize, ToSchema)]
pub struct IdentityView {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatsView {
    pub orders_count: i64,
    /// Paid orders less refunds, in `currency`.
    pub total_spent: String,
    pub currency: String,
    pub first_order_at: Option<String>,
    pub last_order_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MergeView {
    pub from: i64,
    pub into: i64,
    pub reason: String,
    pub at: String,
}

/// The 360° profile.
#[derive(Serialize, ToSchema)]
pub struct CustomerView {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub identities: Vec<IdentityView>,
    #[schema(value_type = Object)]
    pub traits: serde_json::Map<String, Value>,
    pub stats: StatsView,
    /// RFM and lifetime-value predictions with their inputs (`{}` without counted orders,
    /// `{"status": "building"}` while the engine reads the shop's history).
    #[schema(value_type = Object)]
    pub scores: Value,
    pub segments: Vec<String>,
    pub tags: Vec<String>,
    pub merges: Vec<MergeView>,
    /// Whether personal data is masked in this document.
    pub masked: bool,
}

impl CustomerView {
    pub fn new(p: Profile, masked: bool) -> Self {
        Self {
            id: p.id.0,
            created_at: to_rfc3339(p.created_at),
            updated_at: to_rfc3339(p.updated_at),
            identities: p
                .identities
                .into_iter()
                .map(|i| IdentityView {
                    kind: i.kind,
                    value: i.value,
                })
                .collect(),
            traits: p.traits,
            stats: StatsView {
                orders_count: p.stats.orders_count,
                total_spent: money(p.stats.total_spent, &p.currency),
                currency: p.currency,
                first_order_at: p.stats.first_order_at.map(to_rfc3339),
                last_order_at: p.stats.last_order_at.map(to_rfc3339),
            },
            scores: Value::Object(Default::default()),
            segments: Vec::new(),
            tags: p.tags,
            merges: p
                .merges
                .into_iter()
                .map(|m| MergeView {
                    from: m.from.0,
                    into: m.into.0,
                    reason: m.reason,
                    at: to_rfc3339(m.at),
                })
                .collect(),
            masked,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CustomerPage {
    pub data: Vec<CustomerView>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ItemView {
    pub sku: String,
    pub name: String,
    pub category: Option<String>,
    pub quantity: i64,
    pub price: String,
}

#[derive(Serialize, ToSchema)]
pub struct RefundView {
    pub external_id: String,
    pub amount: String,
    pub created_at: String,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OrderView {
    pub id: i64,
    pub customer_id: i64,
    pub source_id: i64,
    pub external_id: String,
    pub status: String,
    pub currency: String,
    pub total: String,
    pub refunded: String,
    pub created_at: String,
    pub updated_at: String,
    pub items: Vec<ItemView>,
    pub refunds: Vec<RefundView>,
}

impl From<OrderRecord> for OrderView {
    fn from(o: OrderRecord) -> Self {
        let c = o.currency.clone();
        Self {
            id: o.id,
            customer_id: o.customer.0,
            source_id: o.source.0,
            external_id: o.external_id,
            status: o.status.as_str().to_owned(),
            total: money(o.total, &c),
            refunded: money(o.refunded, &c),
            created_at: to_rfc3339(o.created_at),
            updated_at: to_rfc3339(o.updated_at),
            items: o
                .items
                .into_iter()
                .map(|i| ItemView {
                    sku: i.sku,
                    name: i.name,
                    category: i.category,
                    quantity: i.quantity,
                    price: money(i.price, &c),
                })
                .collect(),
            refunds: o
                .refunds
                .into_iter()
                .map(|r| RefundView {
                    external_id: r.external_id,
                    amount: money(r.amount, &c),
                    created_at: to_rfc3339(r.created_at),
                    reason: r.reason,
                })
                .collect(),
            currency: o.currency,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct OrderPage {
    pub data: Vec<OrderView>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: i64,
    pub source_id: i64,
    pub message_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    #[schema(value_type = Object)]
    pub properties: Value,
    pub timestamp: String,
    pub received_at: String,
}

impl From<EventRecord> for EventView {
    fn from(e: EventRecord) -> Self {
        Self {
            id: e.id,
            source_id: e.source.0,
            message_id: e.message_id,
            kind: e.kind.as_str().to_owned(),
            name: e.name,
            properties: e.properties,
            timestamp: to_rfc3339(e.timestamp),
            received_at: to_rfc3339(e.received_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EventPage {
    pub data: Vec<EventView>,
    pub next_cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct WriteResult {
    /// created, updated or unchanged.
    pub result: String,
    pub order: OrderView,
}
