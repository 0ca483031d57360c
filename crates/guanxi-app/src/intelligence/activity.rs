//! The days the purchase and event conditions of rules read (`bought category "silk" >= 2
//! within 90 days`, `did "Product Added" within 7 days`): read for every customer when a rule
//! first needs them, then kept current for the customers a change touches, and dropped when no
//! rule needs them any more.

use super::{Intelligence, day_of, write};
use crate::ShopSettings;
use guanxi_domain::{CustomerId, ShopTimeZone};
use guanxi_engine::segment::{Activity, EventKey, Item, Needs, Rule};
use guanxi_store::{EventFact, ItemFact, ItemFilter, OrderFact, Store, StoreResult};
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

/// The event names the kept events have.
pub(super) fn event_names(events: &[EventKey]) -> Vec<String> {
    let mut names: Vec<String> = events.iter().map(|e| e.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// For each kept event (with its filters), each customer's days, from facts by customer and
/// time.
pub(super) fn event_days(
    facts: &[EventFact],
    events: &[EventKey],
    zone: ShopTimeZone,
    into: &mut HashMap<EventKey, HashMap<i64, Vec<i32>>>,
) {
    let day = day_of(zone);
    for f in facts {
        let wanted: Vec<&EventKey> = events.iter().filter(|e| e.name == f.name).collect();
        if wanted.is_empty() {
            continue;
        }
        // Properties are read only when a filter needs them.
        let properties = match wanted.iter().any(|e| !e.filters.is_empty()) {
            true => serde_json::from_str(&f.properties).unwrap_or(serde_json::Value::Null),
            false => serde_json::Value::Null,
        };
        for key in wanted {
            if key.matches(&properties) {
                into.entry(key.clone())
                    .or_default()
                    .entry(f.customer.0)
                    .or_default()
                    .push(day(f.at) as i32);
            }
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
    ) -> StoreResult<Activity> {
        let shop = settings.current();
        let currency = shop.currency.code();
        let orders = needs.orders && !have.orders;
        let items: Vec<Item> = needs
            .items
            .iter()
            .filter(|i| !have.items.contains(i))
            .cloned()
            .collect();
        let mut read = Activity::default();
        let events: Vec<EventKey> = needs
            .events
            .iter()
            .filter(|e| !have.events.contains(e))
            .cloned()
            .collect();
        if !orders && items.is_empty() && events.is_empty() {
            return Ok(read);
        }
        let names = event_names(&events);
        let mut all_events = HashMap::new();
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
            if !events.is_empty() {
                let facts = store.event_facts_between(from, to, &names).await?;
                event_days(&facts, &events, shop.time_zone, &mut all_events);
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
        for key in events {
            let days = all_events.remove(&key).unwrap_or_default();
            read.set_all_of_event(key, days);
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
            .map(|model| model.activity.kept());
        if kept.is_none_or(|have| !needs.beyond(&have)) {
            return Ok(());
        }
        let _following = self.follow_lock.lock().await;
        let have = {
            let model = super::read(&self.model);
            let Some(model) = model.as_ref() else {
                return Ok(());
            };
            model.activity.kept()
        };
        let read = self.read_needs(store, settings, needs, &have).await?;
        if let Some(model) = write(&self.model).as_mut() {
            model.activity.absorb(read);
        }
        Ok(())
    }
}

/// The kept days of the customers a change touched: orders and items of `customers` (from
/// their order facts and item lines), events of `actors`.
pub(super) async fn activity_update(
    store: &dyn Store,
    shape: &Needs,
    customers: &[CustomerId],
    facts: &[OrderFact],
    actors: &[CustomerId],
    settings: &ShopSettings,
) -> StoreResult<ActivityUpdate> {
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
    let mut events = HashMap::new();
    if !shape.events.is_empty() && !actors.is_empty() {
        let facts = store
            .event_facts_of(actors, &event_names(&shape.events))
            .await?;
        event_days(&facts, &shape.events, shop.time_zone, &mut events);
    }
    Ok(ActivityUpdate {
        orders,
        items: item_days_of,
        events,
    })
}

/// Days of the customers a change touched, ready to install.
#[derive(Default)]
pub(super) struct ActivityUpdate {
    orders: HashMap<i64, Vec<(i32, i64)>>,
    items: HashMap<Item, HashMap<i64, Vec<i32>>>,
    events: HashMap<EventKey, HashMap<i64, Vec<i32>>>,
}

impl ActivityUpdate {
    pub(super) fn apply(
        mut self,
        activity: &mut Activity,
        customers: &[CustomerId],
        actors: &[CustomerId],
    ) {
        for c in customers {
            activity.set_orders_of(c.0, self.orders.remove(&c.0).unwrap_or_default());
            activity.set_items_of(c.0, |item| {
                self.items
                    .get_mut(item)
                    .and_then(|per| per.remove(&c.0))
                    .unwrap_or_default()
            });
        }
        for c in actors {
            activity.set_events_of(c.0, |key| {
                self.events
                    .get_mut(key)
                    .and_then(|per| per.remove(&c.0))
                    .unwrap_or_default()
            });
        }
    }
}
