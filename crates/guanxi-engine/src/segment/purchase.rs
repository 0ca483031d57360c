//! Conditions on orders within a window:
//!
//! - `bought category "silk" >= 2 within 90 days`
//! - `spent >= 500 within 30 days`
//! - `orders >= 1 between 2026-01-01 and 2026-03-31`
//!
//! They read each customer's order days (and values), which the engine keeps only while a rule
//! needs them: every order for windowed `orders` and `spent`, and for each product or category
//! a rule names, the days of the orders that hold it.

use super::rule::{Op, RuleError};
use std::collections::HashMap;

/// A product (by SKU) or a category, as order items name them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    Product(String),
    Category(String),
}

impl Item {
    pub fn kind(&self) -> &'static str {
        match self {
            Item::Product(_) => "product",
            Item::Category(_) => "category",
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Item::Product(s) | Item::Category(s) => s,
        }
    }
}

/// Which orders count: all of them, those of the last `n` shop-local days (today included),
/// or those between two shop-local days (both included; days since 1970-01-01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Ever,
    Within(u32),
    Between(i64, i64),
}

/// The longest window, in days: a hundred years.
pub const MAX_WINDOW_DAYS: u32 = 36_500;

impl Window {
    pub fn contains(self, day: i64, today: i64) -> bool {
        match self {
            Window::Ever => true,
            Window::Within(n) => day > today - i64::from(n) && day <= today,
            Window::Between(from, to) => from <= day && day <= to,
        }
    }

    /// Checks a window: `within` takes 1 to 36,500 days, `between` an earlier day first.
    pub fn checked(self, at: &str) -> Result<Self, RuleError> {
        match self {
            Window::Within(n) if n == 0 || n > MAX_WINDOW_DAYS => Err(RuleError::new(
                at,
                format!("within takes 1 to {MAX_WINDOW_DAYS} days"),
            )),
            Window::Between(from, to) if from > to => {
                Err(RuleError::new(at, "between needs the earlier date first"))
            }
            w => Ok(w),
        }
    }
}

/// What is counted: orders, or the money they brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Orders,
    Spent,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Purchase {
    /// `None`: any order.
    pub item: Option<Item>,
    pub measure: Measure,
    pub op: Op,
    pub value: f64,
    pub window: Window,
}

/// Customers' order days, kept for the rules that need them.
#[derive(Debug, Clone, Default)]
pub struct Purchases {
    /// Every counted order as (shop-local day, value in minor units), oldest first; `None`
    /// while no rule needs it.
    orders: Option<HashMap<i64, Vec<(i32, i64)>>>,
    /// For each item a rule names, the days of each customer's orders holding it, oldest first.
    items: HashMap<Item, HashMap<i64, Vec<i32>>>,
}

/// What the rules need kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    pub orders: bool,
    pub items: Vec<Item>,
}

impl Purchases {
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
        }
    }

    /// Takes over what `read` holds (a full read of needs this lacked).
    pub fn absorb(&mut self, read: Purchases) {
        if read.orders.is_some() {
            self.orders = read.orders;
        }
        self.items.extend(read.items);
    }

    /// Drops what no rule needs any more.
    pub fn keep_only(&mut self, needs: &Needs) {
        if !needs.orders {
            self.orders = None;
        }
        self.items.retain(|item, _| needs.items.contains(item));
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
