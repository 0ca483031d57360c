//! The order days the purchase conditions of rules read ("bought category "silk" twice within
//! 90 days"): read for every customer when a rule first needs them, then kept current for the
//! customers a change touches, and dropped when no rule needs them any more.

use super::{Intelligence, day_of, write};
use crate::ShopSettings;
use guanxi_domain::{CustomerId, ShopTimeZone};
use guanxi_engine::segment::{Item, Needs, Purchases, Rule};
use guanxi_store::{ItemFact, ItemFilter, OrderFact, Store, StoreResult};
use std::collections::HashMap;

/// Customers read per window when a need is first read.
const NEED_WINDOW: i64 = 50_000;

/// What the rules need.
pub(super) fn needs_of<'a>(rules: impl IntoIterator<Item = &'a Rule>) -> Needs {
    let mut needs = Needs::default();
    for rule in rules {
        rule.add_needs(&mut needs);
    }
    needs
}

pub(super) fn filter_of(items: &[Item]) -> ItemFilter {
    let mut filter = ItemFilter::default();
    for item in items {
        match item {
            Item::Product(sku) => filter.skus.push(sku.clone()),
            Item::Category(name) => filter.categories.push(name.clone()),
        }
    }
    filter
}

/// Each customer's counted orders as (shop-local day, value), from facts by customer and time.
pub(super) fn order_days(
    facts: &[OrderFact],
    zone: ShopTimeZone,
    into: &mut HashMap<i64, Vec<(i32, i64)>>,
) {
    let day = day_of(zone);
    for f in facts {
        into.entry(f.customer.0)
            .or_default()
            .push((day(f.at) as i32, f.value));
    }
}

/// For each item, each customer's order days: one per order that holds it, however many lines.
pub(super) fn item_days(
    facts: &[ItemFact],
    items: &[Item],
    zone: ShopTimeZone,
    into: &mut HashMap<Item, HashMap<i64, Vec<i32>>>,
) {
    let day = day_of(zone);
    let mut last_order: HashMap<&Item, i64> = HashMap::new();
    for f in facts {
        for item in items {
            let holds = match item {
                Item::Product(sku) => *sku == f.sku,
                Item::Category(name) => f.category.as_deref() == Some(name.as_str()),
            };
            if !holds || last_order.insert(item, f.order) == Some(f.order) {
                continue;
            }
            into.entry(item.clone())
                .or_default()
                .entry(f.customer.0)
                .or_default()
                .push(day(f.at) as i32);
        }
    }
}

impl Intelligence {
    /// Reads, for every customer, what `needs` asks and `have` lacks.
    pub(super) async fn read_needs(
        &self,
        store: &dyn Store,
        settings: &ShopSettings,
        needs: &Needs,
        have: &Needs,
    ) -> StoreResult<Purchases> {
        let shop = settings.current();
        let currency = shop.currency.code();
        let orders = needs.orders && !have.orders;
        let items: Vec<Item> = needs
            .items
            .iter()
            .filter(|i| !have.items.contains(i))
            .cloned()
            .collect();
        let mut read = Purchases::default();
        if !orders && items.is_empty() {
            return Ok(read);
        }
        let filter = filter_of(&items);
        let max_id = store.max_customer_id().await?;
        let mut all_orders = HashMap::new();
        let mut all_items = HashMap::new();
        let mut after = 0;
        while after < max_id {
            let up_to = (after + NEED_WINDOW).min(max_id);
            let (from, to) = (CustomerId(after), CustomerId(up_to));
            if orders {
                let facts = store.order_facts_between(from, to, currency).await?;
                order_days(&facts, shop.time_zone, &mut all_orders);
            }
            if !items.is_empty() {
                let facts = store
                    .item_facts_between(from, to, &filter, currency)
                    .await?;
                item_days(&facts, &items, shop.time_zone, &mut all_items);
            }
            after = up_to;
        }
        if orders {
            read.set_all_orders(all_orders);
        }
        for item in items {
            let days = all_items.remove(&item).unwrap_or_default();
            read.set_all_of_item(item, days);
        }
        Ok(read)
    }

    /// Makes sure the model keeps what `needs` asks, reading what it lacks. Holds the follow
    /// lock throughout, so no change is applied to the old days while the new ones are read;
    /// changes committed meanwhile are applied after, on top of the full read.
    pub(super) async fn ensure_needs(
        &self,
        store: &dyn Store,
        settings: &ShopSettings,
        needs: &Needs,
    ) -> StoreResult<()> {
        let kept = super::read(&self.model)
            .as_ref()
            .map(|model| model.purchases.kept());
        let missing = |have: &Needs| {
            (needs.orders && !have.orders) || needs.items.iter().any(|i| !have.items.contains(i))
        };
        if kept.is_none_or(|have| !missing(&have)) {
            return Ok(());
        }
        let _following = self.follow_lock.lock().await;
        let have = {
            let model = super::read(&self.model);
            let Some(model) = model.as_ref() else {
                return Ok(());
            };
            model.purchases.kept()
        };
        let read = self.read_needs(store, settings, needs, &have).await?;
        if let Some(model) = write(&self.model).as_mut() {
            model.purchases.absorb(read);
        }
        Ok(())
    }
}

/// The kept order days of `customers`, from their order facts (and their item lines).
pub(super) async fn purchase_update(
    store: &dyn Store,
    shape: &Needs,
    customers: &[CustomerId],
    facts: &[OrderFact],
    settings: &ShopSettings,
) -> StoreResult<PurchaseUpdate> {
    let shop = settings.current();
    let mut orders = HashMap::new();
    if shape.orders {
        order_days(facts, shop.time_zone, &mut orders);
    }
    let items = &shape.items;
    let mut item_days_of = HashMap::new();
    if !items.is_empty() && !customers.is_empty() {
        let facts = store
            .item_facts_of(customers, &filter_of(items), shop.currency.code())
            .await?;
        item_days(&facts, items, shop.time_zone, &mut item_days_of);
    }
    Ok(PurchaseUpdate {
        orders,
        items: item_days_of,
    })
}

/// Order days of the customers a change touched, ready to install.
#[derive(Default)]
pub(super) struct PurchaseUpdate {
    orders: HashMap<i64, Vec<(i32, i64)>>,
    items: HashMap<Item, HashMap<i64, Vec<i32>>>,
}

impl PurchaseUpdate {
    pub(super) fn apply(mut self, purchases: &mut Purchases, customers: &[CustomerId]) {
        for c in customers {
            purchases.set_orders_of(c.0, self.orders.remove(&c.0).unwrap_or_default());
            purchases.set_items_of(c.0, |item| {
                self.items
                    .get_mut(item)
                    .and_then(|per| per.remove(&c.0))
                    .unwrap_or_default()
            });
        }
    }
}
