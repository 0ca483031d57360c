//! Conditions on orders within a window:
//!
//! - `bought category "silk" >= 2 within 90 days`
//! - `spent >= 500 within 30 days`
//! - `orders >= 1 between 2026-01-01 and 2026-03-31`
//!
//! They read each customer's order days (and values), which the engine keeps only while a rule
//! needs them (`activity.rs`).

use super::rule::{Op, RuleError};

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
