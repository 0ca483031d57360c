//! A deterministic, realistic demo shop for trying Guanxi and for benchmarks: 素锦 Sujin, a
//! silk, tea and home-goods brand selling on Tmall, JD, an international Shopify store and its
//! own website. Pure: no IO, no async.
//!
//! [`generate`] streams [`DemoRecord`]s for `customers` people over the two years before
//! `end`. Output depends only on (customers, seed, end): every customer has its own ChaCha8
//! generator seeded from (seed, index), so [`generate_range`] can split the work.
//!
//! **Order of records.** Records are in time order *per customer*, and customers come in
//! order of arrival (customer `i` first appears at quantile `(i + jitter) / customers` of the
//! arrival curve), so every customer's first record is later than the previous customer's
//! first record. A strict global time order would hold every active customer's future in
//! memory; this keeps memory constant (one customer at a time) at any size.
//!
//! **Realism.** Customers arrive on a growth curve with festival spikes; ~30% shop on two or
//! three channels and share their phone or e-mail between them (Tmall: `taobao_buyer` and the
//! phone when the export shows it unmasked; JD: `jd_buyer` and phone; Shopify:
//! `shopify_customer`, e-mail, phone; website: `anonymous_id`, then `user_id:web` with e-mail
//! and phone on `identify`). Masked phones are never generated as identities. Purchases follow
//! a Pareto/NBD-like model (gamma-distributed personal rate, exponential dropout) shaped by
//! 38, 520, 618, 七夕, 中秋, 双11, 双12 and 春节 (gift rush, then the delivery pause).
//!
//! **Money.** Everything is CNY in fen. `total = Σ price × quantity + shipping − discount`:
//! Tmall and JD ship free, the website charges ¥12 under ¥199, the international store ¥88
//! abroad under ¥800; festivals take ¥50 off every ¥300 (at most ¥500), other days a ¥20
//! coupon sometimes applies. `OrderInput` has no fields for shipping or discount, so they show
//! only as the difference, and as `shipping`/`discount` on website `Order Completed` events.
//!
//! **Lifecycle.** About 3% of orders are never paid (Tmall: `Pending` then `Closed` after 24 h;
//! others `Cancelled` within 2 h); about 5% are refunded in full or part — on the order itself
//! for Tmall and JD (as their exports report it), as a later `OrderChange::Refund` for Shopify
//! and the website. Paid orders carry their status at `end` by age (paid, shipped, completed).
//! Website orders come both as `Order Completed` events and as order upserts with the same
//! external id, as the orders API would receive them.

mod basket;
mod behaviour;
mod calendar;
mod catalogue;
mod channels;
mod contacts;
mod customer;
mod names;
mod orders;
mod person;
mod places;
mod profiles;
mod sampling;
mod shop;
mod summary;

pub use catalogue::{Product, catalogue};
pub use channels::{CHANNELS, DemoChannel};
pub use summary::{DemoSummary, summary};

use chrono::{DateTime, TimeZone, Utc};
use guanxi_domain::{EventInput, Millis, OrderChange, ProfileInput, SourceId};
use std::ops::Range;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// People in the shop's history (default 10,000: about 30,000 orders, 95,000 events).
    pub customers: usize,
    pub seed: u64,
    /// History ends here and starts two years earlier.
    pub end: DateTime<Utc>,
}

impl Default for DemoConfig {
    fn default() -> Self {
        Self {
            customers: 10_000,
            seed: 42,
            end: Utc
                .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum DemoRecord {
    Profile(ProfileInput),
    Order(OrderChange),
    Event(EventInput),
}

impl DemoRecord {
    /// When the record happened: profile update, order creation, status change, refund or
    /// event time.
    pub fn at(&self) -> Millis {
        match self {
            Self::Profile(p) => p.updated_at,
            Self::Order(OrderChange::Upsert(o)) => o.created_at,
            Self::Order(OrderChange::Status { at, .. }) => *at,
            Self::Order(OrderChange::Refund { refund, .. }) => refund.created_at,
            Self::Event(e) => e.timestamp,
        }
    }

    pub fn source(&self) -> SourceId {
        match self {
            Self::Profile(p) => p.source,
            Self::Order(OrderChange::Upsert(o)) => o.source,
            Self::Order(
                OrderChange::Status { source, .. } | OrderChange::Refund { source, .. },
            ) => *source,
            Self::Event(e) => e.source,
        }
    }
}

/// Every record of the demo shop, customer by customer (see the crate docs for the order).
/// `sources[i]` is the SourceId of `CHANNELS[i]`; the caller registers the channels first.
pub fn generate(
    config: &DemoConfig,
    sources: [SourceId; 4],
) -> impl Iterator<Item = DemoRecord> + use<> {
    generate_range(config, sources, 0..config.customers)
}

/// The records of customers `range` only: the same records `generate` yields for them, so
/// disjoint ranges can be generated in parallel and concatenated.
pub fn generate_range(
    config: &DemoConfig,
    sources: [SourceId; 4],
    range: Range<usize>,
) -> impl Iterator<Item = DemoRecord> + use<> {
    customers(config, sources, range).flatten()
}

/// Records grouped per customer (each group in time order), lazily.
pub fn customers(
    config: &DemoConfig,
    sources: [SourceId; 4],
    range: Range<usize>,
) -> impl Iterator<Item = Vec<DemoRecord>> + use<> {
    let shop = shop::Shop::new(config, sources);
    let range = range.start.min(config.customers)..range.end.min(config.customers);
    range.map(move |index| customer::customer_records(&shop, index))
}
