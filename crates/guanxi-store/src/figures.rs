//! The shop's key figures over a period, for the dashboard: customers, buyers, orders,
//! revenue, by day and by channel.

use crate::StoreResult;
use async_trait::async_trait;
use guanxi_domain::Millis;

/// A period `[from, to)` and how to cut it into the shop's local days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiguresQuery {
    pub from: Millis,
    pub to: Millis,
    /// The shop's offset from UTC, so a day starts at the shop's midnight.
    pub utc_offset_ms: i64,
    /// Money is summed in this currency only.
    pub currency: String,
}

/// One local day that had orders or new customers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayFigures {
    /// Days since 1970-01-01 in the shop's time zone.
    pub day: i64,
    pub orders: i64,
    /// Paid minus refunded, in minor units.
    pub revenue: i64,
    pub new_customers: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelFigures {
    /// The source's name.
    pub source: String,
    pub orders: i64,
    pub revenue: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShopFigures {
    /// Customers today (merged-away records are not people of their own).
    pub customers: i64,
    /// Customers first seen in the period.
    pub new_customers: i64,
    /// Customers who ordered in the period.
    pub buyers: i64,
    /// Of those, the ones who ordered more than once in it.
    pub repeat_buyers: i64,
    pub orders: i64,
    pub revenue: i64,
    /// Days in order; days with nothing are left out.
    pub days: Vec<DayFigures>,
    /// Highest revenue first.
    pub channels: Vec<ChannelFigures>,
}

#[async_trait]
pub trait FiguresStore {
    /// Orders count when money changed hands (paid, shipped, completed, partly or wholly
    /// refunded); revenue is what was paid less what was refunded.
    async fn shop_figures(&self, query: &FiguresQuery) -> StoreResult<ShopFigures>;
}
