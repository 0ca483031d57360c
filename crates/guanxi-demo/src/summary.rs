//! What a demo shop contains, counted while streaming it (constant memory): for `guanxi demo`
//! to print and for tests to check the shop looks like a real one.

use crate::{CHANNELS, DemoConfig, DemoRecord, customers};
use guanxi_domain::{Millis, OrderChange, OrderStatus, SourceId};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    pub customers: usize,
    /// Customers with at least one order.
    pub buyers: usize,
    /// Customers with records on two or more channels.
    pub multi_channel: usize,
    pub orders: usize,
    /// Orders per channel, in `CHANNELS` order.
    pub orders_per_channel: [usize; 4],
    /// Orders never paid (pending, then closed or cancelled).
    pub unpaid_orders: usize,
    /// Refunds, on orders or as later refund messages.
    pub refunds: usize,
    pub events: usize,
    pub profiles: usize,
    /// Paid order totals less refunds, in fen.
    pub net_revenue_minor: i64,
    pub first_at: Option<Millis>,
    pub last_at: Option<Millis>,
}

impl DemoSummary {
    /// Counts one customer's records (as `customers` yields them).
    pub fn add_customer(&mut self, records: &[DemoRecord], sources: [SourceId; 4]) {
        self.customers += 1;
        let mut channels = [false; 4];
        let mut ordered = false;
        for record in records {
            let at = record.at();
            self.first_at = Some(self.first_at.map_or(at, |f| f.min(at)));
            self.last_at = Some(self.last_at.map_or(at, |l| l.max(at)));
            if let Some(c) = sources.iter().position(|s| *s == record.source()) {
                channels[c] = true;
            }
            match record {
                DemoRecord::Profile(_) => self.profiles += 1,
                DemoRecord::Event(_) => self.events += 1,
                DemoRecord::Order(OrderChange::Upsert(o)) => {
                    ordered = true;
                    self.orders += 1;
                    if let Some(c) = sources.iter().position(|s| *s == o.source) {
                        self.orders_per_channel[c] += 1;
                    }
                    if o.status == OrderStatus::Pending {
                        self.unpaid_orders += 1;
                    } else {
                        self.net_revenue_minor += o.total.minor();
                    }
                    self.refunds += o.refunds.len();
                    self.net_revenue_minor -=
                        o.refunds.iter().map(|r| r.amount.minor()).sum::<i64>();
                }
                DemoRecord::Order(OrderChange::Refund { refund, .. }) => {
                    self.refunds += 1;
                    self.net_revenue_minor -= refund.amount.minor();
                }
                DemoRecord::Order(OrderChange::Status { .. }) => {}
            }
        }
        self.buyers += usize::from(ordered);
        self.multi_channel += usize::from(channels.iter().filter(|c| **c).count() >= 2);
    }
}

/// Generates the whole shop once and counts it.
pub fn summary(config: &DemoConfig) -> DemoSummary {
    let sources: [SourceId; 4] = std::array::from_fn(|i| SourceId(i as i64 + 1));
    debug_assert_eq!(sources.len(), CHANNELS.len());
    let mut summary = DemoSummary::default();
    for records in customers(config, sources, 0..config.customers) {
        summary.add_customer(&records, sources);
    }
    summary
}
