//! All records of one customer, in time order: the person, their orders on each channel,
//! Shopify profiles and website events. Depends only on (seed, customer count, end, index).

use crate::DemoRecord;
use crate::behaviour::web_events;
use crate::orders::{order_records, plan_orders};
use crate::person::sample_person;
use crate::profiles::shopify_profiles;
use crate::sampling::customer_rng;
use crate::shop::Shop;
use rand::Rng;

pub(crate) fn customer_records(shop: &Shop, index: usize) -> Vec<DemoRecord> {
    let mut rng = customer_rng(shop.seed, index as u64);
    // Customer numbers follow arrival order: customer i arrives at quantile (i + jitter) / n.
    let quantile = (index as f64 + rng.gen_range(0.0..1.0)) / shop.customers as f64;
    let arrival = shop.calendar.arrival_at(quantile.min(1.0 - 1e-12));
    let person = sample_person(
        &mut rng,
        index as u64,
        arrival,
        &shop.calendar,
        &shop.numbering,
    );
    let orders = plan_orders(&mut rng, &person, shop);
    let mut timed = shopify_profiles(&mut rng, &person, &orders, shop);
    for order in &orders {
        timed.extend(order_records(order, shop));
    }
    timed.extend(web_events(&mut rng, &person, &orders, shop));
    // Stable: a profile or order written at the same instant as what it enables stays first.
    timed.sort_by_key(|(at, _)| *at);
    timed.into_iter().map(|(_, record)| record).collect()
}
