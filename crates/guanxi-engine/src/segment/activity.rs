//! What the engine keeps of customers' activity for the rules that need it, and only while they
//! do: every order's day and value (windowed `orders` and `spent`), for each product or
//! category a rule names the days of the orders holding it, and for each event a rule names
//! (with its property filters) the days it happened.

use super::event::{EventCondition, EventKey};
use super::purchase::{Item, Measure, Purchase, Window};
use super::traits::TraitValue;
use std::collections::HashMap;

/// Customers' order days, kept for the rules that need them.
#[derive(Debug, Clone, Default)]
pub struct Activity {
    /// Every counted order as (shop-local day, value in minor units), oldest first; `None`
    /// while no rule needs it.
    orders: Option<HashMap<i64, Vec<(i32, i64)>>>,
    /// For each item a rule names, the days of each customer's orders holding it, oldest first.
    items: HashMap<Item, HashMap<i64, Vec<i32>>>,
    /// For each event (with filters) a rule names, the days of each customer's, oldest first.
    events: HashMap<EventKey, HashMap<i64, Vec<i32>>>,
    /// For each trait a rule names, each customer's value (where set).
    traits: HashMap<String, HashMap<i64, TraitValue>>,
}

/// What the rules need kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub orders: bool,
    pub items: Vec<Item>,
    pub events: Vec<EventKey>,
    pub traits: Vec<String>,
}

impl Needs {
    /// Whether `self` asks for anything `have` lacks.
    pub fn beyond(&self, have: &Needs) -> bool {
        (self.orders && !have.orders)
            || self.items.iter().any(|i| !have.items.contains(i))
            || self.events.iter().any(|e| !have.events.contains(e))
            || self.traits.iter().any(|t| !have.traits.contains(t))
    }
}

impl Activity {
    pub fn has_orders(&self) -> bool {
        self.orders.is_some()
    }

    pub fn has_item(&self, item: &Item) -> bool {
        self.items.contains_key(item)
    }

    /// What is kept.
    pub fn kept(&self) -> Needs {
        Needs {
            orders: self.orders.is_some(),
            items: self.items.keys().cloned().collect(),
            events: self.events.keys().cloned().collect(),
            traits: self.traits.keys().cloned().collect(),
        }
    }

    /// Takes over what `read` holds (a full read of needs this lacked).
    pub fn absorb(&mut self, read: Activity) {
        if read.orders.is_some() {
            self.orders = read.orders;
        }
        self.items.extend(read.items);
        self.events.extend(read.events);
        self.traits.extend(read.traits);
    }

    /// Drops what no rule needs any more.
    pub fn keep_only(&mut self, needs: &Needs) {
        if !needs.orders {
            self.orders = None;
        }
        self.items.retain(|item, _| needs.items.contains(item));
        self.events.retain(|key, _| needs.events.contains(key));
        self.traits.retain(|name, _| needs.traits.contains(name));
    }

    /// Installs every customer's value of one trait (a full read).
    pub fn set_all_of_trait(&mut self, name: String, values: HashMap<i64, TraitValue>) {
        self.traits.insert(name, values);
    }

    /// Replaces one customer's value of every kept trait: `value_of(trait)`.
    pub fn set_traits_of(
        &mut self,
        customer: i64,
        mut value_of: impl FnMut(&str) -> Option<TraitValue>,
    ) {
        for (name, per_customer) in &mut self.traits {
            match value_of(name) {
                Some(v) => {
                    per_customer.insert(customer, v);
                }
                None => {
                    per_customer.remove(&customer);
                }
            }
        }
    }

    /// A customer's value of a kept trait.
    pub fn trait_of(&self, customer: i64, name: &str) -> Option<&TraitValue> {
        self.traits.get(name)?.get(&customer)
    }

    /// Installs every customer's days of one event (a full read).
    pub fn set_all_of_event(&mut self, key: EventKey, days: HashMap<i64, Vec<i32>>) {
        self.events.insert(key, days);
    }

