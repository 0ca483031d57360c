//! Customer records from the international store (Shopify customers/create and its customers
//! CSV): the account with its tags when it is opened, and `VIP` once its spend passes ¥3,000.

use crate::DemoRecord;
use crate::basket::fen;
use crate::calendar::DAY;
use crate::channels::{SHOPIFY, insert_place};
use crate::orders::{Fate, PlannedOrder};
use crate::person::{Origin, Person};
use crate::shop::Shop;
use guanxi_domain::{Millis, ProfileInput};
use rand::Rng;
use serde_json::{Map, json};

const VIP_SPEND: i64 = fen(3_000);

pub(crate) fn shopify_profiles(
    rng: &mut impl Rng,
    person: &Person,
    orders: &[PlannedOrder],
    shop: &Shop,
) -> Vec<(Millis, DemoRecord)> {
    let Some(joined) = person.channels.iter().find(|j| j.channel == SHOPIFY) else {
        return Vec::new();
    };
    let mut identities: Vec<_> = person.shopify_customer.iter().cloned().collect();
    identities.extend(person.email.iter().map(|e| e.key.clone()));
    identities.extend(person.phone.iter().map(|p| p.key.clone()));
    let mut traits = Map::new();
    traits.insert("name".into(), json!(person.name));
    traits.insert("first_name".into(), json!(person.first_name));
    traits.insert("last_name".into(), json!(person.last_name));
    traits.insert("accepts_marketing".into(), json!(person.accepts_marketing));
    if let Some(birthday) = person.birthday.filter(|_| rng.gen_bool(0.5)) {
        traits.insert(
            "birthday".into(),
            json!(birthday.format("%Y-%m-%d").to_string()),
        );
    }
    insert_place(&mut traits, person);
    let mut tags: Vec<String> = Vec::new();
    if person.origin != Origin::Mainland {
        tags.push("overseas".into());
    }
    if person.accepts_marketing {
        tags.push("newsletter".into());
    }
    if person.wholesale {
        tags.push("wholesale".into());
    }
    let profile = |tags: Vec<String>, at: Millis| {
        DemoRecord::Profile(ProfileInput {
            source: shop.sources[SHOPIFY],
            identities: identities.clone(),
            traits: traits.clone(),
            tags,
            updated_at: at,
        })
    };
    let mut records = vec![(joined.at, profile(tags.clone(), joined.at))];
    let mut spend = 0;
    for order in orders.iter().filter(|o| o.channel == SHOPIFY) {
        if let Fate::Paid { refund } = &order.fate {
            spend += order.basket.total - refund.as_ref().map_or(0, |r| r.amount);
        }
        let at = order.at + DAY;
        if spend >= VIP_SPEND && at < shop.calendar.end {
            tags.push("VIP".into());
            records.push((at, profile(tags, at)));
            break;
        }
    }
    records
}
