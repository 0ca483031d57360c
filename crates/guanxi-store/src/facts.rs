//! Order facts: what the intelligence engine reads of each customer's orders to build its
//! features (RFM, lifetime value), the same orders and money the 360's statistics count.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::{CustomerId, Millis};

/// One counted order: paid, shipped, completed or (partly) refunded, in the shop's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFact {
    pub customer: CustomerId,
    pub at: Millis,
    /// Paid less refunded, in minor units; a fully refunded order counts with nothing.
    pub value: i64,
}

/// A surviving customer as segments see them besides orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonFact {
    pub customer: CustomerId,
    /// Stored identity kinds, each once (`email`, `user_id:web`, …).
    pub kinds: Vec<String>,
    pub tags: Vec<String>,
}

/// Products (SKUs) and categories whose orders the engine keeps, for rules that name them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemFilter {
    pub skus: Vec<String>,
    pub categories: Vec<String>,
}

impl ItemFilter {
    pub fn is_empty(&self) -> bool {
        self.skus.is_empty() && self.categories.is_empty()
    }
}

/// One line of a counted order matching an `ItemFilter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFact {
    pub customer: CustomerId,
    pub order: i64,
    pub at: Millis,
    pub sku: String,
    pub category: Option<String>,
}

/// One behaviour event of a name a rule reads: whose, when, and its stored properties (the
/// JSON text; personal values are sealed in it and never match a filter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFact {
    pub customer: CustomerId,
    pub at: Millis,
    pub name: String,
    pub properties: String,
}

/// A product a customer bought, and when: what the recommender learns from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductLine {
    pub customer: CustomerId,
    pub sku: String,
    pub at: Millis,
}

#[async_trait]
pub trait FactStore {
    /// The newest entry of the change log (0 when empty): the engine follows it from there.
    async fn last_change_seq(&self) -> StoreResult<i64>;
    /// The highest customer id there is (0 without customers), to read facts in id windows.
    async fn max_customer_id(&self) -> StoreResult<i64>;
    /// The order facts of surviving customers with ids in `(after, up_to]`, by customer, then
    /// time.
    async fn order_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
        currency: &str,
    ) -> StoreResult<Vec<OrderFact>>;
    /// The order facts of these customers, by customer, then time.
    async fn order_facts_of(
        &self,
        customers: &[CustomerId],
        currency: &str,
    ) -> StoreResult<Vec<OrderFact>>;
    /// Surviving customers with ids in `(after, up_to]`, by id.
    async fn person_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<PersonFact>>;
    /// These customers, by id; merged-away ones are left out.
    async fn person_facts_of(&self, customers: &[CustomerId]) -> StoreResult<Vec<PersonFact>>;
    /// Lines of counted orders in `currency` matching `items`, of surviving customers with ids
    /// in `(after, up_to]`, by customer, then time.
    async fn item_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
        items: &ItemFilter,
        currency: &str,
    ) -> StoreResult<Vec<ItemFact>>;
    /// The same for these customers.
    async fn item_facts_of(
        &self,
        customers: &[CustomerId],
        items: &ItemFilter,
        currency: &str,
    ) -> StoreResult<Vec<ItemFact>>;
    /// Products in counted orders of surviving customers with ids in `(after, up_to]`, by
    /// customer, newest first.
    async fn product_lines_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<ProductLine>>;
    /// The products a customer bought in counted orders, each once, newest first.
    async fn customer_products(&self, customer: CustomerId) -> StoreResult<Vec<String>>;
    /// Events with these names of surviving customers with ids in `(after, up_to]`, by
    /// customer, then time.
    async fn event_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
        names: &[String],
    ) -> StoreResult<Vec<EventFact>>;
    /// The same for these customers.
    async fn event_facts_of(
        &self,
        customers: &[CustomerId],
        names: &[String],
    ) -> StoreResult<Vec<EventFact>>;
    /// The traits of surviving customers with ids in `(after, up_to]`, by id, personal values
    /// opened: for work that needs a personal trait of many customers (birthdays).
    async fn opened_traits_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<(CustomerId, crate::Traits)>>;
    /// The stored traits (JSON text, personal values sealed in it) of surviving customers with
    /// ids in `(after, up_to]`, by id.
    async fn trait_facts_between(
        &self,
        after: CustomerId,
        up_to: CustomerId,
    ) -> StoreResult<Vec<(CustomerId, String)>>;
    /// The same for these customers (merged-away ones left out).
    async fn trait_facts_of(
        &self,
        customers: &[CustomerId],
    ) -> StoreResult<Vec<(CustomerId, String)>>;
}
