//! Who an order or customer payload is about: identities and descriptive traits. Shopify data is
//! messy, so an invalid or masked identifier is skipped, never an error.

use super::fields::{id, object, text};
use guanxi_domain::{DefaultRegion, IdentityKey, IdentityKind};
use serde_json::{Map, Value};

/// Identities, highest priority first, each recorded once.
pub(super) struct Identities {
    keys: Vec<IdentityKey>,
    region: DefaultRegion,
}

impl Identities {
    pub(super) fn new(region: DefaultRegion) -> Self {
        Self {
            keys: Vec::new(),
            region,
        }
    }

    /// Adds `raw` as `kind` unless it is absent, invalid, masked, junk or already there. A phone
    /// with letters (Shopify's sample `555-555-SHIP`) is skipped: `Phone::parse` would read the
    /// letters as a keypad would, inventing a number nobody typed.
    pub(super) fn add(&mut self, kind: IdentityKind, raw: Option<&str>) {
        let raw =
            raw.filter(|raw| kind != IdentityKind::Phone || !raw.chars().any(char::is_alphabetic));
        let Some(key) = raw.and_then(|raw| IdentityKey::new(kind, raw, self.region).ok()) else {
            return;
        };
        if !self.keys.contains(&key) {
            self.keys.push(key);
        }
    }

    pub(super) fn into_vec(self) -> Vec<IdentityKey> {
        self.keys
    }
}

/// A person's name from first and last names: `John Smith`, or `王小明` when both are Chinese
/// (family name first, no space), or whichever one is present.
pub(super) fn full_name(first: Option<&str>, last: Option<&str>) -> Option<String> {
    match (first, last) {
        (Some(first), Some(last)) if is_cjk(first) && is_cjk(last) => {
            Some(format!("{last}{first}"))
        }
        (Some(first), Some(last)) => Some(format!("{first} {last}")),
        (one, other) => one.or(other).map(str::to_owned),
    }
}

fn is_cjk(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}'
            | '\u{20000}'..='\u{2ffff}')
    })
}

/// The name of a customer object, or of an address (`name`, else first + last).
pub(super) fn name_of(person: &Value) -> Option<String> {
    full_name(text(person, "first_name"), text(person, "last_name"))
        .or_else(|| text(person, "name").map(str::to_owned))
}

/// Sets `name` unless it is set already.
pub(super) fn set_name(traits: &mut Map<String, Value>, name: Option<String>) {
    if let Some(name) = name {
        traits.entry("name").or_insert(Value::String(name));
    }
}

/// `city`, `province` and `country` of the first address that has any of them.
pub(super) fn set_place(traits: &mut Map<String, Value>, addresses: &[&Value]) {
    const KEYS: [&str; 3] = ["city", "province", "country"];
    let Some(address) = addresses
        .iter()
        .find(|a| KEYS.iter().any(|key| text(a, key).is_some()))
    else {
        return;
    };
    for key in KEYS {
        if let Some(value) = text(address, key) {
            traits.insert(key.to_owned(), Value::String(value.to_owned()));
        }
    }
}

/// The buyer's identities from an order: `shopify_customer`, then e-mails (customer's, order's),
/// then phones (customer's, order's, billing address's). The shipping phone is left out: it is
/// often a gift recipient's.
pub(super) fn order_identities(order: &Value, region: DefaultRegion) -> Vec<IdentityKey> {
    let customer = object(order, "customer");
    let mut identities = Identities::new(region);
    identities.add(IdentityKind::ShopifyCustomer, id(customer, "id").as_deref());
    identities.add(IdentityKind::Email, text(customer, "email"));
    identities.add(IdentityKind::Email, text(order, "email"));
    identities.add(IdentityKind::Email, text(order, "contact_email"));
    identities.add(IdentityKind::Phone, text(customer, "phone"));
    identities.add(IdentityKind::Phone, text(order, "phone"));
    identities.add(
        IdentityKind::Phone,
        text(object(order, "billing_address"), "phone"),
    );
    identities.into_vec()
}

/// The buyer's traits from an order: name (customer's, else the billing name) and place
/// (billing address, else the customer's default address, else the shipping address).
pub(super) fn order_traits(order: &Value) -> Map<String, Value> {
    let customer = object(order, "customer");
    let billing = object(order, "billing_address");
    let mut traits = Map::new();
    set_name(
        &mut traits,
        full_name(text(customer, "first_name"), text(customer, "last_name")),
    );
    set_name(&mut traits, name_of(billing));
    set_place(
        &mut traits,
        &[
            billing,
            object(customer, "default_address"),
            object(order, "shipping_address"),
        ],
    );
    traits
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_follow_the_writing_order() {
        assert_eq!(
            full_name(Some("John"), Some("Smith")),
            Some("John Smith".into())
        );
        assert_eq!(full_name(Some("小明"), Some("王")), Some("王小明".into()));
        assert_eq!(full_name(None, Some("Smith")), Some("Smith".into()));
        assert_eq!(full_name(None, None), None);
    }

    #[test]
    fn identities_skip_junk_and_duplicates() {
        let mut identities = Identities::new(DefaultRegion::default());
        identities.add(IdentityKind::Email, Some("Li.Na@Example.cn"));
        identities.add(IdentityKind::Email, Some("li.na@example.cn"));
        identities.add(IdentityKind::Phone, Some("138****5678"));
        identities.add(IdentityKind::Phone, Some("555-555-BILL"));
        identities.add(IdentityKind::ShopifyCustomer, Some("0"));
        identities.add(IdentityKind::Phone, None);
        let keys = identities.into_vec();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kind(), &IdentityKind::Email);
    }

    #[test]
    fn place_comes_from_one_address() {
        let mut traits = Map::new();
        let empty = json!({"city": " ", "country": null});
        let home = json!({"city": "Hangzhou", "province": "Zhejiang"});
        set_place(&mut traits, &[&empty, &home, &json!({"country": "China"})]);
        assert_eq!(traits.get("city"), Some(&json!("Hangzhou")));
        assert_eq!(
            traits.get("country"),
            None,
            "not mixed from another address"
        );
    }
}
