//! The four sales channels of the demo shop and how each one names a buyer on its orders.

use crate::person::Person;
use guanxi_domain::OrderCustomer;
use rand::Rng;
use serde_json::{Map, Value, json};

/// A channel the demo shop sells through; the caller registers it as a source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoChannel {
    pub name: &'static str,
    /// The source kind: `taobao`, `shopify`, `jd` or `segment`.
    pub kind: &'static str,
}

pub const CHANNELS: [DemoChannel; 4] = [
    DemoChannel {
        name: "tmall-flagship",
        kind: "taobao",
    },
    DemoChannel {
        name: "shopify-intl",
        kind: "shopify",
    },
    DemoChannel {
        name: "jd-store",
        kind: "jd",
    },
    DemoChannel {
        name: "web",
        kind: "segment",
    },
];

pub(crate) const TMALL: usize = 0;
pub(crate) const SHOPIFY: usize = 1;
pub(crate) const JD: usize = 2;
pub(crate) const WEB: usize = 3;

/// Share of Taobao and JD orders whose export shows the receiver's phone unmasked; the rest
/// carry `138****5678`, which identifies nobody and so is not generated at all.
const TMALL_PHONE_VISIBLE: f64 = 0.85;
const JD_PHONE_VISIBLE: f64 = 0.8;

/// Who placed an order as `channel` reports it, identifiers highest priority first.
pub(crate) fn order_customer(rng: &mut impl Rng, person: &Person, channel: usize) -> OrderCustomer {
    let mut identities = Vec::new();
    let mut traits = Map::new();
    traits.insert("name".into(), json!(person.name));
    let phone = person.phone.as_ref().map(|p| p.key.clone());
    let email = person.email.as_ref().map(|e| e.key.clone());
    match channel {
        TMALL => {
            identities.extend(person.taobao_nick.clone());
            if rng.gen_bool(TMALL_PHONE_VISIBLE) {
                identities.extend(phone);
            }
        }
        JD => {
            identities.extend(person.jd_pin.clone());
            if rng.gen_bool(JD_PHONE_VISIBLE) {
                identities.extend(phone);
            }
        }
        SHOPIFY => {
            identities.extend(person.shopify_customer.clone());
            identities.extend(email);
            identities.extend(phone);
            traits.insert("first_name".into(), json!(person.first_name));
            traits.insert("last_name".into(), json!(person.last_name));
        }
        _ => {
            identities.extend(person.web_user.clone());
            identities.extend(email);
            identities.extend(phone);
        }
    }
    insert_place(&mut traits, person);
    OrderCustomer { identities, traits }
}

/// `city`, and `province` on the mainland or `country` abroad.
pub(crate) fn insert_place(traits: &mut Map<String, Value>, person: &Person) {
    traits.insert("city".into(), json!(person.city));
    match person.province {
        Some(province) => traits.insert("province".into(), json!(province)),
        None => traits.insert("country".into(), json!(person.country)),
    };
}
