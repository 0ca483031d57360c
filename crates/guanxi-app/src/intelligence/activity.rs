//! The days the purchase and event conditions of rules read (`bought category "silk" >= 2
//! within 90 days`, `did "Product Added" within 7 days`): read for every customer when a rule
//! first needs them, then kept current for the customers a change touches, and dropped when no
//! rule needs them any more.

use super::{Intelligence, day_of, write};
use crate::ShopSettings;
use guanxi_domain::{CustomerId, ShopTimeZone};
use guanxi_engine::segment::{Activity, EventKey, Item, Needs, Rule, TraitValue};
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

/// For each kept trait, each customer's value where set, from stored traits.
pub(super) fn trait_values(
    facts: &[(CustomerId, String)],
    names: &[String],
    into: &mut HashMap<String, HashMap<i64, TraitValue>>,
) {
    for (customer, text) in facts {
        let Ok(serde_json::Value::Object(traits)) = serde_json::from_str(text) else {
            continue;
        };
        for name in names {
            if let Some(value) = traits.get(name).and_then(TraitValue::of) {
                into.entry(name.clone())
                    .or_default()
                    .insert(customer.0, value);
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
        let traits: Vec<String> = needs
            .traits
            .iter()
            .filter(|t| !have.traits.contains(t))
            .cloned()
            .collect();
        if !orders && items.is_empty() && events.is_empty() && traits.is_empty() {
            return Ok(read);
        }
        let mut all_traits = HashMap::new();
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
            if !traits.is_empty() {
                let facts = store.trait_facts_between(from, to).await?;
                trait_values(&facts, &traits, &mut all_traits);
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
        for name in traits {
            let values = all_traits.remove(&name).unwrap_or_default();
            read.set_all_of_trait(name, values);
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

/// Who a change touched, by what the engine keeps of them.
pub(super) struct Touched<'a> {
    /// Orders (and their items) changed.
    pub buyers: &'a [CustomerId],
    /// Behaviour events changed.
    pub actors: &'a [CustomerId],
    /// Traits changed.
    pub described: &'a [CustomerId],
}

/// What is kept of the customers a change touched: orders and items of the buyers (from their
/// order facts and item lines), events of the actors, traits of the described.
pub(super) async fn activity_update(
    store: &dyn Store,
    shape: &Needs,
    touched: &Touched<'_>,
    facts: &[OrderFact],
    settings: &ShopSettings,
) -> StoreResult<ActivityUpdate> {
    let (customers, actors) = (touched.buyers, touched.actors);
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
    let mut traits = HashMap::new();
    if !shape.traits.is_empty() && !touched.described.is_empty() {
        let facts = store.trait_facts_of(touched.described).await?;
        trait_values(&facts, &shape.traits, &mut traits);
    }
    Ok(ActivityUpdate {
        orders,
        items: item_days_of,
        events,
        traits,
    })
}

/// Days of the customers a change touched, ready to install.
#[derive(Default)]
pub(super) struct ActivityUpdate {
    orders: HashMap<i64, Vec<(i32, i64)>>,
    items: HashMap<Item, HashMap<i64, Vec<i32>>>,
    events: HashMap<EventKey, HashMap<i64, Vec<i32>>>,
    traits: HashMap<String, HashMap<i64, TraitValue>>,
}

impl ActivityUpdate {
    pub(super) fn apply(mut self, activity: &mut Activity, touched: &Touched<'_>) {
        for c in touched.buyers {
            activity.set_orders_of(c.0, self.orders.remove(&c.0).unwrap_or_default());
            activity.set_items_of(c.0, |item| {
                self.items
                    .get_mut(item)
                    .and_then(|per| per.remove(&c.0))
                    .unwrap_or_default()
            });
        }
        for c in touched.actors {
            activity.set_events_of(c.0, |key| {
                self.events
                    .get_mut(key)
                    .and_then(|per| per.remove(&c.0))
                    .unwrap_or_default()
            });
        }
        for c in touched.described {
            activity.set_traits_of(c.0, |name| {
                self.traits.get_mut(name).and_then(|per| per.remove(&c.0))
            });
        }
    }
}
