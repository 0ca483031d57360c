//! What personal data a caller sees: everything as stored, or masked. Every view of a
//! customer — profile, identities, events — goes through here; there is no second path.

use guanxi_domain::masking::{mask_email, mask_name, mask_other, mask_phone};
use guanxi_domain::{IdentityKey, IdentityKind};
use guanxi_store::Traits;
use serde_json::Value;

/// Whether personal data is shown as stored or masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Masked,
    Revealed,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShownIdentity {
    pub kind: String,
    pub value: String,
}

/// How a key's value is masked, judged by its name (any case, any nesting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Personal {
    Email,
    Phone,
    Name,
    Other,
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

fn classify(key: &str, names: bool) -> Option<Personal> {
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

fn mask_value(how: Personal, value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Object(_) | Value::Array(_) => Value::String(mask_other("")),
        other => {
            let text = other
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| other.to_string());
            Value::String(match how {
                Personal::Email => mask_email(&text),
                Personal::Phone => mask_phone(&text),
                Personal::Name => mask_name(&text),
                Personal::Other => mask_other(&text),
            })
        }
    }
}

/// Masks personal values anywhere in a JSON tree.
fn mask_tree(value: &Value, names: bool) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let shown = match classify(k, names) {
                        Some(how) => mask_value(how, v),
                        None => mask_tree(v, names),
                    };
                    (k.clone(), shown)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| mask_tree(v, names)).collect()),
        other => other.clone(),
    }
}

/// A profile's traits.
pub fn show_traits(traits: &Traits, visibility: Visibility) -> Traits {
    match (visibility, mask_tree(&Value::Object(traits.clone()), true)) {
        (Visibility::Masked, Value::Object(masked)) => masked,
        _ => traits.clone(),
    }
}

/// An identifier: anonymous ids are random and shown; every other value is masked.
pub fn show_identity(key: &IdentityKey, visibility: Visibility) -> ShownIdentity {
    let value = match (visibility, key.kind()) {
        (Visibility::Revealed, _) | (_, IdentityKind::AnonymousId) => key.value().to_owned(),
        (_, IdentityKind::Email) => mask_email(key.value()),
        (_, IdentityKind::Phone) => mask_phone(key.value()),
        _ => mask_name(key.value()),
    };
    ShownIdentity {
        kind: key.kind().name(),
        value,
    }
}

/// An event's payload: identify and group calls carry traits; others may carry contacts.
pub fn show_event(
    mut event: guanxi_store::EventRecord,
    visibility: Visibility,
) -> guanxi_store::EventRecord {
    if visibility == Visibility::Masked {
        let traits = matches!(
            event.kind,
            guanxi_domain::EventKind::Identify | guanxi_domain::EventKind::Group
        );
        event.properties = mask_tree(&event.properties, traits);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn personal_values_are_masked_at_any_depth_and_case() {
        let Value::Object(traits) = json!({
            "Email": "li@example.com", "name": "王小明", "plan": "gold",
            "shipping": {"phone_number": "+8613812345678", "street": "1 Nanjing Rd", "city": "上海"}
        }) else {
            unreachable!()
        };
        let shown = show_traits(&traits, Visibility::Masked);
        assert_eq!(shown["Email"], "l***@example.com");
        assert_eq!(shown["name"], "王**");
        assert_eq!(shown["plan"], "gold");
        assert_eq!(shown["shipping"]["phone_number"], "138****5678");
        assert_eq!(shown["shipping"]["street"], "****");
        assert_eq!(shown["shipping"]["city"], "上海");
        assert_eq!(show_traits(&traits, Visibility::Revealed), traits);
    }

    #[test]
    fn product_names_in_track_events_stay_readable() {
        let masked = mask_tree(
            &json!({"products": [{"name": "Silk scarf", "email": "a@b.cn"}]}),
            false,
        );
        assert_eq!(masked["products"][0]["name"], "Silk scarf");
        assert_eq!(masked["products"][0]["email"], "a***@b.cn");
    }
}
