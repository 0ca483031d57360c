//! Which values in free-form JSON (traits, event properties) are personal data, judged by their
//! keys. The console masks them by this rule and the store seals them by it, so what is shown
//! masked is exactly what is stored encrypted.

use crate::access::PersonalField;
use serde_json::{Map, Value};

/// The entry of a stored JSON object (traits, event properties) that holds its personal
/// entries, sealed. Incoming data may not use it: it is dropped where the data is read, since it
/// could not be told from the store's own and would take the place of the real entries.
pub const SEALED_ENTRY: &str = "__guanxi_sealed";

/// What kind of personal value a key holds, judged by its name (any case, any nesting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Personal {
    Email,
    Phone,
    Name,
    /// Addresses and other identifying details (birthdays, ID cards): the address field's rule.
    Other,
}

impl Personal {
    pub fn field(self) -> PersonalField {
        match self {
            Personal::Email => PersonalField::Email,
            Personal::Phone => PersonalField::Phone,
            Personal::Name => PersonalField::Name,
            Personal::Other => PersonalField::Address,
        }
    }
}

/// Keys that name a person. Only profiles mask them: in a track event `name` is a product's.
const NAME_KEYS: &[&str] = &[
    "name",
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "full_name",
    "fullname",
    "nickname",
    "nick",
    "username",
    "user_name",
    "receiver_name",
    "buyer_name",
    "billing_name",
    "shipping_name",
    "real_name",
    "realname",
];

pub fn classify(key: &str, names: bool) -> Option<Personal> {
    let key = key.to_ascii_lowercase();
    if key.contains("email") {
        Some(Personal::Email)
    } else if key.contains("phone")
        || key.contains("mobile")
        || key == "tel"
        || key.ends_with("_tel")
    {
        Some(Personal::Phone)
    } else if names && NAME_KEYS.contains(&key.as_str()) {
        Some(Personal::Name)
    } else if [
        "address", "street", "zip", "postal", "postcode", "birth", "id_card", "idcard", "passport",
    ]
    .iter()
    .any(|p| key.contains(p))
        || key == "ip"
    {
        Some(Personal::Other)
    } else {
        None
    }
}

/// Whether `value` holds a personal key at any depth.
pub fn holds_personal(value: &Value, names: bool) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| classify(k, names).is_some() || holds_personal(v, names)),
        Value::Array(items) => items.iter().any(|v| holds_personal(v, names)),
        _ => false,
    }
}

/// Splits an object's top-level entries into those free of personal data and those that are, or
/// hold, personal data (`{"shipping": {"street": …}}` goes whole). `names` says whether `name`
/// and its like name a person (a profile's traits) or not (a product in a track event).
pub fn split_personal(
    map: Map<String, Value>,
    names: bool,
) -> (Map<String, Value>, Map<String, Value>) {
    let mut plain = Map::new();
    let mut personal = Map::new();
    for (key, value) in map {
        if classify(&key, names).is_some() || holds_personal(&value, names) {
            personal.insert(key, value);
        } else {
            plain.insert(key, value);
        }
    }
    (plain, personal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn personal_entries_are_split_off_whole() {
        let (plain, personal) = split_personal(
            object(json!({
                "Email": "li@example.com", "name": "王小明", "plan": "gold",
                "shipping": {"city": "上海", "phone_number": "+8613812345678"},
                "tags": ["vip"]
            })),
            true,
        );
        assert_eq!(plain, object(json!({"plan": "gold", "tags": ["vip"]})));
        assert_eq!(personal.len(), 3);
        assert!(personal.contains_key("shipping"));
    }

    #[test]
    fn a_product_name_is_not_a_person() {
        let (plain, personal) =
            split_personal(object(json!({"name": "Silk scarf", "price": 10})), false);
        assert_eq!(plain.len(), 2);
        assert!(personal.is_empty());
    }
}