    /// Replaces one customer's days for every kept event: `days_of(event)`.
    pub fn set_events_of(&mut self, customer: i64, mut days_of: impl FnMut(&EventKey) -> Vec<i32>) {
        for (key, per_customer) in &mut self.events {
            let days = days_of(key);
            if days.is_empty() {
                per_customer.remove(&customer);
            } else {
                per_customer.insert(customer, days);
            }
        }
    }

    /// Times `customer` did the event in the window; `None` when not kept.
    pub fn event_count(&self, customer: i64, e: &EventCondition, today: i64) -> Option<f64> {
        let days = self.events.get(&e.key)?.get(&customer);
        let days = days.map_or(&[][..], Vec::as_slice);
        Some(
            days.iter()
                .filter(|d| e.window.contains(i64::from(**d), today))
                .count() as f64,
        )
    }

    /// The first day after today on which one of the customer's events leaves the window.
    pub fn next_event_exit(&self, customer: i64, e: &EventCondition, today: i64) -> Option<i64> {
        let Window::Within(n) = e.window else {
            return None;
        };
        let days = self.events.get(&e.key)?.get(&customer)?;
        days.iter()
            .map(|d| i64::from(*d) + i64::from(n))
            .filter(|exit| *exit > today)
            .min()
    }

    /// Installs every customer's orders (a full read).
    pub fn set_all_orders(&mut self, orders: HashMap<i64, Vec<(i32, i64)>>) {
        self.orders = Some(orders);
    }

    /// Installs every customer's order days for `item` (a full read).
    pub fn set_all_of_item(&mut self, item: Item, days: HashMap<i64, Vec<i32>>) {
        self.items.insert(item, days);
    }

    /// Replaces one customer's orders, where kept.
    pub fn set_orders_of(&mut self, customer: i64, orders: Vec<(i32, i64)>) {
        if let Some(all) = &mut self.orders {
            if orders.is_empty() {
                all.remove(&customer);
            } else {
                all.insert(customer, orders);
            }
        }
    }

    /// Replaces one customer's order days for every kept item: `days_of(item)`.
    pub fn set_items_of(&mut self, customer: i64, mut days_of: impl FnMut(&Item) -> Vec<i32>) {
        for (item, per_customer) in &mut self.items {
            let days = days_of(item);
            if days.is_empty() {
                per_customer.remove(&customer);
            } else {
                per_customer.insert(customer, days);
            }
        }
    }

    /// The kept items.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.items.keys()
    }

    /// Orders (or money) of `customer` in the window; `None` when not kept.
    pub fn measure(&self, customer: i64, p: &Purchase, today: i64) -> Option<f64> {
        let inside = |day: i32| p.window.contains(i64::from(day), today);
        match &p.item {
            None => {
                let orders = self.orders.as_ref()?.get(&customer);
                let orders = orders.map_or(&[][..], Vec::as_slice);
                Some(match p.measure {
                    Measure::Orders => orders.iter().filter(|(d, _)| inside(*d)).count() as f64,
                    Measure::Spent => orders
                        .iter()
                        .filter(|(d, _)| inside(*d))
                        .map(|(_, v)| *v as f64)
                        .sum(),
                })
            }
            Some(item) => {
                let days = self.items.get(item)?.get(&customer);
                let days = days.map_or(&[][..], Vec::as_slice);
                Some(days.iter().filter(|d| inside(**d)).count() as f64)
            }
        }
    }

    /// The first day after today on which an order of `customer` leaves the window of `p`.
    pub fn next_exit(&self, customer: i64, p: &Purchase, today: i64) -> Option<i64> {
        let Window::Within(n) = p.window else {
            return None;
        };
        let n = i64::from(n);
        let exits = |days: &mut dyn Iterator<Item = i32>| {
            days.map(|d| i64::from(d) + n)
                .filter(|exit| *exit > today)
                .min()
        };
        match &p.item {
            None => {
                let orders = self.orders.as_ref()?.get(&customer)?;
                exits(&mut orders.iter().map(|(d, _)| *d))
            }
            Some(item) => {
                let days = self.items.get(item)?.get(&customer)?;
                exits(&mut days.iter().copied())
            }
        }
    }
}
