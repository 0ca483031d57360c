use crate::stream::config;
use guanxi_demo::{DemoConfig, catalogue, summary};

#[test]
fn default_shop_looks_like_a_real_one() {
    let s = summary(&DemoConfig::default());
    eprintln!("{s:#?}");
    let share = |n: usize, of: usize| n as f64 / of as f64;
    assert_eq!(s.customers, 10_000);
    assert!((25_000..=40_000).contains(&s.orders), "orders {}", s.orders);
    let multi = share(s.multi_channel, s.customers);
    assert!((0.25..=0.36).contains(&multi), "multi-channel {multi}");
    assert!(
        (0.02..=0.045).contains(&share(s.unpaid_orders, s.orders)),
        "unpaid"
    );
    assert!(
        (0.035..=0.07).contains(&share(s.refunds, s.orders)),
        "refunds"
    );
    assert!(
        (50_000..=150_000).contains(&s.events),
        "events {}",
        s.events
    );
    assert!(s.profiles > 500, "Shopify customer profiles");
    let [tmall, shopify, jd, web] = s.orders_per_channel;
    assert!(
        tmall > jd && jd > shopify && web > shopify,
        "{:?}",
        s.orders_per_channel
    );
    assert!(s.buyers > 9_000);
    let average = s.net_revenue_minor as f64 / s.orders as f64 / 100.0;
    assert!(
        (250.0..=900.0).contains(&average),
        "average order ¥{average}"
    );
}

#[test]
fn most_buy_once_and_a_few_buy_often() {
    let c = config(3_000);
    let sources = crate::stream::sources();
    let mut counts: Vec<usize> = guanxi_demo::customers(&c, sources, 0..3_000)
        .map(|records| {
            records
                .iter()
                .filter(|r| {
                    matches!(
                        r,
                        guanxi_demo::DemoRecord::Order(guanxi_domain::OrderChange::Upsert(_))
                    )
                })
                .count()
        })
        .collect();
    counts.sort_unstable();
    let once = counts.iter().filter(|c| **c == 1).count();
    assert!(
        once as f64 / counts.len() as f64 > 0.4,
        "one-time buyers {once}"
    );
    assert!(counts.last().copied().unwrap_or(0) >= 15, "a loyal tail");
}

#[test]
fn catalogue_covers_the_brand() {
    let products = catalogue();
    assert!(
        products
            .iter()
            .any(|p| p.name.contains("丝巾") || p.name.contains("方巾"))
    );
    assert!(products.iter().any(|p| p.category == "tea"));
}
