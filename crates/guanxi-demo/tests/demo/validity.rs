use crate::stream::{config, sources};
use guanxi_demo::{DemoRecord, generate};
use guanxi_domain::{
    DefaultRegion, Email, EventKind, IdentityKey, IdentityKind, OrderChange, Phone,
};
use std::collections::HashSet;

fn all_identities(record: &DemoRecord) -> Vec<&IdentityKey> {
    match record {
        DemoRecord::Profile(p) => p.identities.iter().collect(),
        DemoRecord::Event(e) => e.identities.iter().collect(),
        DemoRecord::Order(OrderChange::Upsert(o)) => o.customer.identities.iter().collect(),
        DemoRecord::Order(_) => Vec::new(),
    }
}

#[test]
fn every_phone_and_email_parses_with_the_domain_parsers() {
    let region = DefaultRegion::default();
    let mut phones = 0;
    for record in generate(&config(2_000), sources()) {
        for key in all_identities(&record) {
            match key.kind() {
                IdentityKind::Phone => {
                    phones += 1;
                    assert_eq!(
                        Phone::parse(key.value(), region).map(|p| p.as_str().to_owned()),
                        Ok(key.value().to_owned())
                    );
                }
                IdentityKind::Email => {
                    assert_eq!(
                        Email::parse(key.value()).map(|e| e.as_str().to_owned()),
                        Ok(key.value().to_owned())
                    );
                }
                _ => assert!(IdentityKey::new(key.kind().clone(), key.value(), region).is_ok()),
            }
        }
        if let DemoRecord::Event(e) = &record
            && e.kind == EventKind::Identify
        {
            if let Some(phone) = e.traits.get("phone").and_then(|v| v.as_str()) {
                assert!(Phone::parse(phone, region).is_ok(), "{phone}");
            }
            if let Some(email) = e.traits.get("email").and_then(|v| v.as_str()) {
                assert!(Email::parse(email).is_ok(), "{email}");
            }
            assert!(e.traits.contains_key("name"));
        }
    }
    assert!(phones > 2_000);
}

#[test]
fn order_totals_are_items_plus_shipping_minus_discount() {
    let mut exact = 0;
    let mut orders = 0;
    let mut web_checked = 0;
    let mut web_items = std::collections::HashMap::new();
    for record in generate(&config(2_000), sources()) {
        match &record {
            DemoRecord::Order(OrderChange::Upsert(o)) => {
                assert_eq!(o.validate(), Ok(()));
                orders += 1;
                let items: i64 = o.items.iter().map(|i| i.price.minor() * i.quantity).sum();
                let difference = o.total.minor() - items;
                exact += usize::from(difference == 0);
                // Shipping is 0, ¥12 or ¥88; discounts are a ¥20 coupon or ¥50 per ¥300 up to ¥500.
                let possible = [0, fen(12), fen(88)].iter().any(|shipping| {
                    let discount = shipping - difference;
                    discount == 0
                        || discount == fen(20)
                        || (discount % fen(50) == 0
                            && (0..=fen(500)).contains(&discount)
                            && discount <= items / fen(300) * fen(50))
                });
                assert!(
                    possible,
                    "{} = {items} + shipping - discount",
                    o.total.minor()
                );
                assert!(
                    o.refunds
                        .iter()
                        .all(|r| r.amount.minor() <= o.total.minor())
                );
                if o.source == sources()[3] {
                    web_items.insert(o.external_id.clone(), (items, o.total.minor()));
                }
            }
            DemoRecord::Event(e) if e.name.as_deref() == Some("Order Completed") => {
                let p = &e.properties.to_value().expect("properties are JSON");
                let amount = |k: &str| (p[k].as_f64().unwrap_or(f64::NAN) * 100.0).round() as i64;
                let id = p["order_id"].as_str().unwrap_or_default();
                let (items, total) = web_items[id];
                assert_eq!(amount("total"), total);
                assert_eq!(total, items + amount("shipping") - amount("discount"));
                assert_eq!(p["currency"], "CNY");
                assert!(p["products"].as_array().is_some_and(|a| !a.is_empty()
                    && a[0]["sku"].is_string()
                    && a[0]["price"].is_number()));
                web_checked += 1;
            }
            _ => {}
        }
    }
    assert!(
        exact as f64 / orders as f64 > 0.6,
        "most orders have neither shipping nor discount"
    );
    assert!(web_checked > 100);
}

#[test]
fn ids_are_unique_and_look_like_each_channels() {
    let mut message_ids = HashSet::new();
    let mut order_ids = HashSet::new();
    for record in generate(&config(2_000), sources()) {
        match &record {
            DemoRecord::Event(e) => {
                assert!(e.message_id.starts_with("demo-42-"));
                assert!(
                    message_ids.insert(e.message_id.clone()),
                    "duplicate {}",
                    e.message_id
                );
            }
            DemoRecord::Order(OrderChange::Upsert(o)) => {
                let id = &o.external_id;
                let digits = id.chars().all(|c| c.is_ascii_digit());
                let shaped = match o.source.0 {
                    11 => digits && id.len() == 19,
                    12 => digits && id.len() == 13,
                    13 => digits && id.len() == 12,
                    _ => id.starts_with("W202"),
                };
                assert!(shaped, "{id}");
                assert!(
                    order_ids.insert((o.source, id.clone())),
                    "duplicate order {id}"
                );
            }
            _ => {}
        }
    }
}

/// Yuan in fen.
const fn fen(yuan: i64) -> i64 {
    yuan * 100
}
