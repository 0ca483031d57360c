//! What personal data a caller sees, field by field: as stored, masked, or not at all. Every
//! view of a customer — profile, identities, events, in the API and the console — goes through
//! here; there is no second path.

use guanxi_domain::access::{Denied, FieldAccess, PersonalField, Principal};
use guanxi_domain::masking::{mask_email, mask_name, mask_other, mask_phone};
use guanxi_domain::personal::{Personal, classify};
use guanxi_domain::{IdentityKey, IdentityKind};
use guanxi_store::Traits;
use serde_json::Value;

/// How one personal field is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Hidden,
    Masked,
    Plain,
}

/// How each personal field is shown to one caller for one view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Visibility {
    name: Shown,
    phone: Shown,
    email: Shown,
    address: Shown,
}

impl Visibility {
    /// Everything masked: what anyone who may see a customer at all sees by default.
    pub const MASKED: Visibility = Visibility::uniform(Shown::Masked);

    const fn uniform(shown: Shown) -> Self {
        Self {
            name: shown,
            phone: shown,
            email: shown,
            address: shown,
        }
    }

    /// What `principal` sees with `reveal` asked for: revealed fields in plain, the rest masked,
    /// and fields their role hides not at all. Asking to reveal a field the role may not reveal
    /// is refused, not quietly masked.
    pub fn for_principal(principal: &Principal, reveal: &[PersonalField]) -> Result<Self, Denied> {
        let mut v = Self::MASKED;
        for field in PersonalField::ALL {
            let shown = match principal.field(field) {
                FieldAccess::Hidden => Shown::Hidden,
                FieldAccess::Masked | FieldAccess::Revealable => Shown::Masked,
            };
            v.set(field, shown);
        }
        for field in reveal {
            principal.require_reveal(*field)?;
            v.set(*field, Shown::Plain);
        }
        Ok(v)
    }

    pub fn of(&self, field: PersonalField) -> Shown {
        match field {
            PersonalField::Name => self.name,
            PersonalField::Phone => self.phone,
            PersonalField::Email => self.email,
            PersonalField::Address => self.address,
        }
    }

    fn set(&mut self, field: PersonalField, shown: Shown) {
        match field {
            PersonalField::Name => self.name = shown,
            PersonalField::Phone => self.phone = shown,
            PersonalField::Email => self.email = shown,
            PersonalField::Address => self.address = shown,
        }
    }

    /// Whether any field is shown other than as stored.
    pub fn protects_anything(&self) -> bool {
        PersonalField::ALL
            .iter()
            .any(|f| self.of(*f) != Shown::Plain)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShownIdentity {
    pub kind: String,
    pub value: String,
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

/// Shows personal values anywhere in a JSON tree as `visibility` says; hidden ones are left out.
fn show_tree(value: &Value, names: bool, visibility: Visibility) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter_map(|(k, v)| {
                    let shown = match classify(k, names) {
                        Some(how) => match visibility.of(how.field()) {
                            Shown::Hidden => return None,
                            Shown::Masked => mask_value(how, v),
                            Shown::Plain => v.clone(),
                        },
                        None => show_tree(v, names, visibility),
                    };
                    Some((k.clone(), shown))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| show_tree(v, names, visibility))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A profile's traits.
pub fn show_traits(traits: &Traits, visibility: Visibility) -> Traits {
    if !visibility.protects_anything() {
        return traits.clone();
    }
    match show_tree(&Value::Object(traits.clone()), true, visibility) {
        Value::Object(shown) => shown,
        _ => unreachable!("an object stays an object"),
    }
}

/// An identifier, unless its field is hidden. Anonymous ids are random and always shown; other
/// platform ids (buyer nicknames, open ids) follow the name's rule.
pub fn show_identity(key: &IdentityKey, visibility: Visibility) -> Option<ShownIdentity> {
    let (field, mask): (PersonalField, fn(&str) -> String) = match key.kind() {
        IdentityKind::AnonymousId => {
            return Some(ShownIdentity {
                kind: key.kind().name(),
                value: key.value().to_owned(),
            });
        }
        IdentityKind::Email => (PersonalField::Email, mask_email),
        IdentityKind::Phone => (PersonalField::Phone, mask_phone),
        _ => (PersonalField::Name, mask_name),
    };
    let value = match visibility.of(field) {
        Shown::Hidden => return None,
        Shown::Masked => mask(key.value()),
        Shown::Plain => key.value().to_owned(),
    };
    Some(ShownIdentity {
        kind: key.kind().name(),
        value,
    })
}

/// An event's payload: identify and group calls carry traits; others may carry contacts.
pub fn show_event(
    mut event: guanxi_store::EventRecord,
    visibility: Visibility,
) -> guanxi_store::EventRecord {
    if visibility.protects_anything() {
        let traits = matches!(
            event.kind,
            guanxi_domain::EventKind::Identify | guanxi_domain::EventKind::Group
        );
        event.properties = show_tree(&event.properties, traits, visibility);
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
        let shown = show_traits(&traits, Visibility::MASKED);
        assert_eq!(shown["Email"], "l***@example.com");
        assert_eq!(shown["name"], "王**");
        assert_eq!(shown["plan"], "gold");
        assert_eq!(shown["shipping"]["phone_number"], "138****5678");
        assert_eq!(shown["shipping"]["street"], "****");
        assert_eq!(shown["shipping"]["city"], "上海");
        assert_eq!(
            show_traits(&traits, Visibility::uniform(Shown::Plain)),
            traits
        );
        let mut partly = Visibility::MASKED;
        partly.set(PersonalField::Phone, Shown::Plain);
        partly.set(PersonalField::Address, Shown::Hidden);
        let shown = show_traits(&traits, partly);
        assert_eq!(shown["shipping"]["phone_number"], "+8613812345678");
        assert_eq!(shown["Email"], "l***@example.com");
        assert!(
            shown["shipping"].get("street").is_none(),
            "hidden, not masked"
        );
    }

    #[test]
    fn product_names_in_track_events_stay_readable() {
        let masked = show_tree(
            &json!({"products": [{"name": "Silk scarf", "email": "a@b.cn"}]}),
            false,
            Visibility::MASKED,
        );
        assert_eq!(masked["products"][0]["name"], "Silk scarf");
        assert_eq!(masked["products"][0]["email"], "a***@b.cn");
    }
}
